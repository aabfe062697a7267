"""Loops: scan and while_loop as primitives holding jaxprs (lowered to
stablehlo.while), and fori_loop and map on top of them.
"""

import math
import operator

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core import tree
from ..core.ad_util import UndefinedPrimal, Zero
from ..core.primitive import NOT_LINEAR, define_primitive
from ..core.ir import ClosedJaxpr, Jaxpr
from ..core.trace import Tracer, set_current_trace
from ..interpreters import batching, partial_eval
from ..interpreters.lowering import (compare, constant, lower_jaxpr_body,
                                     scalar_type, tensor_type)
from ..interpreters.transpose import backward_pass
from ._checks import aval_of
from ._factories import (bdim_at_front, batch_size, instantiate, matchaxis,
                         moveaxis)
from ._jaxpr_util import (batch_of, batched_aval, closed_fun, jvp_of, retrace,
                          trace_flat)
from .bits import bitwise_and, lt
from .convert import _convert_element_type, convert_element_type
from .elementwise import add
from .reduction import reduce_or
from .remat import checkpoint
from .select import select_n
from .shape import (broadcast_in_dim, concatenate, expand_dims, iota, pad,
                    reshape, rev, slice_in_dim)

__all__ = ["scan", "while_loop", "fori_loop", "map", "associative_scan"]

CARRY_MESSAGE = (
    "{name}: the carry output must match the carry input: {what}. The "
    "body's carry must keep its tree structure, shapes and dtypes across "
    "iterations.")

LENGTH_MESSAGE = (
    "scan: the leading axes of xs must all equal length{given}; got {sizes}")


def _carry_mismatch(name, in_tree, out_tree, in_avals, out_avals):
  if in_tree != out_tree:
    return CARRY_MESSAGE.format(name=name, what=f"input structure {in_tree}, "
                                f"output structure {out_tree}")
  paths = [tree.keystr(p) for p, _ in tree.tree_flatten_with_path(
      tree.tree_unflatten(in_tree, [0] * len(in_avals)))[0]]
  for path, a, b in zip(paths, in_avals, out_avals):
    if a.shape != b.shape or a.dtype != b.dtype:
      return CARRY_MESSAGE.format(
          name=name, what=f"carry{path} goes in as {a.str_short()} and comes "
          f"out as {b.str_short()}")
  return None


def _strong(x):
  """A weakly typed carry leaf made strong, so the traced body's output
  type matches it (as JAX promotes weak carries)."""
  aval = aval_of(x)
  if not aval.weak_type:
    return x
  return _convert_element_type(x, aval.dtype, False)


# --- scan ------------------------------------------------------------------------

def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
  """Loops `carry, y = f(carry, x)` over the leading axis of `xs`,
  returning the final carry and the stacked ys (JAX's semantics: pytree
  carries and outputs, `xs=None` with `length`, `reverse`).

  Lowers to stablehlo.while over an index, slicing xs and writing ys in
  place. Differentiable in both modes; vmap batches the whole loop.

  Example: `scan(lambda c, x: (c + x, c), 0.0, jnp.arange(4.))` is
  `(6.0, [0., 0., 1., 3.])`.
  """
  x_leaves, x_tree = tree.tree_flatten(xs)
  sizes = [aval_of(x).shape[0] if aval_of(x).ndim else None for x in x_leaves]
  if any(s is None for s in sizes):
    raise ValueError("scan: every leaf of xs needs a leading axis to scan over")
  if length is not None:
    length = operator.index(length)
  all_sizes = set(sizes) | ({length} if length is not None else set())
  if len(all_sizes) != 1:
    if not all_sizes:
      raise ValueError("scan: with xs=None, pass length=")
    raise ValueError(LENGTH_MESSAGE.format(
        given=f" ({length})" if length is not None else "", sizes=sizes))
  length = all_sizes.pop()
  init_leaves, carry_tree = tree.tree_flatten(init)
  init_leaves = [_strong(c) for c in init_leaves]
  carry_avals = [aval_of(c) for c in init_leaves]
  x_avals = [aval_of(x).update(shape=aval_of(x).shape[1:]) for x in x_leaves]
  in_tree = tree.tree_structure((tree.tree_unflatten(carry_tree, [0] * len(carry_avals)),
                                 tree.tree_unflatten(x_tree, [0] * len(x_avals))))
  store = {}

  def body(carry, x):
    out = f(carry, x)
    if not (isinstance(out, tuple) and len(out) == 2):
      raise TypeError(f"scan: f must return a pair (carry, y), got {type(out).__name__}")
    new_carry, y = out
    c_leaves, c_tree = tree.tree_flatten(new_carry)
    store["carry_tree"] = c_tree
    store["carry_avals"] = [aval_of(c) for c in c_leaves]
    return (new_carry, y)

  jaxpr, consts, out_tree = trace_flat(body, in_tree, carry_avals + x_avals, "scan body")
  problem = _carry_mismatch("scan", carry_tree, store["carry_tree"], carry_avals,
                            store["carry_avals"])
  if problem:
    raise TypeError(problem)
  outs = scan_p.bind(*consts, *init_leaves, *x_leaves, jaxpr=jaxpr,
                     num_consts=len(consts), num_carry=len(init_leaves),
                     length=length, reverse=bool(reverse), unroll=unroll)
  carry_out, ys = outs[:len(init_leaves)], outs[len(init_leaves):]
  ys_tree = out_tree.children()[1]
  return tree.tree_unflatten(carry_tree, carry_out), tree.tree_unflatten(ys_tree, ys)


