"""NumPy indexing (`x[idx]`) and `x.at[idx]` updates against numpy: fancy
indexing and ufunc.at as oracles, JAX's out-of-bounds modes, jit/vmap/grad.
"""

import hypothesis
import hypothesis.strategies as st
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads

A = np.arange(3 * 4 * 5, dtype=np.float32).reshape(3, 4, 5) / 8
I = np.array([2, 0, -1])
J = np.array([[1], [-3]])
M = np.arange(3 * 4).reshape(3, 4) % 3 == 0


def _check(out, expected, weak=False):
  expected = np.asarray(expected)
  if expected.dtype == np.float64:
    expected = expected.astype(np.float32)
  if expected.dtype == np.int64:
    expected = expected.astype(np.int32)
  assert isinstance(out, morphax.Array), type(out)
  assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  assert out.weak_type == weak
  np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6)


# --- x[idx] against numpy ---------------------------------------------------------

GETITEM_CASES = [
    I, [0, 1], [[0, 1], [2, 2]], (slice(None), I), (Ellipsis, [4, 0, 3]),
    (I, 1), (1, I), (0, slice(None), I), (I, slice(None), [1, 2, 3]),
    (slice(None), I, [1, 2, 3]), (J, slice(None), [0, 4]),
    (J, [0, 1, 3]), (J, [0, 1, 3], slice(None)), (I[:, None], [0, 1]),
    (None, I), (I, None), (I, None, [1, 2, 3]), (None, Ellipsis, I),
    (slice(1, None), I), (slice(None, None, -1), slice(None), I),
    (slice(None), slice(None, None, 2), [0, 3]), (I, slice(3, 0, -1), [4, 4, 1]),
    (0, [0, 1], 0), (np.int32(1), [[0, 1], [2, -3]]), (1, Ellipsis, [0, -1]),
    (np.array([1, 0], np.uint8), slice(None), np.array([3], np.int8)),
    (I, J[..., None]), (Ellipsis, I, slice(None)),
    True, False, (True, 0), (0, slice(None), True), (I, True), (None, True, I),
    M, A[:, 0, 0] > 0.5, (slice(None), M[0]), (A[..., 0] > 2, 1), (1, M[0], [0, 1]),
    (M[:, 0], slice(None), M[0, :, None][:, 0].repeat(5)[:5]),
    np.array([], np.int32), [], (slice(None), np.zeros((2, 0), np.int32)),
    (np.array([], np.int32), slice(None), [1]), (slice(0, 0), I),
]


def _ids(case):
  return repr(case).replace("\n", "").replace(" ", "")[:50]


@pytest.mark.parametrize("index", GETITEM_CASES, ids=_ids)
def test_getitem_matches_numpy(index):
  _check(jnp.asarray(A)[index], A[index])


def _split_arrays(index):
  """The numpy integer arrays of `index` and a function rebuilding it."""
  entries = index if isinstance(index, tuple) else (index,)
  arrays = [e for e in entries if isinstance(e, np.ndarray) and e.dtype != bool]

  def rebuild(*traced):
    it = iter(traced)
    out = tuple(next(it) if isinstance(e, np.ndarray) and e.dtype != bool else e
                for e in entries)
    return out if isinstance(index, tuple) else out[0]
  return arrays, rebuild


@pytest.mark.parametrize("index", GETITEM_CASES[:30:3], ids=_ids)
def test_getitem_jit(index):
  x = jnp.asarray(A)
  _check(morphax.jit(lambda x: x[index])(x), A[index])
  arrays, rebuild = _split_arrays(index)
  f = morphax.jit(lambda x, *idx: x[rebuild(*idx)])
  _check(f(x, *map(jnp.asarray, arrays)), A[index])


@pytest.mark.parametrize("dtype", [np.int32, np.bool_, np.complex64, np.uint8])
def test_getitem_dtypes(dtype):
  a = (np.arange(12) % 5).astype(dtype).reshape(3, 4)
  x = jnp.asarray(a)
  mask = a.real > 1 if dtype != np.bool_ else a
  _check(x[[2, 0], 1:], a[[2, 0], 1:])
  _check(x[mask], a[mask])
  _check(x[jnp.asarray(mask)], a[mask])


