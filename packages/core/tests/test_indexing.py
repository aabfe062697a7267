"""Gather and scatter (ops/indexing.py) against numpy: fancy indexing and
ufunc.at as oracles, a loop over XLA's semantics, modes, and error messages.
"""

import itertools

import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.ops.indexing import _fill_value
from morphax.runtime import dispatch

PRIMITIVES_COVERED = {
    "gather", "scatter", "scatter-add", "scatter-sub", "scatter-mul",
    "scatter-min", "scatter-max",
}

f32, i32, u32, i8, b = (np.dtype(t) for t in (np.float32, np.int32, np.uint32,
                                               np.int8, np.bool_))
GDN, SDN = lax.GatherDimensionNumbers, lax.ScatterDimensionNumbers
CLIP = lax.GatherScatterMode.CLIP
FILL = lax.GatherScatterMode.FILL_OR_DROP
PROMISE = lax.GatherScatterMode.PROMISE_IN_BOUNDS


def sample(shape, dtype, seed=0):
  rng = np.random.default_rng(seed)
  if dtype == b:
    return rng.integers(0, 2, shape).astype(b)
  if np.issubdtype(dtype, np.integer):
    return rng.integers(-9, 10, shape).astype(dtype)
  return rng.standard_normal(shape).astype(dtype)


def put(x):
  return morphax.device_put(x)


def ix(*rows, dtype=i32):
  """An index array of shape (k, len(row))."""
  return np.asarray(rows, dtype).reshape(len(rows), -1)


# --- Loop references: XLA's gather/scatter semantics, one element at a time --

def _full_start(dims_map, index_vector, rank):
  start = [0] * rank
  for k, d in enumerate(dims_map):
    start[d] = int(index_vector[k])
  return start


def gather_loop(x, idx, dn, slice_sizes, mode, fill_value=None):
  """Output element by element, following the StableHLO spec."""
  batch_shape = idx.shape[:-1]
  out_rank = len(batch_shape) + len(dn.offset_dims)
  dropped = set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims)
  offset_operand_dims = [d for d in range(x.ndim) if d not in dropped]
  offset_sizes = [slice_sizes[d] for d in offset_operand_dims]
  batch_dims = [d for d in range(out_rank) if d not in dn.offset_dims]
  shape = [0] * out_rank
  for d, s in zip(dn.offset_dims, offset_sizes):
    shape[d] = s
  for d, s in zip(batch_dims, batch_shape):
    shape[d] = s
  out = np.zeros(shape, x.dtype)
  for out_index in itertools.product(*map(range, shape)):
    batch_index = tuple(out_index[d] for d in batch_dims)
    vec = idx[batch_index]
    start = _full_start(dn.start_index_map, vec, x.ndim)
    upper = [x.shape[d] - slice_sizes[d] for d in range(x.ndim)]
    if mode == FILL and any(not 0 <= start[d] <= upper[d]
                            for d in dn.start_index_map):
      out[out_index] = fill_value
      continue
    start = [min(max(s, 0), u) for s, u in zip(start, upper)]
    for od, idd in zip(dn.operand_batching_dims,
                       dn.start_indices_batching_dims):
      start[od] = batch_index[idd]
    for d, od in zip(dn.offset_dims, offset_operand_dims):
      start[od] += out_index[d]
    out[out_index] = x[tuple(start)]
  return out


def scatter_loop(x, idx, u, dn, combine, mode):
  """Applies each update in order; windows that leave `x` are dropped."""
  out = x.copy()
  skipped = set(dn.inserted_window_dims) | set(dn.operand_batching_dims)
  window_operand_dims = [d for d in range(x.ndim) if d not in skipped]
  window = [1] * x.ndim
  for d, ud in zip(window_operand_dims, dn.update_window_dims):
    window[d] = u.shape[ud]
  scatter_dims = [d for d in range(u.ndim) if d not in dn.update_window_dims]
  for u_index in itertools.product(*map(range, u.shape)):
    scatter_index = tuple(u_index[d] for d in scatter_dims)
    start = _full_start(dn.scatter_dims_to_operand_dims, idx[scatter_index],
                        x.ndim)
    upper = [x.shape[d] - window[d] for d in range(x.ndim)]
    if mode == CLIP:
      start = [min(max(s, 0), hi) for s, hi in zip(start, upper)]
    elif any(not 0 <= s <= hi for s, hi in zip(start, upper)):
      continue
    for od, idd in zip(dn.operand_batching_dims,
                       dn.scatter_indices_batching_dims):
      start[od] = scatter_index[idd]
    for d, od in zip(dn.update_window_dims, window_operand_dims):
      start[od] += u_index[d]
    out[tuple(start)] = combine(out[tuple(start)], u[u_index])
  return out


