"""morphax.numpy reductions against numpy: axis (None/int/tuple/negative),
keepdims, where=, initial=, dtype=, ddof, on 0-d, empty and n-d arrays,
with JAX's result dtypes (int32 sums, float32 means)."""

import ml_dtypes
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp

f16, f32, c64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.complex64)
i8, i32, u8, u32 = (np.dtype(t) for t in (np.int8, np.int32, np.uint8, np.uint32))
b1 = np.dtype(np.bool_)
bf16 = np.dtype(ml_dtypes.bfloat16)


def _data(shape, dtype, seed=0):
  rng = np.random.default_rng(seed)
  if dtype == b1:
    return rng.random(shape) < 0.6
  if dtype.kind in "iu":
    return rng.integers(0 if dtype.kind == "u" else -4, 5, shape).astype(dtype)
  x = rng.uniform(-2, 2, shape)
  if dtype.kind == "c":
    x = x + 1j * rng.uniform(-2, 2, shape)
  return x.astype(dtype)


def _check(out, expected, dtype, rtol=None):
  dtype = np.dtype(dtype)
  expected = np.asarray(expected)
  assert out.dtype == dtype, (out.dtype, dtype)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  assert not out.weak_type
  if dtype.kind in "biu":
    np.testing.assert_array_equal(np.asarray(out), expected)
  else:
    rtol = rtol or {f16: 1e-2, bf16: 3e-2}.get(dtype, 2e-5)
    np.testing.assert_allclose(np.asarray(out).astype(complex if dtype.kind == "c" else float),
                               expected, rtol=rtol, atol=rtol)


# JAX's default result dtypes (where they differ from NumPy's int64/float64).
def _sum_dtype(dtype):
  if dtype == b1 or (dtype.kind == "i" and dtype.itemsize < 4):
    return i32
  if dtype.kind == "u" and dtype.itemsize < 4:
    return u32
  return dtype


def _mean_dtype(dtype):
  return f32 if dtype.kind in "biu" else dtype


# (shape, dtype, axis, keepdims)
SUM_CASES = [
    ((), f32, None, False),
    ((0,), f32, None, False),
    ((2, 0), f32, 1, True),
    ((2, 3), f32, None, False),
    ((2, 3), f32, 0, False),
    ((2, 3), f32, -1, True),
    ((2, 3, 4), f32, (0, 2), False),
    ((2, 3, 4), f32, (2, -3), True),
    ((2, 3), i8, None, False),
    ((3,), u8, 0, False),
    ((2, 3), b1, 1, False),
    ((4,), f16, None, False),
    ((4,), c64, 0, False),
    ((2, 3), i32, (), False),
]


@pytest.mark.parametrize("shape, dtype, axis, keepdims", SUM_CASES)
@pytest.mark.parametrize("name", ["sum", "prod"])
def test_sum_prod(name, shape, dtype, axis, keepdims):
  x = _data(shape, dtype)
  out = getattr(jnp, name)(morphax.device_put(x), axis=axis, keepdims=keepdims)
  rdtype = _sum_dtype(dtype)
  c = f32 if dtype == f16 else rdtype
  expected = getattr(np, name)(x.astype(c), axis=axis, keepdims=keepdims).astype(rdtype)
  _check(out, expected, rdtype)


@pytest.mark.parametrize("shape, dtype, axis, keepdims", [
    ((), f32, None, False), ((2, 3), f32, None, False), ((2, 3), f32, 1, True),
    ((2, 3, 4), i32, (0, 2), False), ((3,), u8, 0, True), ((2, 2), b1, 0, False),
    ((4,), bf16, None, False), ((2, 3), i8, -1, False),
])
@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_max_min(name, shape, dtype, axis, keepdims):
  x = _data(shape, dtype)
  out = getattr(jnp, name)(morphax.device_put(x), axis=axis, keepdims=keepdims)
  c = f32 if dtype == bf16 else dtype
  expected = getattr(np, name)(x.astype(c), axis=axis, keepdims=keepdims).astype(dtype)
  _check(out, expected, dtype)


