"""morphax.numpy's cumulative functions, nan-aware reductions, quantiles
and averages against numpy: values, JAX's dtypes, jit, vmap and grads."""

import warnings

import hypothesis
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads

f16, f32 = np.dtype(np.float16), np.dtype(np.float32)
i8, i32, u8 = np.dtype(np.int8), np.dtype(np.int32), np.dtype(np.uint8)
b1 = np.dtype(np.bool_)


def _data(shape, dtype=f32, nan=False, seed=0):
  rng = np.random.default_rng(seed)
  if dtype == b1:
    return rng.random(shape) < 0.5
  if dtype.kind in "iu":
    return rng.integers(0 if dtype.kind == "u" else -5, 6, shape).astype(dtype)
  x = rng.standard_normal(shape)
  if nan and x.size:
    x[rng.random(shape) < 0.3] = np.nan
    x.flat[0] = np.nan
  return x.astype(dtype)


def _check(out, expected, dtype, tol=3e-6):
  expected = np.asarray(expected)
  assert out.dtype == dtype, (out.dtype, dtype)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  np.testing.assert_allclose(np.asarray(out).astype(np.float64),
                             expected.astype(np.float64), rtol=tol, atol=tol,
                             equal_nan=True)


def _nowarn():
  """numpy warns on all-NaN slices and empty means: silence it."""
  ctx = warnings.catch_warnings()
  ctx.__enter__()
  warnings.simplefilter("ignore")
  return _Exit(ctx)


class _Exit:
  def __init__(self, ctx):
    self.ctx = ctx

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    return self.ctx.__exit__(*exc)


# (name, jnp call, numpy call, input shape, dtype, nans, result dtype)
def _np_cumulative_sum_with_initial(x):
  # np.cumulative_sum only exists from numpy 2.1; the oldest supported numpy
  # is 2.0, so the oracle is spelled with cumsum.
  zeros = np.zeros(x.shape[:1] + (1,), x.dtype)
  return np.concatenate([zeros, np.cumsum(x, axis=1)], axis=1)


def _row(name, jfn, nfn, shape, dtype=f32, nan=False, out=None):
  return pytest.param(jfn, nfn, shape, dtype, nan, out or dtype,
                      id=f"{name}-{shape}-{dtype}{'-nan' if nan else ''}")


