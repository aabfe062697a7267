"""morphax.numpy counting and binning against numpy: bincount,
histogram, histogram_bin_edges and digitize, eagerly, under jit and vmap."""

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads

from test_numpy_manipulation import R, check

X = np.array([0, 1, 1, 3, 7, 3, 3], np.int32)
A = np.array([1., 2., 2., 5., 3.5, -1., 0., 4.], np.float32)


@pytest.mark.parametrize("x, kw", [
    (X, {}), (X, {"minlength": 10}), (X, {"weights": R(7)}), (X[:0], {"minlength": 3}),
    (np.array([True, False, True]), {}),
])
def test_bincount(x, kw):
  check(jnp.bincount(x, **kw), np.bincount(x, **kw))


def test_bincount_int_weights_keep_their_dtype():
  # As in JAX: the counts take the weights' dtype (numpy gives float64).
  w = np.arange(7, dtype=np.int32)
  check(jnp.bincount(X, w), np.bincount(X, w).astype(np.int32))


def test_bincount_jit_length():
  f = morphax.jit(lambda x, w: jnp.bincount(x, w, length=5))
  check(f(X, R(7)), np.bincount(X, R(7))[:5])
  with pytest.raises(ValueError, match="bincount: x is a traced array"):
    morphax.jit(jnp.bincount)(X)


@pytest.mark.parametrize("a, kw", [
    (A, {}), (A, {"bins": 3}), (A, {"bins": 4, "range": (0, 4)}),
    (A, {"bins": np.array([-1., 0., 2., 10.], np.float32)}), (A, {"bins": [0., 1., 3.]}),
    (A, {"bins": 4, "weights": R(8)}), (A, {"bins": 4, "density": True}),
    (A.reshape(2, 4), {"bins": 2}), (np.full(3, 2.0, np.float32), {"bins": 2}),
    (np.array([1, 5, 2, 9], np.int32), {"bins": 4}),
    (A, {"bins": [0., 1., 3.], "density": True, "weights": R(8) ** 2}),
])
def test_histogram(a, kw):
  counts, edges = jnp.histogram(a, **kw)
  want_counts, want_edges = np.histogram(a, **kw)
  check(edges, want_edges.astype(np.float32))
  check(counts, want_counts.astype(np.float32), rtol=1e-5, atol=1e-6)
  bin_kw = {k: v for k, v in kw.items() if k in ("bins", "range")}
  check(jnp.histogram_bin_edges(a, **bin_kw), np.histogram_bin_edges(a, **bin_kw).astype(np.float32))


def test_histogram_jit_and_vmap():
  f = morphax.jit(lambda a: jnp.histogram(a, bins=4, range=(0, 4)))
  counts, edges = f(A)
  check(counts, np.histogram(A, bins=4, range=(0, 4))[0].astype(np.float32))
  rows = R(3, 8)
  out = morphax.vmap(lambda a: jnp.histogram(a, bins=3)[0])(rows)
  check(out, np.stack([np.histogram(r, bins=3)[0] for r in rows]).astype(np.float32))
  out = morphax.vmap(lambda x: jnp.bincount(x, length=8))(np.stack([X, X[::-1]]))
  check(out, np.stack([np.bincount(X, minlength=8), np.bincount(X[::-1], minlength=8)]))


def test_histogram_weights_grad():
  check_grads(lambda w: jnp.histogram(A, bins=3, weights=w)[0], [R(8)], order=1)
  check_grads(lambda w: jnp.bincount(X, w), [R(7)], order=1)


@pytest.mark.parametrize("x, bins, right", [
    (A, np.array([0., 1., 2., 4.]), False), (A, np.array([0., 1., 2., 4.]), True),
    (A, np.array([4., 2., 1., 0.]), False), (A, np.array([4., 2., 1., 0.]), True),
    (np.array([1, 2, 3, 8], np.int32), np.array([0, 2, 2, 5], np.int32), False),
    (A.reshape(2, 4), np.array([1., 2.]), False), (np.float32(2.), np.array([1., 2., 3.]), True),
    (A, np.array([2.]), False),
])
def test_digitize(x, bins, right):
  check(jnp.digitize(x, bins, right), np.digitize(x, bins, right))
  check(morphax.jit(lambda x, b: jnp.digitize(x, b, right))(x, bins), np.digitize(x, bins, right))


@pytest.mark.parametrize("call, error, message", [
    (lambda: jnp.bincount(R(3)), TypeError, "bincount: x must be an integer array"),
    (lambda: jnp.bincount(X.reshape(7, 1)), ValueError, r"bincount: x must be 1-d"),
    (lambda: jnp.bincount(X, R(3)), ValueError, "bincount: weights shape"),
    (lambda: jnp.histogram(A, bins="auto"), NotImplementedError, "string estimators"),
    (lambda: jnp.histogram(A, bins=0), ValueError, "bins must be a positive int"),
    (lambda: jnp.histogram(A, weights=R(3)), ValueError, "histogram: weights must have the shape"),
    (lambda: jnp.digitize(A, np.ones((2, 2))), ValueError, "digitize: bins must be 1-d"),
])
def test_errors(call, error, message):
  with pytest.raises(error, match=message):
    call()
