"""Slicing at run-time offsets: dynamic_slice and dynamic_update_slice (and
their _in_dim / _index forms). They sit above gather and scatter, which
their batching rules use when the start indices are batched.
"""

import numpy as np
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core.ad_util import Zero, is_undefined_primal
from ..core.avals import ShapedArray, check_shape
from ..core.primitive import define_primitive
from ..interpreters.lowering import constant, i64_array, tensor_type
from ._checks import aval_of, canonicalize_axis
from ._factories import bdim_at_front, batch_size, instantiate
from . import indexing
from . import shape as shape_ops
from .bits import lt
from .convert import convert_element_type
from .elementwise import add
from .select import select_n
from .shape import _is_array, _scalar_operand, expand_dims, index_in_dim, squeeze

__all__ = [
    "dynamic_slice", "dynamic_slice_in_dim", "dynamic_index_in_dim",
    "dynamic_update_slice", "dynamic_update_slice_in_dim",
    "dynamic_update_index_in_dim",
]


# --- dynamic_slice and dynamic_update_slice ----------------------------------
# NB: JAX wraps negative start indices (Python style) in the public function
# when allow_negative_indices=True, and leaves them implementation-defined
# otherwise. Here the lowering always wraps, then StableHLO clamps the slice
# into bounds; that is JAX's result in the first case and a permitted one in
# the second. Rules that rewrite these primitives (batching into gather) must
# wrap too.

DYNAMIC_INDICES_MESSAGE = (
    "{name}: start indices must be one integer scalar per operand dimension; "
    "got {indices} for an operand of shape {shape}")

DYNAMIC_SLICE_SIZES_MESSAGE = (
    "dynamic_slice: slice_sizes {sizes} must have one entry per operand "
    "dimension, each at most the operand's size; operand shape is {shape}")

DYNAMIC_UPDATE_SHAPE_MESSAGE = (
    "dynamic_update_slice: update must have the operand's rank and fit inside "
    "it, got update shape {update} for operand shape {shape}")

DYNAMIC_UPDATE_DTYPE_MESSAGE = (
    "dynamic_update_slice: update must have the operand's dtype, got operand "
    "dtype {operand} and update dtype {update}")


def _zeros_of(aval):
  return instantiate(Zero(aval))


def _index_list(name, start_indices):
  """Start indices as a list of scalars: a sequence, or a 1-D array split up."""
  if not hasattr(start_indices, "ndim"):
    return list(start_indices)
  if start_indices.ndim != 1:
    raise TypeError(
        f"{name}: start_indices must be a sequence of scalars or a 1-D array, "
        f"got an array of shape {start_indices.shape}")
  if not _is_array(start_indices):
    return list(start_indices)
  return [index_in_dim(start_indices, i, keepdims=False)
          for i in range(start_indices.shape[0])]


def _check_start_indices(name, operand, indices):
  if len(indices) != operand.ndim or any(
      i.shape != () or not avals_lib.is_integer(i.dtype) for i in indices):
    raise TypeError(DYNAMIC_INDICES_MESSAGE.format(
        name=name, indices=[str(i) for i in indices], shape=operand.shape))


def _start_indices(index_avals, indices, shape):
  """Lowers start indices to one signed type, negative ones wrapped."""
  wide = any(a.dtype.itemsize == 8 or a.dtype == avals_lib.uint32
             for a in index_avals)
  dtype = avals_lib.int64 if wide else avals_lib.int32
  out = []
  for aval, index, size in zip(index_avals, indices, shape):
    if aval.dtype != dtype:
      index = hlo.convert(tensor_type((), dtype), index)
    if avals_lib.is_signed(aval.dtype):
      negative = hlo.compare(
          index, constant(0, dtype), hlo.ComparisonDirectionAttr.get("LT"),
          compare_type=hlo.ComparisonTypeAttr.get("SIGNED"))
      index = hlo.select(negative, hlo.add(index, constant(size, dtype)), index)
    out.append(index)
  return out


