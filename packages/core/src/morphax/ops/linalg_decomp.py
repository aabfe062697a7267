"""Matrix decompositions and solves: cholesky, triangular_solve, eigh, svd,
qr, lu, eig (StableHLO ops where they exist, LAPACK custom calls on CPU).
"""

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core.ad_util import Zero, is_undefined_primal
from ..core.avals import ShapedArray
from ..core.primitive import NOT_DIFFERENTIABLE, NOT_LINEAR, define_primitive
from ..interpreters.lowering import (compare, constant, i64_array,
                                     make_region, tensor_type)
from ._ad import defjvp
from ._checks import aval_of
from ._linalg_util import (H, as_dtype, batch_at_front, check_matrix, cols_of,
                           conj_if_complex, diagonal, hlo_eye, hlo_slice,
                           hlo_tri, identity, lapack_call, matmul, mT,
                           nan_unless, ok_mask, real_dtype, rows_of, symmetrize,
                           tril, triu, u8_attr)
from .bits import eq
from .elementwise import add, div, mul, neg, real, sub
from .shape import broadcast_in_dim, broadcasted_iota, full, pad, slice

__all__ = ["cholesky", "triangular_solve", "eigh", "svd", "qr", "lu", "eig"]


# --- cholesky ------------------------------------------------------------------

def cholesky(x, *, symmetrize_input=True):
  """Cholesky factor L (lower triangular, x = L L^H) of Hermitian
  positive-definite matrices x: (..., n, n).

  Args:
    x: float or complex matrices (..., n, n).
    symmetrize_input: use (x + x^H) / 2, so that the derivative is
      symmetric; otherwise only the lower triangle of x is read.

  Returns:
    L with zeros above the diagonal; NaNs where x is not positive-definite.
    `cholesky(jnp.array([[4., 2.], [2., 2.]]))` is `[[2., 0.], [1., 1.]]`.

  Lowers to stablehlo.cholesky (lower=true).
  """
  check_matrix("cholesky", aval_of(x), square=True)
  if symmetrize_input:
    x = symmetrize(x)
  return cholesky_p.bind(x)


def _cholesky_abstract_eval(x):
  check_matrix("cholesky", x, square=True)
  return ShapedArray(x.shape, x.dtype)


def _cholesky_lower(ctx, x):
  aval, = ctx.avals_out
  out = hlo.cholesky(x, lower=ir.BoolAttr.get(True))
  out = hlo_tri(out, aval.shape, aval.dtype, lower=True)
  # XLA gives NaNs on the diagonal where x is not positive-definite; spread
  # them over the whole matrix, as JAX's LAPACK path does.
  if aval.shape[-1] == 0:
    return out
  nd = aval.ndim
  bad = compare(out, out, "NE", aval.dtype)
  init = constant(False, np.bool_, ())
  bool_t = tensor_type((), np.bool_)
  red = hlo.ReduceOp([tensor_type(aval.shape[:-2], np.bool_)], [bad], [init],
                     i64_array([nd - 2, nd - 1]))
  make_region(red.regions[0], [bool_t, bool_t], lambda a, b: hlo.or_(a, b))
  bad_all = hlo.broadcast_in_dim(tensor_type(aval.shape, np.bool_),
                                 red.results[0], i64_array(range(nd - 2)))
  return hlo.select(bad_all, constant(np.nan, aval.dtype, aval.shape), out)


def _cholesky_jvp(primals, tangents):
  x, = primals
  t, = tangents
  L = cholesky_p.bind(x)
  if type(t) is Zero:
    return L, Zero(aval_of(L))
  # dL = L phi(L^-1 dA L^-H), phi = lower triangle with halved diagonal
  # (Murray 2016, "Differentiation of the Cholesky decomposition").
  t = symmetrize(t)
  tmp = triangular_solve(L, t, left_side=False, lower=True, transpose_a=True,
                         conjugate_a=True)
  tmp = triangular_solve(L, tmp, left_side=True, lower=True)
  aval = aval_of(L)
  phi = mul(tril(tmp), sub(full(aval.shape, 1, aval.dtype),
                            mul(identity(aval.shape, aval.dtype), 0.5)))
  return L, matmul(L, phi)


