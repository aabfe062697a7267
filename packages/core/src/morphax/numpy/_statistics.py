"""nan-aware reductions, statistics (median, quantile, average, ...) and
cumulative functions (cumsum, diff, ...).
"""

import builtins

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from . import _reductions, _shape, _util

__all__ = [
    "cumsum", "cumprod", "cumulative_sum", "cumulative_prod", "nancumsum",
    "nancumprod", "diff", "ediff1d", "nansum", "nanprod", "nanmax", "nanmin",
    "nanmean", "nanvar", "nanstd", "nanargmax", "nanargmin", "median",
    "nanmedian", "quantile", "nanquantile", "percentile", "nanpercentile",
    "average", "ptp", "count_nonzero",
]

QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest",
                    "inverted_cdf", "averaged_inverted_cdf",
                    "closest_observation", "interpolated_inverted_cdf",
                    "hazen", "weibull", "median_unbiased", "normal_unbiased")
_SUPPORTED_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


_dtype = _util.dtype_of
_const = _util.const_like
_where = _util.select
_isnan = _util.isnan


def _no_out(name, out):
  if out is not None:
    raise NotImplementedError(
        f"{name}: the out argument is not supported; morphax arrays are "
        "immutable, use the return value")


def _array(name, a, out=None):
  _no_out(name, out)
  return _util.ensure_array(a, name)


def _replace_nan(a, value):
  if not avals_lib.is_inexact(_dtype(a)):
    return a
  return _where(_isnan(a), _const(a, value), a)


# --- Cumulative functions ----------------------------------------------------

def _cumulative(name, lax_fn, a, axis, dtype, nan_fill=None):
  if nan_fill is not None:
    a = _replace_nan(a, nan_fill)
  if axis is None:
    a = lax.reshape(a, (a.aval.size,))
    axis = 0
  axis = _util.canonicalize_axis(name, axis, a.aval.ndim)
  if dtype is None:
    result = _reductions._promote_integer_dtype(_dtype(a))
  else:
    result = _util.canonical_dtype(name, dtype)
  compute = result
  if avals_lib.is_bool(compute):
    compute = avals_lib.default_int_dtype()
  x = _util.convert(a, compute, False, name)
  return _util.convert(lax_fn(x, axis), result, False, name)


def cumsum(a, axis=None, dtype=None, out=None):
  """Cumulative sum along `axis` (of the flattened array if None).

  Example: `cumsum(jnp.array([1, 2, 3]))` is [1, 3, 6]. Follows jnp.cumsum:
  bools and narrow integers accumulate in the default int.
  """
  a = _array("cumsum", a, out)
  return _cumulative("cumsum", lax.cumsum, a, axis, dtype)


def cumprod(a, axis=None, dtype=None, out=None):
  """Cumulative product along `axis` (see cumsum).

  Example: `cumprod(jnp.array([1, 2, 3]))` is [1, 2, 6].
  """
  a = _array("cumprod", a, out)
  return _cumulative("cumprod", lax.cumprod, a, axis, dtype)


def nancumsum(a, axis=None, dtype=None, out=None):
  """cumsum with NaNs counted as 0. Example: [1, nan, 2] gives [1, 1, 3]."""
  a = _array("nancumsum", a, out)
  return _cumulative("nancumsum", lax.cumsum, a, axis, dtype, nan_fill=0)


def nancumprod(a, axis=None, dtype=None, out=None):
  """cumprod with NaNs counted as 1. Example: [2, nan, 3] gives [2, 2, 6]."""
  a = _array("nancumprod", a, out)
  return _cumulative("nancumprod", lax.cumprod, a, axis, dtype, nan_fill=1)


