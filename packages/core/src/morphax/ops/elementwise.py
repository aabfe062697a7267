"""Elementwise math primitives: arithmetic, powers, exp/log, trig and
hyperbolic functions, special functions, rounding, sign, abs, complex parts.
"""

import builtins
import enum
import operator

import numpy as np
from jaxlib.mlir.dialects import chlo, stablehlo as hlo

from ..core import avals as avals_lib
from ..core import tree
from ..core.avals import ShapedArray
from ..core.ad_util import Zero, is_undefined_primal
from ..core.primitive import NOT_LINEAR, REGISTRY, define_primitive, set_rule
from ..interpreters.lowering import constant, tensor_type
from . import shape
from .shape import full_like
from ._ad import defjvp, defjvp_zero, deflinear
from ._checks import (ANY, COMPLEX, FLOAT, INEXACT, NUMERIC, REAL, SIGNED, aval_of,
                      check_dtype, match_scalars, nary_abstract_eval)
from ._factories import (bind_binop, binop, instantiate, linear_ct, unop,
                         vectorized_batch)
from .bits import eq, ge
from .convert import convert_element_type
from .select import select_n

__all__ = [
    "RoundingMethod", "stop_gradient",
    "add", "sub", "mul", "div", "rem", "pow", "integer_pow", "neg", "max",
    "min", "nextafter", "atan2",
    "abs", "sign", "floor", "ceil", "round", "is_finite",
    "exp", "exp2", "expm1", "log", "log1p", "logistic", "sqrt", "rsqrt", "cbrt",
    "square",
    "tan", "sin", "cos", "asin", "acos", "atan", "sinh", "cosh", "tanh",
    "asinh", "acosh", "atanh",
    "erf", "erfc", "erf_inv", "lgamma", "digamma",
    "real", "imag", "conj", "complex",
]

# float32/float64 only: the dtypes that have a complex counterpart.
_COMPLEX_PARTS = ("float32 or float64",
                  lambda d: d in (avals_lib.float32, avals_lib.float64))

_TO_COMPLEX = {avals_lib.float32: avals_lib.complex64,
               avals_lib.float64: avals_lib.complex128}
_TO_REAL = {avals_lib.complex64: avals_lib.float32,
            avals_lib.complex128: avals_lib.float64}


def _real_dtype(dtype):
  """The real dtype of a complex one (real dtypes map to themselves)."""
  return _TO_REAL.get(dtype, dtype)


def _complex_dtype(dtype):
  """The complex dtype with parts of `dtype` (complex maps to itself)."""
  return _TO_COMPLEX.get(dtype, dtype)


def _keep_weak(prim):
  """Makes `prim`, whose dtype differs from its input's (abs of complex,
  real, complex(x, y), ...), weak when all inputs are, as JAX's weak-type
  rule does; the factory's rule drops weakness whenever the dtype changes."""
  abstract_eval = prim.abstract_eval
  def rule(*avals, **params):
    out = abstract_eval(*avals, **params)
    return out.update(weak_type=all(a.weak_type for a in avals))
  set_rule(prim, "abstract_eval", rule)
  return prim


def _full_like(value, aval):
  return constant(value, aval.dtype, aval.shape)


def _where(pred, on_true, on_false):
  """on_true where pred holds, else on_false (for the rules below)."""
  return select_n(pred, on_false, on_true)


def _replace_zero(x):
  """x with its zeros replaced by ones, so a rule may divide by it or take
  its log where the result is masked or known to be zero anyway."""
  return _where(eq(x, shape.full_like(x, 0)), shape.full_like(x, 1), x)


def _compare(x, y, direction, dtype):
  if avals_lib.is_inexact(dtype):
    kind = "FLOAT"
  elif avals_lib.is_signed(dtype):
    kind = "SIGNED"
  else:
    kind = "UNSIGNED"
  return hlo.compare(x, y, hlo.ComparisonDirectionAttr.get(direction),
                     compare_type=hlo.ComparisonTypeAttr.get(kind))


