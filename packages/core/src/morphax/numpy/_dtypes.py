"""The dtype API of morphax.numpy: dtype objects, `result_type`,
`promote_types`, `finfo`/`iinfo`, `issubdtype`, `can_cast` (JAX's rules).
"""

import ml_dtypes
import numpy as np

from ..core import avals as avals_lib

# NumPy's abstract scalar types, for `issubdtype(x.dtype, jnp.floating)`.
generic = np.generic
number = np.number
inexact = np.inexact
floating = np.floating
complexfloating = np.complexfloating
integer = np.integer
signedinteger = np.signedinteger
unsignedinteger = np.unsignedinteger

dtype = np.dtype

_PYTHON_SCALAR_TYPES = (bool, int, float, complex)
# Python's number types stand for weak types in JAX's dtype functions.
_WEAK_EXAMPLES = {int: 0, float: 0.0, complex: 0j}
_CUSTOM_FLOAT_TYPES = (ml_dtypes.bfloat16,)
_CUSTOM_FLOAT_PARENTS = (np.floating, np.inexact, np.number, np.generic)


def _dtype_and_weak_type(x):
  """(dtype, weak) of a dtype specifier or value, NOT canonicalized."""
  if x is None:
    return np.dtype(float), False
  if isinstance(x, type) and x in _WEAK_EXAMPLES:
    return np.dtype(x), True
  aval = getattr(x, "aval", None)
  if aval is not None:
    return aval.dtype, aval.weak_type
  if isinstance(x, _PYTHON_SCALAR_TYPES):
    dt, weak = avals_lib.python_scalar_dtype(x)
    return np.dtype(type(x)) if weak else dt, weak
  if isinstance(x, (np.ndarray, np.generic)):
    dt = x.dtype
  elif isinstance(x, (str, np.dtype, type)) or hasattr(x, "dtype"):
    try:
      dt = np.dtype(x if isinstance(x, (str, np.dtype, type)) else x.dtype)
    except TypeError:
      raise TypeError(f"result_type: {x!r:.80} is not a valid dtype") from None
  else:
    raise TypeError(
        f"result_type: cannot interpret {type(x).__name__} value {x!r:.80} as "
        "a dtype or array")
  if dt not in avals_lib.SUPPORTED_DTYPES:
    raise TypeError(f"result_type: dtype {dt.name} is not supported by morphax")
  return dt, False


def _join(pairs):
  node = None
  for dt, weak in pairs:
    n = avals_lib.lattice_node(dt, weak)
    node = n if node is None else avals_lib.join(node, n)
  return node


def _node_kind_dtype(node):
  """A weak lattice node (`int*`, ...) as the 64-bit dtype of its kind."""
  if isinstance(node, str):
    return np.dtype({"int*": int, "float*": float, "complex*": complex}[node]), True
  return node, False


def result_type(*args, return_weak_type_flag=False):
  """The dtype that combining `args` gives under JAX's promotion lattice.

  Args are arrays, scalars or dtype specifiers; Python's `int`, `float`
  and `complex` (types or values) are weak. The result is canonical
  (64-bit types become 32-bit unless x64 is enabled).

  >>> result_type(jnp.int8, 1)          # dtype('int8')
  >>> result_type(jnp.uint8, 2.0)       # dtype('float32')
  """
  if not args:
    raise ValueError("result_type: at least one array or dtype is required")
  pairs = [_dtype_and_weak_type(a) for a in args]
  dt, weak = _node_kind_dtype(_join(pairs))
  if weak:
    dt = {"i": avals_lib.default_int_dtype(), "f": avals_lib.default_float_dtype(),
          "c": avals_lib.default_complex_dtype()}[dt.kind]
  else:
    dt = avals_lib.canonicalize_dtype(dt)
  return (dt, weak) if return_weak_type_flag else dt


def promote_types(a, b):
  """The dtype a binary operation casts `a` and `b` to (jnp.promote_types).

  Not canonicalized: `promote_types(int64, int8)` is int64. Python's
  `int`/`float`/`complex` are weak: `promote_types(uint8, int)` is uint8.
  """
  pairs = []
  for x in (a, b):
    if isinstance(x, type) and x in _WEAK_EXAMPLES:
      pairs.append((np.dtype(x), True))
    else:
      dt = np.dtype(x)
      if dt not in avals_lib.SUPPORTED_DTYPES:
        raise TypeError(f"promote_types: dtype {dt.name} is not supported by morphax")
      pairs.append((dt, False))
  return _node_kind_dtype(_join(pairs))[0]


def _to_numpy_dtype(x, name):
  if hasattr(x, "aval"):
    return x.aval.dtype
  if isinstance(x, np.ndarray):
    return x.dtype
  try:
    return np.dtype(x)
  except TypeError:
    raise TypeError(f"{name}: cannot interpret {type(x).__name__} value "
                    f"{x!r:.80} as a dtype") from None


def finfo(dtype):
  """Machine limits of a floating-point dtype (bfloat16 included)."""
  dt = _to_numpy_dtype(dtype, "finfo")
  if not avals_lib.is_inexact(dt):
    raise ValueError(f"finfo: {dt.name} is not a floating point type")
  return ml_dtypes.finfo(dt)


def iinfo(int_type):
  """Machine limits of an integer dtype."""
  dt = _to_numpy_dtype(int_type, "iinfo")
  if not avals_lib.is_integer(dt):
    raise ValueError(f"iinfo: {dt.name} is not an integer type")
  return np.iinfo(dt)


def _scalar_type(x):
  if isinstance(x, type) and issubclass(x, np.generic):
    return x
  dt = getattr(x, "dtype", None)
  if isinstance(x, type) and isinstance(dt, np.dtype):
    return dt.type  # a morphax scalar type such as jnp.float32
  return _to_numpy_dtype(x, "issubdtype").type


def issubdtype(arg1, arg2):
  """Whether dtype `arg1` is `arg2` or below it in NumPy's type hierarchy,
  with bfloat16 a floating type (which numpy does not know)."""
  t1, t2 = _scalar_type(arg1), _scalar_type(arg2)
  if t1 in _CUSTOM_FLOAT_TYPES:
    return t2 is t1 or t2 in _CUSTOM_FLOAT_PARENTS
  if t2 in _CUSTOM_FLOAT_TYPES:
    return t1 is t2
  return bool(np.issubdtype(t1, t2))


def can_cast(from_, to, casting="safe"):
  """Whether a cast from `from_` (a dtype or array) to `to` is allowed
  under NumPy's `casting` rule."""
  return bool(np.can_cast(_to_numpy_dtype(from_, "can_cast"),
                          _to_numpy_dtype(to, "can_cast"), casting=casting))


def isdtype_kind(dt):
  """'b', 'i', 'u', 'f' or 'c' (bfloat16 is 'f')."""
  dt = np.dtype(dt)
  return "f" if dt == avals_lib.bfloat16 else dt.kind
