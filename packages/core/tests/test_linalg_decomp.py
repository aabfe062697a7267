"""Tests for ops/linalg_decomp.py: cholesky, triangular_solve, eigh, svd,
qr, lu and eig against numpy.linalg / scipy.linalg, and their errors."""

import numpy as np
import pytest
import scipy.linalg

from morphax import lax
from morphax.core.avals import ShapedArray
from morphax.interpreters import lowering
from morphax.ops import linalg_decomp

PRIMITIVES_COVERED = {"cholesky", "triangular_solve", "eigh", "svd", "qr",
                      "lu", "eig"}

RNG = np.random.default_rng(0)
L = lax.linalg


def rand(shape, dtype=np.float32):
  x = RNG.standard_normal(shape)
  if np.dtype(dtype).kind == "c":
    x = x + 1j * RNG.standard_normal(shape)
  return x.astype(dtype)


def hermitian_pd(shape, dtype=np.float32):
  a = rand(shape, dtype)
  n = shape[-1]
  return (a @ np.conj(np.swapaxes(a, -1, -2)) + n * np.eye(n)).astype(dtype)


def tol(dtype):
  return 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10


def close(got, want, dtype, scale=1.0):
  t = tol(dtype) * scale
  np.testing.assert_allclose(np.asarray(got), want, rtol=t, atol=t)


SQUARE = [(3, 3), (2, 4, 4), (2, 1, 1, 1)]
RECT = [(3, 3), (4, 3), (2, 2, 5)]
DTYPES = [np.float32, np.complex64]


@pytest.mark.parametrize("shape", SQUARE)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cholesky(shape, dtype):
  x = hermitian_pd(shape, dtype)
  out = L.cholesky(x)
  assert out.dtype == dtype and out.shape == shape
  close(out, np.linalg.cholesky(x), dtype, 10)


def test_cholesky_not_positive_definite_gives_nans():
  out = np.asarray(L.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]], np.float32)))
  assert np.isnan(out).all()


TRIANGULAR_ROWS = [
    # a shape, b shape, params
    ((3, 3), (3, 2), dict(left_side=True, lower=True)),
    ((3, 3), (2, 3), dict(left_side=False, lower=False)),
    ((2, 4, 4), (2, 4, 3), dict(left_side=True, lower=False, transpose_a=True)),
    ((2, 4, 4), (2, 1, 4), dict(left_side=False, lower=True, transpose_a=True,
                                conjugate_a=True)),
    ((3, 3), (3, 2), dict(left_side=True, lower=True, conjugate_a=True)),
    ((3, 3), (3, 1), dict(left_side=True, lower=True, unit_diagonal=True)),
]


def _triangular_reference(a, b, left_side=False, lower=False, transpose_a=False,
                          conjugate_a=False, unit_diagonal=False):
  t = np.tril(a) if lower else np.triu(a)
  if unit_diagonal:
    t = t - np.diag(np.diag(t)) + np.eye(a.shape[-1])
  if transpose_a:
    t = t.T
  if conjugate_a:
    t = np.conj(t)
  return np.linalg.solve(t, b) if left_side else np.linalg.solve(t.T, b.T).T