cholesky_p = define_primitive(
    "cholesky", abstract_eval=_cholesky_abstract_eval, lower=_cholesky_lower,
    jvp=_cholesky_jvp, transpose=NOT_LINEAR)
cholesky_p.batch = batch_at_front(cholesky_p)


# --- triangular_solve -------------------------------------------------------------

def triangular_solve(a, b, *, left_side=False, lower=False, transpose_a=False,
                     conjugate_a=False, unit_diagonal=False):
  """Solves op(a) @ x = b (left_side) or x @ op(a) = b for x, with `a`
  triangular; op is the identity, transpose, conjugate or adjoint.

  Args:
    a: (..., m, m) triangular matrices (only the `lower` or upper triangle
      is read; with unit_diagonal the diagonal is taken to be ones).
    b: (..., m, n) if left_side else (..., n, m), with a's batch dims.
    transpose_a, conjugate_a: op(a) = a^T, conj(a), or a^H with both.

  Returns:
    x, of b's shape. `triangular_solve(a, b, left_side=True, lower=True)`
    is `inv(tril(a)) @ b`.

  Follows jax.lax.linalg.triangular_solve (same defaults: right side,
  upper). Lowers to stablehlo.triangular_solve.
  """
  return triangular_solve_p.bind(
      a, b, left_side=bool(left_side), lower=bool(lower),
      transpose_a=bool(transpose_a), conjugate_a=bool(conjugate_a),
      unit_diagonal=bool(unit_diagonal))


TRIANGULAR_SHAPES_MESSAGE = (
    "triangular_solve: a of shape {a} and b of shape {b} do not fit: with "
    "left_side={left} b must be {want}")


def _triangular_solve_abstract_eval(a, b, *, left_side, lower, transpose_a,
                                    conjugate_a, unit_diagonal):
  check_matrix("triangular_solve", a, square=True, what="a (matrices)")
  check_matrix("triangular_solve", b, what="b (matrices)")
  if a.dtype != b.dtype:
    raise TypeError(f"triangular_solve: a and b must have the same dtype, got "
                    f"{a.dtype.name} and {b.dtype.name}")
  m = a.shape[-1]
  ok = (b.ndim == a.ndim and b.shape[:-2] == a.shape[:-2]
        and (b.shape[-2] if left_side else b.shape[-1]) == m)
  if not ok:
    want = (f"{a.shape[:-2] + (m, 'n')}" if left_side
            else f"{a.shape[:-2] + ('n', m)}")
    raise ValueError(TRIANGULAR_SHAPES_MESSAGE.format(
        a=a.shape, b=b.shape, left=left_side, want=want.replace("'", "")))
  return ShapedArray(b.shape, b.dtype)


def _triangular_solve_lower(ctx, a, b, *, left_side, lower, transpose_a,
                            conjugate_a, unit_diagonal):
  a_aval = ctx.avals_in[0]
  if conjugate_a and not transpose_a and avals_lib.is_complex(a_aval.dtype):
    a = hlo.complex(hlo.real(a), hlo.negate(hlo.imag(a)))
    conjugate_a = False
  if not transpose_a:
    mode = "NO_TRANSPOSE"
  elif conjugate_a and avals_lib.is_complex(a_aval.dtype):
    mode = "ADJOINT"
  else:
    mode = "TRANSPOSE"
  return hlo.triangular_solve(
      a, b, ir.BoolAttr.get(left_side), ir.BoolAttr.get(lower),
      ir.BoolAttr.get(unit_diagonal), hlo.TransposeAttr.get(mode))


def _op_a(x, transpose_a, conjugate_a):
  if transpose_a:
    x = mT(x)
  return conj_if_complex(x) if conjugate_a else x


def _triangular_solve_jvp_a(t, ans, a, b, **params):
  # x = op(a)^-1 b  =>  dx = -op(a)^-1 op(da) x (x op(a) = b: -x op(da) op(a)^-1),
  # with da restricted to the triangle the solve reads.
  k = -1 if params["unit_diagonal"] else 0
  t = tril(t, k) if params["lower"] else triu(t, -k)
  t = _op_a(t, params["transpose_a"], params["conjugate_a"])
  rhs = matmul(t, ans) if params["left_side"] else matmul(ans, t)
  return neg(triangular_solve_p.bind(a, rhs, **params))


