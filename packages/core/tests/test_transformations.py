"""The transformation machinery end to end (api.py, interpreters/): jaxprs,
jit, jvp, grad, vmap and their nesting, against numpy, finite differences
and Python loops. Per-primitive rule tables live beside each family."""

import numpy as np
import pytest

import morphax as jax
import morphax.numpy as jnp
from morphax import lax
from morphax.core import ir
from morphax.core.trace import ConcretizationTypeError, UnexpectedTracerError

# Both are exercised by every row below: add_any sums cotangents of values
# used twice; jit is the call primitive.
PRIMITIVES_COVERED = {"add_any", "jit", "stop_gradient"}  # (rule rows)


def f_poly(x):
  return jnp.sum(jnp.sin(x) * x)


def df_poly(x):
  return np.cos(x) * x + np.sin(x)


X = np.array([0.0, 0.5, 1.0, 2.0], np.float32)


def numeric_grad(f, x, eps=1e-3):
  x = np.asarray(x, np.float64)
  g = np.zeros_like(x)
  for i in range(x.size):
    e = np.zeros_like(x)
    e.flat[i] = eps
    g.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
  return g


def np_f_poly(x):
  return np.sum(np.sin(x) * x)


# --- Jaxprs -----------------------------------------------------------------------

def test_make_jaxpr_prints_like_jax():
  text = str(jax.make_jaxpr(lambda x: lax.sin(x))(jnp.ones(3)))
  assert text == "{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }"


def test_make_jaxpr_literals_and_typecheck():
  closed = jax.make_jaxpr(lambda x: jnp.sin(x) * 2.0)(jnp.ones(3))
  assert "2.0:f32[]" in str(closed)
  assert ir.typecheck(closed) == [closed.out_avals[0]]
  assert closed.out_avals[0].shape == (3,)


def test_python_scalar_with_an_empty_array_under_jit():
  # The scalar broadcast to size 0 has no element to make a literal of.
  out = jax.jit(lambda x: lax.add(x, 1.0) * 2.0)(jnp.zeros((0, 3)))
  assert out.shape == (0, 3) and out.dtype == np.float32


def test_closures_become_constants():
  c = jnp.arange(3.0)
  closed = jax.make_jaxpr(lambda x: x * c)(jnp.ones(3))
  assert len(closed.jaxpr.constvars) == 1
  np.testing.assert_array_equal(np.asarray(closed.consts[0]), [0, 1, 2])


def test_eval_jaxpr_runs_a_traced_program():
  closed = jax.make_jaxpr(lambda x, y: jnp.sin(x) * y)(jnp.ones(3), jnp.ones(3))
  out, = jax.eval_jaxpr(closed.jaxpr, closed.consts, jnp.asarray(X[:3]), jnp.full(3, 2.0))
  np.testing.assert_allclose(np.asarray(out), np.sin(X[:3]) * 2, rtol=1e-6)


def test_eval_shape():
  out = jax.eval_shape(lambda x, y: {"s": jnp.sum(x @ y)}, jnp.ones((2, 3)),
                       jax.ShapeDtypeStruct((3, 4), np.float32))
  assert out["s"].shape == () and out["s"].dtype == np.float32


# --- jit --------------------------------------------------------------------------

def test_jit_matches_eager_and_caches():
  calls = []

  def f(x, y):
    calls.append(1)
    return jnp.sin(x) * y + 1.0

  jf = jax.jit(f)
  x, y = jnp.arange(4.0), jnp.ones(4)
  np.testing.assert_allclose(np.asarray(jf(x, y)), np.sin(np.arange(4.0)) + 1, rtol=1e-6)
  jf(x + 1, y)
  assert len(calls) == 1
  jf(jnp.arange(5.0), jnp.ones(5))
  assert len(calls) == 2


