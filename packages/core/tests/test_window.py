"""Windowed reductions (ops/window.py): reduce_window, padtype_to_pads and
reduce_window_shape_tuple, against a numpy loop."""

import itertools

import ml_dtypes
import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.ops import reduction, window

PRIMITIVES_COVERED = {"reduce_window_sum", "reduce_window_max",
                      "reduce_window_min"}

f32, i32, u8, bf16, b = np.float32, np.int32, np.uint8, ml_dtypes.bfloat16, np.bool_
NAN, INF = np.nan, np.inf


def _rand(shape, dtype, seed=0):
  rng = np.random.default_rng(seed)
  dtype = np.dtype(dtype)
  if dtype == np.bool_:
    return rng.random(shape) < 0.5
  if dtype.kind in "iu":
    return rng.integers(0, 50, shape).astype(dtype)
  return rng.standard_normal(shape).astype(dtype)


def _np_reduce_window(x, ufunc, init, dims, strides, pads, base_dil, win_dil):
  """The definition, one window at a time: dilate the operand (holes hold
  `init`), pad it with `init` (negative padding crops), then reduce each
  dilated window."""
  shape = [0 if d == 0 else (d - 1) * r + 1 for d, r in zip(x.shape, base_dil)]
  dilated = np.full(shape, init, x.dtype)
  dilated[tuple(slice(None, None, r) for r in base_dil)] = x
  widths = np.array([(max(lo, 0), max(hi, 0)) for lo, hi in pads], int)
  padded = np.pad(dilated, widths, constant_values=init) if x.ndim else dilated
  padded = padded[tuple(slice(max(-lo, 0), padded.shape[i] - max(-hi, 0))
                        for i, (lo, hi) in enumerate(pads))]
  extents = [(w - 1) * r + 1 for w, r in zip(dims, win_dil)]
  out_shape = [max(0, (p - e) // s + 1) if p >= e else 0
               for p, e, s in zip(padded.shape, extents, strides)]
  out = np.empty(out_shape, x.dtype)
  for idx in itertools.product(*map(range, out_shape)):
    window_ = padded[tuple(slice(i * s, i * s + e, r) for i, s, e, r
                           in zip(idx, strides, extents, win_dil))]
    out[idx] = ufunc.reduce(window_.ravel(), initial=init)
  return out


# Rows: computation, numpy ufunc, operand, window_dimensions, window_strides,
# padding, base_dilation, window_dilation.
ROWS = [
    (lax.add, np.add, _rand((4, 5), f32), (2, 2), (1, 1), "VALID", None, None),
    (lax.add, np.add, _rand((5, 6), i32), (3, 2), (2, 3), "SAME", None, None),
    (lax.add, np.add, _rand((6,), f32), (3,), (2,), "SAME_LOWER", None, None),
    (lax.add, np.add, _rand((3, 4), f32), (2, 3), (1, 2), ((1, 0), (2, 1)),
     (2, 1), (1, 2)),
    (lax.add, np.add, _rand((4, 4), i32), (2, 2), (1, 1), ((-1, 0), (0, -1)),
     None, None),
    (lax.add, np.add, _rand((2, 3, 4), bf16), (1, 2, 2), (1, 1, 2), "SAME",
     None, (1, 1, 2)),
    (lax.add, np.add, _rand((0, 3), f32), (1, 2), (1, 1), "VALID", None, None),
    (lax.add, np.add, _rand((0, 3), f32), (2, 2), (1, 1), ((1, 1), (0, 0)),
     None, None),
    (lax.add, np.add, _rand((), f32), (), (), "VALID", None, None),
    (lax.add, np.add, _rand((3,), f32), (5,), (1,), "VALID", None, None),
    (lax.max, np.maximum, _rand((4, 6), f32), (2, 2), (2, 2), "VALID", None, None),
    (lax.max, np.maximum, np.array([[1, NAN, 2], [3, 4, 5]], f32), (1, 2), (1, 1),
     "VALID", None, None),
    (lax.max, np.maximum, _rand((5, 5), i32), (3, 3), (2, 2), "SAME", (1, 2), None),
    (lax.max, np.maximum, _rand((7,), u8), (3,), (1,), ((2, 2),), None, (2,)),
    (lax.max, np.maximum, _rand((6,), b), (2,), (1,), "SAME", None, None),
    (lax.max, np.maximum, _rand((4, 4), bf16), (2, 2), (1, 1), "SAME", None, None),
    (lax.min, np.minimum, _rand((4, 6), f32), (3, 2), (1, 2), "SAME", None, None),
    (lax.min, np.minimum, _rand((5,), i32), (2,), (1,), ((1, 3),), (3,), (2,)),
    (lax.min, np.minimum, _rand((5, 2), b), (2, 1), (1, 1), "VALID", None, None),
    (lax.min, np.minimum, _rand((0,), f32), (2,), (1,), ((3, 0),), None, None),
]

IDENTITY = {lax.add: lambda d: 0, lax.max: reduction.max_identity,
            lax.min: reduction.min_identity}


@pytest.mark.parametrize(
    "computation, ufunc, x, dims, strides, padding, base_dil, win_dil", ROWS)
def test_reduce_window(computation, ufunc, x, dims, strides, padding, base_dil,
                       win_dil):
  init = IDENTITY[computation](x.dtype)
  out = lax.reduce_window(morphax.device_put(x), init, computation, dims, strides,
                          padding, base_dil, win_dil)
  ones = (1,) * x.ndim
  base_dil, win_dil = base_dil or ones, win_dil or ones
  pads = padding
  if isinstance(padding, str):
    extents = [(w - 1) * r + 1 for w, r in zip(dims, win_dil)]
    pads = lax.padtype_to_pads(x.shape, extents, strides, padding)
  compute = x.astype(f32) if x.dtype == bf16 else x
  ref = _np_reduce_window(compute, ufunc, np.asarray(init).astype(compute.dtype),
                          dims, strides, pads, base_dil, win_dil)
  assert out.dtype == x.dtype and out.shape == ref.shape
  assert out.shape == lax.reduce_window_shape_tuple(x.shape, dims, strides, pads,
                                                    base_dil, win_dil)
  assert not out.weak_type
  got = np.asarray(out).astype(compute.dtype)
  tol = 2e-2 if x.dtype == bf16 else 1e-5
  np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)


