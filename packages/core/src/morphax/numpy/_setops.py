"""Set operations: unique (with size= under jit) and NumPy 2's unique_*,
union1d, intersect1d, setdiff1d, setxor1d, isin, in1d.
"""

from typing import NamedTuple

from .. import lax
from ..core import avals as avals_lib
from . import _sorting, _take, _util

__all__ = ["unique", "unique_values", "unique_counts", "unique_inverse",
           "unique_all", "union1d", "intersect1d", "setdiff1d", "setxor1d",
           "isin", "in1d"]

ISIN_METHODS = ("auto", "compare_all", "binary_search", "sort")


def _int_dtype():
  return avals_lib.default_int_dtype()


def _iota(n):
  return lax.iota(_int_dtype(), n)


def _not_equal(x, y, equal_nan):
  """x != y elementwise; with `equal_nan`, NaN equals NaN."""
  ne = lax.ne(x, y)
  if equal_nan and avals_lib.is_inexact(x.aval.dtype):
    both_nan = lax.bitwise_and(lax.ne(x, x), lax.ne(y, y))
    ne = lax.bitwise_and(ne, lax.bitwise_not(both_nan))
  return ne


def _group_starts(sorted_keys, n, equal_nan):
  """mask[i]: sorted row i differs from row i-1 (mask[0] is True)."""
  first = _take.full((1,), True, avals_lib.bool_)
  if n <= 1:
    return _take.full((n,), True, avals_lib.bool_)
  diff = _take.full((n - 1,), False, avals_lib.bool_)
  for k in sorted_keys:
    cur = lax.slice(k, (1,), (n,))
    prev = lax.slice(k, (0,), (n - 1,))
    diff = lax.bitwise_or(diff, _not_equal(cur, prev, equal_nan))
  return lax.concatenate([first, diff], 0)


def _pad_values(values, count, fill_value, axis=0):
  """`values` with the entries at positions >= count along `axis` set to
  `fill_value` (by default the first entry, the smallest)."""
  size = values.aval.shape[axis]
  if size == 0:
    return values
  if fill_value is None:
    fill = lax.broadcast_in_dim(
        lax.index_in_dim(values, 0, axis, keepdims=False), values.aval.shape,
        tuple(d for d in range(values.aval.ndim) if d != axis))
  else:
    fill = _take.full(values.aval.shape, fill_value, values.aval.dtype)
  valid = lax.lt(lax.broadcasted_iota(_int_dtype(), values.aval.shape, axis),
                 lax.broadcast_in_dim(count, values.aval.shape, ()))
  return lax.select_n(valid, fill, values)


class _Unique(NamedTuple):
  values: object
  indices: object
  inverse: object
  counts: object


def _unique(name, ar, axis, equal_nan, size, fill_value):
  """Everything unique computes: values (padded to `size`), first indices,
  inverse (1-D, along the unique axis) and counts."""
  ar = _util.ensure_array(ar, name)
  if axis is None:
    moved = _take.ravel(ar)
    axis = 0
  else:
    axis = _util.canonicalize_axis(name, axis, ar.aval.ndim)
    moved = ar if axis == 0 else lax.transpose(
        ar, (axis,) + tuple(d for d in range(ar.aval.ndim) if d != axis))
  n = moved.aval.shape[0]
  rest = moved.aval.shape[1:]
  m = 1
  for d in rest:
    m *= d
  rows = lax.reshape(moved, (n, m))
  keys = [lax.index_in_dim(rows, j, 1, keepdims=False) for j in range(m)]
  iota = _iota(n)
  if keys and n:
    *sorted_keys, perm = lax.sort((*keys, iota), dimension=0, is_stable=True,
                                  num_keys=len(keys))
  else:
    sorted_keys, perm = [], iota
  mask = _group_starts(sorted_keys, n, equal_nan)
  count = _take.count_true(mask)
  size = _take.static_size(name, size, count)
  dtype = ar.aval.dtype
  if n == 0:
    values = _take.full((size,) + rest, 0 if fill_value is None else fill_value,
                        dtype)
    zeros = _take.full((size,), 0, _int_dtype())
    return _Unique(_move_back(values, axis), zeros,
                   _take.full((0,), 0, _int_dtype()), zeros)
  starts = _take.compact_positions(mask, size, fill=0)
  indices = _take.take(perm, starts, mode="clip")
  values = _pad_values(_take.take(moved, indices, axis=0, mode="clip"), count,
                       fill_value)
  groups = lax.sub(lax.cumsum(lax.convert_element_type(mask, _int_dtype())), 1)
  inverse = _take.scatter_1d(_take.full((n,), 0, _int_dtype()), perm, groups)
  counts = lax.scatter_add(
      _take.full((size,), 0, _int_dtype()), lax.expand_dims(groups, (1,)),
      _take.full((n,), 1, _int_dtype()), _take._SCATTER_1D,
      mode=lax.GatherScatterMode.FILL_OR_DROP) if size else \
      _take.full((0,), 0, _int_dtype())
  return _Unique(_move_back(values, axis), indices, inverse, counts)


