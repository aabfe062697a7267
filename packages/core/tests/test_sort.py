"""Sorting (ops/sort.py): sort, sort_key_val and top_k, against numpy."""

import ml_dtypes
import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.ops import sort as sort_lib

PRIMITIVES_COVERED = {"sort", "top_k"}

f32, i32, u8, bf16 = np.float32, np.int32, np.uint8, ml_dtypes.bfloat16
c64, b = np.complex64, np.bool_
NAN, INF = np.nan, np.inf

# Every float special value, twice, so stability and the order of -0.0/0.0
# and of NaNs of both signs show.
SPECIALS = np.array([1.0, NAN, -NAN, INF, -0.0, 0.0, -INF, 1.0, 0.0, -0.0,
                     -NAN, NAN, -2.5], f32)


def _rand(shape, dtype, seed=0, high=5):
  rng = np.random.default_rng(seed)
  dtype = np.dtype(dtype)
  if dtype == np.bool_:
    return rng.random(shape) < 0.5
  if dtype.kind in "iu":
    return rng.integers(0, high, shape).astype(dtype)
  if dtype.kind == "c":
    re = rng.integers(0, 3, shape)
    return (re + 1j * rng.standard_normal(shape)).astype(dtype)
  return rng.standard_normal(shape).astype(dtype)


def _iota_like(x, axis):
  shape = [1] * x.ndim
  shape[axis] = x.shape[axis]
  return np.broadcast_to(np.arange(x.shape[axis], dtype=i32).reshape(shape),
                         x.shape)


def _upcast(x):
  return x.astype(f32) if x.dtype == bf16 else x


def _np_sort(x, axis):
  """numpy's stable sort (on float32 for bfloat16, which numpy mis-sorts)."""
  return np.sort(_upcast(x), axis=axis, kind="stable").astype(x.dtype)


def _assert_same(out, ref, dtype):
  assert out.dtype == np.dtype(dtype) and out.shape == ref.shape
  got = np.asarray(out)
  np.testing.assert_array_equal(_upcast(got), _upcast(ref))
  if got.dtype.kind == "f" or got.dtype == bf16:  # -0.0 vs 0.0 too
    np.testing.assert_array_equal(np.signbit(_upcast(got)), np.signbit(_upcast(ref)))


# --- sort ----------------------------------------------------------------------

SORT_ROWS = [
    # operand, dimension
    (_rand((9,), f32), -1),
    (SPECIALS, 0),
    (_rand((3, 6), i32), 0),
    (_rand((3, 6), i32), 1),
    (_rand((2, 3, 4), f32), 1),
    (_rand((7,), b), 0),
    (_rand((8,), u8, high=255), 0),
    (SPECIALS.astype(bf16), 0),
    (_rand((5,), c64), 0),
    (_rand((0,), f32), 0),
    (_rand((3, 0), i32), -1),
    (_rand((1,), f32), 0),
]


@pytest.mark.parametrize("x, dimension", SORT_ROWS)
def test_sort_single_operand(x, dimension):
  out = lax.sort(morphax.device_put(x), dimension=dimension)
  _assert_same(out, _np_sort(x, dimension), x.dtype)
  assert not out.weak_type


@pytest.mark.parametrize("x, dimension", SORT_ROWS)
def test_sort_permutation_is_stable(x, dimension):
  """(x, iota) sorted by x gives numpy's stable argsort."""
  axis = dimension % x.ndim
  keys, perm = lax.sort((x, _iota_like(x, axis)), dimension=dimension)
  _assert_same(perm, np.argsort(_upcast(x), axis=axis, kind="stable").astype(i32), i32)
  _assert_same(keys, _np_sort(x, axis), x.dtype)


MULTI_KEY_ROWS = [
    # keys (primary first), values
    ([_rand((12,), i32, high=3), _rand((12,), f32, seed=1)], [_rand((12,), f32, seed=2)]),
    ([_rand((13,), b), SPECIALS], [np.arange(13, dtype=i32)]),
    ([_rand((10,), u8, high=2), _rand((10,), i32, high=2, seed=3),
      _rand((10,), f32, seed=4).round()], [_rand((10,), i32, seed=5),
                                           _rand((10,), b, seed=6)]),
    ([_rand((0,), f32)], [_rand((0,), i32)]),
]


@pytest.mark.parametrize("keys, values", MULTI_KEY_ROWS)
def test_sort_multiple_keys(keys, values):
  """Lexicographic over the keys, as np.lexsort (which takes the primary key
  last); the other operands follow the permutation."""
  perm = np.lexsort([_upcast(k) for k in reversed(keys)])
  out = lax.sort(tuple(keys) + tuple(values), num_keys=len(keys))
  assert isinstance(out, tuple) and len(out) == len(keys) + len(values)
  for got, x in zip(out, list(keys) + list(values)):
    _assert_same(got, x[perm], x.dtype)


def test_sort_one_key_permutes_the_rest():
  keys, a, c = _rand((11,), i32, high=4), _rand((11,), f32), _rand((11,), b)
  perm = np.argsort(keys, kind="stable")
  out = lax.sort([keys, a, c], num_keys=1)
  for got, x in zip(out, (keys, a, c)):
    _assert_same(got, x[perm], x.dtype)


def test_sort_unstable_with_distinct_keys():
  x = np.random.default_rng(0).permutation(20).astype(f32)
  out = lax.sort(x, is_stable=False)
  _assert_same(out, np.sort(x), f32)


