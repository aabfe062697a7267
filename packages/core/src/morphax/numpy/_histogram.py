"""Counting and binning: bincount, histogram, histogram_bin_edges, digitize,
written on a scatter-add and the binary search of _polynomial.
"""

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from ..core.trace import Tracer
from . import _shape, _util
from ._creation import linspace
from ._polynomial import searchsorted_1d

__all__ = ["bincount", "histogram", "histogram_bin_edges", "digitize"]

BINCOUNT_LENGTH_MESSAGE = (
    "bincount: x is a traced array, so the result length is unknown; pass "
    "length=<int> (e.g. jnp.bincount(x, length=10))")
BINS_MESSAGE = (
    "{name}: bins must be a positive int or a 1-d array of bin edges, got "
    "{bins!r:.60} (string estimators like 'auto' are not supported)")


def _scatter_add_1d(length, indices, updates):
  """zeros(length).at[indices].add(updates), out-of-range indices dropped."""
  dnums = lax.ScatterDimensionNumbers(
      update_window_dims=(), inserted_window_dims=(0,),
      scatter_dims_to_operand_dims=(0,))
  zeros = _util.full((length,), 0, updates.aval.dtype)
  return lax.scatter_add(zeros, lax.expand_dims(indices, (1,)), updates, dnums,
                         mode="drop")


def bincount(x, weights=None, minlength=0, *, length=None):
  """The number of occurrences of each value in the non-negative int array
  `x` (or the sum of `weights` at each value), numpy.bincount.

  >>> jnp.bincount(jnp.array([0, 1, 1, 3]))     # [1, 2, 0, 1]
  The result has length max(x.max() + 1, minlength), which needs a
  concrete `x`; under jit pass `length` (values >= length are dropped).
  Follows jax.numpy: negative values count as 0.
  """
  x = _util.ensure_array(x, "bincount")
  if not (avals_lib.is_integer(x.aval.dtype) or x.aval.dtype == np.bool_):
    raise TypeError(f"bincount: x must be an integer array, got dtype {x.aval.dtype}")
  if x.aval.ndim != 1:
    raise ValueError(f"bincount: x must be 1-d, got shape {x.aval.shape}")
  minlength = int(minlength)
  if minlength < 0:
    raise ValueError(f"bincount: minlength must be non-negative, got {minlength}")
  if length is None:
    if isinstance(x, Tracer):
      raise ValueError(BINCOUNT_LENGTH_MESSAGE)
    value = np.asarray(x)
    length = max(minlength, int(value.max()) + 1 if value.size else 0)
  length = int(length)
  if weights is None:
    updates = _util.full(x.aval.shape, 1, avals_lib.default_int_dtype())
  else:
    updates = _util.ensure_array(weights, "bincount")
    if updates.aval.dtype == np.bool_:
      updates = lax.convert_element_type(updates, avals_lib.default_int_dtype())
    if updates.aval.shape != x.aval.shape:
      raise ValueError(f"bincount: weights shape {updates.aval.shape} must match x "
                       f"shape {x.aval.shape}")
  idx = lax.convert_element_type(x, np.int32)
  idx = lax.max(idx, _util.full_like(idx, 0))
  return _scatter_add_1d(length, idx, updates)


def _range(name, a, range):
  if range is not None:
    if len(range) != 2:
      raise ValueError(f"{name}: range must be a (min, max) pair, got {range!r}")
    lo, hi = (_util.convert(_util.ensure_array(r, name), a.aval.dtype, False, name)
              for r in range)
    return lo, hi
  if a.aval.size == 0:
    return (_util.convert(0, a.aval.dtype, False, name),
            _util.convert(1, a.aval.dtype, False, name))
  return lax.reduce_min(a, tuple(range_(a.aval.ndim))), \
      lax.reduce_max(a, tuple(range_(a.aval.ndim)))


range_ = range