# --- Arithmetic --------------------------------------------------------------

def add(x, y):
  """Elementwise x + y. Lowers to stablehlo.add."""
  return bind_binop(add_p, x, y)
add_p = binop("add", hlo.add, dtypes=NUMERIC,
              jvp=(lambda t, x, y: t, lambda t, x, y: t),
              transpose=lambda ct, x, y: [linear_ct(ct, x), linear_ct(ct, y)])


def sub(x, y):
  """Elementwise x - y. Lowers to stablehlo.subtract."""
  return bind_binop(sub_p, x, y)
sub_p = binop("sub", hlo.subtract, dtypes=NUMERIC,
              jvp=(lambda t, x, y: t, lambda t, x, y: neg(t)),
              transpose=lambda ct, x, y: [linear_ct(ct, x),
                                          neg(ct) if is_undefined_primal(y) else None])


def mul(x, y):
  """Elementwise x * y. Lowers to stablehlo.multiply."""
  return bind_binop(mul_p, x, y)
mul_p = binop("mul", hlo.multiply, dtypes=NUMERIC,
              jvp=(lambda t, x, y: mul(t, y), lambda t, x, y: mul(x, t)),
              transpose=lambda ct, x, y: [
                  mul(ct, y) if is_undefined_primal(x) else None,
                  mul(x, ct) if is_undefined_primal(y) else None])


def div(x, y):
  """Elementwise x / y.

  Integer division rounds toward zero (C semantics, so `div(-7, 2) == -3`),
  unlike Python's `//`. Lowers to stablehlo.divide.
  """
  return bind_binop(div_p, x, y)


def _div_transpose(ct, x, y):
  assert not is_undefined_primal(y), "div is linear in its numerator only"
  return [div(ct, y), None]
div_p = binop("div", hlo.divide, dtypes=NUMERIC,
              jvp=(lambda t, x, y: div(t, y),
                   lambda t, x, y: mul(neg(t), div(x, square(y)))),
              transpose=_div_transpose)


def rem(x, y):
  """Elementwise remainder of x / y with the sign of the dividend x (C's
  `fmod`, numpy's `np.fmod`), unlike Python's `%`. Lowers to
  stablehlo.remainder.
  """
  return bind_binop(rem_p, x, y)


def _rem_jvp_rhs(t, x, y):
  # rem(x, y) = x - y * trunc(x / y); the quotient is locally constant.
  q = div(x, y)
  return mul(neg(t), mul(sign(q), floor(abs(q))))
rem_p = binop("rem", hlo.remainder, dtypes=REAL,
              jvp=(lambda t, x, y: t, _rem_jvp_rhs))


POW_DTYPES_MESSAGE = (
    "pow: the base must have an inexact dtype (float or complex) and the "
    "exponent an integer dtype or the base's dtype, got {x} and {y}. "
    "Write lax.pow(x, lax.convert_element_type(y, x.dtype)) to match them, or "
    "lax.integer_pow(x, n) for a constant integer exponent.")


def pow(x, y):  # noqa: A001 - jax.lax's name
  """Elementwise x ** y.

  Args:
    x: base, a float or complex array.
    y: exponent, an array of x's dtype or of an integer dtype.

  Returns:
    An array of x's dtype. Lowers to stablehlo.power (an integer exponent is
    converted to x's dtype first).
  """
  x, y = match_scalars("pow", [x, y])
  return pow_p.bind(x, y)


def _pow_abstract_eval(x, y):
  check_dtype("pow", x.dtype, INEXACT, what="base")
  check_dtype("pow", y.dtype, NUMERIC, what="exponent")
  if not avals_lib.is_integer(y.dtype) and y.dtype != x.dtype:
    raise TypeError(POW_DTYPES_MESSAGE.format(x=x.dtype.name, y=y.dtype.name))
  if x.shape != y.shape:
    raise TypeError(
        f"pow requires arguments to have the same shape, got {x.shape} and "
        f"{y.shape}. (morphax.numpy functions broadcast; lax functions do not.)")
  return ShapedArray(x.shape, x.dtype, x.weak_type and y.weak_type)


