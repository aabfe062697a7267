"""Shape primitives: broadcast_in_dim, reshape, transpose, squeeze, rev, pad,
concatenate, slice and iota (dynamic slicing is in slicing.py).
"""

import operator

import numpy as np

from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core.avals import ShapedArray, check_shape
from ..core.primitive import define_primitive
from ..interpreters.lowering import i64_array, tensor_type
from ..core.primitive import REGISTRY
from ..core.ad_util import Zero, is_undefined_primal
from ._ad import deflinear, defjvp_zero
from .convert import _convert_element_type
from ._checks import (NUMERIC, scalar_like, aval_of, canonicalize_axes,
                         canonicalize_axis, check_dtype, is_python_scalar)

def _reduce_sum(x, axes):
  # reduce_sum (ops/reduction.py) and broadcast_in_dim are each other's
  # transpose; reduction.py sits above this module, so look it up by name.
  return REGISTRY["reduce_sum"].bind(x, axes=tuple(axes)) if axes else x


def _sub(x, y):
  # Same layering as _reduce_sum: elementwise.py sits above this module.
  return REGISTRY["sub"].bind(x, y)


def _select(which, false_case, true_case):
  # select_n (ops/select.py) sits above this module too.
  return REGISTRY["select_n"].bind(which, false_case, true_case)


def _zeros(aval):
  return broadcast_in_dim(np.zeros((), aval.dtype), aval.shape, ())


def _instantiate(t):
  """A real zero array for a symbolic Zero tangent; others unchanged."""
  return _zeros(t.aval) if type(t) is Zero else t


def _at_front(x, d, size):
  """`x` with batch dim `d` first; an unbatched `x` (d None) is broadcast."""
  if d is None:
    aval = aval_of(x)
    return broadcast_in_dim(x, (size,) + aval.shape,
                            tuple(range(1, aval.ndim + 1)))
  return _moveaxis(x, d, 0)


def _batch_size(vals, dims):
  return next(aval_of(v).shape[d] for v, d in zip(vals, dims) if d is not None)


def _moveaxis(x, src, dst):
  if src == dst:
    return x
  perm = [i for i in range(aval_of(x).ndim) if i != src]
  perm.insert(dst, src)
  return transpose(x, tuple(perm))


__all__ = [
    "broadcast_in_dim", "broadcast", "broadcast_to_rank", "reshape",
    "transpose", "squeeze", "expand_dims", "rev", "pad", "concatenate",
    "slice", "slice_in_dim", "index_in_dim",
    "iota", "broadcasted_iota", "full", "full_like",
]


# --- Argument normalization shared by the public functions ------------------

def _ints(name, what, values):
  """`values` as a tuple of Python ints, or a TypeError naming the op."""
  try:
    return tuple(operator.index(v) for v in values)
  except TypeError:
    raise TypeError(
        f"{name}: {what} must be a sequence of integers, got {values!r}") from None


def _is_array(x):
  """Arrays and tracers: values a no-op may hand back unchanged, as JAX does
  (numpy values and Python scalars still go through bind to become Arrays)."""
  return hasattr(x, "aval")


def _no_sharding(name, sharding):
  if sharding is not None:
    raise NotImplementedError(
        f"{name}: out_sharding is not supported yet; leave it None")


def _scalar_operand(name, x, dtype):
  """A Python scalar operand (pad's padding_value, an update) meeting an
  array of `dtype`: kept as is when its weak dtype already is `dtype` (so it
  stays weak, as in JAX), otherwise converted to `dtype`."""
  if not is_python_scalar(x) or avals_lib.python_scalar_dtype(x)[0] == dtype:
    return x
  return scalar_like(name, x, dtype)


# --- broadcast_in_dim --------------------------------------------------------

BROADCAST_IN_DIM_DIMS_MESSAGE = (
    "broadcast_in_dim: broadcast_dimensions must give one target dimension per "
    "operand dimension, strictly increasing and below the target rank; got "
    "broadcast_dimensions {dims} for operand shape {operand} and target shape "
    "{shape}. Example: lax.broadcast_in_dim(x_of_shape_(3,), (2, 3), (1,))")

BROADCAST_IN_DIM_SIZES_MESSAGE = (
    "broadcast_in_dim: operand dimension sizes must be 1 or equal to the "
    "target dimension they map to; got operand shape {operand}, target shape "
    "{shape} and broadcast_dimensions {dims} (operand dimension {i} has size "
    "{size}, target dimension {j} has size {target})")