# --- gather -------------------------------------------------------------------

ROWS = GDN(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
COLS = GDN(offset_dims=(0,), collapsed_slice_dims=(1,), start_index_map=(1,))
POINTS = GDN(offset_dims=(), collapsed_slice_dims=(0, 1),
             start_index_map=(0, 1))
POINTS_T = GDN(offset_dims=(), collapsed_slice_dims=(0, 1),
               start_index_map=(1, 0))
BLOCKS = GDN(offset_dims=(1, 2), collapsed_slice_dims=(),
             start_index_map=(0, 1))
ALONG_AXIS = GDN(offset_dims=(), collapsed_slice_dims=(1,),
                 start_index_map=(1,), operand_batching_dims=(0,),
                 start_indices_batching_dims=(0,))
SCALAR = GDN(offset_dims=(), collapsed_slice_dims=(), start_index_map=())


def _blocks(x, idx, h, w):
  return np.stack([x[i:i + h, j:j + w] for i, j in idx])


# (case, operand shape, dtype, indices, dnums, slice_sizes, mode, fill,
#  numpy reference ref(x, idx))
GATHER_CASES = [
    ("rows", (5, 3), f32, ix(3, 0, 4, 3), ROWS, (1, 3), None, None,
     lambda x, i: x[i[:, 0]]),
    ("rows", (5, 3), i32, ix(3, 0, 4, 3), ROWS, (1, 3), None, None,
     lambda x, i: x[i[:, 0]]),
    ("rows", (5, 3), b, ix(3, 0, 4, 3), ROWS, (1, 3), None, None,
     lambda x, i: x[i[:, 0]]),
    ("rows_narrow_slice", (5, 3), f32, ix(1, 2), ROWS, (1, 2), None, None,
     lambda x, i: x[i[:, 0], :2]),
    ("cols", (4, 6), f32, ix(5, 0, 2), COLS, (4, 1), None, None,
     lambda x, i: x[:, i[:, 0]]),
    ("cols", (4, 6), i32, ix(5, 0, 2), COLS, (4, 1), "clip", None,
     lambda x, i: x[:, i[:, 0]]),
    ("points", (4, 5), f32, ix((0, 1), (3, 4), (2, 2)), POINTS, (1, 1), None,
     None, lambda x, i: x[i[:, 0], i[:, 1]]),
    ("points_swapped_map", (4, 5), i32, ix((1, 0), (4, 3), (2, 1)), POINTS_T,
     (1, 1), None, None, lambda x, i: x[i[:, 1], i[:, 0]]),
    ("blocks", (6, 5), f32, ix((0, 0), (4, 2), (1, 1)), BLOCKS, (2, 3), None,
     None, lambda x, i: _blocks(x, i, 2, 3)),
    ("take_along_axis", (3, 5), f32,
     np.array([[4, 0, 1, 1], [2, 2, 3, 0], [0, 4, 4, 1]], i32)[..., None],
     ALONG_AXIS, (1, 1), None, None,
     lambda x, i: np.take_along_axis(x, i[..., 0], axis=1)),
    ("take_along_axis", (3, 5), i32,
     np.array([[4, 0, 1, 1], [2, 2, 3, 0], [0, 4, 4, 1]], i32)[..., None],
     ALONG_AXIS, (1, 1), "promise_in_bounds", None,
     lambda x, i: np.take_along_axis(x, i[..., 0], axis=1)),
    ("batch_2d_rows_of_3d", (4, 2, 3), f32, np.array([[[1], [3], [0]],
                                                       [[2], [2], [3]]], i32),
     GDN(offset_dims=(2, 3), collapsed_slice_dims=(0,), start_index_map=(0,)),
     (1, 2, 3), None, None, lambda x, i: x[i[..., 0]]),
    ("one_index_vector", (5, 3), f32, np.array([2], i32), ROWS._replace(
        offset_dims=(0,)), (1, 3), None, None, lambda x, i: x[i[0]]),
    ("empty_indices", (5, 3), f32, np.zeros((0, 1), i32), ROWS, (1, 3), None,
     None, lambda x, i: x[i[:, 0]]),
    ("empty_operand", (0, 3), f32, ix(0, 0), GDN(
        offset_dims=(1, 2), collapsed_slice_dims=(), start_index_map=(0,)),
     (0, 3), None, None, lambda x, i: np.zeros((2, 0, 3), x.dtype)),
    ("int8_indices", (5, 3), f32, ix(4, 1, dtype=i8), ROWS, (1, 3), None, None,
     lambda x, i: x[i[:, 0]]),
    ("uint32_indices", (5, 3), i32, ix(4, 1, dtype=u32), ROWS, (1, 3), None,
     None, lambda x, i: x[i[:, 0]]),
    # Out of bounds: FILL_OR_DROP fills whole slices (default fill values),
    # CLIP clamps, PROMISE_IN_BOUNDS is XLA's clamp.
    ("oob_fill", (5, 3), f32, ix(1, 5, -1, 4), ROWS, (1, 3), None, None,
     lambda x, i: np.where((i < 0) | (i > 4), np.nan,
                           x[np.clip(i[:, 0], 0, 4)])),
    ("oob_fill", (5, 3), i32, ix(1, 5, -1, 4), ROWS, (1, 3), "fill", None,
     lambda x, i: np.where((i < 0) | (i > 4), np.iinfo(np.int32).min,
                           x[np.clip(i[:, 0], 0, 4)])),
    ("oob_fill", (5, 3), b, ix(1, 5, -1, 4), ROWS, (1, 3), "drop", None,
     lambda x, i: np.where((i < 0) | (i > 4), True, x[np.clip(i[:, 0], 0, 4)])),
    ("oob_fill_u32", (5, 3), np.dtype(np.uint32), ix(1, 5, 4), ROWS, (1, 3),
     None, None, lambda x, i: np.where(i > 4, np.iinfo(np.uint32).max,
                                       x[np.clip(i[:, 0], 0, 4)])),
    ("oob_fill_value", (5, 3), f32, ix(1, 7), ROWS, (1, 3), FILL, -2.5,
     lambda x, i: np.where(i > 4, -2.5, x[np.clip(i[:, 0], 0, 4)])),
    ("oob_fill_int8_indices", (300, 2), f32, ix(127, -128, dtype=i8), ROWS,
     (1, 2), None, None, lambda x, i: np.where(i < 0, np.nan, x[np.clip(
         i[:, 0].astype(np.int64), 0, 299)])),
    ("oob_fill_blocks", (6, 5), f32, ix((0, 0), (5, 2), (4, 2), (1, 3)),
     BLOCKS, (2, 3), None, None,
     lambda x, i: np.where(np.array([0, 1, 0, 1])[:, None, None] == 1, np.nan,
                           _blocks(x, np.minimum(i, (4, 2)), 2, 3))),
    ("oob_clip", (5, 3), f32, ix(1, 5, -1, 4), ROWS, (1, 3), "clip", None,
     lambda x, i: x[np.clip(i[:, 0], 0, 4)]),
    ("oob_clip_blocks", (6, 5), i32, ix((-3, 0), (5, 9)), BLOCKS, (2, 3), CLIP,
     None, lambda x, i: _blocks(x, np.clip(i, 0, (4, 2)), 2, 3)),
    ("oob_promise", (5, 3), f32, ix(1, 5, -1), ROWS, (1, 3), PROMISE, None,
     lambda x, i: x[np.clip(i[:, 0], 0, 4)]),
]


def _id(case):
  return f"{case[0]}-{np.dtype(case[2]).name}"


@pytest.mark.parametrize("case", GATHER_CASES, ids=map(_id, GATHER_CASES))
def test_gather(case):
  _, shape, dtype, idx, dn, slice_sizes, mode, fill, ref = case
  x = sample(shape, dtype)
  out = lax.gather(put(x), put(idx), dn, slice_sizes, mode=mode,
                   fill_value=fill)
  expected = ref(x, idx).astype(dtype)
  assert out.dtype == dtype and out.shape == expected.shape
  assert not out.weak_type
  np.testing.assert_array_equal(np.asarray(out), expected)
  # The loop reference agrees (checks the dimension numbers' meaning).
  mode = lax.GatherScatterMode.from_any(mode)
  fill = default_fill(dtype) if fill is None else fill
  np.testing.assert_array_equal(
      gather_loop(x, idx, dn, slice_sizes, mode, fill), expected)


def default_fill(dtype):
  """JAX's documented FILL_OR_DROP defaults."""
  if dtype == b:
    return True
  if np.issubdtype(dtype, np.integer):
    return np.iinfo(dtype).min if np.issubdtype(dtype, np.signedinteger) \
        else np.iinfo(dtype).max
  return np.nan


def test_gather_scalar_operand_is_weak():
  # A rank-0 operand: empty index vectors, every output element is the scalar.
  out = lax.gather(put(2.5), put(np.zeros((3, 0), i32)), SCALAR, ())
  assert out.shape == (3,) and out.dtype == f32 and out.weak_type
  np.testing.assert_array_equal(np.asarray(out), [2.5, 2.5, 2.5])


def test_gather_accepts_lists_in_dimension_numbers():
  dn = GDN(offset_dims=[1], collapsed_slice_dims=[0], start_index_map=[0])
  x = sample((4, 2), f32)
  out = lax.gather(put(x), put(ix(2, 1)), dn, [1, 2])
  np.testing.assert_array_equal(np.asarray(out), x[[2, 1]])
  out = lax.gather(put(x), put(ix(2, 1)), ((1,), (0,), (0,)), (1, 2))
  np.testing.assert_array_equal(np.asarray(out), x[[2, 1]])


def test_gather_default_nan_fill_reuses_the_executable():
  x, idx = put(sample((5, 3), f32)), put(ix(1, 9))
  lax.gather(x, idx, ROWS, (1, 3))
  size = len(dispatch._cache)
  lax.gather(x, idx, ROWS, (1, 3), fill_value=float("nan"))
  assert len(dispatch._cache) == size


# --- scatter ------------------------------------------------------------------

S_ROWS = SDN(update_window_dims=(1,), inserted_window_dims=(0,),
             scatter_dims_to_operand_dims=(0,))
S_COLS = SDN(update_window_dims=(0,), inserted_window_dims=(1,),
             scatter_dims_to_operand_dims=(1,))
S_POINTS = SDN(update_window_dims=(), inserted_window_dims=(0, 1),
               scatter_dims_to_operand_dims=(0, 1))
S_BLOCKS = SDN(update_window_dims=(1, 2), inserted_window_dims=(),
               scatter_dims_to_operand_dims=(0, 1))
S_ALONG_AXIS = SDN(update_window_dims=(), inserted_window_dims=(1,),
                   scatter_dims_to_operand_dims=(1,),
                   operand_batching_dims=(0,),
                   scatter_indices_batching_dims=(0,))
S_SCALAR = SDN(update_window_dims=(), inserted_window_dims=(),
               scatter_dims_to_operand_dims=())

# name -> (lax function, numpy ufunc for ufunc.at, elementwise combine)
SCATTERS = {
    "set": (lax.scatter, None, lambda old, new: new),
    "add": (lax.scatter_add, np.add, np.add),
    "sub": (lax.scatter_sub, np.subtract, np.subtract),
    "mul": (lax.scatter_mul, np.multiply, np.multiply),
    "min": (lax.scatter_min, np.minimum, np.minimum),
    "max": (lax.scatter_max, np.maximum, np.maximum),
}


def _at(op, where):
  """A numpy reference: ufunc.at (or assignment) at `where(idx)`."""
  def ref(x, idx, u):
    out = x.copy()
    ufunc = SCATTERS[op][1]
    if ufunc is None:
      out[where(idx)] = u
    else:
      ufunc.at(out, where(idx), u)
    return out
  return ref


def _rows(i):
  return i[:, 0]


def _cols(i):
  return (slice(None), i[:, 0])


def _points(i):
  return (i[:, 0], i[:, 1])


def _along_axis(i):
  return (np.arange(i.shape[0])[:, None], i[..., 0])


DUP = ix(1, 3, 1, 0, 1)           # duplicates: 1 appears three times
UNIQ = ix(4, 0, 2)
OOB = ix(1, 7, -1, 2)             # 7 and -1 are out of bounds for 5 rows

# (op, operand shape, dtype, indices, updates shape, dnums, mode, reference)
SCATTER_CASES = [
    ("set", (5, 3), f32, UNIQ, (3, 3), S_ROWS, None, _at("set", _rows)),
    ("set", (5, 3), i32, UNIQ, (3, 3), S_ROWS, None, _at("set", _rows)),
    ("set", (5, 3), b, UNIQ, (3, 3), S_ROWS, None, _at("set", _rows)),
    ("add", (5, 3), f32, DUP, (5, 3), S_ROWS, None, _at("add", _rows)),
    ("add", (5, 3), i32, DUP, (5, 3), S_ROWS, None, _at("add", _rows)),
    ("sub", (5, 3), f32, DUP, (5, 3), S_ROWS, None, _at("sub", _rows)),
    ("sub", (5, 3), i32, DUP, (5, 3), S_ROWS, None, _at("sub", _rows)),
    ("mul", (5, 3), f32, DUP, (5, 3), S_ROWS, None, _at("mul", _rows)),
    ("mul", (5, 3), i32, DUP, (5, 3), S_ROWS, None, _at("mul", _rows)),
    ("min", (5, 3), f32, DUP, (5, 3), S_ROWS, None, _at("min", _rows)),
    ("min", (5, 3), i32, DUP, (5, 3), S_ROWS, None, _at("min", _rows)),
    ("max", (5, 3), f32, DUP, (5, 3), S_ROWS, None, _at("max", _rows)),
    ("max", (5, 3), i32, DUP, (5, 3), S_ROWS, None, _at("max", _rows)),
    ("max", (5, 3), b, DUP, (5, 3), S_ROWS, None, _at("max", _rows)),
    ("add", (4, 6), f32, ix(5, 0, 5), (4, 3), S_COLS, None, _at("add", _cols)),
    ("set", (4, 6), i32, ix(5, 0, 2), (4, 3), S_COLS, None, _at("set", _cols)),
    ("add", (4, 5), f32, ix((0, 1), (3, 4), (0, 1)), (3,), S_POINTS, None,
     _at("add", _points)),
    ("min", (4, 5), i32, ix((0, 1), (3, 4), (0, 1)), (3,), S_POINTS, None,
     _at("min", _points)),
    ("add", (6, 5), f32, ix((0, 0), (4, 2), (1, 1)), (3, 2, 3), S_BLOCKS, None,
     None),
    ("add", (3, 5), f32, np.array([[4, 0, 4, 1], [2, 2, 3, 0],
                                   [0, 4, 4, 1]], i32)[..., None], (3, 4),
     S_ALONG_AXIS, None, _at("add", _along_axis)),
    ("add", (5, 3), f32, np.zeros((0, 1), i32), (0, 3), S_ROWS, None,
     _at("add", _rows)),
    ("set", (5, 3), f32, np.array([2], i32), (3,), S_ROWS._replace(
        update_window_dims=(0,)), None, lambda x, i, u: _at("set", _rows)(
            x, i[None], u[None])),
    ("add", (5, 3), f32, ix(1, 2, dtype=u32), (2, 3), S_ROWS, None,
     _at("add", _rows)),
    # Empty index vectors: every update starts at the origin (a one-element
    # operand is the case XLA's CPU scatter needs help with).
    ("add", (1,), f32, np.zeros((3, 0), i32), (3, 1), SDN((1,), (), ()), None,
     lambda x, i, u: x + u.sum(0)),
    ("mul", (1, 1), i32, np.zeros((3, 0), i32), (3, 1, 1), SDN((1, 2), (), ()),
     None, lambda x, i, u: x * u.prod(0)),
    ("max", (2, 3), f32, np.zeros((4, 0), i32), (4, 2, 3), SDN((1, 2), (), ()),
     None, lambda x, i, u: np.maximum(x, u.max(0))),
    # Out of bounds: FILL_OR_DROP (and XLA's PROMISE_IN_BOUNDS) drop the
    # update, CLIP clamps the index.
    ("add", (5, 3), f32, OOB, (4, 3), S_ROWS, None,
     lambda x, i, u: _at("add", _rows)(x, i[[0, 3]], u[[0, 3]])),
    ("set", (5, 3), i32, OOB, (4, 3), S_ROWS, "drop",
     lambda x, i, u: _at("set", _rows)(x, i[[0, 3]], u[[0, 3]])),
    ("max", (5, 3), f32, OOB, (4, 3), S_ROWS, PROMISE,
     lambda x, i, u: _at("max", _rows)(x, i[[0, 3]], u[[0, 3]])),
    ("add", (5, 3), f32, OOB, (4, 3), S_ROWS, "clip",
     lambda x, i, u: _at("add", _rows)(x, np.clip(i, 0, 4), u)),
    ("mul", (5, 3), i32, OOB, (4, 3), S_ROWS, CLIP,
     lambda x, i, u: _at("mul", _rows)(x, np.clip(i, 0, 4), u)),
    ("add", (6, 5), f32, ix((5, 0), (-1, 2), (4, 2)), (3, 2, 3), S_BLOCKS,
     None, None),
    ("add", (6, 5), f32, ix((5, 0), (-1, 2), (4, 9)), (3, 2, 3), S_BLOCKS,
     CLIP, None),
]


def _scatter_id(case):
  return f"{case[0]}-{np.dtype(case[2]).name}-{case[3].shape}-{case[6]}"


@pytest.mark.parametrize("case", SCATTER_CASES,
                         ids=map(_scatter_id, SCATTER_CASES))
def test_scatter(case):
  op, shape, dtype, idx, u_shape, dn, mode, ref = case
  fn, _, combine = SCATTERS[op]
  x = sample(shape, dtype, seed=1)
  u = sample(u_shape, dtype, seed=2)
  out = fn(put(x), put(idx), put(u), dn, mode=mode)
  assert out.dtype == dtype and out.shape == x.shape and not out.weak_type
  mode = lax.GatherScatterMode.from_any(mode)
  looped = scatter_loop(x, idx, u, dn, combine, mode)
  if ref is not None:
    np.testing.assert_allclose(ref(x, idx, u), looped, rtol=1e-6)
  np.testing.assert_allclose(np.asarray(out), looped, rtol=1e-6)


def test_scatter_add_into_scalar_operand():
  # Rank-0 operand, empty index vectors: every update adds to the scalar.
  u = np.array([1.0, 2.0, 4.0], f32)
  out = lax.scatter_add(put(0.5), put(np.zeros((3, 0), i32)), put(u), S_SCALAR)
  assert out.shape == () and out.dtype == f32 and out.weak_type
  np.testing.assert_allclose(np.asarray(out), 7.5)


def test_scatter_min_propagates_nan():
  x = np.array([1.0, 2.0, 3.0], f32)
  u = np.array([np.nan, 0.5], f32)
  dn = SDN(update_window_dims=(), inserted_window_dims=(0,),
           scatter_dims_to_operand_dims=(0,))
  out = lax.scatter_min(put(x), put(ix(0, 2)), put(u), dn)
  expected = x.copy()
  with np.errstate(invalid="ignore"):
    np.minimum.at(expected, [0, 2], u)
  np.testing.assert_array_equal(np.asarray(out), expected)


# --- GatherScatterMode and dimension numbers ---------------------------------

@pytest.mark.parametrize("given, expected", [
    (None, FILL), ("fill", FILL), ("drop", FILL), ("clip", CLIP),
    ("promise_in_bounds", PROMISE), (CLIP, CLIP),
])
def test_mode_from_any(given, expected):
  assert lax.GatherScatterMode.from_any(given) is expected


def test_dimension_numbers_defaults_and_hash():
  dn = GDN((1,), (0,), (0,))
  assert dn.operand_batching_dims == () and dn.start_indices_batching_dims == ()
  sdn = SDN((1,), (0,), (0,))
  assert sdn.operand_batching_dims == ()
  assert sdn.scatter_indices_batching_dims == ()
  assert hash(dn) == hash(GDN((1,), (0,), (0,), (), ()))


# --- Errors -------------------------------------------------------------------

X = np.zeros((5, 3), f32)


def _g(idx=ix(1, 2), dn=ROWS, slice_sizes=(1, 3), operand=X, mode=None):
  return lambda: lax.gather(put(operand), put(idx), dn, slice_sizes, mode=mode)


GATHER_ERRORS = [
    (TypeError, r"gather: start_indices must have an integer dtype, got "
     r"float32 \(shape \(2, 1\)\)", _g(idx=ix(1, 2, dtype=f32))),
    (TypeError, r"gather: start_indices must have rank >= 1 .* got shape \(\)",
     _g(idx=np.int32(1))),
    (ValueError, r"gather: slice_sizes=\(1,\) must have one entry per operand "
     r"dimension, got 1 for operand shape \(5, 3\)", _g(slice_sizes=(1,))),
    (ValueError, r"gather: slice_sizes=\(2, 3\) must be 0 or 1 in the "
     r"collapsed_slice_dims=\(0,\), got 2 in dimension 0",
     _g(slice_sizes=(2, 3))),
    (ValueError, r"gather: slice_sizes=\(1, 4\) exceeds operand shape "
     r"\(5, 3\) in dimension 1", _g(slice_sizes=(1, 4))),
    (ValueError, r"gather: dimension_numbers.offset_dims=\(2,\) has an entry "
     r"out of range for the output of rank 2",
     _g(dn=ROWS._replace(offset_dims=(2,)))),
    (ValueError, r"gather: dimension_numbers.collapsed_slice_dims=\(1, 0\) "
     r"must be sorted", _g(dn=GDN((), (1, 0), (0, 1)), idx=ix((1, 1)),
                          slice_sizes=(1, 1))),
    (ValueError, r"gather: dimension_numbers.start_index_map=\(0, 0\) has "
     r"repeated dimensions", _g(dn=GDN((1,), (0,), (0, 0)), idx=ix((1, 1)))),
    (ValueError, r"gather: start_index_map=\(0,\) must have one entry per "
     r"index vector component, start_indices.shape\[-1\] == 2 "
     r"\(start_indices shape \(1, 2\)\)", _g(idx=ix((1, 1)))),
    (ValueError, r"gather: operand of rank 2 needs len\(offset_dims\) \+ "
     r"len\(collapsed_slice_dims\) \+ len\(operand_batching_dims\) == 2, got "
     r"offset_dims=\(\), collapsed_slice_dims=\(0,\)",
     _g(dn=ROWS._replace(offset_dims=()))),
    (ValueError, r"gather: dimension_numbers.collapsed_slice_dims=\(0,\) and "
     r"operand_batching_dims=\(0,\) must be disjoint",
     _g(dn=GDN((1,), (0,), (1,), (0,), (0,)), idx=ix(1, 2))),
    (ValueError, r"gather: batching dimensions must have equal sizes, got "
     r"operand shape \(5, 3\) \(dimension 0\) and indices shape \(2, 1\) "
     r"\(dimension 0\)", _g(dn=GDN((1,), (), (1,), (0,), (0,)),
                            slice_sizes=(1, 1))),
    (ValueError, r"gather: dimension_numbers.operand_batching_dims=\(0,\) "
     r"and start_indices_batching_dims=\(\) must have the same length",
     _g(dn=GDN((1,), (), (1,), (0,), ()), slice_sizes=(1, 1))),
    (ValueError, r"Unknown gather mode 'wrap'", _g(mode="wrap")),
    (TypeError, r"gather: dimension_numbers must be a GatherDimensionNumbers, "
     r"got int", _g(dn=3)),
    (TypeError, r"gather: dimension_numbers.offset_dims must be a sequence of "
     r"integers, got \(1.5,\)", _g(dn=ROWS._replace(offset_dims=(1.5,)))),
]


@pytest.mark.parametrize("error, message, call", GATHER_ERRORS,
                         ids=[m[:40] for _, m, _ in GATHER_ERRORS])
def test_gather_errors(error, message, call):
  with pytest.raises(error, match=message):
    call()


def _s(fn=lax.scatter_add, idx=ix(1, 2), u_shape=(2, 3), dn=S_ROWS,
       operand=X, u_dtype=f32):
  u = np.zeros(u_shape, u_dtype)
  return lambda: fn(put(operand), put(idx), put(u), dn)


SCATTER_ERRORS = [
    (TypeError, r"scatter_add: scatter_indices must have an integer dtype, "
     r"got float32 \(shape \(2, 1\)\)", _s(idx=ix(1, 2, dtype=f32))),
    (TypeError, r"scatter: scatter_indices must have rank >= 1",
     _s(fn=lax.scatter, idx=np.int32(0), u_shape=(3,))),
    (TypeError, r"scatter_mul: updates must have the dtype of operand, got "
     r"operand float32\[5, 3\] and updates int32\[2, 3\]",
     _s(fn=lax.scatter_mul, u_dtype=i32)),
    (TypeError, r"scatter_add does not accept operand dtype bool",
     _s(operand=X.astype(b), u_dtype=b)),
    (ValueError, r"scatter_add: updates of shape \(2, 3, 1\) must have rank "
     r"len\(update_window_dims\) \+ scatter_indices.ndim - 1 = 2",
     _s(u_shape=(2, 3, 1))),
    (ValueError, r"scatter_min: the scatter dimensions of updates \(those not "
     r"in update_window_dims=\(1,\)\) must match scatter_indices.shape\[:-1\] "
     r"= \(2,\), got updates shape \(4, 3\)",
     _s(fn=lax.scatter_min, u_shape=(4, 3))),
    (ValueError, r"scatter_max: update window of shape \(4,\) \(updates shape "
     r"\(2, 4\), update_window_dims=\(1,\)\) must fit in the operand "
     r"dimensions \(1,\) of operand shape \(5, 3\)",
     _s(fn=lax.scatter_max, u_shape=(2, 4))),
    (ValueError, r"scatter_add: operand of rank 2 needs "
     r"len\(update_window_dims\) \+ len\(inserted_window_dims\) \+ "
     r"len\(operand_batching_dims\) == 2",
     _s(dn=S_ROWS._replace(inserted_window_dims=()))),
    (ValueError, r"scatter_sub: scatter_dims_to_operand_dims=\(0, 1\) must "
     r"have one entry per index vector component, scatter_indices.shape\[-1\] "
     r"== 1", _s(fn=lax.scatter_sub,
                 dn=S_ROWS._replace(scatter_dims_to_operand_dims=(0, 1)))),
    (ValueError, r"scatter_add: dimension_numbers.update_window_dims=\(2,\) "
     r"has an entry out of range for updates of rank 2",
     _s(dn=S_ROWS._replace(update_window_dims=(2,)))),
]


@pytest.mark.parametrize("error, message, call", SCATTER_ERRORS,
                         ids=[m[:40] for _, m, _ in SCATTER_ERRORS])
def test_scatter_errors(error, message, call):
  with pytest.raises(error, match=message):
    call()


C64 = np.dtype(np.complex64)


@pytest.mark.parametrize("dtype", [f32, C64, i8, np.dtype(np.uint8), b])
def test_default_fill_values(dtype):
  value = _fill_value(dtype, None)
  np.testing.assert_array_equal(value, default_fill(dtype))
  if dtype in (f32, C64):
    # A NaN fill is one shared object, so equal params hit one executable.
    assert _fill_value(dtype, float("nan")) is value


def test_gather_complex_default_fill():
  x = (sample((5, 2), f32) + 1j).astype(C64)
  out = lax.gather(put(x), put(ix(1, 9)), ROWS, (1, 2))
  assert out.dtype == C64
  expected = np.array([x[1], [np.nan, np.nan]], C64)
  np.testing.assert_array_equal(np.asarray(out), expected)
