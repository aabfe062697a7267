"""Partial evaluation: values known now are computed (in the parent trace);
operations touching unknown values are staged into a jaxpr. linearize is
jvp under this trace, with the tangents unknown.
"""

from ..core import trace as trace_lib
from ..core.ir import ClosedJaxpr, Jaxpr, JaxprEqn, Literal
from ..core.trace import set_current_trace
from ..ops._checks import aval_of
from .jvp import instantiate, jvp_flat
from .staging import StagedTracer, StagingTrace, eval_jaxpr, trace_to_jaxpr


class PartialEvalTrace(StagingTrace):
  """A staging trace that stages only what depends on its own tracers.

  Known values used by staged equations become the jaxpr's constants: the
  residuals a linearized function keeps.
  """
  kind = "linearize"

  def is_unknown(self, x):
    return isinstance(x, StagedTracer) and x._trace is self

  def process_primitive(self, primitive, args, params):
    if not any(self.is_unknown(a) for a in args):
      with set_current_trace(self.parent):
        return primitive.bind(*args, **params)
    rule = primitive.partial_eval
    if rule is not None:
      return rule(self, args, params)
    return self.stage(primitive, args, params)


def linearize_flat(fun, primals, origin="linearize"):
  """(primals_out, linear ClosedJaxpr) of flat `fun` at `primals`.

  The jaxpr maps input tangents to output tangents; its constants are the
  residuals computed from the primals.
  """
  pe = PartialEvalTrace(trace_lib.current_trace())
  pe.origin = origin
  tangents_in = [pe.new_arg(aval_of(p)) for p in primals]
  try:
    with set_current_trace(pe):
      primals_out, tangents_out = jvp_flat(fun, primals, tangents_in, origin)
      tangents_out = [instantiate(t) for t in tangents_out]
    for p in primals_out:
      if pe.is_unknown(p):
        raise TypeError(
            f"{origin}: an output's primal value depends on the tangents; a "
            "primitive is missing a partial evaluation rule")
    linear = pe.to_jaxpr(tangents_out)
  finally:
    pe.finish()
  return primals_out, linear


def partial_eval_jaxpr(closed, in_unknowns, instantiate=False):
  """Splits `closed` into a known and an unknown jaxpr.

  Returns (known, unknown, out_unknowns, num_residuals):
    known(*known_inputs) -> (*known_outputs, *residuals)
    unknown(*residuals, *unknown_inputs) -> unknown_outputs
  `instantiate` (a bool or one per output) forces outputs to be unknown:
  a known value then travels to the unknown side as a residual.
  """
  n_out = len(closed.out_avals)
  if isinstance(instantiate, bool):
    instantiate = [instantiate] * n_out
  in_avals = closed.in_avals
  known_avals = [a for a, u in zip(in_avals, in_unknowns) if not u]
  split = {}

  def fun_known(*known_in):
    pe = PartialEvalTrace(trace_lib.current_trace())
    known_iter = iter(known_in)
    args = [pe.new_arg(a) if u else next(known_iter)
            for a, u in zip(in_avals, in_unknowns)]
    try:
      with set_current_trace(pe):
        outs = eval_jaxpr(closed.jaxpr, closed.consts, *args)
      outs = [pe.lift(o) if inst and not pe.is_unknown(o) else o
              for o, inst in zip(outs, instantiate)]
      out_unknowns = [pe.is_unknown(o) for o in outs]
      unknown = pe.to_jaxpr([o for o, u in zip(outs, out_unknowns) if u])
    finally:
      pe.finish()
    jaxpr = unknown.jaxpr
    split["unknown"] = ClosedJaxpr(
        Jaxpr([], jaxpr.constvars + jaxpr.invars, jaxpr.outvars, jaxpr.eqns), [])
    split["out_unknowns"] = out_unknowns
    split["num_res"] = len(unknown.consts)
    return [o for o, u in zip(outs, out_unknowns) if not u] + list(unknown.consts)

  known = trace_to_jaxpr(fun_known, known_avals)
  return known, split["unknown"], split["out_unknowns"], split["num_res"]


def partial_eval_jaxpr_remat(closed, in_unknowns, saveable):
  """Like partial_eval_jaxpr, but a residual is saved only if it is an
  input of the known side or `saveable(eqn)` allows the equation that
  produced it; the unknown side recomputes every other residual from what
  is saved. This is rematerialization: `saveable` is checkpoint's policy.

  Returns (known, unknown, out_unknowns, num_residuals) as partial_eval_jaxpr.
  """
  known, unknown, out_unknowns, num_res = partial_eval_jaxpr(closed, in_unknowns)
  kj, uj = known.jaxpr, unknown.jaxpr
  assert not kj.constvars and not uj.constvars
  n_known_out = len(kj.outvars) - num_res
  residuals = kj.outvars[n_known_out:]
  producer = {v: e for e in kj.eqns for v in e.outvars}
  inputs = set(kj.invars)
  saved, recompute, seen = [], set(), set()
  pending = [r for r in residuals if type(r) is not Literal]
  while pending:
    v = pending.pop()
    if v in seen:
      continue
    seen.add(v)
    if v in inputs or saveable(producer[v]):
      saved.append(v)
    else:
      eqn = producer[v]
      recompute.add(id(eqn))
      pending.extend(u for u in eqn.invars if type(u) is not Literal)
  # The unknown side reads the known side's variables directly: its
  # residual inputs are renamed to them.
  rename = dict(zip(uj.invars[:num_res], residuals))
  def sub(v):
    return rename.get(v, v) if type(v) is not Literal else v
  copied = [e for e in kj.eqns if id(e) in recompute]
  renamed = [JaxprEqn([sub(v) for v in e.invars], e.outvars, e.primitive, e.params,
                      e.source_info) for e in uj.eqns]
  new_known = Jaxpr([], kj.invars, kj.outvars[:n_known_out] + saved, kj.eqns)
  new_unknown = Jaxpr([], saved + uj.invars[num_res:], [sub(v) for v in uj.outvars],
                      copied + renamed)
  return (ClosedJaxpr(new_known, known.consts), ClosedJaxpr(new_unknown, []),
          out_unknowns, len(saved))