def broadcast_in_dim(operand, shape, broadcast_dimensions, *, out_sharding=None):
  """Broadcasts `operand` to `shape`: operand dimension i becomes dimension
  `broadcast_dimensions[i]` of the result, whose other dimensions repeat it.

  Args:
    operand: an array.
    shape: the result shape.
    broadcast_dimensions: strictly increasing result dimensions, one per
      operand dimension; each operand size is 1 or equals its target's size.

  Returns:
    An array of `shape`; `operand` itself when nothing changes.

  Example: broadcast_in_dim(x, (2, 3), (1,)) repeats a (3,) array twice.
  Lowers to stablehlo.broadcast_in_dim.
  """
  _no_sharding("broadcast_in_dim", out_sharding)
  aval = aval_of(operand)
  shape = check_shape(shape, "broadcast_in_dim: shape")
  dims = _ints("broadcast_in_dim", "broadcast_dimensions", broadcast_dimensions)
  if _is_array(operand) and shape == aval.shape and dims == tuple(range(aval.ndim)):
    return operand
  return broadcast_in_dim_p.bind(operand, shape=shape, broadcast_dimensions=dims)


def _broadcast_in_dim_abstract_eval(operand, *, shape, broadcast_dimensions):
  dims = broadcast_dimensions
  if (len(dims) != operand.ndim or any(not 0 <= d < len(shape) for d in dims)
      or any(a >= b for a, b in zip(dims, dims[1:]))):
    raise TypeError(BROADCAST_IN_DIM_DIMS_MESSAGE.format(
        dims=dims, operand=operand.shape, shape=shape))
  for i, (size, j) in enumerate(zip(operand.shape, dims)):
    if size != 1 and size != shape[j]:
      raise TypeError(BROADCAST_IN_DIM_SIZES_MESSAGE.format(
          operand=operand.shape, shape=shape, dims=dims, i=i, size=size, j=j,
          target=shape[j]))
  return ShapedArray(shape, operand.dtype, operand.weak_type)


def _broadcast_in_dim_lower(ctx, operand, *, shape, broadcast_dimensions):
  return hlo.broadcast_in_dim(tensor_type(ctx.avals_out[0]), operand,
                              i64_array(broadcast_dimensions))


def _broadcast_in_dim_transpose(ct, operand, *, shape, broadcast_dimensions):
  in_shape = operand.aval.shape
  expanded = [d for i, d in enumerate(broadcast_dimensions)
              if in_shape[i] == 1 and shape[d] != 1]
  added = [d for d in range(len(shape)) if d not in broadcast_dimensions]
  summed = _reduce_sum(ct, tuple(sorted(added + expanded)))
  return [reshape(summed, in_shape)]


def _broadcast_in_dim_batch(vals, dims, *, shape, broadcast_dimensions):
  (x,), (d,) = vals, dims
  x = _moveaxis(x, d, 0)
  size = aval_of(x).shape[0]
  return broadcast_in_dim(x, (size,) + tuple(shape),
                          (0,) + tuple(b + 1 for b in broadcast_dimensions)), 0


broadcast_in_dim_p = define_primitive(
    "broadcast_in_dim", abstract_eval=_broadcast_in_dim_abstract_eval,
    lower=_broadcast_in_dim_lower, batch=_broadcast_in_dim_batch)
deflinear(broadcast_in_dim_p, _broadcast_in_dim_transpose)


def full(shape, fill_value, dtype=None):
  """An array of `shape` filled with `fill_value` (a scalar).

  The scalar is converted to `dtype` (default: its own dtype, weakly typed
  for Python scalars) and broadcast: a broadcast_in_dim of a scalar.

  Example: `full((2, 3), 0.0)` is a float32[2, 3] of zeros.
  """
  shape = check_shape(shape, "full: shape")
  if np.ndim(fill_value) != 0:
    raise TypeError(f"full: fill_value must be a scalar, got shape {np.shape(fill_value)}")
  weak = dtype is None and avals_lib.dtype_and_weak_type(fill_value)[1]
  dtype = (avals_lib.dtype_and_weak_type(fill_value)[0] if dtype is None
           else avals_lib.canonicalize_dtype(dtype))
  scalar = _convert_element_type(fill_value, dtype, weak)
  return broadcast_in_dim(scalar, shape, ())


