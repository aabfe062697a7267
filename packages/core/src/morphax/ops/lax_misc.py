"""The rest of jax.lax's public helpers: empty/tile/mulhi, index_take and
scatter_apply, convolution shape helpers and type aliases, approx top-k,
the optimization_barrier and rng_bit_generator primitives, and
custom_linear_solve / custom_root (implicit differentiation).
"""

import enum
from collections.abc import Sequence
from typing import Union

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo as hlo

from .. import api
from ..core import avals as avals_lib
from ..core import tree
from ..core.avals import ShapedArray
from ..core.primitive import NOT_DIFFERENTIABLE, NOT_LINEAR, define_primitive
from ..interpreters.lowering import tensor_type
from . import bits, convert, elementwise
from . import shape as shape_ops
from ._checks import aval_of
from ._factories import bdim_at_front, instantiate
from ._jaxpr_util import closed_fun, trace_flat
from .custom_derivatives import custom_vjp
from .indexing import GatherDimensionNumbers, gather, scatter
from .lax_extras import select
from .linalg import ConvDimensionNumbers, conv_dimension_numbers
from .sort import top_k
from .window import padtype_to_pads

__all__ = [
    "empty", "tile", "mulhi", "optimization_barrier", "index_take",
    "scatter_apply", "conv_general_shape_tuple", "conv_shape_tuple",
    "conv_transpose_shape_tuple", "conv_general_permutations",
    "ConvGeneralDilatedDimensionNumbers", "DotDimensionNumbers",
    "approx_max_k", "approx_min_k", "RandomAlgorithm", "rng_bit_generator",
    "dtype", "custom_linear_solve", "custom_root",
]

ConvGeneralDilatedDimensionNumbers = Union[
    tuple[str, str, str], ConvDimensionNumbers, None]
DotDimensionNumbers = tuple[tuple[Sequence[int], Sequence[int]],
                            tuple[Sequence[int], Sequence[int]]]

TILE_MESSAGE = (
    "tile: reps must have one entry per axis of the operand: got reps={reps} "
    "for an operand of shape {shape}")
MULHI_MESSAGE = (
    "mulhi: needs two integer arrays of one dtype and shape, got {x} and {y}")
INDEX_TAKE_MESSAGE = (
    "index_take: got {n} index arrays for axes {axes}; pass one 1-d integer "
    "array per axis, all of one length")
RNG_DTYPE_MESSAGE = (
    "rng_bit_generator: dtype must be an unsigned integer type (uint8, "
    "uint16, uint32, uint64), got {dtype}")
RNG_KEY_MESSAGE = (
    "rng_bit_generator: key must be a uint32 array of shape (4,), got {aval}")
TRANSPOSE_SOLVE_MESSAGE = (
    "custom_linear_solve: reverse-mode differentiation needs transpose_solve "
    "(or symmetric=True)")
LINEAR_SOLVE_TREE_MESSAGE = (
    "custom_linear_solve: matvec must map b's structure {b} to itself, got {out}")


# --- Small array helpers -----------------------------------------------------------

def empty(shape, dtype, *, out_sharding=None):
  """An array of `shape` and `dtype` whose values are unspecified (zeros
  here)."""
  return shape_ops.full(tuple(shape), 0, avals_lib.canonicalize_dtype(dtype))


def tile(operand, reps):
  """`operand` repeated reps[i] times along axis i (len(reps) == ndim)."""
  a = aval_of(operand)
  reps = tuple(int(r) for r in reps)
  if len(reps) != a.ndim:
    raise TypeError(TILE_MESSAGE.format(reps=reps, shape=a.shape))
  interleaved = tuple(d for r, n in zip(reps, a.shape) for d in (r, n))
  out = shape_ops.broadcast_in_dim(operand, interleaved, tuple(range(1, 2 * a.ndim, 2)))
  return shape_ops.reshape(out, tuple(r * n for r, n in zip(reps, a.shape)))


def dtype(x):
  """The dtype morphax gives `x` (Python scalars and 64-bit types are
  canonicalized, as jax.lax.dtype does)."""
  if isinstance(x, type) or isinstance(x, (str, np.dtype)):
    return avals_lib.canonicalize_dtype(x)
  dt = getattr(x, "dtype", None)
  return avals_lib.canonicalize_dtype(np.asarray(x).dtype if dt is None else dt)