@pytest.mark.parametrize("ashape,bshape,params", TRIANGULAR_ROWS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_triangular_solve(ashape, bshape, params, dtype):
  a = rand(ashape, dtype) + 4 * np.eye(ashape[-1], dtype=dtype)
  b = rand(bshape, dtype)
  out = L.triangular_solve(a, b, **params)
  assert out.dtype == dtype and out.shape == bshape
  want = np.stack([_triangular_reference(ai, bi, **params)
                   for ai, bi in zip(a.reshape((-1,) + ashape[-2:]),
                                     b.reshape((-1,) + bshape[-2:]))])
  close(out, want.reshape(bshape), dtype, 10)


@pytest.mark.parametrize("shape", SQUARE)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lower", [True, False])
def test_eigh(shape, dtype, lower):
  x = hermitian_pd(shape, dtype)
  v, w = L.eigh(x, lower=lower)
  assert v.dtype == dtype and w.dtype == np.float32
  close(w, np.linalg.eigvalsh(x), np.float32, 30)
  v, w = np.asarray(v), np.asarray(w)
  # x v = v diag(w), and v unitary.
  close(x @ v, v * w[..., None, :], dtype, 50)
  close(np.conj(np.swapaxes(v, -1, -2)) @ v, np.broadcast_to(np.eye(shape[-1]), shape),
        dtype, 10)


@pytest.mark.parametrize("shape", RECT)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("full_matrices", [True, False])
def test_svd(shape, dtype, full_matrices):
  x = rand(shape, dtype)
  u, s, vh = L.svd(x, full_matrices=full_matrices)
  wu, ws, wvh = np.linalg.svd(x, full_matrices=full_matrices)
  assert s.dtype == np.float32 and u.dtype == dtype
  assert (u.shape, s.shape, vh.shape) == (wu.shape, ws.shape, wvh.shape)
  close(s, ws, np.float32, 10)
  k = min(shape[-2:])
  u, vh = np.asarray(u), np.asarray(vh)
  recon = (u[..., :, :k] * np.asarray(s)[..., None, :]) @ vh[..., :k, :]
  close(recon, x, dtype, 10)
  close(L.svd(x, compute_uv=False), ws, np.float32, 10)


@pytest.mark.parametrize("shape", RECT)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("full_matrices", [True, False])
def test_qr(shape, dtype, full_matrices):
  x = rand(shape, dtype)
  q, r = L.qr(x, full_matrices=full_matrices)
  wq, wr = np.linalg.qr(x, mode="complete" if full_matrices else "reduced")
  assert (q.shape, r.shape) == (wq.shape, wr.shape)
  assert q.dtype == dtype and r.dtype == dtype
  # LAPACK's convention on both sides: the same q and r.
  close(q, wq, dtype, 10)
  close(r, wr, dtype, 10)
  np.testing.assert_array_equal(np.asarray(r), np.triu(np.asarray(r)))


@pytest.mark.parametrize("shape", RECT + [(1, 1), (2, 4, 2)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_lu(shape, dtype):
  x = rand(shape, dtype)
  lu, pivots, perm = L.lu(x)
  assert lu.dtype == dtype and pivots.dtype == np.int32 and perm.dtype == np.int32
  m, n = shape[-2:]
  k = min(m, n)
  assert pivots.shape == shape[:-2] + (k,) and perm.shape == shape[:-2] + (m,)
  flat = x.reshape((-1, m, n))
  for i, (lu_i, piv_i, perm_i) in enumerate(zip(
      np.asarray(lu).reshape((-1, m, n)), np.asarray(pivots).reshape((-1, k)),
      np.asarray(perm).reshape((-1, m)))):
    want_lu, want_piv = scipy.linalg.lu_factor(flat[i])
    close(lu_i, want_lu, dtype, 10)
    np.testing.assert_array_equal(piv_i, want_piv)
    l = np.tril(lu_i[:, :k], -1) + np.eye(m, k)
    close(l @ np.triu(lu_i[:k]), flat[i][perm_i], dtype, 10)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_eig(shape, dtype):
  x = rand(shape, dtype)
  w, vl, vr = L.eig(x)
  assert w.dtype == np.complex64 and vr.dtype == np.complex64
  w, vl, vr = map(np.asarray, (w, vl, vr))
  close(np.sort_complex(w), np.sort_complex(np.linalg.eigvals(x)), np.float32, 10)
  close(x @ vr, vr * w[..., None, :], np.complex64, 10)
  # Left eigenvectors: vl^H x = diag(w) vl^H.
  vlh = np.conj(np.swapaxes(vl, -1, -2))
  close(vlh @ x, w[..., :, None] * vlh, np.complex64, 10)
  only_w, = L.eig(x, compute_left_eigenvectors=False,
                  compute_right_eigenvectors=False)
  close(only_w, w, np.complex64)


def test_eig_real_matrix_with_complex_eigenvalues():
  x = np.array([[0.0, -1.0], [1.0, 0.0]], np.float32)
  w, vr = L.eig(x, compute_left_eigenvectors=False)
  close(np.sort_complex(np.asarray(w)), np.array([-1j, 1j]), np.complex64)
  close(x @ np.asarray(vr), np.asarray(vr) * np.asarray(w)[None, :], np.complex64)


def test_empty_matrices():
  z = np.zeros((2, 0, 0), np.float32)
  assert L.cholesky(z).shape == (2, 0, 0)
  v, w = L.eigh(z)
  assert v.shape == (2, 0, 0) and w.shape == (2, 0)
  u, s, vh = L.svd(np.zeros((3, 0), np.float32))
  assert (u.shape, s.shape, vh.shape) == ((3, 3), (0,), (0, 0))
  q, r = L.qr(np.zeros((3, 0), np.float32))
  assert q.shape == (3, 3) and r.shape == (3, 0)
  lu, piv, perm = L.lu(np.zeros((3, 0), np.float32))
  assert piv.shape == (0,)
  np.testing.assert_array_equal(np.asarray(perm), [0, 1, 2])


# --- Errors --------------------------------------------------------------------

@pytest.mark.parametrize("fn", [L.cholesky, L.eigh, L.eig],
                         ids=["cholesky", "eigh", "eig"])
def test_square_error(fn):
  with pytest.raises(ValueError, match=r"expected square matrices \(\.\.\., n, n\), "
                     r"got shape \(2, 3\)"):
    fn(np.zeros((2, 3), np.float32))


@pytest.mark.parametrize("fn", [L.svd, L.qr, L.lu], ids=["svd", "qr", "lu"])
def test_rank_error(fn):
  with pytest.raises(ValueError, match=r"expected a matrix with shape \(\.\.\., m, n\) "
                     r"\(rank >= 2\), got shape \(3,\)"):
    fn(np.zeros((3,), np.float32))


def test_dtype_error():
  with pytest.raises(TypeError, match="svd: expected a float32, float64, complex64 "
                     "or complex128 array, got int32"):
    L.svd(np.zeros((2, 2), np.int32))


def test_triangular_solve_shape_error():
  with pytest.raises(ValueError, match=r"triangular_solve: a of shape \(3, 3\) and b "
                     r"of shape \(2, 2\) do not fit: with left_side=True b must be "
                     r"\(3, n\)"):
    L.triangular_solve(np.eye(3, dtype=np.float32), np.zeros((2, 2), np.float32),
                       left_side=True)


def test_triangular_solve_dtype_error():
  with pytest.raises(TypeError, match="triangular_solve: a and b must have the same "
                     "dtype, got float32 and complex64"):
    L.triangular_solve(np.eye(2, dtype=np.float32), np.zeros((2, 2), np.complex64))


@pytest.mark.parametrize("prim", [linalg_decomp.eigh_p, linalg_decomp.svd_p,
                                  linalg_decomp.qr_p, linalg_decomp.lu_p,
                                  linalg_decomp.eig_p])
def test_lapack_ops_name_the_platform(prim):
  params = {"eigh": dict(lower=True), "svd": dict(full_matrices=False, compute_uv=True),
            "qr": dict(full_matrices=False), "lu": {},
            "eig": dict(compute_left_eigenvectors=True,
                        compute_right_eigenvectors=True)}[prim.name]
  aval = ShapedArray((3, 3), np.dtype(np.float32))
  with pytest.raises(NotImplementedError, match=f"{prim.name} is not implemented on "
                     "platform 'cuda': morphax lowers it to a LAPACK call"):
    lowering.lower_primitive_module(prim, [aval], params, platform="cuda")


def test_unsupported_options():
  with pytest.raises(NotImplementedError, match="svd: subset_by_index"):
    L.svd(np.eye(2, dtype=np.float32), subset_by_index=(0, 1))
  with pytest.raises(NotImplementedError, match="qr: pivoting=True"):
    L.qr(np.eye(2, dtype=np.float32), pivoting=True)
