"""morphax.numpy elementwise functions against numpy: values, dtypes (JAX's
promotion: integers become float32 where NumPy gives float64) and
broadcast shapes, including 0-d and empty arrays."""

import hypothesis
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import ml_dtypes
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp

bf16 = np.dtype(ml_dtypes.bfloat16)
f16, f32, c64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.complex64)
i8, i32, u8, u32 = (np.dtype(t) for t in (np.int8, np.int32, np.uint8, np.uint32))
b1 = np.dtype(np.bool_)

SHAPES = [(), (0,), (2, 3)]
RTOL = {f16: 1e-2, bf16: 3e-2, f32: 2e-5, c64: 2e-5}


def _values(rng, shape, dtype, domain="any"):
  """Random values of `dtype` in a domain where the op is defined."""
  if dtype == b1:
    return rng.random(shape) < 0.5
  if dtype.kind in "iu":
    lo, hi = {"any": (-9, 10), "positive": (1, 10), "small": (0, 6),
              "nonzero": (1, 10), "shift": (0, 7), "unit": (-1, 2),
              "ge1": (1, 10)}[domain]
    if dtype.kind == "u":
      lo = max(lo, 0)
    out = rng.integers(lo, hi, shape).astype(dtype)
    if domain == "nonzero" and dtype.kind == "i":
      out = out * rng.choice(np.array([-1, 1], dtype), shape)
    return out
  lo, hi = {"any": (-3, 3), "positive": (0.1, 4), "small": (0, 3),
            "unit": (-0.9, 0.9), "ge1": (1, 4), "nonzero": (0.5, 3)}[domain]
  x = rng.uniform(lo, hi, shape)
  if domain == "nonzero":
    x = x * rng.choice([-1, 1], shape)
  if dtype.kind == "c":
    x = x + 1j * rng.uniform(lo, hi, shape)
  return x.astype(dtype)


def _np_compute(dtype):
  """numpy computes 16-bit floats in float32 (bfloat16 lacks ufuncs)."""
  return f32 if dtype in (f16, bf16) else dtype


def _out_dtype(kind, dtype):
  if kind == "same":
    return dtype
  if kind == "bool":
    return b1
  if kind == "inexact":
    return f32 if dtype.kind in "biu" else dtype
  if kind == "real":
    return f32 if dtype == c64 else dtype
  raise ValueError(kind)


def _assert_close(out, expected, dtype):
  assert out.dtype == dtype, (out.dtype, dtype)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  got = np.asarray(out)
  if dtype.kind in "biu":
    np.testing.assert_array_equal(got, expected.astype(dtype))
  else:
    got = got.astype(np.complex128 if dtype.kind == "c" else np.float64)
    np.testing.assert_allclose(got, np.asarray(expected).astype(got.dtype),
                               rtol=RTOL[dtype], atol=RTOL[dtype], equal_nan=True)


# (name, numpy reference, result dtype kind, dtypes (the first also gets
# every shape), value domain)
UNARY = [
    ("negative", np.negative, "same", [f32, i32, i8, c64], "any"),
    ("positive", np.positive, "same", [i32, f32], "any"),
    ("abs", np.abs, "real", [f32, i32, u8, c64, bf16], "any"),
    ("absolute", np.absolute, "real", [i8], "any"),
    ("sign", np.sign, "same", [f32, i32, u32], "any"),
    ("exp", np.exp, "inexact", [f32, i32, f16, c64], "any"),
    ("exp2", np.exp2, "inexact", [f32, i32], "any"),
    ("expm1", np.expm1, "inexact", [f32], "any"),
    ("log", np.log, "inexact", [f32, i32, bf16, c64], "positive"),
    ("log2", np.log2, "inexact", [f32, i32], "positive"),
    ("log10", np.log10, "inexact", [f32], "positive"),
    ("log1p", np.log1p, "inexact", [f32], "positive"),
    ("sqrt", np.sqrt, "inexact", [f32, i32, c64], "positive"),
    ("cbrt", np.cbrt, "inexact", [f32], "any"),
    ("square", np.square, "same", [f32, i32, c64], "any"),
    ("reciprocal", lambda x: np.reciprocal(x.astype(f32) if x.dtype.kind in "iub" else x),
     "inexact", [f32, i32], "nonzero"),
    ("sin", np.sin, "inexact", [f32, i32, f16], "any"),
    ("cos", np.cos, "inexact", [f32], "any"),
    ("tan", np.tan, "inexact", [f32], "unit"),
    ("arcsin", np.arcsin, "inexact", [f32], "unit"),
    ("arccos", np.arccos, "inexact", [f32], "unit"),
    ("arctan", np.arctan, "inexact", [f32], "any"),
    ("sinh", np.sinh, "inexact", [f32], "any"),
    ("cosh", np.cosh, "inexact", [f32], "any"),
    ("tanh", np.tanh, "inexact", [f32, c64], "any"),
    ("arcsinh", np.arcsinh, "inexact", [f32], "any"),
    ("arccosh", np.arccosh, "inexact", [f32], "ge1"),
    ("arctanh", np.arctanh, "inexact", [f32], "unit"),
    ("floor", np.floor, "same", [f32, i32, f16], "any"),
    ("ceil", np.ceil, "same", [f32, i32], "any"),
    ("trunc", np.trunc, "same", [f32, i32], "any"),
    ("rint", np.rint, "inexact", [f32, i32, c64], "any"),
    ("round", np.round, "same", [f32, i32, c64], "any"),
    ("around", np.around, "same", [f32], "any"),
    ("isfinite", np.isfinite, "bool", [f32, i32, c64], "any"),
    ("isnan", np.isnan, "bool", [f32, i32], "any"),
    ("isinf", np.isinf, "bool", [f32, u8], "any"),
    ("logical_not", np.logical_not, "bool", [b1, f32, i32], "any"),
    ("bitwise_not", np.bitwise_not, "same", [i32, u8, b1], "any"),
    ("invert", np.invert, "same", [i8], "any"),
    ("real", np.real, "real", [c64, f32], "any"),
    ("imag", np.imag, "real", [c64, i32], "any"),
    ("conj", np.conj, "same", [c64, f32], "any"),
    ("conjugate", np.conjugate, "same", [c64], "any"),
]


