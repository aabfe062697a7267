"""Sorting and searching: sort, argsort, lexsort, partition, searchsorted,
nonzero/argwhere/flatnonzero with size= for use under jit.
"""

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from . import _take, _util

__all__ = ["sort", "argsort", "lexsort", "sort_complex", "partition",
           "argpartition", "searchsorted", "nonzero", "argwhere",
           "flatnonzero"]

SORT_ORDER_MESSAGE = (
    "{name}: the 'order' argument is not supported (it sorts structured "
    "arrays, which JAX does not have)")
KTH_MESSAGE = ("{name}: kth={kth} is out of bounds for axis {axis} of size "
               "{size} (shape {shape})")
SEARCH_METHODS = ("scan", "scan_unrolled", "sort", "compare_all")


def _int_dtype():
  return avals_lib.default_int_dtype()


def _sort_operand(name, a, axis):
  """(a, axis): flattened for axis=None, else `axis` made non-negative."""
  a = _util.ensure_array(a, name)
  if axis is None:
    return _take.ravel(a), 0
  return a, _util.canonicalize_axis(name, axis, a.aval.ndim)


def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
  """A sorted copy of `a` along `axis` (the flattened `a` if None).

  Follows jax.numpy.sort: NaNs sort last (first when `descending`), -0.0
  equals 0.0, complex numbers sort by real then imaginary part. Equal
  entries keep their order (`stable`; the sort is always stable). `kind`
  is ignored.

  Example: sort(jnp.array([3., 1., 2.])) is [1., 2., 3.].
  """
  if order is not None:
    raise ValueError(SORT_ORDER_MESSAGE.format(name="sort"))
  a, axis = _sort_operand("sort", a, axis)
  if descending:
    return lax.rev(lax.sort(lax.rev(a, (axis,)), dimension=axis,
                            is_stable=True), (axis,))
  return lax.sort(a, dimension=axis, is_stable=True)


def argsort(a, axis=-1, *, kind=None, order=None, stable=True,
            descending=False):
  """The indices that sort `a` along `axis` (the flattened `a` if None).

  Follows jax.numpy.argsort: stable (equal entries keep their order, also
  when `descending`), NaNs last (first when descending); int32 indices (int64
  with x64).

  Example: argsort(jnp.array([3., 1., 2.])) is [1, 2, 0].
  """
  if order is not None:
    raise ValueError(SORT_ORDER_MESSAGE.format(name="argsort"))
  a, axis = _sort_operand("argsort", a, axis)
  iota = lax.broadcasted_iota(_int_dtype(), a.aval.shape, axis)
  if descending:
    n = a.aval.shape[axis]
    _, perm = lax.sort((lax.rev(a, (axis,)), iota), dimension=axis,
                       is_stable=True, num_keys=1)
    return lax.rev(lax.sub(lax.full_like(perm, n - 1), perm), (axis,))
  _, perm = lax.sort((a, iota), dimension=axis, is_stable=True, num_keys=1)
  return perm


def lexsort(keys, axis=-1):
  """The indices that sort by several keys, the LAST key being the primary.

  Follows jax.numpy.lexsort: `keys` is a sequence of arrays (or an array
  whose first axis lists them), broadcast together; the sort is stable.

  Example: lexsort([first_names, surnames]) orders by surname, then first
  name.
  """
  if _util.is_array(keys) or isinstance(keys, np.ndarray):
    keys = _util.ensure_array(keys, "lexsort")
    if keys.aval.ndim == 0:
      raise TypeError("lexsort: keys must be a sequence of arrays or an array "
                      "of rank >= 1, got a 0-d array")
    keys = [lax.index_in_dim(keys, i, 0, keepdims=False)
            for i in range(keys.aval.shape[0])]
  keys = list(keys)
  if not keys:
    raise TypeError("lexsort: need a sequence of keys with len > 0")
  _util.check_arraylike("lexsort", *keys)
  keys = _util.promote_shapes("lexsort", *[_util.ensure_array(k, "lexsort")
                                          for k in keys])
  shape = keys[0].aval.shape
  if not shape:
    raise TypeError("lexsort: keys must be arrays of rank >= 1, got 0-d keys")
  axis = _util.canonicalize_axis("lexsort", axis, len(shape))
  iota = lax.broadcasted_iota(_int_dtype(), shape, axis)
  *_, perm = lax.sort((*keys[::-1], iota), dimension=axis, is_stable=True,
                      num_keys=len(keys))
  return perm


