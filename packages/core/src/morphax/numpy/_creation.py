"""Array creation: array/asarray from host data and arrays, filled arrays,
ranges (arange, linspace) and identity matrices.
"""

import math

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from . import _util
from ._util import PYTHON_SCALARS, is_array

__all__ = ["array", "asarray", "zeros", "ones", "full", "empty", "zeros_like",
           "ones_like", "full_like", "empty_like", "arange", "linspace", "eye",
           "identity", "tri", "meshgrid", "indices", "mgrid", "ogrid"]

NOT_ARRAY_DATA_MESSAGE = (
    "{name}: cannot make an array from {type} {value!r:.60}; expected an "
    "array, a numpy array, a Python scalar or a (nested) list/tuple of these")


def _leaves(obj, name):
  """The leaves of a nested list/tuple, checked to be array-like."""
  if isinstance(obj, (list, tuple)):
    out = []
    for o in obj:
      out.extend(_leaves(o, name))
    return out
  if not _util.is_arraylike(obj):
    raise TypeError(NOT_ARRAY_DATA_MESSAGE.format(
        name=name, type=type(obj).__name__, value=obj))
  return [obj]


def _stack_nested(obj, dtype, name):
  """A nested list holding arrays (or tracers), stacked on the device."""
  if not isinstance(obj, (list, tuple)):
    return _util.convert(obj, dtype, False, name)
  parts = [_stack_nested(o, dtype, name) for o in obj]
  if not parts:
    raise ValueError(f"{name}: cannot stack an empty list holding arrays")
  shape = parts[0].aval.shape
  for p in parts[1:]:
    if p.aval.shape != shape:
      raise ValueError(
          f"{name}: nested sequences must have the same shape at each level, "
          f"got shapes {shape} and {p.aval.shape}")
  parts = [lax.expand_dims(p, (0,)) for p in parts]
  return parts[0] if len(parts) == 1 else lax.concatenate(parts, 0)


def array(object, dtype=None, copy=True, order="K", ndmin=0):
  """An array from `object`: an array, a numpy array, a Python scalar, or a
  nested list/tuple of these (arrays included).

  Args:
    object: the data.
    dtype: the dtype of the result; by default JAX's promotion of the
      leaves (Python scalars alone give a weak type).
    copy: accepted for NumPy compatibility; arrays are immutable.
    ndmin: the minimum rank; leading axes of size 1 are added.

  >>> jnp.array([[1, 2], [3, 4]])          # int32[2,2]
  >>> jnp.array([1, 2.5])                  # float32[2]
  """
  del copy  # arrays are immutable: sharing one is as good as a copy
  if order not in ("K", "A", "C", None):
    raise NotImplementedError(f"array: order={order!r} is not supported")
  if dtype is not None:
    dtype = _util.canonical_dtype("array", dtype)
  if is_array(object):
    out = object if dtype is None else _util.convert(object, dtype, False, "array")
  elif isinstance(object, PYTHON_SCALARS):
    if dtype is None:
      out = _util.ensure_array(object, "array")
    else:
      out = _util.convert(object, dtype, False, "array")
  elif isinstance(object, (np.ndarray, np.generic)):
    if not _util.is_arraylike(object):
      raise TypeError(
          f"array: numpy dtype {object.dtype} is not supported by morphax; "
          f"supported dtypes are {', '.join(d.name for d in avals_lib.SUPPORTED_DTYPES)}")
    out = _util.convert(object, dtype or avals_lib.canonicalize_dtype(object.dtype),
                        False, "array")
  elif isinstance(object, (list, tuple)):
    leaves = _leaves(object, "array")
    if dtype is None:
      dtype = _util.result_type(*leaves)[0] if leaves else avals_lib.default_float_dtype()
    if any(is_array(leaf) for leaf in leaves):
      out = _stack_nested(object, dtype, "array")
    else:
      try:
        with np.errstate(over="ignore", invalid="ignore"):
          value = np.array(object, dtype=dtype)
      except ValueError as e:
        raise ValueError(f"array: {e}") from None
      out = _util.ensure_array(value, "array")
  elif hasattr(object, "__array__") and not isinstance(object, (str, bytes)):
    return array(np.asarray(object), dtype=dtype, ndmin=ndmin)
  else:
    raise TypeError(NOT_ARRAY_DATA_MESSAGE.format(
        name="array", type=type(object).__name__, value=object))
  if ndmin > out.aval.ndim:
    out = lax.expand_dims(out, tuple(range(ndmin - out.aval.ndim)))
  return out


