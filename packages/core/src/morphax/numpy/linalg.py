"""morphax.numpy.linalg: NumPy's linear algebra (norm, solve, cholesky,
eigh, svd, ...), on lax.linalg's decompositions.
"""

import operator
from typing import NamedTuple

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from ..lax import linalg as lax_linalg
from . import _linalg, _manipulation, _reductions, _shape, _ufuncs
from ._util import (broadcast_shapes, broadcast_to_shape, canonicalize_axis,
                    check_arraylike, ensure_array, promote_dtypes,
                    promote_dtypes_inexact)

__all__ = [
    "EighResult", "EigResult", "QRResult", "SlogdetResult", "SVDResult",
    "cholesky", "cond", "det", "eig", "eigh", "eigvals", "eigvalsh", "inv",
    "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank",
    "matrix_transpose", "multi_dot", "norm", "outer", "pinv", "qr", "slogdet",
    "solve", "svd", "svdvals", "tensordot", "trace", "vector_norm",
    "cross", "diagonal", "vecdot", "tensorinv", "tensorsolve",
]

matmul = _linalg.matmul
tensordot = _linalg.tensordot


class EighResult(NamedTuple):
  eigenvalues: object
  eigenvectors: object


class EigResult(NamedTuple):
  eigenvalues: object
  eigenvectors: object


class QRResult(NamedTuple):
  Q: object
  R: object


class SlogdetResult(NamedTuple):
  sign: object
  logabsdet: object


class SVDResult(NamedTuple):
  U: object
  S: object
  Vh: object


MATRIX_MESSAGE = (
    "{name}: expected {what} with at least 2 dimensions (..., m, n), got "
    "shape {shape}")
SQUARE_MESSAGE = (
    "{name}: expected square matrices (..., n, n), got shape {shape}")


def _matrix(name, a, square=False, what="a matrix"):
  """`a` as an inexact array with rank >= 2 (square if asked)."""
  check_arraylike(name, a)
  a, = promote_dtypes_inexact(name, ensure_array(a, name))
  shape = np.shape(a)
  if len(shape) < 2:
    raise ValueError(MATRIX_MESSAGE.format(name=name, what=what, shape=shape))
  if square and shape[-1] != shape[-2]:
    raise ValueError(SQUARE_MESSAGE.format(name=name, shape=shape))
  return a


def _mT(x):
  nd = np.ndim(x)
  return lax.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _H(x):
  x = _mT(x)
  return lax.conj(x) if avals_lib.is_complex(x.dtype) else x


def _diagonal(x):
  """(..., n) diagonal of (..., n, n)."""
  shape = np.shape(x)
  nd = len(shape)
  same = lax.eq(lax.broadcasted_iota(np.int32, shape, nd - 2),
                lax.broadcasted_iota(np.int32, shape, nd - 1))
  return lax.reduce_sum(lax.select_n(same, lax.full(shape, 0, x.dtype), x),
                        (nd - 1,))


def _eye(shape, dtype):
  nd = len(shape)
  same = lax.eq(lax.broadcasted_iota(np.int32, shape, nd - 2),
                lax.broadcasted_iota(np.int32, shape, nd - 1))
  return lax.convert_element_type(same, dtype)


def _eps(dtype):
  return float(np.finfo(dtype).eps)


# --- Decompositions -------------------------------------------------------------

def cholesky(a, *, upper=False, symmetrize_input=True):
  """Cholesky factor of Hermitian positive-definite matrices (..., n, n):
  lower L with a = L L^H (upper=True: U = L^H, a = U^H U).

  `jnp.linalg.cholesky(jnp.array([[4., 2.], [2., 2.]]))` is
  `[[2., 0.], [1., 1.]]`. Follows jax.numpy.linalg.cholesky: NaNs where
  `a` is not positive-definite (NumPy raises LinAlgError).
  """
  a = _matrix("cholesky", a, square=True)
  L = lax_linalg.cholesky(a, symmetrize_input=symmetrize_input)
  return _H(L) if upper else L


