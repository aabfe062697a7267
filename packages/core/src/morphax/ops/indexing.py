"""Gather and scatter primitives (with JAX's dimension numbers and modes):
gather, scatter, scatter_add/sub/mul/min/max.
"""

import enum
import math
from typing import NamedTuple

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core.ad_util import Zero, add_tangents, is_undefined_primal
from ..core.avals import ShapedArray
from ..core.primitive import NOT_LINEAR, define_primitive
from ..interpreters.lowering import (constant, i64_array, make_region,
                                     scalar_type, tensor_type)
from . import bits, elementwise, select, shape
from ._checks import ANY, NUMERIC, aval_of, check_dtype
from ._factories import batch_size, bdim_at_front, instantiate, moveaxis

__all__ = [
    "GatherDimensionNumbers", "ScatterDimensionNumbers", "GatherScatterMode",
    "gather", "scatter", "scatter_add", "scatter_sub", "scatter_mul",
    "scatter_min", "scatter_max",
]


# --- Dimension numbers and modes --------------------------------------------

class GatherDimensionNumbers(NamedTuple):
  """How the dimensions of a gather's operand, start_indices and output relate.

  The index vectors are always the last dimension of `start_indices`
  (XLA's `index_vector_dim = start_indices.ndim - 1`).

  Args:
    offset_dims: the output dimensions that index into a slice, in increasing
      order; the other output dimensions are the batch dimensions of
      `start_indices`.
    collapsed_slice_dims: operand dimensions (of slice size <= 1) that the
      output drops.
    start_index_map: for each entry of an index vector, the operand dimension
      it starts a slice in.
    operand_batching_dims: operand dimensions iterated in step with
      `start_indices_batching_dims` (dropped from the output, like collapsed
      dimensions).
    start_indices_batching_dims: the matching dimensions of `start_indices`.
  """
  offset_dims: tuple
  collapsed_slice_dims: tuple
  start_index_map: tuple
  operand_batching_dims: tuple = ()
  start_indices_batching_dims: tuple = ()


class ScatterDimensionNumbers(NamedTuple):
  """How the dimensions of a scatter's operand, scatter_indices and updates
  relate (index vectors are the last dimension of `scatter_indices`).

  Args:
    update_window_dims: the dimensions of `updates` that span a window, in
      increasing order; the others are the batch dimensions of the indices.
    inserted_window_dims: operand dimensions a window has size 1 in and that
      `updates` leaves out.
    scatter_dims_to_operand_dims: for each entry of an index vector, the
      operand dimension it starts a window in.
    operand_batching_dims: operand dimensions iterated in step with
      `scatter_indices_batching_dims` (left out of `updates`' windows).
    scatter_indices_batching_dims: the matching dimensions of the indices.
  """
  update_window_dims: tuple
  inserted_window_dims: tuple
  scatter_dims_to_operand_dims: tuple
  operand_batching_dims: tuple = ()
  scatter_indices_batching_dims: tuple = ()


class GatherScatterMode(enum.Enum):
  """What gather and scatter do with out-of-bounds indices.

  CLIP: indices are clamped so that the whole slice (window) is in bounds.
  FILL_OR_DROP: gather returns `fill_value` for a slice that would leave
    the operand; scatter drops such an update. The default.
  PROMISE_IN_BOUNDS: the caller promises indices are in bounds; what
    happens otherwise is XLA's (gather clamps, scatter drops).
  """
  CLIP = enum.auto()
  FILL_OR_DROP = enum.auto()
  PROMISE_IN_BOUNDS = enum.auto()

  @staticmethod
  def from_any(s):
    """A mode from a GatherScatterMode, None (FILL_OR_DROP) or one of the
    strings 'clip', 'fill', 'drop', 'promise_in_bounds'."""
    if isinstance(s, GatherScatterMode):
      return s
    if s == "clip":
      return GatherScatterMode.CLIP
    if s is None or s == "fill" or s == "drop":
      return GatherScatterMode.FILL_OR_DROP
    if s == "promise_in_bounds":
      return GatherScatterMode.PROMISE_IN_BOUNDS
    raise ValueError(
        f"Unknown gather mode {s!r}: expected a GatherScatterMode, None, "
        "'clip', 'fill', 'drop' or 'promise_in_bounds'")


def _dims_tuple(name, field, dims):
  try:
    dims = tuple(dims)
  except TypeError:
    raise TypeError(f"{name}: dimension_numbers.{field} must be a sequence of "
                    f"integers, got {dims!r}") from None
  for d in dims:
    if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
      raise TypeError(f"{name}: dimension_numbers.{field} must be a sequence "
                      f"of integers, got {dims!r}")
  return tuple(int(d) for d in dims)


def _canonical_dnums(name, dnums, cls):
  """`dnums` as `cls` with every field a tuple of ints (hashable params)."""
  if not isinstance(dnums, cls):
    if not isinstance(dnums, (tuple, list)):
      raise TypeError(f"{name}: dimension_numbers must be a {cls.__name__}, "
                      f"got {type(dnums).__name__}: {dnums!r:.80}")
    dnums = cls(*dnums)
  return cls(*(_dims_tuple(name, f, v) for f, v in zip(cls._fields, dnums)))


# --- Shared checks ------------------------------------------------------------

INDEX_DTYPE_MESSAGE = (
    "{name}: {what} must have an integer dtype, got {dtype} (shape {shape}); "
    "cast them first, e.g. lax.convert_element_type(indices, jnp.int32)")

INDEX_RANK_MESSAGE = (
    "{name}: {what} must have rank >= 1 (its last dimension holds the index "
    "vectors), got shape (); for one index use shape (1,), e.g. "
    "jnp.array([i])")


def _check_indices(name, what, aval):
  if not avals_lib.is_integer(aval.dtype):
    raise TypeError(INDEX_DTYPE_MESSAGE.format(
        name=name, what=what, dtype=aval.dtype.name, shape=aval.shape))
  if aval.ndim == 0:
    raise TypeError(INDEX_RANK_MESSAGE.format(name=name, what=what))