def full_like(x, fill_value, dtype=None, shape=None):
  """An array like `x` (its shape and dtype unless given) filled with
  `fill_value`."""
  aval = aval_of(x)
  return full(aval.shape if shape is None else shape, fill_value,
              aval.dtype if dtype is None else dtype)


def broadcast(operand, sizes, *, out_sharding=None):
  """Adds leading dimensions of `sizes`: the result has shape
  `(*sizes, *operand.shape)`. Lowers to stablehlo.broadcast_in_dim."""
  _no_sharding("broadcast", out_sharding)
  sizes = check_shape(sizes, "broadcast: sizes")
  aval = aval_of(operand)
  if not sizes and _is_array(operand):
    return operand
  dims = tuple(range(len(sizes), len(sizes) + aval.ndim))
  return broadcast_in_dim(operand, sizes + aval.shape, dims)


def broadcast_to_rank(x, rank):
  """Adds leading dimensions of size 1 to give `x` rank `rank` (unchanged
  when it already has that rank or more). Lowers to stablehlo.broadcast_in_dim."""
  return broadcast(x, (1,) * max(operator.index(rank) - aval_of(x).ndim, 0))


# --- reshape -----------------------------------------------------------------

RESHAPE_SIZE_MESSAGE = (
    "reshape: cannot reshape array of shape {shape} (size {size}) into shape "
    "{new_sizes} (size {new_size})")


def reshape(operand, new_sizes, dimensions=None, *, out_sharding=None):
  """Reshapes `operand` to `new_sizes` (row-major order, same total size).

  Args:
    operand: an array.
    new_sizes: the result shape (no -1 here; morphax.numpy.reshape infers it).
    dimensions: optional permutation of the operand's dimensions applied
      before reshaping, as in `reshape(transpose(x, dimensions), new_sizes)`.

  Returns:
    The reshaped array; `operand` itself when nothing changes.

  Example: reshape(x_of_shape_(2, 3), (3, 2)).
  Lowers to stablehlo.reshape (after stablehlo.transpose for `dimensions`).
  """
  _no_sharding("reshape", out_sharding)
  aval = aval_of(operand)
  new_sizes = check_shape(new_sizes, "reshape: new_sizes")
  if dimensions is not None:
    dimensions = _ints("reshape", "dimensions", dimensions)
    if dimensions == tuple(range(aval.ndim)):
      dimensions = None
  if _is_array(operand) and new_sizes == aval.shape and dimensions is None:
    return operand
  return reshape_p.bind(operand, new_sizes=new_sizes, dimensions=dimensions)


def _check_permutation(name, what, perm, shape):
  if sorted(perm) != list(range(len(shape))):
    raise TypeError(
        f"{name}: {what} must be a permutation of the operand dimensions "
        f"{tuple(range(len(shape)))}, got {perm} for operand shape {shape}")


def _reshape_abstract_eval(operand, *, new_sizes, dimensions):
  if dimensions is not None:
    _check_permutation("reshape", "dimensions", dimensions, operand.shape)
  new_size = avals_lib.prod(new_sizes)
  if new_size != operand.size:
    raise TypeError(RESHAPE_SIZE_MESSAGE.format(
        shape=operand.shape, size=operand.size, new_sizes=new_sizes,
        new_size=new_size))
  return ShapedArray(new_sizes, operand.dtype, operand.weak_type)


def _reshape_lower(ctx, operand, *, new_sizes, dimensions):
  if dimensions is not None:
    operand = hlo.transpose(operand, i64_array(dimensions))
  return hlo.reshape(tensor_type(ctx.avals_out[0]), operand)


def _reshape_transpose(ct, operand, *, new_sizes, dimensions):
  shape = operand.aval.shape
  if dimensions is None:
    return [reshape(ct, shape)]
  # reshape(transpose(x, dimensions)): undo the reshape, then the transpose.
  ct = reshape(ct, tuple(shape[d] for d in dimensions))
  return [transpose(ct, tuple(int(i) for i in np.argsort(dimensions)))]


def _reshape_batch(vals, dims, *, new_sizes, dimensions):
  (x,), (d,) = vals, dims
  x = _moveaxis(x, d, 0)
  if dimensions is not None:
    x = transpose(x, (0,) + tuple(p + 1 for p in dimensions))
  return reshape(x, (aval_of(x).shape[0],) + tuple(new_sizes)), 0


