"""Elementwise functions with NumPy's names and conventions (broadcasting,
promotion, floor-division signs, integer powers), written on lax.
"""

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from . import _util
from ._util import promote_args, promote_args_inexact

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide",
    "remainder", "mod", "fmod", "divmod", "power", "negative", "positive",
    "abs", "absolute", "sign", "exp", "exp2", "expm1", "log", "log2", "log10",
    "log1p", "sqrt", "cbrt", "square", "reciprocal", "sin", "cos", "tan",
    "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh",
    "arccosh", "arctanh", "maximum", "minimum", "floor", "ceil", "trunc",
    "round", "around", "rint", "isfinite", "isnan", "isinf", "logical_and",
    "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_not", "invert", "left_shift", "right_shift",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "real", "imag", "conj", "conjugate",
]

_is_bool = avals_lib.is_bool
_is_int = avals_lib.is_integer
_is_signed = avals_lib.is_signed
_is_unsigned = avals_lib.is_unsigned
_is_float = avals_lib.is_float
_is_complex = avals_lib.is_complex
_is_inexact = avals_lib.is_inexact

BITWISE_DTYPE_MESSAGE = (
    "{name} requires integer or boolean arguments, got dtype {dtype}")
INTEGER_NEGATIVE_POWER_MESSAGE = (
    "power: integers to negative integer powers are not allowed; use a float "
    "base (e.g. x.astype(jnp.float32) ** {exponent})")


def _dtype(x):
  return x.aval.dtype


def _const(x, value):
  """`value` as an array shaped and typed like array `x`."""
  return _util.full_like(x, value)


def _where(condition, x, y):
  return lax.select_n(condition, y, x)


def _one(name, x):
  _util.check_arraylike(name, x)
  return _util.ensure_array(x, name)


def _one_inexact(name, x):
  return promote_args_inexact(name, x)[0]


# --- Arithmetic ---------------------------------------------------------------

def add(x1, x2, /):
  """x1 + x2, broadcast and promoted (`or` for booleans)."""
  x1, x2 = promote_args("add", x1, x2)
  return lax.bitwise_or(x1, x2) if _is_bool(_dtype(x1)) else lax.add(x1, x2)


def subtract(x1, x2, /):
  """x1 - x2, broadcast and promoted."""
  x1, x2 = promote_args("subtract", x1, x2)
  if _is_bool(_dtype(x1)):
    raise TypeError("subtract: boolean subtract is not supported; use "
                    "logical_xor or bitwise_xor instead")
  return lax.sub(x1, x2)


def multiply(x1, x2, /):
  """x1 * x2, broadcast and promoted (`and` for booleans)."""
  x1, x2 = promote_args("multiply", x1, x2)
  return lax.bitwise_and(x1, x2) if _is_bool(_dtype(x1)) else lax.mul(x1, x2)


def true_divide(x1, x2, /):
  """x1 / x2; integers are divided as floats."""
  x1, x2 = promote_args_inexact("true_divide", x1, x2)
  return lax.div(x1, x2)


divide = true_divide


def _bool_as_int8(name, *xs):
  if _is_bool(_dtype(xs[0])):
    return [_util.convert(x, avals_lib.int8, False, name) for x in xs]
  return list(xs)


def _float_divmod(x1, x2):
  """NumPy's float divmod: the quotient floored, the remainder with the
  sign of the divisor; dividing by zero gives x1 / x2 and nan."""
  mod = lax.rem(x1, x2)
  div = lax.div(lax.sub(x1, mod), x2)
  zero = _const(x1, 0)
  shift = lax.bitwise_and(lax.ne(mod, zero),
                          lax.ne(lax.lt(x2, zero), lax.lt(mod, zero)))
  one = _const(x1, 1)
  mod = _where(shift, lax.add(mod, x2), mod)
  div = _where(shift, lax.sub(div, one), div)
  floor_div = lax.floor(div)
  # (x1 - mod) / x2 is integral up to rounding: snap to the nearest.
  floor_div = _where(lax.gt(lax.sub(div, floor_div), _const(x1, 0.5)),
                     lax.add(floor_div, one), floor_div)
  floor_div = _where(lax.eq(x2, zero), lax.div(x1, x2), floor_div)
  return floor_div, mod


