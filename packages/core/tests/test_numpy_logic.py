"""morphax.numpy's comparisons (isclose, array_equal, ...), type predicates
and bit packing against numpy, eagerly, under jit and under vmap."""

import hypothesis
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp

b1, u8, f32 = np.dtype(np.bool_), np.dtype(np.uint8), np.dtype(np.float32)

A = np.array([1.0, np.nan, np.inf, -np.inf, 1e-9, 2.0, np.inf, 0.0], np.float32)
B = np.array([1.000001, np.nan, np.inf, np.inf, 0.0, 2.1, np.nan, -0.0], np.float32)


def _check(out, expected, dtype=b1):
  expected = np.asarray(expected)
  assert out.dtype == dtype, (out.dtype, dtype)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  np.testing.assert_array_equal(np.asarray(out), expected)


@pytest.mark.parametrize("a, b, kwargs", [
    (A, B, {}),
    (A, B, {"equal_nan": True}),
    (A, B, {"rtol": 0.1, "atol": 0.0}),
    (A.reshape(2, 4), B[:4], {}),
    (np.float32(1.0), np.float32(1.0 + 1e-6), {}),
    (np.zeros((0, 3), np.float32), np.zeros(3, np.float32), {}),
    (np.array([1 + 1j, np.nan + 0j, 1j], np.complex64),
     np.array([1 + 1.000001j, np.nan + 0j, 1.1j], np.complex64), {"equal_nan": True}),
    (np.array([1, 5, -3], np.int32), np.array([2, 5, -3], np.int32), {"atol": 1}),
    (np.array([1.0, 1.01], np.float16), np.array([1.0, 1.0], np.float16), {"rtol": 1e-3}),
])
def test_isclose(a, b, kwargs):
  _check(jnp.isclose(a, b, **kwargs), np.isclose(a, b, **kwargs))
  _check(morphax.jit(lambda x, y: jnp.isclose(x, y, **kwargs))(a, b),
         np.isclose(a, b, **kwargs))
  _check(jnp.allclose(a, b, **kwargs), np.allclose(a, b, **kwargs))


def test_isclose_scalars_and_vmap():
  assert bool(jnp.isclose(1.0, 1.0 + 1e-7))
  x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
  y = x + np.float32(1e-3) * (np.arange(3) - 1)
  out = morphax.vmap(lambda r: jnp.isclose(r, y[0], atol=1e-3))(x)
  _check(out, np.stack([np.isclose(r, y[0], atol=1e-3) for r in x]))


@hypothesis.given(hnp.arrays(np.float32, st.integers(0, 5),
                             elements=st.floats(-4, 4, width=32) | st.sampled_from(
                                 [np.nan, np.inf, -np.inf])),
                  st.booleans())
def test_isclose_matches_numpy(x, equal_nan):
  y = np.roll(x, 1)
  _check(jnp.isclose(x, y, equal_nan=equal_nan), np.isclose(x, y, equal_nan=equal_nan))


@pytest.mark.parametrize("a1, a2, kwargs", [
    (np.arange(3), np.arange(3), {}),
    (np.arange(3), np.arange(4), {}),
    (np.arange(3), np.arange(3.0), {}),
    (np.ones((2, 3)), np.ones(3), {}),
    (A, A, {}),
    (A, A, {"equal_nan": True}),
    (np.zeros(0), np.zeros(0), {}),
    (np.float32(2), 2, {}),
])
def test_array_equal(a1, a2, kwargs):
  _check(jnp.array_equal(a1, a2, **kwargs), np.array_equal(a1, a2, **kwargs))


def test_array_equal_non_arrays_is_false():
  assert not bool(jnp.array_equal(np.ones(2), "ab"))
  assert not bool(jnp.array_equiv(np.ones(2), {}))


@pytest.mark.parametrize("a1, a2", [
    (np.array([1, 2]), np.array([[1, 2], [1, 2]])),
    (np.array([1, 2]), np.array([[1, 2], [1, 3]])),
    (np.ones(2), np.ones(3)),
    (np.float32(1), np.ones((2, 2))),
])
def test_array_equiv(a1, a2):
  _check(jnp.array_equiv(a1, a2), np.array_equiv(a1, a2))
  _check(morphax.jit(jnp.array_equiv)(a1, a2), np.array_equiv(a1, a2))


@pytest.mark.parametrize("x", [
    np.ones(2, np.complex64), np.ones(2, np.float32), np.int32(1), 1, 1.5, 1j,
    True, np.array([], np.complex64),
])
def test_type_predicates(x):
  assert jnp.iscomplexobj(x) is np.iscomplexobj(x)
  assert jnp.isrealobj(x) is np.isrealobj(x)
  assert jnp.iscomplexobj(jnp.asarray(x)) is np.iscomplexobj(x)
  assert jnp.iscomplexobj(None) is False


