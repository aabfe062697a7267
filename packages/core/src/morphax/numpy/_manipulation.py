"""Array manipulation beyond the basics: triangles and diagonals, kron,
rolling, flips, tiling, repeat, insert/delete/resize, and pad's modes.
"""

import operator

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from ..core.trace import Tracer
from . import _shape, _util
from ._reductions import sum as _sum
from ._creation import indices, meshgrid, mgrid, ogrid, tri
from ._shape import (append, atleast_1d, atleast_2d, atleast_3d, block,
                     column_stack, dstack, hstack, row_stack, vstack)
from ._util import is_array

__all__ = ["tril", "triu", "tri", "diag", "diagonal", "diagflat", "trace",
           "fill_diagonal", "kron", "roll", "fliplr", "flipud", "rot90", "tile",
           "repeat", "insert", "delete", "resize", "copy", "pad",
           "meshgrid", "indices", "mgrid", "ogrid", "atleast_1d", "atleast_2d",
           "atleast_3d", "vstack", "row_stack", "hstack", "dstack",
           "column_stack", "append", "block"]

RANK_MESSAGE = "{name}: needs an array of at least {n} dimensions, got shape {shape}"
REPEAT_TRACED_MESSAGE = (
    "repeat: `repeats` is a traced array, so the result length is unknown; "
    "pass total_repeat_length=<int> (e.g. jnp.repeat(x, r, total_repeat_length=8))")


def _array(name, a):
  return _util.ensure_array(a, name)


def _need_rank(name, a, n):
  if a.aval.ndim < n:
    raise ValueError(RANK_MESSAGE.format(name=name, n=n, shape=a.aval.shape))


def _static_int(name, what, x):
  if is_array(x):
    x = _util.concrete_value(name, x)
  try:
    return operator.index(x)
  except TypeError:
    raise TypeError(f"{name}: {what} must be an integer, got {x!r:.40}") from None


def take_static(a, indices, axis):
  """np.take(a, indices, axis) for in-bounds indices: one gather.

  `indices` is an integer array (host or device) of any shape; the result
  has shape a.shape[:axis] + indices.shape + a.shape[axis + 1:].
  """
  indices = _util.ensure_array(indices, "take")
  if indices.aval.dtype != np.int32:
    indices = lax.convert_element_type(indices, np.int32)
  shape = a.aval.shape
  nidx = indices.aval.ndim
  offset_dims = tuple(range(axis)) + tuple(
      range(axis + nidx, len(shape) + nidx - 1))
  dnums = lax.GatherDimensionNumbers(
      offset_dims=offset_dims, collapsed_slice_dims=(axis,),
      start_index_map=(axis,))
  sizes = shape[:axis] + (1,) + shape[axis + 1:]
  return lax.gather(a, lax.expand_dims(indices, (nidx,)), dnums, sizes,
                    mode="clip")


# --- Triangles and diagonals --------------------------------------------------

def _tri_mask(shape, k, lower):
  n, m = shape[-2:]
  mask = tri(n, m, k, dtype=bool) if lower else lax.bitwise_not(tri(n, m, k - 1, dtype=bool))
  return lax.broadcast_in_dim(mask, shape, (len(shape) - 2, len(shape) - 1))


def tril(m, k=0):
  """`m` with the entries above diagonal `k` zeroed (on the last two axes).

  >>> jnp.tril(jnp.ones((3, 3)), k=-1)   # strictly lower triangle
  Follows jax.numpy.tril: `m` must have at least 2 dimensions.
  """
  m = _array("tril", m)
  _need_rank("tril", m, 2)
  k = _static_int("tril", "k", k)
  mask = _tri_mask(m.aval.shape, k, True)
  return lax.select_n(mask, _util.full_like(m, 0), m)


def triu(m, k=0):
  """`m` with the entries below diagonal `k` zeroed (on the last two axes).

  >>> jnp.triu(jnp.ones((3, 3)), k=1)    # strictly upper triangle
  Follows jax.numpy.triu: `m` must have at least 2 dimensions.
  """
  m = _array("triu", m)
  _need_rank("triu", m, 2)
  k = _static_int("triu", "k", k)
  mask = _tri_mask(m.aval.shape, k, False)
  return lax.select_n(mask, _util.full_like(m, 0), m)