def _unary_cases():
  for name, np_fn, kind, dtypes, domain in UNARY:
    for shape in SHAPES:
      yield pytest.param(name, np_fn, kind, dtypes[0], shape, domain,
                         id=f"{name}-{dtypes[0]}-{shape}")
    for dtype in dtypes[1:]:
      yield pytest.param(name, np_fn, kind, dtype, (5,), domain,
                         id=f"{name}-{dtype}-(5,)")


@pytest.mark.parametrize("name, np_fn, kind, dtype, shape, domain", list(_unary_cases()))
def test_unary(name, np_fn, kind, dtype, shape, domain):
  rng = np.random.default_rng(0)
  x = _values(rng, shape, dtype, domain)
  out = getattr(jnp, name)(morphax.device_put(x))
  expected = np_fn(x.astype(_np_compute(dtype)))
  _assert_close(out, np.asarray(expected), _out_dtype(kind, dtype))


def test_special_values():
  x = np.array([np.nan, np.inf, -np.inf, 0.0, -1.5, 2.5, 0.5], np.float32)
  xj = morphax.device_put(x)
  for name in ("isnan", "isinf", "isfinite", "floor", "ceil", "trunc", "rint",
               "round", "sign", "abs", "negative"):
    _assert_close(getattr(jnp, name)(xj), getattr(np, name)(x),
                  b1 if name.startswith("is") else f32)
  z = np.array([complex(np.nan, 0), complex(0, np.inf), 1 + 1j], np.complex64)
  for name in ("isnan", "isinf", "isfinite"):
    _assert_close(getattr(jnp, name)(morphax.device_put(z)), getattr(np, name)(z), b1)


@pytest.mark.parametrize("x, decimals", [
    (np.array([1.234, -5.678, 0.5, 1.5, 2.5], np.float32), 1),
    (np.array([1234.0, -5678.0, 150.0], np.float32), -2),
    (np.array([15, 25, -35, 44, 46], np.int32), -1),
    (np.array([1234, -5678], np.int32), 2),
    (np.array([1.25 + 2.35j], np.complex64), 1),
    (np.array([0.125, 1.375], np.float16), 2),
])
def test_round_decimals(x, decimals):
  out = jnp.round(morphax.device_put(x), decimals)
  _assert_close(out, np.round(x.astype(_np_compute(x.dtype)), decimals), x.dtype)