def _triangular_solve_jvp_b(t, ans, a, b, **params):
  return triangular_solve_p.bind(a, t, **params)


def _triangular_solve_transpose(ct, a, b, **params):
  if is_undefined_primal(a):
    raise NotImplementedError("triangular_solve is not linear in a")
  if type(ct) is Zero:
    return [None, Zero(b.aval)]
  params = dict(params, transpose_a=not params["transpose_a"])
  return [None, triangular_solve_p.bind(a, ct, **params)]


triangular_solve_p = define_primitive(
    "triangular_solve", abstract_eval=_triangular_solve_abstract_eval,
    lower=_triangular_solve_lower, transpose=_triangular_solve_transpose)
defjvp(triangular_solve_p, _triangular_solve_jvp_a, _triangular_solve_jvp_b,
       uses_ans=True)
triangular_solve_p.batch = batch_at_front(triangular_solve_p)


# --- eigh ---------------------------------------------------------------------------

def eigh(x, *, lower=True, symmetrize_input=True, sort_eigenvalues=True):
  """Eigendecomposition of Hermitian matrices: x = v diag(w) v^H.

  Args:
    x: (..., n, n) float or complex.
    lower: read the lower (else upper) triangle of x.
    symmetrize_input: use (x + x^H) / 2 first.
    sort_eigenvalues: eigenvalues come ascending (LAPACK's order; always).

  Returns:
    (v, w): eigenvectors as columns of v (x's dtype) and real eigenvalues
    w (..., n), ascending. Follows jax.lax.linalg.eigh.

  Lowers to LAPACK syevd/heevd (a custom call) on CPU.
  """
  check_matrix("eigh", aval_of(x), square=True)
  if symmetrize_input:
    x = symmetrize(x)
  v, w = eigh_p.bind(x, lower=bool(lower))
  return v, w


def _eigh_abstract_eval(x, *, lower):
  check_matrix("eigh", x, square=True)
  return [ShapedArray(x.shape, x.dtype),
          ShapedArray(x.shape[:-1], real_dtype(x.dtype))]


def _eigh_lower(ctx, x, *, lower):
  aval, = ctx.avals_in
  shape, dtype, nd = aval.shape, aval.dtype, aval.ndim
  if shape[-1] == 0:
    return [x, constant(0, real_dtype(dtype), shape[:-1])]
  batch = shape[:-2]
  kind = "heevd" if avals_lib.is_complex(dtype) else "syevd"
  v, w, info = lapack_call(
      ctx, "eigh", kind, [x], [(shape, dtype, True)],
      [(shape, dtype, True), (shape[:-1], real_dtype(dtype), False),
       (batch, np.int32, False)],
      {"mode": u8_attr("V"), "uplo": u8_attr("L" if lower else "U")})
  v = nan_unless(ok_mask(info, shape, nd - 2), v, shape, dtype)
  w = nan_unless(ok_mask(info, shape[:-1], nd - 2), w, shape[:-1],
                  real_dtype(dtype))
  return [v, w]


def _eigh_jvp(primals, tangents, *, lower):
  x, = primals
  t, = tangents
  v, w = eigh_p.bind(x, lower=lower)
  if type(t) is Zero:
    return [v, w], [Zero(aval_of(v)), Zero(aval_of(w))]
  # Standard perturbation theory (Giles 2008): with F_ij = 1/(w_j - w_i)
  # off the diagonal, dV = V (F o V^H dA V), dw = Re diag(V^H dA V).
  aval = aval_of(v)
  eye = identity(aval.shape, real_dtype(aval.dtype))
  diffs = add(sub(rows_of(w), cols_of(w)), eye)
  F = sub(div(full(aval_of(diffs).shape, 1, aval_of(diffs).dtype), diffs), eye)
  vt_t_v = matmul(H(v), matmul(symmetrize(t), v))
  dv = matmul(v, mul(as_dtype(F, aval.dtype), vt_t_v))
  dw = real(diagonal(vt_t_v)) if avals_lib.is_complex(aval.dtype) else diagonal(vt_t_v)
  return [v, w], [dv, dw]