def _pow_lower(ctx, x, y):
  if ctx.avals_in[1].dtype != ctx.avals_out[0].dtype:
    y = hlo.convert(tensor_type(ctx.avals_out[0]), y)
  return hlo.power(x, y)


def _pow_jvp_base(t, ans, x, y):
  # y * x**(y - 1), and exactly 0 where y == 0 (x**0 is constant, even at 0).
  y_minus_1 = sub(y, 1)
  y = convert_element_type(y, aval_of(x).dtype)
  jac = mul(y, pow(x, y_minus_1))
  return mul(t, _where(eq(y, shape.full_like(y, 0)), shape.full_like(x, 0), jac))


def _pow_jvp_exponent(t, ans, x, y):
  # log(x) * x**y; taken as 0 at x == 0 (where x**y is 0 or 1), like JAX.
  return mul(t, mul(log(_replace_zero(x)), ans))
pow_p = define_primitive("pow", abstract_eval=_pow_abstract_eval,
                         lower=_pow_lower, transpose=NOT_LINEAR)
defjvp(pow_p, _pow_jvp_base, _pow_jvp_exponent, uses_ans=True)
pow_p.batch = vectorized_batch(pow_p)


INTEGER_POW_NEGATIVE_MESSAGE = (
    "integer_pow: integers cannot be raised to negative powers, got "
    "integer_pow({aval}, {y}). Convert x to a float dtype first: "
    "lax.integer_pow(lax.convert_element_type(x, np.float32), {y}).")


def integer_pow(x, y):
  """Elementwise x ** y for a constant Python integer y.

  Args:
    x: a numeric array.
    y: a Python int (part of the program, not an array); negative y gives
      1 / x ** -y and needs an inexact x.

  Returns:
    An array of x's dtype. Lowers to stablehlo.multiply by square-and-multiply
    (with a stablehlo.divide for negative y).

  Example: `integer_pow(x, 3)` is `x * x * x`.
  """
  if isinstance(y, (bool, np.bool_)) or not isinstance(y, (int, np.integer)):
    raise TypeError(
        f"integer_pow: exponent y must be a Python int, got {type(y).__name__} "
        f"{y!r:.40}. Use lax.pow for array or float exponents.")
  return integer_pow_p.bind(x, y=operator.index(y))


_integer_pow_dtypes = nary_abstract_eval("integer_pow", NUMERIC)


def _integer_pow_abstract_eval(x, *, y):
  out = _integer_pow_dtypes(x)
  if y < 0 and avals_lib.is_integer(x.dtype):
    raise TypeError(INTEGER_POW_NEGATIVE_MESSAGE.format(aval=x.str_short(), y=y))
  return out


def _integer_pow_lower(ctx, x, *, y):
  aval = ctx.avals_out[0]
  if y == 0:
    return _full_like(1, aval)
  n, acc = builtins.abs(y), None
  while n:
    if n & 1:
      acc = x if acc is None else hlo.multiply(acc, x)
    n >>= 1
    if n:
      x = hlo.multiply(x, x)
  return hlo.divide(_full_like(1, aval), acc) if y < 0 else acc


def _integer_pow_jvp(primals, tangents, *, y):
  (x,), (t,) = primals, tangents
  ans = integer_pow(x, y)
  if y == 0:
    return ans, Zero(aval_of(ans))
  jac = shape.full_like(x, 1) if y == 1 else integer_pow(x, y - 1)
  return ans, mul(t, mul(jac, y))


integer_pow_p = define_primitive(
    "integer_pow", abstract_eval=_integer_pow_abstract_eval,
    lower=_integer_pow_lower, jvp=_integer_pow_jvp, transpose=NOT_LINEAR)
integer_pow_p.batch = vectorized_batch(integer_pow_p)


def neg(x):
  """Elementwise -x (wraps around for unsigned integers). Lowers to
  stablehlo.negate."""
  return neg_p.bind(x)