def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002
  """The bin edges `histogram` uses: `bins` + 1 equal-width edges over
  `range` (default the data's min and max; widened by 0.5 each way if
  they are equal), or the given edges (numpy.histogram_bin_edges)."""
  del weights
  name = "histogram_bin_edges"
  a = _util.ensure_array(a, name)
  dtype = _util.default_inexact(a.aval.dtype)
  if isinstance(bins, str):
    raise NotImplementedError(BINS_MESSAGE.format(name=name, bins=bins))
  if _util.is_array(bins) or isinstance(bins, (list, tuple, np.ndarray)):
    edges = _util.ensure_array(np.asarray(bins) if isinstance(bins, (list, tuple)) else bins,
                               name)
    if edges.aval.ndim != 1:
      raise ValueError(BINS_MESSAGE.format(name=name, bins=bins))
    return _util.convert(edges, _util.default_inexact(edges.aval.dtype), False, name)
  try:
    nbins = int(bins)
  except TypeError:
    raise TypeError(BINS_MESSAGE.format(name=name, bins=bins)) from None
  if nbins < 1:
    raise ValueError(BINS_MESSAGE.format(name=name, bins=bins))
  a = _util.convert(a, dtype, False, name)
  lo, hi = _range(name, a, range)
  half = _util.convert(0.5, dtype, False, name)
  same = lax.eq(lo, hi)
  lo = lax.select_n(same, lo, lax.sub(lo, half))
  hi = lax.select_n(same, hi, lax.add(hi, half))
  return linspace(lo, hi, nbins + 1)


def histogram(a, bins=10, range=None, weights=None, density=None):  # noqa: A002
  """The histogram of the flattened `a`: (counts, bin_edges), as
  numpy.histogram. Bins are half-open [e_i, e_i+1) except the last, which
  includes its right edge; values outside the edges are not counted.

  >>> counts, edges = jnp.histogram(jnp.array([1., 2., 2., 5.]), bins=2)
  Follows jax.numpy: counts are floats (the dtype of the weights, or of
  `a` made inexact), and the result shapes are static, so it works under jit.
  """
  name = "histogram"
  a = _shape.ravel(_util.ensure_array(a, name))
  edges = histogram_bin_edges(a, bins, range)
  if weights is None:
    w = _util.full(a.aval.shape, 1, edges.aval.dtype)
  else:
    w = _shape.ravel(_util.ensure_array(weights, name))
    if w.aval.shape != a.aval.shape:
      raise ValueError(f"histogram: weights must have the shape of a, got "
                       f"{w.aval.shape} (flattened) and {a.aval.shape}")
  a = _util.convert(a, edges.aval.dtype, False, name)
  n = edges.aval.shape[0]
  idx = searchsorted_1d(edges, a, side="right")
  last = lax.broadcast_in_dim(lax.index_in_dim(edges, n - 1, 0, False), a.aval.shape, ())
  idx = lax.select_n(lax.eq(a, last), idx, _util.full_like(idx, n - 1))
  counts = _scatter_add_1d(n + 1, idx, w)
  counts = _util.slice_axis(counts, 0, 1, n)
  if density:
    widths = lax.sub(_util.slice_axis(edges, 0, 1, n), _util.slice_axis(edges, 0, 0, n - 1))
    counts = _util.convert(counts, _util.default_inexact(counts.aval.dtype), False, name)
    total = lax.reduce_sum(counts, (0,))
    counts = lax.div(counts, lax.mul(lax.broadcast_in_dim(total, (n - 1,), ()),
                                     _util.convert(widths, counts.aval.dtype, False, name)))
  return counts, edges


def digitize(x, bins, right=False, *, method=None):
  """The index of the bin of `bins` each value of `x` falls in
  (numpy.digitize): for increasing bins, i with bins[i-1] <= x < bins[i]
  (bins[i-1] < x <= bins[i] when `right`); decreasing bins work too.

  >>> jnp.digitize(jnp.array([0.5, 1.5]), jnp.array([0., 1., 2.]))   # [1, 2]
  """
  del method
  name = "digitize"
  _util.check_arraylike(name, x, bins)
  x, bins = _util.promote_dtypes(name, _util.ensure_array(x, name), _util.ensure_array(bins, name))
  if bins.aval.ndim != 1:
    raise ValueError(f"digitize: bins must be 1-d, got shape {bins.aval.shape}")
  n = bins.aval.shape[0]
  if n == 0:
    return _util.full(x.aval.shape, 0, avals_lib.default_int_dtype())
  side = "left" if right else "right"
  increasing = searchsorted_1d(bins, x, side)
  decreasing = lax.sub(_util.full(x.aval.shape, n, np.int32),
                       searchsorted_1d(lax.rev(bins, (0,)), x, side))
  up = lax.ge(lax.index_in_dim(bins, n - 1, 0, False), lax.index_in_dim(bins, 0, 0, False))
  out = lax.select_n(lax.broadcast_in_dim(up, x.aval.shape, ()), decreasing, increasing)
  return lax.convert_element_type(out, avals_lib.default_int_dtype())
