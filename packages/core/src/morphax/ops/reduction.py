"""Reduction primitives: reduce_sum/max/min/prod/and/or/xor, argmax/argmin and
the cumulative reductions cumsum/cumprod/cummax/cummin/cumlogsumexp.
"""

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core import tree
from ..core.avals import ShapedArray
from ..core.ad_util import Zero
from ..core.primitive import NOT_LINEAR, define_primitive
from ..core.trace import Tracer
from ..interpreters.lowering import (compare, constant, i64_array, make_region,
                                     scalar_type, tensor_type)
from . import bits, elementwise, shape
from ._factories import defjvp, defjvp_zero, deflinear
from .convert import convert_element_type
from .shape import broadcast_in_dim
from ._checks import (ANY, BOOL, FLOAT, INT, INTEGRAL, NUMERIC, REAL, aval_of,
                         canonicalize_axes, canonicalize_axis, check_dtype)

__all__ = [
    "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and",
    "reduce_or", "reduce_xor", "reduce", "argmax", "argmin", "cumsum",
    "cumprod", "cummax", "cummin", "cumlogsumexp",
]


# --- Identities and comparisons shared with sort.py and window.py -----------

def max_identity(dtype):
  """The identity of max: the smallest value of `dtype` (-inf for floats)."""
  dtype = np.dtype(dtype)
  if avals_lib.is_bool(dtype):
    return np.array(False)
  if avals_lib.is_integer(dtype):
    return np.array(np.iinfo(dtype).min, dtype)
  return np.array(-np.inf, dtype)


def min_identity(dtype):
  """The identity of min: the largest value of `dtype` (+inf for floats)."""
  dtype = np.dtype(dtype)
  if avals_lib.is_bool(dtype):
    return np.array(True)
  if avals_lib.is_integer(dtype):
    return np.array(np.iinfo(dtype).max, dtype)
  return np.array(np.inf, dtype)


def _all_ones(dtype):
  dtype = np.dtype(dtype)
  if avals_lib.is_bool(dtype):
    return np.array(True)
  return np.array(-1).astype(dtype) if avals_lib.is_signed(dtype) else \
      np.array(np.iinfo(dtype).max, dtype)


def _lexicographic(direction, fallback):
  """max/min bodies: XLA's maximum/minimum do not order complex numbers
  lexicographically (numpy and JAX do), so complex operands compare real
  parts, then imaginary parts."""
  def combine(x, y):
    element = ir.RankedTensorType(x.type).element_type
    if not isinstance(element, ir.ComplexType):
      return fallback(x, y)
    part = (avals_lib.float64 if isinstance(element.element_type, ir.F64Type)
            else avals_lib.float32)
    rx, ry, ix, iy = hlo.real(x), hlo.real(y), hlo.imag(x), hlo.imag(y)
    x_wins = hlo.or_(compare(rx, ry, direction, part),
                     hlo.and_(compare(rx, ry, "EQ", part),
                              compare(ix, iy, direction, part)))
    return hlo.select(x_wins, x, y)
  return combine


# --- reduce_sum, reduce_max, ... ---------------------------------------------

def _reduce_abstract_eval(name, classes):
  def abstract_eval(operand, *, axes):
    check_dtype(name, operand.dtype, classes, "operand")
    if canonicalize_axes(name, axes, operand.ndim) != tuple(axes):
      raise ValueError(f"{name}: axes must be non-negative, got {axes}")
    shape = tuple(d for i, d in enumerate(operand.shape) if i not in axes)
    return ShapedArray(shape, operand.dtype, operand.weak_type)
  return abstract_eval


def _reduce_lower(identity, combine):
  """A lowering to stablehlo.reduce with a scalar body `combine(acc, x)`."""
  def lower(ctx, operand, *, axes):
    if not axes:
      return operand
    dtype = ctx.avals_in[0].dtype
    op = hlo.ReduceOp([tensor_type(ctx.avals_out[0])], [operand],
                      [constant(identity(dtype), dtype)], i64_array(axes))
    make_region(op.body, [scalar_type(dtype)] * 2, combine)
    return op.result
  return lower


def _reduce_batch(prim):
  """Reductions (and argmax/argmin) batch by shifting their axes past the
  batch dim."""
  def rule(vals, dims, *, axes, **params):
    (x,), (d,) = vals, dims
    new_axes = tuple(a + (a >= d) for a in axes)
    out_dim = d - sum(a < d for a in axes)
    return prim.bind(x, axes=new_axes, **params), out_dim
  return rule