def eigh(a, UPLO=None, symmetrize_input=True):
  """Eigenvalues (ascending) and eigenvectors (columns) of Hermitian
  matrices: EighResult(eigenvalues, eigenvectors). UPLO 'L' (default) or
  'U' picks the triangle read. Follows jax.numpy.linalg.eigh."""
  a = _matrix("eigh", a, square=True)
  if UPLO not in (None, "L", "U"):
    raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
  v, w = lax_linalg.eigh(a, lower=UPLO != "U", symmetrize_input=symmetrize_input)
  return EighResult(w, v)


def eigvalsh(a, UPLO="L", *, symmetrize_input=True):
  """Eigenvalues (ascending, real) of Hermitian matrices."""
  return eigh(a, UPLO, symmetrize_input=symmetrize_input).eigenvalues


def eig(a):
  """Eigenvalues and right eigenvectors of general square matrices, both
  complex: EigResult(eigenvalues, eigenvectors). CPU only; not
  differentiable. NB: NumPy returns real arrays when every eigenvalue is
  real; this (like JAX) always returns complex ones."""
  a = _matrix("eig", a, square=True)
  w, v = lax_linalg.eig(a, compute_left_eigenvectors=False)
  return EigResult(w, v)


def eigvals(a):
  """Complex eigenvalues of general square matrices (CPU only)."""
  a = _matrix("eigvals", a, square=True)
  return lax_linalg.eig(a, compute_left_eigenvectors=False,
                        compute_right_eigenvectors=False)[0]


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
  """Singular value decomposition a = U diag(S) Vh: SVDResult(U, S, Vh),
  or S alone with compute_uv=False. S is real and descending.
  NB: `hermitian` is accepted and ignored (the general algorithm is used)."""
  a = _matrix("svd", a)
  if not compute_uv:
    return lax_linalg.svd(a, full_matrices=False, compute_uv=False)
  u, s, vh = lax_linalg.svd(a, full_matrices=full_matrices)
  return SVDResult(u, s, vh)


def svdvals(x):
  """Singular values, descending (the array API's linalg.svdvals)."""
  return svd(x, compute_uv=False)


def qr(a, mode="reduced"):
  """QR decomposition: QRResult(Q, R) for mode 'reduced' ((..., m, k),
  (..., k, n)) or 'complete' ((..., m, m), (..., m, n)); R alone for 'r'.
  NB: NumPy's 'raw' mode is not supported."""
  a = _matrix("qr", a)
  if mode not in ("reduced", "complete", "r"):
    raise ValueError(f"qr: unsupported mode {mode!r}; expected 'reduced', "
                     "'complete' or 'r'")
  q, r = lax_linalg.qr(a, full_matrices=mode == "complete")
  return r if mode == "r" else QRResult(q, r)


# --- Determinants, solves, inverses ------------------------------------------------

def _lu_parts(a):
  """(diag(u), parity) of a's LU decomposition: det a = (-1)^parity prod."""
  lu, pivots, _ = lax_linalg.lu(a)
  last = np.ndim(pivots) - 1
  swaps = lax.ne(pivots, lax.broadcasted_iota(np.int32, np.shape(pivots), last))
  parity = lax.reduce_sum(lax.convert_element_type(swaps, np.int32), (last,))
  return _diagonal(lu), parity


def _parity_sign(parity, dtype):
  odd = lax.convert_element_type(lax.rem(parity, 2), dtype)
  return lax.sub(1, lax.mul(2, odd))