def test_getitem_weak_type_is_kept():
  w = jnp.asarray(2.0)[None]
  assert w.weak_type
  _check(w[[0, 0]], np.array([2.0, 2.0], np.float32), weak=True)
  _check(w[np.array([], np.int32)], np.zeros(0, np.float32), weak=True)


def test_getitem_sequences_with_arrays():
  x = jnp.asarray(A)
  _check(x[[jnp.asarray(2), 0]], A[[2, 0]])
  _check(x[(2, 0), ], A[(2, 0), ])
  f = morphax.jit(lambda x, i: x[[i, 0], [1, i]])
  _check(f(x, jnp.asarray(1)), A[[1, 0], [1, 1]])


def test_getitem_empty_operand():
  e = np.zeros((0, 3), np.float32)
  _check(jnp.asarray(e)[[], 1], e[[], 1])
  _check(jnp.asarray(e)[:, [2, 0]], e[:, [2, 0]])
  _check(jnp.asarray(e)[e[:, 0] > 0], e[e[:, 0] > 0])


# --- Out-of-bounds indices and modes -------------------------------------------------

def test_out_of_bounds_retrieval_is_clamped():
  x = jnp.asarray(A)
  idx = np.array([7, -2, -9, 2])
  clamped = np.clip(np.where(idx < 0, idx + 3, idx), 0, 2)
  _check(x[idx], A[clamped])
  _check(x[:, [9, -10]], A[:, [3, 0]])
  _check(morphax.jit(lambda x, i: x[i])(x, jnp.asarray(idx)), A[clamped])
  _check(x.at[idx].get(), A[clamped])
  _check(x.at[idx].get(mode="clip"), A[clamped])


def test_get_fill_mode():
  x = jnp.asarray(A)
  idx = np.array([7, -2, -9, 2])
  expected = A[np.clip(np.where(idx < 0, idx + 3, idx), 0, 2)].copy()
  expected[[0, 2]] = np.nan
  _check(x.at[idx].get(mode="fill"), expected)
  expected[[0, 2]] = -1
  _check(x.at[idx].get(mode="fill", fill_value=-1), expected)
  _check(x.at[idx, 0, 0].get(mode="drop", fill_value=5.0),
         np.where([False, True, False, True], expected[:, 0, 0], 5.0))
  xi = jnp.arange(4)
  _check(xi.at[[1, 4]].get(mode="fill"), np.array([1, np.iinfo(np.int32).min], np.int32))
  _check(xi.at[[1, 4]].get(mode="promise_in_bounds"), np.array([1, 3], np.int32))
  _check(xi.at[5].get(mode="fill", fill_value=-7), np.int32(-7))
  with pytest.raises(ValueError, match="getitem: fill_value must be a scalar"):
    xi.at[[1]].get(mode="fill", fill_value=np.ones(2))


def test_out_of_bounds_updates_are_dropped():
  x = jnp.zeros(4)
  idx = [1, 4, -5, -1, 9]
  _check(x.at[idx].set(1.0), np.array([0, 1, 0, 1], np.float32))
  _check(x.at[idx].add(1.0, mode="drop"), np.array([0, 1, 0, 1], np.float32))
  _check(x.at[idx].add(1.0, mode="fill"), np.array([0, 1, 0, 1], np.float32))
  _check(x.at[idx].add(1.0, mode="clip"), np.array([1, 1, 0, 3], np.float32))
  _check(x.at[jnp.asarray([0, 2])].add(1.0, mode="promise_in_bounds"),
         np.array([1, 0, 1, 0], np.float32))
  _check(morphax.jit(lambda x, i: x.at[i].add(2.0))(x, jnp.asarray(idx)),
         np.array([0, 2, 0, 2], np.float32))
  _check(x.at[[1, 4]].divide(2.0), np.zeros(4, np.float32))


# --- x.at[idx] updates against ufunc.at ------------------------------------------------

