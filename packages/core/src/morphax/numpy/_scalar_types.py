"""Scalar types (jnp.float32, jnp.int8, ...): usable as `dtype=` and
callable, `jnp.float32(1.5)` giving a 0-d float32 Array.
"""

import ml_dtypes
import numpy as np

from ._creation import asarray


class _ScalarMeta(type):
  """The type of jnp.float32 & co: compares equal to numpy's scalar type,
  carries `.dtype` (so np.dtype(jnp.float32) works) and builds arrays."""

  def __hash__(cls):
    return hash(cls.dtype.type)

  def __eq__(cls, other):
    return cls is other or cls.dtype.type == other

  def __ne__(cls, other):
    return not cls == other

  def __call__(cls, x):
    return asarray(x, dtype=cls.dtype)

  def __instancecheck__(cls, instance):
    return isinstance(instance, cls.dtype.type)


def _make(np_type, name=None):
  dtype = np.dtype(np_type)
  name = name or dtype.name
  return _ScalarMeta(name, (object,), {
      "dtype": dtype, "__module__": "morphax.numpy",
      "__doc__": f"The {dtype.name} scalar type: `{name}(x)` is an Array of "
                 f"dtype {dtype.name} (64-bit types need x64)."})


bool_ = _make(np.bool_, "bool_")
int8, int16, int32, int64 = (_make(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (_make(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
float16, float32, float64 = (_make(t) for t in (np.float16, np.float32, np.float64))
bfloat16 = _make(ml_dtypes.bfloat16)
complex64, complex128 = _make(np.complex64), _make(np.complex128)

# NumPy's aliases for the platform types (64-bit; canonicalized to 32-bit
# unless x64 is enabled, as in JAX).
int_, uint, float_, complex_ = int64, uint64, float64, complex128
single, double = float32, float64
csingle, cdouble = complex64, complex128