def slogdet(a, *, method=None):
  """Sign and natural log of |det| of square matrices (..., n, n):
  SlogdetResult(sign, logabsdet); sign 0 and logabsdet -inf when singular.
  Computed from an LU decomposition (method None or 'lu')."""
  a = _matrix("slogdet", a, square=True)
  if method not in (None, "lu"):
    raise ValueError(f"slogdet: unsupported method {method!r}; expected 'lu'")
  if np.shape(a)[-1] == 0:
    ones = lax.full(np.shape(a)[:-2], 1, a.dtype)
    return SlogdetResult(ones, lax.full(np.shape(a)[:-2], 0, _real(a.dtype)))
  diag, parity = _lu_parts(a)
  absdiag = _ufuncs.abs(diag)
  logabsdet = _reductions.sum(_ufuncs.log(absdiag), axis=-1)
  unit = _ufuncs.sign(diag) if not avals_lib.is_complex(a.dtype) else lax.div(
      diag, lax.convert_element_type(absdiag, a.dtype))
  sign = lax.mul(_reductions.prod(unit, axis=-1),
                 _parity_sign(parity, a.dtype))
  singular = _reductions.any(lax.eq(absdiag, 0.0), axis=-1)
  sign = _shape.where(singular, lax.full(np.shape(sign), 0, a.dtype), sign)
  logabsdet = _shape.where(singular, -np.inf, logabsdet)
  return SlogdetResult(sign, logabsdet)


def _real(dtype):
  return np.dtype(np.finfo(dtype).dtype)


def det(a):
  """Determinant of square matrices (..., n, n), from an LU decomposition:
  `det(jnp.array([[1., 2.], [3., 4.]]))` is -2."""
  a = _matrix("det", a, square=True)
  if np.shape(a)[-1] == 0:
    return lax.full(np.shape(a)[:-2], 1, a.dtype)
  diag, parity = _lu_parts(a)
  return lax.mul(_reductions.prod(diag, axis=-1), _parity_sign(parity, a.dtype))


SOLVE_SHAPES_MESSAGE = (
    "solve: a of shape {a} and b of shape {b} do not fit: b must be (n,) or "
    "(..., n, k) with n = {n} (NumPy 2 semantics)")


def _lu_solve(lu, perm, b):
  """Solves a x = b for (..., n, k) b given a's LU factors."""
  shape = np.shape(perm) + (np.shape(perm)[-1],)
  nd = len(shape)
  P = lax.convert_element_type(
      lax.eq(lax.broadcast_in_dim(perm, shape, tuple(range(nd - 1))),
             lax.broadcasted_iota(np.int32, shape, nd - 1)), b.dtype)
  pb = _linalg.matmul(P, b)
  y = lax_linalg.triangular_solve(lu, pb, left_side=True, lower=True,
                                  unit_diagonal=True)
  return lax_linalg.triangular_solve(lu, y, left_side=True, lower=False)


def solve(a, b):
  """Solves a @ x = b for square a (..., n, n): b (n,) gives x (..., n);
  b (..., n, k) gives x (..., n, k), batch dims broadcast. Follows
  jax.numpy.linalg.solve (NumPy 2: b is a vector only when 1-D). Uses an
  LU decomposition with partial pivoting."""
  check_arraylike("solve", a, b)
  a, b = promote_dtypes_inexact("solve", ensure_array(a, "solve"),
                                ensure_array(b, "solve"))
  a = _matrix("solve", a, square=True)
  n = np.shape(a)[-1]
  vector = np.ndim(b) == 1
  if vector:
    b = lax.reshape(b, (np.shape(b)[0], 1))
  if np.ndim(b) < 2 or np.shape(b)[-2] != n:
    raise ValueError(SOLVE_SHAPES_MESSAGE.format(a=np.shape(a), b=np.shape(b), n=n))
  batch = broadcast_shapes("solve", np.shape(a)[:-2], np.shape(b)[:-2])
  a = broadcast_to_shape(a, batch + np.shape(a)[-2:])
  b = broadcast_to_shape(b, batch + np.shape(b)[-2:])
  lu, _, perm = lax_linalg.lu(a)
  x = _lu_solve(lu, perm, b)
  return lax.reshape(x, np.shape(x)[:-1]) if vector else x


def inv(a):
  """Inverse of square matrices (..., n, n), by an LU solve against the
  identity; NaNs or infs where a is singular (NumPy raises LinAlgError)."""
  a = _matrix("inv", a, square=True)
  return solve(a, _eye(np.shape(a), a.dtype))


