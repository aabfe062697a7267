"""More elementwise math with NumPy's names (logaddexp, hypot, copysign,
heaviside, nan_to_num, sinc, deg2rad, gcd, ldexp, frexp, ...).
"""

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from . import _util
from ._util import promote_args, promote_args_inexact

__all__ = [
    "logaddexp", "logaddexp2", "hypot", "copysign", "heaviside", "nan_to_num",
    "sinc", "deg2rad", "rad2deg", "degrees", "radians", "fabs", "fmax", "fmin",
    "signbit", "float_power", "gcd", "lcm", "ldexp", "frexp", "modf",
    "spacing", "i0",
]

_is_bool = avals_lib.is_bool
_is_int = avals_lib.is_integer
_is_float = avals_lib.is_float
_is_complex = avals_lib.is_complex
_is_inexact = avals_lib.is_inexact


_dtype = _util.dtype_of
_const = _util.const_like
_where = _util.select
_isnan = _util.isnan


def _no_complex(name, x):
  if _is_complex(_dtype(x)):
    raise TypeError(f"{name} does not accept complex arguments, got dtype "
                    f"{_dtype(x).name}")


def _one(name, x):
  return _util.ensure_array(x, name)


# --- Logarithmic sums ---------------------------------------------------------

def _logaddexp(name, x1, x2, exp_fn, scale):
  x1, x2 = promote_args_inexact(name, x1, x2)
  _no_complex(name, x1)
  delta = lax.sub(x1, x2)
  # delta is NaN for equal infinities (and NaN inputs): there x1 + x2 is
  # the answer; the other branch then sees 0, so no NaN reaches its grad.
  nan = _isnan(delta)
  safe = _where(nan, _const(delta, 0), delta)
  # One comparison picks both the max and |delta|, so at a tie the
  # gradient splits evenly (1/2 each), as JAX's custom JVP gives.
  first = lax.ge(safe, _const(safe, 0))
  amax = _where(first, x1, x2)
  tail = lax.log1p(exp_fn(_where(first, lax.neg(safe), safe)))
  if scale != 1:
    tail = lax.div(tail, _const(tail, scale))
  return _where(nan, lax.add(x1, x2), lax.add(amax, tail))


def logaddexp(x1, x2, /):
  """log(exp(x1) + exp(x2)) without overflow, elementwise.

  Example: `logaddexp(0., 0.)` is log(2). Follows jnp.logaddexp (inputs
  promoted to float; equal infinities give that infinity; the gradient at
  x1 == x2 is 1/2 for each).
  """
  return _logaddexp("logaddexp", x1, x2, lax.exp, 1)


def logaddexp2(x1, x2, /):
  """log2(2**x1 + 2**x2) without overflow, elementwise (see logaddexp)."""
  return _logaddexp("logaddexp2", x1, x2, lax.exp2, np.log(2))


# --- Magnitudes and signs -----------------------------------------------------

def hypot(x1, x2, /):
  """sqrt(x1**2 + x2**2) without overflow, elementwise.

  Example: `hypot(3., 4.)` is 5. Follows jnp.hypot: promoted to float,
  complex rejected; an infinite argument gives inf even with a NaN.
  """
  x1, x2 = promote_args_inexact("hypot", x1, x2)
  _no_complex("hypot", x1)
  a1, a2 = lax.abs(x1), lax.abs(x2)
  big, small = lax.max(a1, a2), lax.min(a1, a2)
  zero = lax.eq(big, _const(big, 0))
  inf = lax.bitwise_or(lax.eq(a1, _const(a1, np.inf)), lax.eq(a2, _const(a2, np.inf)))
  # Safe denominators keep 0/0 out of the value and the gradient.
  bad = lax.bitwise_or(zero, inf)
  ratio = lax.div(_where(bad, _const(small, 0), small),
                  _where(bad, _const(big, 1), big))
  out = lax.mul(big, lax.sqrt(lax.add(_const(ratio, 1), lax.mul(ratio, ratio))))
  out = _where(zero, big, out)
  return _where(inf, _const(out, np.inf), out)