def _move_back(values, axis):
  """Axis 0 of `values` moved to `axis`."""
  if not axis:
    return values
  ndim = values.aval.ndim
  perm = list(range(1, axis + 1)) + [0] + list(range(axis + 1, ndim))
  return lax.transpose(values, tuple(perm))


def unique(ar, return_index=False, return_inverse=False, return_counts=False,
           axis=None, *, equal_nan=True, size=None, fill_value=None,
           sorted=True):  # noqa: A002
  """The sorted unique entries of `ar` (or unique slices along `axis`).

  Follows jax.numpy.unique: optionally also the index of each value's first
  occurrence, the inverse (indices into the result that rebuild `ar`; of
  ar's shape when axis is None, 1-D otherwise) and the counts. `equal_nan`
  collapses NaNs into one. Eagerly the result has one entry per unique
  value; under jit pass a static `size`: the values are padded with
  `fill_value` (default: the smallest value), counts with 0, indices with
  the first index, or truncated.

  Example: unique(jnp.array([3, 1, 3])) is [1, 3];
  jit(lambda x: unique(x, size=3, fill_value=0)) gives [1, 3, 0].

  NB: `sorted=False` still returns sorted values.
  """
  u = _unique("unique", ar, axis, equal_nan, size, fill_value)
  out = [u.values]
  if return_index:
    out.append(u.indices)
  if return_inverse:
    inverse = u.inverse
    if axis is None:
      inverse = lax.reshape(inverse, _util.aval(ar).shape)
    out.append(inverse)
  if return_counts:
    out.append(u.counts)
  return out[0] if len(out) == 1 else tuple(out)


class UniqueAllResult(NamedTuple):
  values: object
  indices: object
  inverse_indices: object
  counts: object


class UniqueCountsResult(NamedTuple):
  values: object
  counts: object


class UniqueInverseResult(NamedTuple):
  values: object
  inverse_indices: object


def unique_values(x, /, *, size=None, fill_value=None):
  """The sorted unique values of `x` (NumPy 2's array-API function; NaNs
  collapse). See `unique` for size and fill_value.

  Example: unique_values(jnp.array([3, 4, 1, 3, 1])) is [1, 3, 4].
  """
  return unique(x, size=size, fill_value=fill_value)


def unique_counts(x, /, *, size=None, fill_value=None):
  """(values, counts) of the unique values of `x`, as a named tuple.

  Example: unique_counts(jnp.array([3, 1, 3])) is ([1, 3], [1, 2]).
  """
  values, counts = unique(x, return_counts=True, size=size,
                          fill_value=fill_value)
  return UniqueCountsResult(values, counts)


def unique_inverse(x, /, *, size=None, fill_value=None):
  """(values, inverse_indices) of `x`; the inverse has x's shape and
  values[inverse_indices] rebuilds x.

  Example: unique_inverse(jnp.array([3, 1, 3])) is ([1, 3], [1, 0, 1]).
  """
  values, inverse = unique(x, return_inverse=True, size=size,
                           fill_value=fill_value)
  return UniqueInverseResult(values, inverse)


def unique_all(x, /, *, size=None, fill_value=None):
  """(values, indices, inverse_indices, counts) of `x` as a named tuple.

  Example: unique_all(jnp.array([3, 1, 3])).counts is [1, 2].
  """
  return UniqueAllResult(*unique(x, return_index=True, return_inverse=True,
                                 return_counts=True, size=size,
                                 fill_value=fill_value))


