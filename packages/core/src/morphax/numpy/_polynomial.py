"""Polynomials, interpolation and 1-D convolution (polyval, polyfit,
interp, convolve, correlate), plus the binary search they share.
"""

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from . import _shape, _util
from ._manipulation import take_static

__all__ = ["polyval", "polyadd", "polysub", "polymul", "polyder", "polyint",
           "polyfit", "interp", "convolve", "correlate"]

CONV_MODE_MESSAGE = "{name}: mode must be 'full', 'same' or 'valid', got {mode!r}"


def _promoted(name, *args, inexact=False):
  """`args` as arrays of one dtype (arrays first, so that host scalars
  become weakly typed arrays rather than staged literals)."""
  _util.check_arraylike(name, *args)
  arrays = [_util.ensure_array(a, name) for a in args]
  promote = _util.promote_dtypes_inexact if inexact else _util.promote_dtypes
  return promote(name, *arrays)


def _vector(name, x, what="input"):
  x = _util.ensure_array(x, name)
  if x.aval.ndim != 1:
    raise ValueError(f"{name}: {what} must be 1-d, got shape {x.aval.shape}")
  return x


def searchsorted_1d(a, v, side="left"):
  """Indices where `v` would be inserted into sorted 1-d `a` to keep it
  sorted (numpy.searchsorted): a binary search of ceil(log2(n + 1)) steps,
  each one gather, so it works for traced `a` and `v`."""
  n = a.aval.shape[0]
  shape = v.aval.shape
  lo = _util.full(shape, 0, np.int32)
  hi = _util.full(shape, n, np.int32)
  one = _util.full(shape, 1, np.int32)
  for _ in range(int(np.ceil(np.log2(n + 1)))):
    mid = lax.div(lax.add(lo, hi), _util.full(shape, 2, np.int32))
    pivot = take_static(a, lax.min(mid, _util.full(shape, max(n - 1, 0), np.int32)), 0)
    go_right = lax.le(pivot, v) if side == "right" else lax.lt(pivot, v)
    go_right = lax.bitwise_and(go_right, lax.lt(mid, hi))
    lo = lax.select_n(go_right, lo, lax.add(mid, one))
    hi = lax.select_n(go_right, mid, hi)
  return lo


# --- Polynomial arithmetic ------------------------------------------------------

def polyval(p, x, *, unroll=16):
  """The polynomial with coefficients `p` (highest degree first) at `x`,
  by Horner's rule (numpy.polyval).

  >>> jnp.polyval(jnp.array([1., 0., -1.]), 3.)    # 8.0
  Follows jax.numpy: p and x are promoted to one inexact dtype.
  """
  del unroll
  p, x = _promoted("polyval", p, x, inexact=True)
  p = _vector("polyval", p, "p")
  y = _util.full_like(x, 0)
  for i in range(p.aval.shape[0]):
    coef = lax.broadcast_in_dim(lax.index_in_dim(p, i, 0, False), x.aval.shape, ())
    y = lax.add(lax.mul(y, x), coef)
  return y


def _pad_front(a, n):
  zero = _util.convert(0, a.aval.dtype, False, "poly")
  return lax.pad(a, zero, [(n, 0, 0)])


def _poly_pair(name, a1, a2):
  a1, a2 = _promoted(name, a1, a2)
  a1, a2 = _vector(name, a1), _vector(name, a2)
  n = max(a1.aval.shape[0], a2.aval.shape[0])
  return _pad_front(a1, n - a1.aval.shape[0]), _pad_front(a2, n - a2.aval.shape[0])


def polyadd(a1, a2):
  """Sum of two polynomials (coefficients highest degree first)."""
  return lax.add(*_poly_pair("polyadd", a1, a2))


def polysub(a1, a2):
  """Difference of two polynomials (coefficients highest degree first)."""
  return lax.sub(*_poly_pair("polysub", a1, a2))


def polymul(a1, a2, *, trim_leading_zeros=False):
  """Product of two polynomials: the full convolution of the coefficients.

  NB: like jax.numpy, leading zeros are kept unless trim_leading_zeros
  (which needs concrete values).
  """
  a1, a2 = _promoted("polymul", a1, a2)
  a1 = _shape.atleast_1d(a1)
  a2 = _shape.atleast_1d(a2)
  if trim_leading_zeros:
    a1, a2 = (_trim_leading_zeros(a) for a in (a1, a2))
  if a1.aval.shape[0] == 0 or a2.aval.shape[0] == 0:
    return _util.full((1,), 0, a1.aval.dtype)
  return convolve(a1, a2, mode="full")


