"""morphax.numpy products against numpy: dot, matmul (1-d rules, batch
broadcasting), vdot, inner, outer, tensordot and einsum."""

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp


def _rand(shape, dtype=np.float32, seed=0):
  rng = np.random.default_rng(seed)
  if np.dtype(dtype).kind in "iu":
    return rng.integers(-3, 4, shape).astype(dtype)
  if np.dtype(dtype) == np.bool_:
    return rng.random(shape) < 0.5
  x = rng.standard_normal(shape)
  if np.dtype(dtype).kind == "c":
    x = x + 1j * rng.standard_normal(shape)
  return x.astype(dtype)


def _check(out, expected, dtype=None):
  expected = np.asarray(expected)
  dtype = np.dtype(dtype or expected.dtype)
  assert out.dtype == dtype, (out.dtype, dtype)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  if dtype.kind in "biu":
    np.testing.assert_array_equal(np.asarray(out), expected.astype(dtype))
  else:
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("a_shape, b_shape, dtype", [
    ((3,), (3,), np.float32),
    ((2, 3), (3,), np.float32),
    ((3,), (3, 4), np.float32),
    ((2, 3), (3, 4), np.float32),
    ((2, 2, 3), (4, 3, 5), np.float32),
    ((), (3,), np.float32),
    ((2, 3), (), np.float32),
    ((0, 3), (3, 2), np.float32),
    ((2, 0), (0, 2), np.float32),
    ((2, 3), (3, 2), np.int32),
    ((3,), (3,), np.complex64),
    ((2, 3), (3,), np.bool_),
])
def test_dot(a_shape, b_shape, dtype):
  a, b = _rand(a_shape, dtype, 0), _rand(b_shape, dtype, 1)
  _check(jnp.dot(morphax.device_put(a), morphax.device_put(b)), np.dot(a, b))


@pytest.mark.parametrize("a_shape, b_shape", [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((5, 1, 2, 3), (4, 3, 2)),
    ((1, 2, 3), (6, 3, 1)),
    ((3,), (2, 3, 4)),
    ((2, 4, 3), (3,)),
    ((0, 2, 3), (3, 4)),
    ((2, 0), (0, 3)),
])
def test_matmul(a_shape, b_shape):
  a, b = _rand(a_shape, seed=0), _rand(b_shape, seed=1)
  _check(jnp.matmul(a, morphax.device_put(b)), np.matmul(a, b))


def test_matmul_dtypes_and_preferred():
  a, b = _rand((2, 3), np.int8), _rand((3, 2), np.int8)
  _check(jnp.matmul(a, b), np.matmul(a, b).astype(np.int8))
  _check(jnp.matmul(a, b, preferred_element_type=jnp.int32), np.matmul(a, b).astype(np.int32))
  out = jnp.matmul(_rand((2, 3), np.int32), _rand((3,), np.float16))
  assert out.dtype == np.float16


@pytest.mark.parametrize("fn, a_shape, b_shape, kwargs", [
    ("vdot", (3,), (3,), {}),
    ("vdot", (2, 3), (3, 2), {}),
    ("inner", (3,), (3,), {}),
    ("inner", (2, 3), (4, 3), {}),
    ("inner", (), (2,), {}),
    ("outer", (3,), (4,), {}),
    ("outer", (2, 2), (3,), {}),
    ("tensordot", (2, 3, 4), (3, 4, 5), {}),
    ("tensordot", (2, 3), (3, 4), {"axes": 1}),
    ("tensordot", (2, 3), (4, 5), {"axes": 0}),
    ("tensordot", (2, 3, 4), (4, 2), {"axes": ((0, 2), (1, 0))}),
    ("tensordot", (2, 3), (3, 4), {"axes": (1, 0)}),
])
def test_other_products(fn, a_shape, b_shape, kwargs):
  a, b = _rand(a_shape, seed=0), _rand(b_shape, seed=1)
  _check(getattr(jnp, fn)(a, b, **kwargs), getattr(np, fn)(a, b, **kwargs))


def test_vdot_conjugates():
  a, b = _rand((3,), np.complex64, 0), _rand((3,), np.complex64, 1)
  _check(jnp.vdot(a, b), np.vdot(a, b))


