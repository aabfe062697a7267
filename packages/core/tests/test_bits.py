"""Tests for ops/bits.py: comparisons, logical/bitwise ops, shifts,
population_count and clz against numpy and Python-loop references.
"""

import ml_dtypes
import numpy as np
import pytest

import morphax
from morphax import lax

PRIMITIVES_COVERED = {"eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor",
                      "not", "shift_left", "shift_right_arithmetic",
                      "shift_right_logical", "population_count", "clz"}

bf16 = np.dtype(ml_dtypes.bfloat16)
SHAPES = [(), (0,), (7,), (2, 3)]
INTS = [np.int8, np.int16, np.int32, np.uint8, np.uint32]


def host(out):
  """The host value of an Array."""
  return np.asarray(out)


def sample(dtype, shape, seed=0):
  rng = np.random.default_rng(seed)
  dtype = np.dtype(dtype)
  if dtype == np.bool_:
    return rng.random(shape) < 0.5
  if dtype.kind in "iu":
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
  if dtype.kind == "c":
    return (rng.integers(-2, 3, shape) + 1j * rng.integers(-2, 3, shape)).astype(dtype)
  # Halve before casting: numpy 2.0 promotes bfloat16 / int to float32.
  return (rng.integers(-3, 4, shape) / 2).astype(np.float32).astype(dtype)


def sample_pair(dtype, shape, seed=0):
  """Two operands equal in about a third of their elements (so eq/le/ge
  see ties); floats also get a NaN."""
  x, y = sample(dtype, shape, seed), sample(dtype, shape, seed + 100)
  y = np.where(np.random.default_rng(seed).random(shape) < 0.35, x, y).astype(dtype)
  if np.dtype(dtype).kind == "f" or np.dtype(dtype) == bf16:
    if x.size:
      x.reshape(-1)[0] = np.nan
  return x, y


def check(out, expected, dtype, shape):
  assert out.dtype == np.dtype(dtype)
  assert out.shape == tuple(shape)
  value = host(out)
  assert value.dtype == np.dtype(dtype)
  np.testing.assert_array_equal(value, np.asarray(expected, dtype))


def put(*xs):
  return [morphax.device_put(x) for x in xs]


# --- Comparisons ---------------------------------------------------------------

COMPARISONS = [(lax.eq, np.equal), (lax.ne, np.not_equal), (lax.lt, np.less),
               (lax.le, np.less_equal), (lax.gt, np.greater),
               (lax.ge, np.greater_equal)]
ORDERED_DTYPES = [np.bool_, np.int8, np.int32, np.uint8, np.uint32, np.float32, bf16]

COMPARE_ROWS = [
    (op, ref, dtype, SHAPES[(i + j) % len(SHAPES)])
    for i, (op, ref) in enumerate(COMPARISONS)
    for j, dtype in enumerate(ORDERED_DTYPES)
] + [(op, ref, np.complex64, (7,)) for op, ref in COMPARISONS[:2]]


@pytest.mark.parametrize("op, ref, dtype, shape", COMPARE_ROWS)
def test_comparisons_match_numpy(op, ref, dtype, shape):
  x, y = sample_pair(dtype, shape, seed=len(shape))
  expected = ref(x.astype(np.float32) if dtype == bf16 else x,
                 y.astype(np.float32) if dtype == bf16 else y)
  out = op(*put(x, y))
  check(out, expected, np.bool_, shape)
  assert not out.weak_type


@pytest.mark.parametrize("op, ref", COMPARISONS)
def test_comparisons_use_each_dtypes_order(op, ref):
  # Signed vs unsigned order differs for the same bits; floats order -0 == 0
  # and make every comparison with NaN false except ne.
  cases = [
      (np.array([-1, 1, -128, 127], np.int8), np.array([1, -1, 0, -128], np.int8)),
      (np.array([255, 1, 128, 0], np.uint8), np.array([1, 255, 127, 0], np.uint8)),
      (np.array([-0.0, np.nan, np.inf, 1.0], np.float32),
       np.array([0.0, np.nan, 1.0, np.nan], np.float32)),
  ]
  for x, y in cases:
    check(op(*put(x, y)), ref(x, y), np.bool_, x.shape)


def test_comparisons_with_python_scalars():
  x = morphax.device_put(np.array([1, 2, 3], np.int8))
  check(lax.lt(x, 2), [True, False, False], np.bool_, (3,))
  check(lax.eq(2.0, morphax.device_put(np.array([2.0, 1.0], bf16))), [True, False],
        np.bool_, (2,))
  out = lax.ge(2, 1)
  assert (out.dtype, out.weak_type, host(out)) == (np.bool_, False, True)


