"""morphax.scipy.stats.norm: pdf, logpdf, cdf, logcdf, ppf, sf, logsf of
the normal distribution, with scipy.stats.norm's loc/scale arguments.
"""

import numpy as np

from ... import numpy as jnp
from .. import special

__all__ = ["pdf", "logpdf", "cdf", "logcdf", "ppf", "sf", "logsf", "isf"]

_LOG_SQRT_2PI = float(0.5 * np.log(2 * np.pi))


def _standardize(name, x, loc, scale):
  x, loc, scale = special._inexact(name, x, loc, scale)
  return (x - loc) / scale, scale


def logpdf(x, loc=0, scale=1):
  """log of the normal density at x, like scipy.stats.norm.logpdf.

  Example: `logpdf(0.)` is -0.9189385 (= -log(sqrt(2 pi))).
  """
  z, scale = _standardize("norm.logpdf", x, loc, scale)
  return -0.5 * z * z - jnp.log(scale) - _LOG_SQRT_2PI


def pdf(x, loc=0, scale=1):
  """The normal density at x, like scipy.stats.norm.pdf."""
  return jnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
  """The normal CDF at x, like scipy.stats.norm.cdf (special.ndtr)."""
  z, _ = _standardize("norm.cdf", x, loc, scale)
  return special.ndtr(z)


def logcdf(x, loc=0, scale=1):
  """log of the normal CDF, accurate in the lower tail, like
  scipy.stats.norm.logcdf (special.log_ndtr)."""
  z, _ = _standardize("norm.logcdf", x, loc, scale)
  return special.log_ndtr(z)


def sf(x, loc=0, scale=1):
  """The survival function 1 - cdf(x), accurate in the upper tail."""
  z, _ = _standardize("norm.sf", x, loc, scale)
  return special.ndtr(-z)


def logsf(x, loc=0, scale=1):
  """log of the survival function, like scipy.stats.norm.logsf."""
  z, _ = _standardize("norm.logsf", x, loc, scale)
  return special.log_ndtr(-z)


def ppf(q, loc=0, scale=1):
  """The quantile function (inverse CDF), like scipy.stats.norm.ppf."""
  q, loc, scale = special._inexact("norm.ppf", q, loc, scale)
  return special.ndtri(q) * scale + loc


def isf(q, loc=0, scale=1):
  """The inverse survival function, ppf(1 - q), computed as -ndtri(q)."""
  q, loc, scale = special._inexact("norm.isf", q, loc, scale)
  return -special.ndtri(q) * scale + loc