reshape_p = define_primitive("reshape", abstract_eval=_reshape_abstract_eval,
                             lower=_reshape_lower, batch=_reshape_batch)
deflinear(reshape_p, _reshape_transpose)


# --- transpose ---------------------------------------------------------------

def transpose(operand, permutation):
  """Permutes the dimensions of `operand`: result dimension i is operand
  dimension `permutation[i]` (like np.transpose). Lowers to stablehlo.transpose."""
  aval = aval_of(operand)
  permutation = _ints("transpose", "permutation", permutation)
  if _is_array(operand) and permutation == tuple(range(aval.ndim)):
    return operand
  return transpose_p.bind(operand, permutation=permutation)


def _transpose_abstract_eval(operand, *, permutation):
  _check_permutation("transpose", "permutation", permutation, operand.shape)
  shape = tuple(operand.shape[p] for p in permutation)
  return ShapedArray(shape, operand.dtype, operand.weak_type)


def _transpose_lower(ctx, operand, *, permutation):
  return hlo.transpose(operand, i64_array(permutation))


def _transpose_transpose(ct, operand, *, permutation):
  return [transpose(ct, tuple(int(i) for i in np.argsort(permutation)))]


def _transpose_batch(vals, dims, *, permutation):
  (x,), (d,) = vals, dims
  perm = tuple(p + (p >= d) for p in permutation)
  return transpose(x, (d,) + perm), 0


transpose_p = define_primitive("transpose", abstract_eval=_transpose_abstract_eval,
                               lower=_transpose_lower, batch=_transpose_batch)
deflinear(transpose_p, _transpose_transpose)


# --- squeeze and expand_dims -------------------------------------------------

SQUEEZE_MESSAGE = (
    "squeeze: can only remove dimensions of size 1, got dimensions {dims} of "
    "an array of shape {shape} (dimension {d} has size {size})")


def squeeze(array, dimensions):
  """Removes the size-1 `dimensions` (negative values count from the end).
  Lowers to stablehlo.reshape."""
  aval = aval_of(array)
  dims = _ints("squeeze", "dimensions", dimensions)
  dims = tuple(sorted(canonicalize_axes("squeeze", dims, aval.ndim)))
  if not dims and _is_array(array):
    return array
  return squeeze_p.bind(array, dimensions=dims)


def _squeeze_abstract_eval(array, *, dimensions):
  canonicalize_axes("squeeze", dimensions, array.ndim)
  for d in dimensions:
    if array.shape[d] != 1:
      raise ValueError(SQUEEZE_MESSAGE.format(
          dims=dimensions, shape=array.shape, d=d, size=array.shape[d]))
  shape = tuple(s for i, s in enumerate(array.shape) if i not in dimensions)
  return ShapedArray(shape, array.dtype, array.weak_type)


def _squeeze_lower(ctx, array, *, dimensions):
  return hlo.reshape(tensor_type(ctx.avals_out[0]), array)


def _squeeze_transpose(ct, array, *, dimensions):
  return [reshape(ct, array.aval.shape)]


def _squeeze_batch(vals, dims, *, dimensions):
  (x,), (d,) = vals, dims
  x = _moveaxis(x, d, 0)
  return squeeze(x, tuple(i + 1 for i in dimensions)), 0


squeeze_p = define_primitive("squeeze", abstract_eval=_squeeze_abstract_eval,
                             lower=_squeeze_lower, batch=_squeeze_batch)
deflinear(squeeze_p, _squeeze_transpose)


def expand_dims(array, dimensions):
  """Inserts size-1 dimensions at `dimensions` (positions in the result;
  negative values count from its end). A composite: it binds broadcast_in_dim,
  as JAX does. Lowers to stablehlo.broadcast_in_dim."""
  aval = aval_of(array)
  dims = _ints("expand_dims", "dimensions", dimensions)
  ndim_out = aval.ndim + len(dims)
  dims = set(canonicalize_axes("expand_dims", dims, ndim_out))
  shape = list(aval.shape)
  for d in sorted(dims):
    shape.insert(d, 1)
  kept = tuple(i for i in range(ndim_out) if i not in dims)
  return broadcast_in_dim(array, shape, kept)


# --- rev ---------------------------------------------------------------------