def test_jit_static_argnums_and_pytrees():
  @jax.jit
  def f(params, x):
    return {"out": params["w"] * x + params["b"]}

  out = f({"w": jnp.ones(2) * 2, "b": jnp.ones(2)}, jnp.arange(2.0))
  np.testing.assert_array_equal(np.asarray(out["out"]), [1.0, 3.0])

  g = jax.jit(lambda x, n: x * n, static_argnums=1)
  assert float(g(jnp.float32(2.0), 3)) == 6.0
  with pytest.raises(TypeError, match="static argument 1 of <lambda> has unhashable type list"):
    g(jnp.float32(2.0), [3])


def test_python_control_flow_under_jit_names_the_argument():
  def f(x, threshold):
    if x.sum() > threshold:
      return x
    return -x

  with pytest.raises(ConcretizationTypeError, match=r"(?s)depends on the traced arguments x, threshold of jit\(f\).*static_argnums"):
    jax.jit(f)(jnp.ones(3), 1.0)


def test_leaked_tracer_is_reported():
  leaked = []

  @jax.jit
  def f(x):
    leaked.append(x)
    return x

  f(jnp.ones(2))
  with pytest.raises(UnexpectedTracerError, match=r"jit\(f\)"):
    jnp.sin(leaked[0])


def test_lower_as_text_and_compile():
  lowered = jax.jit(lambda x: jnp.sin(x) + 1.0).lower(jnp.ones(3))
  assert "stablehlo.sine" in lowered.as_text()
  compiled = lowered.compile()
  assert compiled.cost_analysis() is not None


# --- Autodiff ---------------------------------------------------------------------

@pytest.mark.parametrize("transform", [
    lambda f: jax.grad(f),
    lambda f: jax.jit(jax.grad(f)),
    lambda f: jax.grad(jax.jit(f)),
    lambda f: jax.jit(jax.grad(jax.jit(f))),
], ids=["grad", "jit(grad)", "grad(jit)", "jit(grad(jit))"])
def test_grad_compositions(transform):
  g = transform(f_poly)(jnp.asarray(X))
  np.testing.assert_allclose(np.asarray(g), df_poly(X), rtol=1e-5, atol=1e-6)


def test_grad_matches_finite_differences():
  g = jax.grad(f_poly)(jnp.asarray(X))
  np.testing.assert_allclose(np.asarray(g), numeric_grad(np_f_poly, X), rtol=1e-3, atol=1e-3)


def test_jvp_and_linearize():
  t = np.ones_like(X)
  y, ty = jax.jvp(f_poly, (jnp.asarray(X),), (jnp.asarray(t),))
  np.testing.assert_allclose(float(y), np_f_poly(X), rtol=1e-6)
  np.testing.assert_allclose(float(ty), np.sum(df_poly(X)), rtol=1e-5)
  y2, f_jvp = jax.linearize(f_poly, jnp.asarray(X))
  np.testing.assert_allclose(float(f_jvp(jnp.asarray(t))), float(ty), rtol=1e-6)


def test_vjp_with_aux_and_value_and_grad():
  def f(x):
    return jnp.sum(x * x), {"norm": jnp.sum(x)}

  (value, aux), g = jax.value_and_grad(f, has_aux=True)(jnp.asarray(X))
  np.testing.assert_allclose(float(value), np.sum(X * X), rtol=1e-6)
  np.testing.assert_allclose(float(aux["norm"]), np.sum(X), rtol=1e-6)
  np.testing.assert_allclose(np.asarray(g), 2 * X, rtol=1e-6)


def test_grad_argnums_tuple():
  f = lambda x, y: jnp.sum(x * y)
  gx, gy = jax.grad(f, argnums=(0, 1))(jnp.asarray(X), jnp.ones(4))
  np.testing.assert_allclose(np.asarray(gx), np.ones(4))
  np.testing.assert_allclose(np.asarray(gy), X)


def test_hessian_forward_over_reverse_agree():
  x = jnp.asarray(X)
  expected = np.diag(2 * np.cos(X) - X * np.sin(X))
  for h in (jax.hessian(f_poly), jax.jacfwd(jax.jacrev(f_poly)),
            jax.jacrev(jax.jacfwd(f_poly))):
    np.testing.assert_allclose(np.asarray(h(x)), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bad, match", [
    (lambda x: x * 2.0, r"grad requires a scalar output, got f32\[4\]"),
])
def test_grad_errors(bad, match):
  with pytest.raises(TypeError, match=match):
    jax.grad(bad)(jnp.asarray(X))


