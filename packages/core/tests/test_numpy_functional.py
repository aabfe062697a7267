"""morphax.numpy's vectorize, apply_along_axis, apply_over_axes and
piecewise against numpy and Python loops, under jit and grad."""

import hypothesis
import hypothesis.strategies as st
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads


def R(*shape, seed=0):
  return np.asarray(np.random.RandomState(seed + len(shape)).randn(*shape), np.float32)


def check(out, expected, rtol=1e-5, atol=1e-5):
  expected = np.asarray(expected)
  assert isinstance(out, morphax.Array), type(out)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
  np.testing.assert_allclose(np.asarray(out), expected, rtol=rtol, atol=atol)


# --- vectorize ------------------------------------------------------------------

matvec = jnp.vectorize(jnp.dot, signature="(m,n),(n)->(m)")


@pytest.mark.parametrize("a_shape,b_shape", [
    ((2, 3), (3,)), ((4, 2, 3), (3,)), ((4, 2, 3), (4, 3)), ((1, 2, 3), (5, 3)),
    ((2, 1, 2, 3), (3, 3))])
def test_vectorize_signature_matches_loop(a_shape, b_shape):
  a, b = R(*a_shape), R(*b_shape, seed=1)
  loop = np.broadcast_shapes(a_shape[:-2], b_shape[:-1])
  ab = np.broadcast_to(a, loop + a_shape[-2:])
  bb = np.broadcast_to(b, loop + b_shape[-1:])
  expected = np.zeros(loop + (a_shape[-2],), np.float32)
  for idx in np.ndindex(*loop):
    expected[idx] = ab[idx] @ bb[idx]
  check(matvec(a, b), expected, rtol=1e-5)


@hypothesis.settings(max_examples=6)
@hypothesis.given(st.lists(st.integers(1, 3), max_size=3), st.lists(st.integers(1, 3), max_size=2))
def test_vectorize_scalar_function_broadcasts_like_numpy(shape_a, shape_b):
  a = R(*shape_a)
  b = R(*shape_b, seed=2)
  hypothesis.assume(_broadcastable(a.shape, b.shape))
  f = jnp.vectorize(lambda x, y: jnp.where(x > y, x - y, x * y))
  expected = np.vectorize(lambda x, y: x - y if x > y else x * y, otypes=[np.float32])(a, b)
  check(f(a, b), expected)


def _broadcastable(s1, s2):
  try:
    np.broadcast_shapes(s1, s2)
    return True
  except ValueError:
    return False


def test_vectorize_excluded_and_keywords():
  def f(x, table, *, scale, offset):
    assert isinstance(table, dict)
    return x * table["w"] * scale + offset
  g = jnp.vectorize(f, excluded={1, "scale"})
  x, off = R(3), R(2, 1, seed=4)
  out = g(x, {"w": 2.0}, scale=3.0, offset=off)
  check(out, x * 6.0 + off)


def test_vectorize_multiple_outputs():
  g = jnp.vectorize(lambda v: (v.sum(), v * 2), signature="(n)->(),(n)")
  x = R(4, 3)
  s, d = g(x)
  check(s, x.sum(1), rtol=1e-5)
  check(d, 2 * x)
  single = jnp.vectorize(lambda v: v.sum(), signature="(n)->()")
  check(single(R(3)), np.float32(R(3).sum()), rtol=1e-5)


def test_vectorize_jit_and_grad():
  a, b = R(4, 2, 3), R(3, seed=1)
  check(morphax.jit(matvec)(a, b), np.einsum("kmn,n->km", a, b), rtol=1e-5)
  check_grads(lambda a, b: matvec(a, b), (a, b), order=1, tol=2e-2)
  norm = jnp.vectorize(lambda v: jnp.sqrt(jnp.sum(v * v)), signature="(n)->()")
  g = morphax.grad(lambda a: norm(a).sum())(a)
  check(g, a / np.linalg.norm(a, axis=-1, keepdims=True), rtol=1e-5)


def test_vectorize_errors():
  with pytest.raises(ValueError, match="vectorize: signature '\\(m,n\\)->' is not a valid gufunc signature"):
    jnp.vectorize(jnp.sum, signature="(m,n)->")
  with pytest.raises(ValueError, match="inconsistent size for core dimension 'n': 3 vs 4"):
    matvec(R(2, 3), R(4))
  with pytest.raises(ValueError, match=r"argument 1 has shape \(\), fewer dimensions than its core dimensions \('n',\)"):
    matvec(R(2, 3), 1.0)
  with pytest.raises(TypeError, match="has 2 inputs but the function got 1"):
    matvec(R(2, 3))
  bad = jnp.vectorize(lambda v: (v, v), signature="(n)->(n)")
  with pytest.raises(ValueError, match="returned 2 outputs but signature"):
    bad(R(2, 3))
  wrong = jnp.vectorize(lambda v: v.sum(), signature="(n)->(n)")
  with pytest.raises(ValueError, match=r"output 0 has shape \(\), which does not match its core dimensions \('n',\)"):
    wrong(R(2, 3))
  with pytest.raises(ValueError, match="vectorize: shapes"):
    jnp.vectorize(jnp.add)(R(2), R(3))