def asarray(a, dtype=None, order=None, *, copy=None):
  """`a` as an array, without a copy when it already is one of `dtype`."""
  return array(a, dtype=dtype, copy=False, order=order)


def _fill(name, shape, value, dtype, weak_type=False):
  shape = _util.canonicalize_shape(name, shape)
  return _util.full(shape, value, dtype, weak_type, name)


def zeros(shape, dtype=None, *, device=None):
  """An array of zeros; float32 unless `dtype` says otherwise."""
  dtype = _util.canonical_dtype("zeros", dtype or avals_lib.default_float_dtype())
  return _fill("zeros", shape, 0, dtype)


def ones(shape, dtype=None, *, device=None):
  """An array of ones; float32 unless `dtype` says otherwise."""
  dtype = _util.canonical_dtype("ones", dtype or avals_lib.default_float_dtype())
  return _fill("ones", shape, 1, dtype)


def empty(shape, dtype=None, *, device=None):
  """Like `zeros`: XLA has no uninitialized memory to hand out."""
  return zeros(shape, dtype)


def full(shape, fill_value, dtype=None, *, device=None):
  """An array of `shape` filled with `fill_value` (broadcast if an array).

  With no `dtype`, a Python scalar fill gives a weak type, as in JAX.
  """
  _util.check_arraylike("full", fill_value)
  if dtype is not None:
    dtype = _util.canonical_dtype("full", dtype)
  shape = _util.canonicalize_shape("full", shape)
  if np.ndim(fill_value) == 0 and not is_array(fill_value):
    fill_dtype, weak = _util.result_type(fill_value)
    if dtype is None:
      return _util.full(shape, fill_value, fill_dtype, weak, "full")
    return _util.full(shape, fill_value, dtype, False, "full")
  value = asarray(fill_value, dtype=dtype)
  if not _util.broadcastable_to(value.aval.shape, shape):
    raise ValueError(f"full: cannot broadcast fill_value of shape "
                     f"{value.aval.shape} to shape {shape}")
  return _util.broadcast_to_shape(value, shape)


def _like(name, a, value, dtype, shape):
  _util.check_arraylike(name, a)
  a_aval = _util.aval(a)
  if dtype is not None:
    dtype = _util.canonical_dtype(name, dtype)
    weak = False
  else:
    dtype, weak = a_aval.dtype, a_aval.weak_type
  shape = a_aval.shape if shape is None else _util.canonicalize_shape(name, shape)
  return _util.full(shape, value, dtype, weak, name)


def zeros_like(a, dtype=None, shape=None, *, device=None):
  """Zeros with the shape and dtype (and weak type) of `a`."""
  return _like("zeros_like", a, 0, dtype, shape)


def ones_like(a, dtype=None, shape=None, *, device=None):
  """Ones with the shape and dtype (and weak type) of `a`."""
  return _like("ones_like", a, 1, dtype, shape)


def empty_like(prototype, dtype=None, shape=None, *, device=None):
  """Like `zeros_like`."""
  return _like("empty_like", prototype, 0, dtype, shape)


def full_like(a, fill_value, dtype=None, shape=None, *, device=None):
  """`fill_value` broadcast to the shape of `a`, in the dtype of `a`."""
  _util.check_arraylike("full_like", a, fill_value)
  if np.ndim(fill_value) == 0 and not is_array(fill_value):
    return _like("full_like", a, fill_value, dtype, shape)
  a_aval = _util.aval(a)
  shape = a_aval.shape if shape is None else _util.canonicalize_shape("full_like", shape)
  return full(shape, fill_value, dtype or a_aval.dtype)


def _scalar_arg(name, x, what):
  if x is None:
    return None
  if is_array(x) or isinstance(x, np.ndarray):
    value = _util.concrete_value(name, x)
    if value.ndim != 0:
      raise ValueError(f"{name}: {what} must be a scalar, got shape {value.shape}")
    return value.item()
  if isinstance(x, np.generic):
    return x.item()
  if not isinstance(x, PYTHON_SCALARS):
    raise TypeError(f"{name}: {what} must be a scalar, got {type(x).__name__}")
  return x