def _reduction(name, classes, identity, combine, *, jvp=None, uses_ans=False):
  """A reduction primitive; `jvp` is its tangent function (see defjvp)."""
  prim = define_primitive(
      name, abstract_eval=_reduce_abstract_eval(name, classes),
      lower=_reduce_lower(identity, combine), transpose=NOT_LINEAR)
  prim.batch = _reduce_batch(prim)
  if jvp is not None:
    defjvp(prim, jvp, uses_ans=uses_ans)
  return prim


def _bind_reduction(prim, operand, axes):
  axes = canonicalize_axes(prim.name, axes, aval_of(operand).ndim)
  return prim.bind(operand, axes=axes)


def reduce_sum(operand, axes):
  """Sum of `operand` over `axes` (a sequence; empty sums nothing).

  A reduction over a size-0 dimension gives 0. Lowers to stablehlo.reduce
  with an add body.

  Example: `reduce_sum(x_f32[2, 3], (1,))` is an f32[2].
  """
  return _bind_reduction(reduce_sum_p, operand, axes)
reduce_sum_p = _reduction("reduce_sum", NUMERIC, lambda d: 0, hlo.add)


def _reduce_sum_transpose(ct, operand, *, axes):
  shape = operand.aval.shape
  kept = tuple(i for i in range(len(shape)) if i not in axes)
  return [broadcast_in_dim(ct, shape, kept)]


deflinear(reduce_sum_p, _reduce_sum_transpose)


def _reduce_chooser_jvp(t, ans, operand, *, axes):
  """reduce_max/min: the tangent at the positions that attain the result,
  averaged over ties (JAX's equality-mask rule)."""
  aval = aval_of(operand)
  kept = tuple(i for i in range(aval.ndim) if i not in axes)
  hit = bits.eq(operand, broadcast_in_dim(ans, aval.shape, kept))
  mask = convert_element_type(hit, aval_of(t).dtype)
  return elementwise.div(reduce_sum(elementwise.mul(t, mask), axes),
                         reduce_sum(mask, axes))


def reduce_max(operand, axes):
  """Maximum of `operand` over `axes`; NaNs propagate and complex numbers
  compare lexicographically. An empty reduction gives -inf (floats), the
  dtype's minimum (ints) or False. Lowers to stablehlo.reduce with a maximum
  body."""
  return _bind_reduction(reduce_max_p, operand, axes)
reduce_max_p = _reduction("reduce_max", ANY, max_identity,
                          _lexicographic("GT", hlo.maximum),
                          jvp=_reduce_chooser_jvp, uses_ans=True)


def reduce_min(operand, axes):
  """Minimum of `operand` over `axes`; NaNs propagate and complex numbers
  compare lexicographically. An empty reduction gives +inf (floats), the
  dtype's maximum (ints) or True. Lowers to stablehlo.reduce with a minimum
  body."""
  return _bind_reduction(reduce_min_p, operand, axes)
reduce_min_p = _reduction("reduce_min", ANY, min_identity,
                          _lexicographic("LT", hlo.minimum),
                          jvp=_reduce_chooser_jvp, uses_ans=True)


def reduce_prod(operand, axes):
  """Product of `operand` over `axes`; an empty product is 1. Lowers to
  stablehlo.reduce with a multiply body."""
  return _bind_reduction(reduce_prod_p, operand, axes)


def _reduce_prod_jvp(t, operand, *, axes):
  """d prod(x) = sum_i t_i * prod_{j != i} x_j. The reduced axes are moved
  last and flattened; the product of the others is an exclusive cumprod from
  the left times one from the right, so zeros in `operand` are handled (no
  division by x)."""
  if not axes:
    return t
  aval = aval_of(operand)
  kept = [i for i in range(aval.ndim) if i not in axes]
  size = int(np.prod([aval.shape[a] for a in axes]))
  flat_shape = tuple(aval.shape[i] for i in kept) + (size,)
  last = len(kept)

  def flatten(v):
    return shape.reshape(shape.transpose(v, tuple(kept) + tuple(axes)),
                         flat_shape)

  def exclusive(v, reverse):
    config = [(0, 0, 0)] * len(flat_shape)
    config[last] = (-1, 1, 0) if reverse else (1, -1, 0)
    return shape.pad(v, np.ones((), aval.dtype), config)

  x = flatten(operand)
  before = exclusive(cumprod(x, last), False)
  after = exclusive(cumprod(x, last, reverse=True), True)
  others = elementwise.mul(before, after)
  return reduce_sum(elementwise.mul(flatten(t), others), (last,))