def _check_dims(name, field, dims, bound, what, *, is_sorted=True):
  """Dimensions in [0, bound), unique (and increasing if `is_sorted`)."""
  for d in dims:
    if not 0 <= d < bound:
      raise ValueError(
          f"{name}: dimension_numbers.{field}={dims} has an entry out of "
          f"range for {what} of rank {bound}")
  if len(set(dims)) != len(dims):
    raise ValueError(f"{name}: dimension_numbers.{field}={dims} has repeated "
                     "dimensions")
  if is_sorted and list(dims) != sorted(dims):
    raise ValueError(f"{name}: dimension_numbers.{field}={dims} must be "
                     "sorted in increasing order")


def _check_disjoint(name, field_a, a, field_b, b):
  common = sorted(set(a) & set(b))
  if common:
    raise ValueError(
        f"{name}: dimension_numbers.{field_a}={a} and {field_b}={b} must be "
        f"disjoint, both contain {tuple(common)}")


def _check_batching(name, operand, indices, operand_dims, indices_dims,
                    indices_field):
  if len(operand_dims) != len(indices_dims):
    raise ValueError(
        f"{name}: dimension_numbers.operand_batching_dims={operand_dims} and "
        f"{indices_field}={indices_dims} must have the same length")
  for od, idd in zip(operand_dims, indices_dims):
    if operand.shape[od] != indices.shape[idd]:
      raise ValueError(
          f"{name}: batching dimensions must have equal sizes, got operand "
          f"shape {operand.shape} (dimension {od}) and indices shape "
          f"{indices.shape} (dimension {idd})")


# --- gather -------------------------------------------------------------------

# NaN != NaN, but the executable cache compares params with `==` after an
# identity check: NaN fill values are these objects so equal params match.
_NAN_FILLS = {float: math.nan, complex: complex(math.nan, 0.0)}


def _fill_value(dtype, fill_value):
  """The fill value as a hashable Python scalar of `dtype`'s kind."""
  if fill_value is None:
    if avals_lib.is_inexact(dtype):
      fill_value = math.nan
    elif avals_lib.is_signed(dtype):
      fill_value = int(np.iinfo(dtype).min)
    elif avals_lib.is_unsigned(dtype):
      fill_value = int(np.iinfo(dtype).max)
    else:
      fill_value = True
  value = np.asarray(fill_value).astype(dtype).item()
  nan = _NAN_FILLS.get(type(value))
  if nan is not None and value != value and (
      isinstance(value, float) or value.imag == 0):
    return nan
  return value


OFFSET_DIMS_RANK_MESSAGE = (
    "gather: operand of rank {rank} needs len(offset_dims) + "
    "len(collapsed_slice_dims) + len(operand_batching_dims) == {rank}, got "
    "offset_dims={offset}, collapsed_slice_dims={collapsed}, "
    "operand_batching_dims={batching}")

START_INDEX_MAP_MESSAGE = (
    "gather: start_index_map={map} must have one entry per index vector "
    "component, start_indices.shape[-1] == {n} (start_indices shape {shape})")


def _gather_abstract_eval(operand, indices, *, dimension_numbers, slice_sizes,
                          unique_indices, indices_are_sorted, mode,
                          fill_value):
  name = "gather"
  dn = dimension_numbers
  _check_indices(name, "start_indices", indices)
  batch_shape = indices.shape[:-1]
  out_rank = len(batch_shape) + len(dn.offset_dims)
  if len(slice_sizes) != operand.ndim:
    raise ValueError(
        f"gather: slice_sizes={slice_sizes} must have one entry per operand "
        f"dimension, got {len(slice_sizes)} for operand shape {operand.shape}")
  _check_dims(name, "offset_dims", dn.offset_dims, out_rank, "the output")
  _check_dims(name, "collapsed_slice_dims", dn.collapsed_slice_dims,
              operand.ndim, "operand")
  _check_dims(name, "operand_batching_dims", dn.operand_batching_dims,
              operand.ndim, "operand")
  _check_dims(name, "start_indices_batching_dims",
              dn.start_indices_batching_dims, indices.ndim - 1,
              "start_indices without its index vector dimension",
              is_sorted=False)
  _check_dims(name, "start_index_map", dn.start_index_map, operand.ndim,
              "operand", is_sorted=False)
  _check_disjoint(name, "collapsed_slice_dims", dn.collapsed_slice_dims,
                  "operand_batching_dims", dn.operand_batching_dims)
  _check_disjoint(name, "start_index_map", dn.start_index_map,
                  "operand_batching_dims", dn.operand_batching_dims)
  if len(dn.start_index_map) != indices.shape[-1]:
    raise ValueError(START_INDEX_MAP_MESSAGE.format(
        map=dn.start_index_map, n=indices.shape[-1], shape=indices.shape))
  if (len(dn.offset_dims) + len(dn.collapsed_slice_dims)
      + len(dn.operand_batching_dims)) != operand.ndim:
    raise ValueError(OFFSET_DIMS_RANK_MESSAGE.format(
        rank=operand.ndim, offset=dn.offset_dims,
        collapsed=dn.collapsed_slice_dims, batching=dn.operand_batching_dims))
  _check_batching(name, operand, indices, dn.operand_batching_dims,
                  dn.start_indices_batching_dims, "start_indices_batching_dims")
  for i, (size, dim) in enumerate(zip(slice_sizes, operand.shape)):
    if size > dim:
      raise ValueError(
          f"gather: slice_sizes={slice_sizes} exceeds operand shape "
          f"{operand.shape} in dimension {i}")
  for field in ("collapsed_slice_dims", "operand_batching_dims"):
    for d in getattr(dn, field):
      if slice_sizes[d] > 1:
        raise ValueError(
            f"gather: slice_sizes={slice_sizes} must be 0 or 1 in the "
            f"{field}={getattr(dn, field)}, got {slice_sizes[d]} in "
            f"dimension {d}")
  dropped = set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims)
  offset_sizes = iter(s for d, s in enumerate(slice_sizes) if d not in dropped)
  batch_sizes = iter(batch_shape)
  shape = tuple(next(offset_sizes) if d in dn.offset_dims else next(batch_sizes)
                for d in range(out_rank))
  return ShapedArray(shape, operand.dtype, operand.weak_type)