def diagonal(a, offset=0, axis1=0, axis2=1):
  """Diagonal `offset` of the 2-d slices over `axis1`, `axis2`; those axes
  are removed and the diagonal is the last axis (NumPy's diagonal).

  >>> jnp.diagonal(jnp.arange(9).reshape(3, 3), 1)   # [1, 5]
  Slices and a strided reshape: no gather, exact for every dtype.
  """
  a = _array("diagonal", a)
  _need_rank("diagonal", a, 2)
  ndim = a.aval.ndim
  i = _util.canonicalize_axis("diagonal", axis1, ndim)
  j = _util.canonicalize_axis("diagonal", axis2, ndim)
  if i == j:
    raise ValueError(f"diagonal: axis1 and axis2 cannot be the same, got {axis1} and {axis2}")
  offset = _static_int("diagonal", "offset", offset)
  a = _shape.moveaxis(a, (i, j), (-2, -1))
  *batch, n, m = a.aval.shape
  if offset >= 0:
    size = max(0, min(n, m - offset))
    rows, cols = (0, size), (offset, offset + size)
  else:
    size = max(0, min(n + offset, m))
    rows, cols = (-offset, -offset + size), (0, size)
  if size == 0:
    rows = cols = (0, 0)
  nb = len(batch)
  sub = lax.slice(a, (0,) * nb + (rows[0], cols[0]),
                  tuple(batch) + (rows[1], cols[1]))
  flat = lax.reshape(sub, tuple(batch) + (size * size,))
  return _util.slice_axis(flat, nb, 0, size * size, size + 1)


def diag(v, k=0):
  """The diagonal `k` of a 2-d `v`, or a 2-d array with 1-d `v` on
  diagonal `k` (NumPy's diag).

  >>> jnp.diag(jnp.array([1, 2]))      # [[1, 0], [0, 2]]
  Built with lax.pad (interior padding), so it is linear and exact.
  """
  v = _array("diag", v)
  k = _static_int("diag", "k", k)
  if v.aval.ndim == 2:
    return diagonal(v, k)
  if v.aval.ndim != 1:
    raise ValueError(f"diag: input must be 1-d or 2-d, got shape {v.aval.shape}")
  n = v.aval.shape[0]
  zero = _util.convert(0, v.aval.dtype, False, "diag")
  square = lax.reshape(lax.pad(v, zero, [(0, 0, n)]), (n, n)) if n else \
      _util.full((0, 0), 0, v.aval.dtype)
  lo, hi = (0, k) if k >= 0 else (-k, 0)
  return lax.pad(square, zero, [(lo, hi, 0), (hi, lo, 0)])


def diagflat(v, k=0):
  """A 2-d array with the flattened `v` on diagonal `k`."""
  return diag(_shape.ravel(_array("diagflat", v)), k)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
  """Sum of diagonal `offset` of `a` over `axis1`, `axis2` (NumPy's trace;
  integers sum in the default int as jnp.sum does)."""
  if out is not None:
    raise NotImplementedError("trace: the out argument is not supported")
  return _sum(diagonal(_array("trace", a), offset, axis1, axis2), axis=-1, dtype=dtype)


def fill_diagonal(a, val, wrap=False, *, inplace=True):
  """A copy of `a` with its main diagonal set to `val` (flattened and
  repeated as needed), as numpy.fill_diagonal does in place.

  >>> jnp.fill_diagonal(jnp.zeros((3, 3)), 5., inplace=False)
  NB: like JAX, arrays are immutable: pass inplace=False; the default
  inplace=True raises a ValueError.
  """
  if inplace:
    raise ValueError("fill_diagonal: morphax arrays are immutable; call "
                     "jnp.fill_diagonal(a, val, inplace=False), which returns the result")
  a = _array("fill_diagonal", a)
  _need_rank("fill_diagonal", a, 2)
  shape = a.aval.shape
  if a.aval.ndim == 2:
    step = shape[1] + 1
    end = None if wrap else shape[1] * shape[1]
  else:
    if len(set(shape)) != 1:
      raise ValueError(f"fill_diagonal: all dimensions of input must be of equal "
                       f"length, got shape {shape}")
    step = 1 + int(np.cumprod(shape[:-1]).sum())
    end = None
  size = a.aval.size
  positions = np.arange(size)[:end:step]
  val = _shape.ravel(_util.convert(_array("fill_diagonal", val), a.aval.dtype, False))
  flat = _shape.ravel(a)
  if not positions.size or not val.aval.size:
    return a
  source = np.zeros(size, np.int32)
  source[positions] = np.arange(positions.size) % val.aval.size
  mask = np.zeros(size, bool)
  mask[positions] = True
  values = take_static(val, source, 0)
  out = lax.select_n(_util.ensure_array(mask, "fill_diagonal"), flat, values)
  return lax.reshape(out, shape)


