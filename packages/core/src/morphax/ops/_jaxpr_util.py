"""Helpers for primitives that hold jaxprs (control flow, custom rules):
tracing user functions over pytrees, and reshaping jaxpr signatures.
"""

from ..core import tree
from ..core.ir import ClosedJaxpr, Jaxpr, Var
from ..interpreters import batching, jvp as jvp_lib
from ..interpreters.staging import eval_jaxpr, hoist_consts, trace_to_jaxpr
from ._checks import aval_of


def trace_fun(fun, args, origin):
  """Traces `fun(*args)` (pytrees of arrays) into a jaxpr without consts.

  Returns (jaxpr, consts, in_tree, out_tree): the jaxpr takes the consts
  first, then the flattened arguments."""
  leaves, in_tree = tree.tree_flatten(tuple(args))
  return trace_flat(fun, in_tree, [aval_of(x) for x in leaves], origin) + (in_tree,)


def trace_flat(fun, in_tree, in_avals, origin):
  """Traces `fun` over arguments unflattened from `in_tree`:
  (jaxpr, consts, out_tree), jaxpr taking consts then flat arguments."""
  store = {}

  def flat_fun(*flat):
    out = fun(*tree.tree_unflatten(in_tree, flat))
    leaves, store["tree"] = tree.tree_flatten(out)
    return leaves

  closed = trace_to_jaxpr(flat_fun, list(in_avals), origin=origin)
  jaxpr, consts = hoist_consts(closed)
  return jaxpr, consts, store["tree"]


def closed_fun(closed):
  """`closed` as a flat Python function (binds under the current trace)."""
  return lambda *xs: eval_jaxpr(closed.jaxpr, closed.consts, *xs)


def retrace(fun, in_avals):
  """(jaxpr without consts, consts) of flat `fun` at `in_avals`."""
  return hoist_consts(trace_to_jaxpr(fun, list(in_avals)))


def pad_prefix(closed, n_prefix, before, after):
  """`closed` whose first `n_prefix` inputs get unused inputs of avals
  `before` and `after` around them: so that branches, each with its own
  leading constants (or residuals), share one operand list."""
  inner = closed.jaxpr
  own, rest = inner.invars[:n_prefix], inner.invars[n_prefix:]
  padded = Jaxpr(inner.constvars,
                 [Var(a) for a in before] + list(own) + [Var(a) for a in after] + list(rest),
                 inner.outvars, inner.eqns)
  return ClosedJaxpr(padded, closed.consts)


def join_prefixes(jaxprs, prefix_avals):
  """Jaxpr i takes `prefix_avals[i]` first; each comes back taking every
  jaxpr's prefix (all of them, in order), ignoring the others'."""
  out = []
  for i, jaxpr in enumerate(jaxprs):
    before = [a for avs in prefix_avals[:i] for a in avs]
    after = [a for avs in prefix_avals[i + 1:] for a in avs]
    out.append(pad_prefix(jaxpr, len(prefix_avals[i]), before, after))
  return out


def join_consts(traced):
  """[(jaxpr, consts)] -> (jaxprs taking every list's consts first, all
  consts): jaxpr i ignores the consts of the others."""
  avals = [[aval_of(c) for c in consts] for _, consts in traced]
  return (join_prefixes([j for j, _ in traced], avals),
          [c for _, consts in traced for c in consts])


def jvp_of(closed, nonzeros, instantiate=True):
  """Flat function (primals, nonzero tangents) -> (primals out, tangents
  out), the JVP of `closed` (tangent outputs instantiated)."""
  n = len(nonzeros)
  avals = closed.in_avals

  def fun(*args):
    primals, tangents = args[:n], iter(args[n:])
    tangents = [next(tangents) if nz else jvp_lib.Zero(a)
                for a, nz in zip(avals, nonzeros)]
    outs, touts = jvp_lib.jvp_flat(closed_fun(closed), primals, tangents)
    return list(outs) + [jvp_lib.instantiate(t) for t in touts]
  return fun


def batch_of(closed, dims, size, out_dim=0):
  """Flat function running `closed` batched (inputs batched along `dims`),
  every output batched along `out_dim`."""
  def fun(*args):
    outs, out_dims = batching.vmap_flat(closed_fun(closed), args, dims, size)
    return [batching.matchaxis(o, d, out_dim, size) for o, d in zip(outs, out_dims)]
  return fun


def batched_aval(aval, dim, size):
  """The aval of a value batched at `dim` (None: unbatched)."""
  if dim is None:
    return aval
  shape = list(aval.shape)
  shape.insert(dim, size)
  return aval.update(shape=tuple(shape))