AT_INDICES = [
    0, (1, 2, 3), [0, 0, 2], (slice(None), [3, 3, 1]), ([0, 2], slice(1, 3)),
    (J, slice(None), [0, 4]), (slice(None, None, -1), slice(None), [1, 3]),
    (1, slice(None, None, 2)), (slice(1, None), None, slice(None, None, -2)),
    (Ellipsis, 0), slice(None), (True, 1), M, (None, 0, [1, 1, -1]),
    (I, slice(3, 0, -1), [4, 4, 1]), np.array([], np.int32), (slice(0, 0),),
]
AT_OPS = [("set", None), ("add", np.add), ("subtract", np.subtract),
          ("multiply", np.multiply), ("min", np.minimum), ("max", np.maximum),
          ("divide", np.divide), ("power", np.power)]


def _numpy_at(op, ufunc, a, index, v):
  out = a.copy()
  if ufunc is None:
    out[index] = v
  else:
    ufunc.at(out, index, v)
  return out


@pytest.mark.parametrize("k, index", list(enumerate(AT_INDICES)), ids=lambda c: _ids(c))
def test_at_updates_match_numpy(k, index):
  """set and add, and one more op per index (each op is one compile)."""
  x = jnp.asarray(A)
  target = A[index].shape
  v = (np.arange(int(np.prod(target))).reshape(target) % 4 + 1.5).astype(np.float32)
  for op, ufunc in AT_OPS[:2] + [AT_OPS[2 + k % 6]]:
    value = v if op in ("set", "add") else 1.25
    out = getattr(x.at[index], op)(value)
    np.testing.assert_allclose(np.asarray(out), _numpy_at(op, ufunc, A, index, value),
                               rtol=1e-6, err_msg=op)
    assert out.dtype == np.float32 and out.shape == A.shape
  if k % 2:
    _check(x.at[index].apply(jnp.sin), _apply_reference(A, index, np.sin))


def _apply_reference(a, index, fn):
  hit = np.zeros(a.shape, bool)
  hit[index] = True
  return np.where(hit, fn(a), a)


def test_at_duplicates_accumulate():
  x = jnp.asarray(np.arange(5, dtype=np.float32))
  idx = np.array([1, 1, 3, 1])
  v = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
  for op, ufunc in AT_OPS[1:6]:
    expected = np.arange(5, dtype=np.float32)
    ufunc.at(expected, idx, v)
    _check(getattr(x.at[idx], op)(v), expected)
  expected = np.arange(5, dtype=np.float32)
  expected[1] /= 1 * 2 * 4
  expected[3] /= 3
  _check(x.at[idx].divide(v), expected)
  out = np.asarray(x.at[idx].set(v))
  assert out[1] in (1, 2, 4) and out[3] == 3
  _check(x.at[[2, 2]].power(2.0), np.array([0, 1, 16, 3, 4], np.float32))


def test_at_dtypes_and_broadcasting():
  xi = jnp.arange(6).reshape(2, 3)
  _check(xi.at[0].set(2.7), np.array([[2, 2, 2], [3, 4, 5]], np.int32))
  _check(xi.at[:, [0, 2]].add(np.array([[10], [20]])),
         np.array([[10, 1, 12], [23, 4, 25]], np.int32))
  _check(xi.at[0, 0].divide(2), np.array([[0, 1, 2], [3, 4, 5]], np.float32) / [[2, 1, 1], [1, 1, 1]])
  _check(xi.at[1].power(2), np.array([[0, 1, 2], [9, 16, 25]], np.int32))
  _check(xi.at[[[1]]].set(np.ones((1, 1, 3), np.int32)),
         np.array([[0, 1, 2], [1, 1, 1]], np.int32))
  xb = jnp.zeros(3, bool)
  _check(xb.at[1].set(True), np.array([False, True, False]))
  xc = jnp.zeros(2, jnp.complex64)
  _check(xc.at[1].add(1 + 2j), np.array([0, 1 + 2j], np.complex64))
  w = jnp.asarray(1.0) * np.ones(1, np.float32)
  _check(w.at[0].set(3), np.array([3], np.float32))
  _check(jnp.asarray(0.0)[None].at[0].set(2), np.array([2], np.float32), weak=True)