def rev(operand, dimensions):
  """Reverses `operand` along `dimensions` (like np.flip).
  Lowers to stablehlo.reverse."""
  aval = aval_of(operand)
  dims = _ints("rev", "dimensions", dimensions)
  dims = canonicalize_axes("rev", dims, aval.ndim)
  return rev_p.bind(operand, dimensions=dims)


def _rev_abstract_eval(operand, *, dimensions):
  canonicalize_axes("rev", dimensions, operand.ndim)
  return operand


def _rev_lower(ctx, operand, *, dimensions):
  return hlo.reverse(operand, i64_array(dimensions))


def _rev_transpose(ct, operand, *, dimensions):
  return [rev(ct, dimensions)]


def _rev_batch(vals, dims, *, dimensions):
  (x,), (d,) = vals, dims
  return rev(x, tuple(i + (i >= d) for i in dimensions)), d


rev_p = define_primitive("rev", abstract_eval=_rev_abstract_eval,
                         lower=_rev_lower, batch=_rev_batch)
deflinear(rev_p, _rev_transpose)


# --- pad ---------------------------------------------------------------------

PAD_CONFIG_MESSAGE = (
    "pad: padding_config must be a sequence of (low, high, interior) integer "
    "triples, one per operand dimension, got {config!r}. Example: "
    "lax.pad(x_of_shape_(2, 3), 0.0, [(1, 1, 0), (0, 2, 1)])")

PAD_RANK_MESSAGE = (
    "pad: padding_config has {n} entries but the operand has shape {shape}; "
    "give one (low, high, interior) triple per dimension")

PAD_DTYPE_MESSAGE = (
    "pad: padding_value must have the operand's dtype, got operand dtype "
    "{operand} and padding_value dtype {value}. Cast it, e.g. "
    "lax.pad(x, lax.convert_element_type(v, x.dtype), config)")

PAD_NEGATIVE_MESSAGE = (
    "pad: padding_config {config} gives result shape {result} for operand shape "
    "{shape}; negative (low, high) padding may remove at most the whole dimension")


def pad(operand, padding_value, padding_config):
  """Pads `operand` with the scalar `padding_value`.

  Args:
    operand: an array.
    padding_value: a scalar of the operand's dtype (a Python scalar takes it).
    padding_config: one (low, high, interior) triple per dimension: `low`
      and `high` elements at each edge (negative values remove elements),
      `interior` elements between each pair of neighbours (>= 0).

  Returns:
    The padded array.

  Example: pad(x_of_shape_(3,), 0.0, [(1, 2, 1)]) has shape (8,).
  Lowers to stablehlo.pad.
  """
  aval = aval_of(operand)
  try:
    config = tuple(_ints("pad", "padding_config", c) for c in padding_config)
  except TypeError:
    raise TypeError(PAD_CONFIG_MESSAGE.format(config=padding_config)) from None
  if any(len(c) != 3 for c in config):
    raise TypeError(PAD_CONFIG_MESSAGE.format(config=padding_config))
  padding_value = _scalar_operand("pad", padding_value, aval.dtype)
  return pad_p.bind(operand, padding_value, padding_config=config)


def _pad_abstract_eval(operand, padding_value, *, padding_config):
  if padding_value.dtype != operand.dtype:
    raise TypeError(PAD_DTYPE_MESSAGE.format(
        operand=operand.dtype.name, value=padding_value.dtype.name))
  if padding_value.shape != ():
    raise TypeError(
        f"pad: padding_value must be a scalar, got shape {padding_value.shape}")
  if len(padding_config) != operand.ndim:
    raise ValueError(PAD_RANK_MESSAGE.format(n=len(padding_config),
                                             shape=operand.shape))
  if any(interior < 0 for _, _, interior in padding_config):
    raise ValueError(
        f"pad: interior padding must be non-negative, got padding_config "
        f"{padding_config}")
  shape = tuple(lo + hi + d + max(d - 1, 0) * interior
                for d, (lo, hi, interior) in zip(operand.shape, padding_config))
  if any(d < 0 for d in shape):
    raise ValueError(PAD_NEGATIVE_MESSAGE.format(
        config=padding_config, result=shape, shape=operand.shape))
  weak = operand.weak_type and padding_value.weak_type
  return ShapedArray(shape, operand.dtype, weak)