def floor_divide(x1, x2, /):
  """x1 // x2: the quotient rounded toward negative infinity."""
  x1, x2 = _bool_as_int8("floor_divide", *promote_args("floor_divide", x1, x2))
  dtype = _dtype(x1)
  if _is_complex(dtype):
    raise TypeError("floor_divide does not accept complex arguments")
  if _is_unsigned(dtype):
    return lax.div(x1, x2)
  if _is_signed(dtype):
    quotient = lax.div(x1, x2)
    zero = _const(x1, 0)
    adjust = lax.bitwise_and(lax.ne(lax.lt(x1, zero), lax.lt(x2, zero)),
                             lax.ne(lax.rem(x1, x2), zero))
    return _where(adjust, lax.sub(quotient, _const(x1, 1)), quotient)
  return _float_divmod(x1, x2)[0]


def remainder(x1, x2, /):
  """x1 % x2 with the sign of x2 (NumPy's and Python's convention)."""
  x1, x2 = _bool_as_int8("remainder", *promote_args("remainder", x1, x2))
  dtype = _dtype(x1)
  if _is_complex(dtype):
    raise TypeError("remainder does not accept complex arguments")
  trunc_mod = lax.rem(x1, x2)
  if _is_unsigned(dtype):
    return trunc_mod
  zero = _const(x1, 0)
  adjust = lax.bitwise_and(lax.ne(trunc_mod, zero),
                           lax.ne(lax.lt(trunc_mod, zero), lax.lt(x2, zero)))
  return _where(adjust, lax.add(trunc_mod, x2), trunc_mod)


mod = remainder


def fmod(x1, x2, /):
  """The C remainder: the sign of x1."""
  x1, x2 = _bool_as_int8("fmod", *promote_args("fmod", x1, x2))
  return lax.rem(x1, x2)


def divmod(x1, x2, /):  # noqa: A001  (NumPy's name)
  """(floor_divide(x1, x2), remainder(x1, x2))."""
  x1, x2 = _bool_as_int8("divmod", *promote_args("divmod", x1, x2))
  if _is_float(_dtype(x1)):
    return _float_divmod(x1, x2)
  return floor_divide(x1, x2), remainder(x1, x2)


def _pow_int_int(x1, x2):
  """Integer power by binary exponentiation over the low 6 bits of x2
  (any larger exponent overflows unless |x1| <= 1)."""
  one = _const(x2, 1)
  zero = _const(x1, 0)
  acc = _where(lax.bitwise_and(lax.eq(x1, zero), lax.ne(x2, _const(x2, 0))),
               zero, _const(x1, 1))
  for _ in range(6):
    bit = lax.ne(lax.bitwise_and(x2, one), _const(x2, 0))
    acc = _where(bit, lax.mul(acc, x1), acc)
    x1 = lax.mul(x1, x1)
    x2 = lax.shift_right_logical(x2, one)
  return acc


def power(x1, x2, /):
  """x1 ** x2. A Python int exponent lowers to lax.integer_pow and keeps
  the base's dtype; integer ** integer stays integer.

  NB: like JAX, a negative integer exponent in an integer *array* gives
  wrapped-around values instead of NumPy's error (it cannot be checked
  without reading the array); a negative Python int raises as in NumPy.
  """
  _util.check_arraylike("power", x1, x2)
  if isinstance(x2, int) and not isinstance(x2, bool):
    dtype, weak = _util.result_type(x1, x2)
    if _is_bool(dtype):
      dtype, weak = avals_lib.int8, False
    x1 = _util.convert(x1, dtype, weak, "power")
    if (_is_int(dtype)) and x2 < 0:
      raise ValueError(INTEGER_NEGATIVE_POWER_MESSAGE.format(exponent=x2))
    return lax.integer_pow(x1, x2)
  x1, x2 = _bool_as_int8("power", *promote_args("power", x1, x2))
  if _is_int(_dtype(x1)):
    return _pow_int_int(x1, x2)
  return lax.pow(x1, x2)


def negative(x, /):
  """-x."""
  x = _one("negative", x)
  if _is_bool(_dtype(x)):
    raise TypeError("negative: boolean negative is not supported; use "
                    "logical_not or ~ instead")
  return lax.neg(x)


def positive(x, /):
  """+x (the array itself)."""
  return _one("positive", x)


def absolute(x, /):
  """|x|; complex arguments give their (real) magnitude."""
  x = _one("absolute", x)
  dtype = _dtype(x)
  if _is_bool(dtype) or _is_unsigned(dtype):
    return x
  return lax.abs(x)


abs = absolute  # noqa: A001  (NumPy's name)


