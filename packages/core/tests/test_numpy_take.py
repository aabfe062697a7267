"""morphax.numpy take, take_along_axis, put, put_along_axis, choose, select,
compress and extract against numpy (eager, jit, vmap, grad)."""

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.core.trace import ConcretizationTypeError
from morphax.test_util import check_grads

_CANON = {np.dtype(np.int64): np.int32, np.dtype(np.float64): np.float32}


def _check(out, expected):
  expected = np.asarray(expected)
  expected = expected.astype(_CANON.get(expected.dtype, expected.dtype))
  assert isinstance(out, morphax.Array), type(out)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
  np.testing.assert_array_equal(np.asarray(out), expected)


X = np.arange(12, dtype=np.float32).reshape(3, 4)
I = np.arange(12, dtype=np.int32).reshape(3, 4)
IDX = np.array([[0, 2], [-1, 1]], np.int32)
ALONG = np.array([[0, 3], [1, 1], [-1, 0]], np.int32)


def _put_along(a, i, v, axis):
  a = a.copy()
  np.put_along_axis(a, i, v, axis)
  return a


def _put(a, i, v, mode="raise"):
  a = a.copy()
  np.put(a, i, v, mode)
  return a


def _take_fill(a, i, axis, fill):
  """numpy take with JAX's mode='fill'."""
  n = a.shape[axis] if axis is not None else a.size
  i = np.asarray(i)
  ok = (i >= -n) & (i < n)
  out = np.take(a, np.where(ok, i, 0), axis=axis)
  mask = np.expand_dims(ok, tuple(range(axis or 0))) if axis else ok
  mask = mask.reshape(mask.shape + (1,) * (out.ndim - mask.ndim))
  return np.where(mask, out, fill).astype(a.dtype)


# (name, args, kwargs, expected) with expected from numpy.
CASES = [
    ("take", (X, IDX), {}, np.take(X, IDX)),
    ("take", (X, IDX), {"axis": 1}, np.take(X, IDX, axis=1)),
    ("take", (X, IDX), {"axis": 0}, np.take(X, IDX, axis=0)),
    ("take", (X, np.int32(2)), {"axis": 1}, np.take(X, 2, axis=1)),
    ("take", (X, np.array([1, 7, -9], np.int32)), {"axis": 1},
     _take_fill(X, [1, 7, -9], 1, np.nan)),
    ("take", (I, np.array([1, 7], np.int32)), {"axis": 1, "fill_value": -5},
     _take_fill(I, [1, 7], 1, -5)),
    ("take", (I, np.array([1, 7], np.int32)), {"axis": 1},
     _take_fill(I, [1, 7], 1, np.iinfo(np.int32).min)),
    ("take", (X, np.array([1, 7, -9], np.int32)), {"axis": 1, "mode": "clip"},
     np.take(X, [1, 7, -9], axis=1, mode="clip")),
    ("take", (X, np.array([1, 7, -9], np.int32)), {"axis": 1, "mode": "wrap"},
     np.take(X, [1, 7, -9], axis=1, mode="wrap")),
    ("take", (X, np.zeros((0,), np.int32)), {"axis": 0}, np.take(X, [], axis=0)),
    ("take", (np.zeros((0, 2), np.float32), np.array([0], np.int32)), {"axis": 0},
     np.full((1, 2), np.nan, np.float32)),
    ("take", (X, np.array([3], np.uint8)), {}, np.take(X, [3])),
    ("take_along_axis", (X, ALONG), {"axis": 1}, np.take_along_axis(X, ALONG, 1)),
    ("take_along_axis", (X, np.array([[2], [0]], np.int32)), {"axis": 0},
     np.take_along_axis(X, np.array([[2], [0]], np.int32), 0)),
    ("take_along_axis", (X, ALONG[:, :1]), {"axis": -1},
     np.take_along_axis(X, ALONG[:, :1], -1)),
    ("take_along_axis", (X, np.array([[5]], np.int32)), {"axis": 1},
     np.full((3, 1), np.nan, np.float32)),
    ("take_along_axis", (X, np.array([[5]], np.int32)), {"axis": 1, "mode": "clip"},
     X[:, 3:]),
    ("take_along_axis", (X, np.array([11, 0], np.int32)), {"axis": None},
     np.take_along_axis(X, np.array([11, 0]), None)),
    ("take_along_axis", (X, np.argsort(X, axis=0).astype(np.int32)), {"axis": 0},
     np.sort(X, axis=0)),
    ("put_along_axis", (X, ALONG, 9., 1), {"inplace": False},
     _put_along(X, ALONG, 9., 1)),
    ("put_along_axis", (X, ALONG[:, :1], np.float32([[7], [8], [9]]), 1),
     {"inplace": False}, _put_along(X, ALONG[:, :1], [[7], [8], [9]], 1)),
    ("put_along_axis", (X, np.array([0, 11], np.int32), -1., None),
     {"inplace": False}, _put_along(X, np.array([0, 11]), -1., None)),
    ("put_along_axis", (X, np.array([[9]], np.int32), 1., 1), {"inplace": False}, X),
    ("put", (X, np.array([0, 5], np.int32), np.float32([9, 8])), {"inplace": False},
     _put(X, [0, 5], [9, 8])),
    ("put", (X, np.array([0, 5, -1], np.int32), np.float32([9, 8])),
     {"inplace": False}, _put(X, [0, 5, -1], [9, 8])),
    ("put", (X, np.array([0, 50], np.int32), 1.), {"inplace": False, "mode": "clip"},
     _put(X, [0, 50], 1., "clip")),
    ("put", (X, np.array([0, 50], np.int32), 1.), {"inplace": False}, _put(X, [0], 1.)),
    ("choose", (np.array([[0, 1, 2, 1]], np.int32), [X[0], X[1], 100.]), {},
     np.choose([[0, 1, 2, 1]], [X[0], X[1], 100.]).astype(np.float32)),
    ("choose", (np.array([0, 4, -1], np.int32), [I[0, :3], I[1, :3]]),
     {"mode": "wrap"}, np.choose([0, 4, -1], [I[0, :3], I[1, :3]], mode="wrap")),
    ("choose", (np.array([0, 4, -1], np.int32), [I[0, :3], I[1, :3]]),
     {"mode": "clip"}, np.choose([0, 4, -1], [I[0, :3], I[1, :3]], mode="clip")),
    ("choose", (np.int32(0), [I]), {}, I),
    ("select", ([X < 3, X > 8], [X, -X]), {}, np.select([X < 3, X > 8], [X, -X])),
    ("select", ([X < 3, X > 1], [I, X[0]], 100), {},
     np.select([X < 3, X > 1], [I, X[0]], 100).astype(np.float32)),
    ("select", ([np.bool_(True)], [np.int32(3)]), {}, np.select([True], [3])),
    ("compress", (np.array([True, False, True]), X), {"axis": 0},
     np.compress([True, False, True], X, axis=0)),
    ("compress", (np.array([False, True]), X), {"axis": 1},
     np.compress([False, True], X, axis=1)),
    ("compress", (np.array([1, 0, 1], np.int32), X), {}, np.compress([1, 0, 1], X)),
    ("compress", (np.array([True, False]), X), {"axis": 0, "size": 3, "fill_value": -1},
     np.concatenate([X[:1], -np.ones((2, 4), np.float32)])),
    ("extract", (X > 5, X), {}, np.extract(X > 5, X)),
    ("extract", (I % 5, I), {}, np.extract(I % 5, I)),
    ("extract", (X > 5, X), {"size": 2}, np.extract(X > 5, X)[:2]),
    ("extract", (X > 10, X), {"size": 3, "fill_value": 7}, np.float32([11, 7, 7])),
]


