"""morphax.numpy's extra elementwise math (logaddexp, hypot, sinc, gcd,
ldexp, frexp, ...) against numpy: values, JAX's dtypes, jit, vmap, grads."""

import hypothesis
import hypothesis.strategies as st
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads

f16, f32, c64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.complex64)
i8, i32, u8 = np.dtype(np.int8), np.dtype(np.int32), np.dtype(np.uint8)
b1 = np.dtype(np.bool_)
TOL = {f16: 1e-2, f32: 2e-6, c64: 2e-6}
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -1.5, 2.5, 1e30],
                   np.float32)


def _values(rng, shape, dtype, domain):
  if dtype.kind in "iu":
    lo, hi = (-20, 21) if dtype.kind == "i" else (0, 40)
    return rng.integers(lo, hi, shape).astype(dtype)
  if dtype == b1:
    return rng.random(shape) < 0.5
  if domain == "special":
    return rng.choice(SPECIAL, shape).astype(dtype)
  x = rng.uniform(-4, 4, shape)
  if dtype.kind == "c":
    x = x + 1j * rng.uniform(-4, 4, shape)
  return x.astype(dtype)


def _check(out, expected, dtype):
  expected = np.asarray(expected)
  assert out.dtype == dtype, (out.dtype, dtype)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  got = np.asarray(out)
  if dtype.kind in "biu":
    np.testing.assert_array_equal(got, expected.astype(dtype))
  else:
    np.testing.assert_allclose(got.astype(np.complex128),
                               expected.astype(np.complex128),
                               rtol=TOL[dtype] * 4, atol=TOL[dtype], equal_nan=True)


def _inexact(dtype):
  return f32 if dtype.kind in "biu" else dtype


def _np_int_exp(fn):
  """numpy reference that keeps an integer second argument."""
  return lambda x1, x2: fn(x1, x2.astype(np.int32))


# (name, numpy reference, arity, result dtype rule, dtypes, value domain)
ROWS = [
    ("logaddexp", np.logaddexp, 2, _inexact, [f32, i32, f16], "any"),
    ("logaddexp", np.logaddexp, 2, _inexact, [f32], "special"),
    ("logaddexp2", np.logaddexp2, 2, _inexact, [f32, i32], "any"),
    ("hypot", np.hypot, 2, _inexact, [f32, i32], "any"),
    ("hypot", np.hypot, 2, _inexact, [f32], "special"),
    ("copysign", np.copysign, 2, _inexact, [f32, i32], "special"),
    ("heaviside", np.heaviside, 2, _inexact, [f32, i32], "special"),
    ("fmax", np.fmax, 2, lambda d: d, [f32, i32, u8], "special"),
    ("fmin", np.fmin, 2, lambda d: d, [f32, i8], "special"),
    ("float_power", np.float_power, 2, _inexact, [f32], "any"),
    ("gcd", np.gcd, 2, lambda d: d, [i32, i8, u8], "any"),
    ("lcm", np.lcm, 2, lambda d: d, [i32, u8], "any"),
    ("nan_to_num", np.nan_to_num, 1, lambda d: d, [f32, i32, c64], "special"),
    ("sinc", np.sinc, 1, _inexact, [f32, i32, c64], "any"),
    ("deg2rad", np.deg2rad, 1, _inexact, [f32, i32], "any"),
    ("rad2deg", np.rad2deg, 1, _inexact, [f32], "any"),
    ("radians", np.radians, 1, _inexact, [f32], "any"),
    ("degrees", np.degrees, 1, _inexact, [f32], "any"),
    ("fabs", np.fabs, 1, _inexact, [f32, i32], "special"),
    ("signbit", np.signbit, 1, lambda d: b1, [f32, i32, u8, f16], "special"),
    ("spacing", np.spacing, 1, _inexact, [f32], "any"),
    ("i0", np.i0, 1, _inexact, [f32], "any"),
]
SHAPES = {1: [(), (0,), (2, 3)], 2: [((), ()), ((0,), (1,)), ((2, 3), (3,))]}