def sort_complex(a):
  """`a` sorted along its last axis (real part first), as a complex array.

  Follows jax.numpy.sort_complex: real inputs become complex64 (complex128
  for float64 inputs with x64).

  Example: sort_complex(jnp.array([3, 1])) is [1.+0.j, 3.+0.j].
  """
  a = sort(a, axis=-1)
  dtype = a.aval.dtype
  if not avals_lib.is_complex(dtype):
    wide = avals_lib.is_float(dtype) and dtype.itemsize == 8
    dtype = np.dtype(np.complex128 if wide else np.complex64)
    a = lax.convert_element_type(a, dtype)
  return a


def _check_kth(name, kth, a, axis):
  if isinstance(kth, (bool, np.bool_)) or not isinstance(kth, (int, np.integer)):
    raise TypeError(f"{name}: kth must be a static integer, got {kth!r:.40} "
                    "(JAX does not take a sequence of kth values)")
  n = a.aval.shape[axis]
  if not -n <= kth < n:
    raise ValueError(KTH_MESSAGE.format(name=name, kth=kth, axis=axis, size=n,
                                        shape=a.aval.shape))


def partition(a, kth, axis=-1):
  """`a` rearranged along `axis` so that entry `kth` is where a sort would
  put it, smaller entries before it and larger ones after.

  Follows jax.numpy.partition (kth a single integer).

  Example: partition(jnp.array([3, 4, 1, 2]), 1)[1] is 2.

  NB: it sorts fully, which is a valid partition; the order within each side
  may differ from NumPy's.
  """
  a = _util.ensure_array(a, "partition")
  axis = _util.canonicalize_axis("partition", axis, a.aval.ndim)
  _check_kth("partition", kth, a, axis)
  return lax.sort(a, dimension=axis, is_stable=True)


def argpartition(a, kth, axis=-1):
  """The indices that partition `a` along `axis` around entry `kth`.

  Follows jax.numpy.argpartition (kth a single integer).

  NB: it is a stable argsort, which is a valid partition; the order within
  each side may differ from NumPy's.
  """
  a = _util.ensure_array(a, "argpartition")
  axis = _util.canonicalize_axis("argpartition", axis, a.aval.ndim)
  _check_kth("argpartition", kth, a, axis)
  return argsort(a, axis=axis)


# --- searchsorted -------------------------------------------------------------

def _isnan(x):
  return lax.ne(x, x)


def _float_less(x, y):
  """x < y in sort order: NaN after every number."""
  return lax.bitwise_or(lax.lt(x, y), lax.bitwise_and(
      lax.bitwise_not(_isnan(x)), _isnan(y)))


def _float_equal(x, y):
  return lax.bitwise_or(lax.eq(x, y), lax.bitwise_and(_isnan(x), _isnan(y)))


def sort_less(x, y):
  """Elementwise x < y in the order lax.sort uses (NaNs last, complex
  numbers by real then imaginary part); x and y of one shape and dtype."""
  dtype = x.aval.dtype
  if avals_lib.is_complex(dtype):
    xr, yr, xi, yi = lax.real(x), lax.real(y), lax.imag(x), lax.imag(y)
    return lax.bitwise_or(_float_less(xr, yr), lax.bitwise_and(
        _float_equal(xr, yr), _float_less(xi, yi)))
  if avals_lib.is_float(dtype):
    return _float_less(x, y)
  if dtype == avals_lib.bool_:
    return lax.bitwise_and(lax.bitwise_not(x), y)
  return lax.lt(x, y)


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
  """Where to insert `v` into the sorted 1-D `a` to keep it sorted.

  Follows jax.numpy.searchsorted: side 'left' gives the first suitable
  index, 'right' the last; `sorter` are indices that sort `a`; NaNs count as
  larger than every number. Returns int32 indices of v's shape.

  `method`: 'scan' and 'scan_unrolled' run a binary search (ceil(log2 n)
  gathers), 'compare_all' compares every pair (fast for small `a`).

  Example: searchsorted(jnp.array([1, 2, 3]), 2, side='right') is 2.

  NB: method='sort' runs the binary search too.
  """
  if side not in ("left", "right"):
    raise ValueError(f"searchsorted: side must be 'left' or 'right', got "
                     f"{side!r}")
  if method not in SEARCH_METHODS:
    raise ValueError(f"searchsorted: method must be one of {SEARCH_METHODS}, "
                     f"got {method!r}")
  a, v = _util.promote_dtypes("searchsorted", _util.ensure_array(a, "searchsorted"),
                                _util.ensure_array(v, "searchsorted"))
  if a.aval.ndim != 1:
    raise ValueError(f"searchsorted: a must be a 1-D array, got shape "
                     f"{a.aval.shape}")
  if sorter is not None:
    a = _take.take(a, sorter, mode="clip")
  n = a.aval.shape[0]
  out_dtype = _int_dtype()
  if n == 0:
    return _take.full(v.aval.shape, 0, out_dtype)
  if method == "compare_all":
    shape = (n,) + v.aval.shape
    ab = lax.broadcast_in_dim(a, shape, (0,))
    vb = lax.broadcast_in_dim(v, shape, tuple(range(1, len(shape))))
    hit = sort_less(ab, vb) if side == "left" else \
        lax.bitwise_not(sort_less(vb, ab))
    return lax.reduce_sum(lax.convert_element_type(hit, out_dtype), (0,))
  # Binary lifting: the largest count c with pred(a[i]) for all i < c.
  idx = _take.full(v.aval.shape, 0, out_dtype)
  step = 1 << (n.bit_length() - 1)
  while step:
    cand = lax.add(idx, lax.full_like(idx, step))
    elem = _take.take(a, lax.sub(lax.min(cand, lax.full_like(cand, n)),
                                 lax.full_like(cand, 1)), mode="clip")
    pred = sort_less(elem, v) if side == "left" else \
        lax.bitwise_not(sort_less(v, elem))
    ok = lax.bitwise_and(lax.le(cand, lax.full_like(cand, n)), pred)
    idx = lax.select_n(ok, idx, cand)
    step //= 2
  return idx


