"""morphax.scipy.special and morphax.scipy.stats.norm against scipy: one
row per function with its inputs (large |x| included), checked eagerly,
under jit and vmap, and for derivatives where differentiable."""

import numpy as np
import pytest
import scipy.special as ss
import scipy.stats as st

import morphax
import morphax.scipy.special as ms
import morphax.scipy.stats.norm as mnorm
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {"polygamma"}

WIDE = np.array([-40., -12., -9.9, -5., -1., -0.3, 0., 0.3, 2., 6., 9., 30.], np.float32)
POS = np.array([0.1, 0.5, 1., 2.5, 7., 30.], np.float32)
UNIT = np.array([1e-30, 1e-10, 1e-4, 0.005, 0.02, 0.3, 0.5, 0.7, 0.999, 1 - 1e-7], np.float32)
SMALL = np.array([-0.9, -0.3, 0.2, 0.8], np.float32)

# (name, ours, scipy's, args, grad-check args or None)
ROWS = [
    ("erf", ms.erf, ss.erf, (WIDE,), (SMALL,)),
    ("erfc", ms.erfc, ss.erfc, (WIDE,), (SMALL,)),
    ("erfinv", ms.erfinv, ss.erfinv, (SMALL,), (SMALL,)),
    ("gammaln", ms.gammaln, ss.gammaln, (POS,), (POS[1:4],)),
    ("gamma", ms.gamma, ss.gamma, (np.array([-1.5, -0.5, 0.5, 1.5, 4.], np.float32),), None),
    ("betaln", ms.betaln, ss.betaln, (POS, POS[::-1]), None),
    ("digamma", ms.digamma, ss.digamma, (POS,), None),
    ("polygamma", ms.polygamma, ss.polygamma,
     (np.array([0, 1, 2, 3, 1, 2]), POS), None),
    ("xlogy", ms.xlogy, ss.xlogy, (np.array([0., 0., 1., 2.], np.float32),
                                   np.array([0., 2., 3., 0.5], np.float32)), None),
    ("xlog1py", ms.xlog1py, ss.xlog1py, (np.array([0., 0., 1., 2.], np.float32),
                                         np.array([-1., 2., 3., 0.5], np.float32)), None),
    ("entr", ms.entr, ss.entr, (np.array([-1., 0., 0.5, 3.], np.float32),), (POS,)),
    ("expit", ms.expit, ss.expit, (WIDE,), (SMALL,)),
    ("logit", ms.logit, ss.logit, (UNIT[2:],), (UNIT[4:8],)),
    ("ndtr", ms.ndtr, ss.ndtr, (WIDE,), (SMALL * 3,)),
    ("log_ndtr", ms.log_ndtr, ss.log_ndtr, (WIDE,), (np.array([-15., -3., 0.5, 4.], np.float32),)),
    ("ndtri", ms.ndtri, ss.ndtri, (UNIT,), (UNIT[4:8],)),
    ("norm.pdf", mnorm.pdf, st.norm.pdf, (WIDE, 1.0, 2.0), (SMALL, 0.5, 2.0)),
    ("norm.logpdf", mnorm.logpdf, st.norm.logpdf, (WIDE, -1.0, 0.5), (SMALL, 0.5, 2.0)),
    ("norm.cdf", mnorm.cdf, st.norm.cdf, (WIDE, 1.0, 2.0), (SMALL, 0.5, 2.0)),
    ("norm.logcdf", mnorm.logcdf, st.norm.logcdf, (WIDE,), (SMALL,)),
    ("norm.sf", mnorm.sf, st.norm.sf, (WIDE,), None),
    ("norm.logsf", mnorm.logsf, st.norm.logsf, (WIDE,), None),
    ("norm.ppf", mnorm.ppf, st.norm.ppf, (UNIT, 1.0, 3.0), None),
    ("norm.isf", mnorm.isf, st.norm.isf, (UNIT,), None),
]


def _compare(got, want):
  got, want = np.asarray(got), np.asarray(want)
  assert got.dtype == np.float32, got.dtype
  assert got.shape == want.shape
  np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name, ours, ref, args, grad_args", ROWS, ids=[r[0] for r in ROWS])
def test_values_jit_vmap_grads(name, ours, ref, args, grad_args):
  with np.errstate(all="ignore"):
    want = ref(*[np.asarray(a, np.float64) for a in args])
  _compare(ours(*args), want)
  _compare(morphax.jit(ours)(*args), want)
  in_axes = tuple(0 if np.ndim(a) else None for a in args)
  _compare(morphax.vmap(ours, in_axes=in_axes)(*args), want)
  if grad_args is not None:
    check_grads(lambda x: ours(x, *grad_args[1:]), grad_args[:1], 1, eps=1e-3,
                tol=2e-2)


def test_stable_tails_have_finite_gradients():
  for f in (ms.log_ndtr, ms.ndtr, lambda x: ms.xlogy(x, x), ms.entr):
    g = morphax.vmap(morphax.grad(f))(WIDE if f in (ms.log_ndtr, ms.ndtr) else np.abs(WIDE))
    assert np.all(np.isfinite(np.asarray(g)))
  g = morphax.grad(lambda y: ms.xlogy(0., y))(0.)
  assert float(g) == 0.0


LSE_CASES = [
    dict(), dict(axis=1), dict(axis=(0, 2), keepdims=True), dict(axis=-1, b=0.5),
]


@pytest.mark.parametrize("kwargs", LSE_CASES)
def test_logsumexp(kwargs):
  a = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32) * 50
  _compare(ms.logsumexp(a, **kwargs), ss.logsumexp(a.astype(np.float64), **kwargs))
  check_grads(lambda a: ms.logsumexp(a, **kwargs), (a / 50,), 2)


def test_logsumexp_sign_and_extremes():
  a = np.array([1., 2.], np.float32)
  b = np.array([1., -2.], np.float32)
  out, sign = ms.logsumexp(a, b=b, return_sign=True)
  want, want_sign = ss.logsumexp(a, b=b, return_sign=True)
  np.testing.assert_allclose(out, want, rtol=1e-6)
  assert float(sign) == want_sign
  assert np.isnan(float(ms.logsumexp(a, b=b)))
  assert float(ms.logsumexp(np.array([1000., 1000.], np.float32))) == pytest.approx(1000 + np.log(2))
  assert float(ms.logsumexp(np.array([-np.inf, -np.inf], np.float32))) == -np.inf


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_softmax(axis):
  x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32) * 30
  _compare(ms.softmax(x, axis=axis), ss.softmax(x.astype(np.float64), axis=axis))
  _compare(ms.log_softmax(x, axis=axis), ss.log_softmax(x.astype(np.float64), axis=axis))


def test_int_inputs_promote_to_float32():
  assert ms.erf(np.arange(3)).dtype == np.float32
  assert mnorm.pdf(np.arange(3)).dtype == np.float32


def test_polygamma_grad_and_errors():
  g = morphax.grad(lambda x: ms.polygamma(1, x))(2.5)
  np.testing.assert_allclose(g, ss.polygamma(2, 2.5), rtol=1e-5)
  with pytest.raises(ValueError, match="polygamma: the derivative with respect to the order"):
    morphax.grad(lambda m: ms.polygamma(m, 2.5))(1.)
  with pytest.raises(TypeError, match="erf requires ndarray or scalar"):
    ms.erf([1.0])
