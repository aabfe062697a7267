"""Shape primitives (ops/shape.py) against numpy: broadcasting, reshape,
transpose, squeeze, rev, pad, concatenate, slices, dynamic slices, iota.
"""

import builtins
import re

import ml_dtypes
import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.ops import shape as shape_ops

PRIMITIVES_COVERED = {
    "broadcast_in_dim", "reshape", "transpose", "squeeze", "rev", "pad",
    "concatenate", "slice", "dynamic_slice", "dynamic_update_slice", "iota",
}

DTYPES = [np.dtype(np.float32), np.dtype(np.int32), np.dtype(np.bool_),
          np.dtype(ml_dtypes.bfloat16)]


def make(shape, dtype, offset=1):
  """Distinct small values (exact in every dtype; bools alternate)."""
  a = np.arange(offset, offset + int(np.prod(shape))).reshape(shape)
  return (a % 3 == 0) if dtype == np.bool_ else a.astype(dtype)


def host(out):
  """The host value of an Array."""
  return np.asarray(out)


def check(out, expected):
  assert out.shape == expected.shape, (out.shape, expected.shape)
  assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
  np.testing.assert_array_equal(host(out), expected)


# --- numpy references --------------------------------------------------------

def np_broadcast_in_dim(a, shape, dims):
  kept = [a.shape[dims.index(i)] if i in dims else 1 for i in range(len(shape))]
  return np.broadcast_to(a.reshape(kept), shape)


def np_pad(a, value, config):
  """np.pad plus interior padding (a strided write into a filled array) and
  negative edges (a crop after padding)."""
  for axis, (lo, hi, interior) in enumerate(config):
    n = a.shape[axis]
    if interior and n:
      shape = list(a.shape)
      shape[axis] = n + (n - 1) * interior
      dilated = np.full(shape, value, a.dtype)
      index = [builtins.slice(None)] * a.ndim
      index[axis] = builtins.slice(None, None, interior + 1)
      dilated[tuple(index)] = a
      a = dilated
    widths = [(0, 0)] * a.ndim
    widths[axis] = (max(lo, 0), max(hi, 0))
    a = np.pad(a, widths, constant_values=value)
    index = [builtins.slice(None)] * a.ndim
    index[axis] = builtins.slice(-min(lo, 0), a.shape[axis] + min(hi, 0))
    a = a[tuple(index)]
  return a


def _clamped_starts(shape, starts, sizes):
  """JAX's dynamic-slice starts: negative ones wrap, then clamp into bounds."""
  out = []
  for d, s, n in zip(shape, starts, sizes):
    s = int(s)
    s = s + d if s < 0 else s
    out.append(min(max(s, 0), d - n))
  return out


def np_dynamic_slice(a, starts, sizes):
  starts = _clamped_starts(a.shape, starts, sizes)
  return a[tuple(builtins.slice(s, s + n) for s, n in zip(starts, sizes))]


def np_dynamic_update_slice(a, update, starts):
  starts = _clamped_starts(a.shape, starts, update.shape)
  out = a.copy()
  out[tuple(builtins.slice(s, s + n) for s, n in zip(starts, update.shape))] = update
  return out


def pad_value(a):
  return np.array(True if a.dtype == np.bool_ else 7, a.dtype)


# --- Value table: (id, operand shapes, op on Arrays, numpy reference) ---------

