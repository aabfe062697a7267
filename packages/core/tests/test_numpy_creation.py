"""morphax.numpy array creation against numpy: values, dtypes (JAX's
defaults: int32/float32, weak Python scalars) and shapes."""

import ml_dtypes
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp


def _check(out, expected, dtype=None, weak=False, rtol=1e-6):
  expected = np.asarray(expected)
  dtype = expected.dtype if dtype is None else np.dtype(dtype)
  assert isinstance(out, morphax.Array)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  assert out.dtype == dtype, (out.dtype, dtype)
  assert out.weak_type == weak
  np.testing.assert_allclose(np.asarray(out).astype(np.float64 if dtype.kind != "c" else complex),
                             expected.astype(np.float64 if dtype.kind != "c" else complex),
                             rtol=rtol, atol=1e-6)


# --- array / asarray ------------------------------------------------------------

@pytest.mark.parametrize("obj, kwargs, expected, dtype, weak", [
    (3, {}, 3, np.int32, True),
    (2.5, {}, 2.5, np.float32, True),
    (True, {}, True, np.bool_, False),
    (1 + 2j, {}, 1 + 2j, np.complex64, True),
    ([1, 2, 3], {}, [1, 2, 3], np.int32, False),
    ([1, 2.5], {}, [1, 2.5], np.float32, False),
    ([True, 2], {}, [1, 2], np.int32, False),
    ([[1, 2], [3, 4]], {}, [[1, 2], [3, 4]], np.int32, False),
    ([], {}, np.zeros(0), np.float32, False),
    ((1, 2), {"dtype": jnp.float16}, [1, 2], np.float16, False),
    (np.arange(6.0).reshape(2, 3), {}, np.arange(6.0).reshape(2, 3), np.float32, False),
    (np.arange(4, dtype=np.int64), {}, np.arange(4), np.int32, False),
    (np.arange(4, dtype=np.uint8), {}, np.arange(4), np.uint8, False),
    (np.float16(1.5), {}, 1.5, np.float16, False),
    (np.ones((2, 0)), {}, np.ones((2, 0)), np.float32, False),
    (5, {"ndmin": 2}, [[5]], np.int32, True),
    ([1, 2], {"ndmin": 3, "dtype": "float32"}, [[[1, 2]]], np.float32, False),
    (2.7, {"dtype": jnp.int32}, 2, np.int32, False),
    (np.arange(3.0), {"dtype": ml_dtypes.bfloat16}, np.arange(3.0), ml_dtypes.bfloat16, False),
])
def test_array(obj, kwargs, expected, dtype, weak):
  _check(jnp.array(obj, **kwargs), expected, dtype, weak)


def test_array_of_arrays():
  x = jnp.array([1.0, 2.0])
  _check(jnp.array([x, x]), [[1, 2], [1, 2]], np.float32)
  _check(jnp.array([[x, [3, 4]]]), [[[1, 2], [3, 4]]], np.float32)
  _check(jnp.array([jnp.int8(1), 2]), [1, 2], np.int8)
  _check(jnp.array([jnp.int8(1), jnp.float16(2)]), [1, 2], np.float16)
  _check(jnp.array(x, dtype=jnp.int32), [1, 2], np.int32)
  w = jnp.array(2.0)
  assert jnp.array(w).weak_type and not jnp.array(w, dtype=jnp.float32).weak_type


def test_asarray_keeps_arrays():
  x = jnp.ones(3)
  assert jnp.asarray(x) is x
  assert jnp.asarray(x, dtype=jnp.float32) is x
  _check(jnp.asarray([1, 2], dtype=float), [1, 2], np.float32)


@pytest.mark.parametrize("obj, error, match", [
    ({"a": 1}, TypeError, "array: cannot make an array from dict"),
    ("abc", TypeError, "array: cannot make an array from str"),
    (None, TypeError, "array: cannot make an array from NoneType"),
    ([1, "a"], TypeError, "array: cannot make an array from str"),
    ([[1, 2], [3]], ValueError, "array: .*inhomogeneous"),
    (np.array(["a"]), TypeError, "array: numpy dtype <U1 is not supported"),
    ([2 ** 40], OverflowError, "out of bounds|too large"),
])
def test_array_errors(obj, error, match):
  with pytest.raises(error, match=match):
    jnp.array(obj)