def pinv(a, rtol=None, hermitian=False, *, rcond=None):
  """Moore-Penrose pseudo-inverse (..., n, m) of a (..., m, n), from its
  SVD; singular values at or below rtol * max(s) count as zero.
  rtol defaults to 10 * max(m, n) * eps (rcond is NumPy's older name)."""
  a = _matrix("pinv", a)
  if rcond is not None:
    rtol = rcond
  m, n = np.shape(a)[-2:]
  if rtol is None:
    rtol = 10 * max(m, n) * _eps(a.dtype)
  if min(m, n) == 0:
    return lax.full(np.shape(a)[:-2] + (n, m), 0, a.dtype)
  u, s, vh = lax_linalg.svd(a, full_matrices=False)
  cutoff = _ufuncs.multiply(_reductions.max(s, axis=-1, keepdims=True),
                            _shape.expand_dims(rtol, -1) if np.ndim(rtol) else rtol)
  s_inv = _shape.where(_ufuncs.greater(s, cutoff), _ufuncs.divide(1.0, s), 0.0)
  scaled = _ufuncs.multiply(_H(vh), _shape.expand_dims(
      lax.convert_element_type(s_inv, a.dtype), -2))
  return _linalg.matmul(scaled, _H(u))


def lstsq(a, b, rcond=None, *, numpy_resid=False):
  """Least-squares solution x of a @ x ~ b for a (m, n) and b (m,) or
  (m, k): returns (x, residuals, rank, s). rcond defaults to
  max(m, n) * eps. residuals are the squared 2-norms of b - a @ x per
  column (always, like JAX; numpy_resid=True gives NumPy's empty array
  when rank < n or m <= n)."""
  check_arraylike("lstsq", a, b)
  a, b = promote_dtypes_inexact("lstsq", ensure_array(a, "lstsq"),
                                ensure_array(b, "lstsq"))
  if np.ndim(a) != 2 or np.ndim(b) not in (1, 2) or np.shape(b)[0] != np.shape(a)[0]:
    raise ValueError(f"lstsq: expected a of shape (m, n) and b of shape (m,) "
                     f"or (m, k), got {np.shape(a)} and {np.shape(b)}")
  vector = np.ndim(b) == 1
  if vector:
    b = lax.reshape(b, (np.shape(b)[0], 1))
  m, n = np.shape(a)
  if rcond is None:
    rcond = max(m, n) * _eps(a.dtype)
  u, s, vh = lax_linalg.svd(a, full_matrices=False)
  if min(m, n):
    mask = _ufuncs.greater(s, _ufuncs.multiply(_reductions.max(s), rcond))
  else:
    mask = lax.full((0,), False, np.bool_)
  rank = _reductions.sum(mask, dtype=np.int32)
  s_inv = _shape.where(mask, _ufuncs.divide(1.0, _shape.where(mask, s, 1.0)), 0.0)
  uhb = _linalg.matmul(_H(u), b)
  x = _linalg.matmul(_H(vh), _ufuncs.multiply(
      uhb, _shape.expand_dims(lax.convert_element_type(s_inv, a.dtype), -1)))
  r = _ufuncs.subtract(b, _linalg.matmul(a, x))
  resid = _reductions.sum(_ufuncs.real(_ufuncs.multiply(r, _ufuncs.conj(r))), axis=0)
  if numpy_resid and (int(rank) < n or m <= n):
    resid = lax.full((0,), 0, resid.dtype)
  if vector:
    x = lax.reshape(x, (n,))
  return x, resid, rank, s