# --- two-set operations -------------------------------------------------------

def _flat_pair(name, ar1, ar2):
  ar1, ar2 = _util.promote_dtypes(name, _util.ensure_array(ar1, name),
                                  _util.ensure_array(ar2, name))
  return _take.ravel(ar1), _take.ravel(ar2)


def _sorted_unique_mask(x, assume_unique):
  """(sorted x, permutation, mask of first-of-group entries)."""
  n = x.aval.shape[0]
  if n == 0:
    return x, _iota(0), _take.full((0,), True, avals_lib.bool_)
  s, perm = lax.sort((x, _iota(n)), dimension=0, is_stable=True, num_keys=1)
  if assume_unique:
    return s, perm, _take.full((n,), True, avals_lib.bool_)
  return s, perm, _group_starts([s], n, True)


def _find_sorted(sorted_b, x):
  """(found, position): whether each x is in the sorted 1-D `sorted_b`
  (by ==, so NaN is never found) and its first position there."""
  n = sorted_b.aval.shape[0]
  if n == 0:
    return (_take.full(x.aval.shape, False, avals_lib.bool_),
            _take.full(x.aval.shape, 0, _int_dtype()))
  pos = _sorting.searchsorted(sorted_b, x, side="left")
  at = _take.take(sorted_b, pos, mode="clip")
  found = lax.bitwise_and(lax.lt(pos, lax.full_like(pos, n)), lax.eq(at, x))
  return found, pos


def _compact(name, values, keep, size, fill_value):
  """The entries of 1-D `values` where `keep`, padded (see _pad_values) or
  truncated to `size`; plus the positions taken and the count."""
  count = _take.count_true(keep)
  size = _take.static_size(name, size, count)
  if values.aval.shape[0] == 0:
    fill = 0 if fill_value is None else fill_value
    return (_take.full((size,), fill, values.aval.dtype),
            _take.full((size,), 0, _int_dtype()), count)
  positions = _take.compact_positions(keep, size, fill=0)
  out = _take.take(values, positions, mode="clip")
  return _pad_values(out, count, fill_value), positions, count