def test_array_bad_dtype():
  with pytest.raises(TypeError, match="array: .*not a valid dtype"):
    jnp.array([1], dtype="not-a-dtype")


# --- filled arrays ----------------------------------------------------------------

@pytest.mark.parametrize("shape", [(), (3,), (2, 0), 4, (2, 3)])
@pytest.mark.parametrize("fn, np_fn", [(jnp.zeros, np.zeros), (jnp.ones, np.ones),
                                       (jnp.empty, np.zeros)])
def test_zeros_ones_empty(fn, np_fn, shape):
  _check(fn(shape), np_fn(shape), np.float32)


@pytest.mark.parametrize("fn, value", [(jnp.zeros, 0), (jnp.ones, 1)])
@pytest.mark.parametrize("dtype", [jnp.int8, jnp.bool_, jnp.uint32, jnp.bfloat16, jnp.complex64, float, int])
def test_zeros_ones_dtypes(fn, value, dtype):
  canon = {float: np.float32, int: np.int32}.get(dtype, dtype)
  _check(fn((2,), dtype), np.full((2,), value, canon), canon)


@pytest.mark.parametrize("shape, fill, kwargs, expected, dtype, weak", [
    ((2, 2), 3, {}, np.full((2, 2), 3), np.int32, True),
    ((3,), 1.5, {}, np.full(3, 1.5), np.float32, True),
    ((3,), 1.5, {"dtype": jnp.int32}, np.full(3, 1), np.int32, False),
    ((), True, {}, True, np.bool_, False),
    ((2, 3), np.arange(3.0), {}, np.tile(np.arange(3.0), (2, 1)), np.float32, False),
    ((2, 0), 7, {}, np.full((2, 0), 7), np.int32, True),
    ((2,), np.float16(2), {}, [2, 2], np.float16, False),
])
def test_full(shape, fill, kwargs, expected, dtype, weak):
  _check(jnp.full(shape, fill, **kwargs), expected, dtype, weak)


def test_full_errors():
  with pytest.raises(ValueError, match="full: cannot broadcast fill_value of shape"):
    jnp.full((2, 3), np.arange(4.0))
  with pytest.raises(ValueError, match="zeros: shape must be non-negative"):
    jnp.zeros((2, -1))
  with pytest.raises(TypeError, match="ones: shape must be a sequence of integers"):
    jnp.ones((2, 1.5))
  with pytest.raises(TypeError, match="full requires ndarray or scalar arguments, got list"):
    jnp.full(3, [1, 2, 3])


@pytest.mark.parametrize("a, kwargs, expected, dtype, weak", [
    (np.ones((2, 3), np.int8), {}, np.zeros((2, 3)), np.int8, False),
    (2.0, {}, 0.0, np.float32, True),
    (np.ones(3), {"dtype": jnp.int32}, np.zeros(3), np.int32, False),
    (np.ones(3), {"shape": (2, 2)}, np.zeros((2, 2)), np.float32, False),
])
def test_zeros_like(a, kwargs, expected, dtype, weak):
  _check(jnp.zeros_like(a, **kwargs), expected, dtype, weak)
  _check(jnp.empty_like(a, **kwargs), expected, dtype, weak)
  _check(jnp.ones_like(a, **kwargs), np.ones_like(expected), dtype, weak)
  _check(jnp.full_like(a, 5, **kwargs), np.full_like(expected, 5), dtype, weak)


def test_like_of_weak_array_and_errors():
  w = jnp.asarray(1.0)
  assert jnp.ones_like(w).weak_type
  _check(jnp.full_like(jnp.zeros((2, 3)), jnp.arange(3)), np.tile(np.arange(3.0), (2, 1)), np.float32)
  with pytest.raises(TypeError, match="zeros_like requires ndarray or scalar arguments, got list at position 0"):
    jnp.zeros_like([1, 2])


