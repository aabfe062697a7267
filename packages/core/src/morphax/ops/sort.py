"""Sorting primitives: sort (multi-operand, stable, lexicographic over several
keys) with sort_key_val on top of it, and top_k.
"""

from collections.abc import Sequence

import numpy as np
from jaxlib.mlir.dialects import chlo, stablehlo as hlo

from ..core import avals as avals_lib
from ..core.ad_util import Zero
from ..core.avals import ShapedArray
from ..core.primitive import NOT_LINEAR, define_primitive
from ..interpreters.lowering import (compare, i64_array, make_region, scalar_type,
                                     tensor_type)
from . import shape
from ._checks import BOOL, INT, FLOAT, aval_of, canonicalize_axis, check_dtype
from ._factories import batch_size, bdim_at_front
from .indexing import GatherDimensionNumbers, GatherScatterMode, gather

__all__ = ["sort", "sort_key_val", "top_k"]


# --- sort ---------------------------------------------------------------------

def _take_along_axis(x, indices, axis):
  """`x` gathered at `indices` along `axis` (same shape as `x` except
  along `axis`), as numpy's take_along_axis: a gather whose other dimensions
  are batching dimensions."""
  ndim = aval_of(x).ndim
  others = tuple(d for d in range(ndim) if d != axis)
  dnums = GatherDimensionNumbers(
      offset_dims=(), collapsed_slice_dims=(axis,), start_index_map=(axis,),
      operand_batching_dims=others, start_indices_batching_dims=others)
  return gather(x, shape.expand_dims(indices, (ndim,)), dnums, (1,) * ndim,
                mode=GatherScatterMode.PROMISE_IN_BOUNDS)


SORT_NO_OPERANDS_MESSAGE = (
    "sort: requires at least one operand, got an empty sequence; pass an array "
    "(lax.sort(x)) or a sequence of arrays (lax.sort((keys, values)))")

SORT_NUM_KEYS_MESSAGE = (
    "sort: num_keys={num_keys} must be between 1 and the number of operands "
    "({n}); the first num_keys operands are the keys, e.g. "
    "lax.sort((k1, k2, values), num_keys=2)")

SORT_SINGLE_NUM_KEYS_MESSAGE = (
    "sort: num_keys={num_keys} must be 1 for a single operand; to sort by "
    "several keys pass a sequence: lax.sort((k1, k2, values), num_keys=2)")

SORT_SHAPES_MESSAGE = (
    "sort: operands must have equal shapes, got {shapes}")


def sort(operand, dimension=-1, is_stable=True, num_keys=1):
  """Sorts `operand` along `dimension`.

  `operand` is an array, or a sequence of arrays of one shape: the first
  `num_keys` are keys compared lexicographically, the others are permuted the
  same way. Floats sort as JAX/numpy do: -0.0 equals 0.0 and every NaN comes
  last; complex keys sort by real part, then imaginary part. Ties keep their
  order when `is_stable`.

  Args:
    operand: an array, or a sequence of arrays.
    dimension: the axis to sort along.
    is_stable: whether equal keys keep their relative order.
    num_keys: how many of the leading operands are keys.

  Returns:
    The sorted array, or a tuple of sorted arrays for a sequence.

  Lowers to stablehlo.sort with a lexicographic less-than comparator.

  Example: `sort((keys, values))` gives keys sorted and values permuted.
  """
  if isinstance(operand, Sequence):
    if not operand:
      raise TypeError(SORT_NO_OPERANDS_MESSAGE)
    if not 1 <= num_keys <= len(operand):
      raise ValueError(SORT_NUM_KEYS_MESSAGE.format(num_keys=num_keys,
                                                    n=len(operand)))
    dimension = canonicalize_axis("sort", dimension, aval_of(operand[0]).ndim)
    return tuple(sort_p.bind(*operand, dimension=dimension,
                             is_stable=bool(is_stable), num_keys=int(num_keys)))
  if num_keys != 1:
    raise ValueError(SORT_SINGLE_NUM_KEYS_MESSAGE.format(num_keys=num_keys))
  dimension = canonicalize_axis("sort", dimension, aval_of(operand).ndim)
  return sort_p.bind(operand, dimension=dimension, is_stable=bool(is_stable),
                     num_keys=1)[0]


