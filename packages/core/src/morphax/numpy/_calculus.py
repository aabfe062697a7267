"""Covariance, numerical calculus, spacings and polynomial roots: cov,
corrcoef, gradient, trapezoid, geomspace, logspace, vander, poly, polydiv,
roots, unwrap, nextafter, histogram2d, histogramdd, einsum_path.
"""

import operator

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from ..core.trace import Tracer
from . import _einsum, _linalg, _manipulation, _reductions, _shape
from . import _statistics, _ufuncs, _util, linalg
from ._creation import linspace
from ._histogram import histogram_bin_edges
from ._polynomial import searchsorted_1d

__all__ = ["cov", "corrcoef", "gradient", "trapezoid", "geomspace", "logspace",
           "vander", "poly", "polydiv", "roots", "unwrap", "nextafter",
           "histogram2d", "histogramdd", "einsum_path"]

SPACING_COUNT_MESSAGE = (
    "gradient: got {n} spacing arguments for {axes} axes; give none (unit "
    "spacing), one for all axes, or one per axis")
SPACING_SHAPE_MESSAGE = (
    "gradient: a spacing array must be 1-d with one coordinate per element "
    "along its axis ({size}), got shape {shape}")
GRADIENT_SIZE_MESSAGE = (
    "gradient: shape {shape} is too small along axis {axis} to calculate a "
    "numerical gradient; at least 2 elements are required")
WEIGHTS_MESSAGE = (
    "cov: {name} must be a 1-d array with one weight per observation "
    "({n}), got shape {shape}")
ROOTS_TRACED_MESSAGE = (
    "roots: with strip_zeros=True the coefficients must be concrete (the "
    "number of roots depends on their values); pass strip_zeros=False to "
    "trace it (leading zeros then give NaN roots)")
HISTDD_WEIGHTS_MESSAGE = (
    "histogramdd: weights must have shape ({n},), one weight per sample, "
    "got shape {shape}")

_array = _util.ensure_array
builtins_range = range  # histogramdd's `range` argument shadows the builtin
_add, _sub, _mul, _div = (_ufuncs.add, _ufuncs.subtract, _ufuncs.multiply,
                          _ufuncs.true_divide)


def _inexact(name, *args):
  """`args` as arrays of one inexact dtype (arrays first: scalars stay weak)."""
  _util.check_arraylike(name, *args)
  return _util.promote_dtypes_inexact(name, *(_array(a, name) for a in args))


# --- Covariance --------------------------------------------------------------

def _observations(name, m, rowvar, dtype):
  """`m` as a 2-d (variables, observations) array of an inexact dtype."""
  m = _array(m, name)
  if m.aval.ndim > 2:
    raise ValueError(f"{name}: m has more than 2 dimensions (shape {m.aval.shape})")
  if dtype is None:
    dtype = _util.default_inexact(m.aval.dtype)
  else:
    dtype = _util.canonical_dtype(name, dtype)
  x = _util.convert(m, dtype, False, name)
  x = _shape.atleast_2d(x)
  if not rowvar and x.aval.shape[0] != 1:
    x = _shape.transpose(x)
  return x