@pytest.mark.parametrize("name, args, kwargs, expected", CASES)
def test_against_numpy(name, args, kwargs, expected):
  _check(getattr(jnp, name)(*args, **kwargs), expected)


@pytest.mark.parametrize("name, args, kwargs, expected", CASES[::3])
def test_jit_matches_eager(name, args, kwargs, expected):
  if name == "choose" and "mode" not in kwargs:
    kwargs = dict(kwargs, mode="clip")
  if name in ("compress", "extract") and "size" not in kwargs:
    kwargs = dict(kwargs, size=expected.shape[0] if name == "extract"
                  else expected.shape[kwargs.get("axis") or 0])
  arrays = [a for a in args if isinstance(a, np.ndarray)]

  def g(*xs):
    it = iter(xs)
    return getattr(jnp, name)(
        *[next(it) if isinstance(a, np.ndarray) else a for a in args], **kwargs)
  _check(morphax.jit(g)(*arrays), expected)


def test_vmap():
  xs = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
  idxs = np.array([[[2, 0], [1, 3], [0, 0]], [[3, 3], [-1, 9], [1, 2]]], np.int32)
  for f in [
      lambda x, i: jnp.take(x, i, axis=1),
      lambda x, i: jnp.take_along_axis(x, i, axis=1),
      lambda x, i: jnp.put_along_axis(x, i, 0., axis=1, inplace=False),
      lambda x, i: jnp.select([x > 5], [x], -1.),
      lambda x, i: jnp.choose(i[:, :1], [x[:, :2], -x[:, :2]], mode="wrap"),
      lambda x, i: jnp.extract(x > 10, x, size=5),
  ]:
    out = morphax.vmap(f)(xs, idxs)
    rows = [np.asarray(f(x, i)) for x, i in zip(xs, idxs)]
    np.testing.assert_array_equal(np.asarray(out), np.stack(rows))