def _gather_lower(ctx, operand, indices, *, dimension_numbers, slice_sizes,
                  unique_indices, indices_are_sorted, mode, fill_value):
  dn = dimension_numbers
  operand_aval, indices_aval = ctx.avals_in
  aval_out = ctx.avals_out[0]
  attr = hlo.GatherDimensionNumbers.get(
      offset_dims=list(dn.offset_dims),
      collapsed_slice_dims=list(dn.collapsed_slice_dims),
      operand_batching_dims=list(dn.operand_batching_dims),
      start_indices_batching_dims=list(dn.start_indices_batching_dims),
      start_index_map=list(dn.start_index_map),
      index_vector_dim=indices_aval.ndim - 1)
  # XLA's gather clamps start indices so that each slice is in bounds: that
  # is CLIP, and what PROMISE_IN_BOUNDS may do.
  out = hlo.gather(operand, indices, attr, i64_array(slice_sizes),
                   indices_are_sorted=ir.BoolAttr.get(indices_are_sorted))
  if mode != GatherScatterMode.FILL_OR_DROP:
    return out
  # FILL_OR_DROP: a slice is in bounds iff 0 <= start <= dim - slice_size
  # for every index component; the others become fill_value.
  upper = [operand_aval.shape[d] - slice_sizes[d] for d in dn.start_index_map]
  in_bounds = _in_bounds(indices, indices_aval, upper)
  batch_dims = [d for d in range(aval_out.ndim) if d not in dn.offset_dims]
  mask = hlo.broadcast_in_dim(tensor_type(aval_out.shape, avals_lib.bool_),
                              in_bounds, i64_array(batch_dims))
  fill = constant(fill_value, aval_out.dtype, aval_out.shape)
  return hlo.select(mask, out, fill)


def _in_bounds(indices, indices_aval, upper):
  """bool[batch_shape]: each index vector lies in [0, upper] componentwise."""
  dtype = indices_aval.dtype
  shape = indices_aval.shape
  upper = _index_vector_constant(upper, dtype, shape)
  zero = constant(0, dtype, shape)
  ok = hlo.and_(_compare(indices, zero, "GE", dtype),
                _compare(indices, upper, "LE", dtype))
  return _reduce_and(ok, shape, len(shape) - 1)


def _index_vector_constant(values, dtype, shape):
  """`values` (one per index vector component, capped at the index dtype's
  maximum) broadcast along the last dimension of `shape`."""
  top = int(np.iinfo(dtype).max)
  values = np.asarray([min(int(v), top) for v in values], dtype)
  return hlo.broadcast_in_dim(tensor_type(shape, dtype),
                              constant(values, dtype),
                              i64_array([len(shape) - 1]))


def _compare(x, y, direction, dtype):
  kind = "SIGNED" if avals_lib.is_signed(dtype) else "UNSIGNED"
  return hlo.compare(x, y, hlo.ComparisonDirectionAttr.get(direction),
                     compare_type=hlo.ComparisonTypeAttr.get(kind))


def _reduce_and(x, shape, axis):
  bool_ = avals_lib.bool_
  out_shape = shape[:axis] + shape[axis + 1:]
  op = hlo.ReduceOp([tensor_type(out_shape, bool_)], [x],
                    [constant(True, bool_)], i64_array([axis]))
  make_region(op.body, [scalar_type(bool_)] * 2, hlo.and_)
  return op.result


def gather(operand, start_indices, dimension_numbers, slice_sizes, *,
           unique_indices=False, indices_are_sorted=False, mode=None,
           fill_value=None):
  """Gathers slices of `operand` that start at `start_indices` (XLA's Gather).

  Args:
    operand: the array slices are taken from.
    start_indices: integer array whose last dimension holds index vectors;
      its other dimensions are batch dimensions of the output.
    dimension_numbers: a GatherDimensionNumbers.
    slice_sizes: the size of a slice along each operand dimension.
    unique_indices, indices_are_sorted: promises that may speed it up.
    mode: a GatherScatterMode or string; None means FILL_OR_DROP.
    fill_value: what FILL_OR_DROP returns for an out-of-bounds slice; by
      default NaN for inexact dtypes, the minimum for signed integers, the
      maximum for unsigned integers and True for bool.

  Returns:
    An array of operand's dtype.

  Example: rows `x[idx]` of a matrix `x` of shape (n, m), with `idx` of
  shape (k,), are
    gather(x, idx[:, None], GatherDimensionNumbers(offset_dims=(1,),
           collapsed_slice_dims=(0,), start_index_map=(0,)), (1, m)).

  Lowers to stablehlo.gather (plus a compare/select mask for FILL_OR_DROP).
  """
  dnums = _canonical_dnums("gather", dimension_numbers, GatherDimensionNumbers)
  slice_sizes = avals_lib.check_shape(slice_sizes, "gather: slice_sizes")
  mode = GatherScatterMode.from_any(mode)
  if mode == GatherScatterMode.FILL_OR_DROP:
    fill_value = _fill_value(aval_of(operand).dtype, fill_value)
  else:
    fill_value = None
  return gather_p.bind(
      operand, start_indices, dimension_numbers=dnums, slice_sizes=slice_sizes,
      unique_indices=bool(unique_indices),
      indices_are_sorted=bool(indices_are_sorted), mode=mode,
      fill_value=fill_value)


