"""morphax.numpy set operations against numpy: unique (and NumPy 2's
unique_*), union1d, intersect1d, setdiff1d, setxor1d, isin, in1d; eager,
jit with size=, vmap."""

import hypothesis
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.core.trace import ConcretizationTypeError

_CANON = {np.dtype(np.int64): np.int32, np.dtype(np.float64): np.float32}


def _check(out, expected):
  if isinstance(expected, tuple):
    assert isinstance(out, tuple) and len(out) == len(expected), out
    for o, e in zip(out, expected):
      _check(o, e)
    return
  expected = np.asarray(expected)
  expected = expected.astype(_CANON.get(expected.dtype, expected.dtype))
  assert isinstance(out, morphax.Array), type(out)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
  np.testing.assert_array_equal(np.asarray(out), expected)


F = np.array([3., 1., np.nan, 3., 2., np.nan, 1., -0., 0.], np.float32)
I = np.array([[4, 1, 4], [2, 2, 1]], np.int32)
ROWS = np.array([[1, 2], [1, 2], [0, 5], [1, 0]], np.int32)
B = np.array([True, False, True])
A1 = np.array([5, 1, 3, 3, 7, 1], np.int32)
A2 = np.array([[3, 9], [1, 1]], np.int32)
G1 = np.array([1.5, np.nan, 2., 0.], np.float32)
G2 = np.array([2., np.nan, -1.], np.float32)
ALL = dict(return_index=True, return_inverse=True, return_counts=True)

# (name, args, kwargs, numpy function)
CASES = [
    ("unique", (F,), {}, np.unique),
    ("unique", (F,), ALL, np.unique),
    ("unique", (F,), {"equal_nan": False}, np.unique),
    ("unique", (I,), ALL, np.unique),
    ("unique", (B,), ALL, np.unique),
    ("unique", (np.int32(3),), ALL, np.unique),
    ("unique", (np.zeros((0,), np.float32),), ALL, np.unique),
    ("unique", (ROWS,), dict(ALL, axis=0), np.unique),
    ("unique", (ROWS,), dict(ALL, axis=1), np.unique),
    ("unique", (ROWS.T.reshape(2, 2, 2),), dict(axis=-1), np.unique),
    ("unique_values", (I,), {}, np.unique),  # numpy 2.4: unsorted
    ("unique_counts", (F,), {},  # JAX: equal_nan=True, sorted
     lambda x: np.unique(x, return_counts=True)),
    ("unique_inverse", (I,), {}, lambda x: tuple(np.unique_inverse(x))),
    ("unique_all", (I,), {}, lambda x: tuple(np.unique_all(x))),
    ("union1d", (A1, A2), {}, np.union1d),
    ("union1d", (G1, G2), {}, np.union1d),
    ("union1d", (A1, G2), {}, np.union1d),
    ("intersect1d", (A1, A2), {}, np.intersect1d),
    ("intersect1d", (A1, A2), {"return_indices": True}, np.intersect1d),
    ("intersect1d", (G1, G2), {"return_indices": True}, np.intersect1d),
    ("intersect1d", (np.array([1, 4, 3], np.int32), np.array([3, 9, 1], np.int32)),
     {"assume_unique": True, "return_indices": True}, np.intersect1d),
    ("intersect1d", (A1, np.zeros((0,), np.int32)), {}, np.intersect1d),
    ("setdiff1d", (A1, A2), {}, np.setdiff1d),
    ("setdiff1d", (G1, G2), {}, np.setdiff1d),
    ("setdiff1d", (np.array([5, 1, 4], np.int32), np.array([1], np.int32)),
     {"assume_unique": True}, np.setdiff1d),
    ("setdiff1d", (A1, np.zeros((0,), np.int32)), {}, np.setdiff1d),
    ("setxor1d", (A1, A2), {}, np.setxor1d),
    ("setxor1d", (G1, G2), {}, np.setxor1d),
    ("setxor1d", (A1, A1), {}, np.setxor1d),
    ("isin", (I, A1), {}, np.isin),
    ("isin", (I, A1), {"invert": True}, np.isin),
    ("isin", (G1, G2), {}, np.isin),
    ("isin", (I, A1), {"method": "binary_search"}, lambda a, b, method: np.isin(a, b)),
    ("isin", (G1, G2), {"method": "sort"}, lambda a, b, method: np.isin(a, b)),
    ("isin", (I, np.zeros((0,), np.int32)), {}, np.isin),
    ("isin", (np.int32(4), A2), {}, np.isin),
    ("isin", (np.arange(20, dtype=np.int32), np.arange(300, dtype=np.int32) * 3), {},
     np.isin),
    ("in1d", (I, A1), {}, lambda a, b: np.isin(a.ravel(), b)),
]


