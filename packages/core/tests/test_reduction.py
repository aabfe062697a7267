"""Reductions (ops/reduction.py): reduce_*, reduce, argmax/argmin and the
cumulative reductions, against numpy."""

import ml_dtypes
import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.ops import reduction

PRIMITIVES_COVERED = {
    "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and",
    "reduce_or", "reduce_xor", "argmax", "argmin", "cumsum", "cumprod",
    "cummax", "cummin", "cumlogsumexp",
}

f32, i32, u8, bf16 = np.float32, np.int32, np.uint8, ml_dtypes.bfloat16
c64, b = np.complex64, np.bool_
NAN, INF = np.nan, np.inf


def _rand(shape, dtype, seed=0, low=-3, high=4):
  rng = np.random.default_rng(seed)
  dtype = np.dtype(dtype)
  if dtype == np.bool_:
    return rng.random(shape) < 0.5
  if dtype.kind in "iu":
    return rng.integers(max(low, np.iinfo(dtype).min), high, shape).astype(dtype)
  if dtype.kind == "c":
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
  return rng.standard_normal(shape).astype(dtype)


def _tol(dtype):
  return {np.dtype(bf16): 2e-2, np.dtype(f32): 2e-5, np.dtype(c64): 2e-5}.get(
      np.dtype(dtype), 0)


def _upcast(x):
  """numpy works on bfloat16 through float32; the order and values match."""
  return x.astype(f32) if x.dtype == bf16 else x


def _check(out, ref, dtype):
  assert out.dtype == np.dtype(dtype), (out.dtype, dtype)
  assert out.shape == ref.shape, (out.shape, ref.shape)
  got = _upcast(np.asarray(out))
  ref = np.asarray(ref).astype(got.dtype)
  if _tol(dtype):
    np.testing.assert_allclose(got, ref, rtol=_tol(dtype), atol=_tol(dtype))
  else:
    np.testing.assert_array_equal(got, ref)


# --- reduce_sum, reduce_max, ... ----------------------------------------------

def _ufunc_ref(ufunc, identity):
  def ref(x, axes):
    x = _upcast(x)
    return ufunc.reduce(x, axis=tuple(a % max(x.ndim, 1) for a in axes),
                        initial=identity(x.dtype))
  return ref


SUM = _ufunc_ref(np.add, lambda d: 0)
PROD = _ufunc_ref(np.multiply, lambda d: 1)
MAX = _ufunc_ref(np.maximum, reduction.max_identity)
MIN = _ufunc_ref(np.minimum, reduction.min_identity)
AND = _ufunc_ref(np.bitwise_and, lambda d: True if d == np.bool_ else np.array(-1).astype(d))
OR = _ufunc_ref(np.bitwise_or, lambda d: 0)
XOR = _ufunc_ref(np.bitwise_xor, lambda d: 0)

# Complex numbers with equal real parts: max/min compare lexicographically.
C_TIES = np.array([[1 + 5j, 2 - 1j, 2 + 0j, -3j], [2 + 0j, 2 + 1j, 0j, 1 - 1j]], c64)

