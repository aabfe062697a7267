"""lax's composite functions (ops/lax_extras.py): batch_matmul, reciprocal,
select, split, collapse, broadcast_shapes, zeros_like_array, generic reduce.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import morphax
from morphax import lax
from morphax.ops import lax_extras as E
from morphax.test_util import check_grads

f32, i32 = np.float32, np.int32


def _rand(shape, dtype=f32, seed=0):
  rng = np.random.default_rng(seed)
  if np.dtype(dtype).kind in "iu":
    return rng.integers(-3, 4, shape).astype(dtype)
  return rng.standard_normal(shape).astype(dtype)


def _check(got, want, tol=2e-5):
  got = np.asarray(got)
  assert got.dtype == np.asarray(want).dtype, (got.dtype, np.asarray(want).dtype)
  np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# --- the small functions: one row per function --------------------------------

def _bmm_np(a, b):
  return np.matmul(a, b)


ROWS = [
    # name, function, numpy oracle, argument tuples
    ("batch_matmul", E.batch_matmul, _bmm_np,
     [(_rand((2, 3)), _rand((3, 4), seed=1)),
      (_rand((5, 2, 3)), _rand((5, 3, 1), seed=1)),
      (_rand((2, 3, 0)), _rand((2, 0, 4), seed=1)),
      (_rand((2, 2, 3), i32), _rand((2, 3, 2), i32, 1))]),
    ("reciprocal", E.reciprocal, lambda x: (1 / x).astype(x.dtype),
     [(np.float32(4.),), (_rand((3, 4)) + 5,), (np.zeros((0,), f32),)]),
    ("zeros_like_array", E.zeros_like_array, np.zeros_like,
     [(_rand((2, 3)),), (_rand((4,), i32),), (np.bool_(True),)]),
    ("select", E.select, np.where,
     [(_rand((3, 4)) > 0, _rand((3, 4), seed=1), _rand((3, 4), seed=2)),
      (np.bool_(False), np.float32(1.), np.float32(2.))]),
    ("collapse", lambda x: E.collapse(x, 1), lambda x: x.reshape(x.shape[0], -1),
     [(_rand((2, 3, 4)),), (_rand((2, 0, 4)),), (_rand((3,)),)]),
    ("split", lambda x: tuple(E.split(x, (1, 0, 2), axis=-1)),
     lambda x: tuple(np.split(x, (1, 1), axis=-1)),
     [(_rand((4, 3)),), (_rand((3,), i32),)]),
]


@pytest.mark.parametrize("name, fn, oracle, cases", ROWS, ids=[r[0] for r in ROWS])
def test_values_and_jit(name, fn, oracle, cases):
  jitted = morphax.jit(fn)
  for args in cases:
    want = oracle(*args)
    got, got_jit = fn(*args), jitted(*args)
    if isinstance(want, tuple):
      for g, gj, w in zip(got, got_jit, want):
        _check(g, w)
        _check(gj, w)
    else:
      _check(got, want)
      _check(got_jit, want)


def test_batch_matmul_vmap_and_grad():
  a, b = _rand((3, 2, 2, 3)), _rand((3, 2, 3, 4), seed=1)
  out = morphax.vmap(E.batch_matmul)(a, b)
  _check(out, np.stack([np.matmul(x, y) for x, y in zip(a, b)]), 1e-4)
  check_grads(E.batch_matmul, (a[0], b[0]), order=2)


def test_reciprocal_and_select_grads():
  check_grads(E.reciprocal, (_rand((3,)) + 3,), order=2)
  pred = _rand((4,)) > 0
  check_grads(lambda x, y: E.select(pred, x, y), (_rand((4,)), _rand((4,), seed=1)),
              order=1)


def test_broadcast_shapes():
  assert E.broadcast_shapes((2, 1), (3,)) == (2, 3)
  assert E.broadcast_shapes((), (0, 4)) == (0, 4)
  with pytest.raises(ValueError, match=r"broadcast_shapes: incompatible.*\(2,\).*\(3,\)"):
    E.broadcast_shapes((2,), (3,))


ERROR_CASES = [
    (lambda: E.batch_matmul(np.ones((2, 3)), np.ones((2, 3, 4))), ValueError,
     r"batch_matmul: both arguments must have the same rank.*\(2, 3\).*\(2, 3, 4\)"),
    (lambda: E.batch_matmul(np.ones((3,)), np.ones((3,))), ValueError,
     r"same rank, at least 2"),
    (lambda: E.batch_matmul(np.ones((2, 2, 3)), np.ones((3, 3, 4))), ValueError,
     r"batch_matmul: expected shapes \(\.\.\., m, k\).*\(2, 2, 3\) and \(3, 3, 4\)"),
    (lambda: E.split(np.ones((4,)), (1, 2)), ValueError,
     r"split: sizes must .* sum to the size 4 of axis 0 .* got sizes \(1, 2\)"),
    (lambda: E.split(np.ones((4,)), (4,), axis=1), ValueError,
     r"split: axis 1 is out of bounds"),
    (lambda: E.collapse(np.ones((2, 3)), 2, 1), ValueError,
     r"collapse: expected 0 <= start_dimension.*start_dimension=2, stop_dimension=1"),
    (lambda: E.reduce((np.ones(3), np.ones(3)), 0., lax.add, (0,)), ValueError,
     r"reduce: operands and init_values must have the same tree structure"),
    (lambda: E.reduce((np.ones(3, f32), np.ones(2, f32)), (0., 0.),
                      lambda a, b: a, (0,)), ValueError,
     r"reduce: all operands must have the same shape, got \[\(3,\), \(2,\)\]"),
    (lambda: E.reduce(np.ones(3, f32), np.zeros(2, f32), lambda a, b: a, (0,)),
     TypeError, r"reduce: each init value must be a scalar of its operand's dtype "
     r"float32.*shape \(2,\)"),
    (lambda: E.reduce(np.ones(3, f32), np.int32(0), lambda a, b: a, (0,)),
     TypeError, r"reduce: each init value .* dtype int32"),
    (lambda: E.reduce(np.ones(3, f32), 0., lambda a, b: (a, b), (0,)),
     TypeError, r"reduce: computation must return a tree like the operands"),
    (lambda: E.reduce(np.ones(3, f32), 0., lambda a, b: a + b, (1,)),
     ValueError, r"reduce: axis 1 is out of bounds for an array of rank 1"),
]


@pytest.mark.parametrize("thunk, exc, pattern", ERROR_CASES)
def test_error_messages(thunk, exc, pattern):
  with pytest.raises(exc, match=pattern):
    thunk()


# --- reduce with computations that are not recognized monoids ---------------

def _add(a, b):
  return a + b


def _last_nonzero(a, b):
  """Associative, not commutative: the later nonzero value wins."""
  return E.select(b != 0, b, a)


def _affine(f, g):
  """Composition of x -> a x + b maps (apply f, then g): associative, not
  commutative; identity (1, 0)."""
  (a1, b1), (a2, b2) = f, g
  return (a1 * a2, b1 * a2 + b2)


def _argmax_pair(x, y):
  (vx, ix), (vy, iy) = x, y
  take_y = (vy > vx) | ((vy == vx) & (iy < ix))
  return (E.select(take_y, vy, vx), E.select(take_y, iy, ix))


def _np_last_nonzero(x, axis):
  x = np.moveaxis(x, axis, -1)
  out = np.zeros(x.shape[:-1], x.dtype)
  for k in range(x.shape[-1]):
    out = np.where(x[..., k] != 0, x[..., k], out)
  return out


def _np_affine(a, b, axis):
  a, b = np.moveaxis(a, axis, -1), np.moveaxis(b, axis, -1)
  ra, rb = np.ones(a.shape[:-1], a.dtype), np.zeros(b.shape[:-1], b.dtype)
  for k in range(a.shape[-1]):
    ra, rb = ra * a[..., k], rb * a[..., k] + b[..., k]
  return ra, rb


REDUCE_ROWS = [
    ("sum", lambda x, d: E.reduce(x, 0., _add, d),
     lambda x, d: np.sum(x, d), [((2, 3, 5), (0, 2)), ((7,), (0,)), ((0, 3), (0,)),
                                 ((3, 4), ()), ((), ())]),
    ("sum_int", lambda x, d: E.reduce(x.astype(i32), 0, _add, d),
     lambda x, d: np.sum(x.astype(i32), d).astype(i32), [((3, 5), (1,))]),
    ("last_nonzero", lambda x, d: E.reduce(np.round(x), 0., _last_nonzero, d),
     lambda x, d: _np_last_nonzero(np.round(x), d[0]),
     [((4, 6), (1,)), ((5, 3), (0,)), ((9,), (0,))]),
]


@pytest.mark.parametrize("name, fn, oracle, cases", REDUCE_ROWS,
                         ids=[r[0] for r in REDUCE_ROWS])
def test_reduce_values(name, fn, oracle, cases):
  for shape, dims in cases:
    x = _rand(shape)
    want = oracle(x, dims)
    _check(fn(x, dims), want, 1e-4)
    _check(morphax.jit(lambda x: fn(x, dims))(x), want, 1e-4)


def test_reduce_keeps_order_variadic():
  a, b = _rand((3, 5), seed=1), _rand((3, 5), seed=2)
  for axis in (0, 1):
    got = E.reduce((a, b), (1., 0.), _affine, (axis,))
    for g, w in zip(got, _np_affine(a, b, axis)):
      _check(g, w, 1e-4)


def test_reduce_variadic_argmax_with_tracer_init():
  x = np.array([[1., 5., 5., 2.], [3., -1., 3., 0.]], f32)
  idx = np.broadcast_to(np.arange(4, dtype=i32), x.shape)

  def f(x, lo):
    return E.reduce((x, idx), (lo, np.int32(0)), _argmax_pair, (1,))

  for g in (f, morphax.jit(f)):
    v, i = g(x, np.float32(-np.inf))
    _check(v, x.max(1))
    _check(i, x.argmax(1).astype(i32))


def test_reduce_monoid_fast_path_unchanged():
  x = _rand((3, 4))
  _check(E.reduce(x, -np.inf, lax.max, (1,)), x.max(1))
  jaxpr = str(morphax.make_jaxpr(lambda x: E.reduce(x, 0., lax.add, (0,)))(x))
  assert "reduce_sum" in jaxpr and "slice" not in jaxpr


def test_reduce_vmap_and_grad():
  x = _rand((4, 3, 5)) + 3

  def prod(x):
    return E.reduce(x, 1., lambda a, b: a * b, (1,))

  _check(morphax.vmap(prod)(x), np.stack([np.prod(v, 1) for v in x]), 1e-3)
  _check(morphax.vmap(prod, in_axes=1)(x),
         np.stack([np.prod(x[:, k], 1) for k in range(x.shape[1])]), 1e-3)
  check_grads(prod, (x[0],), order=2, tol=2e-2)
  a, b = _rand((5,), seed=1), _rand((5,), seed=2)
  check_grads(lambda a, b: E.reduce((a, b), (1., 0.), _affine, (0,)), (a, b),
              order=1, tol=2e-2)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=3), st.data())
def test_reduce_matches_sum_property(shape, data):
  dims = tuple(sorted(data.draw(st.sets(st.integers(0, len(shape) - 1)))))
  x = _rand(tuple(shape), i32)
  got = E.reduce(x, 0, _add, dims)
  _check(got, np.sum(x, dims).astype(i32))