def _scan_abstract_eval(*avals, jaxpr, num_consts, num_carry, length, reverse, unroll):
  carry = list(avals[num_consts:num_consts + num_carry])
  ys = [a.update(shape=(length,) + a.shape) for a in jaxpr.out_avals[num_carry:]]
  return carry + ys


def _scan_lower(ctx, *args, jaxpr, num_consts, num_carry, length, reverse, unroll):
  consts = list(args[:num_consts])
  init = list(args[num_consts:num_consts + num_carry])
  xs = list(args[num_consts + num_carry:])
  x_avals = ctx.avals_in[num_consts + num_carry:]
  carry_avals = ctx.avals_out[:num_carry]
  ys_avals = ctx.avals_out[num_carry:]
  i32 = avals_lib.int32
  # `unroll` steps per loop trip (True: all of them); the remainder of the
  # length runs straight-line after the loop.
  k = length if unroll is True else max(1, min(int(unroll), length or 1))
  trips, rest = divmod(length, k)

  def step(t, carry, ys):
    """One iteration at step number `t` (an i32 scalar value)."""
    index = hlo.subtract(constant(length - 1, i32), t) if reverse else t
    zero = constant(0, i32)
    x_t = []
    for x, aval in zip(xs, x_avals):
      starts = [index] + [zero] * (aval.ndim - 1)
      piece = hlo.dynamic_slice(x, starts, _i64_array((1,) + aval.shape[1:]))
      x_t.append(hlo.reshape(tensor_type(aval.shape[1:], aval.dtype), piece))
    outs = lower_jaxpr_body(ctx.module_context, jaxpr.jaxpr, consts + list(carry) + x_t)
    new_carry, y_t = outs[:num_carry], outs[num_carry:]
    new_ys = []
    for buf, y, aval in zip(ys, y_t, ys_avals):
      y = hlo.reshape(tensor_type((1,) + aval.shape[1:], aval.dtype), y)
      starts = [index] + [zero] * (aval.ndim - 1)
      new_ys.append(hlo.dynamic_update_slice(buf, y, starts))
    return list(new_carry), new_ys

  carry = init
  ys = [constant(0, a.dtype, a.shape) for a in ys_avals]
  if trips:
    state_types = ([scalar_type(i32)] + [tensor_type(a) for a in carry_avals]
                   + [tensor_type(a) for a in ys_avals])
    loop = hlo.WhileOp(state_types, [constant(0, i32)] + carry + ys)
    cond_block = loop.cond.blocks.append(*state_types)
    with ir.InsertionPoint(cond_block):
      i = cond_block.arguments[0]
      hlo.return_([compare(i, constant(trips * k, i32), "LT", i32)])
    body_block = loop.body.blocks.append(*state_types)
    with ir.InsertionPoint(body_block):
      i, *state = body_block.arguments
      carry, ys = list(state[:num_carry]), list(state[num_carry:])
      for j in range(k):
        carry, ys = step(hlo.add(i, constant(j, i32)) if j else i, carry, ys)
      hlo.return_([hlo.add(i, constant(k, i32))] + carry + ys)
    results = list(loop.results)
    carry, ys = results[1:1 + num_carry], results[1 + num_carry:]
  for j in range(rest):
    carry, ys = step(constant(trips * k + j, i32), carry, ys)
  return list(carry) + list(ys)


def _i64_array(values):
  return ir.DenseI64ArrayAttr.get([int(v) for v in values])