def _trim_leading_zeros(a):
  value = _util.concrete_value("polymul", a)
  nonzero = np.flatnonzero(value)
  return _util.slice_axis(a, 0, int(nonzero[0]) if nonzero.size else value.size - 1,
                          value.size)


def polyder(p, m=1):
  """The m-th derivative of the polynomial with coefficients `p`."""
  p = _vector("polyder", _util.ensure_array(p, "polyder"), "p")
  if m < 0:
    raise ValueError(f"polyder: order of derivative must be non-negative, got {m}")
  n = p.aval.shape[0]
  if m >= n:
    return _util.full((0,), 0, p.aval.dtype)
  powers = np.arange(n - 1, -1, -1)
  coeff = np.ones(n - m)
  for j in range(m):
    coeff = coeff * (powers[:n - m] - j)
  dtype = p.aval.dtype
  c = _util.ensure_array(coeff.astype(dtype), "polyder")
  return lax.mul(_util.slice_axis(p, 0, 0, n - m), c)


def polyint(p, m=1, k=None):
  """The m-th antiderivative of `p`, with integration constants `k` (a
  scalar or m values, highest order first; default 0)."""
  p = _util.ensure_array(p, "polyint")
  p = _vector("polyint", _util.convert(p, _util.default_inexact(p.aval.dtype), False), "p")
  if m < 0:
    raise ValueError(f"polyint: order of integral must be non-negative, got {m}")
  if m == 0:
    return p
  dtype = p.aval.dtype
  ks = np.zeros(m) if k is None else np.broadcast_to(np.asarray(k), (m,))
  if len(np.atleast_1d(ks)) != m:
    raise ValueError(f"polyint: k must be a scalar or have {m} values")
  for i in range(m):
    n = p.aval.shape[0]
    divisors = _util.ensure_array(np.arange(n, 0, -1).astype(dtype), "polyint")
    p = lax.concatenate([lax.div(p, divisors),
                         _util.ensure_array(np.asarray([ks[i]], dtype), "polyint")], 0)
  return p