def kron(a, b):
  """The Kronecker product of `a` and `b` (NumPy's kron)."""
  a, b = _util.promote_dtypes("kron", _array("kron", a), _array("kron", b))
  nd = max(a.aval.ndim, b.aval.ndim)
  sa = (1,) * (nd - a.aval.ndim) + a.aval.shape
  sb = (1,) * (nd - b.aval.ndim) + b.aval.shape
  a, b = lax.reshape(a, sa), lax.reshape(b, sb)
  inter = tuple(d for pair in zip(sa, sb) for d in pair)
  a = lax.broadcast_in_dim(a, inter, tuple(range(0, 2 * nd, 2)))
  b = lax.broadcast_in_dim(b, inter, tuple(range(1, 2 * nd, 2)))
  return lax.reshape(lax.mul(a, b), tuple(x * y for x, y in zip(sa, sb)))


# --- Rolling and flipping -----------------------------------------------------

def _roll_axis(a, shift, axis):
  n = a.aval.shape[axis]
  if n == 0:
    return a
  if not isinstance(shift, Tracer):
    s = _static_int("roll", "shift", shift) % n
    if s == 0:
      return a
    return lax.concatenate([_util.slice_axis(a, axis, n - s, n),
                            _util.slice_axis(a, axis, 0, n - s)], axis)
  shift = lax.convert_element_type(_util.ensure_array(shift, "roll"), np.int32)
  start = lax.rem(lax.sub(np.int32(n), lax.rem(shift, np.int32(n))), np.int32(n))
  start = lax.rem(lax.add(start, np.int32(n)), np.int32(n))
  doubled = lax.concatenate([a, a], axis)
  return lax.dynamic_slice_in_dim(doubled, start, n, axis)


def roll(a, shift, axis=None):
  """`a` with items shifted by `shift` along `axis`, wrapping around
  (NumPy's roll). `shift` and `axis` may be tuples (broadcast together);
  with axis=None the flattened array rolls. A traced `shift` works.

  >>> jnp.roll(jnp.arange(5), 2)       # [3, 4, 0, 1, 2]
  """
  a = _array("roll", a)
  if axis is None:
    return lax.reshape(roll(_shape.ravel(a), shift, 0), a.aval.shape)
  axes = axis if isinstance(axis, (tuple, list)) else (axis,)
  if isinstance(shift, (tuple, list)):
    shifts = list(shift)
  elif (is_array(shift) or isinstance(shift, np.ndarray)) and shift.ndim == 1:
    shifts = [shift[i] for i in range(shift.shape[0])]
  else:
    shifts = [shift]
  if len(shifts) == 1:
    shifts = shifts * len(axes)
  if len(axes) == 1:
    axes = tuple(axes) * len(shifts)
  if len(axes) != len(shifts):
    raise ValueError(f"roll: shift {shift} and axis {axis} must broadcast together")
  for s, ax in zip(shifts, axes):
    a = _roll_axis(a, s, _util.canonicalize_axis("roll", ax, a.aval.ndim))
  return a


def fliplr(m):
  """`m` reversed along axis 1 (needs >= 2 dimensions)."""
  m = _array("fliplr", m)
  _need_rank("fliplr", m, 2)
  return lax.rev(m, (1,))


def flipud(m):
  """`m` reversed along axis 0 (needs >= 1 dimension)."""
  m = _array("flipud", m)
  _need_rank("flipud", m, 1)
  return lax.rev(m, (0,))


