"""morphax.scipy.linalg: cho_factor/cho_solve, solve_triangular, lu, expm,
block_diag.
"""

import numpy as np

from .. import lax
from ..lax import linalg as lax_linalg
from ..numpy import _creation, _linalg, _reductions, _shape, _ufuncs
from ..numpy import linalg as np_linalg
from ..numpy._util import (check_arraylike, ensure_array, promote_dtypes,
                           promote_dtypes_inexact)

__all__ = [
    "block_diag", "cho_factor", "cho_solve", "cholesky", "det", "eigh",
    "expm", "inv", "lu", "lu_factor", "lu_solve", "qr", "solve",
    "solve_triangular", "svd",
]


def _inexact(name, *args):
  check_arraylike(name, *args)
  return promote_dtypes_inexact(name, *[ensure_array(a, name) for a in args])


def _H(x):
  return _ufuncs.conj(_shape.swapaxes(x, -1, -2))


TRANS_MESSAGE = ("{name}: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")


def _trans_flags(name, trans):
  """(transpose_a, conjugate_a) for SciPy's trans argument."""
  flags = {0: (False, False), "N": (False, False), 1: (True, False),
           "T": (True, False), 2: (True, True), "C": (True, True)}
  if trans not in flags:
    raise ValueError(TRANS_MESSAGE.format(name=name, trans=trans))
  return flags[trans]


def _as_matrix_rhs(name, a, b):
  """b as (..., n, k) for a (..., n, n); says whether b was a vector."""
  n = np.shape(a)[-1]
  vector = np.ndim(b) == np.ndim(a) - 1
  if vector:
    b = _shape.expand_dims(b, -1)
  if np.shape(b)[-2] != n or np.shape(b)[:-2] != np.shape(a)[:-2]:
    raise ValueError(f"{name}: a of shape {np.shape(a)} and b of shape "
                     f"{np.shape(b)} do not fit: b must be (..., {n}) or "
                     f"(..., {n}, k) with a's batch dims")
  return b, vector


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False,
                     overwrite_b=False, debug=None, check_finite=True):
  """Solves op(a) x = b for triangular a (..., n, n); op by `trans`
  (0 or 'N': a, 1 or 'T': a^T, 2 or 'C': a^H). b is (..., n) or
  (..., n, k). Follows jax.scipy.linalg.solve_triangular; the overwrite
  and check flags are ignored."""
  a, b = _inexact("solve_triangular", a, b)
  transpose_a, conjugate_a = _trans_flags("solve_triangular", trans)
  b, vector = _as_matrix_rhs("solve_triangular", a, b)
  x = lax_linalg.triangular_solve(a, b, left_side=True, lower=lower,
                                  transpose_a=transpose_a,
                                  conjugate_a=conjugate_a,
                                  unit_diagonal=unit_diagonal)
  return _shape.squeeze(x, -1) if vector else x


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
  """Cholesky factor of a Hermitian positive-definite a: upper U with
  a = U^H U (SciPy's default), or lower L with lower=True."""
  a, = _inexact("cholesky", a)
  L = np_linalg.cholesky(a)
  return L if lower else _H(L)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
  """(c, lower): the Cholesky factor of a, for cho_solve. NB: the other
  triangle of c holds zeros (SciPy leaves whatever was there)."""
  return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
  """Solves a x = b given cho_factor(a) = (c, lower); b is (..., n) or
  (..., n, k)."""
  c, lower = c_and_lower
  c, b = _inexact("cho_solve", c, b)
  b, vector = _as_matrix_rhs("cho_solve", c, b)
  # a = L L^H: solve L y = b, then L^H x = y (with U = L^H for upper c).
  y = lax_linalg.triangular_solve(c, b, left_side=True, lower=lower,
                                  transpose_a=not lower, conjugate_a=not lower)
  x = lax_linalg.triangular_solve(c, y, left_side=True, lower=lower,
                                  transpose_a=lower, conjugate_a=lower)
  return _shape.squeeze(x, -1) if vector else x


