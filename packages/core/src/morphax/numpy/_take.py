"""Gathers and scatters with NumPy's names: take, take_along_axis, put,
put_along_axis, choose, select, compress, extract; the compaction helpers.
"""

import operator

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from ..core.trace import ConcretizationTypeError, Tracer
from . import _util

__all__ = ["take", "take_along_axis", "put_along_axis", "put", "choose",
           "select", "compress", "extract"]

SIZE_MESSAGE = (
    "{name}: the size of the result depends on the values of the input, which "
    "are abstract here (inside jit, vmap or another transformation). Pass a "
    "static size, e.g. jnp.{name}(x, size=10, fill_value=0), to get a result "
    "of fixed length (padded with fill_value or truncated).")
INDEX_DTYPE_MESSAGE = "{name}: indices must be an integer array, got dtype {dtype}"
MODE_MESSAGE = "{name}: mode must be one of {modes}, got {mode!r}"
INPLACE_MESSAGE = (
    "{name}: JAX arrays are immutable, so {name} cannot modify an array in "
    "place; pass inplace=False and use the returned array: "
    "y = jnp.{name}(x, ..., inplace=False)")
RAISE_MODE_MESSAGE = (
    "{name}: mode='raise' is not supported (bounds cannot be checked on "
    "device); use mode='fill', 'clip' or 'wrap'")
CHOOSE_TRACED_MESSAGE = (
    "choose: mode='raise' checks the index values, which are abstract here "
    "(inside jit or another transformation); use mode='wrap' or mode='clip'")


def _int_dtype():
  return avals_lib.default_int_dtype()


def _array(name, x):
  return _util.ensure_array(x, name)


def _index_array(name, indices):
  """`indices` as an integer Array (int32 unless x64), or a TypeError."""
  indices = _array(name, indices)
  dtype = indices.aval.dtype
  if not avals_lib.is_integer(dtype):
    raise TypeError(INDEX_DTYPE_MESSAGE.format(name=name, dtype=dtype))
  if avals_lib.is_unsigned(dtype) or dtype.itemsize < 4:
    indices = lax.convert_element_type(indices, _int_dtype())
  return indices


def _static_int(name, what, value):
  if isinstance(value, (bool, np.bool_)):
    raise TypeError(f"{name}: {what} must be an integer, got {value!r}")
  try:
    return operator.index(value)
  except TypeError:
    raise TypeError(f"{name}: {what} must be a static integer, got "
                    f"{type(value).__name__} {value!r:.40}") from None


def static_size(name, size, count):
  """The result length: `size` if given, else the concrete `count` (a 0-d
  array or a thunk giving one), else a ConcretizationTypeError."""
  if size is not None:
    size = _static_int(name, "size", size)
    if size < 0:
      raise ValueError(f"{name}: size must be non-negative, got {size}")
    return size
  count = count() if callable(count) else count
  if isinstance(count, Tracer):
    raise ConcretizationTypeError(SIZE_MESSAGE.format(name=name))
  return int(count)


def ravel(x):
  return lax.reshape(x, (x.aval.size,))


def _scalar(x, dtype):
  return lax.convert_element_type(x, dtype) if _util.is_array(x) else \
      _util.convert(x, dtype)


def full(shape, value, dtype):
  """`value` (a host scalar or a 0-d array) broadcast to `shape`."""
  value = _scalar(value, dtype)
  if value.aval.ndim:
    value = lax.reshape(value, ())
  return lax.broadcast_in_dim(value, tuple(shape), ())


def count_true(mask):
  """The number of True entries of a bool array, as a 0-d int."""
  m = lax.convert_element_type(mask, _int_dtype())
  return lax.reduce_sum(m, tuple(range(mask.aval.ndim)))


_SCATTER_1D = lax.ScatterDimensionNumbers(
    update_window_dims=(), inserted_window_dims=(0,),
    scatter_dims_to_operand_dims=(0,))


def compact_targets(mask, size):
  """For a 1-D bool `mask`, where each True entry goes in a compacted array
  of length `size`: its rank among the Trues, or `size` (out of bounds, so a
  FILL_OR_DROP scatter drops it) for False entries."""
  ranks = lax.sub(lax.cumsum(lax.convert_element_type(mask, _int_dtype())), 1)
  return lax.select_n(mask, full(mask.aval.shape, size, _int_dtype()), ranks)


