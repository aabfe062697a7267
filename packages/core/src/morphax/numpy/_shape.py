"""Shape functions with NumPy's names: reshape and axis moves, joining and
splitting, broadcasting, where/nonzero, clip and the shape queries.
"""

import builtins
import operator

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from . import _sorting, _ufuncs, _util
from ._util import is_array

__all__ = ["reshape", "ravel", "transpose", "moveaxis", "swapaxes", "squeeze",
           "expand_dims", "concatenate", "stack", "split", "array_split",
           "broadcast_to", "broadcast_arrays", "broadcast_shapes", "where",
           "ndim", "shape", "size", "clip", "flip", "atleast_1d",
           "atleast_2d", "atleast_3d", "vstack", "row_stack", "hstack", "dstack",
           "column_stack", "append", "block"]

RESHAPE_MESSAGE = "{name}: cannot reshape array of size {size} into shape {shape}"
SQUEEZE_MESSAGE = (
    "squeeze: cannot select an axis to squeeze out which has size not equal "
    "to one, got shape {shape} and axis {axis}")
SPLIT_MESSAGE = (
    "split: array split does not result in an equal division: an axis of "
    "size {size} into {n} sections (use array_split for unequal parts)")
BROADCAST_TO_MESSAGE = "broadcast_to: cannot broadcast an array of shape {a} to shape {b}"
WHERE_ARGS_MESSAGE = (
    "where: either both or neither of x and y should be given, got x={x} and "
    "y={y}")


def _array(name, a):
  return _util.ensure_array(a, name)


def _resolve_shape(name, size, shape):
  """`shape` with its -1 (at most one) filled in so it holds `size` items."""
  if isinstance(shape, (list, tuple)):
    dims = list(shape)
  else:
    dims = [shape]
  try:
    dims = [operator.index(d) for d in dims]
  except TypeError:
    raise TypeError(f"{name}: shape must be a sequence of integers, got "
                    f"{shape!r}") from None
  if sum(d == -1 for d in dims) > 1:
    raise ValueError(f"{name}: can only specify one unknown dimension, got {tuple(dims)}")
  if any(d < -1 for d in dims):
    raise ValueError(f"{name}: negative dimensions are not allowed, got {tuple(dims)}")
  known = 1
  for d in dims:
    if d != -1:
      known *= d
  if -1 in dims:
    if known == 0 or size % known:
      raise ValueError(RESHAPE_MESSAGE.format(name=name, size=size, shape=tuple(dims)))
    dims[dims.index(-1)] = size // known
  elif known != size:
    raise ValueError(RESHAPE_MESSAGE.format(name=name, size=size, shape=tuple(dims)))
  return tuple(dims)


def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
  """`a` with a new shape holding the same items; one dimension may be -1.

  `order='C'` reads and writes in row-major order, `order='F'` in
  column-major order.

  >>> jnp.reshape(jnp.arange(6), (2, -1))   # shape (2, 3)
  """
  if shape is None:
    shape = newshape
  if shape is None:
    raise TypeError("reshape: the shape argument is required")
  a = _array("reshape", a)
  new_shape = _resolve_shape("reshape", a.aval.size, shape)
  if order == "C":
    return lax.reshape(a, new_shape)
  if order == "F":
    perm = tuple(reversed(range(a.aval.ndim)))
    out = lax.reshape(lax.transpose(a, perm), tuple(reversed(new_shape)))
    return lax.transpose(out, tuple(reversed(range(len(new_shape)))))
  raise NotImplementedError(f"reshape: order={order!r} is not supported; use "
                            "'C' or 'F'")


def ravel(a, order="C"):
  """`a` flattened to one dimension."""
  a = _array("ravel", a)
  return reshape(a, (a.aval.size,), order=order)


def transpose(a, axes=None):
  """`a` with its axes permuted by `axes` (reversed when None)."""
  a = _array("transpose", a)
  ndim = a.aval.ndim
  if axes is None:
    perm = tuple(reversed(range(ndim)))
  else:
    axes = tuple(axes)
    if len(axes) != ndim:
      raise ValueError(f"transpose: axes {axes} don't match an array of rank {ndim}")
    perm = tuple(_util.canonicalize_axis("transpose", ax, ndim) for ax in axes)
    if len(set(perm)) != ndim:
      raise ValueError(f"transpose: repeated axis in axes {axes}")
  if perm == tuple(range(ndim)):
    return a
  return lax.transpose(a, perm)