def _perm_matrix(perm, dtype):
  """P with P[..., i, perm[i]] = 1, so that P @ a = a[..., perm, :]."""
  shape = np.shape(perm) + (np.shape(perm)[-1],)
  nd = len(shape)
  hits = lax.eq(lax.broadcast_in_dim(perm, shape, tuple(range(nd - 1))),
                lax.broadcasted_iota(np.int32, shape, nd - 1))
  return lax.convert_element_type(hits, dtype)


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
  """LU decomposition with partial pivoting: (p, l, u) with a = p @ l @ u,
  or (p @ l, u) with permute_l. l is (..., m, k) unit lower, u
  (..., k, n) upper, k = min(m, n)."""
  a, = _inexact("lu", a)
  lu_, _, perm = lax_linalg.lu(a)
  m, n = np.shape(a)[-2:]
  k = min(m, n)
  nb = np.ndim(a) - 2
  l = _tril(lax.slice(lu_, (0,) * (nb + 2), np.shape(a)[:-1] + (k,)), -1)
  l = _ufuncs.add(l, _creation.eye(m, k, dtype=a.dtype))
  u = _triu(lax.slice(lu_, (0,) * (nb + 2), np.shape(a)[:-2] + (k, n)))
  p = _shape.swapaxes(_perm_matrix(perm, a.dtype), -1, -2)
  if permute_l:
    return _linalg.matmul(p, l), u
  return p, l, u


def _tri_keep(x, k, lower):
  shape = np.shape(x)
  nd = len(shape)
  rows = lax.add(lax.broadcasted_iota(np.int32, shape, nd - 2), k)
  cols = lax.broadcasted_iota(np.int32, shape, nd - 1)
  keep = lax.ge(rows, cols) if lower else lax.le(rows, cols)
  return lax.select_n(keep, lax.full(shape, 0, x.dtype), x)


def _tril(x, k=0):
  return _tri_keep(x, k, True)


def _triu(x, k=0):
  return _tri_keep(x, k, False)


def lu_factor(a, overwrite_a=False, check_finite=True):
  """(lu, piv): l (unit lower) and u packed in lu, and the 0-based row
  swaps piv (int32), as for lu_solve."""
  a, = _inexact("lu_factor", a)
  lu_, pivots, _ = lax_linalg.lu(a)
  return lu_, pivots


def _pivots_to_permutation(pivots, m):
  """The row order that applying swaps (i, pivots[..., i]) in turn gives.
  NB: unrolled over the k pivots (one-hot selects), fine for the sizes
  lu_solve meets; lax.linalg.lu returns the permutation directly."""
  shape = np.shape(pivots)[:-1] + (m,)
  nd = len(shape)
  pos = lax.broadcasted_iota(np.int32, shape, nd - 1)
  perm = pos
  for i in range(np.shape(pivots)[-1]):
    piv_i = lax.index_in_dim(pivots, i, nd - 1, keepdims=False)
    j = lax.broadcast_in_dim(piv_i, shape, tuple(range(nd - 1)))
    at_i, at_j = lax.eq(pos, i), lax.eq(pos, j)
    pick = lambda mask: lax.broadcast_in_dim(
        lax.reduce_sum(lax.select_n(mask, lax.full(shape, 0, np.int32), perm),
                       (nd - 1,)), shape, tuple(range(nd - 1)))
    x_i, x_j = pick(at_i), pick(at_j)
    perm = lax.select_n(at_j, perm, x_i)
    perm = lax.select_n(at_i, perm, x_j)
  return perm


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
  """Solves op(a) x = b given lu_factor(a) = (lu, piv); op by `trans`
  (0: a, 1: a^T, 2: a^H). b is (..., n) or (..., n, k)."""
  lu_, piv = lu_and_piv
  lu_, b = _inexact("lu_solve", lu_, b)
  transpose_a, conjugate_a = _trans_flags("lu_solve", trans)
  b, vector = _as_matrix_rhs("lu_solve", lu_, b)
  P = _perm_matrix(_pivots_to_permutation(piv, np.shape(lu_)[-1]), lu_.dtype)
  if not transpose_a:
    # P a = L U: x = U^-1 L^-1 P b.
    y = lax_linalg.triangular_solve(lu_, _linalg.matmul(P, b), left_side=True,
                                    lower=True, unit_diagonal=True)
    x = lax_linalg.triangular_solve(lu_, y, left_side=True, lower=False)
  else:
    # op(a) = op(U) op(L) op(P)^... : x = P^T op(L)^-1 op(U)^-1 b.
    y = lax_linalg.triangular_solve(lu_, b, left_side=True, lower=False,
                                    transpose_a=True, conjugate_a=conjugate_a)
    y = lax_linalg.triangular_solve(lu_, y, left_side=True, lower=True,
                                    transpose_a=True, conjugate_a=conjugate_a,
                                    unit_diagonal=True)
    x = _linalg.matmul(_shape.swapaxes(P, -1, -2), y)
  return _shape.squeeze(x, -1) if vector else x


