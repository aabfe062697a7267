"""Special-function primitives beyond elementwise.py's: polygamma (the
derivatives of digamma) and the Hurwitz zeta function, with all their
rules; the exponentially scaled Bessel functions i0e/i1e as composites.
"""

from jaxlib.mlir.dialects import chlo

import numpy as np

from . import bits, select, shape
from . import elementwise as el
from ._checks import FLOAT, aval_of
from ._factories import bind_binop, binop
from .elementwise import add, mul

__all__ = ["polygamma", "zeta", "bessel_i0e", "bessel_i1e"]

POLYGAMMA_N_GRAD_MESSAGE = (
    "polygamma: the derivative with respect to the order m is not defined "
    "(m is an integer); differentiate with respect to x only, e.g. "
    "grad(lambda x: polygamma(m, x)).")


def polygamma(m, x):
  """Elementwise polygamma function psi^(m)(x), the m-th derivative of
  digamma (m a non-negative integer value of x's float dtype). Lowers to
  chlo.polygamma.

  Example: `polygamma(1., x)` is the trigamma function.
  """
  return bind_binop(polygamma_p, m, x)


def _polygamma_jvp_m(t, m, x):
  raise ValueError(POLYGAMMA_N_GRAD_MESSAGE)


polygamma_p = binop(
    "polygamma", chlo.polygamma, dtypes=FLOAT,
    jvp=(_polygamma_jvp_m, lambda t, m, x: mul(t, polygamma(add(m, 1), x))))


# --- The Hurwitz zeta function ---------------------------------------------------------

ZETA_X_GRAD_MESSAGE = (
    "zeta: the derivative with respect to the exponent x is not implemented "
    "(as in JAX); differentiate with respect to q only.")


def zeta(x, q):
  """The Hurwitz zeta function sum_n (n + q)^-x, elementwise (x > 1 for
  convergence), like jax.lax.zeta. Lowers to chlo.zeta."""
  return bind_binop(zeta_p, x, q)


def _zeta_jvp_x(t, x, q):
  raise NotImplementedError(ZETA_X_GRAD_MESSAGE)


zeta_p = binop(
    "zeta", chlo.zeta, dtypes=FLOAT,
    jvp=(_zeta_jvp_x, lambda t, x, q: mul(t, el.neg(mul(x, zeta(add(x, 1), q))))))


# --- Exponentially scaled modified Bessel functions ---------------------------------------

_SERIES_TERMS = 40
_ASYMPTOTIC_TERMS = 12
_BESSEL_SWITCH = 15.0  # |x| above which the asymptotic expansion is used


def _bessel_ie(nu, x):
  """exp(-|x|) I_nu(x) for nu in {0, 1}: the power series
  sum (x/2)^(2k+nu) / (k! (k+nu)!) for |x| <= 15, else the asymptotic
  expansion e^x / sqrt(2 pi x) * sum_k (-1)^k prod_j (4nu^2 - (2j-1)^2)
  / (k! (8x)^k) (its terms shrink past k = 12 there)."""
  ax = el.abs(x)
  small = bits.le(ax, _BESSEL_SWITCH)
  aval = aval_of(x)
  full = lambda v: shape.full(aval.shape, v, aval.dtype)  # noqa: E731
  xs = select.select_n(small, full(1.0), x)  # signed: I1 is odd
  y = mul(0.25, mul(xs, xs))
  term = mul(0.5, xs) if nu else full(1.0)
  total = term
  for k in range(1, _SERIES_TERMS):
    term = mul(term, el.div(y, float(k * (k + nu))))
    total = add(total, term)
  series = mul(el.exp(el.neg(el.abs(xs))), total)
  xl = select.select_n(small, ax, full(2 * _BESSEL_SWITCH))
  r = el.div(1.0, mul(8.0, xl))
  term = full(1.0)
  total = term
  for k in range(1, _ASYMPTOTIC_TERMS):
    term = mul(term, mul(r, -(4 * nu * nu - (2 * k - 1) ** 2) / k))
    total = add(total, term)
  asym = el.div(total, el.sqrt(mul(2 * np.pi, xl)))
  if nu:
    asym = mul(el.sign(x), asym)
  return select.select_n(small, asym, series)


def bessel_i0e(x):
  """The exponentially scaled modified Bessel function of order 0,
  exp(-|x|) I0(x), elementwise, like jax.lax.bessel_i0e (a composite of
  lax ops: a power series, or the asymptotic expansion for |x| > 15)."""
  return _bessel_ie(0, _float_array("bessel_i0e", x))


def bessel_i1e(x):
  """The exponentially scaled modified Bessel function of order 1,
  exp(-|x|) I1(x) (odd in x), elementwise, like jax.lax.bessel_i1e."""
  return _bessel_ie(1, _float_array("bessel_i1e", x))


BESSEL_DTYPE_MESSAGE = (
    "{name}: expected a floating-point array, got dtype {dtype}; convert "
    "with x.astype(jnp.float32) first.")


def _float_array(name, x):
  """`x`, checked to be a floating-point array (lax does not promote)."""
  dtype = aval_of(x).dtype
  if not np.issubdtype(dtype, np.floating):
    raise TypeError(BESSEL_DTYPE_MESSAGE.format(name=name, dtype=np.dtype(dtype).name))
  return x
