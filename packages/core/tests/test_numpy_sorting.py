"""morphax.numpy sorting and searching against numpy: sort, argsort,
lexsort, partition, searchsorted, nonzero & co (eager, jit, vmap, grad)."""

import hypothesis
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.core.trace import ConcretizationTypeError
from morphax.test_util import check_grads

_CANON = {np.dtype(np.int64): np.int32, np.dtype(np.float64): np.float32,
          np.dtype(np.complex128): np.complex64, np.dtype(np.uint64): np.uint32}


def _canon(x):
  x = np.asarray(x)
  return x.astype(_CANON.get(x.dtype, x.dtype))


def _check(out, expected):
  if isinstance(expected, tuple):
    assert isinstance(out, tuple) and len(out) == len(expected)
    for o, e in zip(out, expected):
      _check(o, e)
    return
  expected = _canon(expected)
  assert isinstance(out, morphax.Array), type(out)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
  np.testing.assert_array_equal(np.asarray(out), expected)


_R = np.random.RandomState(0)
F = np.array([3., 1., np.nan, 2., 1., -0., 0., 5.], np.float32)
M = _R.randint(0, 4, (3, 5)).astype(np.int32)
B = np.array([True, False, True, False])
C = np.array([1 + 2j, 1 - 1j, -3 + 0j, 1 + 2j], np.complex64)
Z = np.array([[0, 1, 0], [2, 0, 3]], np.int32)
SORTED = np.array([1., 2., 2., 3., np.nan], np.float32)
V = np.array([[0., 2.], [2.5, np.nan], [9., 3.]], np.float32)

# (name, args, kwargs, numpy function). The numpy function gets the same
# arguments, so rows read like the numpy call they check.
CASES = [
    ("sort", (F,), {}, np.sort),
    ("sort", (M,), {"axis": 0}, np.sort),
    ("sort", (M,), {"axis": None}, np.sort),
    ("sort", (B,), {}, np.sort),
    ("sort", (C,), {}, np.sort),
    ("sort", (np.zeros((0, 3), np.float32),), {}, np.sort),
    ("argsort", (F,), {}, lambda x: np.argsort(x, stable=True)),
    ("argsort", (M,), {"axis": 0}, lambda x, axis: np.argsort(x, axis, stable=True)),
    ("argsort", (M,), {"axis": None}, lambda x, axis: np.argsort(x, axis, stable=True)),
    ("argsort", (C,), {}, lambda x: np.argsort(x, stable=True)),
    ("lexsort", ((M[0], M[1], M[2]),), {}, np.lexsort),
    ("lexsort", (M,), {}, np.lexsort),
    ("lexsort", ((M, M[::-1]),), {"axis": 0}, lambda k, axis: np.lexsort(k, axis)),
    ("sort_complex", (M[0],), {}, lambda x: np.sort_complex(x).astype(np.complex64)),
    ("sort_complex", (C,), {}, np.sort_complex),
    ("partition", (M, 2), {}, lambda x, k: np.sort(x)),
    ("partition", (F, -1), {}, lambda x, k: np.sort(x)),
    ("argpartition", (M, 1), {"axis": 0},
     lambda x, k, axis: np.argsort(x, axis, stable=True)),
    ("searchsorted", (SORTED, V), {}, np.searchsorted),
    ("searchsorted", (SORTED, V), {"side": "right"}, np.searchsorted),
    ("searchsorted", (SORTED, V), {"method": "compare_all"},
     lambda a, v, method: np.searchsorted(a, v)),
    ("searchsorted", (SORTED, V), {"side": "right", "method": "compare_all"},
     lambda a, v, side, method: np.searchsorted(a, v, side)),
    ("searchsorted", (SORTED, 2.0), {}, np.searchsorted),
    ("searchsorted", (np.zeros(0, np.float32), V), {}, np.searchsorted),
    ("searchsorted", (np.array([3, 1, 2], np.int32), np.arange(5, dtype=np.int32)),
     {"sorter": np.array([1, 2, 0], np.int32)}, np.searchsorted),
    ("searchsorted", (np.array([1 + 1j, 2 + 0j], np.complex64),
                      np.array([1 + 2j, 0j], np.complex64)), {}, np.searchsorted),
    ("nonzero", (Z,), {}, np.nonzero),
    ("nonzero", (B,), {}, np.nonzero),
    ("nonzero", (np.zeros((2, 0)),), {}, np.nonzero),
    ("flatnonzero", (Z,), {}, np.flatnonzero),
    ("flatnonzero", (np.float32(2.),), {}, np.flatnonzero),
    ("argwhere", (Z,), {}, np.argwhere),
    ("argwhere", (np.float32(2.),), {}, np.argwhere),
    ("argwhere", (np.zeros(3),), {}, np.argwhere),
]


