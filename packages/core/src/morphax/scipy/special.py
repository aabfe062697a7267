"""morphax.scipy.special: logsumexp, erf, gammaln, xlogy, expit, ndtr,
softmax, ... with scipy.special's names and jax.scipy.special's dtypes
(the incomplete gamma/beta, Bessel, exponential integrals and the rest
live in _special_more.py and are re-exported here).
"""

import numpy as np

from .. import lax
from .. import numpy as jnp
from ..ops.elementwise import stop_gradient
from ..ops.special import polygamma as _lax_polygamma
from ._special_util import _inexact, _safe
from ._special_more import *  # noqa: F401,F403
from ._special_more import __all__ as _more_all

__all__ = [
    "logsumexp", "softmax", "log_softmax", "erf", "erfc", "erfinv", "gammaln",
    "gamma", "betaln", "digamma", "polygamma", "xlogy", "xlog1py", "entr",
    "expit", "logit", "ndtr", "ndtri", "log_ndtr",
] + _more_all

_SQRT2 = float(np.sqrt(2))
_LOG_SQRT_2PI = float(0.5 * np.log(2 * np.pi))


# --- logsumexp and softmax ---------------------------------------------------------

def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False,
              where=None):
  """log(sum(b * exp(a))) over `axis`, computed stably (the max is taken
  out first, under stop_gradient), like scipy.special.logsumexp.

  Args:
    a: input array. axis: axes to reduce (None: all). b: optional weights
      broadcast against `a` (may be negative). keepdims: keep reduced axes.
    return_sign: also return the sign of the sum (then a negative sum gives
      its log-magnitude instead of NaN). where: elements to include.

  Example: `logsumexp(jnp.array([1000., 1000.]))` is 1000 + log(2).
  """
  if b is None:
    (a,) = _inexact("logsumexp", a)
  else:
    a, b = _inexact("logsumexp", a, b)
  amax = jnp.max(a, axis=axis, keepdims=True, where=where,
                 initial=-np.inf if where is not None else None)
  amax = stop_gradient(jnp.where(jnp.isfinite(amax), amax, 0))
  e = jnp.exp(a - amax)
  if b is not None:
    e = e * b
  total = jnp.sum(e, axis=axis, keepdims=keepdims, where=where)
  sign = jnp.sign(total)
  if not keepdims:
    amax = jnp.squeeze(amax, axis=axis)
  out = jnp.log(jnp.abs(total)) + amax
  if return_sign:
    return out, sign
  if b is not None:
    out = jnp.where(sign < 0, np.nan, out)
  return out


def _softmax_parts(name, x, axis, where, initial):
  (x,) = _inexact(name, x)
  x_max = jnp.max(x, axis=axis, keepdims=True, where=where,
                  initial=-np.inf if initial is None else initial)
  x_max = jnp.where(jnp.isfinite(x_max), x_max, 0)
  return x, x - stop_gradient(x_max)


def softmax(x, axis=None, *, where=None, initial=None):
  """exp(x) / sum(exp(x)) over `axis` (None: all), like
  scipy.special.softmax; entries outside `where` are 0.

  Example: `softmax(jnp.array([0., 0.]))` is [0.5, 0.5].
  """
  x, shifted = _softmax_parts("softmax", x, axis, where, initial)
  unnormalized = jnp.exp(shifted)
  if where is not None:
    unnormalized = jnp.where(where, unnormalized, 0)
  return unnormalized / jnp.sum(unnormalized, axis=axis, keepdims=True)


def log_softmax(x, axis=None, *, where=None, initial=None):
  """x - logsumexp(x) over `axis` (None: all), like
  scipy.special.log_softmax; entries outside `where` are -inf."""
  x, shifted = _softmax_parts("log_softmax", x, axis, where, initial)
  e = jnp.exp(shifted)
  if where is not None:
    e = jnp.where(where, e, 0)
  out = shifted - jnp.log(jnp.sum(e, axis=axis, keepdims=True))
  if where is not None:
    out = jnp.where(where, out, -np.inf)
  return out


# --- Error and gamma functions ------------------------------------------------------

def erf(x):
  """The error function, like scipy.special.erf. Lowers to chlo.erf."""
  return lax.erf(*_inexact("erf", x))


def erfc(x):
  """1 - erf(x), accurate for large x, like scipy.special.erfc."""
  return lax.erfc(*_inexact("erfc", x))


def erfinv(x):
  """The inverse error function on [-1, 1], like scipy.special.erfinv."""
  return lax.erf_inv(*_inexact("erfinv", x))


def gammaln(x):
  """log|Gamma(x)|, like scipy.special.gammaln. Lowers to chlo.lgamma."""
  return lax.lgamma(*_inexact("gammaln", x))


def gamma(x):
  """The gamma function, as sign * exp(gammaln(x)), like
  scipy.special.gamma (its sign alternates between negative poles)."""
  (x,) = _inexact("gamma", x)
  odd = jnp.floor(x) - 2 * jnp.floor(jnp.floor(x) / 2) == 1
  sign = jnp.where((x > 0) | ~odd, 1, -1).astype(x.dtype)
  return sign * jnp.exp(lax.lgamma(x))