def _weights(name, w, n, integer=False):
  w = _array(w, "cov")
  if w.aval.ndim != 1 or w.aval.shape[0] != n:
    raise ValueError(WEIGHTS_MESSAGE.format(name=name, n=n, shape=w.aval.shape))
  if integer and not avals_lib.is_integer(w.aval.dtype) and not avals_lib.is_bool(w.aval.dtype):
    raise TypeError(f"cov: fweights must be integers, got dtype {w.aval.dtype}")
  return w


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None,
        aweights=None, dtype=None):
  """The covariance matrix of the variables in `m` (rows, or columns when
  `rowvar` is False), optionally stacked with those of `y`.

  Normalized by N - 1 (N with `bias`, or N - `ddof`); `fweights` (integer
  repeat counts) and `aweights` (importance weights) weight observations
  as numpy.cov does. One variable gives a 0-d result.
  >>> jnp.cov(jnp.array([[0., 1., 2.], [2., 1., 0.]]))  # [[1, -1], [-1, 1]]
  """
  if dtype is None and y is not None:
    _util.check_arraylike("cov", m, y)
    dtype = _util.default_inexact(_util.result_type(m, y)[0])
  x = _observations("cov", m, rowvar, dtype)
  if x.aval.shape[0] == 0:
    return _util.full((0, 0), 0, x.aval.dtype)
  if y is not None:
    y2 = _observations("cov", y, rowvar, x.aval.dtype)
    if y2.aval.shape[1] != x.aval.shape[1]:
      raise ValueError(f"cov: m and y must have the same number of observations, "
                       f"got {x.aval.shape[1]} and {y2.aval.shape[1]}")
    x = _shape.concatenate([x, y2], axis=0)
  if ddof is None:
    ddof = 0 if bias else 1
  n = x.aval.shape[1]
  w = None
  if fweights is not None:
    w = _weights("fweights", fweights, n, integer=True)
  if aweights is not None:
    aw = _weights("aweights", aweights, n)
    w = aw if w is None else _mul(w, aw)
  if w is not None:
    w = _util.convert(w, x.aval.dtype if not avals_lib.is_complex(x.aval.dtype)
                      else np.dtype(lax.real(x).aval.dtype), False, "cov")
  avg, w_sum = _statistics.average(x, axis=1, weights=w, returned=True)
  w_sum = lax.index_in_dim(w_sum, 0, keepdims=False)
  if w is None:
    f = n - ddof
  elif ddof == 0:
    f = w_sum
  elif aweights is None:
    f = _sub(w_sum, ddof)
  else:
    f = _sub(w_sum, _mul(ddof, _div(_reductions.sum(_mul(w, aw)), w_sum)))
  x = _sub(x, lax.broadcast_in_dim(avg, x.aval.shape, (0,)))
  xw = x if w is None else _mul(x, w)
  out = _div(_linalg.dot(x, _ufuncs.conjugate(_shape.transpose(xw))), f)
  return _shape.squeeze(out)


def corrcoef(x, y=None, rowvar=True, dtype=None):
  """Pearson correlation coefficients: cov(x, y) scaled to a unit diagonal,
  clipped to [-1, 1] (numpy.corrcoef)."""
  c = cov(x, y, rowvar, dtype=dtype)
  if c.aval.ndim == 0:
    return _div(c, c)
  d = _manipulation.diagonal(c)
  std = _ufuncs.sqrt(_ufuncs.real(d))
  c = _div(c, lax.broadcast_in_dim(std, c.aval.shape, (0,)))
  c = _div(c, lax.broadcast_in_dim(std, c.aval.shape, (1,)))
  if avals_lib.is_complex(c.aval.dtype):
    re = _shape.clip(_ufuncs.real(c), -1, 1)
    im = _shape.clip(_ufuncs.imag(c), -1, 1)
    return lax.complex(re, im)
  return _shape.clip(c, -1, 1)


# --- Derivatives and integrals -----------------------------------------------

def _gradient_along_axis(a, h, axis):
  """Second-order central differences inside, first-order at the edges."""
  n = a.aval.shape[axis]
  s = lambda lo, hi: _util.slice_axis(a, axis, lo, hi)
  upper = _sub(s(1, 2), s(0, 1))
  lower = _sub(s(n - 1, n), s(n - 2, n - 1))
  if h.aval.ndim == 0:
    inner = _div(_mul(_sub(s(2, n), s(0, n - 2)), 0.5), h)
    upper, lower = _div(upper, h), _div(lower, h)
  else:
    if h.aval.ndim != 1 or h.aval.shape[0] != n:
      raise ValueError(SPACING_SHAPE_MESSAGE.format(size=n, shape=h.aval.shape))
    shape = [1] * a.aval.ndim
    shape[axis] = n
    h = lax.reshape(h, tuple(shape))
    hs = lambda lo, hi: _util.slice_axis(h, axis, lo, hi)
    upper = _div(upper, _sub(hs(1, 2), hs(0, 1)))
    lower = _div(lower, _sub(hs(n - 1, n), hs(n - 2, n - 1)))
    dx1 = _sub(hs(1, n - 1), hs(0, n - 2))
    dx2 = _sub(hs(2, n), hs(1, n - 1))
    ca = _div(_ufuncs.negative(dx2), _mul(dx1, _add(dx1, dx2)))
    cb = _div(_sub(dx2, dx1), _mul(dx1, dx2))
    cc = _div(dx1, _mul(dx2, _add(dx1, dx2)))
    inner = _add(_add(_mul(ca, s(0, n - 2)), _mul(cb, s(1, n - 1))),
                 _mul(cc, s(2, n)))
  return _shape.concatenate([upper, inner, lower], axis=axis)