_INT_OF_WIDTH = {1: np.dtype(np.int8), 2: np.dtype(np.int16),
                 4: np.dtype(np.int32), 8: np.dtype(np.int64)}


def _float_bits(x):
  """The bits of float array `x` as a signed integer of the same width."""
  return lax.bitcast_convert_type(x, _INT_OF_WIDTH[np.dtype(_dtype(x)).itemsize])


def signbit(x, /):
  """Whether the sign bit of x is set (True for -0.0 and -nan).

  Example: `signbit(jnp.array([-1., 0., -0.]))` is [True, False, True].
  Follows jnp.signbit: integers compare with 0, booleans give False.
  """
  x = _one("signbit", x)
  dtype = _dtype(x)
  _no_complex("signbit", x)
  if _is_bool(dtype) or avals_lib.is_unsigned(dtype):
    return _util.full(x.aval.shape, False, avals_lib.bool_)
  if _is_int(dtype):
    return lax.lt(x, _const(x, 0))
  bits = _float_bits(x)
  return lax.lt(bits, _const(bits, 0))


def copysign(x1, x2, /):
  """|x1| with the sign bit of x2, elementwise.

  Example: `copysign(2., -0.)` is -2. Follows jnp.copysign: promoted to
  float, complex rejected.
  """
  x1, x2 = promote_args_inexact("copysign", x1, x2)
  _no_complex("copysign", x1)
  mag = lax.abs(x1)
  return _where(signbit(x2), lax.neg(mag), mag)


def fabs(x, /):
  """|x| as a float (integers are promoted); complex is rejected, as in
  NumPy. Example: `fabs(-2)` is 2.0."""
  x = promote_args_inexact("fabs", x)[0]
  _no_complex("fabs", x)
  return lax.abs(x)


def heaviside(x1, x2, /):
  """The Heaviside step: 0 where x1 < 0, 1 where x1 > 0, x2 where x1 == 0.

  Example: `heaviside(jnp.array([-1., 0., 2.]), 0.5)` is [0., 0.5, 1.].
  Follows jnp.heaviside (promoted to float).
  """
  x1, x2 = promote_args_inexact("heaviside", x1, x2)
  _no_complex("heaviside", x1)
  zero = _const(x1, 0)
  out = _where(lax.lt(x1, zero), zero,
               _where(lax.gt(x1, zero), _const(x1, 1), x2))
  return _where(_isnan(x1), x1, out)


def _fminmax(name, x1, x2, compare):
  x1, x2 = promote_args(name, x1, x2)
  if _is_bool(_dtype(x1)):
    return lax.bitwise_or(x1, x2) if name == "fmax" else lax.bitwise_and(x1, x2)
  take_x1 = compare(x1, x2)
  if _is_inexact(_dtype(x1)):
    take_x1 = lax.bitwise_or(take_x1, _isnan(x2))
  return _where(take_x1, x1, x2)


def fmax(x1, x2):
  """Elementwise maximum that ignores NaNs (NaN only if both are NaN).

  Example: `fmax(jnp.array([1., jnp.nan]), 0.)` is [1., 0.].
  """
  return _fminmax("fmax", x1, x2, lax.gt)


def fmin(x1, x2):
  """Elementwise minimum that ignores NaNs (see fmax)."""
  return _fminmax("fmin", x1, x2, lax.lt)


# --- Conversions and special values -------------------------------------------

def deg2rad(x, /):
  """Degrees to radians: x * pi / 180 (integers promoted to float)."""
  x = promote_args_inexact("deg2rad", x)[0]
  return lax.mul(x, _const(x, np.pi / 180))


def rad2deg(x, /):
  """Radians to degrees: x * 180 / pi (integers promoted to float)."""
  x = promote_args_inexact("rad2deg", x)[0]
  return lax.mul(x, _const(x, 180 / np.pi))