def inv(a, overwrite_a=False, check_finite=True):
  """Inverse of square matrices (jnp.linalg.inv)."""
  return np_linalg.inv(a)


def det(a, overwrite_a=False, check_finite=True):
  """Determinant of square matrices (jnp.linalg.det)."""
  return np_linalg.det(a)


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, debug=False,
          check_finite=True, assume_a="gen"):
  """Solves a x = b; b is (n,) or (n, k). assume_a 'gen' (LU), 'sym', 'her'
  or 'pos' (Cholesky, reading the `lower` triangle)."""
  if assume_a not in ("gen", "sym", "her", "pos"):
    raise ValueError(f"solve: assume_a must be 'gen', 'sym', 'her' or 'pos', "
                     f"got {assume_a!r}")
  if assume_a == "pos":
    a, b = _inexact("solve", a, b)
    c = lax_linalg.cholesky(a if lower else _H(a), symmetrize_input=False)
    return cho_solve((c, True), b)
  return np_linalg.solve(a, b)


def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False,
         overwrite_b=False, type=1, check_finite=True, subset_by_index=None,
         subset_by_value=None, driver=None):
  """(w, v) of a Hermitian a (w only with eigvals_only). NB: the
  generalized problem (b) and subsets are not supported."""
  if b is not None or subset_by_index is not None or subset_by_value is not None:
    raise NotImplementedError("eigh: b, subset_by_index and subset_by_value "
                              "are not supported")
  w, v = np_linalg.eigh(a, UPLO="L" if lower else "U")
  return w if eigvals_only else (w, v)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False,
        check_finite=True, lapack_driver="gesdd"):
  """(U, s, Vh), or s alone with compute_uv=False (jnp.linalg.svd)."""
  out = np_linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
  return tuple(out) if compute_uv else out


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False,
       check_finite=True):
  """(Q, R) for mode 'full' or 'economic', (R,) for mode 'r'.
  NB: pivoting and mode 'raw' are not supported."""
  if pivoting:
    raise NotImplementedError("qr: pivoting=True is not supported")
  modes = {"full": "complete", "economic": "reduced", "r": "r"}
  if mode not in modes:
    raise ValueError(f"qr: mode must be 'full', 'economic' or 'r', got {mode!r}")
  out = np_linalg.qr(a, mode=modes[mode])
  return (out,) if mode == "r" else tuple(out)


# --- expm ------------------------------------------------------------------------------

# Pade coefficients b_0..b_m of exp (Higham 2005, "The scaling and squaring
# method for the matrix exponential revisited") and the largest 1-norm
# theta_m for which degree m is accurate to the unit roundoff.
_PADE7 = (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0)
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
           1187353796428800.0, 129060195264000.0, 10559470521600.0,
           670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0,
           16380.0, 182.0, 1.0)
_THETA7 = 3.925724783138660
_THETA13 = 5.371920351148152