def _split_args(args, num_consts, num_carry):
  return (list(args[:num_consts]), list(args[num_consts:num_consts + num_carry]),
          list(args[num_consts + num_carry:]))


def _scan_jvp(primals, tangents, *, jaxpr, num_consts, num_carry, length, reverse, unroll):
  nz = [type(t) is not Zero for t in tangents]
  # Carries get real tangents if any input has one (a carry's tangent can
  # become nonzero after one iteration).
  nz_carry = [any(nz)] * num_carry
  nz_c, nz_x = nz[:num_consts], nz[num_consts + num_carry:]
  nonzeros = nz_c + nz_carry + nz_x
  jfun = jvp_of(jaxpr, nonzeros)
  n_c = sum(nz_c)
  n_x = sum(nz_x)

  def body(*args):
    c, ct, cy, cyt, x, xt = _take(args, [num_consts, n_c, num_carry, num_carry,
                                         len(nz_x), n_x])
    outs = jfun(*c, *cy, *x, *ct, *cyt, *xt)
    n_out = len(jaxpr.out_avals)
    po, to = outs[:n_out], outs[n_out:]
    return po[:num_carry] + to[:num_carry] + po[num_carry:] + to[num_carry:]

  in_avals = list(jaxpr.in_avals)
  c_av, cy_av, x_av = _take(in_avals, [num_consts, num_carry, len(nz_x)])
  body_avals = (c_av + [a for a, n in zip(c_av, nz_c) if n] + cy_av + cy_av
                + x_av + [a for a, n in zip(x_av, nz_x) if n])
  body_jaxpr, consts = retrace(body, body_avals)
  c, cy, x = _split_args(primals, num_consts, num_carry)
  tc, tcy, tx = _split_args(tangents, num_consts, num_carry)
  t_consts = [t for t in tc if type(t) is not Zero]
  t_carry = [instantiate(t) for t in tcy]
  t_xs = [t for t in tx if type(t) is not Zero]
  outs = scan_p.bind(*consts, *c, *t_consts, *cy, *t_carry, *x, *t_xs,
                     jaxpr=body_jaxpr,
                     num_consts=len(consts) + num_consts + len(t_consts),
                     num_carry=2 * num_carry, length=length, reverse=reverse,
                     unroll=unroll)
  carry, t_carry_out = outs[:num_carry], outs[num_carry:2 * num_carry]
  n_y = len(jaxpr.out_avals) - num_carry
  ys, t_ys = outs[2 * num_carry:2 * num_carry + n_y], outs[2 * num_carry + n_y:]
  return carry + ys, t_carry_out + t_ys


def _take(seq, sizes):
  out, start = [], 0
  for n in sizes:
    out.append(list(seq[start:start + n]))
    start += n
  return out


def _scan_batch(vals, dims, *, jaxpr, num_consts, num_carry, length, reverse, unroll):
  size = batch_size(vals, dims)
  c, cy, x = _split_args(vals, num_consts, num_carry)
  dc, dcy, dx = _split_args(dims, num_consts, num_carry)
  # Carries are all batched (at 0); xs keep the scan axis first, batch second.
  cy = [bdim_at_front(v, d, size) for v, d in zip(cy, dcy)]
  x = [v if d is None else moveaxis(v, d, 1) for v, d in zip(x, dx)]
  body_dims = dc + [0] * num_carry + [None if d is None else 0 for d in dx]
  body_avals = ([batched_aval(a, d, size) for a, d in zip(jaxpr.in_avals[:num_consts], dc)]
                + [batched_aval(a, 0, size) for a in jaxpr.in_avals[num_consts:num_consts + num_carry]]
                + [batched_aval(a, None if d is None else 0, size)
                   for a, d in zip(jaxpr.in_avals[num_consts + num_carry:], dx)])
  body_jaxpr, consts = retrace(batch_of(jaxpr, body_dims, size), body_avals)
  outs = scan_p.bind(*consts, *c, *cy, *x, jaxpr=body_jaxpr,
                     num_consts=len(consts) + num_consts, num_carry=num_carry,
                     length=length, reverse=reverse, unroll=unroll)
  return outs, [0] * num_carry + [1] * (len(outs) - num_carry)