@pytest.mark.parametrize("name, args, kwargs, np_fn", CASES)
def test_against_numpy(name, args, kwargs, np_fn):
  _check(getattr(jnp, name)(*args, **kwargs), np_fn(*args, **kwargs))


def _padded(values, size, fill):
  values = np.asarray(values)
  pad = np.full((max(0, size - len(values)),) + values.shape[1:], fill, values.dtype)
  return np.concatenate([values[:size], pad])


@pytest.mark.parametrize("name, args, size, fill", [
    ("unique", (F,), 7, None),
    ("unique", (F,), 2, None),
    ("unique", (I,), 5, -1),
    ("union1d", (A1, A2), 8, 0),
    ("intersect1d", (A1, A2), 3, None),
    ("setdiff1d", (A1, A2), 4, 100),
    ("setxor1d", (A1, A2), 6, None),
])
def test_size_under_jit(name, args, size, fill):
  expected = getattr(np, name)(*args)
  default = expected[0] if fill is None else fill
  out = morphax.jit(lambda *a: getattr(jnp, name)(*a, size=size,
                                                  fill_value=fill))(*args)
  _check(out, _padded(expected, size, default))


def test_unique_all_size_under_jit():
  f = morphax.jit(lambda x: jnp.unique(x, size=5, **ALL))
  values, index, inverse, counts = f(I)
  ev, ei, einv, ec = np.unique(I, **ALL)
  _check(values, _padded(ev, 5, ev[0]))
  _check(index, _padded(ei, 5, ei[0]))
  _check(inverse, einv)
  _check(counts, _padded(ec, 5, 0))
  v, c = morphax.jit(lambda x: jnp.unique_counts(x, size=4))(F)
  assert isinstance(v, morphax.Array) and c.shape == (4,)
  out = morphax.jit(lambda x: jnp.unique(x, axis=0, size=4, fill_value=-7))(ROWS)
  _check(out, _padded(np.unique(ROWS, axis=0), 4, -7))


def test_intersect1d_indices_size():
  vals, i1, i2 = morphax.jit(lambda a, b: jnp.intersect1d(
      a, b, return_indices=True, size=4))(A1, A2)
  ev, e1, e2 = np.intersect1d(A1, A2, return_indices=True)
  _check(vals, _padded(ev, 4, ev[0]))
  _check(i1, _padded(e1, 4, A1.size))
  _check(i2, _padded(e2, 4, A2.size))


def test_jit_without_size_is_an_error():
  for f in [jnp.unique, jnp.unique_values, lambda x: jnp.union1d(x, x),
            lambda x: jnp.setdiff1d(x, x), lambda x: jnp.intersect1d(x, x),
            lambda x: jnp.setxor1d(x, x)]:
    with pytest.raises(ConcretizationTypeError, match="size=10, fill_value=0"):
      morphax.jit(f)(A1)
  _check(morphax.jit(jnp.isin)(I, A1), np.isin(I, A1))


def test_vmap():
  xs = np.array([[3, 1, 3, 2], [0, 0, 0, 5]], np.int32)
  for f in [lambda x: jnp.unique(x, size=4, fill_value=-1),
            lambda x: jnp.unique(x, size=3, return_counts=True)[1],
            lambda x: jnp.isin(x, A1),
            lambda x: jnp.setdiff1d(x, A1, size=3)]:
    out = morphax.vmap(f)(xs)
    np.testing.assert_array_equal(np.asarray(out),
                                  np.stack([np.asarray(f(x)) for x in xs]))


@hypothesis.settings(max_examples=10)
@hypothesis.given(hnp.arrays(np.int32, st.integers(0, 8),
                             elements=st.integers(-3, 3)),
                  hnp.arrays(np.int32, st.integers(0, 6),
                             elements=st.integers(-3, 3)))
def test_set_ops_property(a, b):
  for name in ("union1d", "intersect1d", "setdiff1d", "setxor1d"):
    _check(getattr(jnp, name)(a, b), getattr(np, name)(a, b))
  _check(jnp.isin(a, b), np.isin(a, b))
  _check(jnp.unique(a, **ALL), np.unique(a, **ALL))


@pytest.mark.parametrize("call, error, match", [
    (lambda: jnp.isin(I, A1, method="magic"), ValueError, "isin: method must be one of"),
    (lambda: jnp.unique([1, 2]), TypeError, "unique requires ndarray or scalar"),
    (lambda: jnp.unique(I, axis=2), ValueError, "unique: axis 2 is out of bounds"),
    (lambda: jnp.unique(I, size=-2), ValueError, "unique: size must be non-negative"),
    (lambda: jnp.union1d(A1, [1]), TypeError, "union1d requires ndarray or scalar"),
    (lambda: morphax.jit(jnp.unique)(A1), ConcretizationTypeError,
     "unique: the size of the result depends on the values"),
])
def test_errors(call, error, match):
  with pytest.raises(error, match=match):
    call()