def mulhi(x, y, /):
  """The high half of the double-width product x * y, for integers of one
  dtype (signed results floor, as an arithmetic shift would)."""
  ax, ay = aval_of(x), aval_of(y)
  if (ax.dtype != ay.dtype or ax.shape != ay.shape
      or not avals_lib.is_integer(ax.dtype)):
    raise TypeError(MULHI_MESSAGE.format(x=ax, y=ay))
  width = np.dtype(ax.dtype).itemsize * 8
  udt = np.dtype(f"uint{width}")
  ux, uy = convert.convert_element_type(x, udt), convert.convert_element_type(y, udt)
  hi = _mulhi_unsigned(ux, uy, width)
  if avals_lib.is_signed(ax.dtype):
    # (x mod 2^w)(y mod 2^w) overcounts by 2^w y when x < 0 (and likewise).
    zero = shape_ops.full(ax.shape, 0, ax.dtype)
    hi = elementwise.sub(hi, select(bits.lt(x, zero), uy, shape_ops.full(ax.shape, 0, udt)))
    hi = elementwise.sub(hi, select(bits.lt(y, zero), ux, shape_ops.full(ax.shape, 0, udt)))
  return convert.convert_element_type(hi, ax.dtype)


def _mulhi_unsigned(x, y, width):
  """High word of x * y for unsigned words, from half-word products."""
  half = width // 2
  dt, shp = aval_of(x).dtype, aval_of(x).shape
  h, mask = shape_ops.full(shp, half, dt), shape_ops.full(shp, (1 << half) - 1, dt)
  x_lo, x_hi = bits.bitwise_and(x, mask), bits.shift_right_logical(x, h)
  y_lo, y_hi = bits.bitwise_and(y, mask), bits.shift_right_logical(y, h)
  mul, add = elementwise.mul, elementwise.add
  lo_lo, hi_lo = mul(x_lo, y_lo), mul(x_hi, y_lo)
  lo_hi, hi_hi = mul(x_lo, y_hi), mul(x_hi, y_hi)
  cross = add(add(bits.shift_right_logical(lo_lo, h), bits.bitwise_and(hi_lo, mask)), lo_hi)
  return add(add(hi_hi, bits.shift_right_logical(hi_lo, h)),
             bits.shift_right_logical(cross, h))


# --- Gather / scatter conveniences ---------------------------------------------------

def index_take(src, idxs, axes):
  """src[idxs[0], idxs[1], ...] with idxs[i] indexing axes[i]: the result
  has shape (n,) + the shape of the axes not indexed."""
  axes = tuple(int(a) for a in axes)
  idxs = tuple(idxs)
  a = aval_of(src)
  lengths = {aval_of(i).shape for i in idxs}
  if len(idxs) != len(axes) or len(lengths) != 1 or len(next(iter(lengths))) != 1:
    raise TypeError(INDEX_TAKE_MESSAGE.format(n=len(idxs), axes=axes))
  cols = [shape_ops.expand_dims(convert.convert_element_type(i, np.int32), (1,)) for i in idxs]
  indices = shape_ops.concatenate(cols, 1)
  dnums = GatherDimensionNumbers(
      offset_dims=tuple(range(1, a.ndim - len(axes) + 1)),
      collapsed_slice_dims=tuple(sorted(axes)), start_index_map=axes)
  sizes = tuple(1 if d in axes else n for d, n in enumerate(a.shape))
  return gather(src, indices, dnums, sizes)


def scatter_apply(operand, scatter_indices, func, dimension_numbers, *,
                  update_shape=(), indices_are_sorted=False,
                  unique_indices=False, mode=None):
  """`operand` with func applied to the entries the scatter indices select
  (each selected entry once, however often it is selected)."""
  ones = shape_ops.full(tuple(update_shape), 1, np.int32)
  hit = scatter(shape_ops.full(aval_of(operand).shape, 0, np.int32), scatter_indices,
                ones, dimension_numbers, indices_are_sorted=indices_are_sorted,
                unique_indices=unique_indices, mode=mode)
  zero = shape_ops.full(aval_of(hit).shape, 0, np.int32)
  return select(bits.ne(hit, zero), func(operand), operand)


# --- Convolution shapes --------------------------------------------------------------

def conv_general_permutations(dimension_numbers):
  """(lhs_perm, rhs_perm, out_perm) for three layout strings: each lists
  the axes in (batch/out-feature, feature/in-feature, *spatial) order."""
  lhs = dimension_numbers[0]
  n = len(lhs)
  return tuple(conv_dimension_numbers((1,) * n, (1,) * n, tuple(dimension_numbers)))