def _scan_partial_eval(trace, args, params):
  jaxpr, num_consts, num_carry = params["jaxpr"], params["num_consts"], params["num_carry"]
  unknowns = [trace.is_unknown(a) for a in args]
  uk_c, uk_cy, uk_x = _split_args(unknowns, num_consts, num_carry)
  # A carry is unknown if its initial value is, or if the body makes it so.
  while True:
    _, _, out_uk, _ = partial_eval.partial_eval_jaxpr(jaxpr, uk_c + uk_cy + uk_x)
    new = [a or b for a, b in zip(uk_cy, out_uk[:num_carry])]
    if new == uk_cy:
      break
    uk_cy = new
  if not any(uk_c + uk_cy + uk_x):
    with set_current_trace(trace.parent):
      return scan_p.bind(*args, **params)
  n_out = len(jaxpr.out_avals)
  instantiate_out = uk_cy + [False] * (n_out - num_carry)
  known, unknown, out_uk, num_res = partial_eval.partial_eval_jaxpr(
      jaxpr, uk_c + uk_cy + uk_x, instantiate=instantiate_out)
  c, cy, x = _split_args(args, num_consts, num_carry)
  known_args = ([a for a, u in zip(c, uk_c) if not u] + [a for a, u in zip(cy, uk_cy) if not u]
                + [a for a, u in zip(x, uk_x) if not u])
  n_kc = sum(not u for u in uk_c)
  n_kcy = sum(not u for u in uk_cy)
  known_jaxpr, known_consts = retrace(closed_fun(known), known.in_avals)
  with set_current_trace(trace.parent):
    known_outs = scan_p.bind(*known_consts, *known_args, jaxpr=known_jaxpr,
                             num_consts=len(known_consts) + n_kc, num_carry=n_kcy,
                             length=params["length"], reverse=params["reverse"],
                             unroll=params["unroll"])
  residuals = known_outs[len(known_outs) - num_res:]
  known_carry = known_outs[:n_kcy]
  known_ys = known_outs[n_kcy:len(known_outs) - num_res]
  # The unknown body reads residuals as xs: (consts, carry, residuals, xs).
  uc = [a for a, u in zip(c, uk_c) if u]
  ucy = [a for a, u in zip(cy, uk_cy) if u]
  ux = [a for a, u in zip(x, uk_x) if u]
  ucy = [trace.lift(a) if not trace.is_unknown(a) else a for a in ucy]
  u_jaxpr = _reorder_unknown(unknown, num_res, len(uc), len(ucy))
  outs = trace.stage(scan_p, [*uc, *ucy, *residuals, *ux], dict(
      jaxpr=u_jaxpr, num_consts=len(uc), num_carry=len(ucy),
      length=params["length"], reverse=params["reverse"], unroll=params["unroll"]))
  unknown_outs = iter(outs)
  known_iter = iter(list(known_carry) + list(known_ys))
  return [next(unknown_outs) if u else next(known_iter) for u in out_uk]


def _reorder_unknown(unknown, num_res, n_c, n_cy):
  """(residuals, consts, carry, xs) -> (consts, carry, residuals, xs)."""
  inner = unknown.jaxpr
  res, rest = inner.invars[:num_res], inner.invars[num_res:]
  c, cy, x = rest[:n_c], rest[n_c:n_c + n_cy], rest[n_c + n_cy:]
  return ClosedJaxpr(Jaxpr(inner.constvars, c + cy + res + x, inner.outvars,
                           inner.eqns), unknown.consts)


