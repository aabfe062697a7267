"""Tests for ops/convert.py: convert_element_type, bitcast_convert_type,
reduce_precision, select_n and clamp against numpy references.
"""

import ml_dtypes
import numpy as np
import pytest

import morphax
from morphax import lax

PRIMITIVES_COVERED = {"convert_element_type", "bitcast_convert_type",
                      "reduce_precision", "select_n", "clamp"}

bf16 = np.dtype(ml_dtypes.bfloat16)
SHAPES = [(), (0,), (7,), (2, 3)]


def host(out):
  """The host value of an Array."""
  return np.asarray(out)


def sample(dtype, shape, seed=0):
  """Random values of `dtype` that cover signs, zeros and fractions."""
  rng = np.random.default_rng(seed)
  dtype = np.dtype(dtype)
  if dtype == np.bool_:
    return rng.random(shape) < 0.5
  if dtype.kind in "iu":
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
  if dtype.kind == "c":
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
  return (rng.standard_normal(shape) * 4).astype(dtype)


def check(out, expected, dtype, shape):
  assert out.dtype == np.dtype(dtype)
  assert out.shape == tuple(shape)
  value = host(out)
  assert value.dtype == np.dtype(dtype)
  np.testing.assert_array_equal(value, np.asarray(expected, dtype))


# --- convert_element_type ----------------------------------------------------

# (from, to): values in range, so numpy's astype is the reference.
CONVERT_PAIRS = [
    (np.float32, np.int32), (np.float32, np.int8), (np.float32, np.uint8),
    (np.float32, bf16), (np.float32, np.float16), (bf16, np.float32),
    (np.int32, np.float32), (np.uint32, np.float32), (np.int8, np.int32),
    (np.int32, np.int8), (np.uint8, np.int8), (np.int32, np.uint32),
    (np.bool_, np.float32), (np.bool_, np.int32), (np.int32, np.bool_),
    (np.float32, np.bool_), (np.uint8, np.bool_), (bf16, np.int32),
]


def _in_range(x, to):
  to = np.dtype(to)
  if to.kind in "iu" and np.dtype(x.dtype).kind == "f":
    info = np.iinfo(to)
    return np.clip(x.astype(np.float32), info.min, info.max).astype(x.dtype)
  return x


@pytest.mark.parametrize("i, pair", list(enumerate(CONVERT_PAIRS)))
def test_convert_element_type_matches_numpy(i, pair):
  src, dst = pair
  shape = SHAPES[i % len(SHAPES)]
  x = _in_range(sample(src, shape, seed=i), dst)
  if np.dtype(dst).kind in "iu" and np.dtype(src).kind == "f":
    expected = np.trunc(x.astype(np.float32)).astype(dst)
  else:
    expected = x.astype(dst)
  out = lax.convert_element_type(morphax.device_put(x), dst)
  check(out, expected, dst, shape)
  assert not out.weak_type


NAN_INF = np.array([np.nan, np.inf, -np.inf, 3e9, -3e9, -1.5, -0.5, 0.5, 2.7],
                   np.float32)

# NB: XLA saturates float -> int: NaN -> 0, +-inf and out-of-range values to
# the integer's max/min, negatives to 0 for unsigned. JAX gives the same
# (it lowers to the same stablehlo.convert); numpy's astype does not (NaN
# becomes INT_MIN with a RuntimeWarning), so these rows spell the answer out.
CONVERT_ROWS = [
    # (values, from, to, expected)
    (NAN_INF, np.float32, np.int32,
     [0, 2**31 - 1, -2**31, 2**31 - 1, -2**31, -1, 0, 0, 2]),
    (NAN_INF, np.float32, np.int8, [0, 127, -128, 127, -128, -1, 0, 0, 2]),
    (NAN_INF, np.float32, np.uint8, [0, 255, 0, 255, 0, 0, 0, 0, 2]),
    (NAN_INF, np.float32, np.uint32, [0, 2**32 - 1, 0, 3000000000, 0, 0, 0, 0, 2]),
    (NAN_INF, np.float32, np.bool_, [True] * 9),
    # (Subnormals are left out: XLA's CPU backend flushes them to zero.)
    ([0.0, -0.0, 1e-30], np.float32, np.bool_, [False, False, True]),
    ([0, 1, -3, 200], np.int32, np.bool_, [False, True, True, True]),
    ([0, 1, -3, 200], np.int32, np.int8, [0, 1, -3, -56]),  # wraps
    ([0, 1, -3, 200], np.int32, np.uint8, [0, 1, 253, 200]),
    ([2**24 + 1, -(2**31)], np.int32, np.float32, [2.0**24, -(2.0**31)]),
    ([1.00390625, 65520.0], np.float32, bf16, [1.0, 65536.0]),  # round to even
    ([65520.0, 1e-8], np.float32, np.float16, [np.inf, 0.0]),
]