def sign(x, /):
  """-1, 0 or 1 by the sign of x (x / |x| for complex x)."""
  x = _one("sign", x)
  dtype = _dtype(x)
  if _is_bool(dtype):
    return x
  if _is_unsigned(dtype):
    return lax.convert_element_type(lax.ne(x, _const(x, 0)), dtype)
  return lax.sign(x)


def _inexact_unary(name, lax_fn, doc):
  def fn(x, /):
    return lax_fn(_one_inexact(name, x))
  fn.__name__ = fn.__qualname__ = name
  fn.__doc__ = doc + " Integers and bools are promoted to float."
  return fn


exp = _inexact_unary("exp", lambda x: lax.exp(x), "Elementwise e**x.")
expm1 = _inexact_unary("expm1", lambda x: lax.expm1(x), "Elementwise e**x - 1.")
log = _inexact_unary("log", lambda x: lax.log(x), "Elementwise natural log.")
log1p = _inexact_unary("log1p", lambda x: lax.log1p(x), "Elementwise log(1 + x).")
sqrt = _inexact_unary("sqrt", lambda x: lax.sqrt(x), "Elementwise square root.")
cbrt = _inexact_unary("cbrt", lambda x: lax.cbrt(x), "Elementwise cube root.")
sin = _inexact_unary("sin", lambda x: lax.sin(x), "Elementwise sine.")
cos = _inexact_unary("cos", lambda x: lax.cos(x), "Elementwise cosine.")
tan = _inexact_unary("tan", lambda x: lax.tan(x), "Elementwise tangent.")
arcsin = _inexact_unary("arcsin", lambda x: lax.asin(x), "Elementwise arcsine.")
arccos = _inexact_unary("arccos", lambda x: lax.acos(x), "Elementwise arccosine.")
arctan = _inexact_unary("arctan", lambda x: lax.atan(x), "Elementwise arctangent.")
sinh = _inexact_unary("sinh", lambda x: lax.sinh(x), "Elementwise hyperbolic sine.")
cosh = _inexact_unary("cosh", lambda x: lax.cosh(x), "Elementwise hyperbolic cosine.")
tanh = _inexact_unary("tanh", lambda x: lax.tanh(x), "Elementwise hyperbolic tangent.")
arcsinh = _inexact_unary("arcsinh", lambda x: lax.asinh(x), "Elementwise inverse sinh.")
arccosh = _inexact_unary("arccosh", lambda x: lax.acosh(x), "Elementwise inverse cosh.")
arctanh = _inexact_unary("arctanh", lambda x: lax.atanh(x), "Elementwise inverse tanh.")


def exp2(x, /):
  """Elementwise 2**x. Integers and bools are promoted to float."""
  return lax.exp2(_one_inexact("exp2", x))


def log2(x, /):
  """Elementwise base-2 log. Integers and bools are promoted to float."""
  x = _one_inexact("log2", x)
  return lax.div(lax.log(x), lax.log(_const(x, 2)))


def log10(x, /):
  """Elementwise base-10 log. Integers and bools are promoted to float."""
  x = _one_inexact("log10", x)
  return lax.div(lax.log(x), lax.log(_const(x, 10)))


def square(x, /):
  """x * x, in the dtype of x."""
  x = _one("square", x)
  return x if _is_bool(_dtype(x)) else lax.integer_pow(x, 2)


def reciprocal(x, /):
  """1 / x. Integers and bools are promoted to float."""
  x = _one_inexact("reciprocal", x)
  return lax.div(_const(x, 1), x)


def arctan2(x1, x2, /):
  """The angle of the point (x2, x1), elementwise."""
  x1, x2 = promote_args_inexact("arctan2", x1, x2)
  return lax.atan2(x1, x2)


def maximum(x1, x2, /):
  """The elementwise maximum; a NaN in either argument gives NaN."""
  x1, x2 = promote_args("maximum", x1, x2)
  return lax.bitwise_or(x1, x2) if _is_bool(_dtype(x1)) else lax.max(x1, x2)


def minimum(x1, x2, /):
  """The elementwise minimum; a NaN in either argument gives NaN."""
  x1, x2 = promote_args("minimum", x1, x2)
  return lax.bitwise_and(x1, x2) if _is_bool(_dtype(x1)) else lax.min(x1, x2)


# --- Rounding ----------------------------------------------------------------

def _check_not_complex(name, x):
  if _is_complex(_dtype(x)):
    raise TypeError(f"{name} does not accept complex arguments, got dtype "
                    f"{_dtype(x).name}")


