"""Elementwise primitives (ops/elementwise.py) against numpy/scipy: values,
result dtypes and shapes, weak types, Python scalars and error messages.
"""

import collections

import ml_dtypes
import numpy as np
import pytest
import scipy.special

import morphax
from morphax import lax

PRIMITIVES_COVERED = {
    "add", "sub", "mul", "div", "rem", "pow", "integer_pow", "neg", "max",
    "min", "nextafter", "atan2", "abs", "sign", "floor", "ceil", "round",
    "is_finite", "exp", "exp2", "expm1", "log", "log1p", "logistic", "sqrt",
    "rsqrt", "cbrt", "square", "tan", "sin", "cos", "asin", "acos", "atan",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "erfc",
    "erf_inv", "lgamma", "digamma", "real", "imag", "conj", "complex",
    "stop_gradient",
}

bf16 = np.dtype(ml_dtypes.bfloat16)
f16, f32, c64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.complex64)
i32, u8, b = np.dtype(np.int32), np.dtype(np.uint8), np.dtype(np.bool_)

SHAPES = [(), (0,), (5,), (2, 3)]

# Input domains: (low, high) of the real part (and of the imaginary part of
# complex inputs); integers are drawn from small ranges.
DOMAINS = {
    "any": (-3.0, 3.0),
    "pos": (0.2, 3.0),
    "unit": (-0.9, 0.9),
    "gt1": (1.1, 3.0),
    "tan": (-1.2, 1.2),
    "nonzero": (0.5, 3.0),  # with a random sign
}


def sample(rng, domain, shape, dtype):
  if dtype == b:
    return rng.integers(0, 2, shape).astype(b)
  if np.issubdtype(dtype, np.integer):
    lo = 0 if np.issubdtype(dtype, np.unsignedinteger) else -20
    x = rng.integers(lo, 20, shape)
    if domain == "nonzero":
      x = np.where(x == 0, 3, x)
    return x.astype(dtype)
  lo, hi = DOMAINS[domain]
  def part():
    x = rng.uniform(lo, hi, shape)
    return x * rng.choice([-1, 1], shape) if domain == "nonzero" else x
  if np.issubdtype(dtype, np.complexfloating):
    return (part() + 1j * part()).astype(dtype)
  return part().astype(dtype)


def wide(dtype):
  """The dtype the numpy reference computes in."""
  if dtype == b or np.issubdtype(dtype, np.integer):
    return dtype
  if np.issubdtype(dtype, np.complexfloating):
    return np.dtype(np.complex128)
  return np.dtype(np.float64)


def tolerance(dtype, rtol):
  return {f16: 1e-2, bf16: 3e-2}.get(dtype, rtol)


def host(x):
  """The host value of Array `x`."""
  return np.asarray(x)


