"""morphax.lax's remaining helpers against numpy and known answers from
jax 0.10.2: empty, tile, mulhi, index_take, scatter_apply, the convolution
shape helpers, approx top-k, rng_bit_generator, optimization_barrier,
dtype, custom_linear_solve and custom_root."""

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax import lax

PRIMITIVES_COVERED = {"optimization_barrier", "rng_bit_generator"}


def check(out, expected, rtol=1e-6, atol=1e-6):
  expected = np.asarray(expected)
  assert isinstance(out, morphax.Array), type(out)
  assert out.shape == expected.shape and out.dtype == expected.dtype, (
      out.shape, out.dtype, expected.shape, expected.dtype)
  np.testing.assert_allclose(np.asarray(out), expected, rtol=rtol, atol=atol)


def test_empty_and_dtype():
  out = lax.empty((2, 3), np.float32)
  assert out.shape == (2, 3) and out.dtype == np.float32
  assert lax.dtype(1.0) == np.float32 and lax.dtype(3) == np.int32
  assert lax.dtype(np.float64) == np.float32 and lax.dtype(jnp.ones(2, np.int8)) == np.int8


@pytest.mark.parametrize("shape, reps", [((2, 3), (2, 2)), ((3,), (2,)), ((), ()),
                                         ((2, 1), (1, 3)), ((0, 2), (3, 1))])
def test_tile(shape, reps):
  x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
  check(lax.tile(x, reps), np.tile(x, reps))


def _mulhi_oracle(x, y, width):
  prod = x.astype(object) * y.astype(object)
  return np.array([int(p) >> width for p in prod.ravel()], dtype=object).reshape(x.shape)


_MULHI = morphax.jit(lax.mulhi)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32])
def test_mulhi(dtype):
  info = np.iinfo(dtype)
  rng = np.random.RandomState(0)
  x = np.concatenate([[info.min, info.max, info.max, -1 if info.min else 1, 0],
                      rng.randint(info.min, int(info.max) + 1, 11)]).astype(dtype)
  y = np.concatenate([[info.min, info.max, info.min, 7, 5],
                      rng.randint(info.min, int(info.max) + 1, 11)]).astype(dtype)
  expected = _mulhi_oracle(x, y, info.bits).astype(np.int64).astype(dtype)
  check(_MULHI(x, y), expected)


def test_mulhi_known_answers_and_errors():
  # jax.lax.mulhi on int32 and uint32 (jax 0.10.2).
  check(lax.mulhi(np.array([2**31 - 1, -5, 7], np.int32), np.array([2**31 - 1, 3, -9], np.int32)),
        np.array([1073741823, -1, -1], np.int32))
  check(_MULHI(np.array([2**32 - 1, 5], np.uint32), np.array([2**32 - 1, 2**31], np.uint32)),
        np.array([4294967294, 2], np.uint32))
  with pytest.raises(TypeError, match="mulhi: needs two integer arrays of one dtype and shape"):
    lax.mulhi(np.ones(2, np.float32), np.ones(2, np.float32))
  with pytest.raises(TypeError, match="tile: reps must have one entry per axis"):
    lax.tile(np.ones(3), (2, 2))


def test_index_take():
  src = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
  i, j = np.array([0, 1, 1], np.int32), np.array([3, 0, 2], np.int32)
  check(lax.index_take(src, (i, j), (0, 2)), src[i, :, j])
  check(lax.index_take(src, (j,), (2,)), np.moveaxis(src[:, :, j], 2, 0))
  check(lax.index_take(src[0], (np.array([0, 2], np.int32), np.array([1, 3], np.int32)), (0, 1)),
        np.array([1.0, 11.0], np.float32))
  with pytest.raises(TypeError, match="index_take: got 1 index arrays for axes"):
    lax.index_take(src, (i,), (0, 1))


def test_scatter_apply():
  x = np.arange(5.0, dtype=np.float32)
  dnums = lax.ScatterDimensionNumbers((), (0,), (0,))
  expected = x.copy()
  expected[[1, 3]] = np.sin(expected[[1, 3]])
  out = lax.scatter_apply(x, np.array([[1], [3]], np.int32), jnp.sin, dnums, update_shape=(2,))
  check(out, expected)
  # Repeated indices apply func once (JAX leaves it unspecified).
  out = lax.scatter_apply(x, np.array([[2], [2]], np.int32), lambda v: v * 10, dnums,
                          update_shape=(2,))
  check(out, np.array([0, 1, 20, 3, 4], np.float32))
  grad = morphax.grad(lambda v: jnp.sum(lax.scatter_apply(
      v, np.array([[1]], np.int32), jnp.sin, dnums, update_shape=(1,))))(x)
  check(grad, np.array([1, np.cos(1.0), 1, 1, 1], np.float32))