def _qr_solve(a, b):
  """Least-squares solution of a x = b (a: (n, k) with n >= k), by Gram-
  Schmidt orthogonalised twice (numerically as good as Householder QR for
  small k) and back substitution; static loops of lax ops."""
  n, k = a.aval.shape
  cols = [lax.index_in_dim(a, j, 1, False) for j in range(k)]
  qs, r = [], [[None] * k for _ in range(k)]

  def dot(u, v):
    return lax.reduce_sum(lax.mul(u, v), (0,))

  def scale(vec, s):
    return lax.mul(vec, lax.broadcast_in_dim(s, vec.aval.shape, ()))

  for j in range(k):
    v = cols[j]
    coeffs = [None] * j
    for _ in range(2):
      for i in range(j):
        c = dot(qs[i], v)
        coeffs[i] = c if coeffs[i] is None else lax.add(coeffs[i], c)
        v = lax.sub(v, scale(qs[i], c))
    norm = lax.sqrt(dot(v, v))
    qs.append(scale(v, lax.div(_util.full((), 1, norm.aval.dtype), norm)))
    for i in range(j):
      r[i][j] = coeffs[i]
    r[j][j] = norm
  # x = R^-1 Q^T b, b of shape (n, m).
  qtb = [lax.reduce_sum(lax.mul(lax.broadcast_in_dim(q, b.aval.shape, (0,)), b), (0,))
         for q in qs]
  x = [None] * k
  for j in reversed(range(k)):
    acc = qtb[j]
    for i in range(j + 1, k):
      acc = lax.sub(acc, scale(x[i], r[j][i]))
    x[j] = scale(acc, lax.div(_util.full((), 1, acc.aval.dtype), r[j][j]))
  return lax.concatenate([lax.expand_dims(xj, (0,)) for xj in x], 0)


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
  """Least-squares fit of a polynomial of degree `deg` to points (x, y);
  coefficients highest degree first, shape (deg + 1,) or (deg + 1, K) for
  a 2-d `y` (numpy.polyfit).

  >>> jnp.polyfit(jnp.arange(5.), jnp.arange(5.) ** 2, 2)   # ~[1, 0, 0]
  NB: solved by a QR factorisation (Gram-Schmidt twice) of the column-
  scaled Vandermonde matrix rather than an SVD; `rcond`, `full=True` and
  `cov=True` are not supported.
  """
  if full or cov:
    raise NotImplementedError("polyfit: full=True and cov=True are not supported")
  del rcond
  deg = int(deg)
  if deg < 0:
    raise ValueError(f"polyfit: expected deg >= 0, got {deg}")
  x, y = _promoted("polyfit", x, y, inexact=True)
  x = _vector("polyfit", x, "x")
  if y.aval.ndim not in (1, 2) or y.aval.shape[0] != x.aval.shape[0]:
    raise ValueError(f"polyfit: y must be 1-d or 2-d with {x.aval.shape[0]} rows "
                     f"(the length of x), got shape {y.aval.shape}")
  n = x.aval.shape[0]
  if n < deg + 1:
    raise ValueError(f"polyfit: need at least deg + 1 = {deg + 1} points, got {n}")
  powers = [_util.full_like(x, 1)]
  for _ in range(deg):
    powers.append(lax.mul(powers[-1], x))
  lhs = lax.concatenate([lax.expand_dims(c, (1,)) for c in reversed(powers)], 1)
  rhs = y if y.aval.ndim == 2 else lax.expand_dims(y, (1,))
  if w is not None:
    w = _vector("polyfit", _util.convert(_util.ensure_array(w, "polyfit"), x.aval.dtype, False), "w")
    lhs = lax.mul(lhs, lax.broadcast_in_dim(w, lhs.aval.shape, (0,)))
    rhs = lax.mul(rhs, lax.broadcast_in_dim(w, rhs.aval.shape, (0,)))
  scale = lax.sqrt(lax.reduce_sum(lax.mul(lhs, lhs), (0,)))
  scale = lax.select_n(lax.eq(scale, _util.full_like(scale, 0)), scale, _util.full_like(scale, 1))
  lhs = lax.div(lhs, lax.broadcast_in_dim(scale, lhs.aval.shape, (1,)))
  c = _qr_solve(lhs, rhs)
  c = lax.div(c, lax.broadcast_in_dim(scale, c.aval.shape, (0,)))
  return c if y.aval.ndim == 2 else lax.squeeze(c, (1,))


# --- Interpolation --------------------------------------------------------------

def interp(x, xp, fp, left=None, right=None, period=None):
  """Piecewise-linear interpolation of points (xp, fp) at `x` (numpy.interp).

  `xp` must increase (unless `period` is given); outside it the result is
  `left` / `right` (default fp[0] / fp[-1]). With `period`, x and xp are
  taken modulo the period and left/right are not allowed.

  >>> jnp.interp(2.5, jnp.array([1., 2., 3.]), jnp.array([3., 2., 0.]))  # 1.0
  """
  x, xp, fp = _promoted("interp", x, xp, fp, inexact=True)
  xp, fp = _vector("interp", xp, "xp"), _vector("interp", fp, "fp")
  if xp.aval.shape != fp.aval.shape or xp.aval.shape[0] == 0:
    raise ValueError(f"interp: xp and fp must be 1-d of equal, nonzero length, got "
                     f"shapes {xp.aval.shape} and {fp.aval.shape}")
  if avals_lib.is_complex(x.aval.dtype):
    raise TypeError("interp: complex values are not supported")
  dtype = x.aval.dtype
  if period is not None:
    if left is not None or right is not None:
      raise ValueError("interp: left and right are not allowed when period is given")
    per = _util.convert(abs(period) if not _util.is_array(period) else lax.abs(period),
                        dtype, False, "interp")
    per = _util.ensure_array(per, "interp")
    x = _mod(x, per)
    xp = _mod(xp, per)
    xp, fp = lax.sort((xp, fp), 0, num_keys=1)
    n = xp.aval.shape[0]
    first, last = _util.slice_axis(xp, 0, 0, 1), _util.slice_axis(xp, 0, n - 1, n)
    per1 = lax.broadcast_in_dim(per, (1,), ())
    xp = lax.concatenate([lax.sub(last, per1), xp, lax.add(first, per1)], 0)
    fp = lax.concatenate([_util.slice_axis(fp, 0, n - 1, n), fp, _util.slice_axis(fp, 0, 0, 1)], 0)
  n = xp.aval.shape[0]
  shape = x.aval.shape
  i = searchsorted_1d(xp, x, side="right")
  i = lax.clamp(np.int32(1), i, np.int32(max(n - 1, 1)))
  if n == 1:
    out = lax.broadcast_in_dim(lax.reshape(fp, ()), shape, ())
  else:
    im1 = lax.sub(i, _util.full(shape, 1, np.int32))
    x0, x1 = take_static(xp, im1, 0), take_static(xp, i, 0)
    f0, f1 = take_static(fp, im1, 0), take_static(fp, i, 0)
    dx = lax.sub(x1, x0)
    zero = _util.full_like(dx, 0)
    safe = lax.select_n(lax.eq(dx, zero), dx, _util.full_like(dx, 1))
    slope = lax.div(lax.sub(f1, f0), safe)
    out = lax.add(f0, lax.mul(slope, lax.sub(x, x0)))
    out = lax.select_n(lax.eq(dx, zero), out, f0)
  if period is None:
    lo_val = _bound(left, fp, 0, shape, dtype)
    hi_val = _bound(right, fp, n - 1, shape, dtype)
    first = lax.broadcast_in_dim(lax.index_in_dim(xp, 0, 0, False), shape, ())
    last = lax.broadcast_in_dim(lax.index_in_dim(xp, n - 1, 0, False), shape, ())
    out = lax.select_n(lax.lt(x, first), out, lo_val)
    out = lax.select_n(lax.gt(x, last), out, hi_val)
  return out


