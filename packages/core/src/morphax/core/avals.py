"""Abstract values (ShapedArray) and the dtype rules: canonical dtypes, weak
types and JAX's type-promotion lattice.
"""

import builtins
import functools

import ml_dtypes
import numpy as np

from .._config import config

bool_ = np.dtype(np.bool_)
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
bfloat16 = np.dtype(ml_dtypes.bfloat16)
float16, float32, float64 = (np.dtype(t) for t in (np.float16, np.float32, np.float64))
complex64, complex128 = np.dtype(np.complex64), np.dtype(np.complex128)

SUPPORTED_DTYPES = (bool_, int8, int16, int32, int64, uint8, uint16, uint32,
                    uint64, bfloat16, float16, float32, float64, complex64,
                    complex128)
_SUPPORTED = frozenset(SUPPORTED_DTYPES)

_TO_32 = {int64: int32, uint64: uint32, float64: float32, complex128: complex64}

_SHORT_NAMES = {
    bool_: "bool", int8: "i8", int16: "i16", int32: "i32", int64: "i64",
    uint8: "u8", uint16: "u16", uint32: "u32", uint64: "u64",
    bfloat16: "bf16", float16: "f16", float32: "f32", float64: "f64",
    complex64: "c64", complex128: "c128",
}


def is_bool(dtype):
  return dtype == bool_


def is_integer(dtype):
  return np.dtype(dtype).kind in "iu"


def is_signed(dtype):
  return np.dtype(dtype).kind == "i"


def is_unsigned(dtype):
  return np.dtype(dtype).kind == "u"


def is_float(dtype):
  dtype = np.dtype(dtype)
  return dtype.kind == "f" or dtype == bfloat16


def is_complex(dtype):
  return np.dtype(dtype).kind == "c"


def is_inexact(dtype):
  return is_float(dtype) or is_complex(dtype)


def short_name(dtype):
  return _SHORT_NAMES[dtype]


def x64_enabled():
  return config.jax_enable_x64


def canonicalize_dtype(dtype):
  """The dtype an array of `dtype` gets: 64-bit types become 32-bit unless
  x64 is enabled. Raises TypeError for dtypes XLA does not support."""
  try:
    dtype = np.dtype(dtype)
  except TypeError as e:
    raise TypeError(f"{dtype!r} is not a valid dtype") from e
  if dtype not in _SUPPORTED:
    raise TypeError(
        f"dtype {dtype.name} is not supported by morphax; supported dtypes "
        f"are {', '.join(d.name for d in SUPPORTED_DTYPES)}")
  if not config.jax_enable_x64:
    return _TO_32.get(dtype, dtype)
  return dtype


def default_int_dtype():
  return int64 if config.jax_enable_x64 else int32


def default_uint_dtype():
  return uint64 if config.jax_enable_x64 else uint32


def default_float_dtype():
  return float64 if config.jax_enable_x64 else float32


def default_complex_dtype():
  return complex128 if config.jax_enable_x64 else complex64


def python_scalar_dtype(x):
  """(dtype, weak_type) of a Python scalar: bools are strong, numbers weak."""
  if isinstance(x, (bool, np.bool_)):
    return bool_, False
  if isinstance(x, int):
    return default_int_dtype(), True
  if isinstance(x, float):
    return default_float_dtype(), True
  if isinstance(x, complex):
    return default_complex_dtype(), True
  raise TypeError(f"{x!r} of type {type(x).__name__} is not a Python scalar")


# --- The promotion lattice -------------------------------------------------
# JAX's lattice: weak (Python-scalar) categories sit below every concrete type
# of their kind, so `f32_array * 2.0` stays f32 and `i8_array + 1` stays i8.
# The join of two nodes is their least upper bound.
_I, _F, _C = "int*", "float*", "complex*"
_LATTICE = {
    bool_: [_I],
    _I: [uint8, int8],
    uint8: [uint16, int16], uint16: [uint32, int32], uint32: [uint64, int64],
    uint64: [_F],
    int8: [int16], int16: [int32], int32: [int64], int64: [_F],
    _F: [_C, float16, bfloat16],
    float16: [float32], bfloat16: [float32], float32: [float64, complex64],
    float64: [complex128],
    _C: [complex64], complex64: [complex128], complex128: [],
}


def _upper_bounds():
  bounds = {}
  def visit(node):
    if node not in bounds:
      ub = {node}
      for parent in _LATTICE[node]:
        ub |= visit(parent)
      bounds[node] = frozenset(ub)
    return bounds[node]
  for node in _LATTICE:
    visit(node)
  return bounds


_UPPER_BOUNDS = _upper_bounds()


@functools.lru_cache(maxsize=None)
def _join(a, b):
  common = _UPPER_BOUNDS[a] & _UPPER_BOUNDS[b]
  for node in common:
    if _UPPER_BOUNDS[node] == common:
      return node
  raise TypeError(f"no common type for {a} and {b}")  # unreachable: top exists


def _lattice_node(dtype, weak_type):
  if not weak_type or dtype == bool_:
    return dtype
  if is_integer(dtype):
    return _I
  if is_float(dtype):
    return _F
  return _C


def _materialize(node):
  if node == _I:
    return default_int_dtype(), True
  if node == _F:
    return default_float_dtype(), True
  if node == _C:
    return default_complex_dtype(), True
  return canonicalize_dtype(node), False


def promote_types(a, b):
  """The dtype both `a` and `b` promote to, treating both as strong types
  (like `jnp.promote_types`). Not canonicalized, so int64 stays int64."""
  a, b = np.dtype(a), np.dtype(b)
  for d in (a, b):
    if d not in _SUPPORTED:
      raise TypeError(f"promote_types: dtype {d.name} is not supported")
  return _strong(join(a, b))