radians = deg2rad
degrees = rad2deg


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
  """x with NaN replaced by `nan`, +inf by `posinf` and -inf by `neginf`
  (defaults: 0, the largest and the most negative finite value).

  Example: `nan_to_num(jnp.array([jnp.nan, jnp.inf]))` is [0., 3.4e38].
  Complex arrays are fixed part by part; integers are returned unchanged.
  Follows jnp.nan_to_num (`copy` is ignored: arrays are immutable).
  """
  del copy
  x = _one("nan_to_num", x)
  dtype = _dtype(x)
  if not _is_inexact(dtype):
    return x
  if _is_complex(dtype):
    re = nan_to_num(lax.real(x), nan=nan, posinf=posinf, neginf=neginf)
    im = nan_to_num(lax.imag(x), nan=nan, posinf=posinf, neginf=neginf)
    return lax.complex(re, im)
  info = np.finfo(dtype)
  posinf = info.max if posinf is None else posinf
  neginf = info.min if neginf is None else neginf
  out = _where(_isnan(x), _const(x, nan), x)
  out = _where(lax.eq(x, _const(x, np.inf)), _const(x, posinf), out)
  return _where(lax.eq(x, _const(x, -np.inf)), _const(x, neginf), out)


def _sinc_series(y):
  """sin(y)/y by its Taylor series to y**10 (exact derivatives at 0)."""
  y2 = lax.mul(y, y)
  out = _const(y, 1.0 / 39916800)
  for k in (9, 7, 5, 3):
    # Horner: c_k - y2 * (previous).
    out = lax.sub(_const(y, 1.0 / float(np.prod(np.arange(1, k + 1)))),
                  lax.mul(y2, out))
  return lax.sub(_const(y, 1), lax.mul(y2, out))


def sinc(x, /):
  """The normalized sinc: sin(pi x) / (pi x), 1 at x = 0.

  Example: `sinc(0.)` is 1 and `sinc(0.5)` is 2/pi. Follows jnp.sinc;
  near 0 a Taylor series is used, so every derivative at 0 is right (the
  first is 0, the second -pi**2/3).
  """
  x = promote_args_inexact("sinc", x)[0]
  y = lax.mul(x, _const(x, np.pi))
  wide = np.dtype(np.finfo(_dtype(x)).dtype).itemsize >= 8
  small_limit = 0.1 if wide else 0.5
  ay = lax.abs(y)
  small = lax.lt(ay, _util.full_like(ay, small_limit))
  safe = _where(small, _const(y, 1), y)
  return _where(small, _sinc_series(y), lax.div(lax.sin(safe), safe))


def float_power(x1, x2, /):
  """x1 ** x2 computed in floating point (integers promoted to float).

  Example: `float_power(2, -1)` is 0.5. NB: NumPy computes in float64;
  like JAX, this uses the promoted float type (float32 unless x64).
  """
  x1, x2 = promote_args_inexact("float_power", x1, x2)
  return lax.pow(x1, x2)


# --- Integer arithmetic -------------------------------------------------------

def _check_int(name, x):
  if not (_is_int(_dtype(x)) or _is_bool(_dtype(x))):
    raise TypeError(f"{name} requires integer arguments, got dtype "
                    f"{_dtype(x).name}")


def _gcd(x1, x2):
  """Euclid's algorithm, unrolled to the worst case for the width (the
  step count for consecutive Fibonacci numbers)."""
  if avals_lib.is_signed(_dtype(x1)):
    x1, x2 = lax.abs(x1), lax.abs(x2)
  zero, one = _const(x1, 0), _const(x1, 1)
  a, b = lax.max(x1, x2), lax.min(x1, x2)
  steps = int(np.dtype(_dtype(x1)).itemsize * 8 * 1.45) + 2
  for _ in range(steps):
    done = lax.eq(b, zero)
    r = lax.rem(a, _where(done, one, b))
    a, b = _where(done, a, b), _where(done, b, r)
  return a