def dynamic_slice(operand, start_indices, slice_sizes, *,
                  allow_negative_indices=True):
  """The slice of static size `slice_sizes` starting at the (possibly traced)
  scalar `start_indices`, one per dimension.

  Negative indices count from the end; then each start is clamped so the
  slice stays inside the operand, as in JAX: dynamic_slice(arange(5), [4],
  [3]) gives [2, 3, 4].

  Args:
    operand: an array.
    start_indices: a sequence of integer scalars or a 1-D integer array.
    slice_sizes: static sizes, each between 0 and the operand's size.
    allow_negative_indices: accepted for JAX compatibility; negative indices
      are always wrapped (JAX leaves them implementation-defined when False).

  Returns:
    An array of shape `slice_sizes`.

  Lowers to stablehlo.dynamic_slice.
  """
  del allow_negative_indices
  indices = _index_list("dynamic_slice", start_indices)
  sizes = check_shape(slice_sizes, "dynamic_slice: slice_sizes")
  return dynamic_slice_p.bind(operand, *indices, slice_sizes=sizes)


def _dynamic_slice_abstract_eval(operand, *start_indices, slice_sizes):
  _check_start_indices("dynamic_slice", operand, start_indices)
  if len(slice_sizes) != operand.ndim or any(
      s > d for s, d in zip(slice_sizes, operand.shape)):
    raise TypeError(DYNAMIC_SLICE_SIZES_MESSAGE.format(
        sizes=slice_sizes, shape=operand.shape))
  return ShapedArray(slice_sizes, operand.dtype, operand.weak_type)


def _dynamic_slice_lower(ctx, operand, *start_indices, slice_sizes):
  indices = _start_indices(ctx.avals_in[1:], start_indices, ctx.avals_in[0].shape)
  return hlo.dynamic_slice(operand, indices, i64_array(slice_sizes))


def _dynamic_slice_jvp(primals, tangents, *, slice_sizes):
  # Linear in the operand; the integer start indices have no tangent.
  operand, *indices = primals
  ans = dynamic_slice_p.bind(operand, *indices, slice_sizes=slice_sizes)
  if type(tangents[0]) is Zero:
    return ans, Zero(aval_of(ans))
  return ans, dynamic_slice_p.bind(tangents[0], *indices, slice_sizes=slice_sizes)


def _dynamic_slice_transpose(ct, operand, *indices, slice_sizes):
  assert not any(is_undefined_primal(i) for i in indices)
  zeros = _zeros_of(operand.aval)
  return ([dynamic_update_slice_p.bind(zeros, ct, *indices)]
          + [None] * len(indices))


def _batched_starts(x_shape, indices, index_dims, size):
  """Start indices (batched or not) as one int32[size, ndim] array, negative
  ones wrapped as the lowering wraps them; gather/scatter in CLIP mode then
  clamp the window into bounds as dynamic_slice does."""
  columns = []
  for index, d, dim in zip(indices, index_dims, x_shape):
    index = convert_element_type(index, np.int32)
    index = bdim_at_front(index, d, size)
    wrapped = select_n(lt(index, 0), index, add(index, dim))
    columns.append(shape_ops.reshape(wrapped, (size, 1)))
  return shape_ops.concatenate(columns, 1)


def _slice_dimension_numbers(ndim, operand_batched):
  """Gather dimension numbers taking one window per batch element."""
  if not operand_batched:
    return indexing.GatherDimensionNumbers(
        offset_dims=tuple(range(1, ndim + 1)), collapsed_slice_dims=(),
        start_index_map=tuple(range(ndim)))
  return indexing.GatherDimensionNumbers(
      offset_dims=tuple(range(1, ndim + 1)), collapsed_slice_dims=(),
      start_index_map=tuple(range(1, ndim + 1)), operand_batching_dims=(0,),
      start_indices_batching_dims=(0,))


def _index_zero(indices):
  """A 0 start index for a new leading dimension, of the indices' dtype."""
  dtype = aval_of(indices[0]).dtype if indices else np.dtype(np.int32)
  return np.zeros((), dtype)