def _gather_jvp(primals, tangents, **params):
  operand, indices = primals
  out = gather_p.bind(operand, indices, **params)
  t = tangents[0]
  if type(t) is Zero:
    return out, Zero(aval_of(out))
  return out, gather_p.bind(t, indices, **params)


def _gather_transpose(ct, operand, indices, *, dimension_numbers, slice_sizes,
                      unique_indices, indices_are_sorted, mode, fill_value):
  """Scatter-adds the cotangent of each slice back where it came from;
  out-of-bounds slices (filled, not read) are dropped."""
  if not is_undefined_primal(operand):
    return [None, None]
  zeros = shape.full(operand.aval.shape, 0, operand.aval.dtype)
  return [scatter_add(zeros, indices, ct, _scatter_dnums_of(dimension_numbers),
                      indices_are_sorted=indices_are_sorted,
                      unique_indices=unique_indices, mode=mode), None]


def _gather_batch(vals, dims, *, dimension_numbers, slice_sizes, **params):
  """The batch dim becomes a full-size slice dimension (operand batched),
  a batch dimension of the indices (indices batched), or a pair of batching
  dims (both); the output's batch dim is always 0."""
  operand, indices = vals
  operand_dim, indices_dim = dims
  dn = dimension_numbers
  inc = lambda ds: tuple(d + 1 for d in ds)
  if indices_dim is None:
    operand = moveaxis(operand, operand_dim, 0)
    size = aval_of(operand).shape[0]
    dn = GatherDimensionNumbers(
        offset_dims=(0,) + inc(dn.offset_dims),
        collapsed_slice_dims=inc(dn.collapsed_slice_dims),
        start_index_map=inc(dn.start_index_map),
        operand_batching_dims=inc(dn.operand_batching_dims),
        start_indices_batching_dims=dn.start_indices_batching_dims)
    slice_sizes = (size,) + tuple(slice_sizes)
  elif operand_dim is None:
    indices = moveaxis(indices, indices_dim, 0)
    dn = dn._replace(
        offset_dims=inc(dn.offset_dims),
        start_indices_batching_dims=inc(dn.start_indices_batching_dims))
  else:
    operand = moveaxis(operand, operand_dim, 0)
    indices = moveaxis(indices, indices_dim, 0)
    dn = GatherDimensionNumbers(
        offset_dims=inc(dn.offset_dims),
        collapsed_slice_dims=inc(dn.collapsed_slice_dims),
        start_index_map=inc(dn.start_index_map),
        operand_batching_dims=(0,) + inc(dn.operand_batching_dims),
        start_indices_batching_dims=(0,) + inc(dn.start_indices_batching_dims))
    slice_sizes = (1,) + tuple(slice_sizes)
  out = gather_p.bind(operand, indices, dimension_numbers=dn,
                      slice_sizes=tuple(slice_sizes), **params)
  return out, 0


gather_p = define_primitive(
    "gather", abstract_eval=_gather_abstract_eval, lower=_gather_lower,
    jvp=_gather_jvp, transpose=_gather_transpose, batch=_gather_batch)


def _scatter_dnums_of(dn):
  """The scatter that puts a gather's slices back (its transpose)."""
  return ScatterDimensionNumbers(
      update_window_dims=dn.offset_dims,
      inserted_window_dims=dn.collapsed_slice_dims,
      scatter_dims_to_operand_dims=dn.start_index_map,
      operand_batching_dims=dn.operand_batching_dims,
      scatter_indices_batching_dims=dn.start_indices_batching_dims)


def _gather_dnums_of(dn, operand_shape, updates_shape):
  """The gather that reads back a scatter's windows (its transpose), with
  its slice sizes."""
  slice_sizes = [1] * len(operand_shape)
  for d, ud in zip(_window_operand_dims(len(operand_shape), dn),
                   dn.update_window_dims):
    slice_sizes[d] = updates_shape[ud]
  gdn = GatherDimensionNumbers(
      offset_dims=dn.update_window_dims,
      collapsed_slice_dims=dn.inserted_window_dims,
      start_index_map=dn.scatter_dims_to_operand_dims,
      operand_batching_dims=dn.operand_batching_dims,
      start_indices_batching_dims=dn.scatter_indices_batching_dims)
  return gdn, tuple(slice_sizes)


# --- scatter rules (shared by the scatter family) ---------------------------

UPDATES_RANK_MESSAGE = (
    "{name}: updates of shape {updates} must have rank "
    "len(update_window_dims) + scatter_indices.ndim - 1 = {expected} "
    "(update_window_dims={window}, scatter_indices shape {indices})")

UPDATES_BATCH_MESSAGE = (
    "{name}: the scatter dimensions of updates (those not in "
    "update_window_dims={window}) must match scatter_indices.shape[:-1] = "
    "{batch}, got updates shape {updates}")

WINDOW_RANK_MESSAGE = (
    "{name}: operand of rank {rank} needs len(update_window_dims) + "
    "len(inserted_window_dims) + len(operand_batching_dims) == {rank}, got "
    "update_window_dims={window}, inserted_window_dims={inserted}, "
    "operand_batching_dims={batching}")

WINDOW_BOUNDS_MESSAGE = (
    "{name}: update window of shape {window} (updates shape {updates}, "
    "update_window_dims={window_dims}) must fit in the operand dimensions "
    "{operand_dims} of operand shape {operand}")

SCATTER_DIMS_MESSAGE = (
    "{name}: scatter_dims_to_operand_dims={map} must have one entry per "
    "index vector component, scatter_indices.shape[-1] == {n} "
    "(scatter_indices shape {shape})")