@pytest.mark.parametrize("shape, dtype, axis, keepdims", [
    ((), b1, None, False), ((0,), b1, None, False), ((2, 3), b1, 1, False),
    ((2, 3), f32, 0, True), ((2, 3, 2), i32, (0, 2), False), ((3,), c64, None, False),
])
@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any(name, shape, dtype, axis, keepdims):
  x = _data(shape, dtype)
  if dtype == f32 and x.size:
    x.flat[0] = 0
  out = getattr(jnp, name)(morphax.device_put(x), axis=axis, keepdims=keepdims)
  _check(out, getattr(np, name)(x, axis=axis, keepdims=keepdims), b1)


@pytest.mark.parametrize("shape, dtype, axis, keepdims", [
    ((), f32, None, False), ((2, 3), f32, None, False), ((2, 3), f32, 0, True),
    ((2, 3, 4), f32, (1, 2), False), ((2, 3), i32, 1, False), ((3,), b1, None, False),
    ((4, 2), f16, 0, False), ((3,), c64, None, False),
])
def test_mean(shape, dtype, axis, keepdims):
  x = _data(shape, dtype)
  out = jnp.mean(morphax.device_put(x), axis=axis, keepdims=keepdims)
  rdtype = _mean_dtype(dtype)
  expected = np.mean(x.astype(f32 if dtype == f16 else rdtype), axis=axis, keepdims=keepdims)
  _check(out, expected.astype(rdtype), rdtype)


@pytest.mark.parametrize("shape, dtype, axis, ddof, keepdims", [
    ((5,), f32, None, 0, False), ((2, 3), f32, 0, 1, False), ((2, 3), f32, 1, 0, True),
    ((2, 3, 4), f32, (0, 2), 0, False), ((4, 3), i32, None, 1, False),
    ((3,), c64, None, 0, False), ((4,), f16, 0, 0, False), ((), f32, None, 0, False),
])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std(name, shape, dtype, axis, ddof, keepdims):
  x = _data(shape, dtype)
  out = getattr(jnp, name)(morphax.device_put(x), axis=axis, ddof=ddof, keepdims=keepdims)
  rdtype = f32 if dtype in (c64, i32) else dtype
  expected = getattr(np, name)(x.astype(f32 if dtype == f16 else x.dtype), axis=axis,
                               ddof=ddof, keepdims=keepdims)
  _check(out, np.asarray(expected).astype(rdtype), rdtype, rtol=1e-2 if dtype == f16 else 1e-5)


def test_var_correction_and_empty_count():
  x = _data((6,), f32)
  _check(jnp.var(x, correction=1), np.var(x, ddof=1), f32)
  with np.errstate(divide="ignore", invalid="ignore"):
    assert np.isnan(float(jnp.var(np.ones(1, np.float32), ddof=1))) or \
        np.isinf(float(jnp.var(np.ones(1, np.float32), ddof=1)))
  with pytest.raises(ValueError, match="var: pass ddof or correction, not both"):
    jnp.var(x, ddof=1, correction=1)


@pytest.mark.parametrize("name, kwargs", [
    ("sum", {"dtype": jnp.float32}),
    ("sum", {"dtype": jnp.int8}),
    ("sum", {"promote_integers": False}),
    ("prod", {"dtype": jnp.float16}),
    ("mean", {"dtype": jnp.float16}),
    ("sum", {"initial": 10}),
    ("prod", {"initial": 2, "axis": 0}),
    ("max", {"initial": 3}),
    ("min", {"initial": -3, "axis": 1}),
])
def test_dtype_and_initial(name, kwargs):
  x = _data((2, 3), i8)
  out = getattr(jnp, name)(morphax.device_put(x), **kwargs)
  np_kwargs = {k: v for k, v in kwargs.items() if k != "promote_integers"}
  if "dtype" in np_kwargs:
    np_kwargs["dtype"] = np.dtype(np_kwargs["dtype"])
  expected = getattr(np, name)(x, **np_kwargs)
  if kwargs.get("promote_integers") is False:
    expected = expected.astype(i8)
  elif "dtype" not in kwargs and name in ("sum", "prod"):
    expected = expected.astype(i32)
  elif "dtype" not in kwargs:
    expected = expected.astype(i8)
  _check(out, expected, expected.dtype, rtol=1e-2)