eigh_p = define_primitive(
    "eigh", abstract_eval=_eigh_abstract_eval, lower=_eigh_lower,
    jvp=_eigh_jvp, transpose=NOT_LINEAR, multiple_results=True)
eigh_p.batch = batch_at_front(eigh_p)


# --- svd ----------------------------------------------------------------------------

def svd(x, *, full_matrices=True, compute_uv=True, subset_by_index=None):
  """Singular value decomposition x = u diag(s) vh.

  Args:
    x: (..., m, n) float or complex.
    full_matrices: u (..., m, m) and vh (..., n, n); else (..., m, k) and
      (..., k, n) with k = min(m, n).
    compute_uv: return (u, s, vh), else only s.

  Returns:
    (u, s, vh) or s; s is real and descending. Follows
    jax.lax.linalg.svd. NB: subset_by_index is not supported (must be None).

  Lowers to LAPACK gesdd (a custom call) on CPU.
  """
  if subset_by_index is not None:
    raise NotImplementedError("svd: subset_by_index is not supported")
  outs = svd_p.bind(x, full_matrices=bool(full_matrices),
                    compute_uv=bool(compute_uv))
  if compute_uv:
    s, u, vh = outs
    return u, s, vh
  return outs[0]


def _svd_shapes(shape, full_matrices):
  *batch, m, n = shape
  batch, k = tuple(batch), min(m, n)
  u = batch + ((m, m) if full_matrices else (m, k))
  vh = batch + ((n, n) if full_matrices else (k, n))
  return batch + (k,), u, vh


def _svd_abstract_eval(x, *, full_matrices, compute_uv):
  check_matrix("svd", x)
  s, u, vh = _svd_shapes(x.shape, full_matrices)
  out = [ShapedArray(s, real_dtype(x.dtype))]
  if compute_uv:
    out += [ShapedArray(u, x.dtype), ShapedArray(vh, x.dtype)]
  return out


def _svd_lower(ctx, x, *, full_matrices, compute_uv):
  aval, = ctx.avals_in
  shape, dtype, nd = aval.shape, aval.dtype, aval.ndim
  s_shape, u_shape, vh_shape = _svd_shapes(shape, full_matrices)
  rdtype = real_dtype(dtype)
  if 0 in shape[-2:]:
    outs = [constant(0, rdtype, s_shape)]
    if compute_uv:
      outs += [hlo.convert(tensor_type(u_shape, dtype), hlo_eye(u_shape, rdtype)),
               hlo.convert(tensor_type(vh_shape, dtype), hlo_eye(vh_shape, rdtype))]
    return outs
  mode = "A" if full_matrices else "S"
  _, s, u, vh, info = lapack_call(
      ctx, "svd", "gesdd", [x], [(shape, dtype, True)],
      [(shape, dtype, True), (s_shape, rdtype, False), (u_shape, dtype, True),
       (vh_shape, dtype, True), (shape[:-2], np.int32, False)],
      {"mode": u8_attr(mode)})
  outs = [nan_unless(ok_mask(info, s_shape, nd - 2), s, s_shape, rdtype)]
  if compute_uv:
    outs += [nan_unless(ok_mask(info, u_shape, nd - 2), u, u_shape, dtype),
             nan_unless(ok_mask(info, vh_shape, nd - 2), vh, vh_shape, dtype)]
  return outs