def _scatter_abstract_eval_for(name, dtypes):
  def abstract_eval(operand, indices, updates, *, dimension_numbers,
                    indices_are_sorted, unique_indices, mode):
    dn = dimension_numbers
    check_dtype(name, operand.dtype, dtypes, "operand")
    if updates.dtype != operand.dtype:
      raise TypeError(
          f"{name}: updates must have the dtype of operand, got operand "
          f"{operand.dtype.name}{list(operand.shape)} and updates "
          f"{updates.dtype.name}{list(updates.shape)}")
    _check_indices(name, "scatter_indices", indices)
    _check_dims(name, "update_window_dims", dn.update_window_dims,
                updates.ndim, "updates")
    _check_dims(name, "inserted_window_dims", dn.inserted_window_dims,
                operand.ndim, "operand")
    _check_dims(name, "operand_batching_dims", dn.operand_batching_dims,
                operand.ndim, "operand")
    _check_dims(name, "scatter_indices_batching_dims",
                dn.scatter_indices_batching_dims, indices.ndim - 1,
                "scatter_indices without its index vector dimension",
                is_sorted=False)
    _check_dims(name, "scatter_dims_to_operand_dims",
                dn.scatter_dims_to_operand_dims, operand.ndim, "operand",
                is_sorted=False)
    _check_disjoint(name, "inserted_window_dims", dn.inserted_window_dims,
                    "operand_batching_dims", dn.operand_batching_dims)
    _check_disjoint(name, "scatter_dims_to_operand_dims",
                    dn.scatter_dims_to_operand_dims,
                    "operand_batching_dims", dn.operand_batching_dims)
    if len(dn.scatter_dims_to_operand_dims) != indices.shape[-1]:
      raise ValueError(SCATTER_DIMS_MESSAGE.format(
          name=name, map=dn.scatter_dims_to_operand_dims, n=indices.shape[-1],
          shape=indices.shape))
    if (len(dn.update_window_dims) + len(dn.inserted_window_dims)
        + len(dn.operand_batching_dims)) != operand.ndim:
      raise ValueError(WINDOW_RANK_MESSAGE.format(
          name=name, rank=operand.ndim, window=dn.update_window_dims,
          inserted=dn.inserted_window_dims, batching=dn.operand_batching_dims))
    expected_rank = len(dn.update_window_dims) + indices.ndim - 1
    if updates.ndim != expected_rank:
      raise ValueError(UPDATES_RANK_MESSAGE.format(
          name=name, updates=updates.shape, expected=expected_rank,
          window=dn.update_window_dims, indices=indices.shape))
    update_batch = tuple(s for d, s in enumerate(updates.shape)
                         if d not in dn.update_window_dims)
    if update_batch != indices.shape[:-1]:
      raise ValueError(UPDATES_BATCH_MESSAGE.format(
          name=name, window=dn.update_window_dims, batch=indices.shape[:-1],
          updates=updates.shape))
    window = tuple(updates.shape[d] for d in dn.update_window_dims)
    operand_dims = _window_operand_dims(operand.ndim, dn)
    if any(w > operand.shape[d] for w, d in zip(window, operand_dims)):
      raise ValueError(WINDOW_BOUNDS_MESSAGE.format(
          name=name, window=window, updates=updates.shape,
          window_dims=dn.update_window_dims, operand_dims=operand_dims,
          operand=operand.shape))
    _check_batching(name, operand, indices, dn.operand_batching_dims,
                    dn.scatter_indices_batching_dims,
                    "scatter_indices_batching_dims")
    return operand
  return abstract_eval


def _window_operand_dims(rank, dn):
  """The operand dimensions that update_window_dims span, in order."""
  skipped = set(dn.inserted_window_dims) | set(dn.operand_batching_dims)
  return tuple(d for d in range(rank) if d not in skipped)


def _scatter_lower_with(combine):
  """A scatter lowering whose update computation is `combine(old, new)`."""
  def lower(ctx, operand, indices, updates, *, dimension_numbers,
            indices_are_sorted, unique_indices, mode):
    dn = dimension_numbers
    operand_aval, indices_aval, updates_aval = ctx.avals_in
    if mode == GatherScatterMode.CLIP:
      indices = _clamp_scatter_indices(indices, operand_aval, indices_aval,
                                       updates_aval, dn)
    # FILL_OR_DROP and PROMISE_IN_BOUNDS: XLA's scatter skips every update
    # whose window would leave the operand.
    flags = dict(indices_are_sorted=ir.BoolAttr.get(indices_are_sorted),
                 unique_indices=ir.BoolAttr.get(unique_indices))
    if indices_aval.shape[-1] == 0:
      return _scatter_at_origin(operand, operand_aval, indices_aval, updates,
                                dn, combine, flags)
    return _build_scatter(operand, operand_aval, indices, indices_aval.ndim,
                          updates, dn, combine, flags)
  return lower


def _scatter_at_origin(operand, operand_aval, indices_aval, updates, dn,
                       combine, flags):
  """A scatter whose index vectors are empty (every window starts at 0).

  NB: XLA's CPU scatter mishandles empty index vectors on a one-element
  operand (rank 0 fails to compile; shape (1,) keeps a single update). An
  explicit leading operand dimension of size 1, indexed by zeros, gives the
  same result and avoids both.
  """
  shape, dtype = operand_aval.shape, operand_aval.dtype
  wide = hlo.reshape(tensor_type((1,) + shape, dtype), operand)
  zeros = constant(0, indices_aval.dtype, indices_aval.shape[:-1] + (1,))
  wide_dn = ScatterDimensionNumbers(
      update_window_dims=dn.update_window_dims,
      inserted_window_dims=(0,) + tuple(d + 1 for d in dn.inserted_window_dims),
      scatter_dims_to_operand_dims=(0,),
      operand_batching_dims=tuple(d + 1 for d in dn.operand_batching_dims),
      scatter_indices_batching_dims=dn.scatter_indices_batching_dims)
  out = _build_scatter(wide, operand_aval.update(shape=(1,) + shape), zeros,
                       indices_aval.ndim, updates, wide_dn, combine, flags)
  return hlo.reshape(tensor_type(operand_aval), out)


