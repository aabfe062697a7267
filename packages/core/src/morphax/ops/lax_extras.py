"""jax.lax's composite functions: batch_matmul, reciprocal, select, split,
collapse, broadcast_shapes, zeros_like_array and reduce for any computation.
"""

import operator

import numpy as np

from ..core import tree
from ..core.trace import Tracer
from . import reduction
from ._checks import aval_of, canonicalize_axes, canonicalize_axis
from .convert import convert_element_type
from .elementwise import integer_pow
from .linalg import dot_general
from .select import select_n
from .shape import (broadcast_in_dim, full_like, pad, reshape, slice,
                    slice_in_dim, transpose)

__all__ = [
    "batch_matmul", "reciprocal", "zeros_like_array", "select", "split",
    "collapse", "broadcast_shapes", "reduce",
]


# --- batch_matmul ---------------------------------------------------------------

BATCH_MATMUL_RANK_MESSAGE = (
    "batch_matmul: both arguments must have the same rank, at least 2, got "
    "shapes {lhs} and {rhs}")
BATCH_MATMUL_SHAPE_MESSAGE = (
    "batch_matmul: expected shapes (..., m, k) and (..., k, n) with equal "
    "batch dimensions, got {lhs} and {rhs}")


def batch_matmul(lhs, rhs, precision=None):
  """Batched matrix product: out[..., i, j] = sum_k lhs[..., i, k] *
  rhs[..., k, j]. Both arguments have the same rank (>= 2) and the same
  leading (batch) dimensions; a dot_general with those as batch dimensions.

  Example: `batch_matmul(ones((4, 2, 3)), ones((4, 3, 5))).shape == (4, 2, 5)`.
  Follows jax.lax.batch_matmul (no broadcasting of the batch dimensions).
  """
  lshape, rshape = aval_of(lhs).shape, aval_of(rhs).shape
  if len(lshape) != len(rshape) or len(lshape) < 2:
    raise ValueError(BATCH_MATMUL_RANK_MESSAGE.format(lhs=lshape, rhs=rshape))
  if lshape[:-2] != rshape[:-2] or lshape[-1] != rshape[-2]:
    raise ValueError(BATCH_MATMUL_SHAPE_MESSAGE.format(lhs=lshape, rhs=rshape))
  nd = len(lshape)
  batch = tuple(range(nd - 2))
  return dot_general(lhs, rhs, (((nd - 1,), (nd - 2,)), (batch, batch)),
                     precision=precision)


# --- small elementwise and shape helpers -------------------------------------

def reciprocal(x):
  """Elementwise 1 / x, as integer_pow(x, -1) (like jax.lax.reciprocal).

  Example: `reciprocal(np.float32(4.))` is 0.25.
  """
  return integer_pow(x, -1)


def zeros_like_array(x):
  """Zeros of `x`'s shape and dtype (jax.lax.zeros_like_array).

  Example: `zeros_like_array(np.ones((2, 3), np.int32))` is int32 zeros.
  """
  return full_like(x, 0)


def select(pred, on_true, on_false):
  """Elementwise `on_true if pred else on_false`; `pred` is bool with the
  shape of the cases (or a scalar). Same as select_n(pred, on_false, on_true).

  Example: `select(x > 0, x, zeros_like_array(x))` is relu(x).
  Follows jax.lax.select.
  """
  return select_n(pred, on_false, on_true)


SPLIT_SIZES_MESSAGE = (
    "split: sizes must be non-negative and sum to the size {size} of axis "
    "{axis} of the operand of shape {shape}, got sizes {sizes}")


def split(operand, sizes, axis=0):
  """Splits `operand` along `axis` into pieces of the given `sizes` (which
  sum to that axis' size); returns a list of arrays.

  Example: `split(np.arange(5.), (2, 3))` is `[[0., 1.], [2., 3., 4.]]`.
  Follows jax.lax.split.
  """
  shape = aval_of(operand).shape
  axis = canonicalize_axis("split", axis, len(shape))
  sizes = tuple(operator.index(s) for s in sizes)
  if any(s < 0 for s in sizes) or sum(sizes) != shape[axis]:
    raise ValueError(SPLIT_SIZES_MESSAGE.format(
        size=shape[axis], axis=axis, shape=shape, sizes=sizes))
  starts = np.cumsum((0,) + sizes)
  return [slice_in_dim(operand, int(a), int(b), axis=axis)
          for a, b in zip(starts[:-1], starts[1:])]


COLLAPSE_MESSAGE = (
    "collapse: expected 0 <= start_dimension <= stop_dimension <= rank, got "
    "start_dimension={start}, stop_dimension={stop} for shape {shape}")


def collapse(operand, start_dimension, stop_dimension=None):
  """Merges dimensions [start_dimension, stop_dimension) into one (row-major);
  stop_dimension None means the rank. Negative values count from the end.

  Example: `collapse(ones((2, 3, 4)), 0, 2).shape == (6, 4)`.
  Follows jax.lax.collapse.
  """
  shape = aval_of(operand).shape
  nd = len(shape)
  start = operator.index(start_dimension)
  stop = nd if stop_dimension is None else operator.index(stop_dimension)
  start, stop = (start + nd if start < 0 else start,
                 stop + nd if stop < 0 else stop)
  if not 0 <= start <= stop <= nd:
    raise ValueError(COLLAPSE_MESSAGE.format(
        start=start_dimension, stop=stop_dimension, shape=shape))
  size = int(np.prod(shape[start:stop], dtype=np.int64))
  return reshape(operand, shape[:start] + (size,) + shape[stop:])