@pytest.mark.parametrize("values, src, dst, expected", CONVERT_ROWS)
def test_convert_element_type_rows(values, src, dst, expected):
  x = np.asarray(values, src)
  out = lax.convert_element_type(morphax.device_put(x), dst)
  check(out, expected, dst, x.shape)


@pytest.mark.parametrize("dst, expected", [
    (np.float32, [1.0, 0.0, -2.0]),
    (np.int32, [1, 0, -2]),
    # NB: complex -> bool tests the real part, as JAX's lax does (numpy's
    # astype(bool) would say True for 1j).
    (np.bool_, [True, False, True]),
])
def test_convert_complex_to_real_takes_real_part(dst, expected):
  x = morphax.device_put(np.array([1 + 2j, 1j, -2 - 1j], np.complex64))
  with pytest.warns(np.exceptions.ComplexWarning, match="discards the imaginary part"):
    out = lax.convert_element_type(x, dst)
  check(out, expected, dst, (3,))


def test_convert_real_to_complex():
  x = np.array([1.5, -2.0], np.float32)
  out = lax.convert_element_type(morphax.device_put(x), np.complex64)
  check(out, x.astype(np.complex64), np.complex64, (2,))


def test_convert_element_type_weak_types():
  x = morphax.device_put(np.array([1.5, -2.0], np.float32))
  assert lax.convert_element_type(x, np.float32) is x
  weak = lax._convert_element_type(x, weak_type=True)
  assert weak.weak_type and weak.dtype == np.float32
  assert lax._convert_element_type(weak, np.float32, weak_type=True) is weak
  strong = lax.convert_element_type(weak, np.float32)
  assert not strong.weak_type
  np.testing.assert_array_equal(host(strong), host(x))
  # A Python scalar becomes a strong array of the target dtype.
  out = lax.convert_element_type(3.7, np.int32)
  assert (out.dtype, out.weak_type, host(out)) == (np.int32, False, 3)
  out = lax._convert_element_type(1.5, np.float16, weak_type=True)
  assert (out.dtype, out.weak_type) == (np.float16, True)
  # Weak bool does not exist.
  assert not lax._convert_element_type(x, np.bool_, weak_type=True).weak_type


def test_convert_element_type_canonicalizes_and_takes_big_ints():
  x = morphax.device_put(np.array([1, 2], np.int32))
  expected = np.float64 if morphax.config.jax_enable_x64 else np.float32
  assert lax.convert_element_type(x, np.float64).dtype == expected
  assert lax.convert_element_type(x, float).dtype == expected
  out = lax.convert_element_type(2**40, np.float32)
  assert host(out) == np.float32(2.0**40)


def test_convert_element_type_rejects_unsupported_dtypes():
  x = morphax.device_put(np.array([1.0], np.float32))
  with pytest.raises(TypeError, match="dtype str32 is not supported by morphax; supported dtypes are bool"):
    lax.convert_element_type(x, np.dtype("U1"))


# --- bitcast_convert_type ----------------------------------------------------