def _trunc_div(x, y):
  if np.issubdtype(x.dtype, np.integer):
    return (np.sign(x) * np.sign(y) * (np.abs(x) // np.abs(y))).astype(x.dtype)
  return x / y


def _round_afz(x):
  return np.sign(x) * np.floor(np.abs(x) + 0.5)


# A row: the op, its numpy reference (computed in float64/complex128 unless
# `native`, then in the input dtype), the dtypes to try (every shape for the
# first, one shape for the rest), an input domain per operand, the rtol
# (and atol) for float32, and the result dtype when it is not the input's.
Row = collections.namedtuple(
    "Row", "name op ref dtypes domains rtol out_dtype native",
    defaults=(1e-5, None, False))

FLOATS = [f32]
LOW = [f32, f16, bf16]
INEXACT = [f32, c64]
LOW_C = [f32, f16, bf16, c64]

ROWS = [
    Row("add", lax.add, np.add, [f32, c64, i32, u8, f16], ("any", "any")),
    Row("sub", lax.sub, np.subtract, [f32, c64, i32], ("any", "any")),
    Row("mul", lax.mul, np.multiply, [f32, c64, i32, bf16], ("any", "any")),
    Row("div", lax.div, _trunc_div, [f32, c64, i32, u8], ("any", "nonzero")),
    Row("rem", lax.rem, np.fmod, [f32, i32, u8], ("any", "nonzero")),
    Row("pow", lax.pow, np.power, INEXACT, ("pos", "any"), 1e-4),
    Row("neg", lax.neg, np.negative, [f32, c64, i32, u8], ("any",)),
    Row("stop_gradient", lax.stop_gradient, lambda x: x, [f32, c64, bf16], ("any",)),
    Row("max", lax.max, np.maximum, [f32, c64, i32, u8, b], ("any", "any")),
    Row("min", lax.min, np.minimum, [f32, c64, i32, u8, b], ("any", "any")),
    Row("nextafter", lax.nextafter, np.nextafter, [f32, f16], ("any", "any"), 0,
        native=True),
    Row("atan2", lax.atan2, np.arctan2, FLOATS, ("any", "any")),
    # numpy has no complex arctan2: its definition -i log((y + ix) / sqrt(x^2 + y^2)).
    Row("atan2", lax.atan2,
        lambda x, y: -1j * np.log((y + 1j * x) / np.sqrt(x * x + y * y)),
        [c64], ("any", "pos"), 1e-4),
    Row("abs", lax.abs, np.abs, [f32, c64, i32, bf16], ("any",)),
    Row("sign", lax.sign, np.sign, [f32, c64, i32, u8], ("any",)),
    Row("floor", lax.floor, np.floor, LOW, ("any",), 0),
    Row("ceil", lax.ceil, np.ceil, FLOATS, ("any",), 0),
    Row("round", lax.round, _round_afz, FLOATS, ("any",), 0),
    Row("is_finite", lax.is_finite, np.isfinite, [f32, f16], ("any",), 0, b),
    Row("exp", lax.exp, np.exp, LOW_C, ("any",)),
    Row("exp2", lax.exp2, np.exp2, INEXACT, ("any",)),
    Row("expm1", lax.expm1, np.expm1, INEXACT, ("any",)),
    Row("log", lax.log, np.log, LOW_C, ("pos",)),
    Row("log1p", lax.log1p, np.log1p, INEXACT, ("pos",)),
    Row("logistic", lax.logistic, lambda x: 1 / (1 + np.exp(-x)), INEXACT,
        ("any",)),
    Row("sqrt", lax.sqrt, np.sqrt, LOW_C, ("pos",)),
    Row("rsqrt", lax.rsqrt, lambda x: 1 / np.sqrt(x), INEXACT, ("pos",)),
    Row("cbrt", lax.cbrt, np.cbrt, FLOATS, ("any",)),
    Row("square", lax.square, np.square, [f32, c64, i32], ("any",)),
    Row("sin", lax.sin, np.sin, LOW_C, ("any",)),
    Row("cos", lax.cos, np.cos, INEXACT, ("any",)),
    Row("tan", lax.tan, np.tan, INEXACT, ("tan",), 1e-4),
    Row("asin", lax.asin, np.arcsin, INEXACT, ("unit",), 1e-4),
    Row("acos", lax.acos, np.arccos, INEXACT, ("unit",), 1e-4),
    Row("atan", lax.atan, np.arctan, INEXACT, ("any",), 1e-4),
    Row("sinh", lax.sinh, np.sinh, INEXACT, ("any",), 1e-4),
    Row("cosh", lax.cosh, np.cosh, INEXACT, ("any",), 1e-4),
    Row("tanh", lax.tanh, np.tanh, LOW_C, ("any",), 1e-4),
    Row("asinh", lax.asinh, np.arcsinh, INEXACT, ("any",), 1e-4),
    Row("acosh", lax.acosh, np.arccosh, INEXACT, ("gt1",), 1e-4),
    Row("atanh", lax.atanh, np.arctanh, INEXACT, ("unit",), 1e-4),
    Row("erf", lax.erf, scipy.special.erf, [f32, f16], ("any",), 1e-4),
    Row("erfc", lax.erfc, scipy.special.erfc, FLOATS, ("any",), 1e-4),
    Row("erf_inv", lax.erf_inv, scipy.special.erfinv, FLOATS, ("unit",), 1e-4),
    Row("lgamma", lax.lgamma, scipy.special.gammaln, FLOATS, ("pos",), 1e-4),
    Row("digamma", lax.digamma, scipy.special.digamma, FLOATS, ("pos",), 1e-4),
    Row("real", lax.real, np.real, [c64], ("any",), 0, f32),
    Row("imag", lax.imag, np.imag, [c64], ("any",), 0, f32),
    Row("conj", lax.conj, lambda x: np.conj(x.astype(np.complex128)),
        [c64, f32], ("any",), 0, c64),
    Row("complex", lax.complex, lambda x, y: x + 1j * y, [f32], ("any", "any"),
        0, c64),
]


def _out_dtype(row, dtype):
  if row.out_dtype is not None:
    return row.out_dtype
  if row.name == "abs" and dtype == c64:
    return f32
  return dtype


def _check(row, dtype, args_np):
  out = row.op(*map(morphax.device_put, args_np))
  expected_dtype = _out_dtype(row, dtype)
  assert out.dtype == expected_dtype, (row.name, out.dtype, expected_dtype)
  assert out.shape == args_np[0].shape
  assert not out.weak_type
  ref_dtype = dtype if row.native else wide(dtype)
  expected = row.ref(*(a.astype(ref_dtype) for a in args_np))
  got = host(out)
  if expected_dtype == b or np.issubdtype(expected_dtype, np.integer):
    np.testing.assert_array_equal(got, np.asarray(expected).astype(expected_dtype))
  else:
    rtol = tolerance(dtype, row.rtol)
    np.testing.assert_allclose(got.astype(wide(expected_dtype)), expected,
                               rtol=rtol, atol=rtol)


@pytest.mark.parametrize(
    "row,dtype",
    [(row, dtype) for row in ROWS for dtype in row.dtypes],
    ids=lambda v: getattr(v, "name", None) or str(v))
def test_against_numpy(row, dtype):
  rng = np.random.default_rng(0)
  # Every shape for the row's first dtype; one shape for the others.
  shapes = SHAPES if dtype == row.dtypes[0] else [(2, 3)]
  for shape in shapes:
    _check(row, dtype, [sample(rng, d, shape, dtype) for d in row.domains])


def test_rows_cover_every_primitive_of_the_module():
  from morphax.ops import elementwise
  names = {n[:-2] for n in dir(elementwise) if n.endswith("_p")}
  assert names == PRIMITIVES_COVERED == {row.name for row in ROWS} | {"integer_pow"}


# --- Exact values at the edges ----------------------------------------------

def test_integer_div_and_rem_truncate_toward_zero():
  x = morphax.device_put(np.array([-7, 7, -7, 7, 0], np.int32))
  y = morphax.device_put(np.array([2, -2, -2, 2, 5], np.int32))
  np.testing.assert_array_equal(np.asarray(lax.div(x, y)), [-3, -3, 3, 3, 0])
  np.testing.assert_array_equal(np.asarray(lax.rem(x, y)), [-1, 1, -1, 1, 0])
  xf = morphax.device_put(np.array([-7.5, 7.5], np.float32))
  np.testing.assert_array_equal(np.asarray(lax.rem(xf, 2.0)), [-1.5, 1.5])


@pytest.mark.parametrize("method,expected", [
    (lax.RoundingMethod.AWAY_FROM_ZERO, [1, 2, 3, -1, -3, 0, 2]),
    (lax.RoundingMethod.TO_NEAREST_EVEN, [0, 2, 2, -0, -2, 0, 2]),
    (1, [0, 2, 2, -0, -2, 0, 2]),
])
def test_round_ties(method, expected):
  x = morphax.device_put(np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.4, 1.6], np.float32))
  np.testing.assert_array_equal(np.asarray(lax.round(x, method)), expected)
  assert lax.RoundingMethod.AWAY_FROM_ZERO == 0
  assert lax.RoundingMethod.TO_NEAREST_EVEN == 1


