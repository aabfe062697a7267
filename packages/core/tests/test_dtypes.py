"""morphax.numpy's dtype API against JAX's documented promotion table:
promote_types, result_type (weak types, x64 canonicalization), scalar
types, finfo/iinfo, issubdtype, can_cast."""

import contextlib

import hypothesis
import hypothesis.strategies as st
import ml_dtypes
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp

# JAX's binary promotion table ("Type promotion semantics" in JAX's docs),
# the join of each pair on its lattice. i*, f*, c* are weak (Python) types.
_TABLE = """
     b1  u1  u2  u4  u8  i1  i2  i4  i8  bf  f2  f4  f8  c8  c16 i*  f*  c*
b1   b1  u1  u2  u4  u8  i1  i2  i4  i8  bf  f2  f4  f8  c8  c16 i*  f*  c*
u1   u1  u1  u2  u4  u8  i2  i2  i4  i8  bf  f2  f4  f8  c8  c16 u1  f*  c*
u2   u2  u2  u2  u4  u8  i4  i4  i4  i8  bf  f2  f4  f8  c8  c16 u2  f*  c*
u4   u4  u4  u4  u4  u8  i8  i8  i8  i8  bf  f2  f4  f8  c8  c16 u4  f*  c*
u8   u8  u8  u8  u8  u8  f*  f*  f*  f*  bf  f2  f4  f8  c8  c16 u8  f*  c*
i1   i1  i2  i4  i8  f*  i1  i2  i4  i8  bf  f2  f4  f8  c8  c16 i1  f*  c*
i2   i2  i2  i4  i8  f*  i2  i2  i4  i8  bf  f2  f4  f8  c8  c16 i2  f*  c*
i4   i4  i4  i4  i8  f*  i4  i4  i4  i8  bf  f2  f4  f8  c8  c16 i4  f*  c*
i8   i8  i8  i8  i8  f*  i8  i8  i8  i8  bf  f2  f4  f8  c8  c16 i8  f*  c*
bf   bf  bf  bf  bf  bf  bf  bf  bf  bf  bf  f4  f4  f8  c8  c16 bf  bf  c8
f2   f2  f2  f2  f2  f2  f2  f2  f2  f2  f4  f2  f4  f8  c8  c16 f2  f2  c8
f4   f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f8  c8  c16 f4  f4  c8
f8   f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  c16 c16 f8  f8  c16
c8   c8  c8  c8  c8  c8  c8  c8  c8  c8  c8  c8  c8  c16 c8  c16 c8  c8  c8
c16  c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16
i*   i*  u1  u2  u4  u8  i1  i2  i4  i8  bf  f2  f4  f8  c8  c16 i*  f*  c*
f*   f*  f*  f*  f*  f*  f*  f*  f*  f*  bf  f2  f4  f8  c8  c16 f*  f*  c*
c*   c*  c*  c*  c*  c*  c*  c*  c*  c*  c8  c8  c8  c16 c8  c16 c*  c*  c*
"""

_NAMES = {
    "b1": np.bool_, "u1": np.uint8, "u2": np.uint16, "u4": np.uint32,
    "u8": np.uint64, "i1": np.int8, "i2": np.int16, "i4": np.int32,
    "i8": np.int64, "bf": ml_dtypes.bfloat16, "f2": np.float16,
    "f4": np.float32, "f8": np.float64, "c8": np.complex64,
    "c16": np.complex128,
}
_WEAK = {"i*": int, "f*": float, "c*": complex}
_WEAK_VALUES = {"i*": 1, "f*": 1.0, "c*": 1j}


def _parse_table():
  lines = [line.split() for line in _TABLE.strip().splitlines()]
  cols = lines[0]
  return {(row[0], col): out for row in lines[1:] for col, out in zip(cols, row[1:])}


TABLE = _parse_table()
STRONG = list(_NAMES)
ALL = STRONG + list(_WEAK)
_X64_OFF = {np.dtype(np.int64): np.dtype(np.int32), np.dtype(np.uint64): np.dtype(np.uint32),
            np.dtype(np.float64): np.dtype(np.float32),
            np.dtype(np.complex128): np.dtype(np.complex64)}
_DEFAULTS = {"i*": np.dtype(np.int32), "f*": np.dtype(np.float32), "c*": np.dtype(np.complex64)}


def _expected(name):
  """(canonical dtype, weak) a table entry means with x64 off."""
  if name in _WEAK:
    return _DEFAULTS[name], True
  dt = np.dtype(_NAMES[name])
  return _X64_OFF.get(dt, dt), False


@contextlib.contextmanager
def _x64():
  morphax.config.update("jax_enable_x64", True)
  try:
    yield
  finally:
    morphax.config.update("jax_enable_x64", False)


def test_table_is_symmetric():
  for (a, b), out in TABLE.items():
    assert TABLE[b, a] == out, (a, b)