def _build_scatter(operand, operand_aval, indices, indices_rank, updates, dn,
                   combine, flags):
  attr = hlo.ScatterDimensionNumbers.get(
      update_window_dims=list(dn.update_window_dims),
      inserted_window_dims=list(dn.inserted_window_dims),
      input_batching_dims=list(dn.operand_batching_dims),
      scatter_indices_batching_dims=list(dn.scatter_indices_batching_dims),
      scattered_dims_to_operand_dims=list(dn.scatter_dims_to_operand_dims),
      index_vector_dim=indices_rank - 1)
  op = hlo.ScatterOp([tensor_type(operand_aval)], [operand], indices,
                     [updates], attr, **flags)
  make_region(op.update_computation, [scalar_type(operand_aval.dtype)] * 2,
              combine)
  return op.result


def _clamp_scatter_indices(indices, operand_aval, indices_aval, updates_aval,
                           dn):
  """Clamps each index component to [0, dim - window size] (CLIP mode)."""
  window_sizes = [1] * operand_aval.ndim
  for d, ud in zip(_window_operand_dims(operand_aval.ndim, dn),
                   dn.update_window_dims):
    window_sizes[d] = updates_aval.shape[ud]
  dtype, shape = indices_aval.dtype, indices_aval.shape
  upper = _index_vector_constant(
      [operand_aval.shape[d] - window_sizes[d]
       for d in dn.scatter_dims_to_operand_dims], dtype, shape)
  return hlo.clamp(constant(0, dtype, shape), indices, upper)


def _scatter_primitive(prim_name, name, combine, dtypes, *, jvp_for,
                       transpose):
  """A scatter primitive whose update computation is `combine(old, new)`;
  `name` is the public function that its errors name; `jvp_for(prim)`
  makes its JVP rule."""
  prim = define_primitive(
      prim_name, abstract_eval=_scatter_abstract_eval_for(name, dtypes),
      lower=_scatter_lower_with(combine), transpose=transpose)
  prim.jvp = jvp_for(prim)
  prim.batch = _scatter_batch_for(prim)
  return prim


def _scatter_batch_for(prim):
  """The batching rule of a scatter: operand and updates get the batch dim
  in front (broadcast if unbatched). Unbatched indices make it a window
  dimension of full size; batched indices make it a pair of batching dims."""
  def rule(vals, dims, *, dimension_numbers, **params):
    operand, indices, updates = vals
    operand_dim, indices_dim, updates_dim = dims
    size = batch_size(vals, dims)
    dn = dimension_numbers
    inc = lambda ds: tuple(d + 1 for d in ds)
    operand = bdim_at_front(operand, operand_dim, size)
    updates = bdim_at_front(updates, updates_dim, size)
    if indices_dim is None:
      dn = ScatterDimensionNumbers(
          update_window_dims=(0,) + inc(dn.update_window_dims),
          inserted_window_dims=inc(dn.inserted_window_dims),
          scatter_dims_to_operand_dims=inc(dn.scatter_dims_to_operand_dims),
          operand_batching_dims=inc(dn.operand_batching_dims),
          scatter_indices_batching_dims=dn.scatter_indices_batching_dims)
    else:
      indices = moveaxis(indices, indices_dim, 0)
      dn = ScatterDimensionNumbers(
          update_window_dims=inc(dn.update_window_dims),
          inserted_window_dims=inc(dn.inserted_window_dims),
          scatter_dims_to_operand_dims=inc(dn.scatter_dims_to_operand_dims),
          operand_batching_dims=(0,) + inc(dn.operand_batching_dims),
          scatter_indices_batching_dims=(
              (0,) + inc(dn.scatter_indices_batching_dims)))
    return prim.bind(operand, indices, updates, dimension_numbers=dn,
                     **params), 0
  return rule


def _gather_windows(x, indices, updates_aval, *, dimension_numbers,
                    indices_are_sorted, unique_indices, mode):
  """The windows of `x` (operand-shaped) that a scatter with these params
  writes `updates` to, shaped like updates; dropped windows read 0."""
  dnums, slice_sizes = _gather_dnums_of(
      dimension_numbers, aval_of(x).shape, updates_aval.shape)
  return gather(x, indices, dnums, slice_sizes, mode=mode, fill_value=0,
                indices_are_sorted=indices_are_sorted,
                unique_indices=unique_indices)


def _scatter_linear_jvp_for(prim):
  """The JVP of a scatter linear in (operand, updates) together."""
  def rule(primals, tangents, **params):
    operand, indices, updates = primals
    t_operand, _, t_updates = tangents
    out = prim.bind(operand, indices, updates, **params)
    if type(t_operand) is Zero and type(t_updates) is Zero:
      return out, Zero(aval_of(out))
    return out, prim.bind(instantiate(t_operand), indices,
                          instantiate(t_updates), **params)
  return rule


def _scatter_add_transpose_for(negate):
  """scatter_add/sub: the operand's cotangent is ct; the updates' is the
  windows of ct they were added to (negated for scatter_sub)."""
  def rule(ct, operand, indices, updates, **params):
    if is_undefined_primal(indices):
      raise ValueError("scatter: cannot transpose with respect to indices")
    operand_ct = ct if is_undefined_primal(operand) else None
    updates_ct = None
    if is_undefined_primal(updates):
      updates_ct = _gather_windows(ct, indices, updates.aval, **params)
      if negate:
        updates_ct = elementwise.neg(updates_ct)
    return [operand_ct, None, updates_ct]
  return rule