def join(a, b):
  """The least upper bound of two lattice nodes (dtypes or the weak
  categories 'int*', 'float*', 'complex*')."""
  return _join(a, b)


def lattice_node(dtype, weak_type):
  """The lattice node of a (dtype, weak_type) pair."""
  return _lattice_node(dtype, weak_type)


def _strong(node):
  # uint64 + int64 joins at float*: as a strong type that is float64.
  return {_I: int64, _F: float64, _C: complex128}.get(node, node)


def dtype_and_weak_type(x):
  """(canonical dtype, weak_type) of any array-like or scalar."""
  aval = getattr(x, "aval", None)
  if aval is not None:
    return aval.dtype, aval.weak_type
  if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
    return python_scalar_dtype(x)
  if isinstance(x, np.dtype) or (isinstance(x, type) and issubclass(x, np.generic)):
    return canonicalize_dtype(x), False
  if isinstance(x, str):
    return canonicalize_dtype(x), False
  dtype = getattr(x, "dtype", None)
  if dtype is None:
    raise TypeError(
        f"result_type: cannot interpret {type(x).__name__} value {x!r} as a "
        "dtype or array")
  return canonicalize_dtype(dtype), False


def result_dtype(pairs):
  """Joins (dtype, weak_type) pairs; returns the canonical (dtype, weak)."""
  if not pairs:
    raise ValueError("result_type: at least one array or dtype is required")
  first = pairs[0]
  if all(p == first for p in pairs):
    return canonicalize_dtype(first[0]), first[1]
  node = _lattice_node(*first)
  for dtype, weak in pairs[1:]:
    node = _join(node, _lattice_node(dtype, weak))
  return _materialize(node)


def result_type(*args, return_weak_type_flag=False):
  """The canonical dtype that combining `args` gives (JAX's promotion)."""
  dtype, weak = result_dtype([dtype_and_weak_type(a) for a in args])
  return (dtype, weak) if return_weak_type_flag else dtype


def finfo(dtype):
  """Machine limits for floating-point types, including bfloat16."""
  dtype = dtype_and_weak_type(dtype)[0] if not isinstance(dtype, np.dtype) else dtype
  if not is_inexact(dtype):
    raise ValueError(f"finfo: {np.dtype(dtype).name} is not a floating point type")
  return ml_dtypes.finfo(dtype)


def iinfo(dtype):
  """Machine limits for integer types."""
  dtype = dtype_and_weak_type(dtype)[0] if not isinstance(dtype, np.dtype) else dtype
  if not is_integer(dtype):
    raise ValueError(f"iinfo: {np.dtype(dtype).name} is not an integer type")
  return np.iinfo(dtype)


# --- Abstract values -------------------------------------------------------

class ShapedArray:
  """The abstract value of an array: shape, dtype and weak type.

  Hashable and compared by value, so it can key caches.
  """
  __slots__ = ("shape", "dtype", "weak_type", "ndim", "_hash")

  def __init__(self, shape, dtype, weak_type=False):
    self.shape = tuple(shape)
    self.dtype = dtype = np.dtype(dtype)
    self.weak_type = weak_type
    self.ndim = len(self.shape)
    self._hash = hash((self.shape, dtype, weak_type))

  @property
  def size(self):
    return _prod(self.shape)

  def __hash__(self):
    return self._hash

  def __eq__(self, other):
    return (type(other) is ShapedArray and self.shape == other.shape
            and self.dtype == other.dtype and self.weak_type == other.weak_type)

  def update(self, shape=None, dtype=None, weak_type=None):
    return ShapedArray(self.shape if shape is None else shape,
                       self.dtype if dtype is None else dtype,
                       self.weak_type if weak_type is None else weak_type)

  def strip_weak_type(self):
    return self.update(weak_type=False) if self.weak_type else self

  def str_short(self):
    """`f32[3,4]`, the way jaxprs print types."""
    return f"{short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

  def __repr__(self):
    weak = ", weak_type=True" if self.weak_type else ""
    return f"ShapedArray({self.str_short()}{weak})"

  __str__ = str_short


def _prod(xs):
  out = 1
  for x in xs:
    out *= x
  return out


prod = _prod


class HostValue:
  """A host (numpy) value with an explicit aval, so that it can be weakly
  typed: lax ops turn a Python scalar operand into one of these, carrying
  the dtype of the array it meets and weak_type=True, as JAX's weak scalars
  do. The runtime transfers it like any numpy value; traces make it a
  constant."""
  __slots__ = ("value", "aval")

  def __init__(self, value, weak_type):
    self.value = value
    self.aval = ShapedArray(value.shape, value.dtype, weak_type)

  def __array__(self, dtype=None, copy=None):
    return self.value if dtype is None else self.value.astype(dtype)

  def __repr__(self):
    return f"HostValue({self.value!r}, weak_type={self.aval.weak_type})"


def check_shape(shape, name="shape"):
  """Normalizes a shape to a tuple of non-negative Python ints."""
  if isinstance(shape, (int, np.integer)):
    shape = (shape,)
  try:
    dims = tuple(shape)
  except TypeError:
    raise TypeError(f"{name} must be a sequence of integers, got {shape!r}") from None
  out = []
  for d in dims:
    if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
      raise TypeError(
          f"{name} must be a sequence of integers, got {shape!r} (element "
          f"{d!r} of type {type(d).__name__})")
    if d < 0:
      raise ValueError(f"{name} must be non-negative, got {tuple(dims)}")
    out.append(builtins.int(d))
  return tuple(out)