@pytest.mark.parametrize("a", STRONG)
def test_promote_types_matches_table(a):
  for b in STRONG:
    out = TABLE[a, b]
    expected = np.dtype(_WEAK[out]) if out in _WEAK else np.dtype(_NAMES[out])
    assert jnp.promote_types(_NAMES[a], _NAMES[b]) == expected, (a, b)
    assert jnp.promote_types(np.dtype(_NAMES[a]), np.dtype(_NAMES[b])) == expected


@pytest.mark.parametrize("a, b, expected", [
    ("uint8", int, np.uint8), ("float16", float, np.float16),
    ("int32", "float32", np.float32), (jnp.int32, jnp.float32, np.float32),
    ("int64", "int8", np.int64), (int, int, np.int64), (bool, int, np.int64),
    ("bfloat16", "float16", np.float32), (complex, "float16", np.complex64),
])
def test_promote_types_rows(a, b, expected):
  assert jnp.promote_types(a, b) == np.dtype(expected)


@pytest.mark.parametrize("a", ALL)
def test_result_type_matches_table(a):
  for b in ALL:
    args = [_WEAK_VALUES[n] if n in _WEAK else np.dtype(_NAMES[n]) for n in (a, b)]
    dtype, weak = jnp.result_type(*args, return_weak_type_flag=True)
    assert (dtype, weak) == _expected(TABLE[a, b]), (a, b)
    assert jnp.result_type(*args) == dtype


@pytest.mark.parametrize("args, dtype, weak", [
    ((2, 3), np.int32, True),
    ((2, 3.0), np.float32, True),
    ((True, 2), np.int32, True),
    ((True, False), np.bool_, False),
    ((np.int8, 300), np.int8, False),
    ((np.uint8, 2.0), np.float32, True),       # u1 + f* = f* (weak)
    ((np.float64,), np.float32, False),
    ((np.int64, np.int8), np.int32, False),
    ((np.uint64, np.int64), np.float32, True),   # f* in the table
    ((int,), np.int32, True), ((float, np.float16), np.float16, False),
    ((None,), np.float32, False),
    ((np.zeros(2, np.float64),), np.float32, False),
    ((np.float16(1), 1), np.float16, False),
])
def test_result_type_rows(args, dtype, weak):
  assert jnp.result_type(*args, return_weak_type_flag=True) == (np.dtype(dtype), weak)


def test_result_type_with_x64():
  with _x64():
    assert jnp.result_type(np.float64) == np.float64
    assert jnp.result_type(2, 3) == np.int64
    assert jnp.result_type(np.uint64, np.int64) == np.float64
    x = jnp.array(np.arange(3.0))
    assert x.dtype == np.float64
    assert (x + 1).dtype == np.float64
  assert jnp.array(np.arange(3.0)).dtype == np.float32


def test_result_type_errors():
  with pytest.raises(ValueError, match="at least one"):
    jnp.result_type()
  with pytest.raises(TypeError, match="result_type: cannot interpret dict"):
    jnp.result_type({})
  with pytest.raises(TypeError, match="result_type: dtype str32 is not supported by morphax"):
    jnp.result_type(np.dtype("U1"))
  with pytest.raises(TypeError, match="promote_types: dtype object is not supported"):
    jnp.promote_types(object, np.int8)


# --- Promotion of real arrays (hypothesis) -------------------------------------

_ARRAY_KINDS = ["b1", "u1", "u2", "u4", "i1", "i2", "i4", "bf", "f2", "f4", "c8",
                "i*", "f*", "c*"]


def _value(name):
  if name in _WEAK:
    return _WEAK_VALUES[name]
  return jnp.ones((2,), _NAMES[name])


@hypothesis.given(st.sampled_from(_ARRAY_KINDS), st.sampled_from(_ARRAY_KINDS))
def test_binary_op_promotes_as_the_table(a, b):
  out = jnp.multiply(_value(a), _value(b))
  dtype, weak = _expected(TABLE[a, b])
  assert out.dtype == dtype and out.weak_type == weak, (a, b)


@pytest.mark.parametrize("x, y, dtype, weak", [
    (np.int8, 1, np.int8, False),
    # u1 + f* is f* in JAX's table: the result is a *weak* float32.
    (np.uint8, 2.5, np.float32, True),
    (np.float16, 2.0, np.float16, False),
    (ml_dtypes.bfloat16, 1, ml_dtypes.bfloat16, False),
    (np.float32, 1j, np.complex64, False),
    (np.bool_, 1, np.int32, True),
    (np.bool_, 1.5, np.float32, True),
])
def test_weak_scalar_promotion(x, y, dtype, weak):
  a = jnp.ones((3,), x)
  for out in (a + y, y + a):
    assert out.dtype == dtype and out.weak_type == weak