def rot90(m, k=1, axes=(0, 1)):
  """`m` rotated by 90 degrees `k` times in the plane of `axes`, from the
  first axis towards the second (NumPy's rot90)."""
  m = _array("rot90", m)
  _need_rank("rot90", m, 2)
  if len(axes) != 2:
    raise ValueError(f"rot90: len(axes) must be 2, got {axes}")
  i, j = (_util.canonicalize_axis("rot90", ax, m.aval.ndim) for ax in axes)
  if i == j:
    raise ValueError(f"rot90: axes must be different, got {axes}")
  k = _static_int("rot90", "k", k) % 4
  if k == 0:
    return m
  if k == 2:
    return lax.rev(m, (i, j))
  perm = list(range(m.aval.ndim))
  perm[i], perm[j] = perm[j], perm[i]
  if k == 1:
    return lax.transpose(lax.rev(m, (j,)), tuple(perm))
  return lax.rev(lax.transpose(m, tuple(perm)), (j,))


# --- Tiling and repeating -----------------------------------------------------

def tile(A, reps):
  """`A` repeated `reps` times along each axis (NumPy's tile).

  >>> jnp.tile(jnp.array([1, 2]), (2, 2))   # shape (2, 4)
  """
  A = _array("tile", A)
  reps = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
  reps = tuple(_static_int("tile", "reps", r) for r in reps)
  if any(r < 0 for r in reps):
    raise ValueError(f"tile: reps must be non-negative, got {reps}")
  nd = max(A.aval.ndim, len(reps))
  shape = (1,) * (nd - A.aval.ndim) + A.aval.shape
  reps = (1,) * (nd - len(reps)) + reps
  A = lax.reshape(A, shape)
  inter = tuple(d for pair in zip(reps, shape) for d in pair)
  out = lax.broadcast_in_dim(A, inter, tuple(range(1, 2 * nd, 2)))
  return lax.reshape(out, tuple(r * d for r, d in zip(reps, shape)))


def _repeat_indices(repeats, n, length):
  """Indices 0..n-1, index i `repeats[i]` times, as a `length` array, from
  traced counts: mark where each run ends, then a cumulative sum."""
  repeats = lax.convert_element_type(repeats, np.int32)
  ends = lax.cumsum(repeats, 0)[:-1] if n > 1 else None
  marks = _util.full((length + 1,), 0, np.int32)
  if ends is not None:
    dnums = lax.ScatterDimensionNumbers(
        update_window_dims=(), inserted_window_dims=(0,),
        scatter_dims_to_operand_dims=(0,))
    marks = lax.scatter_add(marks, lax.expand_dims(ends, (1,)),
                            _util.full((n - 1,), 1, np.int32), dnums, mode="drop")
  idx = lax.cumsum(marks, 0)[:length]
  return lax.min(idx, _util.full((length,), n - 1, np.int32))


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
  """Each item of `a` repeated `repeats` times along `axis` (flattened when
  None). `repeats` is an int or one count per item (NumPy's repeat).

  >>> jnp.repeat(jnp.array([1, 2]), jnp.array([1, 3]))   # [1, 2, 2, 2]
  Under jit, traced `repeats` needs `total_repeat_length` (as in JAX): the
  result is cut to that length, or padded by repeating the last item.
  """
  a = _array("repeat", a)
  if axis is None:
    a = _shape.ravel(a)
    axis = 0
  axis = _util.canonicalize_axis("repeat", axis, max(a.aval.ndim, 1))
  if a.aval.ndim == 0:
    a = lax.reshape(a, (1,))
  n = a.aval.shape[axis]
  if not isinstance(repeats, (list, tuple)):
    _util.check_arraylike("repeat", repeats)
  if isinstance(repeats, Tracer):
    if total_repeat_length is None:
      raise ValueError(REPEAT_TRACED_MESSAGE)
    repeats = _util.ensure_array(repeats, "repeat")
    if repeats.ndim == 0 or repeats.shape[0] == 1:
      repeats = lax.broadcast_in_dim(lax.reshape(repeats, ()), (n,), ())
    idx = _repeat_indices(repeats, n, total_repeat_length)
    return take_static(a, idx, axis)
  reps = np.asarray(_util.concrete_value("repeat", repeats) if is_array(repeats) else repeats)
  if not np.issubdtype(reps.dtype, np.integer):
    raise TypeError(f"repeat: repeats must be integers, got dtype {reps.dtype}")
  if np.any(reps < 0):
    raise ValueError(f"repeat: repeats may not contain negative values, got {reps}")
  if reps.ndim == 0 or reps.shape == (1,):
    r = int(reps.reshape(()))
    shape = a.aval.shape
    inter = shape[:axis + 1] + (r,) + shape[axis + 1:]
    out = lax.broadcast_in_dim(a, inter, tuple(i for i in range(len(inter)) if i != axis + 1))
    out = lax.reshape(out, shape[:axis] + (n * r,) + shape[axis + 1:])
  else:
    if reps.shape != (n,):
      raise ValueError(f"repeat: repeats of shape {reps.shape} do not match axis "
                       f"{axis} of size {n}")
    out = take_static(a, np.repeat(np.arange(n), reps), axis)
  if total_repeat_length is not None:
    have = out.aval.shape[axis]
    if have >= total_repeat_length:
      out = _util.slice_axis(out, axis, 0, total_repeat_length)
    else:
      idx = np.minimum(np.arange(total_repeat_length), max(have - 1, 0))
      out = take_static(out, idx, axis)
  return out