# --- apply_along_axis / apply_over_axes ----------------------------------------

A = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
@pytest.mark.parametrize("func", [
    lambda v: v.sum() * v[0], lambda v: v[::-1] * 2, lambda v: v[:, None] * v[None, :]],
    ids=["scalar", "vector", "matrix"])
def test_apply_along_axis_matches_numpy(func, axis):
  np_func = lambda v: np.asarray(func(jnp.asarray(v)))
  check(jnp.apply_along_axis(func, axis, A), np.apply_along_axis(np_func, axis, A))


def test_apply_along_axis_args_jit_and_errors():
  f = lambda v, p, *, q: jnp.sum(v ** p) + q
  out = morphax.jit(lambda a: jnp.apply_along_axis(f, 1, a, 2, q=1.0))(A)
  check(out, (A ** 2).sum(1) + 1)
  with pytest.raises(ValueError, match="apply_along_axis: arr must be at least 1-d"):
    jnp.apply_along_axis(jnp.sum, 0, 1.0)
  with pytest.raises(ValueError, match="apply_along_axis: axis 3 is out of bounds"):
    jnp.apply_along_axis(jnp.sum, 3, A)


@pytest.mark.parametrize("axes", [[0], [0, 2], [2, 1, 0], 1])
@pytest.mark.parametrize("name", ["sum", "max"])
def test_apply_over_axes_matches_numpy(name, axes):
  check(jnp.apply_over_axes(getattr(jnp, name), A, axes),
        np.apply_over_axes(getattr(np, name), A, axes))


def test_apply_over_axes_keepdims_function_and_error():
  f = lambda a, axis: jnp.mean(a, axis=axis, keepdims=True)
  check(jnp.apply_over_axes(f, A, [0, 2]), A.mean((0, 2), keepdims=True))
  with pytest.raises(ValueError, match=r"apply_over_axes: func returned shape \(\) for an input of shape \(2, 3, 4\)"):
    jnp.apply_over_axes(lambda a, axis: jnp.sum(a), A, [0])


# --- piecewise -------------------------------------------------------------------

X = np.linspace(-3, 3, 13).astype(np.float32)


@pytest.mark.parametrize("conds,funcs", [
    (lambda x: [x < 0], [lambda x: -x, 7.0]),
    (lambda x: [x < 0, x >= 0], [lambda x: -x, lambda x: x]),
    (lambda x: [x < 0, x > 1], [lambda x: -x, 7.0, lambda x: x * 10]),
    (lambda x: [x < 1, x < 0], [1.0, 2.0]),           # a later condition wins
    (lambda x: [np.zeros_like(x, bool)], [3.0, lambda x: x ** 2])])
def test_piecewise_matches_numpy(conds, funcs):
  check(jnp.piecewise(X, conds(X), funcs), np.piecewise(X, conds(X), funcs))


def test_piecewise_integer_x_args_jit_and_grad():
  check(jnp.piecewise(X, [], [lambda x: x + 1]), X + 1)   # only the default
  xi = np.arange(-3, 4)
  check(jnp.piecewise(xi, [xi > 0], [1.5, 2.5]), np.piecewise(xi, [xi > 0], [1.5, 2.5]).astype(np.int32))
  f = lambda x, s: jnp.piecewise(x, [x < 0], [lambda v, k: v * k, lambda v, k: v + k], s)
  check(f(X, 3.0), np.where(X < 0, X * 3, X + 3))
  check(morphax.jit(f)(X, 3.0), np.where(X < 0, X * 3, X + 3))
  g = morphax.grad(lambda x: jnp.piecewise(x, [x < 0], [lambda v: v ** 2, jnp.sin]).sum())(X)
  check(g, np.where(X < 0, 2 * X, np.cos(X)), rtol=1e-5)
  with pytest.raises(ValueError, match="piecewise: with 1 condition\\(s\\), either 1 or 2 functions are expected; got 3"):
    jnp.piecewise(X, [X < 0], [1.0, 2.0, 3.0])
  with pytest.raises(ValueError, match=r"piecewise: each condition must have x's shape \(13,\), got \(2,\)"):
    jnp.piecewise(X, [np.ones(2, bool)], [1.0])