def test_round_rejects_unknown_method():
  with pytest.raises(ValueError, match=r"round: rounding_method must be a "
                     r"lax.RoundingMethod .* got 2"):
    lax.round(morphax.device_put(np.float32(1.5)), 2)


def test_is_finite_and_minmax_nan():
  x = morphax.device_put(np.array([1.0, np.inf, -np.inf, np.nan], np.float32))
  np.testing.assert_array_equal(np.asarray(lax.is_finite(x)),
                                [True, False, False, False])
  y = morphax.device_put(np.array([np.nan, 0.0, 0.0, 1.0], np.float32))
  np.testing.assert_array_equal(np.asarray(lax.max(x, y)),
                                [np.nan, np.inf, 0.0, np.nan])
  np.testing.assert_array_equal(np.asarray(lax.min(x, y)),
                                [np.nan, 0.0, -np.inf, np.nan])


def test_sign_special_values():
  x = morphax.device_put(np.array([0.0, -0.0, np.nan, -2.0], np.float32))
  out = np.asarray(lax.sign(x))
  np.testing.assert_array_equal(out, [0.0, -0.0, np.nan, -1.0])
  u = morphax.device_put(np.array([0, 1, 255], np.uint8))
  np.testing.assert_array_equal(np.asarray(lax.sign(u)), [0, 1, 1])