# --- Insert, delete, resize ---------------------------------------------------

def _concrete_index(name, obj, n):
  if isinstance(obj, slice):
    return np.arange(*obj.indices(n))
  value = np.asarray(_util.concrete_value(name, obj) if is_array(obj) else obj)
  if value.dtype == bool:
    if value.shape != (n,):
      raise ValueError(f"{name}: boolean obj must have shape ({n},), got {value.shape}")
    return np.nonzero(value)[0]
  if value.size and not np.issubdtype(value.dtype, np.integer):
    raise TypeError(f"{name}: obj must be integers, a slice or a boolean mask, "
                    f"got dtype {value.dtype}")
  return value.astype(np.int64)


def insert(arr, obj, values, axis=None):
  """`arr` with `values` inserted before index/indices `obj` along `axis`
  (flattened when None), as numpy.insert. `obj` must be concrete.

  >>> jnp.insert(jnp.array([1, 2, 3]), 1, 9)     # [1, 9, 2, 3]
  """
  arr = _array("insert", arr)
  values = _util.convert(_array("insert", values), arr.aval.dtype, False, "insert")
  if axis is None:
    arr = _shape.ravel(arr)
    axis = 0
  axis = _util.canonicalize_axis("insert", axis, arr.aval.ndim)
  n = arr.aval.shape[axis]
  indices = _concrete_index("insert", obj, n)
  if indices.size == 1:
    index = int(indices.reshape(()))
    if not -n <= index <= n:
      raise IndexError(f"insert: index {index} is out of bounds for axis {axis} with size {n}")
    index = index + n if index < 0 else index
    if values.ndim < arr.ndim:
      values = lax.expand_dims(values, tuple(range(arr.ndim - values.ndim)))
    if indices.ndim == 0:
      values = _shape.moveaxis(values, 0, axis)
    numnew = values.shape[axis]
    new_pos = np.arange(index, index + numnew)
  else:
    indices = np.where(indices < 0, indices + n, indices)
    if np.any((indices < 0) | (indices > n)):
      raise IndexError(f"insert: index {obj} is out of bounds for axis {axis} with size {n}")
    numnew = len(indices)
    order = np.argsort(indices, kind="stable")
    new_pos = indices.copy()
    new_pos[order] += np.arange(numnew)
  target = arr.aval.shape[:axis] + (numnew,) + arr.aval.shape[axis + 1:]
  values = _shape.broadcast_to(values, target)
  total = n + numnew
  is_old = np.ones(total, bool)
  is_old[new_pos] = False
  source = np.empty(total, np.int64)
  source[is_old] = np.arange(n)
  source[new_pos] = n + np.arange(numnew)
  return take_static(lax.concatenate([arr, values], axis), source, axis)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
  """`arr` without the entries `obj` (an int, a slice, a sequence of ints
  or a boolean mask) along `axis` (flattened when None). `obj` must be
  concrete; out-of-range indices raise an IndexError (numpy.delete)."""
  del assume_unique_indices
  arr = _array("delete", arr)
  if axis is None:
    arr = _shape.ravel(arr)
    axis = 0
  axis = _util.canonicalize_axis("delete", axis, arr.aval.ndim)
  n = arr.aval.shape[axis]
  indices = _concrete_index("delete", obj, n).ravel()
  if np.any((indices < -n) | (indices >= n)):
    raise IndexError(f"delete: index {obj} is out of bounds for axis {axis} with size {n}")
  keep = np.ones(n, bool)
  keep[indices] = False
  return take_static(arr, np.nonzero(keep)[0], axis)