ROWS = [
    _row("cumsum", jnp.cumsum, np.cumsum, (2, 3)),
    _row("cumsum", lambda x: jnp.cumsum(x, axis=0), lambda x: np.cumsum(x, axis=0), (2, 3)),
    _row("cumsum", jnp.cumsum, np.cumsum, (0,)),
    _row("cumsum", jnp.cumsum, np.cumsum, ()),
    _row("cumsum", jnp.cumsum, np.cumsum, (5,), i8, out=i32),
    _row("cumsum", jnp.cumsum, np.cumsum, (5,), b1, out=i32),
    _row("cumsum", lambda x: jnp.cumsum(x, dtype=f32), lambda x: np.cumsum(x, dtype=f32), (5,), i32,
         out=f32),
    _row("cumprod", lambda x: jnp.cumprod(x, 1), lambda x: np.cumprod(x, 1), (2, 3)),
    _row("cumprod", jnp.cumprod, np.cumprod, (5,), u8, out=np.dtype(np.uint32)),
    _row("cumulative_sum", lambda x: jnp.cumulative_sum(x, axis=1, include_initial=True),
         lambda x: _np_cumulative_sum_with_initial(x), (2, 3)),
    _row("cumulative_prod", jnp.cumulative_prod, lambda x: np.cumprod(x), (4,)),
    _row("nancumsum", lambda x: jnp.nancumsum(x, 1), lambda x: np.nancumsum(x, 1), (3, 4), nan=True),
    _row("nancumprod", jnp.nancumprod, np.nancumprod, (3, 4), nan=True),
    _row("diff", jnp.diff, np.diff, (3, 4)),
    _row("diff", lambda x: jnp.diff(x, 2, axis=0), lambda x: np.diff(x, 2, axis=0), (4, 3)),
    _row("diff", lambda x: jnp.diff(x, 3), lambda x: np.diff(x, 3), (2,)),
    _row("diff", lambda x: jnp.diff(x, prepend=0, append=np.ones((2, 1), np.float32)),
         lambda x: np.diff(x, prepend=0, append=np.ones((2, 1), np.float32)), (2, 3)),
    _row("diff", jnp.diff, np.diff, (5,), b1),
    _row("diff", lambda x: jnp.diff(x, 0), lambda x: np.diff(x, 0), (0,)),
    _row("ediff1d", jnp.ediff1d, np.ediff1d, (2, 3)),
    _row("ediff1d", lambda x: jnp.ediff1d(x, np.array([7, 8]), -1),
         lambda x: np.ediff1d(x, np.array([7, 8]), -1), (4,), i32),
    _row("nansum", jnp.nansum, np.nansum, (3, 4), nan=True),
    _row("nansum", lambda x: jnp.nansum(x, 1, keepdims=True),
         lambda x: np.nansum(x, 1, keepdims=True), (3, 4), nan=True),
    _row("nansum", jnp.nansum, np.nansum, (4,), i8, out=i32),
    _row("nanprod", lambda x: jnp.nanprod(x, 0), lambda x: np.nanprod(x, 0), (3, 4), nan=True),
    _row("nanmax", lambda x: jnp.nanmax(x, 1), lambda x: np.nanmax(x, 1), (3, 4), nan=True),
    _row("nanmax", jnp.nanmax, np.nanmax, (4,), i32),
    _row("nanmin", lambda x: jnp.nanmin(x, 0, keepdims=True),
         lambda x: np.nanmin(x, 0, keepdims=True), (3, 4), nan=True),
    _row("nanmean", lambda x: jnp.nanmean(x, 1), lambda x: np.nanmean(x, 1), (3, 4), nan=True),
    _row("nanmean", jnp.nanmean, np.nanmean, (4,), i32, out=f32),
    _row("nanmean", jnp.nanmean, np.nanmean, (6,), f16, nan=True),
    _row("nanvar", lambda x: jnp.nanvar(x, 1, ddof=1), lambda x: np.nanvar(x, 1, ddof=1),
         (3, 5), nan=True),
    _row("nanstd", lambda x: jnp.nanstd(x, 0), lambda x: np.nanstd(x, 0), (5, 3), nan=True),
    _row("nanargmax", lambda x: jnp.nanargmax(x, 1), lambda x: np.nanargmax(x, 1),
         (3, 4), nan=True, out=i32),
    _row("nanargmin", jnp.nanargmin, np.nanargmin, (3, 4), nan=True, out=i32),
    _row("nanargmin", lambda x: jnp.nanargmin(x, 0, keepdims=True),
         lambda x: np.nanargmin(x, 0, keepdims=True), (3, 4), out=i32),
    _row("median", jnp.median, np.median, (3, 4)),
    _row("median", lambda x: jnp.median(x, 1, keepdims=True),
         lambda x: np.median(x, 1, keepdims=True), (3, 5)),
    _row("median", lambda x: jnp.median(x, (0, 2)), lambda x: np.median(x, (0, 2)), (2, 3, 4)),
    _row("median", jnp.median, np.median, (5,), i32, out=f32),
    _row("median", lambda x: jnp.median(x, 0), lambda x: np.median(x, 0), (4, 3), nan=True),
    _row("nanmedian", lambda x: jnp.nanmedian(x, 1), lambda x: np.nanmedian(x, 1), (4, 5), nan=True),
    _row("quantile", lambda x: jnp.quantile(x, np.array([0.0, 0.3, 1.0]), axis=1),
         lambda x: np.quantile(x, [0.0, 0.3, 1.0], axis=1), (2, 7)),
    _row("quantile", lambda x: jnp.quantile(x, 0.25, keepdims=True),
         lambda x: np.quantile(x, 0.25, keepdims=True), (3, 4)),
    _row("quantile", lambda x: jnp.quantile(x, 0.7), lambda x: np.quantile(x, 0.7), ()),
    _row("nanquantile", lambda x: jnp.nanquantile(x, np.array([0.1, 0.9]), axis=0),
         lambda x: np.nanquantile(x, [0.1, 0.9], axis=0), (6, 3), nan=True),
    _row("percentile", lambda x: jnp.percentile(x, 40, axis=1),
         lambda x: np.percentile(x, 40, axis=1), (3, 6)),
    _row("nanpercentile", lambda x: jnp.nanpercentile(x, np.array([25, 75])),
         lambda x: np.nanpercentile(x, [25, 75]), (9,), nan=True),
    _row("average", jnp.average, np.average, (3, 4)),
    _row("average", lambda x: jnp.average(x, 1, np.arange(1.0, 5.0)),
         lambda x: np.average(x, 1, np.arange(1.0, 5.0)).astype(f32), (3, 4)),
    _row("average", lambda x: jnp.average(x, 0, np.ones((3, 4), np.float32) + 1, keepdims=True),
         lambda x: np.average(x, 0, np.ones((3, 4), np.float32) + 1, keepdims=True), (3, 4)),
    _row("average", lambda x: jnp.average(x), lambda x: np.average(x).astype(f32), (4,), i32, out=f32),
    _row("ptp", jnp.ptp, np.ptp, (3, 4)),
    _row("ptp", lambda x: jnp.ptp(x, 1, keepdims=True), lambda x: np.ptp(x, 1, keepdims=True),
         (3, 4), i32),
    _row("count_nonzero", jnp.count_nonzero, np.count_nonzero, (3, 4), i32, out=i32),
    _row("count_nonzero", lambda x: jnp.count_nonzero(x, 0), lambda x: np.count_nonzero(x, 0),
         (3, 4), b1, out=i32),
]