def scatter_1d(out, targets, updates):
  """out[targets] = updates, dropping out-of-bounds targets (1-D arrays)."""
  if targets.aval.size == 0 or out.aval.size == 0:
    return out
  return lax.scatter(out, lax.expand_dims(targets, (1,)), updates, _SCATTER_1D,
                     mode=lax.GatherScatterMode.FILL_OR_DROP)


def compact_positions(mask, size, fill=0):
  """The positions of the True entries of 1-D `mask`, padded with `fill`
  (or truncated) to length `size`."""
  out = full((size,), fill, _int_dtype())
  iota = lax.iota(_int_dtype(), mask.aval.shape[0])
  return scatter_1d(out, compact_targets(mask, size), iota)


# --- take ---------------------------------------------------------------------

def _default_fill(dtype, fill_value):
  """What mode='fill' gives out of bounds: `fill_value`, by default NaN for
  inexact dtypes, the minimum (maximum) of signed (unsigned) integers and
  True for bool, as lax.gather does."""
  if fill_value is not None:
    return fill_value
  if avals_lib.is_inexact(dtype):
    return np.nan
  if avals_lib.is_signed(dtype):
    return int(np.iinfo(dtype).min)
  if avals_lib.is_unsigned(dtype):
    return int(np.iinfo(dtype).max)
  return True

_TAKE_MODES = (None, "fill", "clip", "wrap")


def _gather_mode(name, mode, indices, axis_size):
  """(indices, GatherScatterMode) for a NumPy/JAX mode string: 'fill' (the
  default) wraps negative indices once and fills out-of-bounds ones."""
  if mode == "raise":
    raise NotImplementedError(RAISE_MODE_MESSAGE.format(name=name))
  if mode not in _TAKE_MODES:
    raise ValueError(MODE_MESSAGE.format(name=name, modes=_TAKE_MODES, mode=mode))
  n = _util.full((), axis_size, indices.aval.dtype)
  n = lax.broadcast_in_dim(n, indices.aval.shape, ())
  if mode == "wrap":
    safe = lax.max(n, lax.full_like(n, 1))
    r = lax.rem(indices, safe)
    r = lax.select_n(lax.lt(r, lax.full_like(r, 0)), r, lax.add(r, safe))
    return r, lax.GatherScatterMode.CLIP
  if mode == "clip":
    return indices, lax.GatherScatterMode.CLIP
  negative = lax.lt(indices, lax.full_like(indices, 0))
  return (lax.select_n(negative, indices, lax.add(indices, n)),
          lax.GatherScatterMode.FILL_OR_DROP)


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
  """Elements of `a` at `indices` along `axis` (the flattened `a` if None).

  Follows jax.numpy.take: the result has shape
  a.shape[:axis] + indices.shape + a.shape[axis+1:]. `mode` says what an
  out-of-bounds index gives: 'fill' (the default; negative indices count
  from the end, indices outside [-n, n) give `fill_value`, by default NaN
  for inexact dtypes, the minimum for signed, the maximum for unsigned
  integers and True for bool), 'clip' or 'wrap'.

  Example: take(jnp.array([4., 5., 6.]), jnp.array([2, 0, 7])) is
  [6., 4., nan].

  NB: like JAX, mode='raise' (NumPy's default) raises NotImplementedError.
  """
  if out is not None:
    raise NotImplementedError("take: the 'out' argument is not supported")
  a = _array("take", a)
  indices = _index_array("take", indices)
  if axis is None:
    a, axis = ravel(a), 0
  else:
    axis = _util.canonicalize_axis("take", axis, a.aval.ndim)
  shape = a.aval.shape
  out_shape = shape[:axis] + indices.aval.shape + shape[axis + 1:]
  if shape[axis] == 0:
    if indices.aval.size == 0:
      return full(out_shape, 0, a.aval.dtype)
    if mode in (None, "fill"):
      return full(out_shape, _default_fill(a.aval.dtype, fill_value),
                  a.aval.dtype)
    raise IndexError("take: cannot do a non-empty take from an empty axis")
  indices, gmode = _gather_mode("take", mode, indices, shape[axis])
  k = indices.aval.ndim
  dnums = lax.GatherDimensionNumbers(
      offset_dims=tuple(range(axis)) + tuple(range(axis + k, len(shape) - 1 + k)),
      collapsed_slice_dims=(axis,), start_index_map=(axis,))
  slice_sizes = shape[:axis] + (1,) + shape[axis + 1:]
  return lax.gather(a, lax.expand_dims(indices, (k,)), dnums, slice_sizes,
                    unique_indices=unique_indices,
                    indices_are_sorted=indices_are_sorted, mode=gmode,
                    fill_value=fill_value)


