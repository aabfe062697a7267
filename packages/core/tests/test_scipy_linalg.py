"""Tests for morphax.scipy.linalg against scipy.linalg: values over
batched shapes, jit and vmap agreement, gradients, error messages."""

import numpy as np
import pytest
import scipy.linalg

import morphax
from morphax.scipy import linalg as SL
from morphax.test_util import check_grads

RNG = np.random.default_rng(3)


def rand(*shape, dtype=np.float32):
  x = RNG.standard_normal(shape)
  if np.dtype(dtype).kind == "c":
    x = x + 1j * RNG.standard_normal(shape)
  return x.astype(dtype)


def well_conditioned(*shape, dtype=np.float32):
  return rand(*shape, dtype=dtype) + 4 * np.eye(shape[-1], dtype=dtype)


def spd(*shape):
  a = rand(*shape)
  return a @ a.T + shape[-1] * np.eye(shape[-1], dtype=np.float32)


def close(got, want, tol=2e-4):
  got = [got] if not isinstance(got, tuple) else list(got)
  want = [want] if not isinstance(want, tuple) else list(want)
  for g, w in zip(got, want):
    assert np.shape(g) == np.shape(w)
    np.testing.assert_allclose(np.asarray(g), w, rtol=tol, atol=tol)


@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T", "C"])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_solve_triangular(trans, lower, dtype):
  a, b = well_conditioned(3, 3, dtype=dtype), rand(3, 2, dtype=dtype)
  close(SL.solve_triangular(a, b, trans=trans, lower=lower),
        scipy.linalg.solve_triangular(a, b, trans=trans, lower=lower))


def test_solve_triangular_vector_unit_diagonal_and_batch():
  a, b = well_conditioned(3, 3), rand(3)
  close(SL.solve_triangular(a, b, unit_diagonal=True),
        scipy.linalg.solve_triangular(a, b, unit_diagonal=True))
  ab, bb = well_conditioned(2, 3, 3), rand(2, 3, 4)
  want = np.stack([scipy.linalg.solve_triangular(x, y, lower=True)
                   for x, y in zip(ab, bb)])
  close(SL.solve_triangular(ab, bb, lower=True), want)


@pytest.mark.parametrize("lower", [True, False])
def test_cho_factor_and_solve(lower):
  a, b = spd(4, 4), rand(4, 2)
  c, low = SL.cho_factor(a, lower=lower)
  assert low == lower
  close(c, np.tril(scipy.linalg.cholesky(a, lower=True)) if lower
        else scipy.linalg.cholesky(a))
  close(SL.cho_solve((c, lower), b), scipy.linalg.cho_solve((c, lower), b))
  close(SL.cho_solve((c, lower), b[:, 0]), np.linalg.solve(a, b[:, 0]))


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_lu(shape):
  a = rand(*shape)
  close(SL.lu(a), scipy.linalg.lu(a))
  close(SL.lu(a, permute_l=True), scipy.linalg.lu(a, permute_l=True))


def test_lu_batched():
  a = rand(2, 3, 3)
  p, l, u = SL.lu(a)
  for i in range(2):
    close((p[i], l[i], u[i]), scipy.linalg.lu(a[i]))


@pytest.mark.parametrize("trans", [0, 1, 2])
def test_lu_factor_and_solve(trans):
  a, b = rand(4, 4), rand(4, 3)
  lu, piv = SL.lu_factor(a)
  want_lu, want_piv = scipy.linalg.lu_factor(a)
  close(lu, want_lu)
  np.testing.assert_array_equal(np.asarray(piv), want_piv)
  assert piv.dtype == np.int32
  close(SL.lu_solve((lu, piv), b, trans=trans),
        scipy.linalg.lu_solve((want_lu, want_piv), b, trans=trans), 1e-3)
  close(SL.lu_solve((lu, piv), b[:, 0]), np.linalg.solve(a, b[:, 0]), 1e-3)


@pytest.mark.parametrize("scale", [0.01, 1.0, 20.0])
def test_expm(scale):
  a = rand(4, 4) * scale
  want = scipy.linalg.expm(a.astype(np.float64))
  got = np.asarray(SL.expm(a))
  assert got.dtype == np.float32
  np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3 * np.abs(want).max())


def test_expm_batched_and_special_cases():
  a = rand(2, 3, 3)
  close(SL.expm(a), np.stack([scipy.linalg.expm(x) for x in a]), 1e-4)
  close(SL.expm(np.zeros((2, 2), np.float32)), np.eye(2))
  d = np.diag([1.0, -2.0]).astype(np.float32)
  close(SL.expm(d), np.diag(np.exp([1.0, -2.0])), 1e-5)