def _array_api_cumulative(name, lax_fn, identity, x, axis, dtype, include_initial):
  x = _util.ensure_array(x, name)
  if axis is None:
    if x.aval.ndim > 1:
      raise ValueError(f"{name}: axis must be given for arrays of more than "
                       f"one dimension, got shape {x.aval.shape}")
    axis = 0
  if x.aval.ndim == 0:
    raise ValueError(f"{name}: the input must have at least one dimension, "
                     "got a 0-d array")
  axis = _util.canonicalize_axis(name, axis, x.aval.ndim)
  out = _cumulative(name, lax_fn, x, axis, dtype)
  if include_initial:
    shape = list(out.aval.shape)
    shape[axis] = 1
    first = _util.full(tuple(shape), identity, _dtype(out))
    out = lax.concatenate([first, out], axis)
  return out


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
  """The array API's cumulative sum: cumsum along `axis` (needed unless x
  is 1-D), with a leading 0 when `include_initial`.

  Example: `cumulative_sum(jnp.array([1, 2]), include_initial=True)` is
  [0, 1, 3].
  """
  return _array_api_cumulative("cumulative_sum", lax.cumsum, 0, x, axis,
                               dtype, include_initial)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
  """The array API's cumulative product (see cumulative_sum; the initial
  value is 1)."""
  return _array_api_cumulative("cumulative_prod", lax.cumprod, 1, x, axis,
                               dtype, include_initial)


def _edge(name, value, like, axis):
  """`value` (scalar or array) shaped to concatenate to `like` on `axis`."""
  value = _util.convert(_util.ensure_array(value, name), _dtype(like), False, name)
  if value.aval.ndim == 0:
    shape = list(like.aval.shape)
    shape[axis] = 1
    return _util.broadcast_to_shape(value, tuple(shape))
  return value


def diff(a, n=1, axis=-1, prepend=None, append=None):
  """The n-th discrete difference along `axis`: a[1:] - a[:-1], n times.

  Example: `diff(jnp.array([1, 4, 9]))` is [3, 5]. `prepend`/`append`
  (scalars or arrays) are joined to `a` first. Booleans give a != b, as
  in NumPy.
  """
  a = _util.ensure_array(a, "diff")
  n = _util.concrete_value("diff", n)
  if n.ndim != 0 or n.dtype.kind not in "iu":
    raise TypeError(f"diff: n must be an integer, got {n!r}")
  n = int(n)
  if n < 0:
    raise ValueError(f"diff: order must be non-negative but got {n}")
  if a.aval.ndim == 0:
    raise ValueError("diff requires input that is at least one dimensional, "
                     "got a 0-d array")
  axis = _util.canonicalize_axis("diff", axis, a.aval.ndim)
  parts = []
  if prepend is not None:
    parts.append(_edge("diff", prepend, a, axis))
  parts.append(a)
  if append is not None:
    parts.append(_edge("diff", append, a, axis))
  if len(parts) > 1:
    a = _shape.concatenate(parts, axis)
  is_bool = avals_lib.is_bool(_dtype(a))
  for _ in range(n):
    size = a.aval.shape[axis]
    if size == 0:
      break
    hi = _util.slice_axis(a, axis, 1, size)
    lo = _util.slice_axis(a, axis, 0, size - 1)
    a = lax.ne(hi, lo) if is_bool else lax.sub(hi, lo)
  return a


def ediff1d(ary, to_end=None, to_begin=None):
  """Differences of consecutive entries of the flattened array, with
  `to_begin` and `to_end` (flattened) around them.

  Example: `ediff1d(jnp.array([1, 2, 4]), to_begin=0)` is [0, 1, 2].
  """
  a = _util.ensure_array(ary, "ediff1d")
  a = lax.reshape(a, (a.aval.size,))
  out = diff(a) if a.aval.size else a
  parts = []
  for value in (to_begin, out, to_end):
    if value is None:
      continue
    if value is not out:
      value = _util.convert(_util.ensure_array(value, "ediff1d"), _dtype(out),
                            False, "ediff1d")
      value = lax.reshape(value, (value.aval.size,))
    parts.append(value)
  return parts[0] if len(parts) == 1 else lax.concatenate(parts, 0)