neg_p = unop("neg", hlo.negate, dtypes=NUMERIC, jvp=lambda t, x: neg(t),
             transpose=lambda ct, x: [neg(ct)])


def _minmax_lower(hlo_op, direction):
  """max/min; complex numbers compare lexicographically by (real, imag),
  like numpy, built from compares since XLA has no complex max/min."""
  def lower(ctx, x, y):
    dtype = ctx.avals_in[0].dtype
    if not avals_lib.is_complex(dtype):
      return hlo_op(x, y)
    rx, ry = hlo.real(x), hlo.real(y)
    by_imag = _compare(hlo.imag(x), hlo.imag(y), direction, _real_dtype(dtype))
    by_real = _compare(rx, ry, direction, _real_dtype(dtype))
    pick_x = hlo.select(_compare(rx, ry, "EQ", _real_dtype(dtype)), by_imag,
                        by_real)
    return hlo.select(pick_x, x, y)
  return lower


def _balanced_eq(x, ans, y):
  """1 where x alone gives ans, 1/2 where x and y tie, 0 elsewhere: max and
  min split the tangent evenly at ties, as JAX does."""
  return _where(eq(x, ans),
                _where(eq(y, ans), shape.full_like(x, 0.5), shape.full_like(x, 1)),
                shape.full_like(x, 0))


def _minmax_prim(name, lower):
  prim = define_primitive(name, abstract_eval=nary_abstract_eval(name, ANY),
                          lower=lower, transpose=NOT_LINEAR)
  defjvp(prim, lambda t, ans, x, y: mul(t, _balanced_eq(x, ans, y)),
         lambda t, ans, x, y: mul(t, _balanced_eq(y, ans, x)), uses_ans=True)
  prim.batch = vectorized_batch(prim)
  return prim


def max(x, y):  # noqa: A001 - jax.lax's name
  """Elementwise maximum; NaN if either operand is NaN. Lowers to
  stablehlo.maximum."""
  return bind_binop(max_p, x, y)
max_p = _minmax_prim("max", _minmax_lower(hlo.maximum, "GT"))


def min(x, y):  # noqa: A001 - jax.lax's name
  """Elementwise minimum; NaN if either operand is NaN. Lowers to
  stablehlo.minimum."""
  return bind_binop(min_p, x, y)
min_p = _minmax_prim("min", _minmax_lower(hlo.minimum, "LT"))


def nextafter(x1, x2):
  """The next representable value after x1 in the direction of x2. Lowers to
  chlo.next_after."""
  return bind_binop(nextafter_p, x1, x2)
nextafter_p = binop("nextafter", chlo.next_after, dtypes=FLOAT)
defjvp_zero(nextafter_p)


def atan2(x, y):
  """Elementwise arctangent of x / y, in the quadrant of (y, x). Lowers to
  stablehlo.atan2."""
  return bind_binop(atan2_p, x, y)
atan2_p = binop("atan2", hlo.atan2, dtypes=INEXACT,
                jvp=(lambda t, x, y: mul(t, div(y, add(square(x), square(y)))),
                     lambda t, x, y: mul(t, div(neg(x), add(square(x), square(y))))))



# --- Sign, rounding, classification -----------------------------------------

def abs(x):  # noqa: A001 - jax.lax's name
  """Elementwise |x|; complex x gives its real dtype (float32 for complex64).
  Lowers to stablehlo.abs."""
  return abs_p.bind(x)


def _abs_jvp(t, ans, x):
  dtype = aval_of(x).dtype
  if avals_lib.is_complex(dtype):
    # d|z| = Re(conj(z) dz) / |z|, taken as Re(conj(z) dz) at z == 0.
    return real(mul(t, div(conj(x), convert_element_type(_replace_zero(ans), dtype))))
  return _where(ge(x, shape.full_like(x, 0)), t, neg(t))
abs_p = _keep_weak(unop("abs", hlo.abs, dtypes=(SIGNED, FLOAT, COMPLEX),
                        result_dtype=_real_dtype, jvp=_abs_jvp, uses_ans=True))


