"""Control flow (ops/cond.py, ops/loops.py): values against Python, and
every transformation (jit, jvp, grad, vmap) against a Python loop or finite
differences."""

import numpy as np
import pytest

import morphax as jax
import morphax.numpy as jnp
from morphax import lax
from morphax.core import ir
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {"cond"}

X = np.array([0.5, 1.0, -0.3], np.float32)


def branchy(x):
  return lax.cond(jnp.sum(x) > 0, lambda x: jnp.sin(x) * 2.0, lambda x: jnp.cos(x) * x, x)


def np_branchy(x):
  return np.sin(x) * 2 if x.sum() > 0 else np.cos(x) * x


@pytest.mark.parametrize("x", [X, -X], ids=["true", "false"])
def test_cond_values_jit_and_grads(x):
  np.testing.assert_allclose(np.asarray(branchy(jnp.asarray(x))), np_branchy(x), rtol=1e-6)
  np.testing.assert_allclose(np.asarray(jax.jit(branchy)(jnp.asarray(x))), np_branchy(x), rtol=1e-6)
  check_grads(branchy, (jnp.asarray(x),), order=2)
  g = jax.jit(jax.grad(lambda x: jnp.sum(branchy(x))))(jnp.asarray(x))
  expected = 2 * np.cos(x) if x.sum() > 0 else np.cos(x) - x * np.sin(x)
  np.testing.assert_allclose(np.asarray(g), expected, rtol=1e-5)


def test_cond_vmap_batched_and_unbatched_predicate():
  xs = np.stack([X, -X, X * 2])
  out = jax.vmap(branchy)(jnp.asarray(xs))
  np.testing.assert_allclose(np.asarray(out), np.stack([np_branchy(x) for x in xs]), rtol=1e-6)
  # The predicate is unbatched when it depends only on an unbatched value.
  f = lambda p, x: lax.cond(p > 0, lambda x: x * 2.0, lambda x: x - 1.0, x)
  out = jax.vmap(f, in_axes=(None, 0))(1.0, jnp.asarray(xs))
  np.testing.assert_allclose(np.asarray(out), xs * 2, rtol=1e-6)
  grads = jax.vmap(jax.grad(lambda x: jnp.sum(branchy(x))))(jnp.asarray(xs))
  assert grads.shape == xs.shape


def test_cond_pytrees_integer_predicate_and_closures():
  c = jnp.asarray(3.0)
  out = lax.cond(2, lambda d: {"a": d["a"] + c}, lambda d: {"a": d["a"] - c}, {"a": jnp.ones(2)})
  np.testing.assert_array_equal(np.asarray(out["a"]), [4.0, 4.0])
  closed = jax.make_jaxpr(lambda x: lax.cond(x > 0, lambda: x * c, lambda: x, ))(1.0)
  assert ir.typecheck(closed)


def test_switch_clamps_the_index():
  branches = [lambda x: x, lambda x: x * 2.0, lambda x: x * 3.0]
  for i, k in [(-5, 1), (0, 1), (1, 2), (2, 3), (9, 3)]:
    assert float(lax.switch(i, branches, 1.0)) == k
  out = jax.vmap(lambda i, x: lax.switch(i, branches, x))(jnp.asarray([0, 2, 1]), jnp.ones(3))
  np.testing.assert_array_equal(np.asarray(out), [1.0, 3.0, 2.0])
  g = jax.grad(lambda x: lax.switch(1, branches, x))(1.0)
  assert float(g) == 2.0


@pytest.mark.parametrize("call, match", [
    (lambda: lax.cond(jnp.ones(2) > 0, lambda: 1.0, lambda: 2.0),
     r"cond: the predicate must be a scalar boolean \(or integer\), got bool\[2\]"),
    (lambda: lax.cond(True, lambda: jnp.ones(2), lambda: jnp.ones(3)),
     r"cond: true_fun returns f32\[2\] but false_fun returns f32\[3\]"),
    (lambda: lax.switch(0, [], 1.0), r"switch: branches must be a non-empty"),
])
def test_cond_errors(call, match):
  with pytest.raises((TypeError, ValueError), match=match):
    call()