def _mod(x, p):
  p = _util.broadcast_to_shape(p, x.aval.shape)
  r = lax.rem(x, p)
  return lax.select_n(lax.lt(r, _util.full_like(r, 0)), r, lax.add(r, p))


def _bound(value, fp, index, shape, dtype):
  if value is None:
    return lax.broadcast_in_dim(lax.index_in_dim(fp, index, 0, False), shape, ())
  v = _util.convert(_util.ensure_array(value, "interp"), dtype, False, "interp")
  return _util.broadcast_to_shape(v, shape)


# --- Convolution ----------------------------------------------------------------

def _conv(name, a, v, mode, flip, precision, preferred_element_type):
  if mode not in ("full", "same", "valid"):
    raise ValueError(CONV_MODE_MESSAGE.format(name=name, mode=mode))
  a, v = _promoted(name, a, v)
  a, v = _vector(name, a), _vector(name, v)
  na, nv = a.aval.shape[0], v.aval.shape[0]
  if na == 0 or nv == 0:
    raise ValueError(f"{name}: inputs cannot be empty, got shapes {a.aval.shape} and "
                     f"{v.aval.shape}")
  swapped = nv > na
  if swapped:
    a, v, na, nv = v, a, nv, na
  if not flip and avals_lib.is_complex(v.aval.dtype):
    v = lax.conj(v)
  if flip:
    v = lax.rev(v, (0,))
  if mode == "valid":
    padding = [(0, 0)]
  elif mode == "same":
    padding = [(nv // 2, nv - nv // 2 - 1)]
  else:
    padding = [(nv - 1, nv - 1)]
  dtype = a.aval.dtype
  is_bool = dtype == np.bool_
  if is_bool:
    a, v = (lax.convert_element_type(t, np.int32) for t in (a, v))
  out = lax.conv_general_dilated(
      lax.reshape(a, (1, 1, na)), lax.reshape(v, (1, 1, nv)), (1,), padding,
      precision=precision, preferred_element_type=preferred_element_type)
  out = lax.reshape(out, out.aval.shape[2:])
  if is_bool:
    out = lax.ne(out, _util.full_like(out, 0))
  if swapped and not flip:
    out = lax.rev(out, (0,))
    if avals_lib.is_complex(out.aval.dtype):
      out = lax.conj(out)
  return out


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
  """The discrete linear convolution of 1-d `a` and `v` (numpy.convolve):
  mode 'full' (length na + nv - 1), 'same' (max(na, nv)) or 'valid'.

  >>> jnp.convolve(jnp.array([1., 2., 3.]), jnp.array([0., 1., .5]))
  Lowers to one lax.conv_general_dilated with the kernel reversed.
  """
  return _conv("convolve", a, v, mode, True, precision, preferred_element_type)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
  """The cross-correlation of 1-d `a` and `v`, c[k] = sum_n a[n + k] *
  conj(v[n]) (numpy.correlate; default mode 'valid')."""
  return _conv("correlate", a, v, mode, False, precision, preferred_element_type)