def sign(x):
  """Elementwise sign: -1, 0 or 1 (x / |x| for complex, NaN for NaN).
  Lowers to stablehlo.sign (a compare and select for unsigned integers,
  which stablehlo.sign does not take)."""
  return sign_p.bind(x)


def _sign_lower(ctx, x):
  aval = ctx.avals_in[0]
  if not avals_lib.is_unsigned(aval.dtype):
    return hlo.sign(x)
  zero = _full_like(0, aval)
  return hlo.select(_compare(x, zero, "EQ", aval.dtype), zero,
                    _full_like(1, aval))
sign_p = define_primitive("sign", abstract_eval=nary_abstract_eval("sign", NUMERIC),
                          lower=_sign_lower)
defjvp_zero(sign_p)
sign_p.batch = vectorized_batch(sign_p)


def floor(x):
  """Elementwise floor. Lowers to stablehlo.floor."""
  return floor_p.bind(x)
floor_p = unop("floor", hlo.floor, dtypes=FLOAT)
defjvp_zero(floor_p)


def ceil(x):
  """Elementwise ceiling. Lowers to stablehlo.ceil."""
  return ceil_p.bind(x)
ceil_p = unop("ceil", hlo.ceil, dtypes=FLOAT)
defjvp_zero(ceil_p)


class RoundingMethod(enum.IntEnum):
  """How `round` breaks ties between two integers."""
  AWAY_FROM_ZERO = 0   # 0.5 -> 1, -2.5 -> -3
  TO_NEAREST_EVEN = 1  # 0.5 -> 0, 1.5 -> 2 (numpy's np.round)


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):  # noqa: A001
  """Elementwise rounding to the nearest integer (in x's float dtype).

  Args:
    x: a float array.
    rounding_method: a `RoundingMethod` (or its int value) saying how ties
      round: AWAY_FROM_ZERO (the default) or TO_NEAREST_EVEN.

  Returns:
    An array of x's dtype. Lowers to stablehlo.round_nearest_afz or
    stablehlo.round_nearest_even.

  Example: `round(x, RoundingMethod.TO_NEAREST_EVEN)` matches `np.round(x)`.
  """
  try:
    rounding_method = RoundingMethod(rounding_method)
  except ValueError:
    raise ValueError(
        f"round: rounding_method must be a lax.RoundingMethod "
        f"(AWAY_FROM_ZERO or TO_NEAREST_EVEN), got {rounding_method!r}") from None
  return round_p.bind(x, rounding_method=rounding_method)


def _round_lower(ctx, x, *, rounding_method):
  if rounding_method == RoundingMethod.AWAY_FROM_ZERO:
    return hlo.round_nearest_afz(x)
  return hlo.round_nearest_even(x)
round_p = define_primitive("round", abstract_eval=nary_abstract_eval("round", FLOAT),
                           lower=_round_lower)
defjvp_zero(round_p)
round_p.batch = vectorized_batch(round_p)


def is_finite(x):
  """Elementwise test for a value that is neither infinite nor NaN; returns
  a bool array. Lowers to stablehlo.is_finite."""
  return is_finite_p.bind(x)
is_finite_p = unop("is_finite", hlo.is_finite, dtypes=FLOAT,
                   result_dtype=lambda dtype: avals_lib.bool_)
defjvp_zero(is_finite_p)


# --- Exponentials, logarithms, roots ----------------------------------------

def exp(x):
  """Elementwise e**x. Lowers to stablehlo.exponential."""
  return exp_p.bind(x)
exp_p = unop("exp", hlo.exponential, dtypes=INEXACT,
             jvp=lambda t, ans, x: mul(t, ans), uses_ans=True)


def exp2(x):
  """Elementwise 2**x. Lowers to stablehlo.exponential of x * ln(2)."""
  return exp2_p.bind(x)


def _exp2_lower(ctx, x):
  return hlo.exponential(hlo.multiply(_full_like(np.log(2), ctx.avals_in[0]), x))
