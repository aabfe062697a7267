"""jit, jvp, grad and vmap nested in every order agree with each other and
with numpy / a Python loop."""

import itertools

import numpy as np
import pytest

import morphax as jax
import morphax.numpy as jnp

X = np.array([[0.1, 0.7, -0.4], [1.2, -0.3, 0.5]], np.float32)


def f(x):
  """Scalar function of a vector: sum(sin(x) * exp(x) - cos(x) * x)."""
  return jnp.sum(jnp.sin(x) * jnp.exp(x) - jnp.cos(x) * x)


def df(x):
  return np.cos(x) * np.exp(x) + np.sin(x) * np.exp(x) - (-np.sin(x) * x + np.cos(x))


def d2f(x):
  # d/dx of df, elementwise (the Hessian is diagonal).
  return (2 * np.cos(x) * np.exp(x)) - (-np.cos(x) * x - 2 * np.sin(x))


def jvp_of(fun):
  return lambda x: jax.jvp(fun, (x,), (jnp.ones_like(x),))[1]


WRAPPERS = {
    "jit": jax.jit,
    "grad": jax.grad,
    "jvp": jvp_of,
}


# Per-example gradients need vmap outside grad; jit may go anywhere.
ORDERS = [o for o in itertools.permutations(["jit", "grad", "vmap"])
          if o.index("vmap") < o.index("grad")]


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: "(".join(o))
def test_per_example_gradient_in_every_nesting(order):
  """vmap(grad(f)) written with jit anywhere in the nest."""
  fun = f
  for name in reversed(order):
    fun = jax.vmap(fun) if name == "vmap" else WRAPPERS[name](fun)
  out = np.asarray(fun(jnp.asarray(X)))
  np.testing.assert_allclose(out, np.stack([df(x) for x in X]), rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("outer, inner", [
    ("grad", "jvp"), ("jvp", "grad"), ("jit", "jvp"), ("jvp", "jit"),
])
def test_second_derivatives_agree(outer, inner):
  """d/dx of (directional) first derivatives: the Hessian's row sums."""
  second = WRAPPERS[outer](lambda x: jnp.sum(WRAPPERS[inner](f)(x))) \
      if outer == "grad" else WRAPPERS[outer](WRAPPERS[inner](f))
  x = jnp.asarray(X[0])
  got = np.asarray(second(x))
  if outer == "jit" and inner == "jvp":
    expected = np.sum(df(X[0]))
  elif outer == "jvp" and inner == "jit":
    expected = np.sum(df(X[0]))
  else:
    expected = d2f(X[0])
  np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-5)


def test_hessian_three_ways():
  x = jnp.asarray(X[0])
  expected = np.diag(d2f(X[0]))
  for h in (jax.hessian(f), jax.jacfwd(jax.jacrev(f)), jax.jacrev(jax.jacfwd(f)),
            jax.jit(jax.hessian(f))):
    np.testing.assert_allclose(np.asarray(h(x)), expected, rtol=2e-5, atol=1e-5)


def test_jvp_of_vjp():
  """The derivative of the pullback is the pullback of the derivative."""
  x = jnp.asarray(X[0])
  ct = jnp.asarray(np.float32(1.5))

  def pullback(x):
    return jax.vjp(f, x)[1](ct)[0]

  _, tangent = jax.jvp(pullback, (x,), (jnp.ones_like(x),))
  np.testing.assert_allclose(np.asarray(tangent), 1.5 * d2f(X[0]), rtol=2e-5, atol=1e-5)


def test_jit_vmap_jit_matches_loop():
  fun = jax.jit(jax.vmap(jax.jit(f)))
  np.testing.assert_allclose(np.asarray(fun(jnp.asarray(X))),
                             [float(f(jnp.asarray(x))) for x in X], rtol=1e-6)
