"""Conditionals: cond and switch, one primitive holding a jaxpr per branch,
lowered to stablehlo.case; select when vmapped over the predicate.
"""

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core import tree
from ..core.ad_util import UndefinedPrimal, Zero
from ..core.primitive import define_primitive
from ..core.trace import set_current_trace
from ..interpreters import partial_eval
from ..interpreters.lowering import lower_jaxpr_body, tensor_type
from ..interpreters.transpose import backward_pass
from ._checks import aval_of
from ._factories import bdim_at_front, batch_size, instantiate
from ._jaxpr_util import (batch_of, batched_aval, closed_fun, join_consts,
                          join_prefixes, jvp_of, retrace, trace_fun)
from .bits import ne
from .convert import convert_element_type
from .select import clamp, select_n
from .shape import broadcast_in_dim

__all__ = ["cond", "switch"]

BRANCH_OUTPUT_MESSAGE = (
    "{name}: {this} returns {what} but {other} returns {first}; every "
    "branch must return the same tree structure with the same shapes and "
    "dtypes.")

PREDICATE_MESSAGE = (
    "cond: the predicate must be a scalar boolean (or integer), got {aval}. "
    "For an elementwise choice use jnp.where or lax.select_n.")


def cond(pred, true_fun, false_fun, *operands):
  """`true_fun(*operands)` if `pred` else `false_fun(*operands)`.

  Both branches are traced; only one runs. Under vmap with a batched
  predicate both run and the results are selected, as in JAX.
  Lowers to stablehlo.case.

  Example: `cond(x > 0, lambda x: x, lambda x: -x, x)` is abs(x).
  """
  aval = aval_of(pred)
  if aval.shape != () or not (avals_lib.is_bool(aval.dtype) or avals_lib.is_integer(aval.dtype)):
    raise TypeError(PREDICATE_MESSAGE.format(aval=aval.str_short()))
  if not avals_lib.is_bool(aval.dtype):
    pred = ne(pred, 0)
  index = convert_element_type(pred, np.int32)
  return _switch("cond", index, (false_fun, true_fun), operands)


def switch(index, branches, *operands):
  """`branches[index](*operands)`, the index clamped into range (JAX's
  semantics). Lowers to stablehlo.case.

  Example: `switch(i, [f, g, h], x)` applies the i-th function to x.
  """
  branches = tuple(branches)
  if not branches:
    raise ValueError("switch: branches must be a non-empty sequence of functions")
  aval = aval_of(index)
  if aval.shape != () or not avals_lib.is_integer(aval.dtype):
    raise TypeError(f"switch: the index must be a scalar integer, got {aval.str_short()}")
  index = clamp(0, convert_element_type(index, np.int32), len(branches) - 1)
  return _switch("switch", index, branches, operands)


def _switch(name, index, branches, operands):
  traced = [trace_fun(b, operands, origin=f"{name} branch {i}")
            for i, b in enumerate(branches)]
  first_tree = traced[0][2]
  first_avals = traced[0][0].out_avals
  names = (["false_fun", "true_fun"] if name == "cond"
           else [f"branches[{i}]" for i in range(len(branches))])
  for i, (jaxpr, _, out_tree, _) in enumerate(traced[1:], 1):
    if out_tree != first_tree:
      raise TypeError(BRANCH_OUTPUT_MESSAGE.format(
          name=name, this=names[i], other=names[0], what=f"structure {out_tree}",
          first=f"{first_tree}"))
    for a, b in zip(jaxpr.out_avals, first_avals):
      if a.shape != b.shape or a.dtype != b.dtype:
        raise TypeError(BRANCH_OUTPUT_MESSAGE.format(
            name=name, this=names[i], other=names[0], what=a.str_short(),
            first=b.str_short()))
  branch_jaxprs, consts = join_consts([(j, c) for j, c, _, _ in traced])
  ops = tree.tree_leaves(tuple(operands))
  if len(branches) == 1:
    outs = closed_fun(branch_jaxprs[0])(*consts, *ops)
  else:
    outs = cond_p.bind(index, *consts, *ops, branches=tuple(branch_jaxprs))
  return tree.tree_unflatten(first_tree, outs)


def _cond_abstract_eval(index, *ops, branches):
  avals = [a.update(weak_type=all(b.out_avals[i].weak_type for b in branches))
           for i, a in enumerate(branches[0].out_avals)]
  return avals


def _cond_lower(ctx, index, *ops, branches):
  out_types = [tensor_type(a) for a in ctx.avals_out]
  case = hlo.CaseOp(out_types, index, len(branches))
  for region, branch in zip(case.branches, branches):
    block = region.blocks.append()
    with ir.InsertionPoint(block):
      outs = lower_jaxpr_body(ctx.module_context, branch.jaxpr, list(ops))
      hlo.return_(outs)
  return list(case.results)


