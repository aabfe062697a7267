"""Array comparisons and type predicates (isclose, allclose, array_equal,
iscomplexobj, ...) and bit packing.
"""

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from . import _reductions, _shape, _util

__all__ = [
    "isclose", "allclose", "array_equal", "array_equiv", "iscomplexobj",
    "isrealobj", "iscomplex", "isreal", "isscalar", "isneginf", "isposinf",
    "packbits", "unpackbits",
]

BITORDER_MESSAGE = "{name}: bitorder must be 'big' or 'little', got {bitorder!r}"


_dtype = _util.dtype_of
_const = _util.const_like
_where = _util.select
_isnan = _util.isnan


def _isfinite(x):
  if avals_lib.is_complex(_dtype(x)):
    return lax.bitwise_and(lax.is_finite(lax.real(x)), lax.is_finite(lax.imag(x)))
  return lax.is_finite(x)


# --- Closeness and equality --------------------------------------------------

def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
  """Elementwise |a - b| <= atol + rtol * |b|; infinities are close only to
  themselves, NaNs only when `equal_nan` (and both are NaN).

  Example: `isclose(1.0, 1.0 + 1e-7)` is True. Follows np.isclose.
  NB: integers are compared as floats (as NumPy does; JAX compares them
  exactly), so `isclose(1, 2, atol=1)` is True.
  """
  a, b = _util.promote_args_inexact("isclose", a, b)
  dtype = _dtype(a)
  real = np.dtype(np.finfo(dtype).dtype) if avals_lib.is_complex(dtype) else dtype
  diff = lax.abs(lax.sub(a, b))
  bound = lax.add(_util.full(diff.aval.shape, atol, real),
                  lax.mul(_util.full(diff.aval.shape, rtol, real), lax.abs(b)))
  close = lax.le(diff, bound)
  finite = lax.bitwise_and(_isfinite(a), _isfinite(b))
  close = _where(finite, close, lax.eq(a, b))
  if equal_nan:
    close = lax.bitwise_or(close, lax.bitwise_and(_isnan(a), _isnan(b)))
  return close


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
  """Whether every pair of entries is close (see isclose), as a bool array.

  Example: `allclose(jnp.array([1., 2.]), jnp.array([1., 2.00001]))` is True.
  """
  return _reductions.all(isclose(a, b, rtol, atol, equal_nan))


def _false():
  return _util.full((), False, avals_lib.bool_)


def array_equal(a1, a2, equal_nan=False):
  """Whether a1 and a2 have the same shape and entries (a bool array).

  Example: `array_equal(jnp.array([1, 2]), jnp.array([1, 2]))` is True.
  Follows jnp.array_equal: non-array-like arguments give False;
  `equal_nan` counts NaN == NaN.
  """
  try:
    a1 = _util.ensure_array(a1, "array_equal")
    a2 = _util.ensure_array(a2, "array_equal")
  except TypeError:
    return _false()
  if a1.aval.shape != a2.aval.shape:
    return _false()
  a1, a2 = _util.promote_args("array_equal", a1, a2)
  eq = lax.eq(a1, a2)
  if equal_nan and avals_lib.is_inexact(_dtype(a1)):
    eq = lax.bitwise_or(eq, lax.bitwise_and(_isnan(a1), _isnan(a2)))
  return _reductions.all(eq)


def array_equiv(a1, a2):
  """Whether a1 and a2 broadcast together and are equal everywhere.

  Example: `array_equiv(jnp.array([1, 2]), jnp.array([[1, 2], [1, 2]]))` is
  True. Follows jnp.array_equiv (a bool array).
  """
  try:
    a1 = _util.ensure_array(a1, "array_equiv")
    a2 = _util.ensure_array(a2, "array_equiv")
  except TypeError:
    return _false()
  try:
    a1, a2 = _util.promote_args("array_equiv", a1, a2)
  except ValueError:
    return _false()
  return _reductions.all(lax.eq(a1, a2))


# --- Type predicates ---------------------------------------------------------

def _dtype_of(x):
  if _util.is_array(x):
    return _dtype(x)
  return np.asarray(x).dtype


def iscomplexobj(x):
  """Whether x has a complex dtype (whatever its values). None gives False.

  Example: `iscomplexobj(jnp.array([1 + 0j]))` is True (a Python bool).
  """
  if x is None:
    return False
  return np.dtype(_dtype_of(x)).kind == "c"


def isrealobj(x):
  """not iscomplexobj(x) (a Python bool)."""
  return not iscomplexobj(x)


def iscomplex(x):
  """Elementwise: whether the imaginary part is nonzero (False for reals).

  Example: `iscomplex(jnp.array([1 + 1j, 1 + 0j]))` is [True, False].
  """
  x = _util.ensure_array(x, "iscomplex")
  if not avals_lib.is_complex(_dtype(x)):
    return _util.full(x.aval.shape, False, avals_lib.bool_)
  im = lax.imag(x)
  return lax.ne(im, _const(im, 0))


def isreal(x):
  """Elementwise: whether the imaginary part is zero (True for reals)."""
  x = _util.ensure_array(x, "isreal")
  if not avals_lib.is_complex(_dtype(x)):
    return _util.full(x.aval.shape, True, avals_lib.bool_)
  im = lax.imag(x)
  return lax.eq(im, _const(im, 0))


def isscalar(element):
  """Whether `element` is a scalar: a Python or NumPy scalar, or a 0-d
  array (a Python bool).

  Example: `isscalar(1.0)` and `isscalar(jnp.array(1.0))` are True;
  `isscalar([1])` is False. NB: like JAX and unlike NumPy, 0-d arrays count
  as scalars.
  """
  if _util.is_array(element) or isinstance(element, np.ndarray):
    return element.ndim == 0
  return bool(np.isscalar(element))