def matrix_power(a, n):
  """a @ a @ ... @ a (n times) for square a (..., m, m) and an integer n;
  n = 0 gives the identity and n < 0 powers of inv(a). Binary
  exponentiation: about 2 log2(n) products."""
  a = _matrix("matrix_power", a, square=True)
  try:
    n = operator.index(n)
  except TypeError:
    raise TypeError(f"matrix_power: exponent must be an integer, got {n!r}") from None
  if n == 0:
    return _eye(np.shape(a), a.dtype)
  if n < 0:
    a, n = inv(a), -n
  result = None
  while n:
    if n & 1:
      result = a if result is None else _linalg.matmul(result, a)
    n >>= 1
    if n:
      a = _linalg.matmul(a, a)
  return result


def matrix_rank(M, rtol=None, *, tol=None):
  """Number of singular values above tol (default: max(s) * max(m, n) *
  eps; rtol scales max(s) instead). Accepts vectors (rank 0 or 1)."""
  check_arraylike("matrix_rank", M)
  M, = promote_dtypes_inexact("matrix_rank", ensure_array(M, "matrix_rank"))
  if np.ndim(M) < 2:
    return lax.convert_element_type(_reductions.any(lax.ne(M, 0)), np.int32)
  s = svdvals(M)
  if tol is None:
    if rtol is None:
      rtol = max(np.shape(M)[-2:]) * _eps(M.dtype)
    rtol = _shape.expand_dims(rtol, -1) if np.ndim(rtol) else rtol
    tol = _ufuncs.multiply(_reductions.max(s, axis=-1, keepdims=True), rtol)
  else:
    tol = _shape.expand_dims(tol, -1) if np.ndim(tol) else tol
  return _reductions.sum(_ufuncs.greater(s, tol), axis=-1, dtype=np.int32)


def cond(x, p=None):
  """Condition number of matrices in norm p (None/2: max(s) / min(s), -2
  its inverse; else norm(x, p) * norm(inv(x), p))."""
  x = _matrix("cond", x)
  if p in (None, 2, -2):
    s = svdvals(x)
    big, small = _reductions.max(s, axis=-1), _reductions.min(s, axis=-1)
    return lax.div(small, big) if p == -2 else lax.div(big, small)
  return lax.mul(norm(x, p, axis=(-2, -1)), norm(inv(x), p, axis=(-2, -1)))


def multi_dot(arrays, *, precision=None):
  """The product of several matrices (the first and last may be vectors),
  evaluated in the order that needs the fewest flops (dynamic programming
  over the chain, as NumPy does)."""
  arrays = [ensure_array(a, "multi_dot") for a in arrays]
  if len(arrays) < 2:
    raise ValueError(f"multi_dot: expected at least two arrays, got {len(arrays)}")
  first_vec, last_vec = np.ndim(arrays[0]) == 1, np.ndim(arrays[-1]) == 1
  if first_vec:
    arrays[0] = lax.reshape(arrays[0], (1,) + np.shape(arrays[0]))
  if last_vec:
    arrays[-1] = lax.reshape(arrays[-1], np.shape(arrays[-1]) + (1,))
  dims = [np.shape(arrays[0])[0]] + [np.shape(a)[1] for a in arrays]
  k = len(arrays)
  cost = [[0] * k for _ in range(k)]
  split = [[0] * k for _ in range(k)]
  for length in range(1, k):
    for i in range(k - length):
      j = i + length
      cost[i][j] = float("inf")
      for s in range(i, j):
        c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
        if c < cost[i][j]:
          cost[i][j], split[i][j] = c, s

  def product(i, j):
    if i == j:
      return arrays[i]
    s = split[i][j]
    return _linalg.matmul(product(i, s), product(s + 1, j), precision=precision)

  out = product(0, k - 1)
  if first_vec:
    out = lax.squeeze(out, (0,))
  if last_vec:
    out = lax.squeeze(out, (np.ndim(out) - 1,))
  return out


# --- Norms -----------------------------------------------------------------------------

def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
  """The array API's vector norm: over all elements (axis None) or the
  given axes; ord 2, 1, inf, -inf, 0 or any p."""
  check_arraylike("vector_norm", x)
  x, = promote_dtypes_inexact("vector_norm", ensure_array(x, "vector_norm"))
  if axis is None:
    out = _vector_norm(_shape.ravel(x), ord, (0,), False)
    return lax.reshape(out, (1,) * np.ndim(x)) if keepdims else out
  axes = (axis,) if isinstance(axis, int) else tuple(axis)
  return _vector_norm(x, ord, axes, keepdims)