def gradient(f, *varargs, axis=None, edge_order=None):
  """The gradient of sampled `f` by central differences (numpy.gradient).

  `varargs` gives the spacing: nothing (unit), one scalar or coordinate
  array for every axis, or one per axis. One axis gives one array, several
  a list. Follows jax.numpy: only edge_order=1 (first-order edges).
  >>> jnp.gradient(jnp.array([1., 4., 9., 16.]))   # [3, 4, 6, 7]
  """
  if edge_order is not None and edge_order != 1:
    raise NotImplementedError(
        f"gradient: edge_order={edge_order!r} is not supported; only "
        "first-order edges (edge_order=1 or None) are, as in jax.numpy")
  a = _inexact("gradient", f)[0]
  axes = _util.canonicalize_axes("gradient", axis, a.aval.ndim)
  if isinstance(axis, (tuple, list)):
    axes = tuple(_util.canonicalize_axis("gradient", ax, a.aval.ndim) for ax in axis)
  if not axes:
    return []
  for ax in axes:
    if a.aval.shape[ax] < 2:
      raise ValueError(GRADIENT_SIZE_MESSAGE.format(shape=a.aval.shape, axis=ax))
  if len(varargs) == 0:
    spacings = [1.0] * len(axes)
  elif len(varargs) == 1:
    spacings = list(varargs) * len(axes)
  elif len(varargs) == len(axes):
    spacings = list(varargs)
  else:
    raise TypeError(SPACING_COUNT_MESSAGE.format(n=len(varargs), axes=len(axes)))
  out = []
  for ax, h in zip(axes, spacings):
    h = _inexact("gradient", h)[0]
    out.append(_gradient_along_axis(a, h, ax))
  return out[0] if len(out) == 1 else out


def trapezoid(y, x=None, dx=1.0, axis=-1):
  """The integral of `y` along `axis` by the trapezoidal rule, over sample
  points `x` (1-d, or shaped like `y`) or a uniform spacing `dx`."""
  if x is None:
    y, dx = _inexact("trapezoid", y, dx)
  else:
    y, x = _inexact("trapezoid", y, x)
    if y.aval.ndim == 0:
      raise ValueError("trapezoid: y must be at least 1-d")
    ax = _util.canonicalize_axis("trapezoid", axis, y.aval.ndim)
    if x.aval.ndim == 1:
      if x.aval.shape[0] != y.aval.shape[ax]:
        raise ValueError(f"trapezoid: x has {x.aval.shape[0]} points but y has "
                         f"{y.aval.shape[ax]} along axis {axis}")
      dx = _statistics.diff(x)
    else:
      dx = _shape.moveaxis(_statistics.diff(x, axis=axis), axis, -1)
  if y.aval.ndim == 0:
    raise ValueError("trapezoid: y must be at least 1-d")
  y = _shape.moveaxis(y, axis, -1)
  n = y.aval.shape[-1]
  last = y.aval.ndim - 1
  pairs = _add(_util.slice_axis(y, last, min(n, 1), n),
               _util.slice_axis(y, last, 0, max(n - 1, 0)))
  return _mul(0.5, _reductions.sum(_mul(dx, pairs), axis=-1))


# --- Spacings ----------------------------------------------------------------

def _spacing_dtype(name, dtype, *args):
  if dtype is not None:
    return _util.canonical_dtype(name, dtype)
  return _util.default_inexact(_util.result_type(*args)[0])


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
  """`num` values base ** t for t evenly spaced from `start` to `stop`."""
  _util.check_arraylike("logspace", start, stop, base)
  out_dtype = _spacing_dtype("logspace", dtype, start, stop)
  compute = _util.default_inexact(out_dtype)
  t = linspace(start, stop, num, endpoint=endpoint, dtype=compute, axis=axis)
  base = _util.convert(_array(base, "logspace"), compute, False, "logspace")
  return _util.convert(_ufuncs.power(base, t), out_dtype, False, "logspace")


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
  """`num` values in geometric progression from `start` to `stop` (both of
  one sign, nonzero), numpy.geomspace."""
  _util.check_arraylike("geomspace", start, stop)
  out_dtype = _spacing_dtype("geomspace", dtype, start, stop)
  compute = _util.default_inexact(out_dtype)
  start = _util.convert(_array(start, "geomspace"), compute, False, "geomspace")
  stop = _util.convert(_array(stop, "geomspace"), compute, False, "geomspace")
  sign = _ufuncs.sign(start)
  t = logspace(_ufuncs.log10(_div(start, sign)), _ufuncs.log10(_div(stop, sign)),
               num, endpoint=endpoint, dtype=compute, axis=0)
  out = _mul(sign, t)
  if axis != 0:
    out = _shape.moveaxis(out, 0, axis)
  return _util.convert(out, out_dtype, False, "geomspace")