# --- nan-aware reductions ----------------------------------------------------

def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
           where=None):
  """sum with NaNs counted as 0. Example: nansum([1, nan]) is 1."""
  a = _array("nansum", a, out)
  return _reductions.sum(_replace_nan(a, 0), axis, dtype, None, keepdims,
                         initial, where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
            where=None):
  """prod with NaNs counted as 1. Example: nanprod([2, nan]) is 2."""
  a = _array("nanprod", a, out)
  return _reductions.prod(_replace_nan(a, 1), axis, dtype, None, keepdims,
                          initial, where)


def _nan_extremum(name, reducer, fill, a, axis, out, keepdims, initial, where):
  a = _array(name, a, out)
  if not avals_lib.is_inexact(_dtype(a)):
    return reducer(a, axis, None, keepdims, initial, where)
  nan = _isnan(a)
  res = reducer(_where(nan, _const(a, fill), a), axis, None, keepdims, initial,
                where)
  all_nan = _reductions.all(nan, axis, None, keepdims, where=where)
  if initial is not None:
    return res
  return _where(all_nan, _const(res, np.nan), res)


def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
  """max ignoring NaNs; NaN where a slice holds only NaNs.

  Example: nanmax([1, nan, 3]) is 3. Follows jnp.nanmax (NumPy also warns
  on all-NaN slices).
  """
  return _nan_extremum("nanmax", _reductions.max, -np.inf, a, axis, out,
                       keepdims, initial, where)


def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
  """min ignoring NaNs; NaN where a slice holds only NaNs (see nanmax)."""
  return _nan_extremum("nanmin", _reductions.min, np.inf, a, axis, out,
                       keepdims, initial, where)


def _nan_count(name, a, axis, keepdims, where, dtype):
  valid = lax.bitwise_not(_isnan(a))
  return _reductions.sum(valid, axis, dtype, None, keepdims, where=where)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
  """mean over the entries that are not NaN (NaN if there are none).

  Example: nanmean([1, nan, 3]) is 2.
  """
  a = _array("nanmean", a, out)
  if not avals_lib.is_inexact(_dtype(a)):
    return _reductions.mean(a, axis, dtype, None, keepdims, where=where)
  result = _dtype(a) if dtype is None else _util.canonical_dtype("nanmean", dtype)
  compute = _reductions._upcast_f16(_util.default_inexact(result))
  total = nansum(a, axis, compute, None, keepdims, where=where)
  count = _nan_count("nanmean", a, axis, keepdims, where,
                     _reductions._real_dtype(compute))
  count = _util.convert(count, compute, False, "nanmean")
  return _util.convert(lax.div(total, count), result, False, "nanmean")


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False,
           where=None):
  """var over the entries that are not NaN: sum|x - m|**2 / (count - ddof).

  Example: nanvar([1, nan, 3]) is 1.
  """
  a = _array("nanvar", a, out)
  if not avals_lib.is_inexact(_dtype(a)):
    return _reductions.var(a, axis, dtype, None, ddof, keepdims, where=where)
  result = (_reductions._real_dtype(_dtype(a)) if dtype is None
            else _util.canonical_dtype("nanvar", dtype))
  compute = _reductions._upcast_f16(_dtype(a))
  x = _util.convert(a, compute, False, "nanvar")
  mean = nanmean(x, axis, keepdims=True, where=where)
  centered = lax.sub(x, _util.broadcast_to_shape(mean, x.aval.shape))
  if avals_lib.is_complex(compute):
    squares = lax.real(lax.mul(centered, lax.conj(centered)))
  else:
    squares = lax.mul(centered, centered)
  total = nansum(squares, axis, None, None, keepdims, where=where)
  count = _nan_count("nanvar", x, axis, keepdims, where, _dtype(total))
  count = lax.max(lax.sub(count, _const(count, ddof)), _const(count, 0))
  return _util.convert(lax.div(total, count), result, False, "nanvar")


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False,
           where=None):
  """sqrt(nanvar(...)). Example: nanstd([1, nan, 3]) is 1."""
  a = _array("nanstd", a, out)
  v = nanvar(a, axis, None, None, ddof, keepdims, where)
  res = lax.sqrt(v)
  if dtype is not None:
    res = _util.convert(res, _util.canonical_dtype("nanstd", dtype), False,
                        "nanstd")
  return res