REDUCE_ROWS = [
    # op, numpy reference, operand (array), axes
    (lax.reduce_sum, SUM, _rand((3, 4), f32), (1,)),
    (lax.reduce_sum, SUM, _rand((2, 3, 4), i32), (0, 2)),
    (lax.reduce_sum, SUM, _rand((), f32), ()),
    (lax.reduce_sum, SUM, _rand((3, 4), f32), ()),
    (lax.reduce_sum, SUM, _rand((0, 3), f32), (0,)),
    (lax.reduce_sum, SUM, _rand((2, 0), i32), (1,)),
    (lax.reduce_sum, SUM, _rand((4, 5), bf16), (0, 1)),
    (lax.reduce_sum, SUM, _rand((3, 4), f32), (-1,)),
    (lax.reduce_sum, SUM, _rand((3,), c64), (0,)),
    (lax.reduce_max, MAX, np.array([[1, NAN, 2], [3, 4, 5]], f32), (1,)),
    (lax.reduce_max, MAX, _rand((2, 3, 4), i32), (1,)),
    (lax.reduce_max, MAX, _rand((0, 3), f32), (0,)),
    (lax.reduce_max, MAX, _rand((2, 0), i32), (1,)),
    (lax.reduce_max, MAX, _rand((0,), b), (0,)),
    (lax.reduce_max, MAX, _rand((3, 4), b), (1,)),
    (lax.reduce_max, MAX, _rand((3, 4), bf16), (0,)),
    (lax.reduce_max, MAX, _rand((5,), u8, high=200), (0,)),
    (lax.reduce_max, MAX, C_TIES, (0,)),
    (lax.reduce_max, MAX, C_TIES, (1,)),
    (lax.reduce_min, MIN, C_TIES, (1,)),
    (lax.reduce_min, MIN, _rand((3, 4), f32), (0, 1)),
    (lax.reduce_min, MIN, _rand((0, 2), f32), (0,)),
    (lax.reduce_min, MIN, _rand((0,), i32), (0,)),
    (lax.reduce_min, MIN, _rand((0,), b), (0,)),
    (lax.reduce_min, MIN, _rand((2, 3), b), (0,)),
    (lax.reduce_prod, PROD, _rand((2, 5), f32), (1,)),
    (lax.reduce_prod, PROD, _rand((3, 4), i32), (0,)),
    (lax.reduce_prod, PROD, _rand((0, 4), f32), (0,)),
    (lax.reduce_and, AND, _rand((3, 4), b), (1,)),
    (lax.reduce_and, AND, _rand((3, 4), i32, low=-100, high=100), (0,)),
    (lax.reduce_and, AND, _rand((0, 2), b), (0,)),
    (lax.reduce_and, AND, _rand((0,), i32), (0,)),
    (lax.reduce_and, AND, _rand((2, 0), u8), (1,)),
    (lax.reduce_or, OR, _rand((3, 4), b), (0, 1)),
    (lax.reduce_or, OR, _rand((3, 4), u8, high=200), (1,)),
    (lax.reduce_or, OR, _rand((0,), b), (0,)),
    (lax.reduce_xor, XOR, _rand((3, 5), b), (1,)),
    (lax.reduce_xor, XOR, _rand((4, 3), i32, low=-100, high=100), (0,)),
    (lax.reduce_xor, XOR, _rand((0,), i32), (0,)),
]


@pytest.mark.parametrize("op, ref, x, axes", REDUCE_ROWS,
                         ids=lambda v: getattr(v, "__name__", None))
def test_reduce(op, ref, x, axes):
  out = op(morphax.device_put(x), axes)
  _check(out, ref(x, axes), x.dtype)
  assert not out.weak_type


def test_reduce_keeps_weak_type():
  assert lax.reduce_sum(2.0, ()).weak_type
  out = lax.reduce_max(morphax.device_put(np.ones((2, 3), f32)), (0,))
  assert not out.weak_type


def test_reduce_accepts_python_scalars_and_numpy():
  assert float(lax.reduce_sum(2.5, ())) == 2.5
  np.testing.assert_array_equal(np.asarray(lax.reduce_min(np.arange(4), (0,))), 0)


# --- lax.reduce: monoids become reduce_* ---------------------------------------

def _x(dtype=f32):
  return _rand((3, 4), dtype)


REDUCE_MONOID_ROWS = [
    # computation, init_value, operand, numpy reference over axes (0,)
    (lax.add, 0., _x(), SUM),
    (lax.add, 0, _x(i32), SUM),
    (lax.mul, 1., _x(), PROD),
    (lax.max, -INF, _x(), MAX),
    (lax.max, np.iinfo(i32).min, _x(i32), MAX),
    (lax.min, INF, _x(), MIN),
    (lax.bitwise_and, True, _x(b), AND),
    (lax.bitwise_or, 0, _x(i32), OR),
    (lax.bitwise_xor, False, _x(b), XOR),
]


@pytest.mark.parametrize("computation, init, x, ref", REDUCE_MONOID_ROWS)
def test_reduce_monoids(computation, init, x, ref):
  out = lax.reduce(morphax.device_put(x), init, computation, (0,))
  _check(out, ref(x, (0,)), x.dtype)


def test_reduce_keeps_the_tree_structure():
  x = _x()
  out = lax.reduce((x,), (0.,), lax.add, (1,))
  assert isinstance(out, tuple) and len(out) == 1
  _check(out[0], SUM(x, (1,)), f32)


def test_reduce_errors():
  # ops/reduction.py's reduce takes monoids only; lax.reduce (lax_extras)
  # sends everything else down its general path (tested there).
  from morphax.ops import reduction
  x = _x()
  with pytest.raises(NotImplementedError, match=r"reduce: only monoid reductions"):
    reduction.reduce(x, 1., lax.add, (0,))
  with pytest.raises(NotImplementedError, match=r"computation=<function sub"):
    reduction.reduce(x, 0., lax.sub, (0,))
  with pytest.raises(NotImplementedError, match=r"of one operand"):
    reduction.reduce((x, x), (0., 0.), lax.add, (0,))
  with pytest.raises(ValueError, match=r"reduce: operands and init_values must "
                     r"have the same tree structure"):
    lax.reduce((x,), 0., lax.add, (0,))