reduce_prod_p = _reduction("reduce_prod", NUMERIC, lambda d: 1, hlo.multiply,
                           jvp=_reduce_prod_jvp)


def reduce_and(operand, axes):
  """Logical (bool) or bitwise (integers) AND over `axes`; an empty
  reduction gives True (all bits set). Lowers to stablehlo.reduce with an
  and body."""
  return _bind_reduction(reduce_and_p, operand, axes)
reduce_and_p = _reduction("reduce_and", INTEGRAL, _all_ones, hlo.and_)
defjvp_zero(reduce_and_p)


def reduce_or(operand, axes):
  """Logical (bool) or bitwise (integers) OR over `axes`; an empty
  reduction gives False (0). Lowers to stablehlo.reduce with an or body."""
  return _bind_reduction(reduce_or_p, operand, axes)
reduce_or_p = _reduction("reduce_or", INTEGRAL, lambda d: 0, hlo.or_)
defjvp_zero(reduce_or_p)


def reduce_xor(operand, axes):
  """Logical (bool) or bitwise (integers) XOR over `axes`; an empty
  reduction gives False (0). Lowers to stablehlo.reduce with an xor body."""
  return _bind_reduction(reduce_xor_p, operand, axes)
reduce_xor_p = _reduction("reduce_xor", INTEGRAL, lambda d: 0, hlo.xor)
defjvp_zero(reduce_xor_p)


# --- reduce: the monoid cases of lax.reduce ----------------------------------

REDUCE_UNSUPPORTED_MESSAGE = (
    "reduce: only monoid reductions of one operand are supported for now: "
    "computation lax.add, lax.mul, lax.max, lax.min, lax.bitwise_and, "
    "lax.bitwise_or or lax.bitwise_xor with that operation's identity as "
    "init_value (0, 1, the dtype's lowest/highest value, all ones, 0, 0), e.g. "
    "lax.reduce(x, 0., lax.add, (0,)) or lax.reduce(x, -np.inf, lax.max, "
    "(0,)). Got computation={computation!r} and init_value={init!r}. Other "
    "computations need jaxpr tracing, which morphax does not have yet.")

REDUCE_STRUCTURE_MESSAGE = (
    "reduce: operands and init_values must have the same tree structure, "
    "got {ops} and {inits}")


def _monoid_reducers():
  """(computation, reduction, identity) triples that lax.reduce recognizes."""
  return [(elementwise.add, reduce_sum, lambda d: 0),
          (elementwise.mul, reduce_prod, lambda d: 1),
          (elementwise.max, reduce_max, max_identity),
          (elementwise.min, reduce_min, min_identity),
          (bits.bitwise_and, reduce_and, _all_ones),
          (bits.bitwise_or, reduce_or, lambda d: 0),
          (bits.bitwise_xor, reduce_xor, lambda d: 0)]


def _concrete_scalar(init):
  if isinstance(init, Tracer):
    return None
  value = np.asarray(init)
  return value if value.shape == () else None


def reduce(operands, init_values, computation, dimensions):
  """Reduces `operands` over `dimensions` with `computation`, starting from
  `init_values` (pytrees of the same structure).

  NB: only monoids of one operand are supported (lax.add/mul/max/min and the
  bitwise and/or/xor, with their identity as init value); they become
  reduce_sum, reduce_prod, ... as in JAX. Other computations raise
  NotImplementedError until jaxpr tracing exists.

  Example: `reduce(x, 0., lax.add, (0,))` is `reduce_sum(x, (0,))`.
  """
  flat_ops, ops_tree = tree.tree_flatten(operands)
  flat_inits, inits_tree = tree.tree_flatten(init_values)
  if ops_tree != inits_tree:
    raise ValueError(REDUCE_STRUCTURE_MESSAGE.format(ops=ops_tree,
                                                     inits=inits_tree))
  if len(flat_ops) == 1:
    dtype = aval_of(flat_ops[0]).dtype
    init = _concrete_scalar(flat_inits[0])
    for fn, reduction, identity in _monoid_reducers():
      if (computation is fn and init is not None
          and _same_value(init, identity(dtype))):
        return tree.tree_unflatten(ops_tree, [reduction(flat_ops[0], dimensions)])
  raise NotImplementedError(REDUCE_UNSUPPORTED_MESSAGE.format(
      computation=computation, init=init_values))