def conv_shape_tuple(lhs_shape, rhs_shape, strides, pads, batch_group_count=1):
  """Output shape of a convolution of NC... lhs with OI... rhs."""
  if isinstance(pads, str):
    pads = padtype_to_pads(lhs_shape[2:], rhs_shape[2:], strides, pads)
  space = tuple(max(0, (n + lo + hi - k) // s + 1) for n, k, s, (lo, hi)
                in zip(lhs_shape[2:], rhs_shape[2:], strides, pads))
  return (lhs_shape[0] // batch_group_count, rhs_shape[0]) + space


def _permuted_shapes(lhs_shape, rhs_shape, dimension_numbers):
  dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
  return (tuple(lhs_shape[i] for i in dn.lhs_spec),
          tuple(rhs_shape[i] for i in dn.rhs_spec), dn.out_spec)


def _unpermute(out_trans, out_spec):
  out = [0] * len(out_trans)
  for size, axis in zip(out_trans, out_spec):
    out[axis] = size
  return tuple(out)


def conv_general_shape_tuple(lhs_shape, rhs_shape, window_strides, padding,
                             dimension_numbers):
  """Output shape of conv_general_dilated (no dilation) in the layout of
  `dimension_numbers`."""
  lhs_t, rhs_t, out_spec = _permuted_shapes(lhs_shape, rhs_shape, dimension_numbers)
  return _unpermute(conv_shape_tuple(lhs_t, rhs_t, window_strides, padding), out_spec)


def conv_transpose_shape_tuple(lhs_shape, rhs_shape, window_strides, padding,
                               dimension_numbers):
  """Output shape of conv_transpose: per spatial axis (n - 1) * stride - k
  + 2 + the total padding ('SAME' gives n * stride)."""
  lhs_t, rhs_t, out_spec = _permuted_shapes(lhs_shape, rhs_shape, dimension_numbers)
  space = []
  for i, (n, k, s) in enumerate(zip(lhs_t[2:], rhs_t[2:], window_strides)):
    if padding == "SAME":
      total = k + s - 2
    elif padding == "VALID":
      total = k + s - 2 + max(k - s, 0)
    else:
      total = sum(padding[i])
    space.append((n - 1) * s - k + 2 + total)
  return _unpermute((lhs_t[0], rhs_t[0]) + tuple(space), out_spec)


# --- Approximate top-k (exact here) --------------------------------------------------

def _approx_k(operand, k, reduction_dimension, largest):
  nd = aval_of(operand).ndim
  dim = reduction_dimension % nd
  x = operand if largest else elementwise.neg(operand)
  values, idx = top_k(x, k, axis=dim)
  return [values if largest else elementwise.neg(values), idx]


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True):
  """The k largest entries along reduction_dimension and their indices
  (exact: recall 1 >= recall_target)."""
  return _approx_k(operand, k, reduction_dimension, True)


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True):
  """The k smallest entries along reduction_dimension and their indices
  (exact)."""
  return _approx_k(operand, k, reduction_dimension, False)


# --- optimization_barrier --------------------------------------------------------------

def optimization_barrier(operand, /):
  """`operand` (any pytree of arrays) unchanged, but XLA may not move
  computation across it. Lowers to stablehlo.optimization_barrier."""
  leaves, treedef = tree.tree_flatten(operand)
  if not leaves:
    return operand
  return tree.tree_unflatten(treedef, optimization_barrier_p.bind(*leaves))


def _barrier_abstract_eval(*avals):
  return list(avals)


def _barrier_lower(ctx, *args):
  return list(hlo.OptimizationBarrierOp(list(args)).results)


def _barrier_jvp(primals, tangents):
  """Primals and tangents each pass their own barrier (so that
  linearization can split the known primals from the tangents)."""
  return (optimization_barrier_p.bind(*primals),
          optimization_barrier_p.bind(*[instantiate(t) for t in tangents]))


def _barrier_transpose(cts, *args):
  return [instantiate(ct) for ct in cts]


def _barrier_batch(vals, dims):
  return optimization_barrier_p.bind(*vals), list(dims)


optimization_barrier_p = define_primitive(
    "optimization_barrier", abstract_eval=_barrier_abstract_eval,
    lower=_barrier_lower, jvp=_barrier_jvp, transpose=_barrier_transpose,
    batch=_barrier_batch, multiple_results=True)


# --- rng_bit_generator -------------------------------------------------------------------