# --- Logical and bitwise ops ---------------------------------------------------

BITWISE = [(lax.bitwise_and, np.bitwise_and), (lax.bitwise_or, np.bitwise_or),
           (lax.bitwise_xor, np.bitwise_xor)]
BITWISE_DTYPES = [np.bool_, np.int8, np.int32, np.uint8, np.uint32]

BITWISE_ROWS = [
    (op, ref, dtype, SHAPES[(i + j) % len(SHAPES)])
    for i, (op, ref) in enumerate(BITWISE)
    for j, dtype in enumerate(BITWISE_DTYPES)
]


@pytest.mark.parametrize("op, ref, dtype, shape", BITWISE_ROWS)
def test_bitwise_binary_ops_match_numpy(op, ref, dtype, shape):
  x, y = sample(dtype, shape, 1), sample(dtype, shape, 2)
  check(op(*put(x, y)), ref(x, y), dtype, shape)


@pytest.mark.parametrize("dtype, shape", list(zip(BITWISE_DTYPES, SHAPES + [(7,)])))
def test_bitwise_not_matches_numpy(dtype, shape):
  x = sample(dtype, shape, 3)
  check(lax.bitwise_not(*put(x)), np.invert(x), dtype, shape)


def test_bitwise_weak_types():
  out = lax.bitwise_and(6, 3)
  assert (out.dtype, out.weak_type, host(out)) == (np.int32, True, 2)
  out = lax.bitwise_xor(morphax.device_put(np.array([0xF0], np.uint8)), 0xFF)
  assert (out.dtype, out.weak_type) == (np.uint8, False)
  check(out, [0x0F], np.uint8, (1,))
  out = lax.bitwise_not(morphax.device_put(True))
  assert (out.dtype, out.weak_type, host(out)) == (np.bool_, False, False)


# --- Shifts --------------------------------------------------------------------

def _unsigned(dtype):
  return np.dtype(f"u{np.dtype(dtype).itemsize}")


def _signed(dtype):
  return np.dtype(f"i{np.dtype(dtype).itemsize}")


def shift_left_ref(x, s):
  # The amount is read as unsigned: negative or >= bits shifts everything out.
  bits = 8 * x.dtype.itemsize
  valid = s.astype(_unsigned(s.dtype)) < bits
  return np.where(valid, np.left_shift(x, np.where(valid, s, 0)), 0).astype(x.dtype)


def shift_right_logical_ref(x, s):
  bits = 8 * x.dtype.itemsize
  u = x.view(_unsigned(x.dtype))
  valid = s.astype(_unsigned(s.dtype)) < bits
  shifted = np.right_shift(u, np.where(valid, s, 0).astype(u.dtype))
  return np.where(valid, shifted, 0).astype(u.dtype).view(x.dtype)


def shift_right_arithmetic_ref(x, s):
  # Sign fill from the top bit, for unsigned dtypes too; big shifts saturate.
  bits = 8 * x.dtype.itemsize
  amount = np.minimum(s.astype(_unsigned(s.dtype)), bits - 1)
  signed = x.view(_signed(x.dtype))
  return np.right_shift(signed, amount.astype(signed.dtype)).view(x.dtype)


SHIFTS = [(lax.shift_left, shift_left_ref),
          (lax.shift_right_logical, shift_right_logical_ref),
          (lax.shift_right_arithmetic, shift_right_arithmetic_ref)]

SHIFT_ROWS = [
    (op, ref, dtype, SHAPES[(i + j) % len(SHAPES)])
    for i, (op, ref) in enumerate(SHIFTS)
    for j, dtype in enumerate(INTS)
]


@pytest.mark.parametrize("op, ref, dtype, shape", SHIFT_ROWS)
def test_shifts_match_numpy(op, ref, dtype, shape):
  x = sample(dtype, shape, 4)
  bits = 8 * np.dtype(dtype).itemsize
  # Amounts in range, at and past the bit width, and (for signed) negative.
  low = -3 if np.dtype(dtype).kind == "i" else 0
  high = min(bits + 3, np.iinfo(dtype).max)
  s = np.random.default_rng(5).integers(low, high, size=shape).astype(dtype)
  check(op(*put(x, s)), ref(x, s), dtype, shape)