def test_block_diag():
  blocks = (np.float32(1), np.ones(2, np.float32), rand(2, 3), np.zeros((0, 1), np.float32))
  close(SL.block_diag(*blocks), scipy.linalg.block_diag(*blocks))
  assert SL.block_diag(np.ones((1, 1), np.int32), np.ones((1, 1), np.float32)).dtype == np.float32


def test_aliases():
  a, b = well_conditioned(3, 3), rand(3, 2)
  close(SL.inv(a), scipy.linalg.inv(a))
  close(SL.det(a), scipy.linalg.det(a))
  close(SL.solve(a, b), scipy.linalg.solve(a, b))
  s = spd(3, 3)
  close(SL.solve(s, b, assume_a="pos"), scipy.linalg.solve(s, b, assume_a="pos"))
  close(SL.cholesky(s), scipy.linalg.cholesky(s))
  close(SL.cholesky(s, lower=True), scipy.linalg.cholesky(s, lower=True))
  close(SL.eigh(s, eigvals_only=True), scipy.linalg.eigh(s, eigvals_only=True))
  close(SL.svd(a, compute_uv=False), scipy.linalg.svd(a, compute_uv=False))
  q, r = SL.qr(rand(4, 3), mode="economic")
  assert q.shape == (4, 3) and r.shape == (3, 3)


# --- Transformations --------------------------------------------------------------

def test_jit_and_vmap():
  a, b = well_conditioned(3, 4, 4), rand(3, 4, 2)
  f = lambda a, b: SL.lu_solve(SL.lu_factor(a), b)
  close(morphax.jit(f)(a, b), f(a, b), 1e-5)
  # jit(vmap(f)) runs the batch rules in one compiled program.
  got = morphax.jit(morphax.vmap(f, in_axes=(0, 2)))(a, np.moveaxis(b, 0, 2))
  close(got, np.stack([np.linalg.solve(a[i], b[i]) for i in range(3)]), 1e-4)
  close(morphax.jit(SL.expm)(a * 0.3), SL.expm(a * 0.3), 1e-5)
  close(morphax.jit(morphax.vmap(SL.expm))(a * 0.3),
        np.stack([scipy.linalg.expm(x * 0.3) for x in a]), 1e-4)


GRAD_ROWS = [
    ("solve_triangular", lambda a, b: SL.solve_triangular(a, b, lower=True, trans=1),
     lambda: (well_conditioned(3, 3), rand(3, 2))),
    ("cho_solve", lambda a, b: SL.cho_solve(SL.cho_factor(a @ a.T + 3 * np.eye(3, dtype=np.float32)), b),
     lambda: (rand(3, 3), rand(3))),
    ("lu_solve", lambda a, b: SL.lu_solve(SL.lu_factor(a), b),
     lambda: (well_conditioned(3, 3), rand(3, 2))),
    ("expm", SL.expm, lambda: (rand(3, 3) * 0.5,)),
]


@pytest.mark.parametrize("name,f,make", GRAD_ROWS, ids=[r[0] for r in GRAD_ROWS])
def test_grads(name, f, make):
  check_grads(f, make(), order=1, modes=("fwd", "rev"))


# --- Errors -----------------------------------------------------------------------

def test_errors():
  with pytest.raises(ValueError, match="solve_triangular: trans must be 0, 1, 2, 'N', "
                     "'T' or 'C', got 3"):
    SL.solve_triangular(np.eye(2), np.ones(2), trans=3)
  with pytest.raises(ValueError, match=r"cho_solve: a of shape \(2, 2\) and b of shape "
                     r"\(3, 1\) do not fit"):
    SL.cho_solve((np.eye(2), True), np.ones((3, 1)))
  with pytest.raises(ValueError, match=r"expm: expected square matrices \(\.\.\., n, n\), "
                     r"got shape \(2, 3\)"):
    SL.expm(np.ones((2, 3)))
  with pytest.raises(ValueError, match=r"block_diag: arguments must have at most 2 "
                     r"dimensions, got shape \(1, 1, 1\)"):
    SL.block_diag(np.ones((1, 1, 1)))
  with pytest.raises(ValueError, match="solve: assume_a must be 'gen', 'sym', 'her' or "
                     "'pos', got 'banded'"):
    SL.solve(np.eye(2), np.ones(2), assume_a="banded")
  with pytest.raises(ValueError, match="qr: mode must be 'full', 'economic' or 'r', got 'raw'"):
    SL.qr(np.eye(2), mode="raw")