# --- argmax, argmin -------------------------------------------------------------

ARG_ROWS = [
    # operand, axis, index_dtype (both argmax and argmin run on each row)
    (np.array([[1, 3, 3, 0], [2, 2, 0, 0]], f32), 1, i32),
    (np.array([1, NAN, 3, NAN, 0], f32), 0, i32),
    (np.array([NAN, NAN], f32), 0, i32),
    (np.array([[-INF, -INF, 5], [INF, INF, INF]], f32), 1, i32),
    (np.array([0.0, -0.0, 0.0, -0.0], f32), 0, i32),
    (np.array([[4, NAN, 1], [NAN, 2, 2], [1, 1, NAN]], f32), 0, np.int16),
    (_rand((4, 7), i32, high=3), 1, i32),
    (np.array([np.iinfo(i32).min, np.iinfo(i32).min, 1], i32), 0, i32),
    (_rand((2, 6), b), 1, i32),
    (_rand((5, 3), bf16).round(), 0, i32),
    (np.array([[9, 2], [7, 2]], u8), 0, u8),
    (_rand((0, 3), f32), 1, i32),
    (np.array([7.0], f32), 0, i32),
]


@pytest.mark.parametrize("x, axis, index_dtype", ARG_ROWS)
@pytest.mark.parametrize("op, ref", [(lax.argmax, np.argmax), (lax.argmin, np.argmin)],
                         ids=["argmax", "argmin"])
def test_argminmax(op, ref, x, axis, index_dtype):
  out = op(morphax.device_put(x), axis, index_dtype)
  _check(out, ref(_upcast(x), axis=axis), index_dtype)
  assert not out.weak_type


def test_argmax_negative_axis():
  x = _rand((3, 4), f32)
  np.testing.assert_array_equal(np.asarray(lax.argmax(x, -1, i32)), np.argmax(x, -1))


# --- Cumulative reductions ------------------------------------------------------

def _accumulate(ufunc):
  def ref(x, axis, reverse):
    x = _upcast(x)
    if reverse:
      return np.flip(ufunc.accumulate(np.flip(x, axis), axis=axis), axis)
    return ufunc.accumulate(x, axis=axis)
  return ref


CUMSUM, CUMPROD = _accumulate(np.add), _accumulate(np.multiply)
CUMMAX, CUMMIN = _accumulate(np.maximum), _accumulate(np.minimum)
CUMLSE = _accumulate(np.logaddexp)

CUMULATIVE_ROWS = [
    # op, numpy reference, operand, axis, reverse
    (lax.cumsum, CUMSUM, _rand((7,), f32), 0, False),
    (lax.cumsum, CUMSUM, _rand((3, 5), i32), 1, True),
    (lax.cumsum, CUMSUM, _rand((33,), i32), 0, False),
    (lax.cumsum, CUMSUM, _rand((2, 9), f32), -1, False),
    (lax.cumsum, CUMSUM, _rand((0,), f32), 0, False),
    (lax.cumsum, CUMSUM, _rand((4, 0), f32), 0, True),
    (lax.cumsum, CUMSUM, _rand((1,), f32), 0, False),
    (lax.cumsum, CUMSUM, _rand((10,), bf16), 0, False),
    (lax.cumsum, CUMSUM, _rand((4,), c64), 0, True),
    (lax.cumprod, CUMPROD, (1 + _rand((6,), f32) / 10), 0, False),
    (lax.cumprod, CUMPROD, _rand((3, 5), i32), 0, True),
    (lax.cummax, CUMMAX, _rand((2, 11), f32), 1, False),
    (lax.cummax, CUMMAX, np.array([1, NAN, 3, 0], f32), 0, False),
    (lax.cummax, CUMMAX, _rand((6,), i32), 0, True),
    (lax.cummax, CUMMAX, _rand((6,), u8, high=200), 0, False),
    (lax.cummin, CUMMIN, _rand((5, 2), f32), 0, True),
    (lax.cummin, CUMMIN, _rand((9,), i32), 0, False),
    (lax.cummin, CUMMIN, _rand((9,), bf16), 0, False),
    (lax.cumlogsumexp, CUMLSE, _rand((2, 13), f32), 1, False),
    (lax.cumlogsumexp, CUMLSE, np.array([1000, 1000, -1000, 2000], f32), 0, True),
    (lax.cumlogsumexp, CUMLSE, np.array([-INF, -INF, 0, -INF, 88, 90], f32), 0, False),
    (lax.cumlogsumexp, CUMLSE, np.array([-INF, 1, INF, 3], f32), 0, False),
    (lax.cumlogsumexp, CUMLSE, _rand((8,), bf16), 0, False),
    (lax.cumlogsumexp, CUMLSE, _rand((0, 3), f32), 0, False),
]


