"""What every morphax.numpy function does to its arguments: check they are
array-like, promote their dtypes (JAX's weak types) and broadcast them.
"""

import operator

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from ..core.avals import HostValue
from ..core.trace import Tracer, current_trace, default_trace
from ..runtime.array import Array
from ..runtime.dispatch import to_array

PYTHON_SCALARS = (bool, int, float, complex)

NOT_ARRAYLIKE_MESSAGE = (
    "{name} requires ndarray or scalar arguments, got {type} at position "
    "{pos}: {value!r:.60}. Wrap lists with jnp.asarray(...) first.")
BROADCAST_MESSAGE = "{name}: shapes {shapes} cannot be broadcast together"
AXIS_MESSAGE = "{name}: axis {axis} is out of bounds for an array of rank {ndim}"


def is_array(x):
  """An Array or a tracer (a value some trace stands in for)."""
  return isinstance(x, (Array, Tracer))


def _supported_numpy(x):
  return x.dtype in avals_lib.SUPPORTED_DTYPES


def is_arraylike(x):
  if is_array(x) or isinstance(x, PYTHON_SCALARS):
    return True
  return isinstance(x, (np.ndarray, np.generic)) and _supported_numpy(x)


def check_arraylike(name, *args):
  """TypeError unless each arg is an array, a numpy value or a scalar."""
  for pos, x in enumerate(args):
    if not is_arraylike(x):
      raise TypeError(NOT_ARRAYLIKE_MESSAGE.format(
          name=name, type=type(x).__name__, pos=pos, value=x))


def ensure_array(x, name):
  """`x` as an Array (or the tracer it is); Python scalars stay weak."""
  if is_array(x):
    return x
  check_arraylike(name, x)
  return to_array(x, where=name)


def aval(x):
  """The aval of an array-like (without moving it to a device)."""
  if is_array(x):
    return x.aval
  dt, weak = avals_lib.dtype_and_weak_type(x)
  return avals_lib.ShapedArray(np.shape(x), dt, weak)


# --- Dtypes ------------------------------------------------------------------

_WEAK_PYTHON_TYPE = {"i": int, "f": float, "c": complex}


def convert(x, dtype, weak_type=False, name="asarray"):
  """`x` as an array of `dtype` with the given weak type. Host values are
  converted on the host, so a Python scalar costs one small transfer."""
  dtype = np.dtype(dtype)
  if is_array(x):
    if x.aval.dtype == dtype and x.aval.weak_type == weak_type:
      return x
    return lax._convert_element_type(x, dtype, weak_type)
  if weak_type and isinstance(x, PYTHON_SCALARS):
    # to_array gives Python scalars the default dtype of their kind, weak:
    # exactly the weak result dtypes.
    kind = "f" if dtype == avals_lib.bfloat16 else dtype.kind
    value = _WEAK_PYTHON_TYPE[kind](x)
    out = to_array(value, where=name)
    return out if out.aval.dtype == dtype else convert(out, dtype, True, name)
  with np.errstate(over="ignore", invalid="ignore"):
    value = np.asarray(x, dtype=dtype)
  return to_array(value, where=name)


def result_type(*args):
  """(dtype, weak_type) that combining array-likes `args` gives."""
  return avals_lib.result_dtype([avals_lib.dtype_and_weak_type(a) for a in args])


def default_inexact(dtype):
  """`dtype` if inexact, else the default float (JAX's to_inexact_dtype)."""
  if avals_lib.is_inexact(dtype):
    return dtype
  return avals_lib.default_float_dtype()


def _operand(x, dtype, weak, name):
  """`x` of `dtype` as an array (or tracer). Under a transformation a host
  scalar is converted by binding convert_element_type on it, which staging
  folds into a literal (`mul b 2.0`) instead of capturing a device array."""
  if (not is_array(x) and np.ndim(x) == 0
      and current_trace() is not default_trace()):
    with np.errstate(over="ignore", invalid="ignore"):
      value = HostValue(np.asarray(x, dtype=dtype), weak)
    return lax._convert_element_type(value, dtype, weak)
  return convert(x, dtype, weak, name)


def promote_dtypes(name, *args):
  """Arrays of `args` converted to their common dtype (no broadcasting)."""
  check_arraylike(name, *args)
  if not args:
    return []
  dtype, weak = result_type(*args)
  return [_operand(x, dtype, weak, name) for x in args]


def promote_dtypes_inexact(name, *args):
  """Like `promote_dtypes`, but integers and bools become floats."""
  check_arraylike(name, *args)
  dtype, weak = result_type(*args)
  dtype = default_inexact(dtype)
  return [_operand(x, dtype, weak, name) for x in args]


# --- Shapes ------------------------------------------------------------------

def _shapes_text(shapes):
  texts = [str(tuple(s)) for s in shapes]
  if len(texts) <= 2:
    return " and ".join(texts)
  return ", ".join(texts[:-1]) + " and " + texts[-1]


def broadcast_shapes(name, *shapes):
  """NumPy's broadcast of `shapes`, or a ValueError naming `name`."""
  ndim = max((len(s) for s in shapes), default=0)
  out = []
  padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
  for dims in zip(*padded):
    sizes = {d for d in dims if d != 1}
    if len(sizes) > 1:
      raise ValueError(BROADCAST_MESSAGE.format(
          name=name, shapes=_shapes_text(shapes)))
    out.append(sizes.pop() if sizes else 1)
  return tuple(out)