def test_at_errors():
  x = jnp.zeros((2, 3))
  with pytest.raises(ValueError, match=r"at\[...\]\.set: values of shape \(2,\) "
                     r"cannot be broadcast to the indexed shape \(3,\) \(x of shape \(2, 3\)"):
    x.at[0].set(jnp.ones(2))
  with pytest.raises(ValueError, match=r"at\[...\]\.add: values of shape \(4, 3\)"):
    x.at[[0, 1]].add(np.ones((4, 3), np.float32))
  with pytest.raises(TypeError, match=r"at\[...\]\.apply: func must be callable"):
    x.at[0].apply(3)
  with pytest.raises(TypeError, match=r"at\[...\]\.apply: func must be elementwise"):
    x.at[0].apply(lambda y: y.sum())
  with pytest.raises(TypeError, match=r"at\[...\]\.set requires ndarray or scalar"):
    x.at[0].set("a")
  with pytest.raises(TypeError, match="immutable"):
    x[0] = 1
  assert "_IndexUpdateRef" in repr(x.at[0])
  assert "_IndexUpdateHelper" in repr(x.at)


# --- Index errors ----------------------------------------------------------------------

@pytest.mark.parametrize("index, error, match", [
    ((5, [0]), IndexError, "index 5 is out of bounds for axis 0 with size 3"),
    (([0], 0, 0, 0), IndexError,
     "too many indices for array: array is 3-dimensional, but 4 were indexed"),
    ((M, 0, 0), IndexError, "too many indices .* but 4 were indexed"),
    (np.array([0.5]), IndexError, "valid indices, got an array of dtype float64"),
    ([0.5, 1.0], IndexError, "valid indices, got an array of dtype float64"),
    ([0, slice(None)], TypeError, "Using a non-tuple sequence for multidimensional"),
    ([[0, None]], TypeError, "non-tuple sequence"),
    (M[:2], IndexError, "boolean index did not match indexed array along axis 0; "
     "size of axis is 3 but size of corresponding boolean axis is 2"),
    ((slice(None), M[0, :3]), IndexError,
     "along axis 1; size of axis is 4 but size of corresponding boolean axis is 3"),
    ((I, [0, 1]), ValueError, r"indexing: shapes \(3,\) and \(2,\) cannot be broadcast"),
    ((Ellipsis, [0], Ellipsis), IndexError, "an index can only have a single ellipsis"),
    ({0: 1}, IndexError, "valid indices, got dict"),
])
def test_getitem_errors(index, error, match):
  with pytest.raises(error, match=match):
    jnp.asarray(A)[index]


def test_index_into_empty_axis_raises():
  with pytest.raises(IndexError, match="index is out of bounds for axis 0 with size 0"):
    jnp.zeros((0, 2))[[0]]


def test_boolean_mask_under_jit_raises():
  x = jnp.asarray(A)
  with pytest.raises(IndexError, match=r"Array boolean indices must be concrete: "
                     r"got a traced boolean array bool\[3,4,5\] .* jnp.where.*"
                     r"jnp.nonzero\(mask, size=n"):
    morphax.jit(lambda x: x[x > 1])(x)
  with pytest.raises(IndexError, match="boolean indices must be concrete"):
    morphax.vmap(lambda r: r[r > 1])(x)
  # A concrete mask closed over by jit is fine.
  _check(morphax.jit(lambda x: x[M])(x), A[M])


# --- vmap ----------------------------------------------------------------------------------

def test_vmap_batched_index():
  x = jnp.asarray(A)
  idx = np.array([[0, 1], [2, 2], [1, -1], [0, 0]])
  out = morphax.vmap(lambda i: x[i, 1:, i])(jnp.asarray(idx))
  _check(out, np.stack([A[i, 1:, i] for i in idx]))
  out = morphax.vmap(lambda i: x[:, i])(jnp.asarray(idx[:, 0]))
  _check(out, np.stack([A[:, i] for i in idx[:, 0]]))


def test_vmap_batched_operand_and_index():
  x = jnp.asarray(A)
  idx = np.array([[0, 3], [2, 2], [1, -1]]) % 3
  f = lambda r, i: r[i, ::2]
  _check(morphax.vmap(f)(x, jnp.asarray(idx)), np.stack([A[k][idx[k], ::2] for k in range(3)]))
  _check(morphax.vmap(f, in_axes=(2, None))(x, jnp.asarray(idx[0])),
         np.stack([A[:, :, k][idx[0], ::2] for k in range(5)]))
  g = lambda r, i, v: r.at[i, 1:3].add(v)
  v = np.ones((3, 2, 2), np.float32)
  expected = []
  for k in range(3):
    e = A[k].copy()
    np.add.at(e, (idx[k], slice(1, 3)), v[k])
    expected.append(e)
  _check(morphax.vmap(g)(x, jnp.asarray(idx), jnp.asarray(v)), np.stack(expected))
  _check(morphax.vmap(lambda i: x.at[i].set(0.0))(jnp.asarray(idx[:, 0])),
         np.stack([np.where(np.arange(3)[:, None, None] == i, 0, A) for i in idx[:, 0]]))