def _along_axis_operands(name, arr, indices, axis):
  """(arr, indices, axis): flattened for axis=None, and broadcast against
  each other along every axis but `axis` (which keeps each one's size)."""
  arr = _array(name, arr)
  indices = _index_array(name, indices)
  if axis is None:
    if indices.aval.ndim != 1:
      raise ValueError(f"{name}: when axis=None, indices must be 1-D, got "
                       f"shape {indices.aval.shape}")
    return ravel(arr), indices, 0
  if arr.aval.ndim != indices.aval.ndim:
    raise ValueError(
        f"{name}: indices and arr must have the same number of dimensions, "
        f"got arr shape {arr.aval.shape} and indices shape {indices.aval.shape}")
  axis = _util.canonicalize_axis(name, axis, arr.aval.ndim)
  return arr, indices, axis


def _batch_shape(name, a_shape, i_shape, axis):
  others = [s for d, s in enumerate(a_shape) if d != axis]
  i_others = [s for d, s in enumerate(i_shape) if d != axis]
  try:
    return list(_util.broadcast_shapes(name, tuple(others), tuple(i_others)))
  except ValueError:
    raise ValueError(f"{name}: arr of shape {a_shape} and indices of shape "
                     f"{i_shape} do not broadcast along the axes other than "
                     f"axis {axis}") from None


def _with_axis(batch, axis, size):
  out = list(batch)
  out.insert(axis, size)
  return tuple(out)


def _broadcast(x, shape):
  return _util.broadcast_to_shape(x, shape) if x.aval.shape != shape else x


def take_along_axis(arr, indices, axis=-1, mode=None, fill_value=None):
  """Values of `arr` at `indices` along `axis`, 1-D slice by 1-D slice.

  Follows jax.numpy.take_along_axis: `indices` has arr's rank and
  broadcasts with it along the other axes; axis=None flattens `arr` (then
  `indices` must be 1-D). `mode` and `fill_value` as in `take` ('fill' by
  default: negative indices count from the end, out-of-bounds give
  `fill_value`).

  Example: take_along_axis(x, jnp.argsort(x, axis=1), axis=1) sorts x.
  """
  arr, indices, axis = _along_axis_operands("take_along_axis", arr, indices,
                                            axis)
  batch = _batch_shape("take_along_axis", arr.aval.shape, indices.aval.shape,
                       axis)
  n, j = arr.aval.shape[axis], indices.aval.shape[axis]
  arr = _broadcast(arr, _with_axis(batch, axis, n))
  indices = _broadcast(indices, _with_axis(batch, axis, j))
  out_shape = indices.aval.shape
  if n == 0 or indices.aval.size == 0:
    value = _default_fill(arr.aval.dtype, fill_value)
    return full(out_shape, value if mode in (None, "fill") else 0, arr.aval.dtype)
  indices, gmode = _gather_mode("take_along_axis", mode, indices, n)
  ndim = arr.aval.ndim
  others = tuple(d for d in range(ndim) if d != axis)
  dnums = lax.GatherDimensionNumbers(
      offset_dims=(), collapsed_slice_dims=(axis,), start_index_map=(axis,),
      operand_batching_dims=others, start_indices_batching_dims=others)
  return lax.gather(arr, lax.expand_dims(indices, (ndim,)), dnums, (1,) * ndim,
                    mode=gmode, fill_value=fill_value)


