"""Window functions for signal processing (bartlett, blackman, hamming,
hanning, kaiser), as numpy and jax.numpy define them.
"""

import operator

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from ..core.trace import Tracer
from . import _util
from ._math import i0

__all__ = ["bartlett", "blackman", "hamming", "hanning", "kaiser"]

WINDOW_LENGTH_MESSAGE = (
    "{name}: M (the number of points in the window) must be a concrete "
    "integer, got {value!r:.60}. The window's length fixes its shape, so it "
    "cannot be a traced value.")


def _window_length(name, M):
  """`M` as a Python int (it is a shape, so it must be concrete)."""
  if isinstance(M, Tracer):
    raise TypeError(WINDOW_LENGTH_MESSAGE.format(name=name, value=M))
  try:
    return operator.index(M)
  except TypeError:
    pass
  try:
    value = np.asarray(M)
    if value.ndim == 0 and float(value) == int(value):
      return int(value)
  except (TypeError, ValueError):
    pass
  raise TypeError(WINDOW_LENGTH_MESSAGE.format(name=name, value=M))


def _dtype():
  return avals_lib.default_float_dtype()


def _symmetric_grid(M):
  """The points pi * n / (M - 1) for n = 1-M, 3-M, ..., M-1 (a constant)."""
  n = np.arange(1 - M, M, 2, dtype=np.float64)
  return _util.convert(np.pi * n / (M - 1), _dtype(), False, "window")


def _cosine_sum(name, M, coefficients):
  """sum_k a_k cos(k * pi * n / (M - 1)): the generalized cosine window."""
  M = _window_length(name, M)
  if M < 1:
    return _util.full((0,), 0, _dtype())
  if M == 1:
    return _util.full((1,), 1, _dtype())
  t = _symmetric_grid(M)
  out = _util.full_like(t, coefficients[0])
  for k, a in enumerate(coefficients[1:], start=1):
    angle = t if k == 1 else lax.mul(_util.full_like(t, float(k)), t)
    out = lax.add(out, lax.mul(_util.full_like(t, a), lax.cos(angle)))
  return out


def blackman(M):
  """The Blackman window of `M` points (numpy.blackman).

  >>> jnp.blackman(5)      # [~0, 0.34, 1, 0.34, ~0]
  Follows jax.numpy: float32 results (the default float).
  """
  return _cosine_sum("blackman", M, (0.42, 0.5, 0.08))


def hamming(M):
  """The Hamming window of `M` points: 0.54 + 0.46 cos(pi n / (M-1))."""
  return _cosine_sum("hamming", M, (0.54, 0.46))


def hanning(M):
  """The Hann window of `M` points: 0.5 + 0.5 cos(pi n / (M-1))."""
  return _cosine_sum("hanning", M, (0.5, 0.5))


def bartlett(M):
  """The Bartlett (triangular) window of `M` points: 1 - |n| / (M - 1)."""
  M = _window_length("bartlett", M)
  if M < 1:
    return _util.full((0,), 0, _dtype())
  if M == 1:
    return _util.full((1,), 1, _dtype())
  n = np.arange(1 - M, M, 2, dtype=np.float64)
  ratio = _util.convert(np.abs(n) / (M - 1), _dtype(), False, "bartlett")
  return lax.sub(_util.full_like(ratio, 1), ratio)


def kaiser(M, beta):
  """The Kaiser window of `M` points and shape `beta`:
  i0(beta sqrt(1 - ((n - alpha) / alpha)^2)) / i0(beta), alpha = (M-1)/2.

  `beta` may be traced (and differentiated).
  >>> jnp.kaiser(5, 3.0)   # [0.205, 0.727, 1, 0.727, 0.205]
  """
  M = _window_length("kaiser", M)
  _util.check_arraylike("kaiser", beta)
  beta = _util.convert(_util.ensure_array(beta, "kaiser"), _dtype(), False, "kaiser")
  if beta.aval.ndim != 0:
    raise ValueError(f"kaiser: beta must be a scalar, got shape {beta.aval.shape}")
  if M < 1:
    return _util.full((0,), 0, _dtype())
  if M == 1:
    return _util.full((1,), 1, _dtype())
  alpha = (M - 1) / 2.0
  r = (np.arange(M, dtype=np.float64) - alpha) / alpha
  root = _util.convert(np.sqrt(np.maximum(1.0 - r * r, 0.0)), _dtype(), False, "kaiser")
  b = lax.broadcast_in_dim(beta, (M,), ())
  return lax.div(i0(lax.mul(b, root)), i0(b))