@pytest.mark.parametrize("op, x, s, expected", [
    (lax.shift_left, [1, -1, 3, 3, 3], [7, 1, 8, 9, -1], [-128, -2, 0, 0, 0]),
    (lax.shift_right_logical, [-128, -1, -1, -1], [1, 7, 8, -1], [64, 1, 0, 0]),
    (lax.shift_right_arithmetic, [-128, -1, -128, 64, 64],
     [1, 7, 8, 100, -1], [-64, -1, -1, 0, 0]),
])
def test_shifts_out_of_range_int8(op, x, s, expected):
  x, s = np.array(x, np.int8), np.array(s, np.int8)
  check(op(*put(x, s)), expected, np.int8, x.shape)


def test_shift_right_arithmetic_fills_sign_bit_of_unsigned():
  x = np.array([0x80, 0x40, 0xFF], np.uint8)
  s = np.array([1, 1, 200], np.uint8)
  check(lax.shift_right_arithmetic(*put(x, s)), [0xC0, 0x20, 0xFF], np.uint8, (3,))


def test_shifts_with_python_scalars():
  out = lax.shift_left(morphax.device_put(np.array([1, 2], np.uint8)), 3)
  check(out, [8, 16], np.uint8, (2,))
  out = lax.shift_right_logical(-8, 1)
  assert (out.dtype, out.weak_type, host(out)) == (np.int32, True, 2**31 - 4)


# --- Bit counts ----------------------------------------------------------------

def popcount_ref(x):
  mask = (1 << (8 * x.dtype.itemsize)) - 1
  return np.array([bin(int(v) & mask).count("1") for v in x.reshape(-1)],
                  x.dtype).reshape(x.shape)


def clz_ref(x):
  bits = 8 * x.dtype.itemsize
  mask = (1 << bits) - 1
  return np.array([bits - (int(v) & mask).bit_length() for v in x.reshape(-1)],
                  x.dtype).reshape(x.shape)


BIT_COUNT_ROWS = [
    (op, ref, dtype, SHAPES[(i + j) % len(SHAPES)])
    for i, (op, ref) in enumerate([(lax.population_count, popcount_ref),
                                   (lax.clz, clz_ref)])
    for j, dtype in enumerate(INTS)
]


@pytest.mark.parametrize("op, ref, dtype, shape", BIT_COUNT_ROWS)
def test_bit_counts_match_python(op, ref, dtype, shape):
  x = sample(dtype, shape, 6)
  check(op(*put(x)), ref(x), dtype, shape)


@pytest.mark.parametrize("dtype", [np.int8, np.uint32])
def test_bit_counts_edge_values(dtype):
  info = np.iinfo(dtype)
  x = np.array([0, 1, info.max, info.min, -1 if info.min else info.max - 1], dtype)
  check(lax.population_count(*put(x)), popcount_ref(x), dtype, (5,))
  check(lax.clz(*put(x)), clz_ref(x), dtype, (5,))


# --- Errors --------------------------------------------------------------------

@pytest.mark.parametrize("op, args, match", [
    (lax.lt, (np.zeros(2, np.complex64),) * 2,
     "lt does not accept argument dtype complex64; accepted dtypes: bool, "
     "integer, floating"),
    (lax.eq, (np.zeros(2, np.int32), np.zeros(2, np.float32)),
     "eq requires arguments to have the same dtype, got int32, float32"),
    (lax.ne, (np.zeros(2, np.int32), np.zeros(3, np.int32)),
     r"ne requires arguments to have the same shape, got \(2,\), \(3,\)"),
    (lax.bitwise_and, (np.zeros(2, np.float32),) * 2,
     "and does not accept argument dtype float32; accepted dtypes: bool, integer"),
    (lax.bitwise_not, (np.zeros(2, np.float32),),
     "not does not accept argument dtype float32; accepted dtypes: bool, integer"),
    (lax.bitwise_or, (np.zeros(2, np.int8), np.zeros(2, np.uint8)),
     "or requires arguments to have the same dtype, got int8, uint8"),
    (lax.shift_left, (np.zeros(2, np.bool_),) * 2,
     "shift_left does not accept argument dtype bool; accepted dtypes: integer"),
    (lax.shift_right_logical, (np.zeros(2, np.int32), np.zeros(2, np.uint32)),
     "shift_right_logical requires arguments to have the same dtype, got int32, uint32"),
    (lax.shift_right_arithmetic, (np.zeros(2, np.float32),) * 2,
     "shift_right_arithmetic does not accept argument dtype float32"),
    (lax.population_count, (np.zeros(2, np.bool_),),
     "population_count does not accept argument dtype bool; accepted dtypes: integer"),
    (lax.clz, (np.zeros(2, np.float32),),
     "clz does not accept argument dtype float32; accepted dtypes: integer"),
])
def test_errors(op, args, match):
  with pytest.raises(TypeError, match=match):
    op(*put(*args))
