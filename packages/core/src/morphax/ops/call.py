"""The jit call primitive: a closed jaxpr applied to operands, with rules
that transform the jaxpr (jvp, vmap, transpose, partial evaluation).
"""

import functools

from ..core.ad_util import UndefinedPrimal, Zero
from ..core.primitive import define_primitive
from ..core.trace import set_current_trace
from ..interpreters import batching, jvp as jvp_lib, partial_eval, transpose
from ..interpreters.lowering import lower_jaxpr_body
from ..interpreters.staging import eval_jaxpr, hoist_consts, trace_to_jaxpr
from ._checks import aval_of

JIT_INPUT_MESSAGE = (
    "jit call of {name}: argument {i} has type {got} but the traced program "
    "expects {want}")


def jit_call(args, jaxpr, name):
  """Applies `jaxpr` (a ClosedJaxpr without constants) to `args`."""
  return jit_p.bind(*args, jaxpr=jaxpr, name=name)


def _jit_abstract_eval(*avals, jaxpr, name):
  for i, (got, want) in enumerate(zip(avals, jaxpr.in_avals)):
    if got.shape != want.shape or got.dtype != want.dtype:
      raise TypeError(JIT_INPUT_MESSAGE.format(
          name=name, i=i, got=got.str_short(), want=want.str_short()))
  return jaxpr.out_avals


def _jit_lower(ctx, *args, jaxpr, name):
  # Inlined: XLA would inline a func.call anyway, and one region is easier
  # to read in the printed module.
  return lower_jaxpr_body(ctx.module_context, jaxpr.jaxpr, list(args))


def _closed_fun(closed):
  return lambda *xs: eval_jaxpr(closed.jaxpr, closed.consts, *xs)


@functools.lru_cache(maxsize=4096)
def _jvp_jaxpr(closed, nonzeros):
  """The jaxpr (primals, nonzero tangents) -> (primals out, tangents out)."""
  n = len(nonzeros)
  avals = closed.in_avals
  tangent_avals = [a for a, nz in zip(avals, nonzeros) if nz]

  def fun(*args):
    primals, tangents = args[:n], iter(args[n:])
    tangents = [next(tangents) if nz else Zero(a) for a, nz in zip(avals, nonzeros)]
    primals_out, tangents_out = jvp_lib.jvp_flat(_closed_fun(closed), primals, tangents)
    return list(primals_out) + [jvp_lib.instantiate(t) for t in tangents_out]

  return hoist_consts(trace_to_jaxpr(fun, list(avals) + tangent_avals))


def _jit_jvp(primals, tangents, *, jaxpr, name):
  nonzeros = tuple(type(t) is not Zero for t in tangents)
  jvp_jaxpr, consts = _jvp_jaxpr(jaxpr, nonzeros)
  outs = jit_p.bind(*consts, *primals, *[t for t in tangents if type(t) is not Zero],
                    jaxpr=jvp_jaxpr, name=f"jvp({name})")
  n = len(jaxpr.out_avals)
  return outs[:n], outs[n:]


def _jit_transpose(cts, *args, jaxpr, name):
  linear = [type(a) is UndefinedPrimal for a in args]
  known = [a for a in args if type(a) is not UndefinedPrimal]
  nonzero_cts = [ct for ct in cts if type(ct) is not Zero]

  def fun(*inputs):
    known_in, cts_in = iter(inputs[:len(known)]), iter(inputs[len(known):])
    fargs = [a if lin else next(known_in) for a, lin in zip(args, linear)]
    fcts = [ct if type(ct) is Zero else next(cts_in) for ct in cts]
    cts_out = transpose.backward_pass(jaxpr.jaxpr, jaxpr.consts, fargs, fcts)
    return [jvp_lib.instantiate(ct) for ct, lin in zip(cts_out, linear) if lin]

  in_avals = [aval_of(a) for a in known] + [aval_of(ct) for ct in nonzero_cts]
  t_jaxpr, consts = hoist_consts(trace_to_jaxpr(fun, in_avals))
  outs = iter(jit_p.bind(*consts, *known, *nonzero_cts, jaxpr=t_jaxpr,
                         name=f"transpose({name})"))
  return [next(outs) if lin else None for lin in linear]


def _jit_batch(vals, dims, *, jaxpr, name):
  sizes = {aval_of(v).shape[d] for v, d in zip(vals, dims) if d is not None}
  size = sizes.pop()

  def fun(*args):
    outs, out_dims = batching.vmap_flat(_closed_fun(jaxpr), args, dims, size)
    return [batching.matchaxis(o, d, 0, size) for o, d in zip(outs, out_dims)]

  b_jaxpr, consts = hoist_consts(trace_to_jaxpr(fun, [aval_of(v) for v in vals]))
  outs = jit_p.bind(*consts, *vals, jaxpr=b_jaxpr, name=name)
  return outs, [0] * len(outs)


def _jit_partial_eval(trace, args, params):
  """Known inputs run through a jit of the known part now; the unknown
  part is staged as a jit of its own, reading the residuals."""
  jaxpr, name = params["jaxpr"], params["name"]
  unknowns = [trace.is_unknown(a) for a in args]
  known, unknown, out_unknowns, num_res = partial_eval.partial_eval_jaxpr(
      jaxpr, tuple(unknowns))
  known_jaxpr, known_consts = hoist_consts(known)
  known_args = [a for a, u in zip(args, unknowns) if not u]
  with set_current_trace(trace.parent):
    known_outs = jit_p.bind(*known_consts, *known_args, jaxpr=known_jaxpr, name=name)
  num_known_outs = len(known_outs) - num_res
  residuals = known_outs[num_known_outs:]
  unknown_args = [a for a, u in zip(args, unknowns) if u]
  unknown_outs = iter(trace.stage(jit_p, [*residuals, *unknown_args],
                                  dict(jaxpr=unknown, name=name)))
  known_iter = iter(known_outs[:num_known_outs])
  return [next(unknown_outs) if u else next(known_iter) for u in out_unknowns]


jit_p = define_primitive(
    "jit", abstract_eval=_jit_abstract_eval, lower=_jit_lower, jvp=_jit_jvp,
    transpose=_jit_transpose, batch=_jit_batch, partial_eval=_jit_partial_eval,
    multiple_results=True)
