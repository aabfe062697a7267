"""Rematerialization: checkpoint (remat) marks a function whose
intermediates the backward pass recomputes instead of storing, except
those its policy allows it to save.
"""

import functools
import inspect

from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import tree
from ..core import trace as trace_lib
from ..core.ad_util import Zero
from ..core.primitive import define_primitive
from ..core.trace import set_current_trace
from ..interpreters import partial_eval
from ..interpreters.lowering import lower_jaxpr_body
from . import call
from ._checks import aval_of
from ._jaxpr_util import batch_of, batched_aval, retrace, trace_flat

__all__ = []


class checkpoint_policies:
  """Which intermediates a checkpointed function may save for the backward
  pass (JAX's names). A policy is `policy(prim, *avals, **params) -> bool`."""

  @staticmethod
  def everything_saveable(prim, *avals, **params):
    return True

  @staticmethod
  def nothing_saveable(prim, *avals, **params):
    return False

  @staticmethod
  def dots_saveable(prim, *avals, **params):
    return prim.name in ("dot_general", "conv_general_dilated")

  checkpoint_dots = dots_saveable

  @staticmethod
  def dots_with_no_batch_dims_saveable(prim, *avals, **params):
    if prim.name != "dot_general":
      return False
    (_, (lhs_batch, _)) = params["dimension_numbers"]
    return not lhs_batch


def checkpoint(fun, *, prevent_cse=True, policy=None, static_argnums=()):
  """`fun`, but under reverse-mode differentiation its intermediates are
  recomputed in the backward pass rather than stored (except what `policy`
  saves): memory for compute. Also available as `morphax.remat`.

  Example: `grad(checkpoint(lambda x: jnp.sin(jnp.sin(x))))(1.0)` saves
  only x and recomputes the inner sin when differentiating.
  """
  policy = policy or checkpoint_policies.nothing_saveable
  static_argnums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
  name = getattr(fun, "__name__", "fun")

  @functools.wraps(fun)
  def wrapped(*args, **kwargs):
    if kwargs:
      bound = inspect.signature(fun).bind(*args, **kwargs)
      args = tuple(bound.args) + tuple(bound.kwargs.values())
    if trace_lib.current_trace() is trace_lib.default_trace():
      return fun(*args)  # nothing to differentiate: just run it
    statics = {i: args[i] for i in static_argnums}
    dyn = [a for i, a in enumerate(args) if i not in statics]
    leaves, in_tree = tree.tree_flatten(tuple(dyn))

    def fun_dyn(*d):
      it = iter(d)
      return fun(*[statics[i] if i in statics else next(it) for i in range(len(args))])

    jaxpr, consts, out_tree = trace_flat(fun_dyn, in_tree, [aval_of(x) for x in leaves],
                                         f"checkpoint({name})")
    outs = remat_p.bind(*consts, *leaves, jaxpr=jaxpr, policy=policy,
                        prevent_cse=prevent_cse, name=name)
    return tree.tree_unflatten(out_tree, outs)
  return wrapped


remat = checkpoint


def _remat_abstract_eval(*avals, jaxpr, policy, prevent_cse, name):
  return jaxpr.out_avals


def _remat_lower(ctx, *args, jaxpr, policy, prevent_cse, name):
  if prevent_cse and args:
    # NB: keeps XLA from merging the recomputation with the forward pass
    # (which would store the intermediates after all), as JAX does.
    args = list(hlo.OptimizationBarrierOp(list(args)).results)
  return lower_jaxpr_body(ctx.module_context, jaxpr.jaxpr, list(args))


def _remat_jvp(primals, tangents, *, jaxpr, policy, prevent_cse, name):
  nonzeros = tuple(type(t) is not Zero for t in tangents)
  jvp_jaxpr, consts = call._jvp_jaxpr(jaxpr, nonzeros)
  outs = remat_p.bind(*consts, *primals, *[t for t in tangents if type(t) is not Zero],
                      jaxpr=jvp_jaxpr, policy=policy, prevent_cse=prevent_cse,
                      name=name)
  n = len(jaxpr.out_avals)
  return outs[:n], outs[n:]


def _remat_transpose(cts, *args, jaxpr, policy, prevent_cse, name):
  # The recomputation happens inside: backward_pass evaluates the
  # non-linear equations first, then transposes the linear ones.
  return call.jit_p.transpose(cts, *args, jaxpr=jaxpr, name=f"checkpoint({name})")


def _remat_batch(vals, dims, *, jaxpr, policy, prevent_cse, name):
  size = next(aval_of(v).shape[d] for v, d in zip(vals, dims) if d is not None)
  avals = [batched_aval(a, d, size) for a, d in zip(jaxpr.in_avals, dims)]
  b_jaxpr, consts = retrace(batch_of(jaxpr, dims, size), avals)
  outs = remat_p.bind(*consts, *vals, jaxpr=b_jaxpr, policy=policy,
                      prevent_cse=prevent_cse, name=name)
  return outs, [0] * len(outs)


def _remat_partial_eval(trace, args, params):
  """The known side runs now; the unknown side saves only the residuals
  the policy allows and recomputes the rest from them."""
  jaxpr, policy = params["jaxpr"], params["policy"]
  unknowns = [trace.is_unknown(a) for a in args]

  def saveable(eqn):
    return bool(policy(eqn.primitive, *[v.aval for v in eqn.invars], **eqn.params))

  known, unknown, out_unknowns, num_res = partial_eval.partial_eval_jaxpr_remat(
      jaxpr, unknowns, saveable)
  known_args = [a for a, u in zip(args, unknowns) if not u]
  with set_current_trace(trace.parent):
    known_outs = remat_p.bind(*known_args, **dict(params, jaxpr=known))
  n_known = len(known_outs) - num_res
  residuals = known_outs[n_known:]
  unknown_args = [a for a, u in zip(args, unknowns) if u]
  unknown_outs = iter(trace.stage(remat_p, [*residuals, *unknown_args],
                                  dict(params, jaxpr=unknown)))
  known_iter = iter(known_outs[:n_known])
  return [next(unknown_outs) if u else next(known_iter) for u in out_unknowns]


remat_p = define_primitive(
    "checkpoint", abstract_eval=_remat_abstract_eval, lower=_remat_lower,
    jvp=_remat_jvp, transpose=_remat_transpose, batch=_remat_batch,
    partial_eval=_remat_partial_eval, multiple_results=True)