def _scatter_mode(name, mode, indices, axis_size):
  if mode == "raise":
    raise NotImplementedError(RAISE_MODE_MESSAGE.format(name=name))
  indices, gmode = _gather_mode(name, mode, indices, axis_size)
  return indices, gmode


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
  """A copy of `arr` with `values` written at `indices` along `axis`.

  Follows jax.numpy.put_along_axis: arrays are immutable, so `inplace`
  must be False. `indices` broadcasts against arr along the other axes,
  `values` against `indices`; axis=None works on the flattened array.
  mode 'fill' (default) drops out-of-bounds indices (negative ones count
  from the end); 'clip' and 'wrap' as in `take`. With repeated indices, which
  value is written is unspecified.

  Example: put_along_axis(jnp.zeros((2, 3)), jnp.array([[0], [2]]), 1.,
  axis=1, inplace=False) is [[1, 0, 0], [0, 0, 1]].
  """
  if inplace:
    raise ValueError(INPLACE_MESSAGE.format(name="put_along_axis"))
  arr = _array("put_along_axis", arr)
  in_shape = arr.aval.shape
  arr, indices, axis = _along_axis_operands("put_along_axis", arr, indices,
                                            axis)
  batch = _batch_shape("put_along_axis", arr.aval.shape, indices.aval.shape,
                       axis)
  a_batch = [s for d, s in enumerate(arr.aval.shape) if d != axis]
  if tuple(batch) != tuple(a_batch):
    raise ValueError(f"put_along_axis: indices of shape {indices.aval.shape} "
                     f"do not broadcast to arr of shape {arr.aval.shape} along "
                     f"the axes other than axis {axis}")
  indices = _broadcast(indices, _with_axis(batch, axis, indices.aval.shape[axis]))
  values = _util.convert(values, arr.aval.dtype) if not _util.is_array(values) \
      else lax.convert_element_type(values, arr.aval.dtype)
  if not _util.broadcastable_to(values.aval.shape, indices.aval.shape):
    raise ValueError(f"put_along_axis: values of shape {values.aval.shape} do "
                     f"not broadcast to the indices' shape {indices.aval.shape}")
  values = _broadcast(values, indices.aval.shape)
  if indices.aval.size and arr.aval.size:
    indices, gmode = _scatter_mode("put_along_axis", mode, indices,
                                   arr.aval.shape[axis])
    ndim = arr.aval.ndim
    others = tuple(d for d in range(ndim) if d != axis)
    dnums = lax.ScatterDimensionNumbers(
        update_window_dims=(), inserted_window_dims=(axis,),
        scatter_dims_to_operand_dims=(axis,), operand_batching_dims=others,
        scatter_indices_batching_dims=others)
    arr = lax.scatter(arr, lax.expand_dims(indices, (ndim,)), values, dnums,
                      mode=gmode)
  return lax.reshape(arr, in_shape) if arr.aval.shape != in_shape else arr


def put(a, ind, v, mode=None, *, inplace=True):
  """A copy of `a` with the flat entries at `ind` set to `v`.

  Follows jax.numpy.put: `inplace` must be False. `v` is repeated (as in
  NumPy) to the number of indices; mode 'fill' (default) drops
  out-of-bounds indices, 'clip' and 'wrap' as in `take`.

  Example: put(jnp.zeros(4), jnp.array([1, 3]), 5., inplace=False) is
  [0, 5, 0, 5].
  """
  if inplace:
    raise ValueError(INPLACE_MESSAGE.format(name="put"))
  a = _array("put", a)
  ind = ravel(_index_array("put", ind))
  v = _array("put", v)
  v = ravel(lax.convert_element_type(v, a.aval.dtype))
  k = ind.aval.size
  if k == 0 or a.aval.size == 0:
    return a
  if v.aval.size == 0:
    raise ValueError("put: v is empty, but indices are not")
  if v.aval.size != k:
    repeat = np.arange(k) % v.aval.size
    v = take(v, _util.convert(repeat, _int_dtype()), mode="clip")
  flat = ravel(a)
  ind, gmode = _scatter_mode("put", mode, ind, flat.aval.size)
  out = lax.scatter(flat, lax.expand_dims(ind, (1,)), v, _SCATTER_1D,
                    mode=gmode)
  return lax.reshape(out, a.aval.shape)


# --- choose, select -----------------------------------------------------------

def choose(a, choices, out=None, mode="raise"):
  """choices[a[i]][i] for every index i, all arrays broadcast together.

  Follows jax.numpy.choose: mode 'raise' (the default) checks that every
  entry of `a` is in [0, len(choices)), which needs a concrete `a`; 'wrap'
  takes it modulo len(choices), 'clip' clamps it.

  Example: choose(jnp.array([0, 1, 0]), [jnp.zeros(3), jnp.ones(3)]) is
  [0., 1., 0.].
  """
  if out is not None:
    raise NotImplementedError("choose: the 'out' argument is not supported")
  if mode not in ("raise", "wrap", "clip"):
    raise ValueError(MODE_MESSAGE.format(name="choose",
                                         modes=("raise", "wrap", "clip"),
                                         mode=mode))
  a = _index_array("choose", a)
  choices = list(choices)
  if not choices:
    raise ValueError("choose: choices must not be empty")
  n = len(choices)
  choices = _util.promote_dtypes(
      "choose", *[_util.ensure_array(c, "choose") for c in choices])
  a, *choices = _util.promote_shapes("choose", a, *choices)
  a = lax.convert_element_type(a, avals_lib.int32)
  zero, top = lax.full_like(a, 0), lax.full_like(a, n - 1)
  if mode == "raise":
    bad = lax.reduce_or(lax.bitwise_or(lax.lt(a, zero), lax.gt(a, top)),
                        tuple(range(a.aval.ndim)))
    if isinstance(bad, Tracer):
      raise ConcretizationTypeError(CHOOSE_TRACED_MESSAGE)
    if bool(bad):
      raise ValueError(f"choose: invalid entry in choice array: every entry of "
                       f"a must be in [0, {n}) for {n} choices (or pass "
                       "mode='wrap' or mode='clip')")
  elif mode == "wrap":
    a = lax.rem(a, lax.full_like(a, n))
    a = lax.select_n(lax.lt(a, zero), a, lax.add(a, lax.full_like(a, n)))
  else:
    a = lax.clamp(0, a, n - 1)
  if n == 1:
    return choices[0]
  return lax.select_n(a, *choices)