SVD_JVP_MESSAGE = (
    "svd: the derivative of u and vh with full_matrices=True is only defined "
    "for square matrices, got shape {shape}; use full_matrices=False")


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
  x, = primals
  t, = tangents
  outs = svd_p.bind(x, full_matrices=full_matrices, compute_uv=compute_uv)
  if type(t) is Zero:
    return outs, [Zero(aval_of(o)) for o in outs]
  *_, m, n = aval_of(x).shape
  if compute_uv and full_matrices and m != n:
    raise NotImplementedError(SVD_JVP_MESSAGE.format(shape=aval_of(x).shape))
  dtype = aval_of(x).dtype
  s, u, vh = svd_p.bind(x, full_matrices=False, compute_uv=True)
  v = H(vh)
  dS = matmul(H(u), matmul(t, v))
  ds = diagonal(dS)
  ds = real(ds) if avals_lib.is_complex(dtype) else ds
  if not compute_uv:
    return outs, [ds]
  # Townsend 2016, "Differentiating the singular value decomposition".
  k_shape = aval_of(dS).shape
  eye = identity(k_shape, aval_of(s).dtype)
  s_j, s_i = rows_of(s), cols_of(s)
  diffs = mul(add(s_j, s_i), sub(s_j, s_i))
  F = sub(div(full(k_shape, 1, aval_of(s).dtype), add(diffs, eye)), eye)
  F = as_dtype(F, dtype)
  dSS = mul(as_dtype(s_j, dtype), dS)
  SdS = mul(as_dtype(s_i, dtype), dS)
  s_zero = as_dtype(eq(s, 0.0), aval_of(s).dtype)
  s_inv = sub(div(full(aval_of(s).shape, 1, aval_of(s).dtype), add(s, s_zero)), s_zero)
  s_inv_mat = mul(rows_of(s_inv), eye)
  dUdV_diag = mul(mul(sub(dS, H(dS)), 0.5), as_dtype(s_inv_mat, dtype))
  du = matmul(u, add(mul(F, add(dSS, H(dSS))), dUdV_diag))
  dv = matmul(v, mul(F, add(SdS, H(SdS))))
  if m > n:
    dAV = matmul(t, v)
    du = add(du, div(sub(dAV, matmul(u, matmul(H(u), dAV))), as_dtype(rows_of(s, m), dtype)))
  if n > m:
    dAHU = matmul(H(t), u)
    dv = add(dv, div(sub(dAHU, matmul(v, matmul(vh, dAHU))), as_dtype(rows_of(s, n), dtype)))
  return outs, [ds, du, H(dv)]


svd_p = define_primitive(
    "svd", abstract_eval=_svd_abstract_eval, lower=_svd_lower, jvp=_svd_jvp,
    transpose=NOT_LINEAR, multiple_results=True)
svd_p.batch = batch_at_front(svd_p)


# --- qr ------------------------------------------------------------------------------

def qr(x, *, full_matrices=True, pivoting=False, use_magma=None):
  """QR decomposition x = q r, q with orthonormal columns, r upper
  triangular.

  Args:
    x: (..., m, n) float or complex.
    full_matrices: q (..., m, m), r (..., m, n); else (..., m, k),
      (..., k, n) with k = min(m, n).

  Returns:
    (q, r). Follows jax.lax.linalg.qr. NB: pivoting is not supported.

  Lowers to LAPACK geqrf + orgqr/ungqr (custom calls) on CPU.
  """
  if pivoting:
    raise NotImplementedError("qr: pivoting=True is not supported")
  q, r = qr_p.bind(x, full_matrices=bool(full_matrices))
  return q, r


def _qr_shapes(shape, full_matrices):
  *batch, m, n = shape
  batch, k = tuple(batch), min(m, n)
  if full_matrices:
    return batch + (m, m), batch + (m, n)
  return batch + (m, k), batch + (k, n)


def _qr_abstract_eval(x, *, full_matrices):
  check_matrix("qr", x)
  q, r = _qr_shapes(x.shape, full_matrices)
  return [ShapedArray(q, x.dtype), ShapedArray(r, x.dtype)]


def _qr_lower(ctx, x, *, full_matrices):
  aval, = ctx.avals_in
  shape, dtype, nd = aval.shape, aval.dtype, aval.ndim
  *batch, m, n = shape
  batch, k = tuple(batch), min(m, n)
  q_shape, r_shape = _qr_shapes(shape, full_matrices)
  if k == 0:
    rdtype = real_dtype(dtype)
    return [hlo.convert(tensor_type(q_shape, dtype), hlo_eye(q_shape, rdtype)),
            constant(0, dtype, r_shape)]
  a, tau = lapack_call(ctx, "qr", "geqrf", [x], [(shape, dtype, True)],
                        [(shape, dtype, True), (batch + (k,), dtype, False)])
  zeros = [0] * nd
  if q_shape[-1] > n:   # full q of a tall matrix: reflectors padded to (m, m)
    q_in = hlo.pad(a, constant(0, dtype, ()), i64_array(zeros),
                   i64_array([0] * (nd - 1) + [m - n]), i64_array(zeros))
  elif q_shape[-1] < n:
    q_in = hlo_slice(a, shape, zeros, batch + (m, k))
  else:
    q_in = a
  kind = "ungqr" if avals_lib.is_complex(dtype) else "orgqr"
  q, = lapack_call(ctx, "qr", kind, [q_in, tau],
                    [(q_shape, dtype, True), (batch + (k,), dtype, False)],
                    [(q_shape, dtype, True)])
  r = a if r_shape == shape else hlo_slice(a, shape, zeros, r_shape)
  return [q, hlo_tri(r, r_shape, dtype, lower=False)]