@pytest.mark.parametrize("op, ref, x, axis, reverse", CUMULATIVE_ROWS,
                         ids=lambda v: getattr(v, "__name__", None))
def test_cumulative(op, ref, x, axis, reverse):
  out = op(morphax.device_put(x), axis=axis, reverse=reverse)
  expected = ref(x, axis % x.ndim, reverse)
  with np.errstate(invalid="ignore"):
    _check(out, expected, x.dtype)


def test_cumulative_default_axis_and_weak_type():
  x = _rand((3, 2), f32)
  np.testing.assert_allclose(np.asarray(lax.cumsum(x)), np.cumsum(x, 0), rtol=1e-6)
  assert not lax.cumsum(x).weak_type


# --- Errors ----------------------------------------------------------------------

X23 = np.zeros((2, 3), f32)

ERROR_ROWS = [
    # call, exception, message pattern
    (lambda: lax.reduce_sum(X23, (2,)), ValueError,
     r"reduce_sum: axis 2 is out of bounds for an array of rank 2"),
    (lambda: lax.reduce_max(X23, (-3,)), ValueError,
     r"reduce_max: axis -3 is out of bounds for an array of rank 2"),
    (lambda: lax.reduce_min(X23, (0, 0)), ValueError,
     r"reduce_min: repeated axis in \(0, 0\)"),
    (lambda: lax.reduce_sum(X23, (1, -1)), ValueError,
     r"reduce_sum: repeated axis in \(1, -1\)"),
    (lambda: reduction.reduce_sum_p.bind(X23, axes=(-1,)), ValueError,
     r"reduce_sum: axes must be non-negative, got \(-1,\)"),
    (lambda: lax.reduce_and(X23, (0,)), TypeError,
     r"reduce_and does not accept operand dtype float32; accepted dtypes: "
     r"bool, integer"),
    (lambda: lax.reduce_xor(X23, (0,)), TypeError,
     r"reduce_xor does not accept operand dtype float32"),
    (lambda: lax.reduce_sum(np.ones(2, b), (0,)), TypeError,
     r"reduce_sum does not accept operand dtype bool"),
    (lambda: lax.reduce_prod(np.ones(2, b), (0,)), TypeError,
     r"reduce_prod does not accept operand dtype bool"),
    (lambda: lax.argmax(X23, 2, i32), ValueError,
     r"argmax: axis 2 is out of bounds for an array of rank 2"),
    (lambda: lax.argmin(np.zeros((2, 0), f32), 1, i32), ValueError,
     r"argmin: the reduced dimension must be non-empty, got operand shape "
     r"\(2, 0\) and axis 1"),
    (lambda: lax.argmax(X23, 0, f32), TypeError,
     r"argmax does not accept index_dtype dtype float32; accepted dtypes: integer"),
    (lambda: lax.argmax(np.ones(2, c64), 0, i32), TypeError,
     r"argmax does not accept operand dtype complex64"),
    (lambda: lax.cumsum(np.ones(3, b)), TypeError,
     r"cumsum does not accept operand dtype bool"),
    (lambda: lax.cummax(np.ones(3, c64)), TypeError,
     r"cummax does not accept operand dtype complex64"),
    (lambda: lax.cumlogsumexp(np.ones(3, i32)), TypeError,
     r"cumlogsumexp does not accept operand dtype int32; accepted dtypes: floating"),
    (lambda: lax.cumsum(X23, axis=2), ValueError,
     r"cumsum: axis 2 is out of bounds for an array of rank 2"),
    (lambda: lax.cumprod(np.float32(1.0)), ValueError,
     r"cumprod: axis 0 is out of bounds for an array of rank 0"),
    (lambda: reduction.cumsum_p.bind(X23, axis=-1, reverse=False), ValueError,
     r"cumsum: axis -1 is out of bounds for an array of shape \(2, 3\)"),
]


@pytest.mark.parametrize("call, exc, pattern", ERROR_ROWS)
def test_errors(call, exc, pattern):
  with pytest.raises(exc, match=pattern):
    call()