def floor(x, /):
  """The largest integer <= x; integer inputs are returned as they are."""
  x = _one("floor", x)
  _check_not_complex("floor", x)
  return x if not _is_float(_dtype(x)) else lax.floor(x)


def ceil(x, /):
  """The smallest integer >= x; integer inputs are returned as they are."""
  x = _one("ceil", x)
  _check_not_complex("ceil", x)
  return x if not _is_float(_dtype(x)) else lax.ceil(x)


def trunc(x, /):
  """x rounded toward zero; integer inputs are returned as they are."""
  x = _one("trunc", x)
  _check_not_complex("trunc", x)
  if not _is_float(_dtype(x)):
    return x
  return _where(lax.lt(x, _const(x, 0)), lax.ceil(x), lax.floor(x))


def _round_half_even(x):
  return lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)


def _make_complex(re, im, dtype):
  re = lax.convert_element_type(re, dtype)
  im = lax.convert_element_type(im, dtype)
  return lax.add(re, lax.mul(im, _const(im, 1j)))


def _round_float(x, decimals):
  if decimals == 0:
    return _round_half_even(x)
  dtype = _dtype(x)
  # Scaling in 16 bits loses the digits being kept: scale in float32.
  wide = avals_lib.float32 if np.dtype(dtype).itemsize < 4 else dtype
  xw = lax.convert_element_type(x, wide) if wide != dtype else x
  factor = _const(xw, 10.0 ** decimals)
  out = lax.div(_round_half_even(lax.mul(xw, factor)), factor)
  return lax.convert_element_type(out, dtype) if wide != dtype else out


def _round_int(x, decimals):
  """Integers rounded to 10**-decimals, halves to even (as NumPy)."""
  factor = _const(x, 10 ** (-decimals))
  q = floor_divide(x, factor)
  r = lax.sub(x, lax.mul(q, factor))
  twice = lax.add(r, r)
  odd = lax.ne(lax.rem(q, _const(q, 2)), _const(q, 0))
  up = lax.bitwise_or(lax.gt(twice, factor),
                      lax.bitwise_and(lax.eq(twice, factor), odd))
  q = _where(up, lax.add(q, _const(q, 1)), q)
  return lax.mul(q, factor)


def round(a, decimals=0, out=None):  # noqa: A001  (NumPy's name)
  """`a` rounded to `decimals` digits, halves to even (NumPy's round)."""
  if out is not None:
    raise NotImplementedError("round: the out argument is not supported")
  x = _one("round", a)
  decimals = int(decimals)
  dtype = _dtype(x)
  if _is_bool(dtype) or (_is_int(dtype) and decimals >= 0):
    return x
  if _is_int(dtype):
    return _round_int(x, decimals)
  if _is_complex(dtype):
    return _make_complex(_round_float(lax.real(x), decimals),
                         _round_float(lax.imag(x), decimals), dtype)
  return _round_float(x, decimals)


around = round


def rint(x, /):
  """x rounded to the nearest integer, halves to even; ints become floats."""
  x = _one_inexact("rint", x)
  if _is_complex(_dtype(x)):
    return _make_complex(_round_half_even(lax.real(x)),
                         _round_half_even(lax.imag(x)), _dtype(x))
  return _round_half_even(x)


# --- Predicates --------------------------------------------------------------

def _all_false(x):
  return _util.full(x.aval.shape, False, avals_lib.bool_)


def isfinite(x, /):
  """Whether x is neither infinite nor NaN."""
  x = _one("isfinite", x)
  dtype = _dtype(x)
  if _is_complex(dtype):
    return lax.bitwise_and(lax.is_finite(lax.real(x)), lax.is_finite(lax.imag(x)))
  if _is_float(dtype):
    return lax.is_finite(x)
  return _util.full(x.aval.shape, True, avals_lib.bool_)


def isnan(x, /):
  """Whether x is NaN (either part, for complex x)."""
  x = _one("isnan", x)
  dtype = _dtype(x)
  if _is_complex(dtype):
    return lax.bitwise_or(isnan(lax.real(x)), isnan(lax.imag(x)))
  if _is_float(dtype):
    return lax.ne(x, x)
  return _all_false(x)


def isinf(x, /):
  """Whether x is +inf or -inf (either part, for complex x)."""
  x = _one("isinf", x)
  dtype = _dtype(x)
  if _is_complex(dtype):
    return lax.bitwise_or(isinf(lax.real(x)), isinf(lax.imag(x)))
  if _is_float(dtype):
    return lax.eq(lax.abs(x), _const(x, np.inf))
  return _all_false(x)