def _dynamic_slice_batch(vals, dims, *, slice_sizes):
  (x, *indices), (d, *index_dims) = vals, dims
  if any(i is not None for i in index_dims):
    # Batched starts: one gathered window per batch element.
    size = batch_size(vals, dims)
    x_shape = aval_of(x).shape if d is None else \
        aval_of(x).shape[:d] + aval_of(x).shape[d + 1:]
    starts = _batched_starts(x_shape, indices, index_dims, size)
    if d is None:
      dnums, sizes = _slice_dimension_numbers(len(x_shape), False), slice_sizes
    else:
      x = bdim_at_front(x, d, size)
      dnums = _slice_dimension_numbers(len(x_shape), True)
      sizes = (1,) + tuple(slice_sizes)
    return indexing.gather(x, starts, dnums, sizes, mode="clip",
                           indices_are_sorted=False, unique_indices=False), 0
  sizes = list(slice_sizes)
  sizes.insert(d, aval_of(x).shape[d])
  indices = list(indices)
  indices.insert(d, _index_zero(indices))
  return dynamic_slice_p.bind(x, *indices, slice_sizes=tuple(sizes)), d


dynamic_slice_p = define_primitive(
    "dynamic_slice", abstract_eval=_dynamic_slice_abstract_eval,
    lower=_dynamic_slice_lower, jvp=_dynamic_slice_jvp,
    transpose=_dynamic_slice_transpose, batch=_dynamic_slice_batch)


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0, *,
                         allow_negative_indices=True):
  """dynamic_slice along one `axis`: `operand[..., start:start + slice_size]`
  with the start wrapped if negative and clamped into bounds.
  Lowers to stablehlo.dynamic_slice."""
  aval = aval_of(operand)
  axis = canonicalize_axis("dynamic_slice_in_dim", axis, aval.ndim)
  starts = [0] * aval.ndim
  starts[axis] = start_index
  sizes = list(aval.shape)
  sizes[axis] = slice_size
  return dynamic_slice(operand, starts, sizes,
                       allow_negative_indices=allow_negative_indices)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True, *,
                         allow_negative_indices=True):
  """`operand[..., index, ...]` along `axis` for a possibly traced `index`
  (wrapped if negative, clamped into bounds); keeps the axis with size 1
  unless keepdims=False. Lowers to stablehlo.dynamic_slice."""
  aval = aval_of(operand)
  axis = canonicalize_axis("dynamic_index_in_dim", axis, aval.ndim)
  out = dynamic_slice_in_dim(operand, index, 1, axis,
                             allow_negative_indices=allow_negative_indices)
  return out if keepdims else squeeze(out, (axis,))


def dynamic_update_slice(operand, update, start_indices, *,
                         allow_negative_indices=True):
  """`operand` with `update` written at the (possibly traced) scalar
  `start_indices`; negative indices count from the end, and the start is
  clamped so that `update` fits, as in JAX.

  Args:
    operand: an array.
    update: an array of the operand's rank and dtype, no larger than it.
    start_indices: a sequence of integer scalars or a 1-D integer array.
    allow_negative_indices: accepted for JAX compatibility (see dynamic_slice).

  Returns:
    The updated array (a new value; arrays are immutable).

  Lowers to stablehlo.dynamic_update_slice.
  """
  del allow_negative_indices
  update = _scalar_operand("dynamic_update_slice", update, aval_of(operand).dtype)
  indices = _index_list("dynamic_update_slice", start_indices)
  return dynamic_update_slice_p.bind(operand, update, *indices)


def _dynamic_update_slice_abstract_eval(operand, update, *start_indices):
  if update.dtype != operand.dtype:
    raise TypeError(DYNAMIC_UPDATE_DTYPE_MESSAGE.format(
        operand=operand.dtype.name, update=update.dtype.name))
  if update.ndim != operand.ndim or any(
      u > d for u, d in zip(update.shape, operand.shape)):
    raise TypeError(DYNAMIC_UPDATE_SHAPE_MESSAGE.format(
        update=update.shape, shape=operand.shape))
  _check_start_indices("dynamic_update_slice", operand, start_indices)
  return operand.update(weak_type=operand.weak_type and update.weak_type)