BITCAST_ROWS = [
    # (from, to, operand shape, result shape)
    (np.float32, np.uint32, (7,), (7,)),
    (np.float32, np.int32, (), ()),
    (np.int8, np.uint8, (2, 3), (2, 3)),
    (bf16, np.int16, (0,), (0,)),
    (np.float32, np.int8, (2, 3), (2, 3, 4)),
    (np.float32, np.uint8, (), (4,)),
    (np.int32, bf16, (7,), (7, 2)),
    (np.uint8, np.float32, (2, 4), (2,)),
    (np.uint8, np.int32, (0, 4), (0,)),
    (np.int16, np.float32, (3, 2), (3,)),
    (bf16, np.uint32, (2,), ()),
    (np.bool_, np.bool_, (3,), (3,)),
]


def _as_bits(a):
  a = np.asarray(a)
  if a.dtype.kind in "fV" or a.dtype == bf16:
    return a.view(np.dtype(f"u{a.dtype.itemsize}"))
  return a


@pytest.mark.parametrize("src, dst, shape, out_shape", BITCAST_ROWS)
def test_bitcast_convert_type_matches_numpy_view(src, dst, shape, out_shape):
  bits = sample(np.dtype(f"u{np.dtype(src).itemsize}") if src != np.bool_ else src,
                shape, seed=len(shape))
  x = bits.view(src)
  expected = np.ascontiguousarray(x).reshape(-1).view(dst).reshape(out_shape)
  out = lax.bitcast_convert_type(morphax.device_put(x), dst)
  assert (out.dtype, out.shape, out.weak_type) == (np.dtype(dst), out_shape, False)
  np.testing.assert_array_equal(_as_bits(host(out)), _as_bits(expected))


@pytest.mark.parametrize("src, dst, shape, exc, match", [
    (np.bool_, np.int8, (3,), TypeError,
     r"bitcast_convert_type: bool and complex operands can only be bitcast to their own dtype, got bool -> int8"),
    (np.float32, np.bool_, (3,), TypeError, r"got float32 -> bool"),
    (np.complex64, np.float32, (3,), TypeError, r"got complex64 -> float32"),
    (np.uint8, np.float32, (3,), ValueError,
     r"bitcast_convert_type: converting uint8 \(8 bits\) to float32 \(32 bits\) needs a trailing "
     r"dimension of size 4, got an operand of shape \(3,\)"),
    (np.uint8, np.uint16, (), ValueError, r"needs a trailing dimension of size 2, "
     r"got an operand of shape \(\)"),
])
def test_bitcast_convert_type_errors(src, dst, shape, exc, match):
  x = morphax.device_put(np.zeros(shape, src))
  with pytest.raises(exc, match=match):
    lax.bitcast_convert_type(x, dst)


# --- reduce_precision --------------------------------------------------------

RP_VALUES = np.array([1.0, -2.5, 1e-3, 7e4, 1.00390625, 3.14159, 65504.0,
                      65520.0, np.inf, -np.inf, np.nan, 0.0, 1e-39],
                     np.float32)


def _round_trip(x, dtype):
  with np.errstate(over="ignore"):
    return x.astype(dtype).astype(x.dtype)


@pytest.mark.parametrize("dtype, exponent_bits, mantissa_bits, values, expected", [
    # Rounding to bfloat16's format is a round trip through bfloat16.
    (np.float32, 8, 7, RP_VALUES, _round_trip(RP_VALUES, bf16)),
    # float16's format, for values in its normal range or beyond it.
    (np.float32, 5, 10, RP_VALUES[:-1], _round_trip(RP_VALUES[:-1], np.float16)),
    # NB: values below the target's smallest normal flush to zero (XLA's
    # reduce_precision has no subnormals; JAX gives the same), where a float16
    # round trip would keep 1e-6 as a subnormal.
    (np.float32, 5, 10, [1e-6, -3e-5, 6.2e-5], [0.0, -0.0, 6.198883e-05]),
    (np.float32, 8, 23, RP_VALUES, RP_VALUES),
    (bf16, 5, 2, [1.0, 1.125, 1.375, 70000.0], [1.0, 1.0, 1.5, np.inf]),
    (np.float16, 5, 10, [1.0, 0.333], [1.0, 0.333]),
])
def test_reduce_precision(dtype, exponent_bits, mantissa_bits, values, expected):
  x = np.asarray(values, dtype)
  out = lax.reduce_precision(morphax.device_put(x), exponent_bits, mantissa_bits)
  check(out, expected, dtype, x.shape)