def gcd(x1, x2, /):
  """The greatest common divisor of |x1| and |x2|, elementwise.

  Example: `gcd(12, 20)` is 4; gcd(0, 0) is 0. Follows jnp.gcd (integer
  arguments only).
  """
  x1, x2 = promote_args("gcd", x1, x2)
  _check_int("gcd", x1)
  if _is_bool(_dtype(x1)):
    return lax.bitwise_or(x1, x2)
  return _gcd(x1, x2)


def lcm(x1, x2, /):
  """The least common multiple of |x1| and |x2|, elementwise (0 if either
  is 0). Example: `lcm(4, 6)` is 12. Follows jnp.lcm."""
  x1, x2 = promote_args("lcm", x1, x2)
  _check_int("lcm", x1)
  if _is_bool(_dtype(x1)):
    return lax.bitwise_and(x1, x2)
  d = _gcd(x1, x2)
  zero = lax.eq(d, _const(d, 0))
  out = lax.mul(x1, lax.div(x2, _where(zero, _const(d, 1), d)))
  if avals_lib.is_signed(_dtype(out)):
    out = lax.abs(out)
  return _where(zero, _const(out, 0), out)


def _float_layout(dtype):
  """(mantissa bits, exponent bias, integer dtype of the same width)."""
  info = np.finfo(dtype)
  return info.nmant, info.maxexp - 1, _INT_OF_WIDTH[np.dtype(dtype).itemsize]


def _exp2_int(k, dtype):
  """2.0**k exactly for integer k in the normal range of `dtype`."""
  nmant, bias, int_dtype = _float_layout(dtype)
  k = _util.convert(k, int_dtype, False, "ldexp")
  biased = lax.add(k, _const(k, bias))
  return lax.bitcast_convert_type(
      lax.shift_left(biased, _const(biased, nmant)), dtype)


def ldexp(x1, x2, /):
  """x1 * 2**x2 for integer x2, without overflow in 2**x2 itself.

  Example: `ldexp(3., 2)` is 12. Follows jnp.ldexp (x1 promoted to float;
  x2 must be an integer).
  """
  _util.check_arraylike("ldexp", x1, x2)
  x2 = _one("ldexp", x2)
  if not (_is_int(_dtype(x2)) or _is_bool(_dtype(x2))):
    raise TypeError(f"ldexp: x2 must be an integer, got dtype {_dtype(x2).name}")
  x1 = promote_args_inexact("ldexp", x1)[0]
  _no_complex("ldexp", x1)
  dtype = _dtype(x1)
  shape = _util.broadcast_shapes("ldexp", x1.aval.shape, x2.aval.shape)
  x1 = _util.broadcast_to_shape(x1, shape)
  _, bias, int_dtype = _float_layout(dtype)
  k = _util.broadcast_to_shape(
      _util.convert(x2, np.dtype(np.int32) if np.dtype(int_dtype).itemsize < 4
                    else int_dtype, False, "ldexp"), shape)
  # Three factors, each a normal power of two, cover every useful exponent.
  limit = 3 * (bias - 1)
  k = lax.clamp(_const(k, -limit), k, _const(k, limit))
  k1 = lax.div(k, _const(k, 3))
  k2 = lax.div(lax.sub(k, k1), _const(k, 2))
  k3 = lax.sub(lax.sub(k, k1), k2)
  out = x1
  for part in (k1, k2, k3):
    out = lax.mul(out, _exp2_int(part, dtype))
  return out


