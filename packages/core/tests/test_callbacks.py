"""Host callbacks (ops/callback.py): debug.print / debug.callback and
pure_callback, eagerly and under jit, vmap, grad and loops."""

import numpy as np
import pytest

import morphax as jax
import morphax.numpy as jnp
from morphax import lax

PRIMITIVES_COVERED = {"callback"}


def noisy(x):
  jax.debug.print("x = {}", x)
  y = jnp.sin(x)
  jax.debug.print("y = {y}", y=y)
  return y * 2


@pytest.mark.parametrize("wrap", [lambda f: f, jax.jit], ids=["eager", "jit"])
def test_debug_print_in_order(wrap, capsys):
  out = wrap(noisy)(jnp.ones(2))
  np.testing.assert_allclose(np.asarray(out), 2 * np.sin(np.ones(2)), rtol=1e-6)
  assert capsys.readouterr().out.splitlines() == ["x = [1. 1.]", "y = [0.84147096 0.84147096]"]


def test_debug_print_under_grad_vmap_and_loops(capsys):
  g = jax.grad(lambda x: jnp.sum(noisy(x)))(jnp.ones(2))
  np.testing.assert_allclose(np.asarray(g), 2 * np.cos(np.ones(2)), rtol=1e-6)
  assert "x = [1. 1.]" in capsys.readouterr().out
  jax.vmap(noisy)(jnp.asarray([[1.0], [2.0]]))
  lines = capsys.readouterr().out.splitlines()
  assert lines[:2] == ["x = [1.]", "x = [2.]"]
  def body(i, c):
    jax.debug.print("step {} c={}", i, c)
    return c * 2
  assert float(jax.jit(lambda x: lax.fori_loop(0, 3, body, x))(1.0)) == 8.0
  assert capsys.readouterr().out.splitlines() == ["step 0 c=1.0", "step 1 c=2.0", "step 2 c=4.0"]


def test_debug_callback_receives_numpy_values():
  seen = []
  jax.jit(lambda x: jax.debug.callback(lambda v: seen.append(v.copy()), x * 2))(jnp.arange(3.0))
  assert isinstance(seen[0], np.ndarray)
  np.testing.assert_array_equal(seen[0], [0.0, 2.0, 4.0])


@pytest.mark.parametrize("vmap_method", ["sequential", "expand_dims", "broadcast_all"])
def test_pure_callback(vmap_method):
  calls = []

  def host_sin(x):
    calls.append(x.shape)
    return np.sin(x)

  f = lambda x: jax.pure_callback(host_sin, jax.ShapeDtypeStruct(x.shape, x.dtype), x,
                                  vmap_method=vmap_method)
  x = np.linspace(0, 1, 3, dtype=np.float32)
  for g in (f, jax.jit(f)):
    np.testing.assert_allclose(np.asarray(g(jnp.asarray(x))), np.sin(x), rtol=1e-6)
  calls.clear()
  batch = np.stack([x, x + 1])
  np.testing.assert_allclose(np.asarray(jax.vmap(f)(jnp.asarray(batch))), np.sin(batch), rtol=1e-6)
  assert calls == ([(3,), (3,)] if vmap_method == "sequential" else [(2, 3)])


def test_pure_callback_errors():
  f = lambda x: jax.pure_callback(np.sin, jax.ShapeDtypeStruct(x.shape, x.dtype), x)
  with pytest.raises(TypeError, match=r"pure_callback sin has no derivative.*custom_jvp"):
    jax.grad(lambda x: jnp.sum(f(x)))(jnp.ones(2))
  bad = lambda x: jax.pure_callback(lambda v: v[:1], jax.ShapeDtypeStruct((2,), np.float32), x)
  with pytest.raises(TypeError, match=r"pure_callback <lambda> returned \['float32\[1\]'\], but result_shape_dtypes declares \['f32\[2\]'\]"):
    bad(jnp.ones(2))
  with pytest.raises(ValueError, match="unknown vmap_method 'loop'"):
    jax.pure_callback(np.sin, jax.ShapeDtypeStruct((2,), np.float32), jnp.ones(2), vmap_method="loop")


# --- Debugging flags --------------------------------------------------------------------

def nan_maker(x):
  y = jnp.log(x)
  return jnp.sqrt(y * 2.0)  # nan where x < 1: the line the error names


@pytest.mark.parametrize("wrap", [lambda f: f, jax.jit, lambda f: jax.jit(jax.jit(f))],
                         ids=["eager", "jit", "nested jit"])
def test_debug_nans_names_the_primitive_and_line(wrap):
  import inspect
  line = inspect.getsource(nan_maker).splitlines().index(
      "  return jnp.sqrt(y * 2.0)  # nan where x < 1: the line the error names")
  expected_line = nan_maker.__code__.co_firstlineno + line
  jax.config.update("jax_debug_nans", True)
  try:
    np.testing.assert_allclose(np.asarray(wrap(nan_maker)(jnp.asarray([4.0, 2.0]))),
                               np.sqrt(2 * np.log([4.0, 2.0])), rtol=1e-6)
    with pytest.raises(FloatingPointError,
                       match=rf"invalid value \(nan\) encountered in sqrt, at .*test_callbacks.py:{expected_line}"):
      wrap(nan_maker)(jnp.asarray([4.0, 0.5]))
  finally:
    jax.config.update("jax_debug_nans", False)
  assert np.isnan(np.asarray(nan_maker(jnp.asarray([0.5])))).all()  # flag off: no error


def test_debug_infs_and_disable_jit():
  jax.config.update("jax_debug_infs", True)
  try:
    with pytest.raises(FloatingPointError, match=r"invalid value \(inf\) encountered in div"):
      jax.jit(lambda x: 1.0 / x)(jnp.zeros(2))
  finally:
    jax.config.update("jax_debug_infs", False)
  seen = []
  f = jax.jit(lambda x: seen.append(type(x).__name__) or x + 1)
  with jax.disable_jit():
    assert float(f(1.0)) == 2.0
  assert seen == ["float"]  # ran as plain Python: no tracer


def sqrt_at_zero(x):
  y = x * 2.0
  z = jnp.sqrt(y)  # sqrt'(0) is inf: the backward pass makes the nan
  return jnp.sum(z * 0.0)


@pytest.mark.parametrize("wrap", [lambda f: f, jax.jit], ids=["grad", "jit(grad)"])
def test_debug_nans_in_the_backward_pass_names_the_forward_line(wrap):
  import inspect
  line = sqrt_at_zero.__code__.co_firstlineno + inspect.getsource(sqrt_at_zero).splitlines().index(
      "  z = jnp.sqrt(y)  # sqrt'(0) is inf: the backward pass makes the nan")
  jax.config.update("jax_debug_nans", True)
  try:
    with pytest.raises(FloatingPointError,
                       match=rf"test_callbacks.py:{line}, in the backward pass: the derivative of the "
                             r"operation on that line produced it"):
      wrap(jax.grad(sqrt_at_zero))(jnp.asarray([0.0, 1.0]))
  finally:
    jax.config.update("jax_debug_nans", False)