exp2_p = define_primitive("exp2", abstract_eval=nary_abstract_eval("exp2", INEXACT),
                          lower=_exp2_lower, transpose=NOT_LINEAR)
defjvp(exp2_p, lambda t, ans, x: mul(t, mul(ans, float(np.log(2)))), uses_ans=True)
exp2_p.batch = vectorized_batch(exp2_p)


def expm1(x):
  """Elementwise e**x - 1, accurate for small x. Lowers to
  stablehlo.exponential_minus_one."""
  return expm1_p.bind(x)
expm1_p = unop("expm1", hlo.exponential_minus_one, dtypes=INEXACT,
               jvp=lambda t, ans, x: mul(t, add(ans, 1)), uses_ans=True)


def log(x):
  """Elementwise natural logarithm. Lowers to stablehlo.log."""
  return log_p.bind(x)
log_p = unop("log", hlo.log, dtypes=INEXACT, jvp=lambda t, x: div(t, x))


def log1p(x):
  """Elementwise log(1 + x), accurate for small x. Lowers to
  stablehlo.log_plus_one."""
  return log1p_p.bind(x)
log1p_p = unop("log1p", hlo.log_plus_one, dtypes=INEXACT,
               jvp=lambda t, x: div(t, add(x, 1)))


def logistic(x):
  """Elementwise logistic sigmoid 1 / (1 + e**-x). Lowers to
  stablehlo.logistic."""
  return logistic_p.bind(x)
logistic_p = unop("logistic", hlo.logistic, dtypes=INEXACT,
                  jvp=lambda t, ans, x: mul(t, mul(ans, sub(1, ans))),
                  uses_ans=True)


def sqrt(x):
  """Elementwise square root. Lowers to stablehlo.sqrt."""
  return sqrt_p.bind(x)
sqrt_p = unop("sqrt", hlo.sqrt, dtypes=INEXACT,
              jvp=lambda t, ans, x: mul(t, div(0.5, ans)), uses_ans=True)


def rsqrt(x):
  """Elementwise 1 / sqrt(x). Lowers to stablehlo.rsqrt."""
  return rsqrt_p.bind(x)
rsqrt_p = unop("rsqrt", hlo.rsqrt, dtypes=INEXACT,
               jvp=lambda t, ans, x: mul(t, mul(-0.5, div(ans, x))),
               uses_ans=True)


def cbrt(x):
  """Elementwise real cube root (negative for negative x). Lowers to
  stablehlo.cbrt."""
  return cbrt_p.bind(x)
cbrt_p = unop("cbrt", hlo.cbrt, dtypes=FLOAT,
              jvp=lambda t, ans, x: mul(t, mul(1 / 3, integer_pow(ans, -2))),
              uses_ans=True)


def square(x):
  """Elementwise x * x. Lowers to stablehlo.multiply."""
  return square_p.bind(x)


def _square_lower(x):
  return hlo.multiply(x, x)
square_p = unop("square", _square_lower, dtypes=NUMERIC,
                jvp=lambda t, x: mul(t, mul(2, x)))


# --- Trigonometric and hyperbolic functions ---------------------------------

def sin(x):
  """Elementwise sine. Lowers to stablehlo.sine."""
  return sin_p.bind(x)
sin_p = unop("sin", hlo.sine, dtypes=INEXACT, jvp=lambda t, x: mul(t, cos(x)))


def cos(x):
  """Elementwise cosine. Lowers to stablehlo.cosine."""
  return cos_p.bind(x)
cos_p = unop("cos", hlo.cosine, dtypes=INEXACT,
             jvp=lambda t, x: neg(mul(t, sin(x))))


def tan(x):
  """Elementwise tangent. Lowers to stablehlo.tan."""
  return tan_p.bind(x)
tan_p = unop("tan", hlo.tan, dtypes=INEXACT,
             jvp=lambda t, ans, x: mul(t, add(1, square(ans))), uses_ans=True)


def asin(x):
  """Elementwise arcsine. Lowers to chlo.asin."""
  return asin_p.bind(x)