def test_reduce_window_float_identities_and_defaults():
  """-inf/+inf select max/min on floats; window_strides=None means ones; a
  one-leaf pytree comes back as the same pytree."""
  x = _rand((3, 4), f32)
  out = lax.reduce_window(x, -np.inf, lax.max, (2, 2), None, "VALID")
  ref = _np_reduce_window(x, np.maximum, -INF, (2, 2), (1, 1), [(0, 0)] * 2,
                          (1, 1), (1, 1))
  np.testing.assert_array_equal(np.asarray(out), ref)
  out = lax.reduce_window([x], [np.float32(np.inf)], lax.min, (1, 2), (1, 1), "VALID")
  assert isinstance(out, list) and len(out) == 1
  assert lax.reduce_window(2.0, 0.0, lax.add, (), (), "VALID").weak_type


# --- padtype_to_pads and reduce_window_shape_tuple -----------------------------

PAD_ROWS = [
    # in_shape, window_shape, window_strides, padding, expected pads
    ((5,), (3,), (2,), "SAME", [(1, 1)]),
    ((5,), (3,), (1,), "SAME", [(1, 1)]),
    ((6,), (4,), (1,), "SAME", [(1, 2)]),
    ((6,), (4,), (1,), "SAME_LOWER", [(2, 1)]),
    ((6,), (2,), (2,), "SAME", [(0, 0)]),
    ((7, 4), (3, 3), (3, 2), "same", [(1, 1), (0, 1)]),
    ((2,), (5,), (1,), "SAME", [(2, 2)]),
    ((0,), (3,), (1,), "SAME", [(1, 1)]),  # as JAX: the output is empty anyway
    ((5, 3), (2, 2), (1, 1), "VALID", [(0, 0), (0, 0)]),
]


@pytest.mark.parametrize("in_shape, window, strides, padding, expected", PAD_ROWS)
def test_padtype_to_pads(in_shape, window, strides, padding, expected):
  assert lax.padtype_to_pads(in_shape, window, strides, padding) == expected


