"""Transposition: runs a linear jaxpr backwards, from output cotangents to
input cotangents, with each linear primitive's transpose rule.
"""

from ..core import source_info
from ..core.ad_util import UndefinedPrimal, Zero, add_tangents
from ..core.avals import HostValue
from ..core.ir import DropVar, Literal

NO_TRANSPOSE_MESSAGE = (
    "Transpose rule for '{name}' not implemented: reverse-mode "
    "differentiation needs it for a primitive applied to a linear value{why}.")


def backward_pass(jaxpr, consts, args, cts_out):
  """Cotangents of `jaxpr`'s linear inputs, given cotangents of its outputs.

  `args` holds an UndefinedPrimal for each linear input and the value of
  each other input. Equations that do not touch a linear input are
  evaluated forward first. Returns a cotangent per input: Zero where
  nothing flows back, None for non-linear inputs.
  """
  env = {}
  linear = set()
  for var, arg in zip(jaxpr.invars, args):
    if type(arg) is UndefinedPrimal:
      linear.add(var)
    else:
      env[var] = arg

  def read(v):
    if type(v) is Literal:
      return HostValue(v.val, v.aval.weak_type)
    if v in linear:
      return UndefinedPrimal(v.aval)
    return env[v]

  for var, value in zip(jaxpr.constvars, consts):
    env[var] = value
  linear_eqns = []
  for eqn in jaxpr.eqns:
    if any(type(v) is not Literal and v in linear for v in eqn.invars):
      linear.update(v for v in eqn.outvars)
      linear_eqns.append(eqn)
    else:
      outs = eqn.primitive.bind(*[read(v) for v in eqn.invars], **eqn.params)
      if not eqn.primitive.multiple_results:
        outs = [outs]
      for var, value in zip(eqn.outvars, outs):
        if not isinstance(var, DropVar):
          env[var] = value

  ct_env = {}

  def write_ct(v, ct):
    if type(v) is Literal or v not in linear or ct is None or type(ct) is Zero:
      return
    ct_env[v] = add_tangents(ct_env[v], ct) if v in ct_env else ct

  for v, ct in zip(jaxpr.outvars, cts_out):
    write_ct(v, ct)
  for eqn in reversed(linear_eqns):
    cts = [ct_env.pop(v, None) for v in eqn.outvars]
    if all(ct is None for ct in cts):
      continue
    cts = [Zero(v.aval) if ct is None else ct for v, ct in zip(eqn.outvars, cts)]
    rule = eqn.primitive.transpose
    if not callable(rule):
      why = f" ({rule})" if rule is not None else ""
      raise NotImplementedError(NO_TRANSPOSE_MESSAGE.format(
          name=eqn.primitive.name, why=why))
    invals = [read(v) for v in eqn.invars]
    with source_info.replaying(eqn.source_info, backward=True):
      cts_in = rule(cts if eqn.primitive.multiple_results else cts[0],
                    *invals, **eqn.params)
    for v, ct in zip(eqn.invars, cts_in):
      write_ct(v, ct)
  return [ct_env.get(v, Zero(v.aval)) if type(a) is UndefinedPrimal else None
          for v, a in zip(jaxpr.invars, args)]