def _vector_norm(x, ord, axes, keepdims):
  ax = _ufuncs.abs(x)
  if ord is None or ord == 2:
    sq = lax.real(lax.mul(x, lax.conj(x))) if avals_lib.is_complex(x.dtype) else lax.mul(x, x)
    return _ufuncs.sqrt(_reductions.sum(sq, axis=axes, keepdims=keepdims))
  if ord == np.inf:
    return _reductions.max(ax, axis=axes, keepdims=keepdims)
  if ord == -np.inf:
    return _reductions.min(ax, axis=axes, keepdims=keepdims)
  if ord == 0:
    return _reductions.sum(lax.convert_element_type(lax.ne(ax, 0.0), ax.dtype),
                           axis=axes, keepdims=keepdims)
  if ord == 1:
    return _reductions.sum(ax, axis=axes, keepdims=keepdims)
  if isinstance(ord, str):
    raise ValueError(f"norm: invalid order {ord!r} for vectors")
  p = float(ord)
  return _ufuncs.power(_reductions.sum(_ufuncs.power(ax, p), axis=axes,
                                       keepdims=keepdims), 1.0 / p)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
  """The array API's matrix norm over the last two axes."""
  return norm(x, ord, axis=(-2, -1), keepdims=keepdims)


NORM_ORD_MESSAGE = (
    "norm: invalid order {ord!r} for matrices; expected None, 'fro', 'nuc', "
    "1, -1, 2, -2, inf or -inf")


def norm(x, ord=None, axis=None, keepdims=False):
  """Vector or matrix norm, with NumPy's rules: axis None and a 1-D or
  2-D x (or an int axis) give a vector norm (2-D: Frobenius for ord None);
  a pair of axes gives a matrix norm ('fro', 'nuc', +-1, +-2, +-inf).
  `norm(jnp.array([3., 4.]))` is 5.0."""
  check_arraylike("norm", x)
  x, = promote_dtypes_inexact("norm", ensure_array(x, "norm"))
  nd = np.ndim(x)
  if axis is None:
    if ord is None:
      out = _vector_norm(_shape.ravel(x), 2, (0,), False)
      return lax.reshape(out, (1,) * nd) if keepdims else out
    if nd not in (1, 2):
      raise ValueError(f"norm: with ord={ord!r} and axis=None x must be 1-D or "
                       f"2-D, got shape {np.shape(x)}")
    axis = tuple(range(nd))
  if isinstance(axis, (int, np.integer)):
    axis = (int(axis),)
  axis = tuple(a % nd if -nd <= a < nd else _raise_axis(a, nd) for a in axis)
  if len(axis) == 1:
    return _vector_norm(x, ord, axis, keepdims)
  if len(axis) != 2 or axis[0] == axis[1]:
    raise ValueError(f"norm: axis must be an int or a pair of distinct ints, got {axis}")
  return _matrix_norm(x, ord, axis, keepdims)


def _raise_axis(a, nd):
  raise ValueError(f"norm: axis {a} is out of bounds for an array of rank {nd}")


def _matrix_norm(x, ord, axis, keepdims):
  r, c = axis
  ax = _ufuncs.abs(x)
  if ord in (None, "fro"):
    out = _vector_norm(x, 2, axis, True)
  elif ord in (1, -1):
    col = _reductions.sum(ax, axis=r, keepdims=True)
    out = (_reductions.max if ord == 1 else _reductions.min)(col, axis=c, keepdims=True)
  elif ord in (np.inf, -np.inf):
    row = _reductions.sum(ax, axis=c, keepdims=True)
    out = (_reductions.max if ord == np.inf else _reductions.min)(row, axis=r, keepdims=True)
  elif ord in (2, -2, "nuc"):
    moved = _shape.moveaxis(x, (r, c), (-2, -1))
    s = svdvals(moved)
    if ord == "nuc":
      out = _reductions.sum(s, axis=-1)
    else:
      out = (_reductions.max if ord == 2 else _reductions.min)(s, axis=-1)
    out = _shape.expand_dims(_shape.expand_dims(out, min(r, c)), max(r, c))
  else:
    raise ValueError(NORM_ORD_MESSAGE.format(ord=ord))
  return out if keepdims else _shape.squeeze(out, axis)