@pytest.mark.parametrize("dtype,y", [
    (f32, 0), (f32, 1), (f32, 2), (f32, 3), (f32, 7), (f32, -1), (f32, -4),
    (i32, 3), (u8, 2), (c64, 2), (c64, -3), (f16, 5),
])
def test_integer_pow(dtype, y):
  rng = np.random.default_rng(1)
  for shape in [(), (0,), (2, 3)] if y == 3 else [(2, 3)]:
    x = sample(rng, "nonzero", shape, dtype)
    if np.issubdtype(dtype, np.integer):
      x = x % 6
    out = lax.integer_pow(morphax.device_put(x), y)
    assert out.dtype == dtype and out.shape == shape
    w = wide(dtype)
    expected = x.astype(w) ** y if y >= 0 else 1 / x.astype(w) ** -y
    if np.issubdtype(dtype, np.integer):
      np.testing.assert_array_equal(np.asarray(out), expected.astype(dtype))
    else:
      rtol = tolerance(dtype, 1e-5)
      np.testing.assert_allclose(host(out).astype(w), expected, rtol=rtol)


def test_pow_integer_exponent_array():
  x = morphax.device_put(np.array([2.0, -3.0, 0.5], np.float32))
  y = morphax.device_put(np.array([3, 2, -2], np.int32))
  out = lax.pow(x, y)
  assert out.dtype == f32
  np.testing.assert_allclose(np.asarray(out), [8.0, 9.0, 4.0], rtol=1e-6)
  np.testing.assert_allclose(np.asarray(lax.pow(x, 2)), [4.0, 9.0, 0.25])


def test_nextafter_steps_one_ulp():
  x = morphax.device_put(np.array([1.0, 1.0, 0.0], np.float32))
  y = morphax.device_put(np.array([2.0, 0.0, 1.0], np.float32))
  np.testing.assert_array_equal(
      np.asarray(lax.nextafter(x, y)),
      np.nextafter(np.asarray(x), np.asarray(y)))


# --- Weak types and Python scalars ------------------------------------------

def test_two_weak_scalars_give_weak():
  out = lax.add(1.0, 2.0)
  assert out.weak_type and out.dtype == f32 and float(np.asarray(out)) == 3.0
  w = morphax.device_put(2.0)
  assert lax.mul(w, w).weak_type
  assert lax.sin(w).weak_type


def test_weak_and_strong_give_strong():
  w = morphax.device_put(2.0)
  s = morphax.device_put(np.float32(3.0))
  out = lax.add(w, s)
  assert not out.weak_type and out.dtype == f32
  assert float(np.asarray(out)) == 5.0