QR_JVP_MESSAGE = (
    "qr: the derivative is implemented for m >= n (tall or square), and for "
    "full_matrices=True only for square matrices; got shape {shape} with "
    "full_matrices={full}")


def _qr_jvp(primals, tangents, *, full_matrices):
  x, = primals
  t, = tangents
  q, r = qr_p.bind(x, full_matrices=full_matrices)
  if type(t) is Zero:
    return [q, r], [Zero(aval_of(q)), Zero(aval_of(r))]
  *_, m, n = aval_of(x).shape
  if m < n or (full_matrices and m != n):
    raise NotImplementedError(QR_JVP_MESSAGE.format(
        shape=aval_of(x).shape, full=full_matrices))
  dtype = aval_of(x).dtype
  # Walter & Lehmann 2018, "Algorithmic differentiation of linear algebra
  # functions with application in optimum experimental design".
  dx_rinv = triangular_solve(r, t)              # dx r^-1
  qt_dx_rinv = matmul(H(q), dx_rinv)
  low = tril(qt_dx_rinv, -1)
  do = sub(low, H(low))                         # skew-Hermitian part
  if avals_lib.is_complex(dtype):
    eye = identity(aval_of(do).shape, dtype)
    do = add(do, mul(eye, sub(qt_dx_rinv, as_dtype(real(qt_dx_rinv), dtype))))
  dq = add(matmul(q, sub(do, qt_dx_rinv)), dx_rinv)
  dr = matmul(sub(qt_dx_rinv, do), r)
  return [q, r], [dq, dr]


qr_p = define_primitive(
    "qr", abstract_eval=_qr_abstract_eval, lower=_qr_lower, jvp=_qr_jvp,
    transpose=NOT_LINEAR, multiple_results=True)
qr_p.batch = batch_at_front(qr_p)


# --- lu --------------------------------------------------------------------------------

def lu(x):
  """LU decomposition with partial pivoting: x[perm] = l @ u.

  Args:
    x: (..., m, n) float or complex.

  Returns:
    (lu, pivots, permutation): l (unit lower, below the diagonal) and u
    (upper) packed in lu (..., m, n); pivots (..., min(m, n)) int32, row i
    swapped with pivots[i] in turn (0-based); permutation (..., m) int32,
    the rows of x in the order of l @ u. Follows jax.lax.linalg.lu.

  Lowers to LAPACK getrf (a custom call) on CPU, then a stablehlo.while
  that turns the pivots into the permutation.
  """
  return tuple(lu_p.bind(x))


def _lu_abstract_eval(x):
  check_matrix("lu", x)
  *batch, m, n = x.shape
  batch = tuple(batch)
  return [ShapedArray(x.shape, x.dtype),
          ShapedArray(batch + (min(m, n),), np.dtype(np.int32)),
          ShapedArray(batch + (m,), np.dtype(np.int32))]


def _lu_lower(ctx, x):
  aval, = ctx.avals_in
  shape, dtype, nd = aval.shape, aval.dtype, aval.ndim
  *batch, m, n = shape
  batch, k = tuple(batch), min(m, n)
  perm0 = hlo.iota(tensor_type(batch + (m,), np.int32),
                   ir.IntegerAttr.get(ir.IntegerType.get_signless(64), nd - 2))
  if k == 0:
    return [x, constant(0, np.int32, batch + (0,)), perm0]
  lu_, ipiv, info = lapack_call(
      ctx, "lu", "getrf", [x], [(shape, dtype, True)],
      [(shape, dtype, True), (batch + (k,), np.int32, False),
       (batch, np.int32, False)])
  # info > 0 only flags an exactly singular u (still a valid factorization).
  pivots = hlo.subtract(ipiv, constant(1, np.int32, batch + (k,)))
  return [lu_, pivots, _hlo_pivots_to_permutation(pivots, batch, k, m, perm0)]