@pytest.mark.parametrize("jfn, nfn, shape, dtype, nan, out_dtype", ROWS)
def test_values(jfn, nfn, shape, dtype, nan, out_dtype):
  x = _data(shape, dtype, nan)
  compute = f32 if dtype == f16 else dtype
  with _nowarn():
    expected = nfn(x.astype(compute))
  tol = 3e-3 if dtype == f16 else 3e-6
  _check(jfn(x), expected, out_dtype, tol)
  _check(morphax.jit(jfn)(x), expected, out_dtype, tol)


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_methods(method):
  x = _data((3, 8))
  q = np.array([0.0, 0.1, 0.5, 0.75, 1.0], np.float32)
  _check(jnp.quantile(x, q, axis=1, method=method),
         np.quantile(x, q, axis=1, method=method), f32)
  x[1, 2] = np.nan
  _check(jnp.nanquantile(x, q, axis=1, method=method),
         np.nanquantile(x, q, axis=1, method=method), f32)


def test_quantile_special_cases():
  with _nowarn():
    x = np.array([[np.nan, np.nan], [1.0, np.inf]], np.float32)
    # NB: numpy's lerp gives nan between 1 and inf; the midpoint is inf.
    _check(jnp.nanquantile(x, 0.5, axis=1), np.array([np.nan, np.inf]), f32)
    _check(jnp.nanmax(x, 1), np.nanmax(x, 1), f32)
    _check(jnp.nanmean(x, 1), np.nanmean(x, 1), f32)
  assert int(jnp.nanargmax(np.array([np.nan, np.nan]))) == -1
  avg, scale = jnp.average(np.ones((2, 3)), axis=1, returned=True)
  _check(scale, np.full(2, 3.0), f32)
  avg, scale = jnp.average(np.ones((2, 3)), 0, np.array([1.0, 3.0]), returned=True)
  _check(avg, np.ones(3), f32)
  _check(scale, np.full(3, 4.0), f32)


@hypothesis.settings(max_examples=8)
@hypothesis.given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=2, max_side=5),
                             elements=st.floats(-100, 100, width=32)),
                  st.floats(0, 1))
def test_quantile_matches_numpy(x, q):
  np.testing.assert_allclose(np.asarray(jnp.quantile(x, q, axis=-1)),
                             np.quantile(x, q, axis=-1), rtol=1e-5, atol=1e-4)


@hypothesis.settings(max_examples=10)
@hypothesis.given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                             elements=st.floats(-10, 10, width=32) | st.just(np.nan)))
def test_nan_reductions_match_numpy(x):
  with _nowarn():
    for name in ("nansum", "nanmean", "nanmax"):
      np.testing.assert_allclose(np.asarray(getattr(jnp, name)(x, axis=0)),
                                 getattr(np, name)(x, axis=0), rtol=1e-5,
                                 atol=1e-5, equal_nan=True)