# (name, numpy reference, result dtype kind, dtypes, domain of x2)
BINARY = [
    ("add", np.add, "same", [f32, i32, u8, c64, b1, bf16], "any"),
    ("subtract", np.subtract, "same", [f32, i32, c64, f16], "any"),
    ("multiply", np.multiply, "same", [f32, i32, b1, c64], "any"),
    ("divide", np.divide, "inexact", [f32, i32, c64], "nonzero"),
    ("true_divide", np.true_divide, "inexact", [i8], "nonzero"),
    ("floor_divide", np.floor_divide, "same", [f32, i32, u8, i8], "nonzero"),
    ("remainder", np.remainder, "same", [f32, i32, u32], "nonzero"),
    ("mod", np.mod, "same", [i8], "nonzero"),
    ("fmod", np.fmod, "same", [f32, i32], "nonzero"),
    ("power", np.power, "same", [f32, i32, u8], "small"),
    ("maximum", np.maximum, "same", [f32, i32, b1], "any"),
    ("minimum", np.minimum, "same", [f32, u8, b1], "any"),
    ("arctan2", np.arctan2, "inexact", [f32, i32], "any"),
    ("logical_and", np.logical_and, "bool", [b1, f32, i32], "any"),
    ("logical_or", np.logical_or, "bool", [b1, i32], "any"),
    ("logical_xor", np.logical_xor, "bool", [b1, f32], "any"),
    ("bitwise_and", np.bitwise_and, "same", [i32, u8, b1], "any"),
    ("bitwise_or", np.bitwise_or, "same", [i32, b1], "any"),
    ("bitwise_xor", np.bitwise_xor, "same", [u32, b1], "any"),
    ("left_shift", np.left_shift, "same", [i32, u8], "shift"),
    ("right_shift", np.right_shift, "same", [i32, u8], "shift"),
    ("equal", np.equal, "bool", [f32, i32, c64, b1], "any"),
    ("not_equal", np.not_equal, "bool", [f32, i32], "any"),
    ("less", np.less, "bool", [f32, u8], "any"),
    ("less_equal", np.less_equal, "bool", [i32], "any"),
    ("greater", np.greater, "bool", [f32], "any"),
    ("greater_equal", np.greater_equal, "bool", [i8], "any"),
]
BINARY_SHAPES = [((2, 3), (2, 3)), ((), ()), ((2, 3), (3,)), ((4, 1), (1, 3)),
                 ((0, 3), (1, 3)), ((), (2, 1))]


def _binary_cases():
  for name, np_fn, kind, dtypes, domain in BINARY:
    for shapes in BINARY_SHAPES:
      yield pytest.param(name, np_fn, kind, dtypes[0], shapes, domain,
                         id=f"{name}-{dtypes[0]}-{shapes}")
    for dtype in dtypes[1:]:
      yield pytest.param(name, np_fn, kind, dtype, ((2, 3), (2, 3)), domain,
                         id=f"{name}-{dtype}")


@pytest.mark.parametrize("name, np_fn, kind, dtype, shapes, domain", list(_binary_cases()))
def test_binary(name, np_fn, kind, dtype, shapes, domain):
  rng = np.random.default_rng(1)
  x1 = _values(rng, shapes[0], dtype, "any" if domain != "small" else "positive")
  x2 = _values(rng, shapes[1], dtype, domain)
  out = getattr(jnp, name)(morphax.device_put(x1), morphax.device_put(x2))
  c = _np_compute(dtype)
  expected = np.asarray(np_fn(x1.astype(c), x2.astype(c)))
  if dtype == b1 and name in ("add", "multiply"):
    expected = expected.astype(b1)
  _assert_close(out, expected, _out_dtype(kind, dtype))


@pytest.mark.parametrize("x1, x2", [
    (np.array([7, -7, 7, -7, 0], np.int32), np.array([2, 2, -2, -2, 3], np.int32)),
    (np.array([7.5, -7.5, 7.5, -7.5, 0.0, 1.0], np.float32),
     np.array([2.0, 2.0, -2.0, -2.0, 3.0, 0.1], np.float32)),
])
def test_floor_divide_and_remainder_signs(x1, x2):
  a, b = morphax.device_put(x1), morphax.device_put(x2)
  _assert_close(jnp.floor_divide(a, b), np.floor_divide(x1, x2), x1.dtype)
  _assert_close(jnp.remainder(a, b), np.remainder(x1, x2), x1.dtype)
  q, r = jnp.divmod(a, b)
  _assert_close(q, np.floor_divide(x1, x2), x1.dtype)
  _assert_close(r, np.remainder(x1, x2), x1.dtype)


def test_float_division_by_zero_follows_numpy():
  x1 = np.array([1.0, -1.0, 0.0], np.float32)
  x2 = np.zeros(3, np.float32)
  with np.errstate(divide="ignore", invalid="ignore"):
    _assert_close(jnp.floor_divide(x1, x2), np.floor_divide(x1, x2), f32)
    _assert_close(jnp.remainder(x1, x2), np.remainder(x1, x2), f32)


@pytest.mark.parametrize("x1, x2, dtype, weak", [
    (np.arange(-3, 4, dtype=np.int32), 3, i32, False),
    (np.arange(-3, 4, dtype=np.int8), 2, i8, False),
    (np.arange(5, dtype=np.float32), 2, f32, False),
    (np.arange(5, dtype=np.float32), 0.5, f32, False),
    (2, np.arange(6, dtype=np.int32), i32, False),
    (np.int32(-2), np.arange(8, dtype=np.int32), i32, False),
    (np.arange(4, dtype=np.float16), 3, f16, False),
    (3, 2, i32, True),
    (2.0, 3, f32, True),
    (np.array([1, 2], np.int32), np.array([2.0, 0.5], np.float32), f32, False),
])
def test_power(x1, x2, dtype, weak):
  out = jnp.power(x1, x2)
  assert out.weak_type == weak
  ref = np.power(np.asarray(x1).astype(_np_compute(np.dtype(dtype))),
                 np.asarray(x2).astype(_np_compute(np.dtype(dtype))))
  _assert_close(out, np.asarray(ref), np.dtype(dtype))