def _hlo_pivots_to_permutation(pivots, batch, k, m, perm0):
  """Applies the swaps (i, pivots[..., i]) for i < k to iota(m), in a
  stablehlo.while over i (one-hot selects, so batches need no gather)."""
  i32 = lambda: tensor_type((), np.int32)
  perm_t, piv_t = tensor_type(batch + (m,), np.int32), pivots.type
  nb = len(batch)
  loop = hlo.WhileOp([i32(), perm_t, piv_t],
                     [constant(0, np.int32, ()), perm0, pivots])

  def cond(i, perm, piv):
    return compare(i, constant(k, np.int32, ()), "LT", np.int32)

  def body(i, perm, piv):
    pos = hlo.iota(perm_t, ir.IntegerAttr.get(ir.IntegerType.get_signless(64), nb))
    bcast = lambda v: hlo.broadcast_in_dim(perm_t, v, i64_array(range(nb)))
    full_i = hlo.broadcast_in_dim(perm_t, i, i64_array([]))
    at_i = compare(pos, full_i, "EQ", np.int32)
    # j = piv[..., i]: a dynamic slice along the last axis.
    zero = constant(0, np.int32, ())
    j = hlo.dynamic_slice(piv, [zero] * nb + [i], i64_array(list(batch) + [1]))
    j = hlo.reshape(tensor_type(batch, np.int32), j)
    at_j = compare(pos, bcast(j), "EQ", np.int32)
    zeros = constant(0, np.int32, batch + (m,))
    pick = lambda mask: _hlo_sum_last(hlo.select(mask, perm, zeros), batch, m)
    x_i, x_j = pick(at_i), pick(at_j)
    new = hlo.select(at_j, bcast(x_i), perm)
    new = hlo.select(at_i, bcast(x_j), new)
    return [hlo.add(i, constant(1, np.int32, ())), new, piv]

  make_region(loop.regions[0], [i32(), perm_t, piv_t], cond)
  make_region(loop.regions[1], [i32(), perm_t, piv_t], body)
  return loop.results[1]


def _hlo_sum_last(x, batch, m):
  scalar = tensor_type((), np.int32)
  red = hlo.ReduceOp([tensor_type(batch, np.int32)], [x],
                     [constant(0, np.int32, ())], i64_array([len(batch)]))
  make_region(red.regions[0], [scalar, scalar], lambda a, b: hlo.add(a, b))
  return red.results[0]


def _lu_jvp(primals, tangents):
  x, = primals
  t, = tangents
  lu_, pivots, perm = outs = lu_p.bind(x)
  zeros = [Zero(aval_of(pivots)), Zero(aval_of(perm))]
  if type(t) is Zero:
    return outs, [Zero(aval_of(lu_))] + zeros
  aval = aval_of(x)
  *batch, m, n = aval.shape
  batch, k, dtype, nb = tuple(batch), min(m, n), aval.dtype, len(batch)
  # Rows of dA in the order of the factorization: P dA with P one-hot.
  P = as_dtype(eq(broadcast_in_dim(perm, batch + (m, m), tuple(range(nb + 1))),
             broadcasted_iota(np.int32, batch + (m, m), nb + 1)), dtype)
  pa = matmul(P, t)
  zero = np.asarray(0, dtype)
  # l: (m, m) unit lower; u: (n, n) upper with an identity block past k.
  l = tril(slice(lu_, (0,) * (nb + 2), batch + (m, k)), -1)
  l = add(pad(l, zero, [(0, 0, 0)] * (nb + 1) + [(0, m - k, 0)]),
          identity(batch + (m, m), dtype))
  u = triu(slice(lu_, (0,) * (nb + 2), batch + (k, n)))
  u_eye = pad(identity(batch + (n - k, n - k), dtype), zero,
              [(0, 0, 0)] * nb + [(k, 0, 0), (k, 0, 0)])
  u = add(pad(u, zero, [(0, 0, 0)] * nb + [(0, n - k, 0), (0, 0, 0)]), u_eye)
  la = triangular_solve(l, pa, left_side=True, lower=True, unit_diagonal=True)
  lau = triangular_solve(u, la, left_side=False, lower=False)
  dlu = add(matmul(l, tril(lau, -1)), matmul(triu(lau), u))
  return outs, [dlu] + zeros


