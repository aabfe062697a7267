"""Transformation rules of the decompositions: jvp and transpose against
finite differences (on gauge-invariant functions where vectors have a free
sign), batch against a Python loop, jit against eager."""

import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.core import ir
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {"cholesky", "triangular_solve", "eigh", "svd", "qr",
                      "lu", "eig"}

RNG = np.random.default_rng(1)
L = lax.linalg


def rand(*shape, dtype=np.float32):
  x = RNG.standard_normal(shape)
  if np.dtype(dtype).kind == "c":
    x = x + 1j * RNG.standard_normal(shape)
  return x.astype(dtype)


def spd(x):
  """A well-conditioned positive-definite matrix built from x (lax only)."""
  nd = x.ndim
  xt = lax.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))
  prod = lax.dot_general(x, xt, (((nd - 1,), (nd - 2,)), (tuple(range(nd - 2)),) * 2))
  n = x.shape[-1]
  eye = np.broadcast_to(np.eye(n, dtype=x.dtype) * n, x.shape)
  return lax.add(prod, eye)


def shift(a):
  """a + 4 I: triangles that are far from singular."""
  return lax.add(a, np.broadcast_to(4 * np.eye(a.shape[-1], dtype=a.dtype), a.shape))


def tri(**params):
  return lambda a, b: L.triangular_solve(shift(a), b, **params)


def square(x):
  return lax.mul(x, x)


def abs2(x):
  """|x|^2 elementwise (gauge-invariant for vectors with a free phase)."""
  return lax.real(lax.mul(x, lax.conj(x))) if np.iscomplexobj(np.zeros((), x.dtype)) \
      else lax.mul(x, x)


# name, f, argument shapes, dtype, derivative order.
ROWS = [
    ("cholesky", lambda x: L.cholesky(spd(x)), [(3, 3)], np.float32, 2),
    ("tri_left_lower", tri(left_side=True, lower=True), [(3, 3), (3, 2)], np.float32, 2),
    ("tri_right_upper_t", tri(left_side=False, lower=False, transpose_a=True),
     [(3, 3), (2, 3)], np.float32, 1),
    ("tri_unit_batched", tri(left_side=True, lower=False, unit_diagonal=True),
     [(2, 3, 3), (2, 3, 1)], np.float32, 1),
    ("tri_adjoint_complex", tri(left_side=True, lower=True, transpose_a=True,
                                conjugate_a=True), [(3, 3), (3, 2)], np.complex64, 1),
    ("eigh_values", lambda x: L.eigh(x)[1], [(4, 4)], np.float32, 1),
    ("eigh_vectors", lambda x: square(L.eigh(x)[0]), [(2, 3, 3)], np.float32, 1),
    ("svd_values_square", lambda x: L.svd(x, compute_uv=False), [(3, 3)], np.float32, 2),
    ("svd_values_wide", lambda x: L.svd(x, compute_uv=False), [(2, 3, 5)], np.float32, 1),
    ("svd_vectors_tall", lambda x: [square(o) for o in L.svd(x, full_matrices=False)],
     [(4, 3)], np.float32, 1),
    ("svd_vectors_wide", lambda x: [square(o) for o in L.svd(x, full_matrices=False)],
     [(3, 4)], np.float32, 1),
    ("qr_square", lambda x: L.qr(x), [(3, 3)], np.float32, 1),
    ("qr_tall_reduced", lambda x: L.qr(x, full_matrices=False), [(2, 4, 3)], np.float32, 1),
    ("qr_complex", lambda x: L.qr(x), [(3, 3)], np.complex64, 1),
    ("lu_square", lambda x: L.lu(x)[0], [(2, 3, 3)], np.float32, 1),
    ("lu_tall", lambda x: L.lu(x)[0], [(3, 2)], np.float32, 1),
    ("lu_wide", lambda x: L.lu(x)[0], [(3, 4)], np.float32, 1),
]
IDS = [r[0] for r in ROWS]


@pytest.mark.parametrize("name,f,shapes,dtype,order", ROWS, ids=IDS)
def test_grads(name, f, shapes, dtype, order):
  args = [rand(*s, dtype=dtype) for s in shapes]
  check_grads(f, args, order=order, modes=("fwd", "rev"))