def _same_value(init, identity):
  with np.errstate(invalid="ignore"):
    return bool(np.asarray(init == identity))


# --- argmax, argmin ------------------------------------------------------------

ARG_EMPTY_MESSAGE = (
    "{name}: the reduced dimension must be non-empty, got operand shape "
    "{shape} and axis {axis}")


def _argminmax_abstract_eval(name):
  def abstract_eval(operand, *, axes, index_dtype):
    check_dtype(name, operand.dtype, (BOOL, INT, FLOAT), "operand")
    check_dtype(name, index_dtype, INT, "index_dtype")
    axis, = axes
    if not 0 <= axis < operand.ndim:
      raise ValueError(f"{name}: axis {axis} is out of bounds for an array of "
                       f"rank {operand.ndim}")
    if operand.shape[axis] == 0:
      raise ValueError(ARG_EMPTY_MESSAGE.format(name=name, shape=operand.shape,
                                                axis=axis))
    shape = operand.shape[:axis] + operand.shape[axis + 1:]
    return ShapedArray(shape, index_dtype, False)
  return abstract_eval


def _argminmax_lower(direction, identity):
  """A variadic stablehlo.reduce over (value, index) pairs. The body keeps
  the pair that wins under a total order (NaN beats everything, ties go to
  the lower index), so it is commutative and associative as reduce needs."""
  def lower(ctx, operand, *, axes, index_dtype):
    aval_in, aval_out = ctx.avals_in[0], ctx.avals_out[0]
    dtype = aval_in.dtype
    iota = hlo.iota(tensor_type(aval_in.shape, index_dtype), axes[0])
    op = hlo.ReduceOp(
        [tensor_type(aval_out.shape, dtype), tensor_type(aval_out)],
        [operand, iota], [constant(identity(dtype), dtype),
                          constant(0, index_dtype)], i64_array(axes))

    def body(a, a_idx, b, b_idx):
      a_wins = compare(a, b, direction, dtype)
      tie = compare(a, b, "EQ", dtype)
      if avals_lib.is_float(dtype):
        a_nan = compare(a, a, "NE", dtype)
        b_nan = compare(b, b, "NE", dtype)
        a_wins = hlo.or_(a_wins, hlo.and_(a_nan, hlo.not_(b_nan)))
        tie = hlo.or_(tie, hlo.and_(a_nan, b_nan))
      first = compare(a_idx, b_idx, "LT", index_dtype)
      pick_a = hlo.or_(a_wins, hlo.and_(tie, first))
      return [hlo.select(pick_a, a, b), hlo.select(pick_a, a_idx, b_idx)]

    make_region(op.body, [scalar_type(dtype), scalar_type(index_dtype)] * 2,
                body)
    return op.results[1]
  return lower


def _bind_argminmax(prim, operand, axis, index_dtype):
  axis = canonicalize_axis(prim.name, axis, aval_of(operand).ndim)
  index_dtype = avals_lib.canonicalize_dtype(index_dtype)
  return prim.bind(operand, axes=(axis,), index_dtype=index_dtype)


def argmax(operand, axis, index_dtype):
  """Index of the maximum of `operand` along `axis`, as `index_dtype`.

  Ties give the first index; a NaN counts as the maximum, so the index of the
  first NaN is returned. Lowers to a variadic stablehlo.reduce over (value,
  iota) pairs.

  Example: `argmax(np.array([1., 3., 3.]), 0, np.int32)` is 1.
  """
  return _bind_argminmax(argmax_p, operand, axis, index_dtype)
argmax_p = define_primitive(
    "argmax", abstract_eval=_argminmax_abstract_eval("argmax"),
    lower=_argminmax_lower("GT", max_identity))
argmax_p.batch = _reduce_batch(argmax_p)
defjvp_zero(argmax_p)


def argmin(operand, axis, index_dtype):
  """Index of the minimum of `operand` along `axis`, as `index_dtype`.

  Ties give the first index; a NaN counts as the minimum, so the index of the
  first NaN is returned. Lowers to a variadic stablehlo.reduce over (value,
  iota) pairs.
  """
  return _bind_argminmax(argmin_p, operand, axis, index_dtype)