# --- Polynomials -------------------------------------------------------------

def vander(x, N=None, increasing=False):
  """The Vandermonde matrix of 1-d `x`: columns x**(N-1), ..., x**0 (or
  increasing powers)."""
  x = _array(x, "vander")
  if x.aval.ndim != 1:
    raise ValueError(f"vander: x must be 1-d, got shape {x.aval.shape}")
  if N is None:
    N = x.aval.shape[0]
  if isinstance(N, Tracer):
    raise TypeError("vander: N must be a concrete integer, got a tracer")
  N = operator.index(N)
  if N < 0:
    raise ValueError(f"vander: N must be non-negative, got {N}")
  dtype = x.aval.dtype
  if avals_lib.is_bool(dtype):
    dtype = avals_lib.default_int_dtype()
    x = _util.convert(x, dtype, False, "vander")
  powers = np.arange(N) if increasing else np.arange(N - 1, -1, -1)
  powers = _util.convert(powers, dtype, False, "vander")
  shape = (x.aval.shape[0], N)
  return _ufuncs.power(lax.broadcast_in_dim(x, shape, (0,)),
                       lax.broadcast_in_dim(powers, shape, (1,)))


def poly(seq_of_zeros):
  """The coefficients (highest degree first) of the monic polynomial with
  the given roots, or of a square matrix's characteristic polynomial."""
  z = _array(seq_of_zeros, "poly")
  shape = z.aval.shape
  if len(shape) == 2 and shape[0] == shape[1] and shape[0] != 0:
    z = linalg.eigvals(z)
  elif len(shape) == 1:
    z = _inexact("poly", z)[0]
  elif len(shape) == 0:
    z = lax.reshape(_inexact("poly", z)[0], (1,))
  else:
    raise ValueError(f"poly: input must be 1-d or a non-empty square 2-d "
                     f"array, got shape {shape}")
  n = z.aval.shape[0]
  a = _util.full((1,), 1, z.aval.dtype)
  if n == 0:
    return lax.reshape(a, ())
  for k in range(n):
    zk = lax.broadcast_in_dim(lax.index_in_dim(z, k, keepdims=False), (k + 1,), ())
    grown = lax.pad(a, _util.full((), 0, a.aval.dtype), [(0, 1, 0)])
    shifted = lax.pad(lax.mul(zk, a), _util.full((), 0, a.aval.dtype), [(1, 0, 0)])
    a = lax.sub(grown, shifted)
  return a


def polydiv(u, v, *, trim_leading_zeros=False):
  """Polynomial division: (quotient, remainder) with u = q * v + r.

  Follows jax.numpy: the remainder keeps u's length (leading entries are
  zero) unless `trim_leading_zeros` (which needs concrete values).
  >>> jnp.polydiv(jnp.array([1., 2, 3, 4]), jnp.array([1., 1]))  # ([1,1,2], [0,0,0,2])
  """
  u, v = _inexact("polydiv", u, v)
  for what, p in (("u", u), ("v", v)):
    if p.aval.ndim != 1 or p.aval.shape[0] == 0:
      raise ValueError(f"polydiv: {what} must be a non-empty 1-d array, got "
                       f"shape {p.aval.shape}")
  m, n = u.aval.shape[0] - 1, v.aval.shape[0] - 1
  dtype = u.aval.dtype
  scale = _div(1, lax.index_in_dim(v, 0, keepdims=False))
  zero = _util.full((), 0, dtype)
  q, r = [], u
  for k in range(m - n + 1):
    d = _mul(scale, lax.index_in_dim(r, k, keepdims=False))
    q.append(d)
    step = lax.pad(_mul(d, v), zero, [(k, m - n - k, 0)])
    r = _sub(r, step)
  q = _shape.stack(q) if q else _util.full((1,), 0, dtype)
  if trim_leading_zeros:
    values = _util.concrete_value("polydiv", r)
    tol = np.sqrt(np.finfo(values.dtype).eps)
    big = np.nonzero(np.abs(values) > tol)[0]
    start = int(big[0]) if big.size else values.shape[0]
    r = _util.slice_axis(r, 0, start, values.shape[0])
  return q, r