def _cases():
  for name, np_fn, arity, rule, dtypes, domain in ROWS:
    for shape in SHAPES[arity]:
      yield pytest.param(name, np_fn, arity, rule, dtypes[0], shape, domain,
                         id=f"{name}-{domain}-{dtypes[0]}-{shape}")
    for dtype in dtypes[1:]:
      shape = (5,) if arity == 1 else ((5,), (5,))
      yield pytest.param(name, np_fn, arity, rule, dtype, shape, domain,
                         id=f"{name}-{domain}-{dtype}")


@pytest.mark.parametrize("name, np_fn, arity, rule, dtype, shape, domain",
                         list(_cases()))
def test_values(name, np_fn, arity, rule, dtype, shape, domain):
  rng = np.random.default_rng(0)
  shapes = [shape] if arity == 1 else list(shape)
  args = [_values(rng, s, dtype, domain) for s in shapes]
  compute = f32 if dtype == f16 else dtype
  with np.errstate(all="ignore"):
    expected = np_fn(*(a.astype(compute) for a in args))
  if name == "float_power":
    expected = expected.astype(f32)
  if name == "i0" and dtype == f32:
    expected = expected.astype(f32)
  out = getattr(jnp, name)(*args)
  _check(out, expected, rule(dtype))
  jitted = morphax.jit(getattr(jnp, name))(*args)
  _check(jitted, expected, rule(dtype))


def test_gcd_worst_case_and_signs():
  # Consecutive Fibonacci numbers take the most Euclid steps.
  x1 = np.array([1836311903, -12, 0, 7, -2147483647], np.int32)
  x2 = np.array([1134903170, 18, 0, 0, 3], np.int32)
  _check(jnp.gcd(x1, x2), np.gcd(x1, x2), i32)
  _check(jnp.lcm(x1[1:4], x2[1:4]), np.lcm(x1[1:4], x2[1:4]), i32)


def test_nan_to_num_arguments():
  x = np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)
  _check(jnp.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0),
         np.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0), f32)
  z = np.array([complex(np.nan, np.inf), complex(1, -np.inf)], np.complex64)
  _check(jnp.nan_to_num(z, nan=2.0), np.nan_to_num(z, nan=2.0), c64)


@pytest.mark.parametrize("x1, x2", [
    (np.array([3.0, -1.5, 0.0, 1e-30, 1e30, 1.5, np.inf], np.float32),
     np.array([2, -3, 5, 200, -300, 0, 1], np.int32)),
    (np.array([1.0, 0.75], np.float16), np.array([3, -2], np.int8)),
    (np.arange(4, dtype=np.int32), 2),
])
def test_ldexp(x1, x2):
  dtype = _inexact(np.asarray(x1).dtype)
  expected = np.ldexp(np.asarray(x1).astype(dtype), x2)
  _check(jnp.ldexp(x1, x2), expected, dtype)


@pytest.mark.parametrize("x", [
    np.array([8.0, -3.0, 0.0, -0.0, 0.3, 1e30, 5e-38, np.inf, np.nan], np.float32),
    np.array([1.0, -6.0, 0.1], np.float16),
    np.arange(-3, 4, dtype=np.int32),
])
def test_frexp(x):
  mant, exp = jnp.frexp(x)
  ref_mant, ref_exp = np.frexp(x.astype(_inexact(x.dtype)))
  _check(mant, ref_mant, _inexact(x.dtype))
  _check(exp, ref_exp, i32)


def test_modf():
  x = np.array([-2.5, 3.25, 0.0, -0.0, np.inf, -np.inf, np.nan], np.float32)
  frac, whole = jnp.modf(x)
  ref_frac, ref_whole = np.modf(x)
  _check(frac, ref_frac, f32)
  _check(whole, ref_whole, f32)
  np.testing.assert_array_equal(np.signbit(np.asarray(frac)), np.signbit(ref_frac))


def test_logaddexp_weak_types():
  out = jnp.logaddexp(1.0, 2.0)
  assert out.dtype == f32 and out.weak_type
  assert jnp.logaddexp(np.float16(1), 2.0).dtype == f16