def test_grad_of_integer_input_is_an_error():
  with pytest.raises(TypeError, match=r"argument 0 of <lambda> has dtype int32.*allow_int=True"):
    jax.grad(lambda x: jnp.sum(x * 1.0))(jnp.arange(3))


# --- vmap -------------------------------------------------------------------------

def test_vmap_matches_a_loop():
  xs = np.stack([X, X + 1, X * 2])
  out = jax.vmap(lambda x: jnp.sin(x) * 2.0)(jnp.asarray(xs))
  np.testing.assert_allclose(np.asarray(out), np.stack([np.sin(x) * 2 for x in xs]), rtol=1e-6)


def test_vmap_in_axes_and_out_axes():
  xs = np.arange(6.0, dtype=np.float32).reshape(2, 3)
  out = jax.vmap(lambda x, y: x * y, in_axes=(1, None), out_axes=1)(jnp.asarray(xs), 2.0)
  np.testing.assert_allclose(np.asarray(out), xs * 2)


def test_per_example_gradients_equal_a_loop():
  xs = np.stack([X, X + 1, X * 2])
  per_example = jax.vmap(jax.grad(f_poly))(jnp.asarray(xs))
  np.testing.assert_allclose(np.asarray(per_example), np.stack([df_poly(x) for x in xs]),
                             rtol=1e-5, atol=1e-6)


def test_jit_vmap_jit():
  f = jax.jit(jax.vmap(jax.jit(lambda x: jnp.sum(jnp.sin(x)))))
  xs = np.stack([X, X + 1])
  np.testing.assert_allclose(np.asarray(f(jnp.asarray(xs))), np.sin(xs).sum(1), rtol=1e-6)


def test_vmap_size_mismatch_names_arguments_and_sizes():
  def f(x, params):
    return x + params["w"]
  with pytest.raises(ValueError, match=r"(?s)inconsistent sizes.*of f's.*"
                     r"x has size 3 along axis 0.*params\['w'\] has size 4 along axis 0"):
    jax.vmap(f)(jnp.ones(3), {"w": jnp.ones(4)})


# --- Recompilation explained ---------------------------------------------------------

def test_stats_and_explained_cache_misses(caplog):
  import logging
  jax.config.update("jax_explain_cache_misses", True)
  try:
    f = jax.jit(lambda x, y: x * y)
    f(jnp.ones(3), 2.0)
    f(jnp.ones(3), 3.0)
    with caplog.at_level(logging.WARNING, logger="morphax.jit"):
      f(jnp.ones(4), 2.0)
      f(jnp.ones(4), jnp.ones(4, jnp.int32))
  finally:
    jax.config.update("jax_explain_cache_misses", False)
  assert "argument x (shape): f32[3] -> f32[4]" in caplog.text
  assert "argument y (shape, dtype, weak type): f32[] (weak) -> i32[4]" in caplog.text
  assert "test_transformations.py:" in caplog.text
  stats = f.stats()
  assert (stats["calls"], stats["cache_hits"], stats["cache_misses"]) == (4, 1, 3)
  assert stats["compile_seconds"] > 0 and stats["trace_seconds"] > 0


def test_integer_primals_take_float0_tangents():
  f = lambda x, n: x * n
  n = jnp.arange(3)
  _, t = jax.jvp(f, (jnp.ones(3), n), (jnp.ones(3), np.zeros(3, jax.dtypes.float0)))
  np.testing.assert_array_equal(np.asarray(t), [0.0, 1.0, 2.0])
  with pytest.raises(TypeError, match=r"leaf 1 must have the same shape and dtype.*float0"):
    jax.jvp(f, (jnp.ones(3), n), (jnp.ones(3), jnp.ones(3)))
  g = jax.grad(lambda x, n: jnp.sum(x * n), argnums=(0, 1), allow_int=True)(jnp.ones(3), n)
  assert g[1].dtype == jax.dtypes.float0 and g[1].shape == (3,)