def _companion_roots(p):
  """The eigenvalues of the companion matrix of `p` (p[0] != 0)."""
  n = p.aval.shape[0] - 1
  dtype = p.aval.dtype
  if n < 1:
    return _util.full((0,), 0, _complex(dtype))
  top = _ufuncs.negative(_div(_util.slice_axis(p, 0, 1, n + 1),
                              lax.index_in_dim(p, 0, keepdims=True)))
  top = lax.reshape(top, (1, n))
  if n > 1:
    below = _util.convert(np.eye(n - 1, n), dtype, False, "roots")
    a = _shape.concatenate([top, below], axis=0)
  else:
    a = top
  return linalg.eigvals(a)


def _complex(dtype):
  return np.dtype(np.complex128 if np.dtype(dtype) in (np.float64, np.complex128)
                  else np.complex64)


def roots(p, *, strip_zeros=True):
  """The roots of the polynomial with coefficients `p` (highest first), as
  the eigenvalues of its companion matrix; complex results.

  With `strip_zeros` (the default) leading zeros are dropped and trailing
  zeros give zero roots, so `p` must be concrete. Without it `p` may be
  traced: the result has len(p) - 1 entries, and leading zeros give NaN.
  """
  p = _inexact("roots", p)[0]
  if p.aval.ndim == 0:
    p = lax.reshape(p, (1,))
  if p.aval.ndim != 1:
    raise ValueError(f"roots: p must be 1-d, got shape {p.aval.shape}")
  cdtype = _complex(p.aval.dtype)
  if p.aval.shape[0] < 2:
    return _util.full((0,), 0, cdtype)
  if strip_zeros:
    if isinstance(p, Tracer):
      raise TypeError(ROOTS_TRACED_MESSAGE)
    nonzero = np.nonzero(np.asarray(p))[0]
    if nonzero.size == 0:
      return _util.full((0,), 0, cdtype)
    lead, last = int(nonzero[0]), int(nonzero[-1])
    trailing = p.aval.shape[0] - 1 - last
    out = _companion_roots(_util.slice_axis(p, 0, lead, last + 1))
    out = _util.convert(out, cdtype, False, "roots")
    if trailing:
      out = _shape.concatenate([out, _util.full((trailing,), 0, cdtype)])
    return out
  return _roots_traced(p, cdtype)


def _roots_traced(p, cdtype):
  """Roots for traceable `p`: leading zeros are rolled to the back (they
  become zero roots of the companion matrix, sorted last) and reported as
  NaN."""
  size = p.aval.shape[0]
  zero_mask = _ufuncs.equal(p, 0)
  all_zero = _reductions.all(zero_mask)
  leading = _util.select(all_zero, _util.full((), size, np.int32),
                         _util.convert(_reductions.argmin(zero_mask), np.int32, False, "roots"))
  p = _util.select(lax.broadcast_in_dim(all_zero, p.aval.shape, ()),
                   _util.full_like(p, 1), p)
  p = _manipulation.roll(p, _ufuncs.negative(leading))
  out = _util.convert(_companion_roots(p), cdtype, False, "roots")
  is_zero = _ufuncs.equal(out, 0)
  _, out = lax.sort((lax.convert_element_type(is_zero, np.int32), out), num_keys=1)
  keep = lax.lt(lax.iota(np.int32, size - 1),
                lax.broadcast_in_dim(lax.sub(_util.full((), size - 1, np.int32), leading),
                                     (size - 1,), ()))
  return _util.select(keep, out, _util.full_like(out, complex(np.nan, np.nan)))


# --- Phases and floating-point neighbours ------------------------------------