def _cond_jvp(primals, tangents, *, branches):
  index, *ops = primals
  nonzeros = [type(t) is not Zero for t in tangents[1:]]
  avals = list(branches[0].in_avals) + [a for a, nz in zip(branches[0].in_avals, nonzeros) if nz]
  traced = [retrace(jvp_of(b, nonzeros), avals) for b in branches]
  jvp_branches, consts = join_consts(traced)
  outs = cond_p.bind(index, *consts, *ops, *[t for t in tangents[1:] if type(t) is not Zero],
                     branches=tuple(jvp_branches))
  n = len(branches[0].out_avals)
  return outs[:n], outs[n:]


def _cond_batch(vals, dims, *, branches):
  (index, *ops), (index_dim, *op_dims) = vals, dims
  size = batch_size(vals, dims)
  if index_dim is None:
    avals = [batched_aval(a, d, size) for a, d in zip(branches[0].in_avals, op_dims)]
    traced = [retrace(batch_of(b, op_dims, size), avals) for b in branches]
    batched, consts = join_consts(traced)
    outs = cond_p.bind(index, *consts, *ops, branches=tuple(batched))
    return outs, [0] * len(outs)
  # A batched predicate: every branch runs, and the results are selected.
  per_branch = [batch_of(b, op_dims, size)(*ops) for b in branches]
  index = bdim_at_front(index, index_dim, size)
  outs = []
  for results in zip(*per_branch):
    shape = aval_of(results[0]).shape
    which = broadcast_in_dim(index, shape, (0,))
    outs.append(select_n(which, *results))
  return outs, [0] * len(outs)


def _cond_partial_eval(trace, args, params):
  branches = params["branches"]
  index, *ops = args
  if trace.is_unknown(index):
    return trace.stage(cond_p, args, params)
  unknowns = [trace.is_unknown(a) for a in ops]
  # Outputs unknown in any branch are unknown in all of them.
  out_uk = [False] * len(branches[0].out_avals)
  for b in branches:
    _, _, uk, _ = partial_eval.partial_eval_jaxpr(b, unknowns)
    out_uk = [x or y for x, y in zip(out_uk, uk)]
  splits = [partial_eval.partial_eval_jaxpr(b, unknowns, instantiate=out_uk)
            for b in branches]
  res_avals = [list(k.out_avals[len(k.out_avals) - n:]) for k, _, _, n in splits]
  known_ops = [a for a, u in zip(ops, unknowns) if not u]
  known_branches = []
  for i, (known, _, _, num_res) in enumerate(splits):
    known_branches.append(retrace(_with_residual_slots(known, num_res, res_avals, i),
                                  [aval_of(a) for a in known_ops]))
  known_branches, known_consts = join_consts(known_branches)
  with set_current_trace(trace.parent):
    known_outs = cond_p.bind(index, *known_consts, *known_ops,
                             branches=tuple(known_branches))
  n_known = sum(not u for u in out_uk)
  residuals = known_outs[n_known:]
  unknown_branches = join_prefixes([u for _, u, _, _ in splits], res_avals)
  unknown_ops = [a for a, u in zip(ops, unknowns) if u]
  unknown_outs = iter(trace.stage(cond_p, [index, *residuals, *unknown_ops],
                                  dict(branches=tuple(unknown_branches))))
  known_iter = iter(known_outs[:n_known])
  return [next(unknown_outs) if u else next(known_iter) for u in out_uk]


def _with_residual_slots(known, num_res, res_avals, i):
  """Branch i's known part, returning zeros in the other branches'
  residual slots so every branch has one output signature."""
  n_out = len(known.out_avals) - num_res

  def fun(*args):
    outs = closed_fun(known)(*args)
    slots = []
    for j, avals in enumerate(res_avals):
      if j == i:
        slots.extend(outs[n_out:])
      else:
        slots.extend(instantiate(Zero(a)) for a in avals)
    return list(outs[:n_out]) + slots
  return fun


def _cond_transpose(cts, index, *ops, branches):
  linear = [type(a) is UndefinedPrimal for a in ops]
  known = [a for a in ops if type(a) is not UndefinedPrimal]
  cts = [instantiate(ct) for ct in cts]

  def branch_transpose(branch):
    def fun(*inputs):
      known_in, cts_in = iter(inputs[:len(known)]), inputs[len(known):]
      args = [a if lin else next(known_in) for a, lin in zip(ops, linear)]
      cts_out = backward_pass(branch.jaxpr, branch.consts, args, list(cts_in))
      return [instantiate(ct) for ct, lin in zip(cts_out, linear) if lin]
    return fun

  in_avals = [aval_of(a) for a in known] + [aval_of(ct) for ct in cts]
  traced = [retrace(branch_transpose(b), in_avals) for b in branches]
  t_branches, consts = join_consts(traced)
  outs = iter(cond_p.bind(index, *consts, *known, *cts, branches=tuple(t_branches)))
  return [None] + [next(outs) if lin else None for lin in linear]


cond_p = define_primitive(
    "cond", abstract_eval=_cond_abstract_eval, lower=_cond_lower,
    jvp=_cond_jvp, transpose=_cond_transpose, batch=_cond_batch,
    partial_eval=_cond_partial_eval, multiple_results=True)