def _scan_transpose(cts, *args, jaxpr, num_consts, num_carry, length, reverse, unroll):
  c, cy, x = _split_args(args, num_consts, num_carry)
  lin_c = [type(a) is UndefinedPrimal for a in c]
  lin_x = [type(a) is UndefinedPrimal for a in x]
  # A carry whose initial value is known (a zero tangent made real) is
  # still linear inside the loop: transpose it as such, and drop its
  # cotangent at the end.
  lin_cy = [type(a) is UndefinedPrimal for a in cy]
  cy_avals = [a.aval if l else aval_of(a) for a, l in zip(cy, lin_cy)]
  res_c = [a for a, l in zip(c, lin_c) if not l]
  res_x = [a for a, l in zip(x, lin_x) if not l]
  cts = [instantiate(ct) for ct in cts]
  ct_carry, ct_ys = cts[:num_carry], cts[num_carry:]
  c_avals = [a.aval if l else aval_of(a) for a, l in zip(c, lin_c)]
  ct_consts_init = [instantiate(Zero(a)) for a, l in zip(c_avals, lin_c) if l]
  n_rc, n_acc, n_rx = len(res_c), len(ct_consts_init), len(res_x)
  x_avals = [(a.aval if l else aval_of(a)) for a, l in zip(x, lin_x)]
  x_t_avals = [a.update(shape=a.shape[1:]) for a in x_avals]

  def body(*state):
    rc, acc, ccy, cys, rx = _take(state, [n_rc, n_acc, num_carry, len(ct_ys), n_rx])
    rc_iter, rx_iter = iter(rc), iter(rx)
    b_args = ([UndefinedPrimal(a) if l else next(rc_iter) for a, l in zip(c_avals, lin_c)]
              + [UndefinedPrimal(a) for a in cy_avals]
              + [UndefinedPrimal(a) if l else next(rx_iter) for a, l in zip(x_t_avals, lin_x)])
    ct_in = backward_pass(jaxpr.jaxpr, jaxpr.consts, b_args, list(ccy) + list(cys))
    ct_c, ct_cy, ct_x = _split_args(ct_in, num_consts, num_carry)
    ct_c_lin = [instantiate(t) for t, l in zip(ct_c, lin_c) if l]
    new_acc = [add(a, t) for a, t in zip(acc, ct_c_lin)]
    return new_acc + [instantiate(t) for t in ct_cy] + [
        instantiate(t) for t, l in zip(ct_x, lin_x) if l]

  body_avals = ([aval_of(a) for a in res_c] + [aval_of(a) for a in ct_consts_init]
                + [aval_of(a) for a in ct_carry]
                + [aval_of(a).update(shape=aval_of(a).shape[1:]) for a in ct_ys]
                + [aval_of(a).update(shape=aval_of(a).shape[1:]) for a in res_x])
  t_jaxpr, consts = retrace(body, body_avals)
  outs = scan_p.bind(*consts, *res_c, *ct_consts_init, *ct_carry, *ct_ys, *res_x,
                     jaxpr=t_jaxpr, num_consts=len(consts) + n_rc,
                     num_carry=n_acc + num_carry, length=length,
                     reverse=not reverse, unroll=unroll)
  acc, ct_init, ct_xs = _take(outs, [n_acc, num_carry, sum(lin_x)])
  acc_iter, ctx_iter = iter(acc), iter(ct_xs)
  return ([next(acc_iter) if l else None for l in lin_c]
          + [ct if l else None for ct, l in zip(ct_init, lin_cy)]
          + [next(ctx_iter) if l else None for l in lin_x])


scan_p = define_primitive(
    "scan", abstract_eval=_scan_abstract_eval, lower=_scan_lower,
    jvp=_scan_jvp, transpose=_scan_transpose, batch=_scan_batch,
    partial_eval=_scan_partial_eval, multiple_results=True)


# --- while_loop ------------------------------------------------------------------

WHILE_GRAD_MESSAGE = (
    "Reverse-mode differentiation does not work for lax.while_loop: its trip "
    "count is unknown when the backward pass is built. Use lax.scan or "
    "lax.fori_loop with Python-int bounds (reverse-differentiable), or "
    "compute a jvp (forward mode works).")


def while_loop(cond_fun, body_fun, init_val, *, max_steps=None):
  """Repeats `val = body_fun(val)` while `cond_fun(val)` is true.

  Works eagerly and under jit, vmap (lanes whose condition turned false
  stop changing) and jvp. Lowers to stablehlo.while.

  NB: beyond JAX, `max_steps=N` (at most N iterations) makes the loop
  reverse-differentiable: it runs as ceil(N/k) checkpointed segments of
  k = ceil(sqrt(N)) masked steps, so the backward pass stores O(sqrt(N))
  carries and recomputes each segment once (about one extra forward pass),
  and always costs N steps of compute. Without max_steps, reverse mode
  raises an error (as in JAX).

  Example: `while_loop(lambda i: i < 10, lambda i: i + 1, 0)` is 10.
  """
  if max_steps is not None:
    return _bounded_while(cond_fun, body_fun, init_val, operator.index(max_steps))
  init_leaves, carry_tree = tree.tree_flatten(init_val)
  init_leaves = [_strong(c) for c in init_leaves]
  avals = [aval_of(c) for c in init_leaves]
  cond_jaxpr, cond_consts, cond_tree = trace_flat(
      lambda c: cond_fun(c), tree.tree_structure((tree.tree_unflatten(carry_tree, [0] * len(avals)),)),
      avals, "while_loop cond_fun")
  out = cond_jaxpr.out_avals
  if len(out) != 1 or out[0].shape != () or not avals_lib.is_bool(out[0].dtype):
    raise TypeError("while_loop: cond_fun must return a scalar boolean, got "
                    f"{[a.str_short() for a in out]}")
  store = {}

  def body(c):
    new = body_fun(c)
    leaves, store["tree"] = tree.tree_flatten(new)
    store["avals"] = [aval_of(x) for x in leaves]
    return new

  body_jaxpr, body_consts, _ = trace_flat(
      body, tree.tree_structure((tree.tree_unflatten(carry_tree, [0] * len(avals)),)),
      avals, "while_loop body_fun")
  problem = _carry_mismatch("while_loop", carry_tree, store["tree"], avals, store["avals"])
  if problem:
    raise TypeError(problem)
  outs = while_p.bind(*cond_consts, *body_consts, *init_leaves, cond_jaxpr=cond_jaxpr,
                      body_jaxpr=body_jaxpr, cond_nconsts=len(cond_consts),
                      body_nconsts=len(body_consts))
  return tree.tree_unflatten(carry_tree, outs)