lu_p = define_primitive(
    "lu", abstract_eval=_lu_abstract_eval, lower=_lu_lower, jvp=_lu_jvp,
    transpose=NOT_LINEAR, multiple_results=True)
lu_p.batch = batch_at_front(lu_p)


# --- eig -------------------------------------------------------------------------------

def eig(x, *, compute_left_eigenvectors=True, compute_right_eigenvectors=True):
  """Eigendecomposition of general square matrices (CPU only).

  Args:
    x: (..., n, n) float or complex.

  Returns:
    w (complex eigenvalues), then vl if compute_left_eigenvectors, then vr
    if compute_right_eigenvectors (complex, columns normalized to unit
    norm), as a list. Follows jax.lax.linalg.eig.

  NB: not differentiable (its JVP raises NotImplementedError).
  Lowers to LAPACK geev (a custom call) on CPU.
  """
  return eig_p.bind(x, compute_left_eigenvectors=bool(compute_left_eigenvectors),
                    compute_right_eigenvectors=bool(compute_right_eigenvectors))


def _complex_dtype(dtype):
  return np.dtype(np.result_type(dtype, np.complex64))


def _eig_abstract_eval(x, *, compute_left_eigenvectors,
                       compute_right_eigenvectors):
  check_matrix("eig", x, square=True)
  c = _complex_dtype(x.dtype)
  out = [ShapedArray(x.shape[:-1], c)]
  out += [ShapedArray(x.shape, c)] * (compute_left_eigenvectors
                                      + compute_right_eigenvectors)
  return out


def _eig_lower(ctx, x, *, compute_left_eigenvectors,
               compute_right_eigenvectors):
  aval, = ctx.avals_in
  shape, dtype, nd = aval.shape, aval.dtype, aval.ndim
  c = _complex_dtype(dtype)
  w_shape, batch = shape[:-1], shape[:-2]
  attrs = {"compute_left": u8_attr("V" if compute_left_eigenvectors else "N"),
           "compute_right": u8_attr("V" if compute_right_eigenvectors else "N")}
  if avals_lib.is_complex(dtype):
    outs = lapack_call(ctx, "eig", "geev", [x], [(shape, dtype, True)],
                        [(w_shape, c, False), (shape, c, True), (shape, c, True),
                         (batch, np.int32, False)], attrs)
    w, vl, vr, info = outs
  else:
    wr, wi, vl, vr, info = lapack_call(
        ctx, "eig", "geev", [x], [(shape, dtype, True)],
        [(w_shape, dtype, False), (w_shape, dtype, False), (shape, c, True),
         (shape, c, True), (batch, np.int32, False)], attrs)
    w = hlo.complex(wr, wi)
  out = [nan_unless(ok_mask(info, w_shape, nd - 2), w, w_shape, c)]
  for flag, v in ((compute_left_eigenvectors, vl), (compute_right_eigenvectors, vr)):
    if flag:
      out.append(nan_unless(ok_mask(info, shape, nd - 2), v, shape, c))
  return out


EIG_JVP_MESSAGE = (
    "eig is not differentiable in morphax (no JVP rule for general "
    "eigendecompositions); for symmetric/Hermitian matrices use eigh, whose "
    "derivative is defined")


def _eig_jvp(primals, tangents, **params):
  raise NotImplementedError(EIG_JVP_MESSAGE)


eig_p = define_primitive(
    "eig", abstract_eval=_eig_abstract_eval, lower=_eig_lower, jvp=_eig_jvp,
    transpose=NOT_DIFFERENTIABLE, multiple_results=True)
eig_p.batch = batch_at_front(eig_p)