def unwrap(p, discont=None, axis=-1, period=2 * np.pi):
  """`p` with jumps larger than `discont` (default period / 2) along `axis`
  replaced by their complement modulo `period` (numpy.unwrap)."""
  p = _inexact("unwrap", p)[0]
  if p.aval.ndim == 0:
    raise ValueError("unwrap: p must be at least 1-d")
  axis = _util.canonicalize_axis("unwrap", axis, p.aval.ndim)
  _util.check_arraylike("unwrap", period)
  if discont is None:
    discont = _div(period, 2)
  interval = _div(period, 2)
  n = p.aval.shape[axis]
  dd = _statistics.diff(p, axis=axis)
  ddmod = _sub(_ufuncs.remainder(_add(dd, interval), period), interval)
  wrap_up = _ufuncs.logical_and(_ufuncs.equal(ddmod, _ufuncs.negative(interval)),
                                _ufuncs.greater(dd, 0))
  ddmod = _shape.where(wrap_up, interval, ddmod)
  correction = _shape.where(_ufuncs.less(_ufuncs.abs(dd), discont), 0,
                            _sub(ddmod, dd))
  head = _util.slice_axis(p, axis, 0, min(n, 1))
  tail = _add(_util.slice_axis(p, axis, 1, n), _statistics.cumsum(correction, axis=axis))
  return _util.convert(_shape.concatenate([head, tail], axis=axis), p.aval.dtype,
                       False, "unwrap")


def nextafter(x, y, /):
  """The next representable float after `x` towards `y`, elementwise."""
  x, y = _util.promote_args_inexact("nextafter", x, y)
  return lax.nextafter(x, y)


# --- Multi-dimensional histograms --------------------------------------------

def _bin_index(values, edges):
  """The bin of each value: 0 below the first edge, len(edges) above the
  last, the last value counted in the last bin."""
  idx = searchsorted_1d(edges, values, side="right")
  last = lax.index_in_dim(edges, edges.aval.shape[0] - 1, keepdims=False)
  on_last = lax.eq(values, lax.broadcast_in_dim(last, values.aval.shape, ()))
  return _util.select(on_last, lax.sub(idx, _util.full_like(idx, 1)), idx)


def _per_dim(value, d, name):
  if value is None:
    return [None] * d
  value = list(value)
  if len(value) != d:
    raise ValueError(f"histogramdd: {name} must have one entry per dimension "
                     f"({d}), got {len(value)}")
  return value


def histogramdd(sample, bins=10, range=None, weights=None, density=None):  # noqa: A002
  """The d-dimensional histogram of `sample` (N points, shape (N, D)):
  (counts of shape bins, list of D edge arrays), numpy.histogramdd."""
  sample = _array(sample, "histogramdd")
  if sample.aval.ndim != 2:
    raise ValueError(f"histogramdd: sample must be 2-d (N, D), got shape "
                     f"{sample.aval.shape}")
  n, d = sample.aval.shape
  if weights is not None:
    weights = _array(weights, "histogramdd")
    if weights.aval.shape != (n,):
      raise ValueError(HISTDD_WEIGHTS_MESSAGE.format(n=n, shape=weights.aval.shape))
  if not isinstance(bins, (list, tuple)) and np.ndim(bins) == 0:
    bins = [bins] * d
  bins = _per_dim(bins, d, "bins")
  ranges = _per_dim(range, d, "range")
  edges, flat = [], None
  nbins = []
  for i in builtins_range(d):
    column = lax.index_in_dim(sample, i, axis=1, keepdims=False)
    e = histogram_bin_edges(column, bins[i], ranges[i])
    column = _util.convert(column, e.aval.dtype, False, "histogramdd")
    idx = _bin_index(column, e)
    m = e.aval.shape[0] + 1
    idx = lax.clamp(_util.full_like(idx, 0), idx, _util.full_like(idx, m - 1))
    flat = idx if flat is None else lax.add(lax.mul(flat, _util.full_like(idx, m)), idx)
    edges.append(e)
    nbins.append(m)
  if weights is None:
    updates = _util.full((n,), 1, avals_lib.default_int_dtype())
  else:
    updates = weights
    if avals_lib.is_bool(updates.aval.dtype):
      updates = _util.convert(updates, avals_lib.default_int_dtype(), False, "histogramdd")
  total = int(np.prod(nbins))
  onehot = lax.eq(lax.broadcast_in_dim(flat, (total, n), (1,)),
                  lax.broadcasted_iota(np.int32, (total, n), 0))
  counts = _reductions.sum(_shape.where(onehot, lax.broadcast_in_dim(updates, (total, n), (1,)),
                                        0), axis=1)
  hist = lax.reshape(counts, tuple(nbins))
  hist = lax.slice(hist, (1,) * d, tuple(m - 1 for m in nbins))
  if density:
    hist = _util.convert(hist, _util.default_inexact(hist.aval.dtype), False, "histogramdd")
    s = _reductions.sum(hist)
    for i, e in enumerate(edges):
      widths = _statistics.diff(e)
      hist = _div(hist, lax.broadcast_in_dim(widths, hist.aval.shape, (i,)))
    hist = _div(hist, s)
  return hist, edges


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):  # noqa: A002
  """The 2-d histogram of points (x, y): (counts, x edges, y edges),
  numpy.histogram2d. `bins` is a count or edges for both, or a pair."""
  x = _array(x, "histogram2d")
  y = _array(y, "histogram2d")
  if x.aval.ndim != 1 or x.aval.shape != y.aval.shape:
    raise ValueError(f"histogram2d: x and y must be 1-d of one length, got "
                     f"shapes {x.aval.shape} and {y.aval.shape}")
  x, y = _util.promote_dtypes_inexact("histogram2d", x, y)
  # As in numpy: a length-2 list is one entry per axis, anything else
  # (a count, or one array of edges) is shared by both.
  pair = list(bins) if isinstance(bins, (list, tuple)) and len(bins) == 2 else [bins, bins]
  hist, edges = histogramdd(_shape.stack([x, y], axis=1), pair, range, weights, density)
  return hist, edges[0], edges[1]