# --- Array API extras ----------------------------------------------------------------

def matrix_transpose(x, /):
  """Swaps the last two axes of x (..., m, n) -> (..., n, m)."""
  x = ensure_array(x, "matrix_transpose")
  if np.ndim(x) < 2:
    raise ValueError(MATRIX_MESSAGE.format(name="matrix_transpose",
                                           what="an array", shape=np.shape(x)))
  return _mT(x)


def outer(x1, x2, /):
  """Outer product of two 1-D arrays (the array API's linalg.outer)."""
  if np.ndim(x1) != 1 or np.ndim(x2) != 1:
    raise ValueError(f"outer: expected 1-D inputs, got shapes {np.shape(x1)} "
                     f"and {np.shape(x2)}")
  return _linalg.outer(x1, x2)


def trace(x, /, *, offset=0, dtype=None):
  """Sum of the offset diagonal over the last two axes (the array API's
  linalg.trace; jnp.trace uses the first two)."""
  x = ensure_array(x, "trace")
  shape = np.shape(x)
  if len(shape) < 2:
    raise ValueError(MATRIX_MESSAGE.format(name="trace", what="an array", shape=shape))
  nd = len(shape)
  on = lax.eq(lax.add(lax.broadcasted_iota(np.int32, shape, nd - 2), offset),
              lax.broadcasted_iota(np.int32, shape, nd - 1))
  kept = _shape.where(on, x, lax.full(shape, 0, x.dtype))
  return _reductions.sum(kept, axis=(-2, -1), dtype=dtype)


VECDOT_MESSAGE = (
    "vecdot: the contracted axis {axis} has length {n1} in x1 (shape {s1}) but "
    "{n2} in x2 (shape {s2}); they must match")
CROSS_DIM_MESSAGE = (
    "cross: the vector axis must have length {lengths}, got shapes {a} (axis "
    "{axisa}) and {b} (axis {axisb})")
TENSORINV_MESSAGE = (
    "tensorinv: ind={ind} splits shape {shape} into {left} and {right}, whose "
    "products ({p} and {q}) must be equal (and ind > 0)")
TENSORSOLVE_MESSAGE = (
    "tensorsolve: a of shape {a} must start with b's shape {b} and have as "
    "many remaining elements ({q}) as b has ({p})")


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
  """sum(conj(x1) * x2) along `axis`, broadcast over the other axes."""
  x1, x2 = promote_dtypes("vecdot", x1, x2)
  i1 = canonicalize_axis("vecdot", axis, np.ndim(x1))
  i2 = canonicalize_axis("vecdot", axis, np.ndim(x2))
  n1, n2 = np.shape(x1)[i1], np.shape(x2)[i2]
  if n1 != n2:
    raise ValueError(VECDOT_MESSAGE.format(axis=axis, n1=n1, n2=n2,
                                           s1=np.shape(x1), s2=np.shape(x2)))
  prod = _ufuncs.multiply(_ufuncs.conj(_shape.moveaxis(x1, i1, -1)),
                          _shape.moveaxis(x2, i2, -1))
  return _reductions.sum(prod, axis=-1, dtype=preferred_element_type)