def _isinf_signed(name, x, value):
  x = _util.ensure_array(x, name)
  dtype = _dtype(x)
  if avals_lib.is_complex(dtype):
    raise TypeError(f"{name} does not accept complex arguments, got dtype "
                    f"{dtype.name}")
  if not avals_lib.is_float(dtype):
    return _util.full(x.aval.shape, False, avals_lib.bool_)
  return lax.eq(x, _const(x, value))


def isneginf(x, /, out=None):
  """Elementwise x == -inf. Example: isneginf([-inf, inf]) is [True, False]."""
  if out is not None:
    raise NotImplementedError("isneginf: the out argument is not supported")
  return _isinf_signed("isneginf", x, -np.inf)


def isposinf(x, /, out=None):
  """Elementwise x == +inf. Example: isposinf([-inf, inf]) is [False, True]."""
  if out is not None:
    raise NotImplementedError("isposinf: the out argument is not supported")
  return _isinf_signed("isposinf", x, np.inf)


# --- Bit packing -------------------------------------------------------------

def _bit_shifts(bitorder, dtype):
  shifts = np.arange(8, dtype=dtype)
  return shifts[::-1].copy() if bitorder == "big" else shifts


def packbits(a, axis=None, bitorder="big"):
  """Packs the truth of each entry of `a` into the bits of uint8 values,
  eight entries a byte along `axis` (the flattened array if None), the
  last byte padded with zeros.

  Example: `packbits(jnp.array([1, 0, 1]))` is [160] (0b10100000).
  Follows jnp.packbits: `a` must be integer or bool.
  """
  a = _util.ensure_array(a, "packbits")
  dtype = _dtype(a)
  if not (avals_lib.is_integer(dtype) or avals_lib.is_bool(dtype)):
    raise TypeError(f"packbits: expected an integer or boolean array, got "
                    f"dtype {dtype.name}")
  if bitorder not in ("big", "little"):
    raise ValueError(BITORDER_MESSAGE.format(name="packbits", bitorder=bitorder))
  if axis is None:
    a = lax.reshape(a, (a.aval.size,))
    axis = 0
  axis = _util.canonicalize_axis("packbits", axis, a.aval.ndim)
  bits = lax.convert_element_type(
      a if avals_lib.is_bool(dtype) else lax.ne(a, _const(a, 0)),
      np.dtype(np.uint8))
  bits = _shape.moveaxis(bits, axis, -1)
  n = bits.aval.shape[-1]
  pad = -n % 8
  if pad:
    bits = lax.pad(bits, _util.full((), 0, np.dtype(np.uint8)),
                   [(0, 0, 0)] * (bits.aval.ndim - 1) + [(0, pad, 0)])
  lead = bits.aval.shape[:-1]
  bits = lax.reshape(bits, lead + ((n + pad) // 8, 8))
  shifts = _util.convert(_bit_shifts(bitorder, np.uint8), np.dtype(np.uint8))
  shifts = lax.broadcast_in_dim(shifts, bits.aval.shape, (bits.aval.ndim - 1,))
  packed = lax.reduce_sum(lax.shift_left(bits, shifts), (bits.aval.ndim - 1,))
  return _shape.moveaxis(packed, -1, axis)


def unpackbits(a, axis=None, count=None, bitorder="big"):
  """Unpacks each uint8 of `a` into 8 bits (uint8 zeros and ones) along
  `axis` (the flattened array if None); `count` keeps that many bits (a
  negative count drops bits from the end; more than there are pads zeros).

  Example: `unpackbits(jnp.array([160], jnp.uint8))` is [1,0,1,0,0,0,0,0].
  Follows jnp.unpackbits.
  """
  a = _util.ensure_array(a, "unpackbits")
  if _dtype(a) != np.dtype(np.uint8):
    raise TypeError(f"unpackbits: expected a uint8 array, got dtype "
                    f"{_dtype(a).name}")
  if bitorder not in ("big", "little"):
    raise ValueError(BITORDER_MESSAGE.format(name="unpackbits", bitorder=bitorder))
  if axis is None:
    a = lax.reshape(a, (a.aval.size,))
    axis = 0
  axis = _util.canonicalize_axis("unpackbits", axis, a.aval.ndim)
  a = _shape.moveaxis(a, axis, -1)
  shape = a.aval.shape + (8,)
  shifts = _util.convert(_bit_shifts(bitorder, np.uint8), np.dtype(np.uint8))
  shifts = lax.broadcast_in_dim(shifts, shape, (len(shape) - 1,))
  wide = lax.broadcast_in_dim(a, shape, tuple(range(len(shape) - 1)))
  bits = lax.bitwise_and(lax.shift_right_logical(wide, shifts), _const(wide, 1))
  n = shape[-2] * 8
  bits = lax.reshape(bits, shape[:-2] + (n,))
  if count is not None:
    count = int(count)
    if count < 0 and -count > n:
      raise ValueError(f"unpackbits: -count {-count} is larger than the "
                       f"number of bits {n} along the axis")
    keep = n + count if count < 0 else count
    if keep <= n:
      bits = _util.slice_axis(bits, bits.aval.ndim - 1, 0, keep)
    else:
      bits = lax.pad(bits, _util.full((), 0, np.dtype(np.uint8)),
                     [(0, 0, 0)] * (bits.aval.ndim - 1) + [(0, keep - n, 0)])
  return _shape.moveaxis(bits, -1, axis)