def betaln(a, b):
  """log|Beta(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b).

  NB: the plain formula; jax.scipy.special.betaln uses a correction that
  is more accurate when a or b is large."""
  a, b = _inexact("betaln", a, b)
  return lax.lgamma(a) + lax.lgamma(b) - lax.lgamma(a + b)


def digamma(x):
  """The digamma function d/dx log Gamma(x), like scipy.special.digamma."""
  return lax.digamma(*_inexact("digamma", x))


def polygamma(n, x):
  """The n-th derivative of digamma, like scipy.special.polygamma (n a
  non-negative integer, broadcast against x). Lowers to chlo.polygamma."""
  n, x = _inexact("polygamma", n, x)
  return _lax_polygamma(n, x)


# --- Logs and logits --------------------------------------------------------------

def xlogy(x, y):
  """x * log(y), taken as 0 where x == 0 (even at y == 0), like
  scipy.special.xlogy. JAX gives it a custom JVP; this where-based form
  has the same derivatives away from x == 0."""
  x, y = _inexact("xlogy", x, y)
  zero = x == 0
  return jnp.where(zero, 0, x * jnp.log(_safe(zero, 1, y)))


def xlog1py(x, y):
  """x * log1p(y), taken as 0 where x == 0, like scipy.special.xlog1py."""
  x, y = _inexact("xlog1py", x, y)
  zero = x == 0
  return jnp.where(zero, 0, x * jnp.log1p(_safe(zero, 0, y)))


def entr(x):
  """Elementwise entropy: -x log x for x > 0, 0 at 0, -inf for x < 0, like
  scipy.special.entr."""
  (x,) = _inexact("entr", x)
  pos = x > 0
  safe = _safe(pos, x, 1)
  return jnp.where(pos, -safe * jnp.log(safe), jnp.where(x == 0, 0, -np.inf))


def expit(x):
  """The logistic sigmoid 1 / (1 + exp(-x)), like scipy.special.expit."""
  return lax.logistic(*_inexact("expit", x))


def logit(x):
  """log(x / (1 - x)), the inverse of expit, like scipy.special.logit."""
  (x,) = _inexact("logit", x)
  return jnp.log(x) - jnp.log1p(-x)


# --- The normal distribution function ---------------------------------------------

def ndtr(x):
  """The standard normal CDF, like scipy.special.ndtr: 0.5 + 0.5 erf near
  0, 0.5 erfc in the tails (accurate far out)."""
  (x,) = _inexact("ndtr", x)
  z = x / _SQRT2
  return jnp.where(jnp.abs(z) < 1 / _SQRT2, 0.5 + 0.5 * lax.erf(z),
                   jnp.where(z > 0, 1 - 0.5 * lax.erfc(z), 0.5 * lax.erfc(-z)))


def log_ndtr(x):
  """log of the standard normal CDF, accurate in both tails, like
  scipy.special.log_ndtr: log1p(-ndtr(-x)) above 0, log(ndtr(x)) down to
  -10, and the asymptotic series of Abramowitz & Stegun 26.2.12 below."""
  (x,) = _inexact("log_ndtr", x)
  upper = x > 0
  lower = x < -10
  xu = _safe(upper, x, 1)
  up = jnp.log1p(-0.5 * lax.erfc(xu / _SQRT2))
  xm = _safe(~upper & ~lower, x, -1)
  mid = jnp.log(0.5 * lax.erfc(-xm / _SQRT2))
  xl = _safe(lower, x, -20)
  r = 1 / (xl * xl)
  series = 1 + r * (-1 + r * (3 + r * (-15 + r * 105)))
  low = -0.5 * xl * xl - jnp.log(-xl) - _LOG_SQRT_2PI + jnp.log(series)
  return jnp.where(upper, up, jnp.where(lower, low, mid))


def ndtri(p):
  """The inverse of ndtr (the standard normal quantile), like
  scipy.special.ndtri.

  NB: JAX and SciPy use Cephes' rational approximations; this starts from
  the inverse error function (or the tail asymptote) on min(p, 1 - p) and
  takes Newton steps on log_ndtr, which keeps float32 accuracy deep in the
  tails. Its derivative comes by differentiating through those steps."""
  (p,) = _inexact("ndtri", p)
  q = jnp.where(p > 0.5, 1 - p, p)
  inner = q > 0.01
  qc = _safe(inner, q, 0.25)
  central = _SQRT2 * lax.erf_inv(2 * qc - 1)
  qt = _safe(inner | (q <= 0), 0.001, q)
  t = -2 * jnp.log(qt)
  tail = -jnp.sqrt(t - jnp.log(t) - 2 * _LOG_SQRT_2PI)
  x = jnp.where(inner, central, tail)
  log_q = jnp.log(_safe(q > 0, q, 0.5))
  for _ in range(3):
    log_cdf = log_ndtr(x)
    log_pdf = -0.5 * x * x - _LOG_SQRT_2PI
    x = x - (log_cdf - log_q) * jnp.exp(log_cdf - log_pdf)
  x = jnp.where(q > 0, x, -np.inf)
  x = jnp.where((p < 0) | (p > 1) | jnp.isnan(p), np.nan, x)
  return jnp.where(p > 0.5, -x, x)