# --- Logical and bitwise -----------------------------------------------------

def _truth(x):
  return x if _is_bool(_dtype(x)) else lax.ne(x, _const(x, 0))


def logical_and(x1, x2, /):
  """Elementwise truth of x1 and x2."""
  x1, x2 = promote_args("logical_and", x1, x2)
  return lax.bitwise_and(_truth(x1), _truth(x2))


def logical_or(x1, x2, /):
  """Elementwise truth of x1 or x2."""
  x1, x2 = promote_args("logical_or", x1, x2)
  return lax.bitwise_or(_truth(x1), _truth(x2))


def logical_xor(x1, x2, /):
  """Elementwise truth of exactly one of x1, x2."""
  x1, x2 = promote_args("logical_xor", x1, x2)
  return lax.bitwise_xor(_truth(x1), _truth(x2))


def logical_not(x, /):
  """Elementwise truth of not x."""
  x = _one("logical_not", x)
  return lax.bitwise_not(_truth(x))


def _check_integral(name, x):
  dtype = _dtype(x)
  if not (_is_int(dtype) or _is_bool(dtype)):
    raise TypeError(BITWISE_DTYPE_MESSAGE.format(name=name, dtype=dtype.name))


def _bitwise(name, lax_name, doc):
  def fn(x1, x2, /):
    x1, x2 = promote_args(name, x1, x2)
    _check_integral(name, x1)
    return getattr(lax, lax_name)(x1, x2)
  fn.__name__ = fn.__qualname__ = name
  fn.__doc__ = doc
  return fn


bitwise_and = _bitwise("bitwise_and", "bitwise_and", "Elementwise x1 & x2.")
bitwise_or = _bitwise("bitwise_or", "bitwise_or", "Elementwise x1 | x2.")
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor", "Elementwise x1 ^ x2.")


def bitwise_not(x, /):
  """Elementwise ~x (logical not for booleans)."""
  x = _one("bitwise_not", x)
  _check_integral("bitwise_not", x)
  return lax.bitwise_not(x)


invert = bitwise_not


def _check_int(name, x):
  if not _is_int(_dtype(x)):
    raise TypeError(f"{name} requires integer arguments, got dtype {_dtype(x).name}")


def left_shift(x1, x2, /):
  """x1 << x2."""
  x1, x2 = promote_args("left_shift", x1, x2)
  _check_int("left_shift", x1)
  return lax.shift_left(x1, x2)


def right_shift(x1, x2, /):
  """x1 >> x2: arithmetic for signed, logical for unsigned integers."""
  x1, x2 = promote_args("right_shift", x1, x2)
  _check_int("right_shift", x1)
  if _is_unsigned(_dtype(x1)):
    return lax.shift_right_logical(x1, x2)
  return lax.shift_right_arithmetic(x1, x2)


# --- Comparisons -------------------------------------------------------------

def _comparison(name, lax_name, doc):
  def fn(x1, x2, /):
    x1, x2 = promote_args(name, x1, x2)
    return getattr(lax, lax_name)(x1, x2)
  fn.__name__ = fn.__qualname__ = name
  fn.__doc__ = doc + " Broadcast and promoted; the result is bool."
  return fn


equal = _comparison("equal", "eq", "Elementwise x1 == x2.")
not_equal = _comparison("not_equal", "ne", "Elementwise x1 != x2.")
less = _comparison("less", "lt", "Elementwise x1 < x2.")
less_equal = _comparison("less_equal", "le", "Elementwise x1 <= x2.")
greater = _comparison("greater", "gt", "Elementwise x1 > x2.")
greater_equal = _comparison("greater_equal", "ge", "Elementwise x1 >= x2.")


# --- Complex parts -----------------------------------------------------------

def real(val, /):
  """The real part (the array itself for real dtypes)."""
  x = _one("real", val)
  return lax.real(x) if _is_complex(_dtype(x)) else x


def imag(val, /):
  """The imaginary part (zeros for real dtypes)."""
  x = _one("imag", val)
  return lax.imag(x) if _is_complex(_dtype(x)) else _util.full_like(x, 0)


def conjugate(x, /):
  """The complex conjugate (the array itself for real dtypes)."""
  x = _one("conjugate", x)
  return lax.conj(x) if _is_complex(_dtype(x)) else x


conj = conjugate