asin_p = unop("asin", chlo.asin, dtypes=INEXACT,
              jvp=lambda t, x: mul(t, rsqrt(sub(1, square(x)))))


def acos(x):
  """Elementwise arccosine. Lowers to chlo.acos."""
  return acos_p.bind(x)
acos_p = unop("acos", chlo.acos, dtypes=INEXACT,
              jvp=lambda t, x: neg(mul(t, rsqrt(sub(1, square(x))))))


def atan(x):
  """Elementwise arctangent. Lowers to chlo.atan."""
  return atan_p.bind(x)
atan_p = unop("atan", chlo.atan, dtypes=INEXACT,
              jvp=lambda t, x: div(t, add(1, square(x))))


def sinh(x):
  """Elementwise hyperbolic sine. Lowers to chlo.sinh."""
  return sinh_p.bind(x)
sinh_p = unop("sinh", chlo.sinh, dtypes=INEXACT,
              jvp=lambda t, x: mul(t, cosh(x)))


def cosh(x):
  """Elementwise hyperbolic cosine. Lowers to chlo.cosh."""
  return cosh_p.bind(x)
cosh_p = unop("cosh", chlo.cosh, dtypes=INEXACT,
              jvp=lambda t, x: mul(t, sinh(x)))


def tanh(x):
  """Elementwise hyperbolic tangent. Lowers to stablehlo.tanh."""
  return tanh_p.bind(x)
tanh_p = unop("tanh", hlo.tanh, dtypes=INEXACT,
              jvp=lambda t, ans, x: mul(t, sub(1, square(ans))), uses_ans=True)


def asinh(x):
  """Elementwise inverse hyperbolic sine. Lowers to chlo.asinh."""
  return asinh_p.bind(x)
asinh_p = unop("asinh", chlo.asinh, dtypes=INEXACT,
               jvp=lambda t, x: mul(t, rsqrt(add(square(x), 1))))


def acosh(x):
  """Elementwise inverse hyperbolic cosine. Lowers to chlo.acosh."""
  return acosh_p.bind(x)
acosh_p = unop("acosh", chlo.acosh, dtypes=INEXACT,
               jvp=lambda t, x: mul(t, rsqrt(mul(sub(x, 1), add(x, 1)))))


def atanh(x):
  """Elementwise inverse hyperbolic tangent. Lowers to chlo.atanh."""
  return atanh_p.bind(x)
atanh_p = unop("atanh", chlo.atanh, dtypes=INEXACT,
               jvp=lambda t, x: div(t, mul(add(1, x), sub(1, x))))


# --- Special functions -------------------------------------------------------

def erf(x):
  """Elementwise error function. Lowers to chlo.erf."""
  return erf_p.bind(x)
_TWO_OVER_SQRT_PI = float(2 / np.sqrt(np.pi))
erf_p = unop("erf", chlo.erf, dtypes=FLOAT,
             jvp=lambda t, x: mul(t, mul(_TWO_OVER_SQRT_PI, exp(neg(square(x))))))


def erfc(x):
  """Elementwise complementary error function 1 - erf(x). Lowers to
  chlo.erfc."""
  return erfc_p.bind(x)
erfc_p = unop("erfc", chlo.erfc, dtypes=FLOAT,
              jvp=lambda t, x: mul(t, mul(-_TWO_OVER_SQRT_PI, exp(neg(square(x))))))


def erf_inv(x):
  """Elementwise inverse error function (domain [-1, 1]). Lowers to
  chlo.erf_inv."""
  return erf_inv_p.bind(x)
erf_inv_p = unop("erf_inv", chlo.erf_inv, dtypes=FLOAT,
                 jvp=lambda t, ans, x: mul(t, mul(float(np.sqrt(np.pi) / 2),
                                                  exp(square(ans)))),
                 uses_ans=True)


def lgamma(x):
  """Elementwise log of the absolute value of the gamma function. Lowers to
  chlo.lgamma."""
  return lgamma_p.bind(x)
lgamma_p = unop("lgamma", chlo.lgamma, dtypes=FLOAT,
                jvp=lambda t, x: mul(t, digamma(x)))