def arange(start, stop=None, step=None, dtype=None, *, device=None):
  """Evenly spaced values in [start, stop) (NumPy's arange).

  The dtype is JAX's promotion of the arguments (Python ints give int32,
  floats float32) unless `dtype` is given. Bounds must be concrete.

  >>> jnp.arange(5)            # [0, 1, 2, 3, 4] int32
  >>> jnp.arange(1, 2, 0.25)   # float32
  """
  args = [a for a in (start, stop, step) if a is not None]
  _util.check_arraylike("arange", *args)
  if dtype is None:
    dtype = _util.result_type(*args)[0]
  else:
    dtype = _util.canonical_dtype("arange", dtype)
  start = _scalar_arg("arange", start, "start")
  stop = _scalar_arg("arange", stop, "stop")
  step = _scalar_arg("arange", step, "step")
  if step == 0:
    raise ValueError("arange: step must not be zero")
  if stop is None and step is None and not isinstance(start, complex):
    size = max(0, math.ceil(start))
    return lax.iota(dtype, size)
  value = np.arange(start, stop, step, dtype=dtype)
  return _util.ensure_array(value, "arange")


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None,
             axis=0, *, device=None):
  """`num` evenly spaced values from `start` to `stop` (NumPy's linspace).

  `start` and `stop` may be arrays; the samples go along `axis` of the
  result. Integer dtypes take the floor of the float samples.
  """
  _util.check_arraylike("linspace", start, stop)
  num = int(_scalar_arg("linspace", num, "num"))
  if num < 0:
    raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
  start, stop = _util.promote_dtypes_inexact("linspace", start, stop)
  compute_dtype = start.aval.dtype
  if dtype is None:
    dtype = compute_dtype
  else:
    dtype = _util.canonical_dtype("linspace", dtype)
  start, stop = _util.promote_shapes("linspace", start, stop)
  bounds_shape = start.aval.shape
  axis = _util.canonicalize_axis("linspace", axis, len(bounds_shape) + 1)
  out_shape = bounds_shape[:axis] + (num,) + bounds_shape[axis:]
  div = (num - 1) if endpoint else num
  bdims = tuple(d for d in range(len(out_shape)) if d != axis)
  start_b = lax.broadcast_in_dim(start, out_shape, bdims)
  if div > 0:
    delta = lax.div(lax.sub(stop, start), _util.full_like(stop, div))
    steps = lax.broadcasted_iota(compute_dtype, out_shape, axis)
    out = lax.add(start_b, lax.mul(steps, lax.broadcast_in_dim(delta, out_shape, bdims)))
    if endpoint and num > 1:
      # The last sample is `stop` exactly, as in NumPy.
      last = lax.broadcast_in_dim(
          stop, out_shape[:axis] + (1,) + out_shape[axis + 1:], bdims)
      head = _util.slice_axis(out, axis, 0, num - 1)
      out = lax.concatenate([head, last], axis)
  else:
    delta = _util.full_like(stop, np.nan) if endpoint else lax.sub(stop, start)
    out = start_b
  if avals_lib.is_integer(dtype):
    out = lax.floor(out)
  out = _util.convert(out, dtype, False, "linspace")
  return (out, delta) if retstep else out


def eye(N, M=None, k=0, dtype=None, *, device=None):
  """A 2-d array with ones on diagonal `k` and zeros elsewhere."""
  dtype = _util.canonical_dtype("eye", dtype or avals_lib.default_float_dtype())
  N = _util.canonicalize_shape("eye", (N,))[0]
  M = N if M is None else _util.canonicalize_shape("eye", (M,))[0]
  k = int(_scalar_arg("eye", k, "k"))
  int_dtype = avals_lib.default_int_dtype()
  rows = lax.broadcasted_iota(int_dtype, (N, M), 0)
  cols = lax.broadcasted_iota(int_dtype, (N, M), 1)
  on_diagonal = lax.eq(lax.add(rows, _util.full((N, M), k, int_dtype)), cols)
  return lax.convert_element_type(on_diagonal, dtype)


def identity(n, dtype=None):
  """The n x n identity matrix."""
  return eye(n, dtype=dtype)


# --- Triangles and grids ------------------------------------------------------