def resize(a, new_shape):
  """An array of `new_shape` filled with the items of `a` in order,
  repeated as needed (numpy.resize; zeros if `a` is empty)."""
  a = _array("resize", a)
  shape = _util.canonicalize_shape("resize", new_shape)
  size = int(np.prod(shape))
  flat = _shape.ravel(a)
  if a.aval.size == 0:
    return _util.full(shape, 0, a.aval.dtype)
  reps = -(-size // a.aval.size)
  flat = tile(flat, reps) if reps > 1 else flat
  return lax.reshape(_util.slice_axis(flat, 0, 0, size), shape)


def copy(a, order=None):
  """`a` as an array (arrays are immutable, so no copy is needed)."""
  return _util.ensure_array(a, "copy")


# --- pad ------------------------------------------------------------------------

PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap", "linear_ramp",
             "maximum", "minimum", "mean", "median", "empty")
PAD_WIDTH_MESSAGE = (
    "pad: pad_width must be an int, a (before, after) pair, or one pair per "
    "axis of non-negative ints, got {width!r:.80} for an array of shape {shape}")
PAD_MODE_MESSAGE = "pad: mode {mode!r} is not supported; use one of {modes}"
PAD_EMPTY_MESSAGE = (
    "pad: can't extend empty axis {axis} using modes other than 'constant' or "
    "'empty', got mode {mode!r}")
PAD_KWARGS = {"constant": {"constant_values"}, "linear_ramp": {"end_values"},
              "reflect": {"reflect_type"}, "symmetric": {"reflect_type"},
              "maximum": {"stat_length"}, "minimum": {"stat_length"},
              "mean": {"stat_length"}, "median": {"stat_length"}}


def _pairs(name, what, value, ndim, shape):
  """`value` (a scalar, a pair, or one pair per axis) as ndim (before,
  after) pairs of host values (numpy's broadcasting of pad arguments)."""
  arr = np.asarray(value, dtype=object)
  try:
    arr = np.broadcast_to(arr, (ndim, 2))
  except ValueError:
    raise ValueError(PAD_WIDTH_MESSAGE.format(width=value, shape=shape)
                     if what == "pad_width" else
                     f"{name}: {what} {value!r:.60} does not broadcast to ({ndim}, 2)") from None
  return [tuple(row) for row in arr]


def _pad_widths(pad_width, shape):
  if is_array(pad_width):
    pad_width = _util.concrete_value("pad", pad_width)
  pairs = _pairs("pad", "pad_width", pad_width, len(shape), shape)
  try:
    pairs = [(operator.index(lo), operator.index(hi)) for lo, hi in pairs]
  except TypeError:
    raise TypeError(PAD_WIDTH_MESSAGE.format(width=pad_width, shape=shape)) from None
  if any(lo < 0 or hi < 0 for lo, hi in pairs):
    raise ValueError(PAD_WIDTH_MESSAGE.format(width=pad_width, shape=shape))
  return pairs


def _along(v, shape, axis):
  """1-d host values `v` broadcast along `axis` of `shape`."""
  v = _util.ensure_array(v, "pad")
  return lax.broadcast_in_dim(v, shape, (axis,))


def _pad_constant(x, axis, lo, hi, values):
  before, after = values
  parts = []
  for width, v in ((lo, before), (hi, after)):
    shape = x.aval.shape[:axis] + (width,) + x.aval.shape[axis + 1:]
    v = _util.convert(_util.ensure_array(v, "pad"), x.aval.dtype, False, "pad")
    if v.aval.ndim:
      raise ValueError(f"pad: constant_values must be scalars per axis side, got shape {v.aval.shape}")
    parts.append(lax.broadcast_in_dim(v, shape, ()))
  return lax.concatenate([parts[0], x, parts[1]], axis)