@pytest.mark.parametrize("name, kwargs", [
    ("sum", {}), ("sum", {"axis": 1, "keepdims": True}), ("prod", {"axis": 0}),
    ("max", {"initial": -10.0}), ("min", {"axis": 1, "initial": 10.0}),
    ("all", {}), ("any", {"axis": 0}), ("mean", {}), ("mean", {"axis": 1}),
    ("var", {"axis": 1}), ("std", {}),
])
def test_where(name, kwargs):
  x = _data((3, 4), f32)
  mask = np.array([True, False, True, True])  # broadcasts over rows
  out = getattr(jnp, name)(morphax.device_put(x), where=mask, **kwargs)
  expected = getattr(np, name)(x, where=mask, **kwargs)
  _check(out, np.asarray(expected).astype(out.dtype), out.dtype)


@pytest.mark.parametrize("shape, dtype, axis, keepdims", [
    ((5,), f32, None, None), ((2, 3), f32, None, False), ((2, 3), f32, 0, False),
    ((2, 3), i32, 1, True), ((2, 3, 4), u8, -1, False), ((3,), b1, 0, False),
    ((2, 3), f32, None, True), ((), f32, None, False),
])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, shape, dtype, axis, keepdims):
  x = _data(shape, dtype)
  out = getattr(jnp, name)(morphax.device_put(x), axis=axis, keepdims=keepdims)
  expected = getattr(np, name)(x, axis=axis, keepdims=bool(keepdims))
  _check(out, np.asarray(expected).astype(i32), i32)


def test_argmax_ties_and_nan():
  x = np.array([1.0, 3.0, np.nan, 3.0, np.nan], np.float32)
  assert int(jnp.argmax(x)) == np.argmax(x) == 2
  assert int(jnp.argmin(x)) == np.argmin(x) == 2
  assert int(jnp.argmax(np.array([1, 5, 5], np.int32))) == 1


def test_reduction_of_python_scalars_and_weak_inputs():
  out = jnp.sum(2.0)
  assert out.dtype == f32 and not out.weak_type and float(out) == 2.0
  assert jnp.max(jnp.asarray(3)).dtype == i32


@pytest.mark.parametrize("fn, args, kwargs, error, match", [
    (jnp.sum, (np.ones((2, 3)),), {"axis": 2}, ValueError,
     "sum: axis 2 is out of bounds for an array of rank 2"),
    (jnp.mean, (np.ones(3),), {"axis": -2}, ValueError,
     "mean: axis -2 is out of bounds for an array of rank 1"),
    (jnp.max, (np.ones((2, 3)),), {"axis": (0, 0)}, ValueError, r"max: repeated axis in \(0, 0\)"),
    (jnp.sum, (np.ones(3),), {"axis": 1.5}, TypeError, "sum: axis must be an integer"),
    (jnp.argmax, (np.ones((2, 3)),), {"axis": 3}, ValueError,
     "argmax: axis 3 is out of bounds for an array of rank 2"),
    (jnp.max, (np.ones((0, 3)),), {"axis": 0}, ValueError,
     "max: zero-size array to reduction operation max which has no identity"),
    (jnp.min, (np.ones(3),), {"where": np.ones(3, bool)}, ValueError,
     "min: the reduction has no identity, so a where= mask needs an initial= value"),
    (jnp.argmin, (np.ones((0,)),), {}, ValueError,
     "argmin: attempt to get argmin of an empty sequence"),
    (jnp.sum, ({"a": 1},), {}, TypeError,
     "sum requires ndarray or scalar arguments, got dict at position 0"),
    (jnp.sum, (np.ones(3),), {"out": np.ones(1)}, NotImplementedError,
     "sum: the out argument is not supported"),
    (jnp.sum, (np.ones((2, 3)),), {"where": np.ones(4, bool)}, ValueError,
     r"sum: shapes \(4,\) and \(2, 3\) cannot be broadcast together"),
])
def test_errors(fn, args, kwargs, error, match):
  with pytest.raises(error, match=match):
    fn(*args, **kwargs)