def union1d(ar1, ar2, *, size=None, fill_value=None):
  """The sorted unique values in either of `ar1`, `ar2` (flattened).

  Follows jax.numpy.union1d; under jit pass `size` (padded with
  `fill_value`, default the smallest value).

  Example: union1d(jnp.array([1, 3]), jnp.array([3, 2])) is [1, 2, 3].
  """
  a, b = _flat_pair("union1d", ar1, ar2)
  return unique(lax.concatenate([a, b], 0), size=size, fill_value=fill_value)


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *,
                size=None, fill_value=None):
  """The sorted unique values found in both `ar1` and `ar2` (flattened).

  Follows jax.numpy.intersect1d: with `return_indices`, also the index of
  each value's first occurrence in each input. Under jit pass `size`
  (values padded with `fill_value`, default the smallest value; indices
  padded with the inputs' sizes, out of bounds).

  Example: intersect1d(jnp.array([1, 2, 3]), jnp.array([3, 1, 5])) is [1, 3].
  """
  a, b = _flat_pair("intersect1d", ar1, ar2)
  sa, perm_a, mask_a = _sorted_unique_mask(a, assume_unique)
  sb, perm_b, _ = _sorted_unique_mask(b, assume_unique)
  found, pos = _find_sorted(sb, sa)
  keep = lax.bitwise_and(mask_a, found)
  values, positions, count = _compact("intersect1d", sa, keep, size, fill_value)
  if not return_indices:
    return values
  size = values.aval.shape[0]
  if sa.aval.shape[0] == 0 or sb.aval.shape[0] == 0:
    empty = _take.full((size,), 0, _int_dtype())
    return values, empty, empty
  valid = lax.lt(_iota(size), lax.broadcast_in_dim(count, (size,), ()))
  ind_a = _take.take(perm_a, positions, mode="clip")
  ind_b = _take.take(perm_b, _take.take(pos, positions, mode="clip"),
                     mode="clip")
  ind_a = lax.select_n(valid, _take.full((size,), a.aval.shape[0],
                                         _int_dtype()), ind_a)
  ind_b = lax.select_n(valid, _take.full((size,), b.aval.shape[0],
                                         _int_dtype()), ind_b)
  return values, ind_a, ind_b


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
  """The sorted unique values of `ar1` that are not in `ar2` (flattened).

  Follows jax.numpy.setdiff1d: with `assume_unique`, the values keep ar1's
  order. Under jit pass `size` (padded with `fill_value`, default the
  smallest value).

  Example: setdiff1d(jnp.array([1, 2, 3, 2]), jnp.array([2])) is [1, 3].
  """
  a, b = _flat_pair("setdiff1d", ar1, ar2)
  sb, _, _ = _sorted_unique_mask(b, True)
  if assume_unique:
    values, keep = a, lax.bitwise_not(_find_sorted(sb, a)[0])
  else:
    values, _, mask = _sorted_unique_mask(a, False)
    keep = lax.bitwise_and(mask, lax.bitwise_not(_find_sorted(sb, values)[0]))
  return _compact("setdiff1d", values, keep, size, fill_value)[0]


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
  """The sorted unique values found in exactly one of `ar1`, `ar2`.

  Follows jax.numpy.setxor1d; under jit pass `size` (padded with
  `fill_value`, default the smallest value).

  Example: setxor1d(jnp.array([1, 2, 3]), jnp.array([3, 4])) is [1, 2, 4].
  """
  a, b = _flat_pair("setxor1d", ar1, ar2)
  sa, _, mask_a = _sorted_unique_mask(a, assume_unique)
  sb, _, mask_b = _sorted_unique_mask(b, assume_unique)
  keep_a = lax.bitwise_and(mask_a, lax.bitwise_not(_find_sorted(sb, sa)[0]))
  keep_b = lax.bitwise_and(mask_b, lax.bitwise_not(_find_sorted(sa, sb)[0]))
  both = lax.concatenate([sa, sb], 0)
  keep = lax.concatenate([keep_a, keep_b], 0)
  if both.aval.shape[0]:
    both, keep = lax.sort((both, keep), dimension=0, is_stable=True,
                          num_keys=1)
  return _compact("setxor1d", both, keep, size, fill_value)[0]


def isin(element, test_elements, assume_unique=False, invert=False, *,
         method="auto"):
  """Whether each entry of `element` is in `test_elements` (a bool array of
  element's shape; NaN is never found).

  Follows jax.numpy.isin: `method` 'compare_all' compares every pair,
  'binary_search' (and 'sort') sorts `test_elements` and searches; 'auto'
  picks compare_all for up to 256 test elements.

  Example: isin(jnp.array([1, 5]), jnp.array([1, 2, 3])) is [True, False].
  """
  if method not in ISIN_METHODS:
    raise ValueError(f"isin: method must be one of {ISIN_METHODS}, got "
                     f"{method!r}")
  element, test = _util.promote_dtypes(
      "isin", _util.ensure_array(element, "isin"),
      _util.ensure_array(test_elements, "isin"))
  test = _take.ravel(test)
  k = test.aval.shape[0]
  if method == "auto":
    method = "compare_all" if k <= 256 else "binary_search"
  shape = element.aval.shape
  if k == 0:
    found = _take.full(shape, False, avals_lib.bool_)
  elif method == "compare_all":
    full_shape = shape + (k,)
    eq = lax.eq(lax.broadcast_in_dim(element, full_shape,
                                     tuple(range(len(shape)))),
                lax.broadcast_in_dim(test, full_shape, (len(shape),)))
    found = lax.reduce_or(eq, (len(shape),))
  else:
    found = _find_sorted(lax.sort(test, dimension=0), element)[0]
  return lax.bitwise_not(found) if invert else found


def in1d(ar1, ar2, assume_unique=False, invert=False, *, method="auto"):
  """isin on the flattened `ar1` (NumPy's older name; removed in NumPy 2.4).

  Example: in1d(jnp.array([[1, 5]]), jnp.array([1])) is [True, False].
  """
  ar1 = _take.ravel(_util.ensure_array(ar1, "in1d"))
  return isin(ar1, ar2, assume_unique=assume_unique, invert=invert,
              method=method)