def _nan_arg(name, arg_fn, fill, a, axis, out, keepdims):
  a = _array(name, a, out)
  if not avals_lib.is_inexact(_dtype(a)):
    return arg_fn(a, axis, None, keepdims)
  nan = _isnan(a)
  res = arg_fn(_where(nan, _const(a, fill), a), axis, None, keepdims)
  all_nan = _reductions.all(nan, axis, None, bool(keepdims))
  if axis is None and keepdims:
    all_nan = lax.reshape(all_nan, res.aval.shape)
  return _where(all_nan, _const(res, -1), res)


def nanargmax(a, axis=None, out=None, keepdims=None):
  """argmax ignoring NaNs; -1 where a slice holds only NaNs.

  Example: nanargmax([1, nan, 3]) is 2. NB: NumPy raises for an all-NaN
  slice; like JAX, this returns -1 (values are not inspected eagerly).
  """
  return _nan_arg("nanargmax", _reductions.argmax, -np.inf, a, axis, out,
                  keepdims)


def nanargmin(a, axis=None, out=None, keepdims=None):
  """argmin ignoring NaNs; -1 where a slice holds only NaNs (see nanargmax)."""
  return _nan_arg("nanargmin", _reductions.argmin, np.inf, a, axis, out,
                  keepdims)


# --- Order statistics --------------------------------------------------------

def _inexact_arrays(name, *args):
  """`args` as arrays of their common inexact dtype (not broadcast)."""
  _util.check_arraylike(name, *args)
  dtype, _ = _util.result_type(*args)
  dtype = _util.default_inexact(dtype)
  return [_util.convert(_util.ensure_array(x, name), dtype, False, name)
          for x in args]