def _sort_abstract_eval(*avals, dimension, is_stable, num_keys):
  if not avals:
    raise TypeError(SORT_NO_OPERANDS_MESSAGE)
  shapes = [a.shape for a in avals]
  if any(s != shapes[0] for s in shapes[1:]):
    raise TypeError(SORT_SHAPES_MESSAGE.format(
        shapes=", ".join(map(str, shapes))))
  if not 1 <= num_keys <= len(avals):
    raise ValueError(SORT_NUM_KEYS_MESSAGE.format(num_keys=num_keys,
                                                  n=len(avals)))
  if not 0 <= dimension < avals[0].ndim:
    raise ValueError(f"sort: dimension {dimension} is out of bounds for an "
                     f"array of rank {avals[0].ndim}")
  return list(avals)


def _key_less_equal(x, y, dtype):
  """(x < y, x == y) for scalar keys under the sort order: NaNs after every
  number and equal to each other; -0.0 == 0.0 (plain float compare does)."""
  lt, eq = compare(x, y, "LT", dtype), compare(x, y, "EQ", dtype)
  if avals_lib.is_float(dtype):
    x_nan, y_nan = compare(x, x, "NE", dtype), compare(y, y, "NE", dtype)
    lt = hlo.or_(lt, hlo.and_(hlo.not_(x_nan), y_nan))
    eq = hlo.or_(eq, hlo.and_(x_nan, y_nan))
  return lt, eq


def _sort_comparator(key_dtypes):
  """The comparator body: lexicographic less-than over the keys. Its block
  takes (lhs_i, rhs_i) for every operand; only the keys are read."""
  def body(*args):
    pairs = []
    for i, dtype in enumerate(key_dtypes):
      x, y = args[2 * i], args[2 * i + 1]
      if avals_lib.is_complex(dtype):
        part = (avals_lib.float64 if dtype == avals_lib.complex128
                else avals_lib.float32)
        pairs.append(_key_less_equal(hlo.real(x), hlo.real(y), part))
        pairs.append(_key_less_equal(hlo.imag(x), hlo.imag(y), part))
      else:
        pairs.append(_key_less_equal(x, y, dtype))
    less = pairs[-1][0]
    for lt, eq in reversed(pairs[:-1]):
      less = hlo.or_(lt, hlo.and_(eq, less))
    return less
  return body


def _sort_lower(ctx, *operands, dimension, is_stable, num_keys):
  op = hlo.SortOp([tensor_type(a) for a in ctx.avals_out], list(operands),
                  dimension=dimension, is_stable=is_stable)
  arg_types = [t for a in ctx.avals_in for t in (scalar_type(a.dtype),) * 2]
  key_dtypes = [a.dtype for a in ctx.avals_in[:num_keys]]
  make_region(op.comparator, arg_types, _sort_comparator(key_dtypes))
  return list(op.results)


def _sort_jvp(primals, tangents, *, dimension, is_stable, num_keys):
  """Tangents follow their operands: the sort also carries an iota, whose
  sorted value is the permutation the tangents are gathered with."""
  iota = shape.broadcasted_iota(avals_lib.int32, aval_of(primals[0]).shape,
                                dimension)
  *out, perm = sort_p.bind(*primals, iota, dimension=dimension,
                           is_stable=is_stable, num_keys=num_keys)
  tangents_out = [t if type(t) is Zero else _take_along_axis(t, perm, dimension)
                  for t in tangents]
  return out, tangents_out


def _sort_batch(vals, dims, *, dimension, is_stable, num_keys):
  first = next(d for d in dims if d is not None)
  if all(d == first for d in dims):
    out = sort_p.bind(*vals, dimension=dimension + (first <= dimension),
                      is_stable=is_stable, num_keys=num_keys)
    return out, [first] * len(out)
  size = batch_size(vals, dims)
  vals = [bdim_at_front(v, d, size) for v, d in zip(vals, dims)]
  out = sort_p.bind(*vals, dimension=dimension + 1, is_stable=is_stable,
                    num_keys=num_keys)
  return out, [0] * len(out)


sort_p = define_primitive("sort", abstract_eval=_sort_abstract_eval,
                          lower=_sort_lower, jvp=_sort_jvp,
                          transpose=NOT_LINEAR, batch=_sort_batch,
                          multiple_results=True)


