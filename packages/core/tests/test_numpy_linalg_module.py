"""Tests for morphax.numpy.linalg against numpy.linalg: values and dtypes
over batched shapes, jit and vmap agreement, gradients, error messages."""

import hypothesis
import hypothesis.strategies as st
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads

RNG = np.random.default_rng(2)
LA = jnp.linalg


def rand(*shape, dtype=np.float32):
  return RNG.standard_normal(shape).astype(dtype)


def well_conditioned(*shape):
  return rand(*shape) + 3 * np.eye(shape[-1], dtype=np.float32)


def spd(*shape):
  a = rand(*shape)
  return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1], dtype=np.float32)


def sym(*shape):
  a = rand(*shape)
  return a + np.swapaxes(a, -1, -2)


def lstsq_x(a, b):
  return np.linalg.lstsq(a, b, rcond=None)[0]


# name, morphax f, numpy f, argument makers; each row runs on every listed case.
ROWS = [
    ("det", LA.det, np.linalg.det, [lambda: (rand(3, 3),), lambda: (rand(2, 4, 4),)]),
    ("slogdet", lambda a: tuple(LA.slogdet(a)), lambda a: tuple(np.linalg.slogdet(a)),
     [lambda: (rand(3, 3),), lambda: (rand(2, 4, 4),)]),
    ("inv", LA.inv, np.linalg.inv, [lambda: (well_conditioned(3, 3),),
                                    lambda: (well_conditioned(2, 4, 4),)]),
    ("solve", LA.solve, np.linalg.solve,
     [lambda: (well_conditioned(3, 3), rand(3)),
      lambda: (well_conditioned(2, 4, 4), rand(2, 4, 3)),
      lambda: (well_conditioned(2, 3, 3), rand(3, 2))]),
    ("cholesky", LA.cholesky, np.linalg.cholesky, [lambda: (spd(3, 3),),
                                                   lambda: (spd(2, 4, 4),)]),
    ("cholesky_upper", lambda a: LA.cholesky(a, upper=True),
     lambda a: np.linalg.cholesky(a, upper=True), [lambda: (spd(3, 3),)]),
    ("eigvalsh", LA.eigvalsh, np.linalg.eigvalsh, [lambda: (sym(3, 3),),
                                                   lambda: (sym(2, 4, 4),)]),
    ("svd_values", lambda a: LA.svd(a, compute_uv=False),
     lambda a: np.linalg.svd(a, compute_uv=False),
     [lambda: (rand(3, 5),), lambda: (rand(2, 4, 3),)]),
    ("svdvals", LA.svdvals, np.linalg.svdvals, [lambda: (rand(4, 3),)]),
    ("qr", lambda a: tuple(LA.qr(a)), lambda a: tuple(np.linalg.qr(a)),
     [lambda: (rand(4, 3),), lambda: (rand(2, 3, 3),)]),
    ("qr_r", lambda a: LA.qr(a, mode="r"), lambda a: np.linalg.qr(a, mode="r"),
     [lambda: (rand(3, 4),)]),
    ("pinv", LA.pinv, np.linalg.pinv, [lambda: (rand(3, 5),), lambda: (rand(2, 4, 3),)]),
    ("lstsq", lambda a, b: LA.lstsq(a, b)[0], lstsq_x,
     [lambda: (rand(5, 3), rand(5)), lambda: (rand(5, 3), rand(5, 2))]),
    ("matrix_power_3", lambda a: LA.matrix_power(a, 3),
     lambda a: np.linalg.matrix_power(a, 3), [lambda: (rand(2, 3, 3),)]),
    ("matrix_power_0", lambda a: LA.matrix_power(a, 0),
     lambda a: np.linalg.matrix_power(a, 0), [lambda: (rand(3, 3),)]),
    ("matrix_power_neg", lambda a: LA.matrix_power(a, -2),
     lambda a: np.linalg.matrix_power(a, -2), [lambda: (well_conditioned(3, 3),)]),
    ("matrix_rank", LA.matrix_rank, np.linalg.matrix_rank,
     [lambda: (np.ones((3, 3), np.float32),), lambda: (rand(2, 4, 3),)]),
    ("cond", LA.cond, np.linalg.cond, [lambda: (well_conditioned(3, 3),)]),
    ("cond_fro", lambda a: LA.cond(a, "fro"), lambda a: np.linalg.cond(a, "fro"),
     [lambda: (well_conditioned(3, 3),)]),
    ("multi_dot", lambda a, b, c: LA.multi_dot([a, b, c]),
     lambda a, b, c: np.linalg.multi_dot([a, b, c]),
     [lambda: (rand(4), rand(4, 6), rand(6, 2)), lambda: (rand(2, 3), rand(3, 5), rand(5))]),
    ("trace", lambda a: LA.trace(a, offset=1), lambda a: np.linalg.trace(a, offset=1),
     [lambda: (rand(2, 3, 4),)]),
    ("matrix_transpose", LA.matrix_transpose, np.linalg.matrix_transpose,
     [lambda: (rand(2, 3, 4),)]),
    ("vector_norm", lambda x: LA.vector_norm(x, axis=-1, ord=3),
     lambda x: np.linalg.vector_norm(x, axis=-1, ord=3), [lambda: (rand(2, 5),)]),
    ("matrix_norm", lambda x: LA.matrix_norm(x, ord="nuc"),
     lambda x: np.linalg.matrix_norm(x, ord="nuc"), [lambda: (rand(2, 3, 4),)]),
]
CASES = [(name, f, ref, make) for name, f, ref, makers in ROWS for make in makers]
CASE_IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def _leaves(out):
  return [np.asarray(o) for o in (out if isinstance(out, tuple) else (out,))]