# --- einsum_path -------------------------------------------------------------

def einsum_path(subscripts, /, *operands, optimize="auto"):
  """The order einsum contracts `operands` in: (path, description).

  The path lists, step by step, the positions of the operands contracted
  (each result goes to the end of the list), in numpy/opt_einsum's form.
  NB: the path is the greedy one morphax.numpy.einsum itself uses (smallest
  intermediate first) for any `optimize` but False (left to right) or an
  explicit path, which is returned as given; JAX's 'optimal' search for
  few operands may pick another order of equal or lower cost.
  """
  if not isinstance(subscripts, str):
    raise NotImplementedError("einsum_path: only the subscripts-string form is supported")
  if not operands:
    raise ValueError("einsum_path: at least one operand is required")
  shapes = [tuple(np.shape(x)) if not _util.is_array(x) else x.aval.shape for x in operands]
  inputs, output = _einsum._parse(subscripts, [len(s) for s in shapes])
  inputs, output = ["".join(labels) for labels in inputs], "".join(output)
  sizes = {}
  for labels, shape in zip(inputs, shapes):
    for c, size in zip(labels, shape):
      if sizes.get(c, size) != size and 1 not in (size, sizes[c]):
        raise ValueError(f"einsum_path: size of label {c!r} is {size} in one "
                         f"operand and {sizes[c]} in another")
      sizes[c] = max(size, sizes.get(c, 1))
  if isinstance(optimize, (list, tuple)):
    path = [tuple(step) for step in optimize if step != "einsum_path"]
  elif len(operands) == 1:
    path = [(0,)]
  elif optimize is False or optimize is None:
    path = [(0, 1)] * (len(operands) - 1)
  else:
    path = _greedy_path(inputs, output, sizes)
  return path, _describe_path(subscripts, inputs, output, sizes, path)


def _greedy_path(inputs, output, sizes):
  ops = [(None, labels) for labels in inputs]
  keep_out = set(output)
  path = []
  while len(ops) > 1:
    i, j = _einsum._greedy_pair(ops, keep_out, sizes)
    rest = [op for k, op in enumerate(ops) if k not in (i, j)]
    keep = set(keep_out).union(*(set(l) for _, l in rest))
    merged = "".join(sorted((set(ops[i][1]) | set(ops[j][1])) & keep))
    path.append((i, j))
    ops = rest + [(None, merged)]
  return path


def _describe_path(subscripts, inputs, output, sizes, path):
  """A short text summary of the contraction steps."""
  lines = [f"  Complete contraction:  {subscripts}"]
  labels = list(inputs)
  for step in path:
    chosen = [labels[k] for k in step]
    rest = [l for k, l in enumerate(labels) if k not in step]
    keep = set(output).union(*(set(l) for l in rest))
    merged = "".join(sorted(set("".join(chosen)) & keep)) if rest else output
    lines.append(f"  {','.join(chosen)}->{merged}")
    labels = rest + [merged]
  return "\n".join(lines)