def _pad_lower(ctx, operand, padding_value, *, padding_config):
  lo, hi, interior = zip(*padding_config) if padding_config else ((), (), ())
  return hlo.pad(operand, padding_value, i64_array(lo), i64_array(hi),
                 i64_array(interior))


def _pad_transpose(ct, operand, padding_value, *, padding_config):
  # Linear in (operand, padding_value) jointly. The operand's part of `ct`:
  # undo low/high (cropping what was added, zero-filling what was cut
  # off), then keep every (interior + 1)-th element.
  lo, hi, interior = zip(*padding_config) if padding_config else ((), (), ())
  unpadded = pad_p.bind(ct, np.zeros((), aval_of(ct).dtype),
                        padding_config=tuple((-l, -h, 0) for l, h in zip(lo, hi)))
  t_operand = slice(unpadded, (0,) * len(lo), aval_of(unpadded).shape,
                    tuple(i + 1 for i in interior))
  everything = tuple(range(aval_of(ct).ndim))
  t_value = (_sub(_reduce_sum(ct, everything), _reduce_sum(t_operand, everything))
             if is_undefined_primal(padding_value) else None)
  return [t_operand if is_undefined_primal(operand) else None, t_value]


def _pad_batch(vals, dims, *, padding_config):
  (x, v), (dx, dv) = vals, dims
  if dv is None:
    config = list(padding_config)
    config.insert(dx, (0, 0, 0))
    return pad_p.bind(x, v, padding_config=tuple(config)), dx
  # A batched padding value: pad with any value, then select the padding
  # positions (a mask padded the same way) from the broadcast values.
  size = _batch_size(vals, dims)
  x = _at_front(x, dx, size)
  unbatched = aval_of(x).update(shape=aval_of(x).shape[1:])
  padded = pad_p.bind(x, np.zeros((), unbatched.dtype),
                      padding_config=((0, 0, 0),) + tuple(padding_config))
  out_shape = aval_of(padded).shape
  mask = pad_p.bind(broadcast_in_dim(np.bool_(True), unbatched.shape, ()),
                    np.bool_(False), padding_config=tuple(padding_config))
  mask = broadcast_in_dim(mask, out_shape, tuple(range(1, len(out_shape))))
  values = broadcast_in_dim(v, out_shape, (0,))
  return _select(mask, values, padded), 0


def _pad_jvp(primals, tangents, *, padding_config):
  ans = pad_p.bind(*primals, padding_config=padding_config)
  if all(type(t) is Zero for t in tangents):
    return ans, Zero(aval_of(ans))
  tx, tv = (_instantiate(t) for t in tangents)
  return ans, pad_p.bind(tx, tv, padding_config=padding_config)


pad_p = define_primitive("pad", abstract_eval=_pad_abstract_eval, lower=_pad_lower,
                         jvp=_pad_jvp, transpose=_pad_transpose, batch=_pad_batch)


# --- concatenate -------------------------------------------------------------

CONCATENATE_EMPTY_MESSAGE = (
    "concatenate: needs at least one operand, got an empty sequence")

CONCATENATE_DTYPE_MESSAGE = (
    "concatenate: operands must have the same dtype, got {dtypes}. Cast them "
    "with lax.convert_element_type (morphax.numpy.concatenate promotes)")

CONCATENATE_RANK_MESSAGE = (
    "concatenate: operands must have the same rank, got shapes {shapes}")

CONCATENATE_SHAPE_MESSAGE = (
    "concatenate: operands must have equal dimensions except along axis "
    "{dimension}, got shapes {a} and {b}")


def concatenate(operands, dimension):
  """Joins `operands` along `dimension`; the others must agree.
  Lowers to stablehlo.concatenate."""
  operands = list(operands)
  if not operands:
    raise ValueError(CONCATENATE_EMPTY_MESSAGE)
  if len(operands) == 1 and _is_array(operands[0]):
    return operands[0]
  dimension = canonicalize_axis("concatenate", dimension, aval_of(operands[0]).ndim)
  return concatenate_p.bind(*operands, dimension=dimension)