def _scatter_mul_jvp(primals, tangents, *, unique_indices, **params):
  """Linear in the operand for fixed updates; with unique indices, an
  update tangent contributes operand * (the tangent scattered into 0s)."""
  operand, indices, updates = primals
  t_operand, _, t_updates = tangents
  params = dict(params, unique_indices=unique_indices)
  out = scatter_mul_p.bind(operand, indices, updates, **params)
  tangent = Zero(aval_of(out))
  if type(t_operand) is not Zero:
    tangent = scatter_mul_p.bind(t_operand, indices, updates, **params)
  if type(t_updates) is not Zero:
    if not unique_indices:
      raise NotImplementedError(
          "scatter_mul: the derivative with respect to `updates` is only "
          "implemented for unique_indices=True (as in JAX); differentiate "
          "with respect to the operand only, or promise unique indices")
    aval = aval_of(operand)
    scattered = scatter_add_p.bind(shape.full(aval.shape, 0, aval.dtype),
                                   indices, t_updates, **params)
    tangent = add_tangents(tangent, elementwise.mul(operand, scattered))
  return out, tangent


def _scatter_mul_transpose(ct, operand, indices, updates, **params):
  """Linear in the operand only (the updates must be known)."""
  if is_undefined_primal(updates) or is_undefined_primal(indices):
    raise NotImplementedError(
        "scatter_mul: transposition is only defined with respect to the "
        "operand (scatter_mul is not linear in updates)")
  if not is_undefined_primal(operand):
    return [None, None, None]
  return [scatter_mul_p.bind(ct, indices, updates, **params), None, None]


def _scatter_jvp(primals, tangents, *, unique_indices, **params):
  """With unique indices scatter is linear in (operand, updates). Otherwise
  which duplicate wins is unspecified, so (like JAX) one is picked
  explicitly: each update window gets an id, the ids are scattered, and
  the ids read back show which updates landed; the result is then a
  scatter_add of the masked operand and masked updates, linear in both."""
  operand, indices, updates = primals
  t_operand, _, t_updates = tangents
  params = dict(params, unique_indices=unique_indices)
  if unique_indices:
    out = scatter_p.bind(operand, indices, updates, **params)
    if type(t_operand) is Zero and type(t_updates) is Zero:
      return out, Zero(aval_of(out))
    return out, scatter_p.bind(instantiate(t_operand), indices,
                               instantiate(t_updates), **params)
  if type(t_operand) is Zero and type(t_updates) is Zero:
    out = scatter_p.bind(operand, indices, updates, **params)
    return out, Zero(aval_of(out))
  dn = params["dimension_numbers"]
  operand_aval, updates_aval = aval_of(operand), aval_of(updates)
  scatter_dims = tuple(d for d in range(updates_aval.ndim)
                       if d not in dn.update_window_dims)
  scatter_shape = tuple(updates_aval.shape[d] for d in scatter_dims)
  id_dtype = np.dtype(np.int32)
  n = math.prod(scatter_shape)
  ids = shape.reshape(elementwise.add(shape.iota(id_dtype, n),
                                      shape.full((n,), 1, id_dtype)),
                      scatter_shape)
  ids = shape.broadcast_in_dim(ids, updates_aval.shape, scatter_dims)
  scattered_ids = scatter_p.bind(
      shape.full(operand_aval.shape, 0, id_dtype), indices, ids, **params)
  landed_ids = _gather_windows(scattered_ids, indices, updates_aval, **params)
  operand_kept = bits.eq(scattered_ids, shape.full(operand_aval.shape, 0,
                                                   id_dtype))
  update_landed = bits.eq(landed_ids, ids)

  def masked_scatter(x, u):
    x = select.select_n(operand_kept, shape.full_like(x, 0), x)
    u = select.select_n(update_landed, shape.full_like(u, 0), u)
    return scatter_add_p.bind(x, indices, u, **params)
  out = masked_scatter(operand, updates)
  return out, masked_scatter(instantiate(t_operand), instantiate(t_updates))


def _scatter_transpose(ct, operand, indices, updates, *, unique_indices,
                       **params):
  """Only unique-index scatters are transposed (the JVP of the others is
  written with scatter_add): the operand's cotangent is ct with the written
  windows zeroed; the updates' is those windows of ct."""
  if not unique_indices:
    raise NotImplementedError(
        "scatter: transposition needs unique_indices=True; the JVP of a "
        "scatter with possibly repeated indices uses scatter_add instead")
  if is_undefined_primal(indices):
    raise ValueError("scatter: cannot transpose with respect to indices")
  params = dict(params, unique_indices=unique_indices)
  operand_ct = updates_ct = None
  updates_aval = (updates.aval if is_undefined_primal(updates)
                  else aval_of(updates))
  if is_undefined_primal(operand):
    zeros = shape.full(updates_aval.shape, 0, updates_aval.dtype)
    operand_ct = scatter_p.bind(ct, indices, zeros, **params)
  if is_undefined_primal(updates):
    updates_ct = _gather_windows(ct, indices, updates_aval, **params)
  return [operand_ct, None, updates_ct]


def _scatter_extremal_jvp_for(prim):
  """scatter_min/max: the tangent at each position is the mean of the
  tangents of the values (operand entry and landed updates) equal to the
  result there (ties share, as in JAX)."""
  def rule(primals, tangents, **params):
    operand, indices, updates = primals
    t_operand, _, t_updates = tangents
    out = prim.bind(operand, indices, updates, **params)
    if type(t_operand) is Zero and type(t_updates) is Zero:
      return out, Zero(aval_of(out))
    operand_aval, updates_aval = aval_of(operand), aval_of(updates)
    zeros = shape.full(operand_aval.shape, 0, operand_aval.dtype)

    def where(mask, t):
      return select.select_n(mask, shape.full_like(t, 0), t)

    def scatter_into_zeros(u):
      return scatter_add_p.bind(zeros, indices, u, **params)
    operand_hit = bits.eq(operand, out)
    update_hit = bits.eq(updates, _gather_windows(out, indices, updates_aval,
                                                  **params))
    count = elementwise.add(
        where(operand_hit, shape.full_like(operand, 1)),
        scatter_into_zeros(where(update_hit, shape.full_like(updates, 1))))
    total = elementwise.add(
        where(operand_hit, instantiate(t_operand)),
        scatter_into_zeros(where(update_hit, instantiate(t_updates))))
    return out, elementwise.div(total, count)
  return rule