def _axis_list(name, axes, ndim):
  if isinstance(axes, (list, tuple)):
    out = [_util.canonicalize_axis(name, ax, ndim) for ax in axes]
  else:
    out = [_util.canonicalize_axis(name, axes, ndim)]
  if len(set(out)) != len(out):
    raise ValueError(f"{name}: repeated axis in {axes}")
  return out


def moveaxis(a, source, destination):
  """`a` with axes `source` moved to positions `destination`."""
  a = _array("moveaxis", a)
  ndim = a.aval.ndim
  src = _axis_list("moveaxis", source, ndim)
  dst = _axis_list("moveaxis", destination, ndim)
  if len(src) != len(dst):
    raise ValueError(f"moveaxis: source {source} and destination "
                     f"{destination} must have the same number of elements")
  perm = [i for i in range(ndim) if i not in src]
  for d, s in sorted(zip(dst, src)):
    perm.insert(d, s)
  return transpose(a, perm)


def swapaxes(a, axis1, axis2):
  """`a` with axes `axis1` and `axis2` interchanged."""
  a = _array("swapaxes", a)
  ndim = a.aval.ndim
  i = _util.canonicalize_axis("swapaxes", axis1, ndim)
  j = _util.canonicalize_axis("swapaxes", axis2, ndim)
  perm = list(range(ndim))
  perm[i], perm[j] = perm[j], perm[i]
  return transpose(a, perm)


def squeeze(a, axis=None):
  """`a` without its size-1 axes (only those in `axis` when given)."""
  a = _array("squeeze", a)
  shape = a.aval.shape
  if axis is None:
    axes = tuple(i for i, d in enumerate(shape) if d == 1)
  else:
    axes = _util.canonicalize_axes("squeeze", axis, a.aval.ndim)
    for ax in axes:
      if shape[ax] != 1:
        raise ValueError(SQUEEZE_MESSAGE.format(shape=shape, axis=ax))
  return lax.squeeze(a, axes) if axes else a


def expand_dims(a, axis):
  """`a` with size-1 axes inserted at `axis` (an int or a tuple of
  positions in the result)."""
  a = _array("expand_dims", a)
  axes = axis if isinstance(axis, (list, tuple)) else (axis,)
  out_ndim = a.aval.ndim + len(axes)
  axes = _util.canonicalize_axes("expand_dims", tuple(axes), out_ndim)
  return lax.expand_dims(a, axes)


def _sequence(name, arrays):
  if is_array(arrays) or isinstance(arrays, np.ndarray):
    return [arrays[i] for i in range(len(arrays))]
  if not isinstance(arrays, (list, tuple)):
    raise TypeError(f"{name}: expected a sequence of arrays, got "
                    f"{type(arrays).__name__}")
  if not arrays:
    raise ValueError(f"{name}: need at least one array to {name.split('_')[0]}")
  return list(arrays)


def _promote_to(name, arrays, dtype):
  arrays = _util.promote_dtypes(name, *arrays)
  if dtype is not None:
    dtype = _util.canonical_dtype(name, dtype)
    arrays = [_util.convert(x, dtype, False, name) for x in arrays]
  return arrays


def concatenate(arrays, axis=0, dtype=None):
  """`arrays` joined along an existing `axis` (flattened first when
  `axis` is None); they are promoted to one dtype."""
  arrays = _sequence("concatenate", arrays)
  arrays = _promote_to("concatenate", arrays, dtype)
  if axis is None:
    arrays = [ravel(x) for x in arrays]
    axis = 0
  ndim = arrays[0].aval.ndim
  if ndim == 0:
    raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
  for i, x in enumerate(arrays[1:], 1):
    if x.aval.ndim != ndim:
      raise ValueError(
          f"concatenate: all the input arrays must have the same number of "
          f"dimensions, but array 0 has {ndim} dimension(s) and array {i} "
          f"has {x.aval.ndim}")
  axis = _util.canonicalize_axis("concatenate", axis, ndim)
  return lax.concatenate(arrays, axis)


def stack(arrays, axis=0, out=None, dtype=None):
  """`arrays` (all of one shape) joined along a new `axis`."""
  if out is not None:
    raise NotImplementedError("stack: the out argument is not supported")
  arrays = _sequence("stack", arrays)
  arrays = _promote_to("stack", arrays, dtype)
  shape0 = arrays[0].aval.shape
  for x in arrays[1:]:
    if x.aval.shape != shape0:
      raise ValueError(f"stack: all input arrays must have the same shape, "
                       f"got {shape0} and {x.aval.shape}")
  axis = _util.canonicalize_axis("stack", axis, len(shape0) + 1)
  return lax.concatenate([lax.expand_dims(x, (axis,)) for x in arrays], axis)