def _quantile(name, a, q, axis, method, keepdims, ignore_nan):
  if method not in QUANTILE_METHODS:
    raise ValueError(f"{name}: method must be one of {QUANTILE_METHODS}, "
                     f"got {method!r}")
  if method not in _SUPPORTED_METHODS:
    raise NotImplementedError(f"{name}: method {method!r} is not supported; "
                              f"use one of {_SUPPORTED_METHODS}")
  a, q = _inexact_arrays(name, a, q)
  if avals_lib.is_complex(_dtype(a)):
    raise TypeError(f"{name} does not accept complex arguments, got dtype "
                    f"{_dtype(a).name}")
  if q.aval.ndim > 1:
    raise ValueError(f"{name}: q must be a scalar or 1-D, got shape "
                     f"{q.aval.shape}")
  ndim = a.aval.ndim
  axes = _util.canonicalize_axes(name, axis, ndim)
  keep_shape = tuple(1 if i in axes else d for i, d in enumerate(a.aval.shape))
  rest = [i for i in range(ndim) if i not in axes]
  x = lax.transpose(a, tuple(rest) + axes) if ndim else a
  batch = tuple(a.aval.shape[i] for i in rest)
  n = int(np.prod([a.aval.shape[i] for i in axes], dtype=np.int64))
  x = lax.reshape(x, batch + (n,))
  nan = _isnan(x)
  x = lax.sort(x, dimension=len(batch))
  if ignore_nan:
    count = _reductions.sum(lax.bitwise_not(nan), -1, _dtype(x))
  else:
    count = _util.full(batch, n, _dtype(x))
  # Positions: q broadcast against the batch, shape q.shape + batch.
  qb = lax.broadcast_in_dim(q, q.aval.shape + batch, tuple(range(q.aval.ndim)))
  cb = lax.broadcast_in_dim(count, q.aval.shape + batch,
                            tuple(range(q.aval.ndim, q.aval.ndim + len(batch))))
  last = lax.max(lax.sub(cb, _const(cb, 1)), _const(cb, 0))
  pos = lax.mul(qb, last)
  low = lax.clamp(_const(pos, 0), lax.floor(pos), last)
  high = lax.clamp(_const(pos, 0), lax.ceil(pos), last)
  frac = lax.sub(pos, low)
  if method == "nearest":
    low = high = lax.round(pos, lax.RoundingMethod.TO_NEAREST_EVEN)
  elif method == "lower":
    high = low
  elif method == "higher":
    low = high
  xs = lax.broadcast_in_dim(x, qb.aval.shape + (n,),
                            tuple(range(q.aval.ndim, qb.aval.ndim + 1)))
  iota = lax.broadcasted_iota(_dtype(x), xs.aval.shape, xs.aval.ndim - 1)

  def pick(index):
    idx = lax.broadcast_in_dim(index, xs.aval.shape, tuple(range(qb.aval.ndim)))
    return _reductions.sum(_where(lax.eq(iota, idx), xs, _const(xs, 0)), -1)

  low_v = pick(low)
  if method in ("lower", "higher", "nearest"):
    res = low_v
  else:
    high_v = pick(high)
    if method == "midpoint":
      res = lax.mul(lax.add(low_v, high_v), _const(low_v, 0.5))
    else:
      one_minus = lax.sub(_const(frac, 1), frac)
      res = lax.add(lax.mul(low_v, one_minus), lax.mul(high_v, frac))
      # 0 * inf must not spoil an exact position.
      res = _where(lax.eq(frac, _const(frac, 0)), low_v, res)
  if ignore_nan:
    res = _where(lax.eq(cb, _const(cb, 0)), _const(res, np.nan), res)
  elif n:
    any_nan = _reductions.any(nan, -1)
    any_nan = lax.broadcast_in_dim(any_nan, res.aval.shape,
                                   tuple(range(q.aval.ndim, res.aval.ndim)))
    res = _where(any_nan, _const(res, np.nan), res)
  else:
    res = _const(res, np.nan)
  if keepdims:
    res = lax.reshape(res, q.aval.shape + keep_shape)
  return res


def quantile(a, q, axis=None, out=None, overwrite_input=False,
             method="linear", keepdims=False):
  """The q-th quantiles of `a` along `axis` (None: all; an int or tuple).

  Example: `quantile(jnp.array([1., 2., 3., 4.]), 0.5)` is 2.5. `q` is a
  scalar or 1-D; the result has q's shape in front. Methods 'linear',
  'lower', 'higher', 'midpoint' and 'nearest' (NumPy's definitions); a NaN
  in a slice gives NaN. NB: like JAX, q outside [0, 1] is not checked.
  """
  _no_out("quantile", out)
  del overwrite_input
  return _quantile("quantile", a, q, axis, method, keepdims, False)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False,
                method="linear", keepdims=False):
  """quantile over the entries that are not NaN (NaN if there are none)."""
  _no_out("nanquantile", out)
  del overwrite_input
  return _quantile("nanquantile", a, q, axis, method, keepdims, True)


def _percent(name, q):
  _util.check_arraylike(name, q)
  q = _util.ensure_array(q, name)
  if not avals_lib.is_inexact(_dtype(q)):
    q = _util.convert(q, _util.default_inexact(_dtype(q)), q.aval.weak_type, name)
  return lax.div(q, _const(q, 100))