@pytest.mark.parametrize("name, args, kwargs, np_fn", CASES)
def test_against_numpy(name, args, kwargs, np_fn):
  _check(getattr(jnp, name)(*args, **kwargs), np_fn(*args, **kwargs))


JIT_CASES = [c for c in CASES if c[0] not in ("nonzero", "flatnonzero", "argwhere")]


@pytest.mark.parametrize("name, args, kwargs, np_fn", JIT_CASES[::3])
def test_jit_matches_eager(name, args, kwargs, np_fn):
  f = getattr(jnp, name)
  arrays = [a for a in args if isinstance(a, np.ndarray)]
  rest = [a for a in args if not isinstance(a, np.ndarray)]

  def g(*xs):
    it = iter(xs)
    return f(*[next(it) if isinstance(a, np.ndarray) else a for a in args],
             **kwargs)
  del rest
  _check(morphax.jit(g)(*arrays), np_fn(*args, **kwargs))


def test_descending():
  x = np.array([[3, 1, 3, 2], [0, 0, 5, 1]], np.int32)
  _check(jnp.sort(x, descending=True), -np.sort(-x))
  _check(jnp.argsort(x, descending=True), np.argsort(-x, stable=True))
  _check(jnp.sort(F, descending=True)[:1], np.array([np.nan], np.float32))


@pytest.mark.parametrize("size, fill, expected", [
    (3, None, ([0, 1, 1], [1, 0, 2])),
    (2, None, ([0, 1], [1, 0])),
    (5, -1, ([0, 1, 1, -1, -1], [1, 0, 2, -1, -1])),
    (4, (7, 8), ([0, 1, 1, 7], [1, 0, 2, 8])),
    (0, None, ([], [])),
])
def test_nonzero_size_under_jit(size, fill, expected):
  f = morphax.jit(lambda z: jnp.nonzero(z, size=size, fill_value=fill))
  _check(f(Z), tuple(np.array(e, np.int32) for e in expected))
  _check(jnp.nonzero(Z, size=size, fill_value=fill),
         tuple(np.array(e, np.int32) for e in expected))


def test_argwhere_flatnonzero_size():
  _check(morphax.jit(lambda z: jnp.argwhere(z, size=4, fill_value=9))(Z),
         np.array([[0, 1], [1, 0], [1, 2], [9, 9]], np.int32))
  _check(morphax.jit(lambda z: jnp.flatnonzero(z, size=2))(Z),
         np.array([1, 3], np.int32))


def test_vmap():
  x = _R.randn(4, 6).astype(np.float32)
  for f in [jnp.sort, jnp.argsort, lambda r: jnp.searchsorted(r, 0.3),
            lambda r: jnp.nonzero(r > 0, size=6, fill_value=-1)[0]]:
    out = morphax.vmap(f)(x)
    expected = np.stack([np.asarray(f(r)) for r in x])
    np.testing.assert_array_equal(np.asarray(out), expected)
  sorted_rows = np.sort(x, axis=1)
  out = morphax.vmap(jnp.searchsorted)(sorted_rows, x[:, :2])
  expected = [np.searchsorted(a, v) for a, v in zip(sorted_rows, x[:, :2])]
  _check(out, np.array(expected, np.int32))