class RandomAlgorithm(enum.IntEnum):
  """XLA's bit generator algorithms (RNG_DEFAULT is the backend's choice)."""
  RNG_DEFAULT = 0
  RNG_THREE_FRY = 1
  RNG_PHILOX = 2


_ALGORITHM_NAMES = {RandomAlgorithm.RNG_DEFAULT: "DEFAULT",
                    RandomAlgorithm.RNG_THREE_FRY: "THREE_FRY",
                    RandomAlgorithm.RNG_PHILOX: "PHILOX"}


def rng_bit_generator(key, shape, dtype=np.uint32,
                      algorithm=RandomAlgorithm.RNG_DEFAULT, *, out_sharding=None):
  """(new_key, random bits of `shape` and unsigned `dtype`) from a uint32
  key, by XLA's RngBitGenerator. Lowers to stablehlo.rng_bit_generator."""
  dt = np.dtype(dtype)
  if dt.kind != "u":
    raise TypeError(RNG_DTYPE_MESSAGE.format(dtype=dt))
  key_aval = aval_of(key)
  if key_aval.dtype != np.uint32 or key_aval.shape != (4,):
    raise TypeError(RNG_KEY_MESSAGE.format(aval=key_aval))
  return tuple(rng_bit_generator_p.bind(
      key, shape=tuple(int(d) for d in shape), dtype=dt,
      algorithm=RandomAlgorithm(algorithm)))


def _rng_abstract_eval(key, *, shape, dtype, algorithm):
  return [ShapedArray(key.shape, key.dtype), ShapedArray(shape, dtype)]