def _concatenate_abstract_eval(*operands, dimension):
  first = operands[0]
  if any(a.dtype != first.dtype for a in operands):
    raise TypeError(CONCATENATE_DTYPE_MESSAGE.format(
        dtypes=", ".join(a.dtype.name for a in operands)))
  if any(a.ndim != first.ndim for a in operands):
    raise TypeError(CONCATENATE_RANK_MESSAGE.format(
        shapes=", ".join(str(a.shape) for a in operands)))
  canonicalize_axis("concatenate", dimension, first.ndim)
  def others(shape):
    return shape[:dimension] + shape[dimension + 1:]
  for a in operands[1:]:
    if others(a.shape) != others(first.shape):
      raise TypeError(CONCATENATE_SHAPE_MESSAGE.format(
          dimension=dimension, a=first.shape, b=a.shape))
  shape = list(first.shape)
  shape[dimension] = sum(a.shape[dimension] for a in operands)
  return ShapedArray(shape, first.dtype, all(a.weak_type for a in operands))


def _concatenate_lower(ctx, *operands, dimension):
  return hlo.concatenate(list(operands), dimension)


def _concatenate_transpose(ct, *operands, dimension):
  out, start = [], 0
  for x in operands:
    aval = x.aval if is_undefined_primal(x) else aval_of(x)
    stop = start + aval.shape[dimension]
    out.append(slice_in_dim(ct, start, stop, 1, dimension)
               if is_undefined_primal(x) else None)
    start = stop
  return out


def _concatenate_batch(vals, dims, *, dimension):
  size = _batch_size(vals, dims)
  vals = [_at_front(x, d, size) for x, d in zip(vals, dims)]
  return concatenate_p.bind(*vals, dimension=dimension + 1), 0


concatenate_p = define_primitive(
    "concatenate", abstract_eval=_concatenate_abstract_eval,
    lower=_concatenate_lower, batch=_concatenate_batch)
deflinear(concatenate_p, _concatenate_transpose, instantiate=_instantiate)


# --- slice -------------------------------------------------------------------

SLICE_BOUNDS_MESSAGE = (
    "slice: need 0 <= start_indices <= limit_indices <= operand shape in every "
    "dimension, got start_indices {start}, limit_indices {limit} for operand "
    "shape {shape}")


def slice(operand, start_indices, limit_indices, strides=None):  # noqa: A001
  """The static slice `operand[start:limit:stride, ...]` (no negative or
  out-of-range indices here; see slice_in_dim for Python-style ones).

  Args:
    operand: an array.
    start_indices, limit_indices: one int per dimension,
      0 <= start <= limit <= size.
    strides: optional positive ints, one per dimension.

  Returns:
    The slice; `operand` itself when it is the whole array.

  Lowers to stablehlo.slice.
  """
  aval = aval_of(operand)
  start = _ints("slice", "start_indices", start_indices)
  limit = _ints("slice", "limit_indices", limit_indices)
  strides = None if strides is None else _ints("slice", "strides", strides)
  if (_is_array(operand) and not any(start) and limit == aval.shape
      and (strides is None or all(s == 1 for s in strides))):
    return operand
  return slice_p.bind(operand, start_indices=start, limit_indices=limit,
                      strides=strides)


def _slice_abstract_eval(operand, *, start_indices, limit_indices, strides):
  strides = (1,) * operand.ndim if strides is None else strides
  if not len(start_indices) == len(limit_indices) == len(strides) == operand.ndim:
    raise TypeError(
        f"slice: start_indices {start_indices}, limit_indices {limit_indices} "
        f"and strides {strides} must each have one entry per dimension of the "
        f"operand of shape {operand.shape}")
  if not all(0 <= s <= l <= d for s, l, d
             in zip(start_indices, limit_indices, operand.shape)):
    raise ValueError(SLICE_BOUNDS_MESSAGE.format(
        start=start_indices, limit=limit_indices, shape=operand.shape))
  if any(s <= 0 for s in strides):
    raise ValueError(f"slice: strides must be positive, got {strides}")
  shape = tuple((l - s + k - 1) // k
                for s, l, k in zip(start_indices, limit_indices, strides))
  return ShapedArray(shape, operand.dtype, operand.weak_type)


def _slice_lower(ctx, operand, *, start_indices, limit_indices, strides):
  strides = (1,) * len(start_indices) if strides is None else strides
  return hlo.slice(operand, i64_array(start_indices), i64_array(limit_indices),
                   i64_array(strides))