def test_reduce_precision_keeps_weak_type_and_empty_shapes():
  out = lax.reduce_precision(0.1, 8, 7)
  assert out.weak_type and out.dtype == np.float32
  out = lax.reduce_precision(morphax.device_put(np.zeros((0, 2), np.float32)), 5, 10)
  assert out.shape == (0, 2)


@pytest.mark.parametrize("operand, exponent_bits, mantissa_bits, exc, match", [
    (np.array([1], np.int32), 8, 7, TypeError,
     "reduce_precision does not accept argument dtype int32; accepted dtypes: floating"),
    (np.array([1j], np.complex64), 8, 7, TypeError,
     "reduce_precision does not accept argument dtype complex64"),
    (np.array([1.0], np.float32), 0, 7, ValueError,
     "reduce_precision: exponent_bits must be at least 1, got 0"),
    (np.array([1.0], np.float32), 8, -1, ValueError,
     "reduce_precision: mantissa_bits must be non-negative, got -1"),
    (np.array([1.0], np.float32), 8.0, 7, TypeError,
     "reduce_precision: exponent_bits must be an integer, got float 8.0"),
])
def test_reduce_precision_errors(operand, exponent_bits, mantissa_bits, exc, match):
  with pytest.raises(exc, match=match):
    lax.reduce_precision(morphax.device_put(operand), exponent_bits, mantissa_bits)


# --- select_n ----------------------------------------------------------------

SELECT_ROWS = [
    # (which dtype, number of cases, which shape, case shape, case dtype)
    (np.bool_, 2, (7,), (7,), np.float32),
    (np.bool_, 2, (), (2, 3), np.int8),
    (np.bool_, 1, (2, 3), (2, 3), np.float32),
    (np.bool_, 2, (0,), (0,), bf16),
    (np.int32, 1, (7,), (7,), np.float32),
    (np.int32, 2, (2, 3), (2, 3), np.bool_),
    (np.int32, 3, (7,), (7,), np.uint32),
    (np.int32, 5, (2, 3), (2, 3), np.float32),
    (np.int32, 4, (), (7,), bf16),
    (np.int32, 3, (), (), np.int32),
    (np.int32, 3, (0,), (0,), np.float32),
]


@pytest.mark.parametrize("which_dtype, n, which_shape, shape, dtype", SELECT_ROWS)
def test_select_n_matches_numpy(which_dtype, n, which_shape, shape, dtype):
  rng = np.random.default_rng(n)
  which = rng.integers(0, n, size=which_shape).astype(which_dtype)
  cases = [sample(dtype, shape, seed=k) for k in range(n)]
  expected = np.choose(np.broadcast_to(which.astype(np.int32), shape), cases)
  out = lax.select_n(morphax.device_put(which), *map(morphax.device_put, cases))
  check(out, expected, dtype, shape)
  assert not out.weak_type


def test_select_n_weak_types_and_scalar_cases():
  x = morphax.device_put(np.array([1.0, 2.0, 3.0], np.float16))
  which = morphax.device_put(np.array([True, False, True]))
  # Python scalar cases take the dtype and shape of the array cases.
  out = lax.select_n(which, x, 0.0)
  check(out, [0.0, 2.0, 0.0], np.float16, (3,))
  assert not out.weak_type
  out = lax.select_n(True, 1.0, 2.0)
  assert (out.dtype, out.weak_type, host(out)) == (np.float32, True, 2.0)


