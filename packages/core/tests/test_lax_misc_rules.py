"""Rule tables for lax_misc's primitives: optimization_barrier (jvp,
transpose, batch, jit) and rng_bit_generator (batch and jit; it is not
differentiable)."""

import numpy as np

import morphax
import morphax.numpy as jnp
from morphax import lax
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {"optimization_barrier", "rng_bit_generator"}

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32)


def _barrier_fn(x, y):
  a, b = lax.optimization_barrier((jnp.sin(x), y * 2.0))
  return a * b


def test_optimization_barrier_grads():
  check_grads(_barrier_fn, (X, X[::-1]), order=2, eps=1e-2, tol=2e-2)
  grad = morphax.grad(lambda x: jnp.sum(lax.optimization_barrier(x) * x))(X)
  np.testing.assert_allclose(np.asarray(grad), 2 * X, rtol=1e-6)


def test_optimization_barrier_linear_transpose():
  # <ct, J v> == <J^T ct, v> for the identity-like barrier.
  v, ct = X, X[::-1] * 3
  _, pullback = morphax.vjp(lambda x: lax.optimization_barrier(x) * 2.0, v)
  lhs = np.sum(ct * 2.0 * v)
  rhs = np.sum(np.asarray(pullback(ct)[0]) * v)
  np.testing.assert_allclose(lhs, rhs, rtol=1e-6)


def test_optimization_barrier_vmap_and_jit():
  out = morphax.vmap(_barrier_fn, in_axes=(0, 1))(X, X.T)
  loop = np.stack([np.asarray(_barrier_fn(x, y)) for x, y in zip(X, np.moveaxis(X.T, 1, 0))])
  np.testing.assert_allclose(np.asarray(out), loop, rtol=1e-6)
  np.testing.assert_allclose(np.asarray(morphax.jit(_barrier_fn)(X, X)),
                             np.asarray(_barrier_fn(X, X)), rtol=1e-6)
  assert "optimization_barrier" in str(morphax.make_jaxpr(_barrier_fn)(X, X))


KEYS = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [0, 0, 0, 1]], np.uint32)


def _draw(key):
  return lax.rng_bit_generator(key, (2, 3), np.uint16)


def test_rng_bit_generator_vmap_matches_loop():
  new_keys, bits = morphax.vmap(_draw)(KEYS)
  for i, key in enumerate(KEYS):
    k, b = _draw(key)
    np.testing.assert_array_equal(np.asarray(new_keys[i]), np.asarray(k))
    np.testing.assert_array_equal(np.asarray(bits[i]), np.asarray(b))
  assert bits.dtype == np.uint16 and bits.shape == (3, 2, 3)


def test_rng_bit_generator_jit_matches_eager():
  for algorithm in lax.RandomAlgorithm:
    f = lambda k: lax.rng_bit_generator(k, (4,), np.uint32, algorithm)  # noqa: E731
    for got, want in zip(morphax.jit(f)(KEYS[1]), f(KEYS[1])):
      np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