def percentile(a, q, axis=None, out=None, overwrite_input=False,
               method="linear", keepdims=False):
  """quantile with q in percent. Example: percentile([1, 2, 3], 50) is 2."""
  _no_out("percentile", out)
  del overwrite_input
  return _quantile("percentile", a, _percent("percentile", q), axis, method,
                   keepdims, False)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False,
                  method="linear", keepdims=False):
  """nanquantile with q in percent."""
  _no_out("nanpercentile", out)
  del overwrite_input
  return _quantile("nanpercentile", a, _percent("nanpercentile", q), axis,
                   method, keepdims, True)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
  """The median along `axis`: quantile(a, 0.5). Example: median([3, 1, 2]) is 2."""
  _no_out("median", out)
  return _quantile("median", a, 0.5, axis, "midpoint", keepdims, False)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
  """The median of the entries that are not NaN."""
  _no_out("nanmedian", out)
  return _quantile("nanmedian", a, 0.5, axis, "midpoint", keepdims, True)


# --- Weighted means and spreads ----------------------------------------------

def average(a, axis=None, weights=None, returned=False, keepdims=False):
  """The weighted mean sum(a * w) / sum(w) over `axis` (mean if no weights).

  Example: `average(jnp.array([1., 3.]), weights=jnp.array([3., 1.]))` is
  1.5. `weights` has a's shape, or is 1-D along an integer `axis`. With
  `returned`, also gives the sum of the weights (broadcast like the result).
  """
  a = _util.ensure_array(a, "average")
  ndim = a.aval.ndim
  if weights is None:
    avg = _reductions.mean(a, axis, keepdims=keepdims)
    if not returned:
      return avg
    axes = _util.canonicalize_axes("average", axis, ndim)
    n = int(np.prod([a.aval.shape[i] for i in axes], dtype=np.int64))
    return avg, _util.full(avg.aval.shape, n, _dtype(avg))
  a, w = _inexact_arrays("average", a, weights)
  if w.aval.shape != a.aval.shape:
    if axis is None:
      raise ValueError(f"average: axis must be given when the shapes of a "
                       f"{a.aval.shape} and weights {w.aval.shape} differ")
    if not isinstance(axis, int) or isinstance(axis, builtins.bool):
      raise TypeError(f"average: a single integer axis is needed for 1-D "
                      f"weights, got axis={axis!r}")
    ax = _util.canonicalize_axis("average", axis, ndim)
    if w.aval.ndim != 1:
      raise TypeError(f"average: 1-D weights expected when the shapes of a "
                      f"{a.aval.shape} and weights {w.aval.shape} differ")
    if w.aval.shape[0] != a.aval.shape[ax]:
      raise ValueError(f"average: the length of weights {w.aval.shape[0]} "
                       f"differs from a.shape[{axis}] = {a.aval.shape[ax]}")
    w = lax.broadcast_in_dim(w, a.aval.shape, (ax,))
  scale = _reductions.sum(w, axis, keepdims=keepdims)
  total = _reductions.sum(lax.mul(a, w), axis, keepdims=keepdims)
  avg = lax.div(total, scale)
  if returned:
    return avg, _util.broadcast_to_shape(scale, avg.aval.shape)
  return avg


def ptp(a, axis=None, out=None, keepdims=False):
  """Peak to peak: max - min along `axis`. Example: ptp([4, 1, 3]) is 3."""
  a = _array("ptp", a, out)
  if avals_lib.is_bool(_dtype(a)):
    raise TypeError("ptp: boolean arrays are not supported (max - min is a "
                    "boolean subtract); convert to an integer dtype first")
  hi = _reductions.max(a, axis, None, keepdims)
  lo = _reductions.min(a, axis, None, keepdims)
  return lax.sub(hi, lo)


def count_nonzero(a, axis=None, keepdims=False):
  """How many entries along `axis` are nonzero, as the default int.

  Example: `count_nonzero(jnp.array([0, 1, 2]))` is 2.
  """
  a = _util.ensure_array(a, "count_nonzero")
  truth = a if avals_lib.is_bool(_dtype(a)) else lax.ne(a, _const(a, 0))
  return _reductions.sum(truth, axis, avals_lib.default_int_dtype(), None,
                         keepdims)