def _pad_indexed(x, axis, lo, hi, mode, reflect_type):
  """edge/wrap/reflect/symmetric: each output position reads one input
  position (odd reflection adds a multiple of the edge values)."""
  n = x.aval.shape[axis]
  t = np.arange(-lo, n + hi)
  if mode == "edge" or (mode == "reflect" and n == 1):
    return take_static(x, np.clip(t, 0, n - 1), axis)
  if mode == "wrap":
    return take_static(x, t % n, axis)
  period = 2 * (n - 1) if mode == "reflect" else 2 * n
  k, m = np.divmod(t, period)
  half = n - 1 if mode == "reflect" else n
  mirrored = (m > half) if mode == "reflect" else (m >= n)
  idx = np.where(mirrored, (period - m) if mode == "reflect" else (period - 1 - m), m)
  out = take_static(x, idx, axis)
  if reflect_type != "odd":
    return out
  # The odd extension satisfies f(t + period) = f(t) + 2 (x[-1] - x[0]) and
  # f(mirror of t) = 2 * edge - f(t), as numpy's repeated reflections do.
  shape = out.aval.shape
  dtype = x.aval.dtype
  first = _util.broadcast_to_shape(_util.slice_axis(x, axis, 0, 1), shape)
  last = _util.broadcast_to_shape(_util.slice_axis(x, axis, n - 1, n), shape)
  sign = _along(np.where(mirrored, -1, 1).astype(dtype), shape, axis)
  c_first = _along((-2 * k).astype(dtype), shape, axis)
  c_last = _along((2 * k + 2 * mirrored).astype(dtype), shape, axis)
  return lax.add(lax.mul(sign, out),
                 lax.add(lax.mul(c_first, first), lax.mul(c_last, last)))


def _round_like(stat, dtype):
  if avals_lib.is_integer(dtype) or dtype == np.bool_:
    stat = lax.round(stat, lax.RoundingMethod.TO_NEAREST_EVEN)
  return _util.convert(stat, dtype, False, "pad")