@pytest.mark.parametrize("x", [
    np.array([1 + 1j, 2 + 0j, 0j, -0j], np.complex64),
    np.array([1.0, np.nan], np.float32),
    np.arange(3, dtype=np.int32),
    np.complex64(1j),
])
def test_iscomplex_isreal(x):
  _check(jnp.iscomplex(x), np.iscomplex(x))
  _check(jnp.isreal(x), np.isreal(x))


def test_isscalar():
  for x in (1, 1.5, 1j, True, np.float32(2), np.int8(1), "a"):
    assert jnp.isscalar(x) is True
  for x in ([1], (1,), np.ones(2), jnp.ones(2), None):
    assert jnp.isscalar(x) is False
  # Like JAX (not NumPy), 0-d arrays count as scalars.
  assert jnp.isscalar(jnp.array(1.0)) is True
  assert jnp.isscalar(np.array(1.0)) is True
  assert morphax.jit(lambda x: jnp.isscalar(x) * x)(1.0) == 1.0


@pytest.mark.parametrize("x", [A, np.arange(-2, 3, dtype=np.int32), np.float32(-np.inf),
                               np.zeros((0, 2), np.float32), np.array([True])])
def test_isposinf_isneginf(x):
  _check(jnp.isposinf(x), np.isposinf(x))
  _check(jnp.isneginf(x), np.isneginf(x))


@pytest.mark.parametrize("shape, dtype", [((11,), b1), ((3, 11), u8), ((2, 8), np.dtype(np.int32)),
                                          ((0,), b1), ((2, 0, 3), u8)])
@pytest.mark.parametrize("bitorder", ["big", "little"])
def test_packbits(shape, dtype, bitorder):
  rng = np.random.default_rng(0)
  x = rng.integers(0, 3, shape).astype(dtype)
  for axis in [None] + list(range(-len(shape), len(shape))):
    _check(jnp.packbits(x, axis, bitorder), np.packbits(x, axis, bitorder=bitorder), u8)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (0,)])
@pytest.mark.parametrize("bitorder", ["big", "little"])
def test_unpackbits(shape, bitorder):
  rng = np.random.default_rng(1)
  x = rng.integers(0, 256, shape).astype(u8)
  for axis in [None, -1]:
    for count in (None, 5, -3, 30, 0):
      if count is not None and count < 0 and x.size * 8 < -count:
        with pytest.raises(ValueError, match="unpackbits: -count 3 is larger"):
          jnp.unpackbits(x, axis, count, bitorder)
        continue
      expected = np.unpackbits(x, axis, count, bitorder)
      if x.size == 0:
        # numpy pads an empty input with uninitialized memory.
        expected = np.zeros_like(expected)
      _check(jnp.unpackbits(x, axis, count, bitorder), expected, u8)


def test_packbits_roundtrip_under_jit_and_vmap():
  x = np.random.default_rng(2).integers(0, 2, (4, 13)).astype(u8)
  packed = morphax.jit(lambda v: jnp.packbits(v, axis=1))(x)
  _check(packed, np.packbits(x, axis=1), u8)
  out = morphax.vmap(lambda p: jnp.unpackbits(p, count=13))(packed)
  _check(out, x, u8)


@pytest.mark.parametrize("fn, args, error, match", [
    (jnp.packbits, (np.ones(3, np.float32),), TypeError,
     "packbits: expected an integer or boolean array, got dtype float32"),
    (jnp.packbits, (np.ones(3, bool), None, "middle"), ValueError,
     "packbits: bitorder must be 'big' or 'little', got 'middle'"),
    (jnp.unpackbits, (np.ones(3, np.int32),), TypeError,
     "unpackbits: expected a uint8 array, got dtype int32"),
    (jnp.packbits, (np.ones((2, 3), bool), 2), ValueError,
     "packbits: axis 2 is out of bounds for an array of rank 2"),
    (jnp.isclose, (np.ones(2), np.ones(3)), ValueError,
     r"isclose: shapes \(2,\) and \(3,\) cannot be broadcast together"),
    (jnp.isclose, ([1.0], 1.0), TypeError, "isclose requires ndarray or scalar arguments"),
    (jnp.isposinf, (np.ones(2, np.complex64),), TypeError,
     "isposinf does not accept complex arguments, got dtype complex64"),
])
def test_errors(fn, args, error, match):
  with pytest.raises(error, match=match):
    fn(*args)