def _dynamic_update_slice_lower(ctx, operand, update, *start_indices):
  indices = _start_indices(ctx.avals_in[2:], start_indices, ctx.avals_in[0].shape)
  return hlo.dynamic_update_slice(operand, update, indices)


def _dynamic_update_slice_jvp(primals, tangents):
  # Linear in (operand, update) jointly; the start indices have no tangent.
  operand, update, *indices = primals
  ans = dynamic_update_slice_p.bind(operand, update, *indices)
  t_operand, t_update = tangents[:2]
  if type(t_operand) is Zero and type(t_update) is Zero:
    return ans, Zero(aval_of(ans))
  return ans, dynamic_update_slice_p.bind(
      instantiate(t_operand), instantiate(t_update), *indices)


def _dynamic_update_slice_transpose(ct, operand, update, *indices):
  assert not any(is_undefined_primal(i) for i in indices)
  update_aval = update.aval if is_undefined_primal(update) else aval_of(update)
  t_operand = (dynamic_update_slice_p.bind(ct, _zeros_of(update_aval), *indices)
               if is_undefined_primal(operand) else None)
  t_update = (dynamic_slice_p.bind(ct, *indices, slice_sizes=update_aval.shape)
              if is_undefined_primal(update) else None)
  return [t_operand, t_update] + [None] * len(indices)


def _dynamic_update_slice_batch(vals, dims):
  (x, u, *indices), (dx, du, *index_dims) = vals, dims
  size = batch_size(vals, dims)
  x, u = bdim_at_front(x, dx, size), bdim_at_front(u, du, size)
  if any(i is not None for i in index_dims):
    # Batched starts: one scattered window per batch element.
    ndim = aval_of(x).ndim - 1
    starts = _batched_starts(aval_of(x).shape[1:], indices, index_dims, size)
    dnums = indexing.ScatterDimensionNumbers(
        update_window_dims=tuple(range(1, ndim + 1)), inserted_window_dims=(),
        scatter_dims_to_operand_dims=tuple(range(1, ndim + 1)),
        operand_batching_dims=(0,), scatter_indices_batching_dims=(0,))
    return indexing.scatter(x, starts, u, dnums, mode="clip",
                            indices_are_sorted=True, unique_indices=True), 0
  return dynamic_update_slice_p.bind(x, u, _index_zero(indices), *indices), 0


dynamic_update_slice_p = define_primitive(
    "dynamic_update_slice", abstract_eval=_dynamic_update_slice_abstract_eval,
    lower=_dynamic_update_slice_lower, jvp=_dynamic_update_slice_jvp,
    transpose=_dynamic_update_slice_transpose, batch=_dynamic_update_slice_batch)


def dynamic_update_slice_in_dim(operand, update, start_index, axis, *,
                                allow_negative_indices=True):
  """dynamic_update_slice along one `axis`: writes `update` at `start_index`
  there (0 elsewhere). Lowers to stablehlo.dynamic_update_slice."""
  aval = aval_of(operand)
  axis = canonicalize_axis("dynamic_update_slice_in_dim", axis, aval.ndim)
  starts = [0] * aval.ndim
  starts[axis] = start_index
  return dynamic_update_slice(operand, update, starts,
                              allow_negative_indices=allow_negative_indices)


def dynamic_update_index_in_dim(operand, update, index, axis, *,
                                allow_negative_indices=True):
  """Writes `update` at position `index` of `axis`; `update` may lack that
  axis. Lowers to stablehlo.dynamic_update_slice."""
  aval = aval_of(operand)
  axis = canonicalize_axis("dynamic_update_index_in_dim", axis, aval.ndim)
  if aval_of(update).ndim == aval.ndim - 1:
    update = expand_dims(update, (axis,))
  return dynamic_update_slice_in_dim(operand, update, index, axis,
                                     allow_negative_indices=allow_negative_indices)