@pytest.mark.parametrize("x1, x2, dtype, weak", [
    (np.ones(3, np.int8), 2, i8, False),
    (np.ones(3, np.float16), 2.5, f16, False),
    (np.ones(3, np.int32), 2.5, f32, False),
    (2, 3.5, f32, True),
    (True, 2, i32, True),
    (np.ones(2, np.uint8), np.ones(2, np.int8), np.dtype(np.int16), False),
])
def test_binary_promotion(x1, x2, dtype, weak):
  out = jnp.add(x1, x2)
  assert out.dtype == dtype and out.weak_type == weak
  np.testing.assert_allclose(np.asarray(out), np.add(x1, x2))


def test_scalar_broadcasts_against_array():
  x = np.arange(6, dtype=np.float32).reshape(2, 3)
  _assert_close(jnp.maximum(x, 2), np.maximum(x, 2), f32)
  _assert_close(jnp.less(1.5, x), np.less(1.5, x), b1)
  _assert_close(jnp.where(x > 2, x, 0), np.where(x > 2, x, 0), f32)


@hypothesis.given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0,
                                                    max_dims=3, max_side=3),
                  st.sampled_from(["add", "multiply", "maximum", "less"]))
def test_broadcasting_matches_numpy(shapes, name):
  rng = np.random.default_rng(2)
  x1 = rng.standard_normal(shapes.input_shapes[0]).astype(np.float32)
  x2 = rng.standard_normal(shapes.input_shapes[1]).astype(np.float32)
  out = getattr(jnp, name)(x1, morphax.device_put(x2))
  expected = getattr(np, name)(x1, x2)
  assert out.shape == shapes.result_shape == expected.shape
  np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6)


@hypothesis.given(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0,
                                                    max_dims=3, max_side=2))
def test_where_broadcasting_matches_numpy(shapes):
  rng = np.random.default_rng(3)
  c = rng.random(shapes.input_shapes[0]) < 0.5
  x = rng.standard_normal(shapes.input_shapes[1]).astype(np.float32)
  y = rng.integers(0, 5, shapes.input_shapes[2]).astype(np.int32)
  out = jnp.where(c, x, y)
  expected = np.where(c, x, y)
  assert out.shape == expected.shape and out.dtype == f32
  np.testing.assert_allclose(np.asarray(out), expected)


# --- Errors --------------------------------------------------------------------

@pytest.mark.parametrize("fn, args, error, match", [
    (jnp.add, ({}, 1), TypeError,
     "add requires ndarray or scalar arguments, got dict at position 0"),
    (jnp.multiply, (1, [1, 2]), TypeError,
     "multiply requires ndarray or scalar arguments, got list at position 1"),
    (jnp.sin, ("a",), TypeError, "sin requires ndarray or scalar arguments, got str"),
    (jnp.add, (np.ones(3), np.ones(4)), ValueError,
     r"add: shapes \(3,\) and \(4,\) cannot be broadcast together"),
    (jnp.arctan2, (np.ones((2, 3)), np.ones(2)), ValueError,
     r"arctan2: shapes \(2, 3\) and \(2,\) cannot be broadcast together"),
    (jnp.bitwise_and, (np.ones(2, np.float32), 1), TypeError,
     "bitwise_and requires integer or boolean arguments, got dtype float32"),
    (jnp.invert, (np.ones(2, np.float32),), TypeError,
     "bitwise_not requires integer or boolean arguments, got dtype float32"),
    (jnp.left_shift, (np.ones(2, np.float32), 1), TypeError,
     "left_shift requires integer arguments, got dtype float32"),
    (jnp.power, (np.arange(3, dtype=np.int32), -1), ValueError,
     "power: integers to negative integer powers are not allowed"),
    (jnp.negative, (np.ones(2, bool),), TypeError, "negative: boolean negative is not supported"),
    (jnp.subtract, (np.ones(2, bool), True), TypeError, "subtract: boolean subtract is not supported"),
    (jnp.floor_divide, (np.ones(2, np.complex64), 1), TypeError,
     "floor_divide does not accept complex arguments"),
    (jnp.floor, (np.ones(2, np.complex64),), TypeError, "floor does not accept complex arguments"),
])
def test_errors(fn, args, error, match):
  with pytest.raises(error, match=match):
    fn(*args)