CASES = [
    # broadcast_in_dim / broadcast / broadcast_to_rank / expand_dims
    ("bid_scalar", [()], lambda x: lax.broadcast_in_dim(x, (2, 3), ()),
     lambda a: np.broadcast_to(a, (2, 3))),
    ("bid_0d_to_0d", [()], lambda x: lax.broadcast_in_dim(x, (), ()), lambda a: a),
    ("bid_trailing", [(3,)], lambda x: lax.broadcast_in_dim(x, (2, 3), (1,)),
     lambda a: np.broadcast_to(a, (2, 3))),
    ("bid_leading", [(2,)], lambda x: lax.broadcast_in_dim(x, (2, 4), (0,)),
     lambda a: np_broadcast_in_dim(a, (2, 4), (0,))),
    ("bid_size1", [(3, 1)], lambda x: lax.broadcast_in_dim(x, (2, 3, 4), (1, 2)),
     lambda a: np.broadcast_to(a, (2, 3, 4))),
    ("bid_empty_out", [(2, 1)], lambda x: lax.broadcast_in_dim(x, (2, 0), (0, 1)),
     lambda a: np.broadcast_to(a, (2, 0))),
    ("bid_empty_in", [(0,)], lambda x: lax.broadcast_in_dim(x, (3, 0), (1,)),
     lambda a: np.broadcast_to(a, (3, 0))),
    ("broadcast", [(2, 3)], lambda x: lax.broadcast(x, (4,)),
     lambda a: np.broadcast_to(a, (4, 2, 3))),
    ("broadcast_0d", [()], lambda x: lax.broadcast(x, (2, 0)),
     lambda a: np.broadcast_to(a, (2, 0))),
    ("broadcast_to_rank", [(3,)], lambda x: lax.broadcast_to_rank(x, 3),
     lambda a: a.reshape(1, 1, 3)),
    ("expand_dims", [(2, 3)], lambda x: lax.expand_dims(x, (0, -1)),
     lambda a: np.expand_dims(a, (0, -1))),
    ("expand_dims_0d", [()], lambda x: lax.expand_dims(x, (0,)),
     lambda a: a.reshape(1)),
    # reshape / transpose / squeeze / rev
    ("reshape", [(2, 3)], lambda x: lax.reshape(x, (3, 2)), lambda a: a.reshape(3, 2)),
    ("reshape_to_0d", [(1, 1)], lambda x: lax.reshape(x, ()), lambda a: a.reshape(())),
    ("reshape_from_0d", [()], lambda x: lax.reshape(x, (1, 1, 1)),
     lambda a: a.reshape(1, 1, 1)),
    ("reshape_empty", [(2, 0, 3)], lambda x: lax.reshape(x, (0, 5)),
     lambda a: a.reshape(0, 5)),
    ("reshape_dimensions", [(2, 3, 4)], lambda x: lax.reshape(x, (4, 6), (2, 0, 1)),
     lambda a: a.transpose(2, 0, 1).reshape(4, 6)),
    ("transpose", [(2, 3, 4)], lambda x: lax.transpose(x, (2, 0, 1)),
     lambda a: a.transpose(2, 0, 1)),
    ("transpose_empty", [(0, 3)], lambda x: lax.transpose(x, (1, 0)), lambda a: a.T),
    ("squeeze", [(1, 3, 1)], lambda x: lax.squeeze(x, (0, -1)), lambda a: a.reshape(3)),
    ("squeeze_to_0d", [(1,)], lambda x: lax.squeeze(x, (0,)), lambda a: a.reshape(())),
    ("squeeze_empty", [(0, 1)], lambda x: lax.squeeze(x, (1,)), lambda a: a.reshape(0)),
    ("rev", [(2, 3)], lambda x: lax.rev(x, (1,)), lambda a: np.flip(a, 1)),
    ("rev_all", [(2, 3, 2)], lambda x: lax.rev(x, (0, 2)), lambda a: np.flip(a, (0, 2))),
    ("rev_none_0d", [()], lambda x: lax.rev(x, ()), lambda a: a),
    ("rev_empty", [(0, 2)], lambda x: lax.rev(x, (0,)), lambda a: a),
    # pad: edges, interior, negative edges, 0-d and empty
    ("pad_edges", [(2, 3)],
     lambda x: lax.pad(x, pad_value(host(x)), [(1, 2, 0), (0, 1, 0)]),
     lambda a: np.pad(a, [(1, 2), (0, 1)], constant_values=pad_value(a))),
    ("pad_interior", [(2, 3)],
     lambda x: lax.pad(x, pad_value(host(x)), [(0, 0, 2), (1, 0, 1)]),
     lambda a: np_pad(a, pad_value(a), [(0, 0, 2), (1, 0, 1)])),
    ("pad_negative", [(4, 3)],
     lambda x: lax.pad(x, pad_value(host(x)), [(-1, -2, 0), (2, -1, 1)]),
     lambda a: np_pad(a, pad_value(a), [(-1, -2, 0), (2, -1, 1)])),
    ("pad_to_empty", [(2,)], lambda x: lax.pad(x, pad_value(host(x)), [(-1, -1, 0)]),
     lambda a: a[1:1]),
    ("pad_0d", [()], lambda x: lax.pad(x, pad_value(host(x)), []), lambda a: a),
    ("pad_empty", [(0, 2)],
     lambda x: lax.pad(x, pad_value(host(x)), [(1, 1, 3), (0, 0, 0)]),
     lambda a: np.full((2, 2), pad_value(a), a.dtype)),
    # concatenate
    ("concatenate_0", [(2, 3), (1, 3), (4, 3)], lambda *xs: lax.concatenate(xs, 0),
     lambda *a: np.concatenate(a, 0)),
    ("concatenate_neg", [(2, 3), (2, 1)], lambda *xs: lax.concatenate(xs, -1),
     lambda *a: np.concatenate(a, -1)),
    ("concatenate_empty", [(0, 3), (2, 3), (0, 3)], lambda *xs: lax.concatenate(xs, 0),
     lambda *a: np.concatenate(a, 0)),
    # slice / slice_in_dim / index_in_dim
    ("slice", [(4, 5)], lambda x: lax.slice(x, (1, 0), (3, 4)), lambda a: a[1:3, 0:4]),
    ("slice_strides", [(5, 7)], lambda x: lax.slice(x, (0, 1), (5, 7), (2, 3)),
     lambda a: a[0:5:2, 1:7:3]),
    ("slice_empty", [(4, 5)], lambda x: lax.slice(x, (2, 0), (2, 5)), lambda a: a[2:2]),
    ("slice_0d", [()], lambda x: lax.slice(x, (), ()), lambda a: a),
    ("slice_in_dim", [(4, 5)], lambda x: lax.slice_in_dim(x, 1, -1, 2, axis=1),
     lambda a: a[:, 1:-1:2]),
    ("slice_in_dim_none", [(4, 5)], lambda x: lax.slice_in_dim(x, None, None, 3),
     lambda a: a[::3]),
    ("index_in_dim", [(4, 5)], lambda x: lax.index_in_dim(x, -1, 1), lambda a: a[:, -1:]),
    ("index_in_dim_drop", [(4, 5)], lambda x: lax.index_in_dim(x, 2, 0, keepdims=False),
     lambda a: a[2]),
    # dynamic_slice: in range, negative (wraps), out of range (clamped)
    ("dynamic_slice", [(4, 5)], lambda x: lax.dynamic_slice(x, (1, 2), (2, 3)),
     lambda a: a[1:3, 2:5]),
    ("dynamic_slice_negative", [(4, 5)], lambda x: lax.dynamic_slice(x, (-2, -4), (2, 2)),
     lambda a: a[2:4, 1:3]),
    ("dynamic_slice_clamped", [(4, 5)], lambda x: lax.dynamic_slice(x, (3, 100), (2, 3)),
     lambda a: np_dynamic_slice(a, (3, 100), (2, 3))),
    ("dynamic_slice_clamped_low", [(4, 5)],
     lambda x: lax.dynamic_slice(x, (-100, -7), (3, 2)),
     lambda a: np_dynamic_slice(a, (-100, -7), (3, 2))),
    ("dynamic_slice_0d", [()], lambda x: lax.dynamic_slice(x, (), ()), lambda a: a),
    ("dynamic_slice_empty", [(0, 3)], lambda x: lax.dynamic_slice(x, (0, 5), (0, 2)),
     lambda a: a[:, 1:3]),
    ("dynamic_slice_in_dim", [(4, 5)],
     lambda x: lax.dynamic_slice_in_dim(x, 4, 3, axis=1), lambda a: a[:, 2:5]),
    ("dynamic_index_in_dim", [(4, 5)],
     lambda x: lax.dynamic_index_in_dim(x, -1, 0, keepdims=False), lambda a: a[-1]),
    # dynamic_update_slice
    ("dus", [(4, 5), (2, 3)], lambda x, u: lax.dynamic_update_slice(x, u, (1, 1)),
     lambda a, u: np_dynamic_update_slice(a, u, (1, 1))),
    ("dus_clamped", [(4, 5), (2, 3)],
     lambda x, u: lax.dynamic_update_slice(x, u, (10, -10)),
     lambda a, u: np_dynamic_update_slice(a, u, (10, -10))),
    ("dus_negative", [(4, 5), (1, 2)],
     lambda x, u: lax.dynamic_update_slice(x, u, (-1, -2)),
     lambda a, u: np_dynamic_update_slice(a, u, (3, 3))),
    ("dus_empty_update", [(4, 5), (0, 2)],
     lambda x, u: lax.dynamic_update_slice(x, u, (1, 1)), lambda a, u: a),
    ("dus_0d", [(), ()], lambda x, u: lax.dynamic_update_slice(x, u, ()),
     lambda a, u: u),
    ("dus_in_dim", [(4, 5), (4, 2)],
     lambda x, u: lax.dynamic_update_slice_in_dim(x, u, 1, axis=1),
     lambda a, u: np_dynamic_update_slice(a, u, (0, 1))),
    ("dus_index_in_dim", [(4, 5), (5,)],
     lambda x, u: lax.dynamic_update_index_in_dim(x, u, -1, 0),
     lambda a, u: np_dynamic_update_slice(a, u[None], (3, 0))),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_numpy(case, dtype):
  _, shapes, op, reference = case
  arrays = [make(s, dtype, offset=10 * i + 1) for i, s in enumerate(shapes)]
  out = op(*(morphax.device_put(a) for a in arrays))
  check(out, np.asarray(reference(*arrays)))


# --- Dynamic indices of other kinds ------------------------------------------

INDEX_CASES = [
    # (id, operand shape, start indices (host values), slice sizes)
    ("int8_wraps_past_127", (200,), [np.int8(-1)], (1,)),
    ("uint8", (4, 5), [np.uint8(1), np.uint8(9)], (2, 2)),
    ("mixed_types", (4, 5), [np.int32(3), np.uint8(1)], (2, 2)),
    ("numpy_1d_array", (4, 5), np.array([2, -1], np.int32), (1, 1)),
]


@pytest.mark.parametrize("case", INDEX_CASES, ids=[c[0] for c in INDEX_CASES])
def test_dynamic_slice_index_types(case):
  _, shape, starts, sizes = case
  a = make(shape, np.float32)
  out = lax.dynamic_slice(morphax.device_put(a), starts, sizes)
  check(out, np_dynamic_slice(a, [int(s) for s in starts], sizes))
  update = np.zeros(sizes, np.float32)
  out = lax.dynamic_update_slice(morphax.device_put(a), update, starts)
  check(out, np_dynamic_update_slice(a, update, [int(s) for s in starts]))


def test_dynamic_slice_device_indices():
  a = make((4, 5), np.int32)
  starts = morphax.device_put(np.array([3, -2], np.int32))
  check(lax.dynamic_slice(morphax.device_put(a), starts, (2, 2)),
        np_dynamic_slice(a, (3, -2), (2, 2)))
  i = morphax.device_put(np.int32(-3))
  check(lax.dynamic_index_in_dim(morphax.device_put(a), i, 1), a[:, 2:3])


# --- iota (no array operand) ---------------------------------------------------

IOTA_CASES = [
    ("int32", lambda: lax.iota(np.int32, 5), np.arange(5, dtype=np.int32)),
    ("float32", lambda: lax.iota(np.float32, 4), np.arange(4, dtype=np.float32)),
    ("bfloat16", lambda: lax.iota(ml_dtypes.bfloat16, 3),
     np.arange(3).astype(ml_dtypes.bfloat16)),
    ("uint8", lambda: lax.iota(np.uint8, 3), np.arange(3, dtype=np.uint8)),
    ("int64_canonical", lambda: lax.iota(np.int64, 3), np.arange(3, dtype=np.int32)),
    ("empty", lambda: lax.iota(np.int32, 0), np.arange(0, dtype=np.int32)),
    ("broadcasted_0", lambda: lax.broadcasted_iota(np.int32, (2, 3), 0),
     np.broadcast_to(np.arange(2, dtype=np.int32)[:, None], (2, 3))),
    ("broadcasted_neg", lambda: lax.broadcasted_iota(np.float32, (2, 3), -1),
     np.broadcast_to(np.arange(3, dtype=np.float32), (2, 3))),
    ("broadcasted_empty", lambda: lax.broadcasted_iota(np.int32, (0, 3), 1),
     np.zeros((0, 3), np.int32)),
]


@pytest.mark.parametrize("case", IOTA_CASES, ids=[c[0] for c in IOTA_CASES])
def test_iota(case):
  _, op, expected = case
  out = op()
  check(out, expected)
  assert not out.weak_type


# --- Weak types and no-ops ------------------------------------------------------

def weak_f32(shape):
  return lax.broadcast_in_dim(1.0, shape, ())


WEAK_CASES = [
    # (id, op, expected weak_type)
    ("bid_python_scalar", lambda: lax.broadcast_in_dim(2.0, (3,), ()), True),
    ("reshape_keeps", lambda: lax.reshape(weak_f32((2, 3)), (6,)), True),
    ("transpose_keeps", lambda: lax.transpose(weak_f32((2, 3)), (1, 0)), True),
    ("slice_keeps", lambda: lax.slice(weak_f32((4,)), (1,), (3,)), True),
    ("pad_weak_scalar", lambda: lax.pad(weak_f32((2,)), 0.0, [(1, 1, 0)]), True),
    ("pad_strong_value",
     lambda: lax.pad(weak_f32((2,)), np.float32(0), [(1, 1, 0)]), False),
    ("concatenate_mixed", lambda: lax.concatenate(
        [weak_f32((2,)), morphax.device_put(np.ones(2, np.float32))], 0), False),
    ("concatenate_weak", lambda: lax.concatenate([weak_f32((2,)), weak_f32((1,))], 0),
     True),
    ("dynamic_slice_keeps", lambda: lax.dynamic_slice(weak_f32((4,)), (1,), (2,)), True),
    ("dus_strong_update", lambda: lax.dynamic_update_slice(
        weak_f32((4,)), np.zeros(2, np.float32), (1,)), False),
]


@pytest.mark.parametrize("case", WEAK_CASES, ids=[c[0] for c in WEAK_CASES])
def test_weak_type(case):
  _, op, weak = case
  assert op().weak_type is weak


def test_pad_python_scalar_takes_operand_dtype():
  x = morphax.device_put(make((2,), ml_dtypes.bfloat16))
  check(lax.pad(x, 0.5, [(1, 0, 0)]),
        np.array([0.5, 1, 2], ml_dtypes.bfloat16))


NOOP_CASES = [
    ("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 3), (0, 1))),
    ("broadcast", lambda x: lax.broadcast(x, ())),
    ("broadcast_to_rank", lambda x: lax.broadcast_to_rank(x, 2)),
    ("reshape", lambda x: lax.reshape(x, (2, 3), (0, 1))),
    ("transpose", lambda x: lax.transpose(x, (0, 1))),
    ("squeeze", lambda x: lax.squeeze(x, ())),
    ("slice", lambda x: lax.slice(x, (0, 0), (2, 3), (1, 1))),
    ("concatenate", lambda x: lax.concatenate([x], 1)),
]


@pytest.mark.parametrize("case", NOOP_CASES, ids=[c[0] for c in NOOP_CASES])
def test_noop_returns_operand(case):
  x = morphax.device_put(make((2, 3), np.float32))
  assert case[1](x) is x


def test_noop_converts_numpy_operands():
  out = lax.reshape(np.ones((2, 3), np.float32), (2, 3))
  assert isinstance(out, morphax.Array)
  check(out, np.ones((2, 3), np.float32))


# --- Errors -------------------------------------------------------------------

x23 = lambda dtype=np.float32: morphax.device_put(make((2, 3), dtype))  # noqa: E731

ERROR_CASES = [
    # (id, call, exception, message regex)
    ("bid_sizes", lambda: lax.broadcast_in_dim(x23(), (2, 4), (0, 1)), TypeError,
     r"broadcast_in_dim: operand dimension sizes must be 1 or equal .* operand "
     r"shape \(2, 3\), target shape \(2, 4\)"),
    ("bid_dims_length", lambda: lax.broadcast_in_dim(x23(), (2, 3), (0,)), TypeError,
     r"broadcast_in_dim: broadcast_dimensions must give one target dimension per "
     r"operand dimension.*got broadcast_dimensions \(0,\) for operand shape \(2, 3\)"),
    ("bid_dims_order", lambda: lax.broadcast_in_dim(x23(), (3, 2), (1, 0)), TypeError,
     r"strictly increasing"),
    ("bid_dims_range", lambda: lax.broadcast_in_dim(x23(), (2, 3), (0, 2)), TypeError,
     r"below the target rank"),
    ("bid_negative", lambda: lax.broadcast_in_dim(x23(), (-2, 3), (0, 1)), ValueError,
     r"broadcast_in_dim: shape must be non-negative, got \(-2, 3\)"),
    ("bid_sharding", lambda: lax.broadcast_in_dim(x23(), (2, 3), (0, 1), out_sharding=1),
     NotImplementedError, r"broadcast_in_dim: out_sharding is not supported"),
    ("reshape_size", lambda: lax.reshape(x23(), (4,)), TypeError,
     re.escape("reshape: cannot reshape array of shape (2, 3) (size 6) into "
               "shape (4,) (size 4)")),
    ("reshape_negative", lambda: lax.reshape(x23(), (-1, 2)), ValueError,
     r"reshape: new_sizes must be non-negative, got \(-1, 2\)"),
    ("reshape_dimensions", lambda: lax.reshape(x23(), (3, 2), (0, 0)), TypeError,
     r"reshape: dimensions must be a permutation of the operand dimensions "
     r"\(0, 1\), got \(0, 0\)"),
    ("transpose_repeat", lambda: lax.transpose(x23(), (0, 0)), TypeError,
     r"transpose: permutation must be a permutation of the operand dimensions "
     r"\(0, 1\), got \(0, 0\) for operand shape \(2, 3\)"),
    ("transpose_short", lambda: lax.transpose(x23(), (0,)), TypeError,
     r"transpose: permutation must be a permutation"),
    ("transpose_not_ints", lambda: lax.transpose(x23(), (0.0, 1.0)), TypeError,
     r"transpose: permutation must be a sequence of integers"),
    ("squeeze_not_1", lambda: lax.squeeze(x23(), (0,)), ValueError,
     r"squeeze: can only remove dimensions of size 1, got dimensions \(0,\) of an "
     r"array of shape \(2, 3\) \(dimension 0 has size 2\)"),
    ("squeeze_range", lambda: lax.squeeze(x23(), (2,)), ValueError,
     r"squeeze: axis 2 is out of bounds for an array of rank 2"),
    ("expand_dims_repeat", lambda: lax.expand_dims(x23(), (0, 0)), ValueError,
     r"expand_dims: repeated axis"),
    ("rev_range", lambda: lax.rev(x23(), (2,)), ValueError,
     r"rev: axis 2 is out of bounds for an array of rank 2"),
    ("pad_config_length", lambda: lax.pad(x23(), 0.0, [(1, 1, 0)]), ValueError,
     r"pad: padding_config has 1 entries but the operand has shape \(2, 3\)"),
    ("pad_config_pairs", lambda: lax.pad(x23(), 0.0, [(1, 1), (0, 0)]), TypeError,
     r"pad: padding_config must be a sequence of \(low, high, interior\)"),
    ("pad_value_dtype",
     lambda: lax.pad(x23(), np.int32(0), [(1, 1, 0), (0, 0, 0)]), TypeError,
     r"pad: padding_value must have the operand's dtype, got operand dtype "
     r"float32 and padding_value dtype int32"),
    ("pad_value_shape",
     lambda: lax.pad(x23(), np.zeros(2, np.float32), [(1, 1, 0), (0, 0, 0)]),
     TypeError, r"pad: padding_value must be a scalar, got shape \(2,\)"),
    ("pad_interior", lambda: lax.pad(x23(), 0.0, [(0, 0, -1), (0, 0, 0)]), ValueError,
     r"pad: interior padding must be non-negative"),
    ("pad_too_negative", lambda: lax.pad(x23(), 0.0, [(-2, -1, 0), (0, 0, 0)]),
     ValueError, r"pad: padding_config .* gives result shape \(-1, 3\) for operand "
     r"shape \(2, 3\)"),
    ("concatenate_empty", lambda: lax.concatenate([], 0), ValueError,
     r"concatenate: needs at least one operand"),
    ("concatenate_rank",
     lambda: lax.concatenate([x23(), morphax.device_put(np.ones(3, np.float32))], 0),
     TypeError, r"concatenate: operands must have the same rank, got shapes "
     r"\(2, 3\), \(3,\)"),
    ("concatenate_shape",
     lambda: lax.concatenate([x23(), morphax.device_put(np.ones((2, 4), np.float32))], 0),
     TypeError, re.escape("concatenate: operands must have equal dimensions except "
                          "along axis 0, got shapes (2, 3) and (2, 4)")),
    ("concatenate_dtype", lambda: lax.concatenate([x23(), x23(np.int32)], 0),
     TypeError, r"concatenate: operands must have the same dtype, got float32, int32"),
    ("concatenate_axis", lambda: lax.concatenate([x23(), x23()], 2), ValueError,
     r"concatenate: axis 2 is out of bounds for an array of rank 2"),
    ("slice_limit", lambda: lax.slice(x23(), (0, 0), (3, 3)), ValueError,
     r"slice: need 0 <= start_indices <= limit_indices <= operand shape .* got "
     r"start_indices \(0, 0\), limit_indices \(3, 3\) for operand shape \(2, 3\)"),
    ("slice_reversed", lambda: lax.slice(x23(), (1, 0), (0, 3)), ValueError,
     r"slice: need 0 <= start_indices <= limit_indices"),
    ("slice_negative", lambda: lax.slice(x23(), (-1, 0), (2, 3)), ValueError,
     r"slice: need 0 <= start_indices"),
    ("slice_length", lambda: lax.slice(x23(), (0,), (2,)), TypeError,
     r"slice: start_indices \(0,\), limit_indices \(2,\) and strides \(1, 1\) "
     r"must each have one entry per dimension"),
    ("slice_strides", lambda: lax.slice(x23(), (0, 0), (2, 3), (0, 1)), ValueError,
     r"slice: strides must be positive, got \(0, 1\)"),
    ("slice_in_dim_range", lambda: lax.slice_in_dim(x23(), 0, 5, axis=1), ValueError,
     r"slice: need 0 <= start_indices"),
    ("index_in_dim_range", lambda: lax.index_in_dim(x23(), 2, 0), IndexError,
     r"index_in_dim: index 2 is out of bounds for axis 0 with size 2"),
    ("dynamic_slice_sizes", lambda: lax.dynamic_slice(x23(), (0, 0), (3, 1)),
     TypeError, r"dynamic_slice: slice_sizes \(3, 1\) must have one entry per "
     r"operand dimension, each at most the operand's size; operand shape is \(2, 3\)"),
    ("dynamic_slice_negative_size", lambda: lax.dynamic_slice(x23(), (0, 0), (-1, 1)),
     ValueError, r"dynamic_slice: slice_sizes must be non-negative"),
    ("dynamic_slice_count", lambda: lax.dynamic_slice(x23(), (0,), (1, 1)), TypeError,
     r"dynamic_slice: start indices must be one integer scalar per operand "
     r"dimension; got \['i32\[\]'\] for an operand of shape \(2, 3\)"),
    ("dynamic_slice_float_index", lambda: lax.dynamic_slice(x23(), (0.5, 0), (1, 1)),
     TypeError, r"dynamic_slice: start indices must be one integer scalar .* "
     r"got \['f32\[\]', 'i32\[\]'\]"),
    ("dynamic_slice_2d_indices",
     lambda: lax.dynamic_slice(x23(), np.zeros((1, 2), np.int32), (1, 1)),
     TypeError, r"dynamic_slice: start_indices must be a sequence of scalars or a "
     r"1-D array, got an array of shape \(1, 2\)"),
    ("dus_shape",
     lambda: lax.dynamic_update_slice(x23(), np.ones((3, 3), np.float32), (0, 0)),
     TypeError, r"dynamic_update_slice: update must have the operand's rank and fit "
     r"inside it, got update shape \(3, 3\) for operand shape \(2, 3\)"),
    ("dus_rank",
     lambda: lax.dynamic_update_slice(x23(), np.ones(3, np.float32), (0, 0)),
     TypeError, r"dynamic_update_slice: update must have the operand's rank"),
    ("dus_dtype",
     lambda: lax.dynamic_update_slice(x23(), np.ones((1, 1), np.int32), (0, 0)),
     TypeError, r"dynamic_update_slice: update must have the operand's dtype, got "
     r"operand dtype float32 and update dtype int32"),
    ("iota_bool", lambda: lax.iota(np.bool_, 3), TypeError,
     r"iota does not accept result dtype bool"),
    ("iota_negative", lambda: lax.iota(np.int32, -1), ValueError,
     r"iota: size must be non-negative, got \(-1,\)"),
    ("broadcasted_iota_dim", lambda: lax.broadcasted_iota(np.int32, (2, 3), 2),
     ValueError, r"broadcasted_iota: axis 2 is out of bounds for an array of rank 2"),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors(case):
  _, call, exception, message = case
  with pytest.raises(exception, match=message):
    call()


def test_abstract_eval_rejects_bad_params_on_direct_bind():
  """Rules check what the public functions normalize, for jaxpr-level binds."""
  x = x23()
  with pytest.raises(ValueError, match=r"rev: axis 5 is out of bounds"):
    shape_ops.rev_p.bind(x, dimensions=(5,))
  with pytest.raises(ValueError, match=r"iota: axis 1 is out of bounds"):
    shape_ops.iota_p.bind(dtype=np.dtype(np.int32), shape=(3,), dimension=1)