def _stat(x, axis, mode):
  """The statistic of `mode` over `axis` of `x`, kept as a size-1 axis."""
  dtype = x.aval.dtype
  if mode == "maximum":
    return lax.expand_dims(lax.reduce_max(x, (axis,)), (axis,))
  if mode == "minimum":
    return lax.expand_dims(lax.reduce_min(x, (axis,)), (axis,))
  f = _util.convert(x, _util.default_inexact(dtype), False, "pad")
  n = x.aval.shape[axis]
  if mode == "mean":
    total = lax.reduce_sum(f, (axis,))
    s = lax.div(total, _util.full_like(total, n))
  else:
    srt = lax.sort(f, axis)
    mid = lax.add(lax.index_in_dim(srt, (n - 1) // 2, axis, False),
                  lax.index_in_dim(srt, n // 2, axis, False))
    s = lax.mul(mid, _util.full_like(mid, 0.5))
  return lax.expand_dims(_round_like(s, dtype), (axis,))


def _pad_statistic(x, axis, lo, hi, mode, lengths):
  n = x.aval.shape[axis]
  parts = []
  for width, length, at_start in ((lo, lengths[0], True), (hi, lengths[1], False)):
    length = n if length is None else min(int(length), n)
    if length <= 0 and width:
      raise ValueError(f"pad: stat_length of 0 gives no values for mode {mode!r}")
    window = (_util.slice_axis(x, axis, 0, length) if at_start
              else _util.slice_axis(x, axis, n - length, n))
    shape = x.aval.shape[:axis] + (width,) + x.aval.shape[axis + 1:]
    parts.append(_util.broadcast_to_shape(_stat(window, axis, mode), shape) if width
                 else _util.slice_axis(x, axis, 0, 0))
  return lax.concatenate([parts[0], x, parts[1]], axis)


def _pad_ramp(x, axis, lo, hi, end_values):
  n = x.aval.shape[axis]
  dtype = x.aval.dtype
  ftype = _util.default_inexact(dtype)
  f = _util.convert(x, ftype, False, "pad")
  parts = []
  for width, end, at_start in ((lo, end_values[0], True), (hi, end_values[1], False)):
    shape = x.aval.shape[:axis] + (width,) + x.aval.shape[axis + 1:]
    edge = _util.slice_axis(f, axis, 0, 1) if at_start else _util.slice_axis(f, axis, n - 1, n)
    edge = _util.broadcast_to_shape(edge, shape)
    end = lax.broadcast_in_dim(_util.convert(_util.ensure_array(end, "pad"), ftype, False,
                                             "pad"), shape, ())
    frac = np.arange(width) / max(width, 1)
    frac = frac if at_start else frac[::-1]
    ramp = lax.add(end, lax.mul(lax.sub(edge, end), _along(frac.astype(ftype), shape, axis)))
    if not avals_lib.is_inexact(dtype):
      ramp = lax.floor(ramp)
    parts.append(_util.convert(ramp, dtype, False, "pad"))
  return lax.concatenate([parts[0], x, parts[1]], axis)


def pad(array, pad_width, mode="constant", **kwargs):
  """`array` padded by `pad_width` (before, after) items per axis, with
  numpy.pad's modes: constant (constant_values), edge, reflect and
  symmetric (reflect_type 'even' or 'odd'), wrap, linear_ramp
  (end_values), maximum/minimum/mean/median (stat_length), empty.

  >>> jnp.pad(jnp.array([1, 2, 3]), 2, mode="reflect")   # [3 2 1 2 3 2 1]
  Axes are padded one after another, as numpy does. Differentiable in
  `array` (and in traced constant_values). NB: callable modes are not
  supported; 'empty' pads with zeros.
  """
  array = _array("pad", array)
  shape = array.aval.shape
  widths = _pad_widths(pad_width, shape)
  if callable(mode) or mode not in PAD_MODES:
    raise ValueError(PAD_MODE_MESSAGE.format(mode=mode, modes=", ".join(PAD_MODES)))
  unknown = set(kwargs) - PAD_KWARGS.get(mode, set())
  if unknown:
    raise ValueError(f"pad: unsupported keyword arguments for mode {mode!r}: "
                     f"{sorted(unknown)}")
  ndim = len(shape)
  if mode in ("constant", "empty"):
    values = kwargs.get("constant_values", 0)
    if np.ndim(values) == 0 and not (is_array(values) and values.ndim):
      v = _util.convert(values, array.aval.dtype, False, "pad")
      return lax.pad(array, v, [(lo, hi, 0) for lo, hi in widths])
    if is_array(values):
      v = _shape.broadcast_to(values if values.ndim == 2 else
                              lax.reshape(values, (1,) * (2 - values.ndim) + values.shape),
                              (ndim, 2))
      pairs = [(v[i, 0], v[i, 1]) for i in range(ndim)]
    else:
      pairs = _pairs("pad", "constant_values", values, ndim, shape)
    for axis, ((lo, hi), vals) in enumerate(zip(widths, pairs)):
      if lo or hi:
        array = _pad_constant(array, axis, lo, hi, vals)
    return array
  for axis, (lo, hi) in enumerate(widths):
    if not (lo or hi):
      continue
    if array.aval.shape[axis] == 0:
      raise ValueError(PAD_EMPTY_MESSAGE.format(axis=axis, mode=mode))
    if mode in ("edge", "wrap", "reflect", "symmetric"):
      reflect_type = kwargs.get("reflect_type", "even")
      if reflect_type not in ("even", "odd"):
        raise ValueError(f"pad: reflect_type must be 'even' or 'odd', got {reflect_type!r}")
      array = _pad_indexed(array, axis, lo, hi, mode, reflect_type)
    elif mode == "linear_ramp":
      ends = _pairs("pad", "end_values", kwargs.get("end_values", 0), ndim, shape)
      array = _pad_ramp(array, axis, lo, hi, ends[axis])
    else:
      lengths = _pairs("pad", "stat_length", kwargs.get("stat_length"), ndim, shape)
      array = _pad_statistic(array, axis, lo, hi, mode, lengths[axis])
  return array