def digamma(x):
  """Elementwise digamma function, the derivative of lgamma. Lowers to
  chlo.digamma."""
  return digamma_p.bind(x)
def _digamma_jvp(t, x):
  # d digamma / dx = polygamma(1, x). ops/special.py (which sits above this
  # module: its rules use mul and add) defines polygamma; look it up by name.
  one = full_like(x, 1)
  return mul(t, REGISTRY["polygamma"].bind(one, x))
digamma_p = unop("digamma", chlo.digamma, dtypes=FLOAT, jvp=_digamma_jvp)


# --- Complex numbers ----------------------------------------------------------

def real(x):
  """Elementwise real part of a complex array (float32 for complex64).
  Lowers to stablehlo.real."""
  return real_p.bind(x)
real_p = _keep_weak(unop("real", hlo.real, dtypes=COMPLEX,
                         result_dtype=_real_dtype))
deflinear(real_p, lambda ct, x: [complex(ct, 0.)])


def imag(x):
  """Elementwise imaginary part of a complex array. Lowers to
  stablehlo.imag."""
  return imag_p.bind(x)
imag_p = _keep_weak(unop("imag", hlo.imag, dtypes=COMPLEX,
                         result_dtype=_real_dtype))
# Cotangents pair with tangents as Re(ct * t) (JAX's convention, no
# conjugation): Re(-1j * ct * t) = ct * imag(t).
deflinear(imag_p, lambda ct, x: [complex(0., neg(ct))])


def conj(x):
  """Elementwise complex conjugate. A float32/float64 x gives a complex
  array with zero imaginary part. Lowers to stablehlo.complex of the real
  part and the negated imaginary part."""
  return conj_p.bind(x)


def _conj_lower(ctx, x):
  aval = ctx.avals_in[0]
  if avals_lib.is_complex(aval.dtype):
    return hlo.complex(hlo.real(x), hlo.negate(hlo.imag(x)))
  return hlo.complex(x, _full_like(0, aval))
conj_p = _keep_weak(define_primitive(
    "conj", abstract_eval=nary_abstract_eval("conj", (_COMPLEX_PARTS, COMPLEX),
                                             _complex_dtype),
    lower=_conj_lower))


def _conj_transpose(ct, x):
  if avals_lib.is_complex(x.aval.dtype):
    return [conj(ct)]
  return [real(ct)]
deflinear(conj_p, _conj_transpose)
conj_p.batch = vectorized_batch(conj_p)


def complex(x, y):  # noqa: A001 - jax.lax's name
  """Elementwise x + 1j * y from float32 (or float64) parts. Lowers to
  stablehlo.complex."""
  return bind_binop(complex_p, x, y)
complex_p = _keep_weak(binop("complex", hlo.complex, dtypes=_COMPLEX_PARTS,
                             result_dtype=_complex_dtype))
deflinear(complex_p, lambda ct, x, y: [
    real(ct) if is_undefined_primal(x) else None,
    neg(imag(ct)) if is_undefined_primal(y) else None], instantiate=instantiate)


# --- stop_gradient ---------------------------------------------------------------

def stop_gradient(x):
  """`x` unchanged, but with a zero derivative: autodiff treats it as a
  constant. Applies leafwise to pytrees; integer and bool leaves pass
  through. Lowers to nothing (the operand itself).

  Example: `grad(lambda x: x * stop_gradient(x))(3.0)` is 3.0.
  """
  def stop(leaf):
    if avals_lib.is_inexact(aval_of(leaf).dtype):
      return stop_gradient_p.bind(leaf)
    return leaf
  return tree.tree_map(stop, x)


def _stop_gradient_abstract_eval(x):
  return x


stop_gradient_p = define_primitive(
    "stop_gradient", abstract_eval=_stop_gradient_abstract_eval,
    lower=lambda ctx, x: x)
stop_gradient_p.batch = vectorized_batch(stop_gradient_p)
defjvp_zero(stop_gradient_p)