# --- ranges --------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs, dtype", [
    ((5,), {}, np.int32),
    ((0,), {}, np.int32),
    ((-3,), {}, np.int32),
    ((2, 9), {}, np.int32),
    ((2, 9, 3), {}, np.int32),
    ((9, 2, -2), {}, np.int32),
    ((5.0,), {}, np.float32),
    ((2.5,), {}, np.float32),
    ((0, 1, 0.25), {}, np.float32),
    ((1, 0, -0.3), {}, np.float32),
    ((5,), {"dtype": float}, np.float32),
    ((5,), {"dtype": jnp.int8}, np.int8),
    ((np.int8(3),), {}, np.int8),
    ((0, 10, 3), {"dtype": jnp.float16}, np.float16),
])
def test_arange(args, kwargs, dtype):
  expected = np.arange(*args, dtype=dtype)
  _check(jnp.arange(*args, **kwargs), expected, dtype)


def test_arange_array_bounds_and_errors():
  _check(jnp.arange(jnp.asarray(4)), np.arange(4), np.int32)
  with pytest.raises(ValueError, match="arange: step must not be zero"):
    jnp.arange(0, 5, 0)
  with pytest.raises(TypeError, match="arange requires ndarray or scalar arguments, got str"):
    jnp.arange("5")
  with pytest.raises(ValueError, match="arange: stop must be a scalar, got shape"):
    jnp.arange(0, np.ones(2))


@pytest.mark.parametrize("start, stop, kwargs", [
    (0, 1, {}),
    (0, 1, {"num": 5}),
    (2, -3, {"num": 7, "endpoint": False}),
    (0, 1, {"num": 1}),
    (0, 1, {"num": 0}),
    (0, 10, {"num": 4, "dtype": jnp.int32}),
    (-5, 5, {"num": 6, "dtype": jnp.int32}),
    (0.5, 2, {"num": 4, "dtype": jnp.float16}),
    (np.array([0.0, 1.0]), np.array([1.0, 3.0]), {"num": 3}),
    (np.array([0.0, 1.0]), 2.0, {"num": 3, "axis": 1}),
    (np.zeros((2, 1)), np.ones(3), {"num": 4, "axis": -1}),
])
def test_linspace(start, stop, kwargs):
  expected = np.linspace(start, stop, **kwargs)
  dtype = kwargs.get("dtype", np.float32)
  _check(jnp.linspace(start, stop, **kwargs), expected.astype(dtype), dtype, rtol=1e-3)


def test_linspace_retstep_and_errors():
  out, step = jnp.linspace(0, 2, 5, retstep=True)
  _check(out, np.linspace(0, 2, 5), np.float32)
  assert float(step) == 0.5
  with pytest.raises(ValueError, match="linspace: number of samples, -1, must be non-negative"):
    jnp.linspace(0, 1, -1)
  with pytest.raises(ValueError, match="linspace: axis 2 is out of bounds for an array of rank 1"):
    jnp.linspace(0, 1, 3, axis=2)


@pytest.mark.parametrize("args, kwargs", [
    ((3,), {}), ((2, 4), {}), ((4, 2), {"k": 1}), ((3,), {"k": -1}),
    ((3, 3), {"k": 5}), ((0,), {}), ((3,), {"dtype": jnp.int32}),
    ((2,), {"dtype": bool}),
])
def test_eye(args, kwargs):
  np_kwargs = dict(kwargs, dtype=np.dtype(kwargs.get("dtype", np.float32)))
  if np_kwargs["dtype"] == np.dtype(bool):
    np_kwargs["dtype"] = np.bool_
  _check(jnp.eye(*args, **kwargs), np.eye(*args, **np_kwargs), np_kwargs["dtype"])


def test_identity():
  _check(jnp.identity(3), np.identity(3), np.float32)
  _check(jnp.identity(2, dtype=jnp.int8), np.identity(2, np.int8), np.int8)