def cross(x1, x2, /, *, axis=-1):
  """The cross product of 3-vectors along `axis` (the array API's
  linalg.cross; jnp.cross also takes 2-vectors)."""
  n1 = np.shape(x1)[canonicalize_axis("cross", axis, np.ndim(x1))]
  n2 = np.shape(x2)[canonicalize_axis("cross", axis, np.ndim(x2))]
  if n1 != 3 or n2 != 3:
    raise ValueError(CROSS_DIM_MESSAGE.format(
        lengths=3, a=np.shape(x1), b=np.shape(x2), axisa=axis, axisb=axis))
  return numpy_cross(x1, x2, axis=axis)


def numpy_cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
  """NumPy's cross (2- or 3-vectors; two 2-vectors give the z-component)."""
  if axis is not None:
    axisa = axisb = axisc = axis
  a, b = promote_dtypes("cross", a, b)
  a = _shape.moveaxis(a, canonicalize_axis("cross", axisa, np.ndim(a)), -1)
  b = _shape.moveaxis(b, canonicalize_axis("cross", axisb, np.ndim(b)), -1)
  da, db = np.shape(a)[-1], np.shape(b)[-1]
  if da not in (2, 3) or db not in (2, 3):
    raise ValueError(CROSS_DIM_MESSAGE.format(
        lengths="2 or 3", a=np.shape(a), b=np.shape(b), axisa=axisa, axisb=axisb))
  a0, a1, a2 = _components(a)
  b0, b1, b2 = _components(b)
  mul, sub = _ufuncs.multiply, _ufuncs.subtract
  cz = sub(mul(a0, b1), mul(a1, b0))
  if da == 2 and db == 2:
    return cz
  cx = sub(mul(a1, b2), mul(a2, b1))
  cy = sub(mul(a2, b0), mul(a0, b2))
  out = _shape.stack(_shape.broadcast_arrays(cx, cy, cz), axis=-1)
  return _shape.moveaxis(out, -1, canonicalize_axis("cross", axisc, np.ndim(out)))


def _components(v):
  """The 3 components of vectors on the last axis (a 2-vector's z is 0)."""
  n = np.shape(v)[-1]
  parts = [lax.squeeze(lax.slice_in_dim(v, i, i + 1, axis=np.ndim(v) - 1), (-1,))
           for i in range(n)]
  if n == 2:
    parts.append(lax.full_like(parts[0], 0))
  return parts


def diagonal(x, /, *, offset=0):
  """The `offset` diagonal of the matrices on the last two axes."""
  return _manipulation.diagonal(x, offset, -2, -1)


def tensorinv(a, ind=2):
  """The inverse of `a` read as a linear map from its last axes (after
  `ind`) to its first `ind`: tensordot(tensorinv(a), a, ind) is identity."""
  a = ensure_array(a, "tensorinv")
  ind = operator.index(ind)
  shape = np.shape(a)
  left, right = shape[:ind], shape[ind:]
  p, q = int(np.prod(left)), int(np.prod(right))
  if ind <= 0 or p != q:
    raise ValueError(TENSORINV_MESSAGE.format(ind=ind, shape=shape, left=left,
                                              right=right, p=p, q=q))
  return _shape.reshape(inv(_shape.reshape(a, (p, q))), right + left)


def tensorsolve(a, b, axes=None):
  """x with tensordot(a, x, x.ndim) == b; `axes` of a move to the end
  first."""
  a, b = promote_dtypes_inexact("tensorsolve", ensure_array(a, "tensorsolve"),
                                ensure_array(b, "tensorsolve"))
  if axes is not None:
    nd = np.ndim(a)
    axes = [canonicalize_axis("tensorsolve", ax, nd) for ax in axes]
    a = _shape.moveaxis(a, axes, list(range(nd - len(axes), nd)))
  bshape, ashape = np.shape(b), np.shape(a)
  xshape = ashape[len(bshape):]
  p, q = int(np.prod(bshape)), int(np.prod(xshape))
  if ashape[:len(bshape)] != bshape or p != q:
    raise ValueError(TENSORSOLVE_MESSAGE.format(a=ashape, b=bshape, p=p, q=q))
  x = solve(_shape.reshape(a, (p, q)), _shape.reshape(b, (p,)))
  return _shape.reshape(x, xshape)