def test_conv_shape_helpers_known_answers():
  # Values from jax.lax (jax 0.10.2).
  assert lax.conv_general_shape_tuple((1, 3, 8, 8), (4, 3, 3, 3), (2, 1), "SAME",
                                      ("NCHW", "OIHW", "NCHW")) == (1, 4, 4, 8)
  assert lax.conv_shape_tuple((1, 3, 8, 8), (4, 3, 3, 3), (2, 1), "VALID") == (1, 4, 3, 6)
  assert lax.conv_shape_tuple((1, 3, 8, 8), (4, 3, 3, 3), (1, 1), [(1, 1), (2, 2)]) == (1, 4, 8, 10)
  assert lax.conv_shape_tuple((4, 3, 5), (6, 3, 2), (1,), "VALID", batch_group_count=2) == (2, 6, 4)
  assert lax.conv_transpose_shape_tuple((1, 3, 8, 8), (4, 3, 3, 3), (2, 1), "SAME",
                                        ("NCHW", "OIHW", "NCHW")) == (1, 4, 16, 8)
  assert lax.conv_transpose_shape_tuple((1, 8, 8, 3), (3, 3, 3, 4), (2, 2), [(1, 2), (0, 1)],
                                        ("NHWC", "HWIO", "NHWC")) == (1, 16, 14, 4)
  assert lax.conv_general_permutations(("NHWC", "HWIO", "NHWC")) == (
      (0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
  assert lax.ConvGeneralDilatedDimensionNumbers is not None and lax.DotDimensionNumbers


def test_conv_general_shape_tuple_matches_conv():
  lhs, rhs = np.ones((2, 5, 6, 3), np.float32), np.ones((3, 2, 3, 4), np.float32)
  dn = ("NHWC", "HWIO", "NHWC")
  for padding in ("SAME", "VALID", [(1, 0), (2, 1)]):
    out = lax.conv_general_dilated(lhs, rhs, (2, 1), padding, dimension_numbers=dn)
    assert lax.conv_general_shape_tuple(lhs.shape, rhs.shape, (2, 1), padding, dn) == out.shape
  out = lax.conv_transpose(lhs, rhs, (2, 2), "SAME", dimension_numbers=dn)
  assert lax.conv_transpose_shape_tuple(lhs.shape, rhs.shape, (2, 2), "SAME", dn) == out.shape


def test_approx_top_k():
  x = np.array([[1.0, 5.0, 3.0, 2.0], [0.0, -1.0, 7.0, 4.0]], np.float32)
  vals, idx = lax.approx_max_k(x, 2)
  check(vals, np.array([[5, 3], [7, 4]], np.float32))
  check(idx, np.array([[1, 2], [2, 3]], np.int32))
  vals, idx = lax.approx_min_k(x, 3, reduction_dimension=1, recall_target=0.9)
  check(vals, np.sort(x, axis=1)[:, :3])
  check(idx, np.argsort(x, axis=1)[:, :3].astype(np.int32))
  vals, idx = lax.approx_max_k(x, 1, reduction_dimension=0)
  check(vals, x.max(0, keepdims=True))
  check(idx, x.argmax(0)[None].astype(np.int32))


KEY = np.array([1, 2, 3, 4], np.uint32)


@pytest.mark.parametrize("shape, dtype, algorithm, key, new_key, bits", [
    # Known answers from jax.lax.rng_bit_generator (jax 0.10.2, CPU).
    ((2, 3), np.uint32, 0, KEY, [1, 2, 5, 4],
     [[512747620, 1298009047, 1267190206], [761827841, 1383286907, 1639995030]]),
    ((2, 3), np.uint16, 0, KEY, [1, 2, 5, 4],
     [[59492, 3031, 51646], [37377, 18555, 22166]]),
    ((2, 3), np.uint8, 0, KEY, [1, 2, 5, 4], [[100, 215, 190], [1, 123, 150]]),
    ((5,), np.uint32, 0, np.array([7, 0, 0, 9], np.uint32), [7, 0, 2, 9],
     [1186193117, 3292074189, 1466080335, 1869358663, 646771155]),
    ((3,), np.uint32, 1, KEY, [1, 2, 5, 4], [1576285164, 2249660814, 740599976]),
])
def test_rng_bit_generator_known_answers(shape, dtype, algorithm, key, new_key, bits):
  out_key, out = lax.rng_bit_generator(key, shape, dtype, lax.RandomAlgorithm(algorithm))
  check(out_key, np.array(new_key, np.uint32))
  check(out, np.array(bits, dtype))


def test_rng_bit_generator_errors():
  with pytest.raises(TypeError, match="rng_bit_generator: dtype must be an unsigned integer"):
    lax.rng_bit_generator(KEY, (2,), np.int32)
  with pytest.raises(TypeError, match=r"key must be a uint32 array of shape \(4,\)"):
    lax.rng_bit_generator(KEY[:2], (2,))


def test_optimization_barrier_values():
  tree_in = {"a": np.arange(3, dtype=np.float32), "b": (np.int32(4),)}
  out = lax.optimization_barrier(tree_in)
  check(out["a"], tree_in["a"])
  check(out["b"][0], np.int32(4))
  assert lax.optimization_barrier(()) == ()


A = np.array([[3.0, 1.0, 0.0], [0.5, 2.0, -1.0], [0.0, 1.0, 4.0]], np.float32)
B = np.array([1.0, -2.0, 0.5], np.float32)
W = np.arange(1.0, 4.0, dtype=np.float32)


def _jacobi(a):
  """A Jacobi solver for the diagonally dominant `a` (closing over it)."""
  def solve(mv, r):
    d = jnp.diag(a)
    return lax.fori_loop(0, 80, lambda i, x: x + (r - mv(x)) / d, jnp.zeros_like(r))
  return solve


def _solve_loss(a, b, symmetric=False):
  t_solve = None if symmetric else _jacobi(a.T)
  x = lax.custom_linear_solve(lambda v: a @ v, b, _jacobi(a), t_solve, symmetric=symmetric)
  return jnp.sum(W * x ** 2)


def _direct_grads(a, b):
  """d/dA and d/db of sum(w * x**2) for x = A^-1 b, in float64."""
  a, b = a.astype(np.float64), b.astype(np.float64)
  x = np.linalg.solve(a, b)
  lam = np.linalg.solve(a.T, 2 * W * x)
  return -np.outer(lam, x), lam


def test_custom_linear_solve_value_and_grads():
  solve = morphax.jit(lambda a, b: lax.custom_linear_solve(lambda v: a @ v, b, _jacobi(a)))
  check(solve(A, B), np.linalg.solve(A.astype(np.float64), B).astype(np.float32), rtol=1e-4,
        atol=1e-5)
  grads = morphax.jit(morphax.grad(_solve_loss, argnums=(0, 1)))(A, B)
  for g, e in zip(grads, _direct_grads(A, B)):
    check(g, e.astype(np.float32), rtol=1e-4, atol=1e-5)
  sym = A + A.T
  g = morphax.jit(morphax.grad(lambda b: _solve_loss(sym, b, symmetric=True)))(B)
  check(g, _direct_grads(sym, B)[1].astype(np.float32), rtol=1e-4, atol=1e-5)


def test_custom_linear_solve_aux_errors_and_vmap():
  def with_aux(solver):
    return lambda mv, r: (solver(mv, r), jnp.int32(80))

  def loss(b):
    x, _ = lax.custom_linear_solve(lambda v: A @ v, b, with_aux(_jacobi(A)),
                                   with_aux(_jacobi(A.T)), has_aux=True)
    return jnp.sum(W * x ** 2)
  x, iters = lax.custom_linear_solve(lambda v: A @ v, B, with_aux(_jacobi(A)), has_aux=True)
  check(x, np.linalg.solve(A.astype(np.float64), B).astype(np.float32), rtol=1e-4, atol=1e-5)
  assert int(iters) == 80
  check(morphax.grad(loss)(B), _direct_grads(A, B)[1].astype(np.float32), rtol=1e-4, atol=1e-5)
  with pytest.raises(TypeError, match="reverse-mode differentiation needs transpose_solve"):
    morphax.grad(lambda b: jnp.sum(lax.custom_linear_solve(lambda v: A @ v, b, _jacobi(A))))(B)
  xs = morphax.vmap(lambda b: lax.custom_linear_solve(lambda v: A @ v, b, _jacobi(A)))(
      np.stack([B, 2 * B]))
  check(xs, np.stack([np.linalg.solve(A, B), np.linalg.solve(A, 2 * B)]).astype(np.float32),
        rtol=1e-4, atol=1e-5)


def _newton_sqrt(a):
  def solve(fn, x0):
    x = x0
    for _ in range(12):
      x = x - fn(x) / (2 * x)
    return x
  return lax.custom_root(lambda x: x ** 2 - a, jnp.ones_like(a), solve,
                         lambda g, y: y / g(jnp.ones_like(y)))


def test_custom_root_value_grad_and_vmap():
  a = np.array([2.0, 9.0, 0.25], np.float32)
  check(morphax.jit(_newton_sqrt)(a), np.sqrt(a), rtol=1e-6)
  g = morphax.jit(morphax.grad(lambda a: jnp.sum(_newton_sqrt(a) * jnp.arange(1.0, 4.0))))(a)
  check(g, (0.5 / np.sqrt(a) * np.arange(1, 4)).astype(np.float32), rtol=1e-5)
  check(morphax.jit(morphax.vmap(_newton_sqrt))(a[:, None]), np.sqrt(a)[:, None], rtol=1e-6)