def test_stop_gradient():
  f = lambda x: jnp.sum(x * lax.stop_gradient(x))
  x = jnp.asarray(X)
  np.testing.assert_allclose(np.asarray(f(x)), np.sum(X * X), rtol=1e-6)
  np.testing.assert_allclose(np.asarray(jax.grad(f)(x)), X, rtol=1e-6)
  np.testing.assert_allclose(np.asarray(jax.jit(jax.grad(f))(x)), X, rtol=1e-6)
  out = jax.vmap(lax.stop_gradient)(jnp.ones((2, 3)))
  assert out.shape == (2, 3)
  tree_out = jax.stop_gradient({"a": jnp.ones(2), "n": jnp.arange(2)})
  assert tree_out["n"].dtype == np.int32
  assert "stop_gradient" in str(jax.make_jaxpr(f)(x))
  assert jax.grad(lambda x: jax.grad(f)(x).sum())(x).shape == (4,)


def test_type_errors_during_tracing_point_at_the_users_line():
  import traceback

  def f(x):
    return x + jnp.ones(4)  # the line the error must point at

  try:
    jax.jit(f)(jnp.ones(3))
  except ValueError as e:
    frames = traceback.extract_tb(e.__traceback__)
    assert any(fr.filename == __file__ and "the line the error must point at" in fr.line
               for fr in frames)
    assert "add: shapes (3,) and (4,) cannot be broadcast together" in str(e)
  else:
    raise AssertionError("no error raised")


def test_memory_analysis_and_static_argnames():
  compiled = jax.jit(lambda x: x @ x.T).lower(jnp.ones((8, 4))).compile()
  stats = compiled.memory_analysis()
  assert stats is not None
  g = jax.jit(lambda x, *, power: x ** power, static_argnames="power")
  np.testing.assert_allclose(np.asarray(g(jnp.asarray(X), power=3)), X ** 3, rtol=1e-6)


def test_donated_arguments_are_consumed():
  step = jax.jit(lambda p, g: {"w": p["w"] - 0.5 * g}, donate_argnums=0)
  params, grads = {"w": jnp.ones(4)}, jnp.ones(4)
  new = step(params, grads)
  np.testing.assert_array_equal(np.asarray(new["w"]), 0.5)
  assert params["w"].is_deleted() and not grads.is_deleted()
  with pytest.raises(RuntimeError, match=r"sin: argument f32\[4\] has been deleted.*donate"):
    jnp.sin(params["w"])
  with pytest.raises(RuntimeError, match=r"Array f32\[4\] has been deleted"):
    np.asarray(params["w"])
  assert "tf.aliasing_output" not in jax.jit(lambda x: x).lower(jnp.ones(2)).as_text()


def test_holomorphic_grad_and_complex_output_error():
  z = jnp.asarray(np.array([1 + 2j, -0.5 + 1j], np.complex64))
  g = jax.grad(lambda z: jnp.sum(z * z), holomorphic=True)(z)
  np.testing.assert_allclose(np.asarray(g), 2 * np.asarray(z), rtol=1e-6)
  with pytest.raises(TypeError, match=r"grad requires real-valued outputs, got c64\[\].*holomorphic=True"):
    jax.grad(lambda z: jnp.sum(z * z))(z)
  with pytest.raises(TypeError, match=r"holomorphic=True requires complex inputs"):
    jax.grad(lambda x: jnp.sum(x), holomorphic=True)(jnp.ones(2))


def test_vmap_negative_axes_and_pytree_prefixes():
  xs = np.arange(6.0, dtype=np.float32).reshape(2, 3)
  out = jax.vmap(lambda d: d["a"] * d["b"], in_axes=({"a": -1, "b": None},),
                 out_axes=-1)({"a": jnp.asarray(xs), "b": 2.0})
  np.testing.assert_allclose(np.asarray(out), xs * 2)
  assert out.shape == (2, 3)