@pytest.mark.parametrize("name,f,ref,make", CASES, ids=CASE_IDS)
def test_against_numpy(name, f, ref, make):
  args = make()
  got, want = _leaves(f(*args)), _leaves(ref(*args))
  for g, w in zip(got, want):
    assert g.shape == w.shape, (g.shape, w.shape)
    want_kind = "i" if w.dtype.kind in "iu" else w.dtype.kind
    assert g.dtype.kind == want_kind
    if g.dtype.kind == "f":
      assert g.dtype == np.float32
    np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-4)


JIT_ROWS = ["det", "slogdet", "inv", "solve", "pinv", "lstsq", "matrix_rank", "qr"]


@pytest.mark.parametrize("name", JIT_ROWS)
def test_jit(name):
  _, f, _, make = next(c for c in CASES if c[0] == name)
  args = make()
  for g, w in zip(_leaves(morphax.jit(f)(*args)), _leaves(f(*args))):
    np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["det", "inv", "solve", "eigvalsh", "norm_2"])
def test_vmap(name):
  f = {"det": LA.det, "inv": LA.inv, "solve": LA.solve, "eigvalsh": LA.eigvalsh,
       "norm_2": lambda x: LA.norm(x, 2)}[name]
  xs = well_conditioned(3, 3, 3)
  args = (xs, rand(3, 3)) if name == "solve" else (xs,)
  got = np.asarray(morphax.vmap(f)(*args))
  want = np.stack([np.asarray(f(*[a[i] for a in args])) for i in range(3)])
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


NORM_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@pytest.mark.parametrize("ord", NORM_ORDS)
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_norm(ord, keepdims):
  x = rand(2, 3, 4)
  got = LA.norm(x, ord, axis=(2, 0), keepdims=keepdims)
  want = np.linalg.norm(x, ord, axis=(2, 0), keepdims=keepdims)
  assert got.shape == want.shape
  np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ord", [None, 0, 1, 2, 3, 0.5, np.inf, -np.inf])
def test_vector_norm(ord):
  x = rand(3, 4)
  np.testing.assert_allclose(np.asarray(LA.norm(x, ord, axis=1)),
                             np.linalg.norm(x, ord, axis=1), rtol=1e-5)
  np.testing.assert_allclose(np.asarray(LA.norm(x[0], ord)), np.linalg.norm(x[0], ord),
                             rtol=1e-5)


def test_norm_defaults():
  x = rand(2, 3, 4)
  np.testing.assert_allclose(np.asarray(LA.norm(x)), np.linalg.norm(x), rtol=1e-5)
  assert LA.norm(x, keepdims=True).shape == (1, 1, 1)
  np.testing.assert_allclose(np.asarray(LA.norm(x[0], np.inf)),
                             np.linalg.norm(x[0], np.inf), rtol=1e-5)
  z = LA.norm(np.arange(4))
  assert z.dtype == np.float32 and float(z) == pytest.approx(np.sqrt(14))


def test_decomposition_results():
  a = sym(3, 3)
  w, v = LA.eigh(a)
  np.testing.assert_allclose(np.asarray(a @ v), np.asarray(v * w), rtol=1e-4, atol=1e-4)
  assert type(LA.eigh(a)).__name__ == "EighResult"
  u, s, vh = LA.svd(rand(4, 3), full_matrices=False)
  assert (u.shape, s.shape, vh.shape) == ((4, 3), (3,), (3, 3))
  w, v = LA.eig(rand(3, 3))
  assert w.dtype == np.complex64 and v.shape == (3, 3)
  np.testing.assert_allclose(np.sort_complex(np.asarray(LA.eigvals(a))),
                             np.sort_complex(np.linalg.eigvals(a)), rtol=1e-4, atol=1e-4)
  q, r = LA.qr(rand(4, 3), mode="complete")
  assert q.shape == (4, 4) and r.shape == (4, 3)