def test_python_scalar_takes_the_array_dtype():
  x = morphax.device_put(np.array([1.0, 2.0], np.float16))
  out = lax.add(x, 1.0)
  assert out.dtype == f16 and not out.weak_type
  np.testing.assert_array_equal(np.asarray(out), [2.0, 3.0])
  out = lax.sub(3, morphax.device_put(np.array([1, 5], np.int32)))
  assert out.dtype == i32
  np.testing.assert_array_equal(np.asarray(out), [2, -2])


def test_weak_array_and_python_scalar_stay_weak():
  assert lax.mul(morphax.device_put(2.0), 3.0).weak_type


def test_dtype_changing_ops_keep_weak_type():
  z = morphax.device_put(3 + 4j)
  assert z.weak_type
  for op in (lax.abs, lax.real, lax.imag):
    out = op(z)
    assert out.dtype == f32 and out.weak_type
  assert float(np.asarray(lax.abs(z))) == 5.0
  out = lax.complex(1.0, 2.0)
  assert out.dtype == c64 and out.weak_type
  assert complex(np.asarray(out)) == 1 + 2j
  assert not lax.is_finite(morphax.device_put(1.0)).weak_type


# --- Error messages ----------------------------------------------------------

F32 = morphax.device_put(np.ones(3, np.float32))
I32 = morphax.device_put(np.ones(3, np.int32))


@pytest.mark.parametrize("op,args,error,match", [
    (lax.sin, ("i32",), TypeError,
     r"sin does not accept argument dtype int32; accepted dtypes: floating, complex"),
    (lax.floor, ("c64",), TypeError,
     r"floor does not accept argument dtype complex64; accepted dtypes: floating"),
    (lax.abs, ("u8",), TypeError,
     r"abs does not accept argument dtype uint8; accepted dtypes: signed integer"),
    (lax.rem, ("c64", "c64"), TypeError, r"rem does not accept argument dtype complex64"),
    (lax.real, ("f32",), TypeError, r"real does not accept argument dtype float32"),
    (lax.complex, ("f16", "f16"), TypeError,
     r"complex does not accept argument dtype float16; accepted dtypes: float32 or float64"),
    (lax.neg, ("bool",), TypeError, r"neg does not accept argument dtype bool"),
    (lax.add, ("f32", "i32"), TypeError,
     r"add requires arguments to have the same dtype, got float32, int32"),
    (lax.max, ("f32", "f32_2"), TypeError,
     r"max requires arguments to have the same shape, got \(3,\), \(2,\)"),
    (lax.pow, ("i32", "i32"), TypeError,
     r"pow does not accept base dtype int32; accepted dtypes: floating, complex"),
    (lax.pow, ("f32", "f16"), TypeError,
     r"pow: the base must have an inexact dtype .* got float32 and float16"),
    (lax.pow, ("f32", "f32_2"), TypeError,
     r"pow requires arguments to have the same shape, got \(3,\) and \(2,\)"),
])
def test_error_messages(op, args, error, match):
  values = {
      "f32": np.ones(3, np.float32), "f32_2": np.ones(2, np.float32),
      "i32": np.ones(3, np.int32), "u8": np.ones(3, np.uint8),
      "c64": np.ones(3, np.complex64), "f16": np.ones(3, np.float16),
      "bool": np.ones(3, np.bool_),
  }
  with pytest.raises(error, match=match):
    op(*(morphax.device_put(values[a]) for a in args))


def test_integer_pow_errors():
  with pytest.raises(TypeError, match=r"integer_pow: integers cannot be raised "
                     r"to negative powers, got integer_pow\(i32\[3\], -2\)"):
    lax.integer_pow(I32, -2)
  with pytest.raises(TypeError, match=r"integer_pow: exponent y must be a "
                     r"Python int, got float 2.5"):
    lax.integer_pow(F32, 2.5)
  with pytest.raises(TypeError, match=r"integer_pow does not accept argument "
                     r"dtype bool"):
    lax.integer_pow(morphax.device_put(np.ones(2, np.bool_)), 2)
