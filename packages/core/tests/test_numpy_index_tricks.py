"""morphax.numpy's index tricks against numpy: r_/c_/s_/index_exp/ix_,
diagonal and triangle indices, mask_indices, unravel_index,
ravel_multi_index, place and trim_zeros; eagerly, under jit and vmap."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads

import _oracle


def check(out, expected):
  _oracle.check(out, expected, rtol=1e-6, atol=0)


A = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
V = np.array([5, 6], np.int32)


@pytest.mark.parametrize("key", [
    (slice(1, 4), 7, V), (slice(0, 1, 5j),), (-1, np.array([1.5], np.float32)),
    ("0,2", [1, 2], [3, 4]), ("1,2", [1, 2], [3, 4]), ("-1,3,0", A, A),
    ("0,3,-1", A, A), ("1,2,0", V, V), (A, A), ("1", A, A), (slice(5, 0, -2),),
    ("0,2", slice(0, 3)), ("0,2,0", slice(0, 3), slice(3, 6)),
], ids=repr)
def test_r_(key):
  check(jnp.r_[key], np.r_[key])


@pytest.mark.parametrize("key", [(V, V), (A, V), (A, A), (slice(0, 2), V), (1, 2)], ids=repr)
def test_c_(key):
  check(jnp.c_[key], np.c_[key])


def test_r_matrix_directives_and_empty():
  check(jnp.r_["r", [1, 2, 3]], np.array([[1, 2, 3]]))
  check(jnp.r_["c", [1, 2, 3]], np.array([[1], [2], [3]]))
  check(jnp.r_[()], np.array([], np.float32))
  with pytest.raises(ValueError, match="r_: could not read the directive 'x,1'"):
    jnp.r_["x,1", V]


def test_s_index_exp_and_ix_():
  assert jnp.s_[1:2, ::3] == np.s_[1:2, ::3]
  assert jnp.index_exp[1] == (1,)
  check(list(jnp.ix_(np.array([0, 1]), np.array([2, 4, 5]))),
        list(np.ix_(np.array([0, 1]), np.array([2, 4, 5]))))
  a = np.arange(30).reshape(5, 6)
  check(jnp.asarray(a)[jnp.ix_(np.array([0, 3]), np.array([1, 5]))],
        a[np.ix_([0, 3], [1, 5])])
  with pytest.raises(TypeError, match="ix_: argument 1 must be a 1-d integer array"):
    jnp.ix_(np.array([0]), np.array([True, False]))


@pytest.mark.parametrize("call, np_call", [
    (lambda: jnp.diag_indices(3), lambda: np.diag_indices(3)),
    (lambda: jnp.diag_indices(2, 3), lambda: np.diag_indices(2, 3)),
    (lambda: jnp.diag_indices(0), lambda: np.diag_indices(0)),
    (lambda: jnp.diag_indices_from(np.ones((2, 2, 2))), lambda: np.diag_indices_from(np.ones((2, 2, 2)))),
    (lambda: jnp.tril_indices(3), lambda: np.tril_indices(3)),
    (lambda: jnp.tril_indices(3, k=1, m=4), lambda: np.tril_indices(3, k=1, m=4)),
    (lambda: jnp.triu_indices(4, -1), lambda: np.triu_indices(4, -1)),
    (lambda: jnp.triu_indices(2, 1, 5), lambda: np.triu_indices(2, 1, 5)),
    (lambda: jnp.tril_indices_from(np.ones((3, 4)), k=-1), lambda: np.tril_indices_from(np.ones((3, 4)), k=-1)),
    (lambda: jnp.triu_indices_from(np.ones((4, 2))), lambda: np.triu_indices_from(np.ones((4, 2)))),
    (lambda: jnp.mask_indices(3, jnp.triu, 1), lambda: np.mask_indices(3, np.triu, 1)),
    (lambda: jnp.mask_indices(4, jnp.tril), lambda: np.mask_indices(4, np.tril)),
])
def test_index_helpers(call, np_call):
  check(list(call()), list(np_call()))


def test_mask_indices_under_jit_needs_size():
  f = morphax.jit(lambda: jnp.mask_indices(3, jnp.triu, 0, size=6))
  check(list(f()), list(np.mask_indices(3, np.triu, 0)))


@pytest.mark.parametrize("call, match", [
    (lambda: jnp.diag_indices_from(np.ones((2, 3))),
     r"diag_indices_from: needs a 2-d or higher array with all dimensions equal, got shape \(2, 3\)"),
    (lambda: jnp.diag_indices(-1), "diag_indices: n and ndim must be non-negative"),
    (lambda: jnp.tril_indices_from(np.ones(3)), r"tril_indices_from: needs a 2-d array, got shape \(3,\)"),
    (lambda: jnp.ravel_multi_index((V,), (2, 3)), "got 1 index arrays for 2 dimensions"),
    (lambda: jnp.ravel_multi_index((V, V), (2, 3), mode="nope"), "mode must be 'raise', 'wrap' or 'clip'"),
    (lambda: jnp.ravel_multi_index((V, V), (9, 9), order="X"), "order must be 'C' or 'F', got 'X'"),
    (lambda: jnp.ravel_multi_index((V, V), (2, 9)), "invalid entry in coordinates array"),
    (lambda: morphax.jit(lambda i: jnp.ravel_multi_index((i, i), (9, 9)))(V),
     "mode='raise' needs concrete indices"),
    (lambda: jnp.unravel_index(np.array([1]), (0, 2)), "cannot unravel into the empty shape"),
    (lambda: jnp.place(np.ones(3), np.ones(3, bool), np.ones(1)), "pass inplace=False"),
    (lambda: jnp.trim_zeros(np.ones(3), "fx"), "trim must contain only 'f' and 'b'"),
])
def test_errors(call, match):
  with pytest.raises(ValueError, match=match):
    call()


def test_unravel_index_matches_numpy_in_range_and_clips_outside():
  idx = np.array([0, 3, 5, 11, 23], np.int32)
  check(list(jnp.unravel_index(idx, (2, 3, 4))), list(np.unravel_index(idx, (2, 3, 4))))
  # Negative indices count from the end; the rest are clipped (JAX's rule).
  wrapped = np.array([-7, -6, -1, 0, 6, 7], np.int32)
  check(list(jnp.unravel_index(wrapped, (2, 3))),
        [np.array([0, 0, 1, 0, 1, 1]), np.array([0, 0, 2, 0, 2, 2])])
  assert jnp.unravel_index(np.int32(0), ()) == ()


def test_unravel_index_jit_and_vmap():
  idx = np.array([[0, 5], [3, 2]], np.int32)
  f = morphax.jit(lambda i: jnp.unravel_index(i, (2, 3)))
  check(list(f(idx)), list(np.unravel_index(idx, (2, 3))))
  out = morphax.vmap(lambda i: jnp.stack(jnp.unravel_index(i, (2, 3))))(idx)
  check(out, np.stack([np.stack(np.unravel_index(i, (2, 3))) for i in idx]))


@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_ravel_multi_index(mode, order):
  dims = (3, 4, 2)
  idx = (np.array([0, 2, 1], np.int32), np.array([3, 0, 1], np.int32), np.array([1, 1, 0], np.int32))
  check(jnp.ravel_multi_index(idx, dims, mode=mode, order=order),
        np.ravel_multi_index(idx, dims, mode=mode, order=order))
  if mode != "raise":
    bad = (np.array([-1, 4, 7], np.int32), np.array([5, -9, 2], np.int32), np.array([2, 0, -1], np.int32))
    f = morphax.jit(lambda *i: jnp.ravel_multi_index(i, dims, mode=mode, order=order))
    check(f(*bad), np.ravel_multi_index(bad, dims, mode=mode, order=order))


@settings(max_examples=4)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_ravel_unravel_roundtrip(dims, data):
  size = int(np.prod(dims))
  flat = np.array(data.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=4)), np.int32)
  multi = jnp.unravel_index(flat, dims)
  check(jnp.ravel_multi_index(multi, dims), flat)


@pytest.mark.parametrize("arr, mask, vals", [
    (np.arange(6.0, dtype=np.float32), np.arange(6) % 2 == 0, np.array([10.0, 20.0], np.float32)),
    (np.arange(6, dtype=np.int32).reshape(2, 3), np.array([[1, 0, 1], [1, 1, 0]], bool),
     np.array([-1, -2, -3, -4, -5], np.int32)),
    (np.ones((2, 2), np.float32), np.zeros((2, 2), bool), np.array([3.0], np.float32)),
    (np.ones(3, np.float32), np.array([True, False, True]), np.zeros(0, np.float32)),
    (np.ones(4, np.float32), np.ones(4, bool), np.array(7.5, np.float32)),
])
def test_place(arr, mask, vals):
  expected = arr.copy()
  if vals.size:
    np.place(expected, mask, vals)
  f = morphax.jit(lambda a, m, v: jnp.place(a, m, v, inplace=False))
  check(f(arr, mask, vals), expected)


def test_place_eager():
  arr, mask = np.arange(5, dtype=np.int32), np.array([0, 1, 1, 0, 1], bool)
  expected = arr.copy()
  np.place(expected, mask, [7, 8])
  check(jnp.place(arr, mask, np.array([7, 8], np.int32), inplace=False), expected)


def test_place_grad_and_vmap():
  mask = np.array([True, False, True, False])
  check_grads(lambda a, v: jnp.place(a, mask, v, inplace=False),
              (np.arange(4.0, dtype=np.float32), np.array([1.0, 2.0], np.float32)),
              order=1, eps=1e-2, tol=1e-2)
  arrs = np.arange(8.0, dtype=np.float32).reshape(2, 4)
  masks = np.array([[1, 0, 0, 1], [0, 1, 1, 1]], bool)
  out = morphax.vmap(lambda a, m: jnp.place(a, m, np.float32(-1), inplace=False))(arrs, masks)
  check(out, np.where(masks, -1, arrs))


@pytest.mark.parametrize("filt, trim", [
    (np.array([0, 0, 1, 2, 0, 3, 0, 0], np.int32), "fb"),
    (np.array([0, 0, 1, 2, 0], np.int32), "f"),
    (np.array([0, 0, 1, 2, 0], np.int32), "b"),
    (np.array([0.0, 1.5, 0.0], np.float32), "FB"),
    (np.zeros(3, np.float32), "fb"),
    (np.array([1, 2], np.int32), "fb"),
])
def test_trim_zeros_1d(filt, trim):
  check(jnp.trim_zeros(filt, trim), np.trim_zeros(filt, trim))


def test_trim_zeros_axes():
  a = np.zeros((4, 5), np.float32)
  a[1, 2], a[2, 3] = 1.0, 2.0
  check(jnp.trim_zeros(a), a[1:3, 2:4])
  check(jnp.trim_zeros(a, axis=1), a[:, 2:4])
  check(jnp.trim_zeros(a, "f", axis=0), a[1:])
  with pytest.raises(TypeError, match="trim_zeros: needs a concrete value"):
    morphax.jit(jnp.trim_zeros)(a)