@hypothesis.given(st.lists(st.floats(-50, 50, width=32), min_size=1, max_size=6),
                  st.floats(-50, 50, width=32))
def test_logaddexp_matches_numpy(xs, y):
  x = np.asarray(xs, np.float32)
  np.testing.assert_allclose(np.asarray(jnp.logaddexp(x, np.float32(y))),
                             np.logaddexp(x, np.float32(y)), rtol=1e-6, atol=1e-6)


# --- Transformations ---------------------------------------------------------

@pytest.mark.parametrize("name", ["logaddexp", "hypot", "copysign", "fmax", "heaviside"])
def test_vmap_binary(name):
  rng = np.random.default_rng(3)
  x1 = rng.standard_normal((4, 3)).astype(np.float32)
  x2 = rng.standard_normal((3,)).astype(np.float32)
  fn = getattr(jnp, name)
  out = morphax.vmap(fn, in_axes=(0, None))(x1, x2)
  expected = np.stack([np.asarray(fn(row, x2)) for row in x1])
  np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6)


@pytest.mark.parametrize("name, args", [
    ("logaddexp", (np.array([0.3, -1.0, 2.0], np.float32),
                   np.array([0.3, 0.5, -3.0], np.float32))),
    ("logaddexp2", (np.array([0.3, -1.0], np.float32), np.array([1.0, 0.5], np.float32))),
    ("hypot", (np.array([3.0, -1.0, 0.5], np.float32), np.array([4.0, 2.0, -0.2], np.float32))),
    ("copysign", (np.array([3.0, -1.0], np.float32), np.array([-4.0, 2.0], np.float32))),
    ("sinc", (np.array([0.0, 0.3, -1.7, 1e-3], np.float32),)),
    ("deg2rad", (np.array([30.0, -90.0], np.float32),)),
    ("float_power", (np.array([1.5, 2.0], np.float32), np.array([2.0, -0.5], np.float32))),
    ("i0", (np.array([0.5, -2.0, 5.0], np.float32),)),
])
def test_grads(name, args):
  check_grads(getattr(jnp, name), args, order=2 if name == "sinc" else 1)


def test_sinc_derivatives_at_zero():
  d1 = morphax.grad(jnp.sinc)(0.0)
  d2 = morphax.grad(morphax.grad(jnp.sinc))(0.0)
  np.testing.assert_allclose(float(d1), 0.0, atol=1e-7)
  np.testing.assert_allclose(float(d2), -np.pi ** 2 / 3, rtol=1e-5)


def test_grads_are_finite_at_edges():
  assert np.isfinite(float(morphax.grad(jnp.hypot)(0.0, 0.0)))
  np.testing.assert_allclose(float(morphax.grad(jnp.logaddexp)(1.0, 1.0)), 0.5)
  assert float(morphax.grad(jnp.logaddexp)(-np.inf, 1.0)) == 0.0


# --- Errors --------------------------------------------------------------------

@pytest.mark.parametrize("fn, args, error, match", [
    (jnp.gcd, (np.ones(2, np.float32), 2), TypeError,
     "gcd requires integer arguments, got dtype float32"),
    (jnp.lcm, (1.5, 2), TypeError, "lcm requires integer arguments"),
    (jnp.hypot, (np.ones(2, np.complex64), 1), TypeError,
     "hypot does not accept complex arguments, got dtype complex64"),
    (jnp.fabs, (np.ones(2, np.complex64),), TypeError, "fabs does not accept complex"),
    (jnp.ldexp, (1.0, 2.5), TypeError, "ldexp: x2 must be an integer, got dtype float32"),
    (jnp.logaddexp, (np.ones(2), np.ones(3)), ValueError,
     r"logaddexp: shapes \(2,\) and \(3,\) cannot be broadcast together"),
    (jnp.sinc, ([1.0],), TypeError, "sinc requires ndarray or scalar arguments"),
    (jnp.modf, (1.0, np.zeros(1)), NotImplementedError, "modf: the out argument"),
])
def test_errors(fn, args, error, match):
  with pytest.raises(error, match=match):
    fn(*args)