def test_grads():
  x = np.array([[0.3, -1.2, 2.0], [0.5, 0.1, -0.7]], np.float32)
  i = np.array([[2, 0], [1, 1]], np.int32)
  check_grads(lambda y: jnp.take(y, i, axis=1), (x,), 2)
  check_grads(lambda y: jnp.take(y, np.array([5, 0], np.int32)), (x,), 1)
  check_grads(lambda y: jnp.take_along_axis(y, i, axis=1), (x,), 2)
  check_grads(lambda y, v: jnp.put_along_axis(y, i[:, :1], v, axis=1,
                                              inplace=False),
              (x, np.float32([[1.], [2.]])), 1)
  check_grads(lambda y: jnp.select([y > 0, y < -1], [y * y, 3 * y], 1.), (x,), 2)
  check_grads(lambda a, b: jnp.choose(np.array([0, 1, 1], np.int32), [a, b]),
              (x[0], x[1]), 2)
  check_grads(lambda y: jnp.extract(np.abs(x) > 0.4, y), (x,), 1)


@pytest.mark.parametrize("call, error, match", [
    (lambda: jnp.take(X, np.float32([1.])), TypeError,
     "take: indices must be an integer array, got dtype float32"),
    (lambda: jnp.take(X, IDX, mode="raise"), NotImplementedError,
     "take: mode='raise' is not supported"),
    (lambda: jnp.take(X, IDX, mode="bogus"), ValueError, "take: mode must be one of"),
    (lambda: jnp.take(X, IDX, axis=2), ValueError, "take: axis 2 is out of bounds"),
    (lambda: jnp.take(np.zeros((0,)), IDX, mode="clip"), IndexError,
     "take: cannot do a non-empty take from an empty axis"),
    (lambda: jnp.take_along_axis(X, IDX[0], axis=1), ValueError,
     r"take_along_axis: indices and arr must have the same number of dimensions, "
     r"got arr shape \(3, 4\) and indices shape \(2,\)"),
    (lambda: jnp.take_along_axis(X, IDX, axis=None), ValueError,
     "take_along_axis: when axis=None, indices must be 1-D"),
    (lambda: jnp.take_along_axis(X, np.zeros((2, 2), np.int32), axis=1), ValueError,
     r"take_along_axis: arr of shape \(3, 4\) and indices of shape \(2, 2\) do "
     "not broadcast"),
    (lambda: jnp.put_along_axis(X, ALONG, 1., 1), ValueError,
     "put_along_axis: JAX arrays are immutable.*inplace=False"),
    (lambda: jnp.put_along_axis(X, ALONG, np.ones(3), 1, inplace=False), ValueError,
     r"put_along_axis: values of shape \(3,\) do not broadcast"),
    (lambda: jnp.put(X, IDX, 1.), ValueError, "put: JAX arrays are immutable"),
    (lambda: jnp.put(X, IDX, 1., mode="raise", inplace=False), NotImplementedError,
     "put: mode='raise' is not supported"),
    (lambda: jnp.choose(np.array([0, 3], np.int32), [X[0, :2], X[1, :2]]), ValueError,
     r"choose: invalid entry in choice array.*\[0, 2\)"),
    (lambda: morphax.jit(lambda a: jnp.choose(a, [X[0, :2], X[1, :2]]))(
        np.array([0, 1], np.int32)), ConcretizationTypeError,
     "choose: mode='raise' checks the index values.*mode='wrap'"),
    (lambda: jnp.choose(np.array([0]), []), ValueError, "choose: choices must not be empty"),
    (lambda: jnp.choose(np.array([0]), [X], mode="x"), ValueError,
     "choose: mode must be one of"),
    (lambda: jnp.select([X > 1], [X, X]), ValueError,
     "select: condlist and choicelist must have the same length, got 1 and 2"),
    (lambda: jnp.select([], []), ValueError, "select: condlist must be non-empty"),
    (lambda: jnp.select([I], [X]), TypeError,
     "select: condlist entry 0 must be a bool array, got dtype int32"),
    (lambda: jnp.select([X > 1], [np.ones(5)]), ValueError,
     r"select: shapes \(3, 4\), \(5,\) and \(\) cannot be broadcast"),
    (lambda: jnp.compress(np.ones((2, 2), bool), X), ValueError,
     r"compress: condition must be a 1-D array, got shape \(2, 2\)"),
    (lambda: jnp.compress(np.ones(5, bool), X, axis=0), ValueError,
     r"compress: condition of length 5 is longer than axis 0 of a, of size 3"),
    (lambda: morphax.jit(lambda x: jnp.extract(x > 1, x))(X), ConcretizationTypeError,
     "compress: the size of the result depends on the values.*size="),
])
def test_errors(call, error, match):
  with pytest.raises(error, match=match):
    call()
