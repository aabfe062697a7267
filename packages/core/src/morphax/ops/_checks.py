"""The argument checks every op family shares: dtype classes, avals of
operands, Python-scalar handling, axes, padding names.
"""

import numpy as np

from ..core import avals as avals_lib
from ..core.avals import HostValue, ShapedArray
from ..core.trace import Tracer

# Dtype classes an op accepts; the names appear in error messages.
BOOL = ("bool", avals_lib.is_bool)
SIGNED = ("signed integer", avals_lib.is_signed)
UNSIGNED = ("unsigned integer", avals_lib.is_unsigned)
INT = ("integer", avals_lib.is_integer)
FLOAT = ("floating", avals_lib.is_float)
COMPLEX = ("complex", avals_lib.is_complex)
INEXACT = (FLOAT, COMPLEX)
NUMERIC = (INT, FLOAT, COMPLEX)
ANY = (BOOL, INT, FLOAT, COMPLEX)
INTEGRAL = (BOOL, INT)
REAL = (INT, FLOAT)


def _flat_classes(classes):
  if isinstance(classes[0], str):
    return (classes,)
  return tuple(classes)


def check_dtype(name, dtype, classes, what="argument"):
  classes = _flat_classes(classes)
  if not any(pred(dtype) for _, pred in classes):
    accepted = ", ".join(label for label, _ in classes)
    raise TypeError(
        f"{name} does not accept {what} dtype {np.dtype(dtype).name}; "
        f"accepted dtypes: {accepted}")


def is_array_like(x):
  return hasattr(x, "aval") or isinstance(x, (np.ndarray, np.generic))


def aval_of(x):
  """The aval of an Array, Tracer, numpy value or Python scalar."""
  aval = getattr(x, "aval", None)
  if aval is not None:
    return aval
  if is_python_scalar(x):
    dtype, weak = avals_lib.python_scalar_dtype(x)
    return ShapedArray((), dtype, weak)
  if isinstance(x, (np.ndarray, np.generic)):
    return ShapedArray(np.shape(x), avals_lib.canonicalize_dtype(x.dtype), False)
  raise TypeError(
      f"expected an array, a numpy array or a Python scalar, got "
      f"{type(x).__name__}: {x!r:.80}")


def is_python_scalar(x):
  """True for Python's own scalars (weakly typed); numpy scalars such as
  np.float64 subclass float but carry a real dtype, so they are not."""
  return (isinstance(x, (bool, int, float, complex))
          and not isinstance(x, (np.generic, Tracer)))


def scalar_like(name, x, dtype):
  """A Python scalar operand given the dtype of the array it meets (weak)."""
  if isinstance(x, bool) and dtype != avals_lib.bool_:
    x = int(x)
  if isinstance(x, complex) and not avals_lib.is_complex(dtype):
    raise TypeError(f"{name}: cannot combine complex scalar {x} with a "
                    f"{dtype.name} array")
  if isinstance(x, float) and not avals_lib.is_inexact(dtype):
    if x != int(x):
      raise TypeError(f"{name}: cannot combine float scalar {x} with a "
                      f"{dtype.name} array without losing its fraction")
  return np.asarray(x).astype(dtype)


def match_scalars(name, args):
  """Python scalars among `args` take the dtype and shape of the array
  operands, as JAX's lax does (so `lax.add(x_f16, 1.0)` is f16 + f16)."""
  if not any(is_python_scalar(a) for a in args):
    return args
  arrays = [a for a in args if not is_python_scalar(a)]
  if not arrays:
    return args
  aval = aval_of(arrays[0])
  # A zero-stride view (no host memory for the broadcast), weakly typed as
  # the Python scalar was.
  return [HostValue(np.broadcast_to(scalar_like(name, a, aval.dtype), aval.shape), True)
          if is_python_scalar(a) else a for a in args]


# --- Elementwise ops --------------------------------------------------------

def _same_shapes(name, avals):
  shapes = [a.shape for a in avals]
  if any(s != shapes[0] for s in shapes[1:]):
    raise TypeError(
        f"{name} requires arguments to have the same shape, got "
        f"{', '.join(map(str, shapes))}. (morphax.numpy functions broadcast; "
        "lax functions do not.)")


def _same_dtypes(name, avals):
  dtypes = [a.dtype for a in avals]
  if any(d != dtypes[0] for d in dtypes[1:]):
    raise TypeError(
        f"{name} requires arguments to have the same dtype, got "
        f"{', '.join(d.name for d in dtypes)}. Cast one with "
        "lax.convert_element_type or use morphax.numpy, which promotes.")


def nary_abstract_eval(name, classes, result_dtype=None):
  """Abstract eval for elementwise ops: equal shapes and dtypes in, the same
  shape out; weak only if every input is weak."""
  def abstract_eval(*avals, **params):
    _same_shapes(name, avals)
    _same_dtypes(name, avals)
    for a in avals:
      check_dtype(name, a.dtype, classes)
    dtype = avals[0].dtype if result_dtype is None else result_dtype(avals[0].dtype)
    weak = all(a.weak_type for a in avals) and dtype == avals[0].dtype
    return ShapedArray(avals[0].shape, dtype, weak)
  return abstract_eval


# --- Shared argument checks --------------------------------------------------

def canonicalize_axis(name, axis, ndim):
  """A non-negative axis, or a ValueError naming the op, axis and rank."""
  if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
    raise TypeError(f"{name}: axis must be an integer, got {axis!r}")
  axis = int(axis)
  if not -ndim <= axis < ndim:
    raise ValueError(
        f"{name}: axis {axis} is out of bounds for an array of rank {ndim}")
  return axis % ndim


def canonicalize_axes(name, axes, ndim):
  out = tuple(canonicalize_axis(name, a, ndim) for a in axes)
  if len(set(out)) != len(out):
    raise ValueError(f"{name}: repeated axis in {tuple(axes)}")
  return out


PADDING_STRING_MESSAGE = (
    "{name}: unrecognized padding {padding!r}; expected 'SAME', "
    "'SAME_LOWER', 'VALID' or explicit (low, high) pairs such as "
    "[(1, 1), (0, 0)]")


def pads_for_padtype(name, in_shape, window_shape, window_strides, padding):
  """(low, high) pairs for 'SAME', 'SAME_LOWER' or 'VALID' padding, as
  lax.padtype_to_pads gives them; errors name the calling function."""
  if not isinstance(padding, str):
    raise TypeError(f"{name}: padding must be a string, got {padding!r}")
  kind = padding.upper()
  if kind == "VALID":
    return [(0, 0)] * len(in_shape)
  if kind not in ("SAME", "SAME_LOWER"):
    # NB: JAX raises RuntimeError here; a ValueError says "bad argument".
    raise ValueError(PADDING_STRING_MESSAGE.format(name=name, padding=padding))
  pads = []
  for size, window, stride in zip(in_shape, window_shape, window_strides):
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    small, big = total // 2, total - total // 2
    pads.append((small, big) if kind == "SAME" else (big, small))
  return pads