def tri(N, M=None, k=0, dtype=None):
  """An N x M array with ones at and below diagonal `k`, zeros above.

  >>> jnp.tri(3, k=-1)     # float32, strictly lower triangle of ones
  """
  dtype = _util.canonical_dtype("tri", dtype or avals_lib.default_float_dtype())
  N = _util.canonicalize_shape("tri", (N,))[0]
  M = N if M is None else _util.canonicalize_shape("tri", (M,))[0]
  k = int(_scalar_arg("tri", k, "k"))
  int_dtype = avals_lib.default_int_dtype()
  rows = lax.broadcasted_iota(int_dtype, (N, M), 0)
  cols = lax.broadcasted_iota(int_dtype, (N, M), 1)
  below = lax.ge(lax.add(rows, _util.full((N, M), k, int_dtype)), cols)
  return lax.convert_element_type(below, dtype)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
  """Coordinate arrays from 1-d coordinate vectors `xi` (numpy.meshgrid).

  indexing='xy' (Cartesian) swaps the first two output axes, 'ij' (matrix)
  does not; sparse=True returns arrays of size 1 on all but one axis.
  Returns a list, as jax.numpy.meshgrid does.

  >>> X, Y = jnp.meshgrid(jnp.arange(3), jnp.arange(2))   # shapes (2, 3)
  """
  del copy
  if indexing not in ("xy", "ij"):
    raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
  _util.check_arraylike("meshgrid", *xi)
  args = [_util.ensure_array(x, "meshgrid") for x in xi]
  for x in args:
    if x.aval.ndim != 1:
      raise ValueError(f"meshgrid: arguments must be 1-d arrays, got shape {x.aval.shape}")
  sizes = [x.aval.shape[0] for x in args]
  order = list(range(len(args)))
  if indexing == "xy" and len(args) > 1:
    order[0], order[1] = 1, 0
    sizes[0], sizes[1] = sizes[1], sizes[0]
  out = []
  for i, x in enumerate(args):
    axis = order[i]
    shape = tuple(s if d == axis else 1 for d, s in enumerate(sizes)) if sparse \
        else tuple(sizes)
    out.append(lax.broadcast_in_dim(x, shape, (axis,)))
  return out


def indices(dimensions, dtype=None, sparse=False):
  """An array of index grids for a shape: out[i] holds the i-th index of
  each position (numpy.indices); a tuple of broadcastable arrays if sparse.

  >>> jnp.indices((2, 3)).shape     # (2, 2, 3)
  """
  dims = _util.canonicalize_shape("indices", dimensions)
  dtype = _util.canonical_dtype("indices", dtype or avals_lib.default_int_dtype())
  grids = []
  for i, d in enumerate(dims):
    shape = tuple(d if j == i else 1 for j in range(len(dims))) if sparse else dims
    grids.append(lax.broadcasted_iota(dtype, shape, i))
  if sparse:
    return tuple(grids)
  if not grids:
    return _util.full((0,), 0, dtype)
  return lax.concatenate([lax.expand_dims(g, (0,)) for g in grids], 0)


def _grid_axis(name, s):
  """The 1-d coordinates a slice stands for: arange for a real step,
  linspace with that many points (end included) for an imaginary one."""
  if not isinstance(s, slice):
    raise TypeError(f"{name}: indices must be slices like 0:5 or 0:1:5j, got {s!r}")
  start = 0 if s.start is None else s.start
  step = 1 if s.step is None else s.step
  if isinstance(step, complex):
    num = int(abs(step))
    return linspace(start, s.stop, num)
  return arange(start, s.stop, step)


class _Grid:
  """mgrid/ogrid: index with slices to build dense or open grids."""

  def __init__(self, name, sparse):
    self.name, self.sparse = name, sparse

  def __getitem__(self, key):
    if not isinstance(key, tuple):
      return _grid_axis(self.name, key)
    axes = [_grid_axis(self.name, k) for k in key]
    if not axes:
      return [] if self.sparse else _util.full((0,), 0, avals_lib.default_int_dtype())
    dtype = _util.result_type(*axes)[0]
    axes = [_util.convert(a, dtype, False, self.name) for a in axes]
    grids = meshgrid(*axes, indexing="ij", sparse=self.sparse)
    if self.sparse:
      return grids
    return lax.concatenate([lax.expand_dims(g, (0,)) for g in grids], 0)


mgrid = _Grid("mgrid", sparse=False)
mgrid.__doc__ = """Dense grids from slices: jnp.mgrid[0:2, 0:3] has shape (2, 2, 3);
a complex step is a point count (jnp.mgrid[0:1:5j], end included)."""
ogrid = _Grid("ogrid", sparse=True)
ogrid.__doc__ = """Open grids from slices: jnp.ogrid[0:2, 0:3] is a list of arrays of
shapes (2, 1) and (1, 3)."""