@pytest.mark.parametrize("which, cases, exc, match", [
    (np.zeros(3, np.float32), [np.zeros(3), np.ones(3)], TypeError,
     r"select_n: `which` must be bool or int32, got float32"),
    (np.zeros(3, np.int8), [np.zeros(3), np.ones(3)], TypeError,
     r"select_n: `which` must be bool or int32, got int8"),
    (np.zeros(3, np.bool_), [np.zeros(3)] * 3, TypeError,
     r"select_n: a bool `which` selects between 2 cases, got 3"),
    (np.zeros(3, np.bool_), [np.zeros((2, 3)), np.ones((2, 3))], TypeError,
     r"select_n: `which` must be a scalar or have the cases' shape \(2, 3\), "
     r"got shape \(3,\)"),
    (np.zeros((), np.int32), [np.zeros(3), np.ones(4)], TypeError,
     r"select_n: cases must have the same shape, got \(3,\), \(4,\)"),
    (np.zeros((), np.int32), [np.zeros(3, np.float32), np.ones(3, np.int32)],
     TypeError, r"select_n: cases must have the same dtype, got float32, int32"),
    (np.zeros((), np.int32), [], ValueError,
     r"select_n: at least one case is required, got none"),
])
def test_select_n_errors(which, cases, exc, match):
  with pytest.raises(exc, match=match):
    lax.select_n(morphax.device_put(which), *map(morphax.device_put, cases))


# --- clamp -------------------------------------------------------------------

CLAMP_ROWS = [
    # (dtype, shape, scalar bounds?)
    (np.float32, (7,), True),
    (np.float32, (2, 3), False),
    (np.int32, (), True),
    (np.uint8, (0,), False),
    (np.int8, (2, 3), True),
    (bf16, (7,), False),
    (np.bool_, (7,), False),
]


@pytest.mark.parametrize("dtype, shape, scalar_bounds", CLAMP_ROWS)
def test_clamp_matches_numpy(dtype, shape, scalar_bounds):
  x = sample(dtype, shape, seed=1)
  bound_shape = () if scalar_bounds else shape
  lo, hi = np.sort(np.stack([sample(dtype, bound_shape, seed=2),
                             sample(dtype, bound_shape, seed=3)]), axis=0)
  expected = np.minimum(np.maximum(x, lo), hi)
  out = lax.clamp(*map(morphax.device_put, (lo, x, hi)))
  check(out, expected, dtype, shape)


@pytest.mark.parametrize("lo, values, hi, expected", [
    # NaN passes through; with min > max the result is max, as in
    # min(max(x, min), max).
    (0.0, [np.nan, -1.0, 0.5, 2.0], 1.0, [np.nan, 0.0, 0.5, 1.0]),
    (2.0, [np.nan, -1.0, 5.0], 1.0, [np.nan, 1.0, 1.0]),
])
def test_clamp_rows(lo, values, hi, expected):
  out = lax.clamp(lo, morphax.device_put(np.asarray(values, np.float32)), hi)
  check(out, expected, np.float32, (len(values),))


def test_clamp_scalar_bounds_take_operand_dtype_and_weak_types():
  x = morphax.device_put(np.array([-1.0, 0.5, 3.0], bf16))
  out = lax.clamp(0.0, x, 1.0)
  check(out, [0.0, 0.5, 1.0], bf16, (3,))
  assert not out.weak_type
  out = lax.clamp(0.0, 0.5, 1.0)
  assert (out.dtype, out.weak_type, host(out)) == (np.float32, True, 0.5)
  out = lax.clamp(morphax.device_put(np.int8(0)), 7, 5)
  assert (out.dtype, out.weak_type, host(out)) == (np.int8, False, 5)


@pytest.mark.parametrize("lo, x, hi, match", [
    (np.zeros(3, np.float32), np.zeros((2, 3), np.float32), np.float32(1),
     r"clamp: min must be a scalar or have the operand's shape \(2, 3\), got shape \(3,\)"),
    (np.float32(0), np.zeros((2, 3), np.float32), np.ones((3, 2), np.float32),
     r"clamp: max must be a scalar or have the operand's shape \(2, 3\), got shape \(3, 2\)"),
    (np.int32(0), np.zeros(3, np.float32), np.float32(1),
     r"clamp: min, x and max must have the same dtype, got int32, float32 and float32"),
    (np.complex64(0), np.zeros(3, np.complex64), np.complex64(1),
     r"clamp does not accept argument dtype complex64"),
])
def test_clamp_errors(lo, x, hi, match):
  with pytest.raises(TypeError, match=match):
    lax.clamp(*map(morphax.device_put, (lo, x, hi)))