def test_singular_matrices():
  a = np.ones((3, 3), np.float32)
  assert float(LA.det(a)) == 0.0
  sign, logdet = LA.slogdet(a)
  assert float(sign) == 0.0 and float(logdet) == -np.inf
  np.testing.assert_allclose(float(LA.det(np.zeros((0, 0), np.float32))), 1.0)


def test_lstsq_rank_and_residuals():
  a, b = rand(6, 3), rand(6, 2)
  x, resid, rank, s = LA.lstsq(a, b)
  wx, wresid, wrank, ws = np.linalg.lstsq(a, b, rcond=None)
  np.testing.assert_allclose(np.asarray(resid), wresid, rtol=1e-4)
  assert int(rank) == wrank
  np.testing.assert_allclose(np.asarray(s), ws, rtol=1e-5)


def test_int_inputs_become_float32():
  a = np.array([[2, 1], [1, 3]], np.int32)
  assert LA.det(a).dtype == np.float32
  assert LA.inv(a).dtype == np.float32


@hypothesis.settings(max_examples=6)
@hypothesis.given(batch=st.lists(st.integers(1, 3), max_size=2),
                  n=st.integers(1, 5), k=st.integers(1, 3))
def test_solve_inverts_matmul_property(batch, n, k):
  # One jit compile per shape: a x = b is recovered for any batch and size.
  a = well_conditioned(*batch, n, n)
  x = rand(*batch, n, k)
  f = morphax.jit(lambda a, x: (LA.solve(a, jnp.matmul(a, x)), LA.det(a)))
  got, det = f(a, x)
  np.testing.assert_allclose(np.asarray(got), x, rtol=1e-3, atol=1e-3)
  np.testing.assert_allclose(np.asarray(det), np.linalg.det(a), rtol=1e-3)


# --- Gradients -------------------------------------------------------------------

GRAD_ROWS = [
    ("det", LA.det, lambda: (well_conditioned(3, 3),), 1),
    ("slogdet", lambda a: LA.slogdet(a)[1], lambda: (well_conditioned(3, 3),), 1),
    ("inv", LA.inv, lambda: (well_conditioned(3, 3),), 1),
    ("solve", LA.solve, lambda: (well_conditioned(3, 3), rand(3, 2)), 1),
    ("cholesky", lambda a: LA.cholesky(a @ a.T + 3 * jnp.eye(3)), lambda: (rand(3, 3),), 1),
    ("eigvalsh", LA.eigvalsh, lambda: (sym(3, 3),), 1),
    ("pinv", LA.pinv, lambda: (rand(4, 3),), 1),
    ("norm_fro", LA.norm, lambda: (rand(3, 3),), 1),
    ("norm_nuc", lambda a: LA.norm(a, "nuc"), lambda: (rand(3, 4),), 1),
]


@pytest.mark.parametrize("name,f,make,order", GRAD_ROWS, ids=[r[0] for r in GRAD_ROWS])
def test_grads(name, f, make, order):
  check_grads(f, make(), order=order, modes=("fwd", "rev"))


def test_grad_of_det_is_cofactor():
  a = well_conditioned(3, 3)
  g = np.asarray(morphax.grad(LA.det)(a))
  np.testing.assert_allclose(g, np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-4)


# --- Errors -----------------------------------------------------------------------

def test_errors():
  with pytest.raises(ValueError, match=r"inv: expected square matrices \(\.\.\., n, n\), "
                     r"got shape \(2, 3\)"):
    LA.inv(np.zeros((2, 3), np.float32))
  with pytest.raises(ValueError, match=r"det: expected a matrix with at least 2 "
                     r"dimensions \(\.\.\., m, n\), got shape \(3,\)"):
    LA.det(np.zeros(3, np.float32))
  with pytest.raises(ValueError, match=r"solve: a of shape \(3, 3\) and b of shape "
                     r"\(2, 1\) do not fit"):
    LA.solve(np.eye(3, dtype=np.float32), np.zeros(2, np.float32))
  with pytest.raises(ValueError, match="norm: invalid order 'bad' for matrices"):
    LA.norm(np.eye(2), "bad")
  with pytest.raises(ValueError, match="norm: invalid order 'fro' for vectors"):
    LA.norm(np.ones(2), "fro")
  with pytest.raises(TypeError, match="matrix_power: exponent must be an integer, got 1.5"):
    LA.matrix_power(np.eye(2), 1.5)
  with pytest.raises(ValueError, match="qr: unsupported mode 'raw'"):
    LA.qr(np.eye(2), mode="raw")
  with pytest.raises(ValueError, match="eigh: UPLO must be 'L' or 'U', got 'X'"):
    LA.eigh(np.eye(2), UPLO="X")
  with pytest.raises(ValueError, match="multi_dot: expected at least two arrays, got 1"):
    LA.multi_dot([np.eye(2)])
  with pytest.raises(TypeError, match="det requires ndarray or scalar arguments"):
    LA.det([[1.0, 2.0], [3.0, 4.0]])