# --- grad ------------------------------------------------------------------------------------

GRAD_INDICES = [(I, slice(1, 3)), (slice(None), [3, 3, 0], 1), (J, slice(None), [0, 4]),
                (slice(None, None, -1), None, [1, 2]), (Ellipsis, 2), M]


@pytest.mark.parametrize("index", GRAD_INDICES, ids=_ids)
def test_grad_getitem(index):
  check_grads(lambda x: jnp.asarray(x)[index], (A,), 2)


@pytest.mark.parametrize("index", GRAD_INDICES[:4], ids=_ids)
def test_grad_at_updates(index):
  v = np.linspace(-1, 1, int(np.prod(A[index].shape)), dtype=np.float32)
  v = v.reshape(A[index].shape)
  for op in ("set", "add", "subtract"):
    check_grads(lambda x, v: getattr(jnp.asarray(x).at[index], op)(v), (A, v), 1)
  check_grads(lambda x: jnp.asarray(x).at[index].multiply(2.0), (A,), 1)
  check_grads(lambda x: jnp.asarray(x).at[index].get(mode="fill"), (A,), 1)
  check_grads(lambda x: jnp.asarray(x).at[index].apply(jnp.sin), (A,), 1)


def test_grad_at_unique_multiply_min_max():
  x = np.array([0.5, -1.0, 2.0, 3.0], np.float32)
  v = np.array([1.5, -2.5], np.float32)
  idx = [3, 1]
  check_grads(lambda x, v: jnp.asarray(x).at[idx].multiply(v, unique_indices=True),
              (x, v), 1)
  check_grads(lambda x, v: jnp.asarray(x).at[idx].min(v), (x, v), 1)
  check_grads(lambda x, v: jnp.asarray(x).at[idx].max(v), (x, v), 1)
  check_grads(lambda x, v: jnp.asarray(x).at[idx].divide(v, unique_indices=True), (x, v), 1)
  g = morphax.grad(lambda x: jnp.asarray(x)[jnp.asarray([0, 0, 5])].sum())(x)
  _check(g, np.array([2, 0, 0, 0], np.float32))


def test_grad_traced_index_under_jit():
  idx = jnp.asarray([2, 0, 2])
  g = morphax.jit(morphax.grad(lambda x, i: (x[i] ** 2).sum()))(jnp.asarray(A[0]), idx)
  expected = np.zeros_like(A[0])
  np.add.at(expected, [2, 0, 2], 2 * A[0][[2, 0, 2]])
  _check(g, expected)


# --- Property: random integer-array indices on random axes ---------------------------------

@hypothesis.settings(max_examples=12)
@hypothesis.given(st.data())
def test_random_advanced_indices(data):
  ndim = data.draw(st.integers(1, 3))
  shape = tuple(data.draw(st.integers(1, 3)) for _ in range(ndim))
  a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
  index = []
  for n in shape:
    kind = data.draw(st.sampled_from(["int", "slice", "array", "none"]))
    if kind == "int":
      index.append(data.draw(st.integers(-n, n - 1)))
    elif kind == "slice":
      index.append(slice(data.draw(st.integers(-n, n)), None,
                         data.draw(st.sampled_from([1, 2, -1]))))
    elif kind == "array":
      index.append(np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=2,
                                               max_size=2))))
    else:
      index.extend([None, slice(None)])
  index = tuple(index)
  _check(jnp.asarray(a)[index], a[index])
  expected = a.copy()
  np.add.at(expected, index, 1.0)
  _check(jnp.asarray(a).at[index].add(1.0), expected)


@pytest.mark.parametrize("index", AT_INDICES[::3], ids=_ids)
def test_at_get_with_mode_matches_numpy(index):
  _check(jnp.asarray(A).at[index].get(mode="fill", fill_value=0.0), A[index])