def test_python_scalars_stay_weak():
  assert jnp.add(2, 3).weak_type and jnp.add(2, 3).dtype == np.int32
  assert jnp.multiply(2, 3.0).dtype == np.float32
  assert jnp.multiply(2, 3.0).weak_type
  assert not jnp.add(jnp.float32(1), 2.0).weak_type
  # A weak value meets a strong one: the strong dtype wins.
  w = jnp.asarray(2.0)
  assert w.weak_type and (w + jnp.ones(2, jnp.float16)).dtype == np.float16


def test_python_int_overflow_raises():
  with pytest.raises(OverflowError):
    jnp.ones(2, jnp.int8) + 300


# --- Scalar types and dtype objects --------------------------------------------

@pytest.mark.parametrize("t, np_type", [
    (jnp.bool_, np.bool_), (jnp.int8, np.int8), (jnp.int16, np.int16),
    (jnp.int32, np.int32), (jnp.uint8, np.uint8), (jnp.uint16, np.uint16),
    (jnp.uint32, np.uint32), (jnp.float16, np.float16),
    (jnp.bfloat16, ml_dtypes.bfloat16), (jnp.float32, np.float32),
    (jnp.complex64, np.complex64),
])
def test_scalar_types(t, np_type):
  assert np.dtype(t) == np.dtype(np_type)
  assert jnp.dtype(t) == np.dtype(np_type)
  assert t.dtype == np.dtype(np_type)
  assert t == np_type and hash(t) == hash(np_type)
  x = t(1)
  assert isinstance(x, jnp.ndarray) and x.shape == () and x.dtype == np_type
  assert not x.weak_type
  assert jnp.zeros(2, dtype=t).dtype == np_type
  v = t([1, 0])
  assert v.shape == (2,) and v.dtype == np_type


def test_scalar_type_calls():
  assert float(jnp.float32(1.5)) == 1.5
  assert jnp.int32(jnp.float32(2.7)).dtype == np.int32
  assert int(jnp.int32(jnp.float32(2.7))) == 2
  assert jnp.float64(1.0).dtype == np.float32   # x64 off canonicalizes
  assert jnp.int64 == np.int64 and jnp.float_ is jnp.float64
  assert jnp.bool is jnp.bool_ and jnp.ndarray is morphax.Array


@pytest.mark.parametrize("dtype, bits, eps", [
    (jnp.float32, 32, np.finfo(np.float32).eps),
    (jnp.float16, 16, np.finfo(np.float16).eps),
    (jnp.bfloat16, 16, 2.0 ** -7),
    ("float64", 64, np.finfo(np.float64).eps),
    (jnp.complex64, 32, np.finfo(np.float32).eps),
])
def test_finfo(dtype, bits, eps):
  info = jnp.finfo(dtype)
  assert info.bits == bits and float(info.eps) == eps


def test_iinfo_and_errors():
  assert jnp.iinfo(jnp.int8).max == 127 and jnp.iinfo("uint16").max == 65535
  assert jnp.iinfo(jnp.zeros(2, jnp.int32)).min == -2 ** 31
  assert jnp.finfo(jnp.zeros(2)).bits == 32
  with pytest.raises(ValueError, match="finfo: int32 is not a floating point type"):
    jnp.finfo(jnp.int32)
  with pytest.raises(ValueError, match="iinfo: float32 is not an integer type"):
    jnp.iinfo(jnp.float32)


@pytest.mark.parametrize("a, b, expected", [
    (jnp.float32, jnp.floating, True), (jnp.float32, jnp.inexact, True),
    (jnp.float32, jnp.integer, False), (jnp.int8, jnp.signedinteger, True),
    (jnp.uint8, jnp.signedinteger, False), (jnp.uint8, jnp.integer, True),
    (jnp.bfloat16, jnp.floating, True), (jnp.bfloat16, jnp.number, True),
    (jnp.bfloat16, jnp.integer, False), (jnp.bfloat16, jnp.bfloat16, True),
    (jnp.float16, jnp.bfloat16, False), (jnp.complex64, jnp.complexfloating, True),
    (jnp.bool_, jnp.integer, False), ("int32", np.int32, True),
    (np.dtype("float32"), jnp.float32, True), (float, jnp.floating, True),
])
def test_issubdtype(a, b, expected):
  assert jnp.issubdtype(a, b) is expected


def test_issubdtype_of_array_dtype():
  assert jnp.issubdtype(jnp.ones(2).dtype, jnp.floating)
  assert not jnp.issubdtype(jnp.arange(2).dtype, jnp.floating)


@pytest.mark.parametrize("a, b, casting, expected", [
    (jnp.int8, jnp.int32, "safe", True), (jnp.int32, jnp.int8, "safe", False),
    (jnp.float32, jnp.int32, "same_kind", False),
    (jnp.float32, jnp.int32, "unsafe", True),
    (jnp.bfloat16, jnp.float32, "safe", True),
])
def test_can_cast(a, b, casting, expected):
  assert jnp.can_cast(a, b, casting) is expected
  assert jnp.can_cast(jnp.zeros(1, a), b, casting) is expected