def sort_key_val(keys, values, dimension=-1, is_stable=True):
  """Sorts `keys` along `dimension` and permutes `values` the same way.

  Returns (sorted keys, values). Lowers to stablehlo.sort (see `sort`).
  """
  dimension = canonicalize_axis("sort_key_val", dimension, aval_of(keys).ndim)
  k, v = sort_p.bind(keys, values, dimension=dimension,
                     is_stable=bool(is_stable), num_keys=1)
  return k, v


# --- top_k --------------------------------------------------------------------

TOP_K_NEGATIVE_MESSAGE = "top_k: k must be non-negative, got k={k}"

TOP_K_TOO_LARGE_MESSAGE = (
    "top_k: k must be no larger than the size of the operand along axis "
    "{axis}, got k={k} for operand shape {shape}")


def top_k(operand, k, *, axis=-1):
  """The `k` largest entries of `operand` along `axis` and their indices.

  Returns (values, indices): values sorted in descending order, indices as
  int32; equal values come lower index first. Floats follow the IEEE total
  order, as JAX's top_k does: NaN above +inf (a negative NaN below -inf) and
  +0.0 above -0.0.

  Lowers to chlo.top_k (on the last axis; other axes are transposed there).

  Example: `top_k(np.array([9., 3., 6.]), 2)` is [[9., 6.], [0, 2]].
  """
  if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
    raise TypeError(f"top_k: k must be an integer, got {k!r}")
  ndim = aval_of(operand).ndim
  if ndim == 0:
    raise TypeError("top_k: operand must have at least one dimension, got "
                    "shape ()")
  axis = canonicalize_axis("top_k", axis, ndim)
  values, indices = top_k_p.bind(operand, k=int(k), axis=axis)
  return values, indices


def _top_k_abstract_eval(operand, *, k, axis):
  check_dtype("top_k", operand.dtype, (BOOL, INT, FLOAT), "operand")
  if operand.ndim == 0:
    raise TypeError("top_k: operand must have at least one dimension, got "
                    "shape ()")
  if not 0 <= axis < operand.ndim:
    raise ValueError(f"top_k: axis {axis} is out of bounds for an array of "
                     f"rank {operand.ndim}")
  if k < 0:
    raise ValueError(TOP_K_NEGATIVE_MESSAGE.format(k=k))
  if k > operand.shape[axis]:
    raise ValueError(TOP_K_TOO_LARGE_MESSAGE.format(k=k, axis=axis,
                                                    shape=operand.shape))
  shape = operand.shape[:axis] + (k,) + operand.shape[axis + 1:]
  return [ShapedArray(shape, operand.dtype, operand.weak_type),
          ShapedArray(shape, avals_lib.int32, False)]


def _top_k_lower(ctx, operand, *, k, axis):
  ndim = ctx.avals_in[0].ndim
  if axis == ndim - 1:
    values, indices = ctx.avals_out
    return list(chlo.top_k(operand, k, results=[tensor_type(values),
                                                tensor_type(indices)]))
  # Move `axis` last, take top_k there and move it back.
  perm = [d for d in range(ndim) if d != axis] + [axis]
  inverse = list(np.argsort(perm))
  moved = hlo.transpose(operand, i64_array(perm))
  out_shape = [ctx.avals_out[0].shape[d] for d in perm]
  types = [tensor_type(out_shape, a.dtype) for a in ctx.avals_out]
  return [hlo.transpose(r, i64_array(inverse))
          for r in chlo.top_k(moved, k, results=types)]


def _top_k_jvp(primals, tangents, *, k, axis):
  (operand,), (t,) = primals, tangents
  values, indices = top_k_p.bind(operand, k=k, axis=axis)
  return [values, indices], [_take_along_axis(t, indices, axis),
                             Zero(aval_of(indices))]


def _top_k_batch(vals, dims, *, k, axis):
  (operand,), (d,) = vals, dims
  out = top_k_p.bind(operand, k=k, axis=axis + (d <= axis))
  return out, [d, d]


top_k_p = define_primitive("top_k", abstract_eval=_top_k_abstract_eval,
                           lower=_top_k_lower, jvp=_top_k_jvp,
                           transpose=NOT_LINEAR, batch=_top_k_batch,
                           multiple_results=True)