def test_grads():
  x = np.array([[0.3, -1.2, 2.0], [0.5, 0.1, -0.7]], np.float32)
  check_grads(jnp.sort, (x,), 2)
  check_grads(lambda y: jnp.sort(y, axis=0, descending=True), (x,), 1)
  check_grads(lambda y: jnp.partition(y, 1), (x,), 1)
  check_grads(lambda y: jnp.sort_complex(y), (x[0],), 1, modes=("fwd",))


@hypothesis.given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=2,
                                                        max_side=5),
                             elements=st.sampled_from([0., -0., 1., 2., np.nan,
                                                       -np.inf, 3.5])))
def test_sort_argsort_property(x):
  _check(jnp.sort(x), np.sort(x))
  _check(jnp.argsort(x, axis=0), np.argsort(x, axis=0, stable=True).astype(np.int32))
  v = np.array([0., 2., np.nan, -1.], np.float32)
  row = np.sort(x.ravel())
  for side in ("left", "right"):
    _check(jnp.searchsorted(row, v, side=side), np.searchsorted(row, v, side))


@pytest.mark.parametrize("call, error, match", [
    (lambda: jnp.sort(F, order="x"), ValueError, "sort: the 'order' argument"),
    (lambda: jnp.argsort(F, order="x"), ValueError, "argsort: the 'order'"),
    (lambda: jnp.sort(np.float32(1.)), ValueError, "sort: axis -1 is out of bounds"),
    (lambda: jnp.partition(M, 5), ValueError,
     r"partition: kth=5 is out of bounds for axis 1 of size 5 \(shape \(3, 5\)\)"),
    (lambda: jnp.argpartition(M, [1, 2]), TypeError,
     "argpartition: kth must be a static integer"),
    (lambda: jnp.lexsort([]), TypeError, "lexsort: need a sequence of keys"),
    (lambda: jnp.lexsort([np.float32(1.)]), TypeError, "lexsort: keys must be arrays of rank"),
    (lambda: jnp.lexsort([np.zeros(2), np.zeros(3)]), ValueError,
     r"lexsort: shapes \(2,\) and \(3,\) cannot be broadcast"),
    (lambda: jnp.searchsorted(SORTED, V, side="middle"), ValueError,
     "searchsorted: side must be 'left' or 'right', got 'middle'"),
    (lambda: jnp.searchsorted(SORTED, V, method="magic"), ValueError,
     "searchsorted: method must be one of"),
    (lambda: jnp.searchsorted(V, V), ValueError,
     r"searchsorted: a must be a 1-D array, got shape \(3, 2\)"),
    (lambda: jnp.nonzero(np.float32(1.)), ValueError,
     "nonzero: calling nonzero on 0-d arrays is not allowed"),
    (lambda: jnp.nonzero(Z, size=2, fill_value=(1, 2, 3)), ValueError,
     r"nonzero: fill_value must be a scalar or a tuple of length 2"),
    (lambda: jnp.nonzero(Z, size=-1), ValueError, "nonzero: size must be non-negative"),
    (lambda: jnp.nonzero(Z, size=2.5), TypeError, "nonzero: size must be a static integer"),
    (lambda: morphax.jit(jnp.nonzero)(Z), ConcretizationTypeError,
     r"nonzero: the size of the result depends on the values.*size=10"),
    (lambda: morphax.jit(jnp.argwhere)(Z), ConcretizationTypeError,
     "nonzero: the size of the result depends"),
    (lambda: jnp.sort([3, 1]), TypeError, "sort requires ndarray or scalar arguments"),
])
def test_errors(call, error, match):
  with pytest.raises(error, match=match):
    call()