def _bind_scatter(prim, name, operand, indices, updates, dimension_numbers,
                  indices_are_sorted, unique_indices, mode):
  dnums = _canonical_dnums(name, dimension_numbers, ScatterDimensionNumbers)
  return prim.bind(operand, indices, updates, dimension_numbers=dnums,
                   indices_are_sorted=bool(indices_are_sorted),
                   unique_indices=bool(unique_indices),
                   mode=GatherScatterMode.from_any(mode))


# --- scatter ops --------------------------------------------------------------

def scatter(operand, scatter_indices, updates, dimension_numbers, *,
            indices_are_sorted=False, unique_indices=False, mode=None):
  """Scatter-update: writes `updates` into `operand` at `scatter_indices`
  (XLA's Scatter). If several updates hit one element, which one wins is
  unspecified.

  Args:
    operand: the array updated (a new array is returned).
    scatter_indices: integer array whose last dimension holds index vectors;
      its other dimensions are the scatter (batch) dimensions of `updates`.
    updates: the values to write, of operand's dtype.
    dimension_numbers: a ScatterDimensionNumbers.
    indices_are_sorted, unique_indices: promises that may speed it up.
    mode: a GatherScatterMode or string; None means FILL_OR_DROP (an update
      whose window would leave the operand is dropped); CLIP clamps indices.

  Returns:
    An array of operand's shape and dtype.

  Example: `x.at[idx].set(u)` for rows of a matrix `x` of shape (n, m), with
  `idx` of shape (k,) and `u` of shape (k, m), is
    scatter(x, idx[:, None], u, ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(0,),
        scatter_dims_to_operand_dims=(0,))).

  Lowers to stablehlo.scatter whose update computation returns the update.
  """
  return _bind_scatter(scatter_p, "scatter", operand, scatter_indices, updates,
                       dimension_numbers, indices_are_sorted, unique_indices,
                       mode)
scatter_p = _scatter_primitive(
    "scatter", "scatter", lambda old, new: new, ANY,
    jvp_for=lambda prim: _scatter_jvp, transpose=_scatter_transpose)


def scatter_add(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted=False, unique_indices=False, mode=None):
  """Scatter-add: adds `updates` into `operand` at `scatter_indices`;
  duplicate indices accumulate (like np.add.at). Arguments as `scatter`.

  Lowers to stablehlo.scatter with a stablehlo.add update computation.
  """
  return _bind_scatter(scatter_add_p, "scatter_add", operand, scatter_indices,
                       updates, dimension_numbers, indices_are_sorted,
                       unique_indices, mode)
scatter_add_p = _scatter_primitive(
    "scatter-add", "scatter_add", hlo.add, NUMERIC,
    jvp_for=_scatter_linear_jvp_for,
    transpose=_scatter_add_transpose_for(negate=False))


def scatter_sub(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted=False, unique_indices=False, mode=None):
  """Scatter-subtract: subtracts `updates` from `operand` at
  `scatter_indices`; duplicates accumulate (like np.subtract.at). Arguments
  as `scatter`.

  Lowers to stablehlo.scatter with a stablehlo.subtract update computation.
  """
  return _bind_scatter(scatter_sub_p, "scatter_sub", operand, scatter_indices,
                       updates, dimension_numbers, indices_are_sorted,
                       unique_indices, mode)
scatter_sub_p = _scatter_primitive(
    "scatter-sub", "scatter_sub", hlo.subtract, NUMERIC,
    jvp_for=_scatter_linear_jvp_for,
    transpose=_scatter_add_transpose_for(negate=True))


def scatter_mul(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted=False, unique_indices=False, mode=None):
  """Scatter-multiply: multiplies `operand` by `updates` at
  `scatter_indices`; duplicates accumulate (like np.multiply.at). Arguments
  as `scatter`.

  Lowers to stablehlo.scatter with a stablehlo.multiply update computation.
  """
  return _bind_scatter(scatter_mul_p, "scatter_mul", operand, scatter_indices,
                       updates, dimension_numbers, indices_are_sorted,
                       unique_indices, mode)
scatter_mul_p = _scatter_primitive(
    "scatter-mul", "scatter_mul", hlo.multiply, NUMERIC,
    jvp_for=lambda prim: _scatter_mul_jvp,
    transpose=_scatter_mul_transpose)


def scatter_min(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted=False, unique_indices=False, mode=None):
  """Scatter-min: the minimum of `operand` and `updates` at
  `scatter_indices` (like np.minimum.at; NaNs propagate). Arguments as
  `scatter`.

  Lowers to stablehlo.scatter with a stablehlo.minimum update computation.
  """
  return _bind_scatter(scatter_min_p, "scatter_min", operand, scatter_indices,
                       updates, dimension_numbers, indices_are_sorted,
                       unique_indices, mode)
scatter_min_p = _scatter_primitive(
    "scatter-min", "scatter_min", hlo.minimum, ANY,
    jvp_for=_scatter_extremal_jvp_for, transpose=NOT_LINEAR)


def scatter_max(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted=False, unique_indices=False, mode=None):
  """Scatter-max: the maximum of `operand` and `updates` at
  `scatter_indices` (like np.maximum.at; NaNs propagate). Arguments as
  `scatter`.

  Lowers to stablehlo.scatter with a stablehlo.maximum update computation.
  """
  return _bind_scatter(scatter_max_p, "scatter_max", operand, scatter_indices,
                       updates, dimension_numbers, indices_are_sorted,
                       unique_indices, mode)
scatter_max_p = _scatter_primitive(
    "scatter-max", "scatter_max", hlo.maximum, ANY,
    jvp_for=_scatter_extremal_jvp_for, transpose=NOT_LINEAR)