def frexp(x, /):
  """(mantissa, exponent) with x = mantissa * 2**exponent and
  0.5 <= |mantissa| < 1 (both 0 for x = 0; inf and NaN keep exponent 0).

  Example: `frexp(8.)` is (0.5, 4). Follows jnp.frexp: the exponent is
  int32, integers are promoted to float.
  """
  x = promote_args_inexact("frexp", x)[0]
  _no_complex("frexp", x)
  dtype = _dtype(x)
  nmant, bias, int_dtype = _float_layout(dtype)
  tiny = np.finfo(dtype).tiny
  subnormal = lax.lt(lax.abs(x), _const(x, tiny))
  # Scale subnormals into the normal range first.
  xs = _where(subnormal, lax.mul(x, _const(x, 2.0 ** nmant)), x)
  bits = lax.bitcast_convert_type(xs, int_dtype)
  exp_mask = (1 << (np.dtype(dtype).itemsize * 8 - 1 - nmant)) - 1
  field = lax.bitwise_and(lax.shift_right_logical(bits, _const(bits, nmant)),
                          _const(bits, exp_mask))
  exponent = lax.sub(field, _const(field, bias - 1))
  exponent = _where(subnormal, lax.sub(exponent, _const(exponent, nmant)), exponent)
  keep = ~np.array(exp_mask << nmant, dtype=np.int64)
  mant_bits = lax.bitwise_or(
      lax.bitwise_and(bits, _const(bits, int(keep.astype(int_dtype)))),
      _const(bits, (bias - 1) << nmant))
  mantissa = lax.bitcast_convert_type(mant_bits, dtype)
  special = lax.bitwise_or(lax.eq(x, _const(x, 0)), lax.bitwise_not(lax.is_finite(x)))
  mantissa = _where(special, x, mantissa)
  exponent = _util.convert(exponent, np.dtype(np.int32), False, "frexp")
  return mantissa, _where(special, _const(exponent, 0), exponent)


def modf(x, /, out=None):
  """(fractional part, integral part), both with the sign of x.

  Example: `modf(-2.5)` is (-0.5, -2.0). Follows NumPy for infinities
  (fraction 0); integers are promoted to float.
  """
  if out is not None:
    raise NotImplementedError("modf: the out argument is not supported")
  x = promote_args_inexact("modf", x)[0]
  _no_complex("modf", x)
  whole = _where(lax.lt(x, _const(x, 0)), lax.ceil(x), lax.floor(x))
  frac = lax.sub(x, whole)
  inf = lax.eq(lax.abs(x), _const(x, np.inf))
  # The fraction keeps the sign of x (-0.0 for -0.0 and negative integers).
  return copysign(_where(inf, _const(x, 0), frac), x), whole


def spacing(x, /):
  """The distance from x to the next float away from zero (negative for
  negative x; NaN for inf and NaN).

  Example: `spacing(1.)` is finfo(float32).eps. Follows np.spacing.
  NB: for 0 and subnormals the result is subnormal, which backends that
  flush denormals to zero return as 0.
  """
  x = promote_args_inexact("spacing", x)[0]
  _no_complex("spacing", x)
  direction = _where(signbit(x), _const(x, -np.inf), _const(x, np.inf))
  return lax.sub(lax.nextafter(x, direction), x)


# Abramowitz & Stegun 9.8.1 and 9.8.2 (relative error below 2e-7).
_I0_SMALL = (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813)
_I0_LARGE = (0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281,
             -0.02057706, 0.02635537, -0.01647633, 0.00392377)


def _poly(t, coeffs):
  out = _const(t, coeffs[-1])
  for c in reversed(coeffs[:-1]):
    out = lax.add(_const(t, c), lax.mul(t, out))
  return out


def i0(x):
  """The modified Bessel function of the first kind, order 0.

  Example: `i0(0.)` is 1. NB: computed with Abramowitz & Stegun's
  polynomial fits (relative error ~2e-7), so float64 results carry only
  float32 accuracy; complex arguments are rejected.
  """
  x = promote_args_inexact("i0", x)[0]
  _no_complex("i0", x)
  ax = lax.abs(x)
  small = lax.le(ax, _const(ax, 3.75))
  t = lax.div(ax, _const(ax, 3.75))
  near = _poly(lax.mul(t, t), _I0_SMALL)
  safe = _where(small, _const(ax, 3.75), ax)
  far = lax.mul(lax.div(lax.exp(safe), lax.sqrt(safe)),
                _poly(lax.div(_const(ax, 3.75), safe), _I0_LARGE))
  return _where(small, near, far)