def _split(name, ary, indices_or_sections, axis, equal):
  a = _array(name, ary)
  axis = _util.canonicalize_axis(name, axis, a.aval.ndim)
  size = a.aval.shape[axis]
  if isinstance(indices_or_sections, (int, np.integer)) and not isinstance(
      indices_or_sections, bool):
    n = int(indices_or_sections)
    if n <= 0:
      raise ValueError(f"{name}: number of sections must be larger than 0, got {n}")
    if equal and size % n:
      raise ValueError(SPLIT_MESSAGE.format(size=size, n=n))
    base, extra = divmod(size, n)
    bounds = [0]
    for i in range(n):
      bounds.append(bounds[-1] + base + (1 if i < extra else 0))
  else:
    indices = _util.concrete_value(name, indices_or_sections).tolist() \
        if is_array(indices_or_sections) else list(indices_or_sections)
    bounds = [0] + [operator.index(i) for i in indices] + [size]
  pieces = []
  for start, stop in zip(bounds[:-1], bounds[1:]):
    start, stop, _ = slice(start, stop).indices(size)
    pieces.append(_util.slice_axis(a, axis, start, max(start, stop)))
  return pieces


def split(ary, indices_or_sections, axis=0):
  """`ary` split along `axis` into equal sections (an int) or at indices
  (a sequence)."""
  return _split("split", ary, indices_or_sections, axis, equal=True)


def array_split(ary, indices_or_sections, axis=0):
  """Like `split`, but an int need not divide the axis: the first parts
  get one extra item."""
  return _split("array_split", ary, indices_or_sections, axis, equal=False)


def broadcast_shapes(*shapes):
  """The shape NumPy broadcasting gives `shapes`."""
  shapes = [_util.canonicalize_shape("broadcast_shapes", s) for s in shapes]
  return _util.broadcast_shapes("broadcast_shapes", *shapes)


def broadcast_to(array, shape):
  """`array` broadcast to `shape` (NumPy rules; no copy is made on host)."""
  a = _array("broadcast_to", array)
  shape = _util.canonicalize_shape("broadcast_to", shape)
  a_shape = a.aval.shape
  if not _util.broadcastable_to(a_shape, shape):
    raise ValueError(BROADCAST_TO_MESSAGE.format(a=a_shape, b=shape))
  return _util.broadcast_to_shape(a, shape)


def broadcast_arrays(*args):
  """`args` broadcast to their common shape (dtypes unchanged)."""
  _util.check_arraylike("broadcast_arrays", *args)
  arrays = [_util.ensure_array(x, "broadcast_arrays") for x in args]
  return _util.promote_shapes("broadcast_arrays", *arrays)


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
  """`x` where `condition` holds, else `y` (broadcast and promoted).

  With only `condition`, the indices of its nonzero entries (`nonzero`),
  which needs a concrete array (or `size`, for a fixed result length).
  """
  if x is None and y is None:
    return _sorting.nonzero(condition, size=size, fill_value=fill_value)
  if x is None or y is None:
    raise ValueError(WHERE_ARGS_MESSAGE.format(
        x=type(x).__name__, y=type(y).__name__))
  _util.check_arraylike("where", condition, x, y)
  condition = _util.ensure_array(condition, "where")
  if not avals_lib.is_bool(condition.aval.dtype):
    condition = lax.ne(condition, _util.full_like(condition, 0))
  x, y = _util.promote_dtypes("where", x, y)
  condition, x, y = _util.promote_shapes("where", condition, x, y)
  return lax.select_n(condition, y, x)


def ndim(a):
  """The number of dimensions of `a`."""
  return _util.aval(a).ndim if _util.is_arraylike(a) else np.ndim(a)


def shape(a):
  """The shape of `a`."""
  return _util.aval(a).shape if _util.is_arraylike(a) else np.shape(a)


def size(a, axis=None):
  """The number of items in `a` (along `axis` when given)."""
  s = shape(a)
  if axis is None:
    n = 1
    for d in s:
      n *= d
    return n
  return s[_util.canonicalize_axis("size", axis, len(s))]


def clip(arr=None, /, min=None, max=None, *, a=None, a_min=None, a_max=None):  # noqa: A002
  """`arr` limited to [min, max]; either bound may be None."""
  arr = a if arr is None else arr
  min = a_min if min is None else min
  max = a_max if max is None else max
  _util.check_arraylike("clip", arr)
  if min is not None:
    arr = _ufuncs.maximum(min, arr)
  if max is not None:
    arr = _ufuncs.minimum(max, arr)
  return _util.ensure_array(arr, "clip")