def _slice_transpose(ct, operand, *, start_indices, limit_indices, strides):
  # Zeros around the slice and (stride - 1) zeros between its elements.
  shape = operand.aval.shape
  strides = (1,) * len(shape) if strides is None else strides
  config = []
  for start, size, n, k in zip(start_indices, shape, aval_of(ct).shape, strides):
    end = start + (n - 1) * k + 1 if n else start
    config.append((start, size - end, k - 1))
  return [pad_p.bind(ct, np.zeros((), aval_of(ct).dtype),
                     padding_config=tuple(config))]


def _slice_batch(vals, dims, *, start_indices, limit_indices, strides):
  (x,), (d,) = vals, dims
  start, limit = list(start_indices), list(limit_indices)
  start.insert(d, 0)
  limit.insert(d, aval_of(x).shape[d])
  if strides is not None:
    strides = list(strides)
    strides.insert(d, 1)
    strides = tuple(strides)
  return slice_p.bind(x, start_indices=tuple(start), limit_indices=tuple(limit),
                      strides=strides), d


slice_p = define_primitive("slice", abstract_eval=_slice_abstract_eval,
                           lower=_slice_lower, batch=_slice_batch)
deflinear(slice_p, _slice_transpose)


def slice_in_dim(operand, start_index, limit_index, stride=1, axis=0):
  """`operand[..., start_index:limit_index:stride, ...]` along `axis`; None
  means the start/end and negative indices count from the end (clamping
  is not done: the bounds must be in range). Lowers to stablehlo.slice."""
  aval = aval_of(operand)
  axis = canonicalize_axis("slice_in_dim", axis, aval.ndim)
  size = aval.shape[axis]
  start = 0 if start_index is None else operator.index(start_index)
  limit = size if limit_index is None else operator.index(limit_index)
  start = start + size if start < 0 else start
  limit = limit + size if limit < 0 else limit
  starts, limits, strides = [0] * aval.ndim, list(aval.shape), [1] * aval.ndim
  starts[axis], limits[axis], strides[axis] = start, limit, operator.index(stride)
  return slice(operand, starts, limits, strides)


def index_in_dim(operand, index, axis=0, keepdims=True):
  """`operand[..., index, ...]` along `axis` for a static (possibly negative)
  `index`; keeps the axis with size 1 unless keepdims=False.
  Lowers to stablehlo.slice (and stablehlo.reshape without keepdims)."""
  aval = aval_of(operand)
  axis = canonicalize_axis("index_in_dim", axis, aval.ndim)
  index, size = operator.index(index), aval.shape[axis]
  if not -size <= index < size:
    raise IndexError(
        f"index_in_dim: index {index} is out of bounds for axis {axis} with "
        f"size {size}")
  index = index + size if index < 0 else index
  out = slice_in_dim(operand, index, index + 1, 1, axis)
  return out if keepdims else squeeze(out, (axis,))


# --- iota ----------------------------------------------------------------------

def iota(dtype, size, *, sharding=None):
  """`[0, 1, ..., size - 1]` of `dtype` (like np.arange(size, dtype=dtype)).
  Lowers to stablehlo.iota."""
  _no_sharding("iota", sharding)
  shape = check_shape((size,), "iota: size")
  return iota_p.bind(dtype=avals_lib.canonicalize_dtype(dtype), shape=shape,
                     dimension=0)


def broadcasted_iota(dtype, shape, dimension, *, out_sharding=None):
  """An array of `shape` whose values count 0, 1, ... along `dimension`.
  Lowers to stablehlo.iota."""
  _no_sharding("broadcasted_iota", out_sharding)
  shape = check_shape(shape, "broadcasted_iota: shape")
  dimension = canonicalize_axis("broadcasted_iota", dimension, len(shape))
  return iota_p.bind(dtype=avals_lib.canonicalize_dtype(dtype), shape=shape,
                     dimension=dimension)


def _iota_abstract_eval(*, dtype, shape, dimension):
  check_dtype("iota", dtype, NUMERIC, what="result")
  canonicalize_axis("iota", dimension, len(shape))
  return ShapedArray(shape, dtype, False)


def _iota_lower(ctx, *, dtype, shape, dimension):
  return hlo.iota(tensor_type(ctx.avals_out[0]), dimension)


def _iota_batch(vals, dims, **params):
  # iota has no operands, so vmap never batches it: the result is unmapped.
  return iota_p.bind(**params), None


iota_p = define_primitive("iota", abstract_eval=_iota_abstract_eval,
                          lower=_iota_lower, batch=_iota_batch)
defjvp_zero(iota_p)