def select(condlist, choicelist, default=0):
  """The entry of the first choice whose condition holds, else `default`.

  Follows jax.numpy.select: conditions must be bool arrays; conditions,
  choices and default broadcast together and choices promote to one dtype.

  Example: select([x < 0, x > 0], [-x, x], 0.) is abs(x).
  """
  condlist, choicelist = list(condlist), list(choicelist)
  if len(condlist) != len(choicelist):
    raise ValueError(f"select: condlist and choicelist must have the same "
                     f"length, got {len(condlist)} and {len(choicelist)}")
  if not condlist:
    raise ValueError("select: condlist must be non-empty")
  conds = [_array("select", c) for c in condlist]
  for i, c in enumerate(conds):
    if c.aval.dtype != avals_lib.bool_:
      raise TypeError(f"select: condlist entry {i} must be a bool array, got "
                      f"dtype {c.aval.dtype}")
  *choices, default = _util.promote_dtypes(
      "select", *[_util.ensure_array(c, "select")
                  for c in (*choicelist, default)])
  arrays = _util.promote_shapes("select", *conds, *choices, default)
  conds, choices, out = arrays[:len(conds)], arrays[len(conds):-1], arrays[-1]
  for c, x in zip(reversed(conds), reversed(choices)):
    out = lax.select_n(c, out, x)
  return out


# --- compress, extract --------------------------------------------------------

def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
  """The slices of `a` along `axis` (flattened `a` if None) where the 1-D
  `condition` is True.

  Follows jax.numpy.compress: eager calls size the result from the values;
  under jit pass `size` (the result is padded with `fill_value` or
  truncated). A `condition` shorter than the axis counts as False beyond
  its end.

  Example: compress(jnp.array([True, False, True]), jnp.array([1, 2, 3]))
  is [1, 3].

  NB: a `condition` longer than the axis is a ValueError (NumPy accepts
  extra False entries).
  """
  if out is not None:
    raise NotImplementedError("compress: the 'out' argument is not supported")
  condition = _array("compress", condition)
  a = _array("compress", a)
  if condition.aval.ndim != 1:
    raise ValueError(f"compress: condition must be a 1-D array, got shape "
                     f"{condition.aval.shape}")
  if axis is None:
    a, axis = ravel(a), 0
  else:
    axis = _util.canonicalize_axis("compress", axis, a.aval.ndim)
  n = a.aval.shape[axis]
  m = condition.aval.shape[0]
  if m > n:
    raise ValueError(f"compress: condition of length {m} is longer than axis "
                     f"{axis} of a, of size {n} (shape {a.aval.shape})")
  mask = truth(condition)
  if m < n:
    mask = lax.pad(mask, False, [(0, n - m, 0)])
  size = static_size("compress", size, lambda: count_true(mask))
  positions = compact_positions(mask, size, fill=n)
  return take(a, positions, axis=axis, mode="fill", fill_value=fill_value)


def truth(x):
  """x != 0 as a bool array (x itself when it is bool)."""
  if x.aval.dtype == avals_lib.bool_:
    return x
  return lax.ne(x, lax.full_like(x, 0))


def extract(condition, arr, *, size=None, fill_value=0):
  """The entries of `arr` where `condition` is nonzero, flattened.

  Follows jax.numpy.extract (compress on the flattened arrays): under jit
  pass `size`; the result is padded with `fill_value` or truncated.

  Example: extract(x > 0, x) are the positive entries of x.
  """
  condition = ravel(truth(_array("extract", condition)))
  arr = ravel(_array("extract", arr))
  return compress(condition, arr, size=size, fill_value=fill_value)