def _rng_lower(ctx, key, *, shape, dtype, algorithm):
  """XLA keeps the state as u64 words: the u32 key is bitcast in and out.
  Narrow dtypes are drawn as uint32 and truncated."""
  n = ctx.avals_in[0].shape[0]
  state = hlo.BitcastConvertOp(
      tensor_type((n // 2,), np.uint64),
      hlo.ReshapeOp(tensor_type((n // 2, 2), np.uint32), key).result).result
  draw = dtype if dtype.itemsize >= 4 else np.dtype(np.uint32)
  attr = ir.Attribute.parse(f"#stablehlo<rng_algorithm {_ALGORITHM_NAMES[algorithm]}>")
  op = hlo.RngBitGeneratorOp(tensor_type((n // 2,), np.uint64), tensor_type(shape, draw),
                             attr, state)
  new_key = hlo.ReshapeOp(tensor_type((n,), np.uint32), hlo.BitcastConvertOp(
      tensor_type((n // 2, 2), np.uint32), op.output_state).result).result
  out = op.output
  if draw != dtype:
    out = hlo.ConvertOp(tensor_type(shape, dtype), out).result
  return [new_key, out]


def _rng_batch(vals, dims, *, shape, dtype, algorithm):
  """One generator per key: the batch is unrolled (keys are few)."""
  key = bdim_at_front(vals[0], dims[0], aval_of(vals[0]).shape[dims[0]])
  n = aval_of(key).shape[0]
  outs = [rng_bit_generator_p.bind(_row(key, i), shape=shape, dtype=dtype,
                                   algorithm=algorithm) for i in range(n)]
  return [_stack_rows([o[j] for o in outs]) for j in range(2)], [0, 0]


def _row(x, i):
  """x[i] along the leading axis."""
  a = aval_of(x)
  piece = shape_ops.slice(x, (i,) + (0,) * (a.ndim - 1), (i + 1,) + a.shape[1:])
  return shape_ops.reshape(piece, a.shape[1:])


def _stack_rows(xs):
  """xs stacked on a new leading axis."""
  return shape_ops.concatenate([shape_ops.expand_dims(x, (0,)) for x in xs], 0)


rng_bit_generator_p = define_primitive(
    "rng_bit_generator", abstract_eval=_rng_abstract_eval, lower=_rng_lower,
    jvp=NOT_DIFFERENTIABLE, transpose=NOT_LINEAR, batch=_rng_batch,
    multiple_results=True)


# --- Implicit differentiation ----------------------------------------------------------

def _closure_convert(fun, example):
  """(f(consts, x), consts): `fun` with the values it closes over (tracers
  of outer transformations included) made an explicit argument."""
  leaves, in_tree = tree.tree_flatten(example)
  jaxpr, consts, out_tree = trace_flat(fun, tree.tree_structure((example,)),
                                       [aval_of(x) for x in leaves], "closure_convert")

  flat = closed_fun(jaxpr)  # takes the constants first, then x's leaves

  def converted(consts_, x):
    out = flat(*consts_, *tree.tree_leaves(x))
    return tree.tree_unflatten(out_tree, out)
  return converted, list(consts), out_tree


def _stop(tree_):
  return tree.tree_map(elementwise.stop_gradient, tree_)


def _zeros_like_tree(t):
  return tree.tree_map(lambda x: shape_ops.full(aval_of(x).shape, 0, aval_of(x).dtype), t)


def custom_linear_solve(matvec, b, solve, transpose_solve=None, symmetric=False,
                        has_aux=False):
  """x = solve(matvec, b), differentiated implicitly as A^-1 b for the
  linear map A = matvec (so `solve` itself is never differentiated).

  Reverse mode needs transpose_solve(vecmat, b) (or symmetric=True, which
  reuses solve); derivatives flow to b and to the values matvec closes
  over. Forward mode (jvp) is not supported (a custom_vjp underneath).
  """
  mv, mv_consts, out_tree = _closure_convert(matvec, b)
  if out_tree != tree.tree_structure(b):
    raise TypeError(LINEAR_SOLVE_TREE_MESSAGE.format(b=tree.tree_structure(b), out=out_tree))
  zeros = _zeros_like_tree(b)

  def main(out):
    return out[0] if has_aux else out

  def vecmat(consts):
    return lambda v: api.vjp(lambda x: mv(consts, x), zeros)[1](v)[0]

  # Every callable becomes a jaxpr with explicit constants, so that values
  # the callables close over (outer tracers) reach the custom_vjp as arguments.
  sv, sv_consts, _ = _closure_convert(
      lambda rhs: solve(lambda x: mv(mv_consts, x), rhs), b)
  t_solve = solve if symmetric else transpose_solve
  tv, tv_consts = None, []
  if t_solve is not None:
    tv, tv_consts, _ = _closure_convert(
        lambda ct: main(t_solve(vecmat(mv_consts), ct)), b)

  def run(sv_c, rhs):
    out = sv(sv_c, rhs)
    return (out[0], _stop(out[1])) if has_aux else out

  @custom_vjp
  def solved(mv_c, sv_c, tv_c, rhs):
    return run(sv_c, rhs)

  def fwd(mv_c, sv_c, tv_c, rhs):
    out = run(sv_c, rhs)
    return out, (mv_c, tv_c, main(out))

  def bwd(res, ct):
    mv_c, tv_c, x = res
    if tv is None:
      raise TypeError(TRANSPOSE_SOLVE_MESSAGE)
    lam = tv(tv_c, main(ct))
    _, c_vjp = api.vjp(lambda c: mv(c, x), mv_c)
    ct_consts, = c_vjp(lam)
    return [_neg_or_none(c) for c in ct_consts], None, None, lam

  solved.defvjp(fwd, bwd)
  return solved(mv_consts, sv_consts, tv_consts, b)


def _neg_or_none(c):
  return None if c is None else elementwise.neg(c)


def custom_root(f, initial_guess, solve, tangent_solve, has_aux=False):
  """x = solve(f, initial_guess) with f(x) == 0, differentiated implicitly:
  dx = -(df/dx)^-1 (df/dtheta) dtheta for the values theta f closes over.
  tangent_solve(g, y) solves the linear g(x) = y (reverse mode applies it
  to the transposed Jacobian). Forward mode (jvp) is not supported.
  """
  fc, f_consts, _ = _closure_convert(f, initial_guess)
  rs, rs_consts, _ = _closure_convert(
      lambda guess: solve(lambda x: fc(f_consts, x), guess), initial_guess)

  def run(rs_c, guess):
    out = rs(rs_c, guess)
    return (out[0], _stop(out[1])) if has_aux else out

  @custom_vjp
  def root(f_c, rs_c, guess):
    return run(rs_c, guess)

  def fwd(f_c, rs_c, guess):
    out = run(rs_c, guess)
    return out, (f_c, out[0] if has_aux else out)

  def bwd(res, ct):
    f_c, x = res
    ct = ct[0] if has_aux else ct
    _, fx_vjp = api.vjp(lambda v: fc(f_c, v), x)
    lam = tangent_solve(lambda v: fx_vjp(v)[0], ct)
    _, c_vjp = api.vjp(lambda c: fc(c, x), f_c)
    ct_consts, = c_vjp(lam)
    return [_neg_or_none(c) for c in ct_consts], None, None

  root.defvjp(fwd, bwd)
  return root(f_consts, rs_consts, _stop(initial_guess))