argmin_p = define_primitive(
    "argmin", abstract_eval=_argminmax_abstract_eval("argmin"),
    lower=_argminmax_lower("LT", min_identity))
argmin_p.batch = _reduce_batch(argmin_p)
defjvp_zero(argmin_p)


# --- Cumulative reductions ---------------------------------------------------

def _cumulative_abstract_eval(name, classes):
  def abstract_eval(operand, *, axis, reverse):
    check_dtype(name, operand.dtype, classes, "operand")
    if not 0 <= axis < operand.ndim:
      raise ValueError(f"{name}: axis {axis} is out of bounds for an array of "
                       f"shape {operand.shape}")
    return operand
  return abstract_eval


def _cumulative_lower(identity, combine):
  """A Hillis-Steele scan: for d = 1, 2, 4, ... combine each element with the
  one d places before it (a stablehlo.pad with the identity shifts it in).

  Costs ceil(log2 n) pad+combine steps, O(n log n) work, for n the axis
  length; a reduce_window with a window of n would be one op but O(n^2)."""
  def lower(ctx, x, *, axis, reverse):
    aval = ctx.avals_in[0]
    n, ndim = aval.shape[axis], aval.ndim
    fill = constant(identity(aval.dtype), aval.dtype)
    zeros = [0] * ndim
    d = 1
    while d < n:
      low, high = list(zeros), list(zeros)
      low[axis], high[axis] = (-d, d) if reverse else (d, -d)
      shifted = hlo.pad(x, fill, i64_array(low), i64_array(high),
                        i64_array(zeros))
      x = combine(aval, shifted, x)
      d *= 2
    return x
  return lower


def _logaddexp(aval, x, y):
  """log(exp(x) + exp(y)) as max + log1p(exp(-|x - y|)); where the max is
  infinite (both -inf, or one +inf) the max itself is the answer."""
  big = hlo.maximum(x, y)
  gap = hlo.negate(hlo.abs(hlo.subtract(x, y)))
  out = hlo.add(big, hlo.log_plus_one(hlo.exponential(gap)))
  inf = constant(np.inf, aval.dtype, aval.shape)
  return hlo.select(compare(hlo.abs(big), inf, "EQ", aval.dtype), big, out)


def _cumulative_batch(prim):
  """Cumulative reductions batch by shifting their axis past the batch dim."""
  def rule(vals, dims, *, axis, reverse):
    (x,), (d,) = vals, dims
    return prim.bind(x, axis=axis + (d <= axis), reverse=reverse), d
  return rule


def _scan_jvp(prim, identity, combine_jvp):
  """The JVP of a cumulative reduction: the Hillis-Steele scan of the
  lowering, run with ops on (value, tangent) pairs so that it stays
  differentiable. `combine_jvp(a, ta, b, tb)` gives the pair (c, tc) for the
  earlier element `a` combined into `b`; padding shifts in the identity and a
  zero tangent. Like JAX's associative-scan definition this handles zeros
  (cumprod) and infinities (cumlogsumexp) without dividing."""
  def rule(primals, tangents, *, axis, reverse):
    (x,), (t,) = primals, tangents
    ans = prim.bind(x, axis=axis, reverse=reverse)
    aval = aval_of(x)
    fill = np.asarray(identity(aval.dtype), aval.dtype)
    zero = np.zeros((), aval_of(t).dtype)
    d = 1
    while d < aval.shape[axis]:
      config = [(0, 0, 0)] * aval.ndim
      config[axis] = (-d, d, 0) if reverse else (d, -d, 0)
      x, t = combine_jvp(shape.pad(x, fill, config), shape.pad(t, zero, config),
                         x, t)
      d *= 2
    return ans, t
  return rule


def _cumulative(name, classes, identity, combine, *, combine_jvp=None):
  prim = define_primitive(
      name, abstract_eval=_cumulative_abstract_eval(name, classes),
      lower=_cumulative_lower(identity, combine), transpose=NOT_LINEAR)
  prim.batch = _cumulative_batch(prim)
  if combine_jvp is not None:
    prim.jvp = _scan_jvp(prim, identity, combine_jvp)
  return prim


def _bind_cumulative(prim, operand, axis, reverse):
  # NB: JAX's lax.cumsum rejects negative axes; we accept them, as jnp does.
  axis = canonicalize_axis(prim.name, axis, aval_of(operand).ndim)
  return prim.bind(operand, axis=axis, reverse=bool(reverse))