@pytest.mark.parametrize("subscripts, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ij", [(2, 3)]),
    ("ba", [(2, 3)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,j", [(3,), (4,)]),
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),
    ("bij,bjk->kib", [(5, 2, 3), (5, 3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ij,jk,kl", [(2, 3), (3, 4), (4, 5)]),
    ("ab,cd,bd->ac", [(2, 3), (4, 5), (3, 5)]),
    ("i,i,i->i", [(3,), (3,), (3,)]),
    ("ij,ij->i", [(2, 3), (2, 3)]),
    ("ijk,k->ij", [(2, 3, 4), (4,)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (5, 3, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("...i,...i->...", [(2, 1, 3), (4, 3)]),
    ("i...->...", [(3, 2, 2)]),
    ("...ij", [(4, 2, 3)]),
    ("i,i", [(1,), (3,)]),
    ("Ba,aC", [(2, 3), (3, 4)]),
    ("ij,jk->ik", [(0, 3), (3, 4)]),
    ("ij , jk -> ik", [(2, 3), (3, 4)]),
    ("a,b,c->abc", [(2,), (3,), (2,)]),
])
def test_einsum(subscripts, shapes):
  ops = [_rand(s, seed=i) for i, s in enumerate(shapes)]
  out = jnp.einsum(subscripts, *[morphax.device_put(o) for o in ops])
  _check(out, np.einsum(subscripts, *ops))


def test_einsum_promotes_and_preferred():
  a, b = _rand((2, 3), np.int32), _rand((3,), np.float16)
  assert jnp.einsum("ij,j->i", a, b).dtype == np.float16
  a8, b8 = _rand((2, 3), np.int8), _rand((3, 2), np.int8)
  _check(jnp.einsum("ij,jk->ik", a8, b8, preferred_element_type=jnp.int32),
         np.einsum("ij,jk->ik", a8.astype(np.int32), b8.astype(np.int32)))


@pytest.mark.parametrize("fn, args, kwargs, error, match", [
    (jnp.matmul, (np.ones(3), np.float32(2)), {}, ValueError,
     r"matmul: inputs must have at least 1 dimension, got shapes \(3,\) and \(\)"),
    (jnp.matmul, (np.ones((2, 3)), np.ones((4, 5))), {}, ValueError,
     r"matmul: the last axis of a \(size 3\) must match the second-to-last axis of b \(size 4\); "
     r"got shapes \(2, 3\) and \(4, 5\)"),
    (jnp.matmul, (np.ones((2, 3)), np.ones(4)), {}, ValueError,
     r"matmul: the last axis of a \(size 3\) must match the only axis of b"),
    (jnp.matmul, (np.ones((2, 2, 3)), np.ones((3, 3, 4))), {}, ValueError,
     r"matmul: shapes \(2,\) and \(3,\) cannot be broadcast together"),
    (jnp.dot, (np.ones((2, 3)), np.ones((2, 3))), {}, ValueError,
     r"dot: shapes \(2, 3\) and \(2, 3\) are not aligned"),
    (jnp.dot, ([1, 2], np.ones(2)), {}, TypeError,
     "dot requires ndarray or scalar arguments, got list at position 0"),
    (jnp.tensordot, (np.ones((2, 3)), np.ones((4, 3))), {"axes": ((1,), (0,))}, ValueError,
     "tensordot: shape mismatch on axes 1 of a and 0 of b"),
    (jnp.einsum, ("ij,jk->ik", np.ones((2, 3))), {}, ValueError,
     "einsum: the subscripts 'ij,jk->ik' name 2 operands but 1 were given"),
    (jnp.einsum, ("ijk->i", np.ones((2, 3))), {}, ValueError,
     "einsum: operand 0 has rank 2 but its subscripts 'ijk' name 3 axes"),
    (jnp.einsum, ("ij,jk->ik", np.ones((2, 3)), np.ones((4, 5))), {}, ValueError,
     "einsum: index 'j' has size 3 in one operand and 4 in another"),
    (jnp.einsum, ("ij->ik", np.ones((2, 3))), {}, ValueError,
     "einsum: output index 'k' does not appear in the inputs"),
    (jnp.einsum, ("ij->ii", np.ones((2, 3))), {}, ValueError,
     "einsum: output index 'i' appears more than once"),
    (jnp.einsum, ("i1->i", np.ones((2, 3))), {}, ValueError,
     "einsum: invalid subscript character '1'"),
    (jnp.einsum, ("...i->i", np.ones((2, 3))), {}, ValueError,
     r"einsum: the inputs have broadcast \('...'\) axes but the output"),
    (jnp.einsum, (np.ones(3), [0]), {}, NotImplementedError,
     "einsum: only the subscripts-string form is supported"),
])
def test_errors(fn, args, kwargs, error, match):
  with pytest.raises(error, match=match):
    fn(*args, **kwargs)


@pytest.mark.parametrize("subscripts, shapes", [
    ("ii", [(3, 3)]), ("ii->i", [(3, 3)]), ("iij,jk->ik", [(3, 3, 4), (4, 2)]),
    ("bii,b->b", [(2, 3, 3), (2,)]), ("ij,jk,kl,lm->im", [(3, 4), (4, 50), (50, 2), (2, 3)]),
    ("ij,jk,kl", [(3, 4), (4, 5), (5, 2)]),
])
def test_einsum_diagonals_and_many_operands(subscripts, shapes):
  rng = np.random.RandomState(0)
  ops = [rng.randn(*s).astype(np.float32) for s in shapes]
  want = np.einsum(subscripts, *ops)
  for optimize in ("auto", False):
    got = jnp.einsum(subscripts, *[jnp.asarray(o) for o in ops], optimize=optimize)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-4, atol=1e-4)


def test_einsum_contracts_the_cheapest_pair_first():
  import morphax
  shapes = [(3, 4), (4, 50), (50, 2), (2, 3)]
  ops = [jnp.ones(s) for s in shapes]
  closed = morphax.make_jaxpr(lambda *o: jnp.einsum("ij,jk,kl,lm->im", *o))(*ops)
  dots = [e for e in closed.eqns if e.primitive.name == "dot_general"]
  # Greedy: (4,50)x(50,2) first leaves a 4x2 intermediate, not a 3x50 one.
  assert dots[0].outvars[0].aval.shape == (4, 2)
  left_to_right = morphax.make_jaxpr(
      lambda *o: jnp.einsum("ij,jk,kl,lm->im", *o, optimize=False))(*ops)
  first = [e for e in left_to_right.eqns if e.primitive.name == "dot_general"][0]
  assert first.outvars[0].aval.shape == (3, 50)