# --- Transformations ---------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda x: jnp.cumsum(x), lambda x: jnp.diff(x, 2), lambda x: jnp.nanmean(x),
    lambda x: jnp.median(x), lambda x: jnp.quantile(x, np.array([0.2, 0.6])),
    lambda x: jnp.nanargmax(x), lambda x: jnp.average(x, weights=jnp.arange(5.0)),
], ids=["cumsum", "diff", "nanmean", "median", "quantile", "nanargmax", "average"])
def test_vmap(fn):
  x = _data((3, 5), nan=False)
  x[1, 2] = np.nan
  out = morphax.vmap(fn)(x)
  expected = np.stack([np.asarray(fn(row)) for row in x])
  np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6, equal_nan=True)


X = np.array([[0.3, -1.2, 2.0, 0.7], [1.5, 0.1, -0.4, -2.2], [0.9, -0.6, 1.1, 0.05]],
             np.float32)
XN = X.copy()
XN[0, 1] = XN[2, 3] = np.nan


@pytest.mark.parametrize("fn, x", [
    (lambda x: jnp.cumsum(x, axis=1), X),
    (lambda x: jnp.cumprod(x, axis=0), X),
    (lambda x: jnp.nancumsum(x), XN),
    (lambda x: jnp.diff(x, 2, prepend=1.0), X),
    (lambda x: jnp.nansum(x, 1), XN),
    (lambda x: jnp.nanprod(x, 0), XN),
    (lambda x: jnp.nanmax(x, 1), XN),
    (lambda x: jnp.nanmin(x), XN),
    (lambda x: jnp.nanmean(x, 0), XN),
    (lambda x: jnp.nanvar(x, 1), XN),
    (lambda x: jnp.nanstd(x, 1, ddof=1), XN),
    (lambda x: jnp.median(x, 1), X),
    (lambda x: jnp.median(x), X),
    (lambda x: jnp.nanmedian(x, 1), XN),
    (lambda x: jnp.quantile(x, np.array([0.1, 0.5, 0.8]), axis=0), X),
    (lambda x: jnp.percentile(x, 30.0), X),
    (lambda x: jnp.average(x, 1, np.array([1.0, 2.0, 0.5, 3.0], np.float32)), X),
    (lambda x: jnp.ptp(x, 0), X),
], ids=["cumsum", "cumprod", "nancumsum", "diff", "nansum", "nanprod", "nanmax",
        "nanmin", "nanmean", "nanvar", "nanstd", "median-axis", "median",
        "nanmedian", "quantile", "percentile", "average", "ptp"])
def test_grads(fn, x):
  check_grads(fn, (x,), order=1)


def test_average_grad_wrt_weights():
  w = np.array([1.0, 2.0, 0.5, 3.0], np.float32)
  check_grads(lambda x, w: jnp.average(x, 1, w), (X, w), order=1)


# --- Errors --------------------------------------------------------------------

@pytest.mark.parametrize("fn, args, error, match", [
    (jnp.cumsum, (np.ones((2, 3)), 2), ValueError,
     "cumsum: axis 2 is out of bounds for an array of rank 2"),
    (lambda x: jnp.cumulative_sum(x), (np.ones((2, 3)),), ValueError,
     r"cumulative_sum: axis must be given for arrays of more than one dimension, got shape \(2, 3\)"),
    (jnp.diff, (np.ones(3), -1), ValueError, "diff: order must be non-negative but got -1"),
    (jnp.diff, (np.float32(1),), ValueError, "diff requires input that is at least one dimensional"),
    (jnp.quantile, (np.ones(3), 0.5, None, None, False, "bad"), ValueError,
     "quantile: method must be one of"),
    (jnp.quantile, (np.ones(3), 0.5, None, None, False, "hazen"), NotImplementedError,
     "quantile: method 'hazen' is not supported"),
    (jnp.quantile, (np.ones(3), np.ones((2, 2))), ValueError,
     r"quantile: q must be a scalar or 1-D, got shape \(2, 2\)"),
    (jnp.average, (np.ones((2, 3)), None, np.ones(3)), ValueError,
     r"average: axis must be given when the shapes of a \(2, 3\) and weights \(3,\) differ"),
    (jnp.average, (np.ones((2, 3)), 1, np.ones(2)), ValueError,
     r"average: the length of weights 2 differs from a.shape\[1\] = 3"),
    (jnp.ptp, (np.ones(2, bool),), TypeError, "ptp: boolean arrays are not supported"),
    (jnp.nansum, (np.ones(2), None, None, np.ones(2)), NotImplementedError,
     "nansum: the out argument is not supported"),
])
def test_errors(fn, args, error, match):
  with pytest.raises(error, match=match):
    fn(*args)