def test_same_padding_keeps_ceil_of_size_over_stride():
  for size, w, s in itertools.product(range(0, 7), range(1, 4), range(1, 4)):
    pads = lax.padtype_to_pads((size,), (w,), (s,), "SAME")
    assert lax.reduce_window_shape_tuple((size,), (w,), (s,), pads) == (-(-size // s),)


def test_reduce_window_shape_tuple():
  assert lax.reduce_window_shape_tuple((10, 8), (3, 2), (2, 2), ((0, 0), (1, 1))) == (4, 5)
  assert lax.reduce_window_shape_tuple((4,), (3,), (1,), ((0, 0),), (2,), (2,)) == (3,)
  assert lax.reduce_window_shape_tuple((2,), (4,), (1,), ((0, 0),)) == (0,)


# --- Errors ----------------------------------------------------------------------

X = np.zeros((4, 5), f32)

ERROR_ROWS = [
    # call, exception, message pattern
    (lambda: lax.reduce_window(X, 0., lax.add, (2,), (1,), "VALID"), TypeError,
     r"reduce_window: window_dimensions must have one entry per operand "
     r"dimension, got operand shape \(4, 5\) with window_dimensions \(2,\)"),
    (lambda: lax.reduce_window(X, 0., lax.add, (2, 2, 1), (1, 1, 1), ((0, 0),) * 3),
     TypeError, r"reduce_window_sum: window_dimensions must have one entry per "
     r"operand dimension"),
    (lambda: lax.reduce_window(X, 0., lax.add, (2, 2), (1,), "VALID"), TypeError,
     r"reduce_window: window_strides must have one entry per window dimension, "
     r"got window_strides=\(1,\) for window_dimensions \(2, 2\)"),
    (lambda: lax.reduce_window(X, 0., lax.add, (2, 2), (1, 1), ((0, 0),)), TypeError,
     r"reduce_window_sum: padding must have one entry per window dimension"),
    (lambda: lax.reduce_window(X, 0., lax.add, (2, 2), (1, 1), "VALID", (1,)),
     TypeError, r"base_dilation must have one entry per window dimension"),
    (lambda: lax.reduce_window(X, 0., lax.add, (2, 2), (0, 1), "VALID"), ValueError,
     r"reduce_window: window_strides must be positive, got \(0, 1\)"),
    (lambda: lax.reduce_window(X, 0., lax.add, (0, 2), (1, 1), ((0, 0), (0, 0))),
     ValueError, r"reduce_window_sum: window_dimensions must be positive"),
    (lambda: lax.reduce_window(X, 0., lax.add, (2, 2), (1, 1), "FULL"), ValueError,
     r"padtype_to_pads: unrecognized padding 'FULL'; expected 'SAME', "
     r"'SAME_LOWER', 'VALID'"),
    (lambda: lax.reduce_window(X, 0., lax.add, (2, 2), (1, 1), (1, 2)), TypeError,
     r"reduce_window: padding must be 'SAME', 'SAME_LOWER', 'VALID' or a "
     r"sequence of \(low, high\) integer pairs, got \(1, 2\)"),
    (lambda: lax.reduce_window(X, 0., lax.add, (2, 2.5), (1, 1), "VALID"), TypeError,
     r"reduce_window: window_dimensions must be a sequence of integers"),
    (lambda: lax.padtype_to_pads((3,), (2,), (1,), 3), TypeError,
     r"padtype_to_pads: padding must be a string, got 3"),
    (lambda: lax.reduce_window(np.ones(3, b), False, lax.add, (2,), (1,), "VALID"),
     TypeError, r"reduce_window_sum does not accept operand dtype bool"),
    (lambda: lax.reduce_window(X, 1., lax.add, (2, 2), (1, 1), "VALID"),
     NotImplementedError, r"reduce_window: only computation lax.add with "
     r"init_value 0.*Got computation=.*add.* and init_value=1.0"),
    (lambda: lax.reduce_window(X, 0., lax.max, (2, 2), (1, 1), "VALID"),
     NotImplementedError, r"need jaxpr tracing"),
    (lambda: lax.reduce_window(X, 1., lax.mul, (2, 2), (1, 1), "VALID"),
     NotImplementedError, r"computation=<function mul"),
    (lambda: lax.reduce_window((X, X), (0., 0.), lax.add, (2, 2), (1, 1), "VALID"),
     NotImplementedError, r"on one operand"),
    (lambda: lax.reduce_window((X,), 0., lax.add, (2, 2), (1, 1), "VALID"),
     ValueError, r"reduce_window: operand and init_value must have the same tree "
     r"structure"),
    (lambda: window.reduce_window_max_p.bind(
        X, window_dimensions=(2, 2), window_strides=(1, 1),
        padding=((0, 0), (0, 0)), base_dilation=(1, 0), window_dilation=(1, 1)),
     ValueError, r"reduce_window_max: base_dilation must be positive, got \(1, 0\)"),
]


@pytest.mark.parametrize("call, exc, pattern", ERROR_ROWS)
def test_errors(call, exc, pattern):
  with pytest.raises(exc, match=pattern):
    call()