def broadcastable_to(shape, target):
  """Whether an array of `shape` broadcasts to exactly `target`."""
  lead = len(target) - len(shape)
  return lead >= 0 and all(d == 1 or d == t for d, t in zip(shape, target[lead:]))


def broadcast_to_shape(x, shape):
  """Array `x` broadcast to `shape` (already known to be compatible)."""
  shape = tuple(shape)
  if x.aval.shape == shape:
    return x
  lead = len(shape) - x.aval.ndim
  return lax.broadcast_in_dim(x, shape, tuple(range(lead, len(shape))))


def promote_shapes(name, *arrays):
  """Arrays broadcast to their common shape."""
  if len(arrays) < 2:
    return list(arrays)
  shape = broadcast_shapes(name, *(a.aval.shape for a in arrays))
  return [broadcast_to_shape(a, shape) for a in arrays]


def promote_args(name, *args):
  """Arrays of `args` promoted to one dtype and broadcast to one shape."""
  if len(args) == 2 and type(args[0]) is Array and type(args[1]) is Array:
    # The common eager case, kept cheap: two arrays that already agree.
    if args[0].aval == args[1].aval:
      return args
  return promote_shapes(name, *promote_dtypes(name, *args))


def promote_args_inexact(name, *args):
  return promote_shapes(name, *promote_dtypes_inexact(name, *args))


def slice_axis(x, axis, start, limit, stride=1):
  """x[..., start:limit:stride, ...] along `axis` (non-negative bounds)."""
  shape = x.aval.shape
  starts = [0] * len(shape)
  limits = list(shape)
  strides = [1] * len(shape)
  starts[axis], limits[axis], strides[axis] = start, limit, stride
  if starts == [0] * len(shape) and limits == list(shape) and stride == 1:
    return x
  return lax.slice(x, tuple(starts), tuple(limits),
                   None if stride == 1 else tuple(strides))


# --- Constants ---------------------------------------------------------------

def full(shape, value, dtype, weak_type=False, name="full"):
  """An array of `shape` filled with host scalar `value`: one scalar
  transfer, then a broadcast on the device. Under a transformation the
  scalar stays a literal of the program rather than a captured array."""
  if is_array(value) or current_trace() is default_trace():
    scalar = convert(value, dtype, weak_type, name)
  else:
    scalar = _operand(value, np.dtype(dtype), weak_type, name)
  return broadcast_to_shape(scalar, shape)


def full_like(x, value, dtype=None):
  a = x.aval
  return full(a.shape, value, a.dtype if dtype is None else dtype,
              a.weak_type if dtype is None else False)


# --- Axes --------------------------------------------------------------------

def canonicalize_axis(name, axis, ndim):
  """A non-negative axis in [0, ndim), or an error naming `name`."""
  if isinstance(axis, (bool, np.bool_)):
    raise TypeError(f"{name}: axis must be an integer, got {axis!r}")
  try:
    axis = operator.index(axis)
  except TypeError:
    raise TypeError(f"{name}: axis must be an integer, got "
                    f"{type(axis).__name__} {axis!r:.40}") from None
  if not -ndim <= axis < ndim:
    raise ValueError(AXIS_MESSAGE.format(name=name, axis=axis, ndim=ndim))
  return axis % ndim if ndim else 0


def canonicalize_axes(name, axis, ndim):
  """`axis` (None, an int or a sequence of ints) as a sorted tuple."""
  if axis is None:
    return tuple(range(ndim))
  if isinstance(axis, (tuple, list)):
    axes = tuple(canonicalize_axis(name, a, ndim) for a in axis)
    if len(set(axes)) != len(axes):
      raise ValueError(f"{name}: repeated axis in {tuple(axis)}")
    return tuple(sorted(axes))
  return (canonicalize_axis(name, axis, ndim),)


def canonicalize_shape(name, shape):
  """A shape (int or sequence of ints) as a tuple, or an error naming `name`."""
  try:
    return avals_lib.check_shape(shape)
  except (TypeError, ValueError) as e:
    raise type(e)(f"{name}: {e}") from None


def canonical_dtype(name, dtype):
  """The array dtype `dtype` gives (64-bit types become 32-bit unless x64)."""
  try:
    return avals_lib.canonicalize_dtype(dtype)
  except TypeError as e:
    raise TypeError(f"{name}: {e}") from None


def concrete_value(name, x):
  """The host value of a concrete array-like; a TypeError for a tracer."""
  if isinstance(x, Tracer):
    raise TypeError(
        f"{name}: needs a concrete value, got an abstract tracer {x.aval}. "
        "Its result shape would depend on array values, which traced code "
        "cannot do.")
  return np.asarray(x)


# --- Small helpers the breadth modules share ----------------------------------

def dtype_of(x):
  return x.aval.dtype


def const_like(x, value):
  """An array like `x` filled with `value`."""
  return full_like(x, value)


def select(condition, x, y):
  """`x` where `condition`, else `y` (equal shapes and dtypes)."""
  return lax.select_n(condition, y, x)


def isnan(x):
  """NaN mask of any dtype: complex if either part is NaN; never for ints."""
  dtype = x.aval.dtype
  if avals_lib.is_complex(dtype):
    return lax.bitwise_or(lax.ne(lax.real(x), lax.real(x)), lax.ne(lax.imag(x), lax.imag(x)))
  if avals_lib.is_inexact(dtype):
    return lax.ne(x, x)
  return full(x.aval.shape, False, avals_lib.bool_)