def expm(A, *, upper_triangular=False, max_squarings=16):
  """Matrix exponential of square matrices (..., n, n) by Pade
  approximation with scaling and squaring (Higham 2005): degree 7 for
  32-bit types, 13 for 64-bit ones.

  `expm(jnp.zeros((2, 2)))` is the identity. The number of squarings s
  depends on the 1-norm of A, so the program always holds max_squarings
  squarings and keeps the first s (NaNs past that, as JAX gives).
  """
  A, = _inexact("expm", A)
  shape = np.shape(A)
  if len(shape) < 2 or shape[-1] != shape[-2]:
    raise ValueError(f"expm: expected square matrices (..., n, n), got shape {shape}")
  wide = A.dtype in (np.dtype(np.float64), np.dtype(np.complex128))
  coeffs, theta = (_PADE13, _THETA13) if wide else (_PADE7, _THETA7)
  norm1 = _reductions.max(_reductions.sum(_ufuncs.abs(A), axis=-2), axis=-1)
  s = _ufuncs.maximum(0.0, _ufuncs.ceil(_ufuncs.log2(_ufuncs.divide(norm1, theta))))
  s = lax.stop_gradient(_shape.where(_ufuncs.isfinite(s), s, 0.0))
  scale = lax.convert_element_type(_ufuncs.exp2(_ufuncs.negative(s)), A.dtype)
  A = _ufuncs.multiply(A, scale[..., None, None])
  eye = lax.broadcast_in_dim(_creation.eye(shape[-1], dtype=A.dtype), shape,
                             (len(shape) - 2, len(shape) - 1))
  U, V = _pade(A, eye, coeffs)
  R = np_linalg.solve(_ufuncs.subtract(V, U), _ufuncs.add(V, U))
  s = lax.convert_element_type(s, np.int32)
  for i in range(max_squarings):
    R = _shape.where((s > i)[..., None, None], _linalg.matmul(R, R), R)
  too_big = (s > max_squarings)[..., None, None]
  R = _shape.where(too_big, lax.full(shape, np.nan, A.dtype), R)
  return R


def _pade(A, eye, b):
  """(U, V): the odd and even parts of the degree-7 or -13 Pade numerator."""
  mm = _linalg.matmul
  c = lambda k, X: _ufuncs.multiply(b[k], X)
  add = lambda *xs: _sum_all(xs)
  A2 = mm(A, A)
  A4 = mm(A2, A2)
  A6 = mm(A4, A2)
  if len(b) == 8:
    U = mm(A, add(c(7, A6), c(5, A4), c(3, A2), c(1, eye)))
    V = add(c(6, A6), c(4, A4), c(2, A2), c(0, eye))
    return U, V
  inner_u = mm(A6, add(c(13, A6), c(11, A4), c(9, A2)))
  U = mm(A, add(inner_u, c(7, A6), c(5, A4), c(3, A2), c(1, eye)))
  inner_v = mm(A6, add(c(12, A6), c(10, A4), c(8, A2)))
  V = add(inner_v, c(6, A6), c(4, A4), c(2, A2), c(0, eye))
  return U, V


def _sum_all(xs):
  out = xs[0]
  for x in xs[1:]:
    out = _ufuncs.add(out, x)
  return out


# --- block_diag --------------------------------------------------------------------------

def block_diag(*arrs):
  """A block-diagonal matrix from 0-d, 1-d (one row) or 2-d blocks, in
  their common dtype. `block_diag(jnp.ones((1, 1)), 2 * jnp.ones((2, 2)))`
  is [[1, 0, 0], [0, 2, 2], [0, 2, 2]]."""
  if not arrs:
    return _creation.zeros((1, 0))
  check_arraylike("block_diag", *arrs)
  arrs = [ensure_array(a, "block_diag") for a in arrs]
  arrs = promote_dtypes("block_diag", *arrs)
  blocks = []
  for a in arrs:
    if np.ndim(a) > 2:
      raise ValueError(f"block_diag: arguments must have at most 2 dimensions, "
                       f"got shape {np.shape(a)}")
    blocks.append(lax.reshape(a, (1, 1) if np.ndim(a) == 0 else
                              (1, np.shape(a)[0]) if np.ndim(a) == 1 else np.shape(a)))
  total = sum(np.shape(b)[1] for b in blocks)
  rows, start = [], 0
  for b in blocks:
    r, c = np.shape(b)
    rows.append(lax.pad(b, np.asarray(0, b.dtype),
                        [(0, 0, 0), (start, total - start - c, 0)]))
    start += c
  return lax.concatenate(rows, 0)