def cumsum(operand, axis=0, reverse=False):
  """Cumulative sum along `axis` (from the end when `reverse`).

  Lowers to log2(n) rounds of stablehlo.pad + stablehlo.add.

  Example: `cumsum(np.array([1, 2, 3]))` is [1, 3, 6].
  """
  return _bind_cumulative(cumsum_p, operand, axis, reverse)
cumsum_p = _cumulative("cumsum", NUMERIC, lambda d: 0,
                       lambda aval, x, y: hlo.add(x, y))


def _cumsum_transpose(ct, operand, *, axis, reverse):
  return [cumsum(ct, axis, not reverse)]


deflinear(cumsum_p, _cumsum_transpose)


def cumprod(operand, axis=0, reverse=False):
  """Cumulative product along `axis`. Lowers to log2(n) rounds of
  stablehlo.pad + stablehlo.multiply."""
  return _bind_cumulative(cumprod_p, operand, axis, reverse)


def _cumprod_combine_jvp(a, ta, b, tb):
  mul, add = elementwise.mul, elementwise.add
  return mul(a, b), add(mul(ta, b), mul(a, tb))


cumprod_p = _cumulative("cumprod", NUMERIC, lambda d: 1,
                        lambda aval, x, y: hlo.multiply(x, y),
                        combine_jvp=_cumprod_combine_jvp)


def cummax(operand, axis=0, reverse=False):
  """Cumulative maximum along `axis`; NaNs propagate. Lowers to log2(n)
  rounds of stablehlo.pad + stablehlo.maximum."""
  return _bind_cumulative(cummax_p, operand, axis, reverse)


def _chooser_combine_jvp(choose, beats, beats_or_ties):
  """cummax/cummin: the tangent follows the chosen element, so the result's
  tangent is the one at the running argmax; a tie of the two combined
  elements splits it evenly, as JAX's max/min JVP does."""
  def combine(a, ta, b, tb):
    dtype = aval_of(ta).dtype
    weight_a = elementwise.mul(
        elementwise.add(convert_element_type(beats(a, b), dtype),
                        convert_element_type(beats_or_ties(a, b), dtype)),
        0.5)
    weight_b = elementwise.sub(1.0, weight_a)
    return choose(a, b), elementwise.add(elementwise.mul(ta, weight_a),
                                         elementwise.mul(tb, weight_b))
  return combine


cummax_p = _cumulative("cummax", REAL, max_identity,
                       lambda aval, x, y: hlo.maximum(x, y),
                       combine_jvp=_chooser_combine_jvp(elementwise.max,
                                                        bits.gt, bits.ge))


def cummin(operand, axis=0, reverse=False):
  """Cumulative minimum along `axis`; NaNs propagate. Lowers to log2(n)
  rounds of stablehlo.pad + stablehlo.minimum."""
  return _bind_cumulative(cummin_p, operand, axis, reverse)
cummin_p = _cumulative("cummin", REAL, min_identity,
                       lambda aval, x, y: hlo.minimum(x, y),
                       combine_jvp=_chooser_combine_jvp(elementwise.min,
                                                        bits.lt, bits.le))


def cumlogsumexp(operand, axis=0, reverse=False):
  """Cumulative log(sum(exp(x))) along `axis`, computed stably (no overflow
  for large inputs). Lowers to log2(n) rounds of stablehlo.pad and a
  max + log1p(exp(-|x - y|)) combine."""
  return _bind_cumulative(cumlogsumexp_p, operand, axis, reverse)


def _logaddexp_combine_jvp(a, ta, b, tb):
  """c = log(exp(a) + exp(b)) computed as in the lowering; its tangent
  weighs ta and tb by the softmax weights exp(a - c) and exp(b - c), which
  are 0, not NaN, for a padded -inf."""
  ew = elementwise
  c = ew.add(ew.max(a, b), ew.log1p(ew.exp(ew.neg(ew.abs(ew.sub(a, b))))))
  return c, ew.add(ew.mul(ta, ew.exp(ew.sub(a, c))),
                   ew.mul(tb, ew.exp(ew.sub(b, c))))


cumlogsumexp_p = _cumulative("cumlogsumexp", FLOAT,
                             lambda d: np.array(-np.inf, d), _logaddexp,
                             combine_jvp=_logaddexp_combine_jvp)
