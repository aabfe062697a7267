"""custom_jvp and custom_vjp (ops/custom_derivatives.py): the user's rule
is what differentiation uses, under jit, vmap, grad, nested grad and
inside scan."""

import numpy as np
import pytest

import morphax as jax
import morphax.numpy as jnp
from morphax import lax
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {"custom_jvp_call", "custom_vjp_call", "custom_lin"}


@jax.custom_jvp
def log1pexp(x):
  return jnp.log(1.0 + jnp.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
  x, = primals
  t, = tangents
  # The stable derivative (sigmoid); autodiff of the primal gives nan at 100.
  return log1pexp(x), t * (1.0 - 1.0 / (1.0 + jnp.exp(x)))


def sigmoid(x):
  return 1.0 / (1.0 + np.exp(-x))


@pytest.mark.parametrize("make", [
    lambda g: jax.vmap(g), lambda g: jax.vmap(jax.jit(g)), lambda g: jax.jit(jax.vmap(g)),
], ids=["vmap(grad)", "vmap(jit(grad))", "jit(vmap(grad))"])
def test_custom_jvp_rule_is_used(make):
  x = jnp.asarray([0.0, 2.0, 100.0])
  out = make(jax.grad(log1pexp))(x)
  np.testing.assert_allclose(np.asarray(out), sigmoid(np.asarray(x)), rtol=1e-6)


def test_custom_jvp_nested_grad_and_defjvps():
  second = jax.grad(jax.grad(log1pexp))(1.0)
  np.testing.assert_allclose(float(second), sigmoid(1.0) * (1 - sigmoid(1.0)), rtol=1e-5)

  @jax.custom_jvp
  def twice(x, y):
    return 2.0 * x * y
  twice.defjvps(lambda g, ans, x, y: 2.0 * g * y, lambda g, ans, x, y: 2.0 * x * g)
  check_grads(twice, (jnp.asarray([1.0, 2.0]), jnp.asarray([0.5, -1.0])), order=2)


@jax.custom_vjp
def clip_gradient(x):
  return x


clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (jnp.clip(g, -0.5, 0.5),))


@jax.custom_vjp
def sin_times(x, y):
  return jnp.sin(x) * y


def _sin_times_fwd(x, y):
  return sin_times(x, y), {"cos": jnp.cos(x), "sin": jnp.sin(x), "y": y}


def _sin_times_bwd(res, g):
  return (res["cos"] * g * res["y"], res["sin"] * g)


sin_times.defvjp(_sin_times_fwd, _sin_times_bwd)


def test_custom_vjp_rule_is_used_everywhere():
  f = lambda x: jnp.sum(clip_gradient(x) * 3.0)
  for g in (jax.grad(f), jax.jit(jax.grad(f))):
    np.testing.assert_array_equal(np.asarray(g(jnp.ones(2))), [0.5, 0.5])
  per_example = jax.vmap(jax.grad(lambda x: clip_gradient(x) * 3.0))(jnp.ones(2))
  np.testing.assert_array_equal(np.asarray(per_example), [0.5, 0.5])
  gx, gy = jax.grad(sin_times, argnums=(0, 1))(1.0, 2.0)
  np.testing.assert_allclose([float(gx), float(gy)], [np.cos(1) * 2, np.sin(1)], rtol=1e-6)
  check_grads(sin_times, (jnp.asarray([0.3, 1.0]), jnp.asarray([2.0, -1.0])), order=1, modes=("rev",))


def test_custom_vjp_inside_scan_inside_jit_inside_grad():
  g = lambda x: lax.scan(lambda c, xi: (c + sin_times(xi, c), None), 1.0, x)[0]
  x = np.array([0.1, 0.2, -0.4], np.float32)
  got = np.asarray(jax.grad(jax.jit(g))(jnp.asarray(x)))
  eps = 1e-3
  fd = [(float(g(jnp.asarray(x + eps * e))) - float(g(jnp.asarray(x - eps * e)))) / (2 * eps)
        for e in np.eye(3, dtype=np.float32)]
  np.testing.assert_allclose(got, fd, rtol=5e-3, atol=1e-3)


def test_custom_vjp_forward_mode_error():
  with pytest.raises(TypeError, match=r"can't apply forward-mode autodiff \(jvp\) to a custom_vjp function: clip_gradient"):
    jax.jvp(clip_gradient, (1.0,), (1.0,))


def test_missing_rule_and_nondiff_argnums():
  @jax.custom_jvp
  def no_rule(x):
    return x * 2.0
  assert float(no_rule(1.0)) == 2.0  # eager calls need no rule
  with pytest.raises(AttributeError, match=r"no_rule.defjvp"):
    jax.grad(no_rule)(1.0)

  @jax.custom_vjp
  def scaled(k, x):
    return k * x
  scaled.defvjp(lambda k, x: (k * x, None), lambda k, res, g: (k * g * 10.0,))
  scaled.nondiff_argnums = (0,)
  assert float(jax.grad(lambda x: scaled(3.0, x))(1.0)) == 30.0