def broadcast_shapes(*shapes):
  """The shape NumPy broadcasting gives `shapes` (a tuple of ints).

  Example: `broadcast_shapes((2, 1), (3,)) == (2, 3)`.
  Follows jax.lax.broadcast_shapes; incompatible shapes raise ValueError.
  """
  shapes = [tuple(operator.index(d) for d in s) for s in shapes]
  try:
    return tuple(int(d) for d in np.broadcast_shapes(*shapes))
  except ValueError:
    raise ValueError(
        f"broadcast_shapes: incompatible shapes for broadcasting: "
        f"{tuple(shapes)}") from None


# --- reduce --------------------------------------------------------------------

REDUCE_INIT_MESSAGE = (
    "reduce: each init value must be a scalar of its operand's dtype "
    "{dtype}, got {init!r:.60} (shape {shape}, dtype {init_dtype})")
REDUCE_SHAPES_MESSAGE = (
    "reduce: all operands must have the same shape, got {shapes}")
REDUCE_OUTPUT_MESSAGE = (
    "reduce: computation must return a tree like the operands ({tree}) with "
    "the same shapes and dtypes {expected}; got {got}")


def reduce(operands, init_values, computation, dimensions):
  """Reduces `operands` (a pytree of same-shape arrays) over `dimensions`
  with `computation(acc, x)` (pytrees like the operands), starting from the
  scalar `init_values` (a pytree of the same structure).

  `init_values` and `computation` must form a monoid (init an identity,
  computation associative), as in XLA; commutativity is not needed: the
  order of the elements is kept. The recognized monoids (lax.add/mul/max/min,
  bitwise and/or/xor with their identity) become reduce_sum, reduce_prod,
  ...; any other computation is applied as a tree reduction: adjacent
  pairs of the (flattened) reduced axes are combined, log2(n) times, odd
  lengths being padded with the init value.

  Example: `reduce((x, i), (-np.inf, 0), pick_larger, (0,))` is a variadic
  argmax; `reduce(x, 0., lambda a, b: a + b, (0, 1))` sums.

  NB: `computation` is called on arrays (the halves of the data), not on
  scalars as in JAX, so it must be elementwise (made of lax's elementwise
  functions); jnp functions that broadcast also work.
  """
  flat_ops, ops_tree = tree.tree_flatten(operands)
  flat_inits, inits_tree = tree.tree_flatten(init_values)
  if ops_tree != inits_tree:
    raise ValueError(reduction.REDUCE_STRUCTURE_MESSAGE.format(
        ops=ops_tree, inits=inits_tree))
  try:
    return reduction.reduce(operands, init_values, computation, dimensions)
  except NotImplementedError:
    pass
  avals = [aval_of(x) for x in flat_ops]
  shapes = {a.shape for a in avals}
  if len(shapes) != 1:
    raise ValueError(REDUCE_SHAPES_MESSAGE.format(
        shapes=[a.shape for a in avals]))
  shape = avals[0].shape
  dims = canonicalize_axes("reduce", dimensions, len(shape))
  inits = [_init_scalar(init, a.dtype) for init, a in zip(flat_inits, avals)]
  kept = tuple(d for d in range(len(shape)) if d not in dims)
  reduced = tuple(sorted(dims))
  kept_shape = tuple(shape[d] for d in kept)
  n = int(np.prod([shape[d] for d in reduced], dtype=np.int64))
  # Reduced axes last, flattened to one axis of length n (row-major order).
  xs = [reshape(transpose(x, kept + reduced), kept_shape + (n,))
        if reduced else reshape(x, kept_shape + (1,)) for x in flat_ops]
  if not reduced:
    n = 1
  dtypes = [a.dtype for a in avals]

  def combine(left, right):
    out = computation(tree.tree_unflatten(ops_tree, left),
                      tree.tree_unflatten(ops_tree, right))
    flat_out, out_tree = tree.tree_flatten(out)
    want = [aval_of(x).shape for x in left]
    got = [aval_of(y) for y in flat_out]
    if (out_tree != ops_tree
        or [g.shape for g in got] != want
        or [g.dtype for g in got] != dtypes):
      raise TypeError(REDUCE_OUTPUT_MESSAGE.format(
          tree=ops_tree, expected=list(zip(want, dtypes)),
          got=(out_tree, [(g.shape, g.dtype) for g in got])))
    return flat_out

  last = len(kept_shape)
  if n == 0:
    return tree.tree_unflatten(ops_tree, [
        broadcast_in_dim(i, kept_shape, ()) for i in inits])
  while n > 1:
    if n % 2:
      config = [(0, 0, 0)] * last + [(0, 1, 0)]
      xs = [pad(x, i, config) for x, i in zip(xs, inits)]
      n += 1
    evens = [_strided(x, 0, n, last) for x in xs]
    odds = [_strided(x, 1, n, last) for x in xs]
    xs = combine(evens, odds)
    n //= 2
  xs = [reshape(x, kept_shape) for x in xs]
  init_arrays = [broadcast_in_dim(i, kept_shape, ()) for i in inits]
  return tree.tree_unflatten(ops_tree, combine(init_arrays, xs))


def _strided(x, start, n, axis):
  """x[..., start:n:2] along the last axis `axis`."""
  shape = aval_of(x).shape
  starts = (0,) * axis + (start,)
  strides = (1,) * axis + (2,)
  return slice(x, starts, shape[:axis] + (n,), strides)


def _init_scalar(init, dtype):
  """`init` as a scalar of `dtype`: Python scalars and weakly typed values
  are converted, other dtypes must match."""
  aval = aval_of(init)
  if aval.shape != () or (aval.dtype != dtype and not aval.weak_type):
    raise TypeError(REDUCE_INIT_MESSAGE.format(
        dtype=dtype, init=init, shape=aval.shape, init_dtype=aval.dtype))
  if aval.dtype == dtype and isinstance(init, Tracer):
    return init
  return convert_element_type(init, dtype)