# --- nonzero ------------------------------------------------------------------

def _fills(name, fill_value, ndim):
  if fill_value is None:
    return [0] * ndim
  if isinstance(fill_value, (tuple, list)):
    if len(fill_value) != ndim:
      raise ValueError(f"{name}: fill_value must be a scalar or a tuple of "
                       f"length {ndim} (one per axis), got {fill_value!r}")
    return list(fill_value)
  if _util.is_array(fill_value) and fill_value.aval.ndim:
    raise ValueError(f"{name}: fill_value must be a scalar or a tuple of "
                     f"scalars, got an array of shape {fill_value.aval.shape}")
  return [fill_value] * ndim


def nonzero(a, *, size=None, fill_value=None):
  """Indices of the nonzero entries of `a`, one int array per axis.

  Follows jax.numpy.nonzero: eagerly the result length is the number of
  nonzero entries; inside jit (or vmap) pass a static `size`, and the
  results are padded with `fill_value` (default 0; a scalar or one per axis)
  or truncated to that length.

  Example: nonzero(jnp.array([0, 3, 0, 5])) is (Array([1, 3]),);
  jit(lambda x: nonzero(x, size=3, fill_value=-1)) gives ([1, 3, -1],).
  """
  a = _util.ensure_array(a, "nonzero")
  shape = a.aval.shape
  if not shape:
    raise ValueError("nonzero: calling nonzero on 0-d arrays is not allowed; "
                     "use jnp.atleast_1d(x).nonzero() instead")
  mask = _take.ravel(_take.truth(a))
  size = _take.static_size("nonzero", size, lambda: _take.count_true(mask))
  fills = _fills("nonzero", fill_value, len(shape))
  dtype = _int_dtype()
  targets = _take.compact_targets(mask, size)
  out = []
  for d, fill in enumerate(fills):
    coords = _take.ravel(lax.broadcasted_iota(dtype, shape, d))
    out.append(_take.scatter_1d(_take.full((size,), fill, dtype), targets,
                                coords))
  return tuple(out)


def flatnonzero(a, *, size=None, fill_value=None):
  """Indices of the nonzero entries of the flattened `a`.

  Follows jax.numpy.flatnonzero (see `nonzero` for size and fill_value).

  Example: flatnonzero(jnp.array([[0, 1], [2, 0]])) is [1, 2].
  """
  a = _take.ravel(_util.ensure_array(a, "flatnonzero"))
  return nonzero(a, size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
  """Indices of the nonzero entries of `a`, one row per entry.

  Follows jax.numpy.argwhere: shape (count, a.ndim), or (size, a.ndim) with
  `size` (padded with `fill_value`); a 0-d `a` gives (count, 0).

  Example: argwhere(jnp.array([[0, 1], [2, 0]])) is [[0, 1], [1, 0]].
  """
  a = _util.ensure_array(a, "argwhere")
  if a.aval.ndim == 0:
    (idx,) = nonzero(lax.reshape(a, (1,)), size=size, fill_value=fill_value)
    return _take.full((idx.aval.shape[0], 0), 0, _int_dtype())
  cols = nonzero(a, size=size, fill_value=fill_value)
  return lax.concatenate([lax.expand_dims(c, (1,)) for c in cols], 1)