def test_sort_key_val():
  keys, vals = _rand((3, 8), f32).round(), _rand((3, 8), i32, seed=1)
  k, v = lax.sort_key_val(keys, vals)
  perm = np.argsort(keys, axis=-1, kind="stable")
  _assert_same(k, np.take_along_axis(keys, perm, -1), f32)
  _assert_same(v, np.take_along_axis(vals, perm, -1), i32)
  k, v = lax.sort_key_val(keys, vals, dimension=0)
  perm = np.argsort(keys, axis=0, kind="stable")
  _assert_same(v, np.take_along_axis(vals, perm, 0), i32)


# --- top_k ---------------------------------------------------------------------

def _total_order_key(x):
  """An int64 that orders floats as IEEE totalOrder does (-NaN < -inf < ...
  < -0.0 < 0.0 < ... < inf < NaN); ints and bools order as themselves."""
  x = np.asarray(x)
  if x.dtype.kind == "f" or x.dtype == bf16:
    bits = x.view({2: np.int16, 4: np.int32}[x.itemsize]).astype(np.int64)
    mask = (1 << (8 * x.itemsize - 1)) - 1
    return np.where(bits < 0, bits ^ mask, bits)
  return x.astype(np.int64)


def _top_k_ref(x, k, axis):
  order = np.argsort(-_total_order_key(x), axis=axis, kind="stable")
  idx = np.take(order, np.arange(k), axis=axis)
  return np.take_along_axis(x, idx, axis), idx.astype(i32)


TOP_K_ROWS = [
    # operand, k, axis
    (_rand((2, 7), f32), 3, -1),
    (SPECIALS, 13, -1),
    (SPECIALS.astype(bf16), 5, -1),
    (_rand((4, 6), i32, high=3), 4, -1),
    (_rand((9,), b), 4, -1),
    (_rand((5,), u8, high=255), 2, -1),
    (_rand((3, 4), f32), 0, -1),
    (_rand((2, 0), f32), 0, -1),
    (_rand((5, 3), i32, high=3), 2, 0),
    (_rand((2, 5, 3), f32), 3, 1),
]


@pytest.mark.parametrize("x, k, axis", TOP_K_ROWS)
def test_top_k(x, k, axis):
  values, indices = lax.top_k(morphax.device_put(x), k, axis=axis)
  ref_values, ref_indices = _top_k_ref(x, k, axis % x.ndim)
  _assert_same(values, ref_values, x.dtype)
  _assert_same(indices, ref_indices, i32)
  assert not values.weak_type and not indices.weak_type


def test_top_k_docstring_example():
  values, indices = lax.top_k(np.array([9., 3., 6., 4., 10.], f32), 3)
  np.testing.assert_array_equal(np.asarray(values), [10., 9., 6.])
  np.testing.assert_array_equal(np.asarray(indices), [4, 0, 2])


# --- Errors ----------------------------------------------------------------------

X4 = np.zeros((4,), f32)
X23 = np.zeros((2, 3), f32)

ERROR_ROWS = [
    # call, exception, message pattern
    (lambda: lax.sort(()), TypeError, r"sort: requires at least one operand"),
    (lambda: lax.sort((X4, X4), num_keys=3), ValueError,
     r"sort: num_keys=3 must be between 1 and the number of operands \(2\)"),
    (lambda: lax.sort([X4], num_keys=0), ValueError,
     r"sort: num_keys=0 must be between 1 and the number of operands \(1\)"),
    (lambda: lax.sort(X4, num_keys=2), ValueError,
     r"sort: num_keys=2 must be 1 for a single operand"),
    (lambda: lax.sort((X4, np.zeros(3, i32))), TypeError,
     r"sort: operands must have equal shapes, got \(4,\), \(3,\)"),
    (lambda: lax.sort(np.float32(1)), ValueError,
     r"sort: axis -1 is out of bounds for an array of rank 0"),
    (lambda: lax.sort(X23, dimension=2), ValueError,
     r"sort: axis 2 is out of bounds for an array of rank 2"),
    (lambda: sort_lib.sort_p.bind(X23, dimension=-1, is_stable=True, num_keys=1),
     ValueError, r"sort: dimension -1 is out of bounds for an array of rank 2"),
    (lambda: lax.sort_key_val(X4, np.zeros(5, i32)), TypeError,
     r"sort: operands must have equal shapes, got \(4,\), \(5,\)"),
    (lambda: lax.top_k(X4, 5), ValueError,
     r"top_k: k must be no larger than the size of the operand along axis 0, "
     r"got k=5 for operand shape \(4,\)"),
    (lambda: lax.top_k(X23, 3, axis=0), ValueError,
     r"top_k: k must be no larger than the size of the operand along axis 0, "
     r"got k=3 for operand shape \(2, 3\)"),
    (lambda: lax.top_k(X4, -1), ValueError,
     r"top_k: k must be non-negative, got k=-1"),
    (lambda: lax.top_k(X4, 1.5), TypeError, r"top_k: k must be an integer, got 1.5"),
    (lambda: lax.top_k(np.float32(1), 1), TypeError,
     r"top_k: operand must have at least one dimension, got shape \(\)"),
    (lambda: lax.top_k(X23, 1, axis=2), ValueError,
     r"top_k: axis 2 is out of bounds for an array of rank 2"),
    (lambda: lax.top_k(np.zeros(3, c64), 1), TypeError,
     r"top_k does not accept operand dtype complex64"),
]


@pytest.mark.parametrize("call, exc, pattern", ERROR_ROWS)
def test_errors(call, exc, pattern):
  with pytest.raises(exc, match=pattern):
    call()