def _leaves(out):
  return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


# Batch rule rows: (name, f, argument shapes, in_axes); eig is included.
BATCH_ROWS = [
    ("cholesky", lambda x: L.cholesky(spd(x)), [(3, 3)], (1,)),
    ("triangular_solve", tri(left_side=True, lower=True), [(3, 3), (3, 2)], (0, 1)),
    ("triangular_solve_a_only", tri(left_side=False), [(3, 3), (2, 3)], (2, None)),
    ("eigh", lambda x: L.eigh(x)[1], [(3, 3)], (1,)),
    ("svd", lambda x: L.svd(x, compute_uv=False), [(4, 3)], (2,)),
    ("qr", lambda x: L.qr(x), [(4, 3)], (0,)),
    ("lu", L.lu, [(3, 4)], (1,)),
    ("eig", lambda x: L.eig(x, compute_left_eigenvectors=False,
                            compute_right_eigenvectors=False)[0], [(3, 3)], (1,)),
]
BATCH_IDS = [r[0] for r in BATCH_ROWS]


@pytest.mark.parametrize("name,f,shapes,in_axes", BATCH_ROWS, ids=BATCH_IDS)
def test_vmap(name, f, shapes, in_axes):
  size = 3
  args = []
  for s, ax in zip(shapes, in_axes):
    s = list(s)
    if ax is not None:
      s.insert(ax, size)
    args.append(rand(*s))
  got = _leaves(morphax.vmap(f, in_axes=in_axes)(*args))
  take = lambda a, ax, i: a if ax is None else np.take(a, i, axis=ax)
  for i in range(size):
    want = _leaves(f(*[take(a, ax, i) for a, ax in zip(args, in_axes)]))
    for g, w in zip(got, want):
      np.testing.assert_allclose(g[i], w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,f,shapes,in_axes", BATCH_ROWS, ids=BATCH_IDS)
def test_jit(name, f, shapes, in_axes):
  args = [rand(*s) for s in shapes]
  for g, w in zip(_leaves(morphax.jit(f)(*args)), _leaves(f(*args))):
    np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("row", ["cholesky", "eigh_vectors", "svd_vectors_tall",
                                 "qr_square", "lu_square", "tri_left_lower"])
def test_grad_jaxpr_typechecks(row):
  name, f, shapes, dtype, _ = ROWS[IDS.index(row)]
  args = [rand(*s, dtype=dtype) for s in shapes]

  def loss(*xs):
    total = 0.0
    for o in _as_list(f(*xs)):
      total = lax.add(total, lax.reduce_sum(o, tuple(range(o.ndim))))
    return total
  ir.typecheck(morphax.make_jaxpr(morphax.grad(loss))(*args))


def _as_list(out):
  return list(out) if isinstance(out, (list, tuple)) else [out]


def test_eig_jvp_raises():
  with pytest.raises(NotImplementedError, match="eig is not differentiable in "
                     "morphax .* use eigh"):
    morphax.jvp(lambda x: L.eig(x)[0], (rand(3, 3),), (rand(3, 3),))


def test_svd_full_matrices_jvp_rectangular_raises():
  with pytest.raises(NotImplementedError, match=r"svd: the derivative of u and vh "
                     r"with full_matrices=True is only defined for square matrices, "
                     r"got shape \(4, 3\)"):
    morphax.jvp(lambda x: L.svd(x)[0], (rand(4, 3),), (rand(4, 3),))


def test_qr_wide_jvp_raises():
  with pytest.raises(NotImplementedError, match=r"qr: the derivative is implemented "
                     r"for m >= n .* got shape \(3, 4\)"):
    morphax.jvp(lambda x: L.qr(x)[1], (rand(3, 4),), (rand(3, 4),))


def test_triangular_solve_transpose_is_linear_in_b():
  a, ct = rand(3, 3) + 4 * np.eye(3, dtype=np.float32), rand(3, 2)
  f = lambda b: L.triangular_solve(a, b, left_side=True, lower=True)
  _, vjp = morphax.vjp(f, rand(3, 2))
  got, = vjp(ct)
  want = np.linalg.solve(np.tril(a).T, ct)
  np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)