def flip(m, axis=None):
  """`m` with the order of items reversed along `axis` (all axes if None)."""
  m = _array("flip", m)
  axes = _util.canonicalize_axes("flip", axis, m.aval.ndim)
  return lax.rev(m, axes) if axes else m


# --- Stacking helpers -----------------------------------------------------------

def _atleast(name, n, arys):
  out = []
  for x in arys:
    x = _array(name, x)
    nd = x.aval.ndim
    if nd < n:
      if n == 3 and nd == 1:
        x = lax.reshape(x, (1,) + x.aval.shape + (1,))
      elif n == 3 and nd == 2:
        x = lax.reshape(x, x.aval.shape + (1,))
      else:
        x = lax.reshape(x, (1,) * (n - nd) + x.aval.shape)
    out.append(x)
  return out[0] if len(out) == 1 else out


def atleast_1d(*arys):
  """Each input as an array of at least 1 dimension (a list if several)."""
  return _atleast("atleast_1d", 1, arys)


def atleast_2d(*arys):
  """Each input with at least 2 dimensions: shape (N,) becomes (1, N)."""
  return _atleast("atleast_2d", 2, arys)


def atleast_3d(*arys):
  """Each input with at least 3 dimensions: (N,) becomes (1, N, 1) and
  (M, N) becomes (M, N, 1), as in NumPy."""
  return _atleast("atleast_3d", 3, arys)


def _as_list(x):
  return x if isinstance(x, list) else [x]


def vstack(tup, dtype=None):
  """`tup` stacked along axis 0 after atleast_2d (rows)."""
  arrays = _as_list(atleast_2d(*_sequence("vstack", tup)))
  return concatenate(arrays, axis=0, dtype=dtype)


row_stack = vstack


def hstack(tup, dtype=None):
  """`tup` joined along axis 1 (axis 0 for 1-d arrays) after atleast_1d."""
  arrays = _as_list(atleast_1d(*_sequence("hstack", tup)))
  return concatenate(arrays, axis=0 if arrays[0].aval.ndim == 1 else 1, dtype=dtype)


def dstack(tup, dtype=None):
  """`tup` joined along axis 2 after atleast_3d (depth)."""
  arrays = _as_list(atleast_3d(*_sequence("dstack", tup)))
  return concatenate(arrays, axis=2, dtype=dtype)


def column_stack(tup):
  """1-d arrays as the columns of a 2-d array; 2-d arrays joined along
  axis 1 (numpy.column_stack)."""
  arrays = []
  for x in _sequence("column_stack", tup):
    x = _array("column_stack", x)
    if x.aval.ndim < 2:
      x = lax.reshape(x, (x.aval.size, 1))
    arrays.append(x)
  return concatenate(arrays, axis=1)


def append(arr, values, axis=None):
  """`values` joined to the end of `arr` along `axis` (both flattened when
  None), promoted to one dtype (numpy.append)."""
  return concatenate([ravel(_array("append", arr)), ravel(_array("append", values))]
                     if axis is None else [arr, values], axis=0 if axis is None else axis)


def _block_depth(x, name):
  if isinstance(x, list):
    if not x:
      raise ValueError(f"{name}: lists cannot be empty")
    depths = {_block_depth(e, name) for e in x}
    if len(depths) != 1:
      raise ValueError(f"{name}: list depths are mismatched")
    return depths.pop() + 1
  if isinstance(x, tuple):
    raise TypeError(f"{name}: tuples are not allowed in the nested structure, use lists")
  return 0


def _block_leaves(x):
  if isinstance(x, list):
    return [leaf for e in x for leaf in _block_leaves(e)]
  return [x]


def block(arrays):
  """An array assembled from nested lists of blocks (numpy.block): the
  innermost lists join along the last axis, the next along the one before.

  >>> jnp.block([[A, B], [C, D]])      # 2 x 2 block matrix
  """
  depth = _block_depth(arrays, "block")
  leaves = [_array("block", x) for x in _block_leaves(arrays)]
  nd = builtins.max([depth] + [x.aval.ndim for x in leaves])
  dtype, _ = _util.result_type(*leaves)

  def build(x, level):
    if not isinstance(x, list):
      x = _util.convert(_array("block", x), dtype, False, "block")
      return lax.reshape(x, (1,) * (nd - x.aval.ndim) + x.aval.shape)
    parts = [build(e, level + 1) for e in x]
    return lax.concatenate(parts, nd - (depth - level)) if len(parts) > 1 else parts[0]

  return build(arrays, 0)