def _bounded_while(cond_fun, body_fun, init_val, max_steps):
  """while_loop with at most max_steps iterations, as masked scans in
  sqrt-sized checkpointed segments (reverse-differentiable)."""
  if max_steps < 0:
    raise ValueError(f"while_loop: max_steps must be non-negative, got {max_steps}")
  if max_steps == 0:
    return init_val
  k = math.isqrt(max_steps - 1) + 1 if max_steps > 1 else 1
  segments = -(-max_steps // k)

  def step(state, _):
    i, active, val = state
    go = bitwise_and(bitwise_and(active, lt(i, max_steps)), cond_fun(val))
    new = body_fun(val)
    val = tree.tree_map(lambda n, o: select_n(go, o, n), new, val)
    return (add(i, 1), go, val), None

  def segment(state):
    return scan(step, state, None, length=k)[0]
  segment = checkpoint(segment)

  state = (np.int32(0), np.bool_(True), init_val)
  state, _ = scan(lambda s, _: (segment(s), None), state, None, length=segments)
  return state[2]


def _while_abstract_eval(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
  return list(avals[cond_nconsts + body_nconsts:])


def _while_lower(ctx, *args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
  cc = list(args[:cond_nconsts])
  bc = list(args[cond_nconsts:cond_nconsts + body_nconsts])
  init = list(args[cond_nconsts + body_nconsts:])
  types = [tensor_type(a) for a in ctx.avals_out]
  loop = hlo.WhileOp(types, init)
  cond_block = loop.cond.blocks.append(*types)
  with ir.InsertionPoint(cond_block):
    pred, = lower_jaxpr_body(ctx.module_context, cond_jaxpr.jaxpr,
                             cc + list(cond_block.arguments))
    hlo.return_([pred])
  body_block = loop.body.blocks.append(*types)
  with ir.InsertionPoint(body_block):
    outs = lower_jaxpr_body(ctx.module_context, body_jaxpr.jaxpr,
                            bc + list(body_block.arguments))
    hlo.return_(outs)
  return list(loop.results)


def _while_jvp(primals, tangents, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
  cc, bc, init = _take(primals, [cond_nconsts, body_nconsts, len(primals) - cond_nconsts - body_nconsts])
  _, tbc, tinit = _take(tangents, [cond_nconsts, body_nconsts, len(init)])
  nz_bc = [type(t) is not Zero for t in tbc]
  n = len(init)
  jfun = jvp_of(body_jaxpr, nz_bc + [True] * n)
  n_bct = sum(nz_bc)

  def body(*args):
    b, bt, c, ct = _take(args, [body_nconsts, n_bct, n, n])
    return jfun(*b, *c, *bt, *ct)

  b_avals = list(body_jaxpr.in_avals)
  body_avals = (b_avals[:body_nconsts] + [a for a, z in zip(b_avals[:body_nconsts], nz_bc) if z]
                + b_avals[body_nconsts:] * 2)
  new_body, body_consts = retrace(body, body_avals)

  def cond(*args):
    c = args[cond_nconsts:cond_nconsts + n]
    return closed_fun(cond_jaxpr)(*args[:cond_nconsts], *c)

  cond_avals = list(cond_jaxpr.in_avals[:cond_nconsts]) + b_avals[body_nconsts:] * 2
  new_cond, cond_consts = retrace(cond, cond_avals)
  t_bc = [t for t in tbc if type(t) is not Zero]
  t_init = [instantiate(t) for t in tinit]
  outs = while_p.bind(*cond_consts, *cc, *body_consts, *bc, *t_bc, *init, *t_init,
                      cond_jaxpr=new_cond, body_jaxpr=new_body,
                      cond_nconsts=len(cond_consts) + cond_nconsts,
                      body_nconsts=len(body_consts) + body_nconsts + len(t_bc))
  return outs[:n], outs[n:]


def _while_batch(vals, dims, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
  size = batch_size(vals, dims)
  cc, bc, init = _take(vals, [cond_nconsts, body_nconsts, len(vals) - cond_nconsts - body_nconsts])
  dcc, dbc, dinit = _take(dims, [cond_nconsts, body_nconsts, len(init)])
  init = [bdim_at_front(v, d, size) for v, d in zip(init, dinit)]
  n = len(init)
  carry_avals = [aval_of(v) for v in init]
  cc_avals = [aval_of(v) for v in cc]
  bc_avals = [aval_of(v) for v in bc]
  cond_b = batch_of(cond_jaxpr, dcc + [0] * n, size)

  def cond(*args):
    pred, = cond_b(*args)
    return [reduce_or(pred, (0,))]

  def body(*args):
    b, c_consts, carry = _take(args, [len(bc), len(cc), n])
    new = batch_of(body_jaxpr, dbc + [0] * n, size)(*b, *carry)
    pred, = cond_b(*c_consts, *carry)
    # Lanes whose condition is false keep their value.
    return [select_n(broadcast_in_dim(pred, aval_of(x).shape, (0,)), x, y)
            for x, y in zip(carry, new)]

  new_cond, cond_consts = retrace(cond, cc_avals + carry_avals)
  new_body, body_consts = retrace(body, bc_avals + cc_avals + carry_avals)
  outs = while_p.bind(*cond_consts, *cc, *body_consts, *bc, *cc, *init,
                      cond_jaxpr=new_cond, body_jaxpr=new_body,
                      cond_nconsts=len(cond_consts) + len(cc),
                      body_nconsts=len(body_consts) + len(bc) + len(cc))
  return outs, [0] * n


def _while_partial_eval(trace, args, params):
  raise TypeError(WHILE_GRAD_MESSAGE)


while_p = define_primitive(
    "while", abstract_eval=_while_abstract_eval, lower=_while_lower,
    jvp=_while_jvp, transpose=NOT_LINEAR, batch=_while_batch,
    partial_eval=_while_partial_eval, multiple_results=True)


# --- fori_loop and map ------------------------------------------------------------

def _concrete_int(x):
  if isinstance(x, Tracer):
    return None
  try:
    value = np.asarray(x)
  except Exception:  # noqa: BLE001 - anything that is not a concrete number
    return None
  if value.shape == () and value.dtype.kind in "iu":
    return int(value)
  return None


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
  """`for i in range(lower, upper): val = body_fun(i, val)`.

  With concrete integer bounds it is a scan (reverse-differentiable, as in
  JAX); with traced bounds a while_loop.
  """
  lo, hi = _concrete_int(lower), _concrete_int(upper)
  if lo is not None and hi is not None:
    dtype = np.int32
    def step(carry, i):
      return body_fun(i, carry), None
    idx = add(iota(dtype, hi - lo), lo) if hi > lo else None
    if idx is None:
      return init_val
    carry, _ = scan(step, init_val, idx, unroll=unroll or 1)
    return carry
  lower = convert_element_type(lower, np.int32)
  upper = convert_element_type(upper, np.int32)
  _, _, out = while_loop(lambda s: lt(s[0], s[1]),
                         lambda s: (add(s[0], 1), s[1], body_fun(s[0], s[2])),
                         (lower, upper, init_val))
  return out


def map(f, xs, *, batch_size=None):  # noqa: A001 - jax.lax's name
  """`f` applied to each slice of `xs` along its leading axis (a scan with
  no carry); `batch_size` vmaps f over chunks of that many slices (the
  remainder in one more vmapped call).

  Example: `map(jnp.sum, jnp.ones((4, 3)))` is `[3., 3., 3., 3.]`.
  """
  if batch_size is None:
    _, ys = scan(lambda c, x: (c, f(x)), (), xs)
    return ys
  leaves, x_tree = tree.tree_flatten(xs)
  n = aval_of(leaves[0]).shape[0]
  full, rest = divmod(n, batch_size)
  chunks = [reshape(slice_in_dim(x, 0, full * batch_size),
                    (full, batch_size) + aval_of(x).shape[1:]) for x in leaves]
  _, ys = scan(lambda c, x: (c, _vmapped(f, x, batch_size)), (),
               tree.tree_unflatten(x_tree, chunks))
  ys = tree.tree_map(lambda y: reshape(y, (full * batch_size,) + aval_of(y).shape[2:]), ys)
  if rest:
    tail = tree.tree_unflatten(x_tree, [slice_in_dim(x, full * batch_size, n) for x in leaves])
    ys = tree.tree_map(lambda a, b: concatenate([a, b], 0), ys, _vmapped(f, tail, rest))
  return ys


def _vmapped(f, xs, size):
  """f mapped over the leading axis of the pytree xs."""
  leaves, x_tree = tree.tree_flatten(xs)
  store = {}

  def flat(*ls):
    out_leaves, store["tree"] = tree.tree_flatten(f(tree.tree_unflatten(x_tree, ls)))
    return out_leaves

  outs, dims = batching.vmap_flat(flat, leaves, [0] * len(leaves), size)
  return tree.tree_unflatten(store["tree"], [matchaxis(o, d, 0, size) for o, d in zip(outs, dims)])


# --- associative_scan --------------------------------------------------------------

def associative_scan(fn, elems, reverse=False, axis=0):
  """All prefix combinations `fn(...fn(fn(e0, e1), e2)..., ei)` of the
  pytree `elems` along `axis`, for an associative `fn`, in O(log n)
  rounds of vectorized `fn` calls (the odd/even recursion of parallel
  prefix sums, as JAX does).

  Example: `associative_scan(lax.add, jnp.arange(5))` is the cumulative sum.
  """
  leaves, elems_tree = tree.tree_flatten(elems)
  if not leaves:
    return elems
  ndim = aval_of(leaves[0]).ndim
  if not -ndim <= axis < ndim:
    raise ValueError(f"associative_scan: axis {axis} is out of bounds for rank {ndim}")
  axis %= ndim
  n = aval_of(leaves[0]).shape[axis]
  if any(aval_of(x).shape[axis] != n for x in leaves):
    raise ValueError("associative_scan: every leaf of elems needs the same "
                     f"length along axis {axis}, got {[aval_of(x).shape for x in leaves]}")
  if reverse:
    leaves = [rev(x, (axis,)) for x in leaves]

  def combine(a, b):
    out_leaves, out_tree = tree.tree_flatten(
        fn(tree.tree_unflatten(elems_tree, a), tree.tree_unflatten(elems_tree, b)))
    if out_tree != elems_tree:
      raise TypeError(f"associative_scan: fn must return the structure of elems, "
                      f"{elems_tree}; got {out_tree}")
    return out_leaves

  def scan_level(xs):
    size = aval_of(xs[0]).shape[axis]
    if size < 2:
      return xs
    pairs = combine([slice_in_dim(x, 0, size - 1, 2, axis) for x in xs],
                    [slice_in_dim(x, 1, size, 2, axis) for x in xs])
    odd = scan_level(pairs)
    if size % 2 == 0:
      even = combine([slice_in_dim(x, 0, aval_of(x).shape[axis] - 1, axis=axis) for x in odd],
                     [slice_in_dim(x, 2, size, 2, axis) for x in xs])
    else:
      even = combine(odd, [slice_in_dim(x, 2, size, 2, axis) for x in xs])
    even = [concatenate([slice_in_dim(x, 0, 1, axis=axis), e], axis) for x, e in zip(xs, even)]
    return [_interleave(e, o, axis) for e, o in zip(even, odd)]

  out = scan_level(leaves)
  if reverse:
    out = [rev(x, (axis,)) for x in out]
  return tree.tree_unflatten(elems_tree, out)


def _interleave(a, b, axis):
  """a[0], b[0], a[1], b[1], ... along axis (a may be one longer)."""
  na, nb = aval_of(a).shape[axis], aval_of(b).shape[axis]
  if na == nb + 1:
    pad_cfg = [(0, 0, 0)] * aval_of(b).ndim
    pad_cfg[axis] = (0, 1, 0)
    b = pad(b, _zero_like_dtype(b), pad_cfg)
  stacked = concatenate([expand_dims(a, (axis + 1,)), expand_dims(b, (axis + 1,))], axis + 1)
  shape = list(aval_of(a).shape)
  shape[axis] = 2 * na
  merged = reshape(stacked, tuple(shape))
  return slice_in_dim(merged, 0, na + nb, axis=axis)


def _zero_like_dtype(x):
  return np.zeros((), aval_of(x).dtype)
