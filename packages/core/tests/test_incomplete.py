"""Values of ops/incomplete.py's and ops/special.py's newer primitives
(igamma, igammac, igamma_grad_a, random_gamma_grad, betainc, zeta) and the
lax Bessel composites against scipy (float64 finite differences for the
derivatives in a), eagerly, with JAX's edge values and float32 dtypes."""

import numpy as np
import pytest
import scipy.special as ss

from morphax import lax

PRIMITIVES_COVERED = {"igamma", "igammac", "igamma_grad_a", "random_gamma_grad",
                      "regularized_incomplete_beta", "zeta"}

# Both branches (series x < a + 1, continued fraction), tiny and huge a.
A = np.array([0.5, 1., 2.5, 10., 100., 0.1, 3., 1e3, 1e-3, 30.], np.float32)
X = np.array([0.3, 2., 1., 12., 90., 5., 0.2, 1010., 0.5, 45.], np.float32)


def _grad_a(a, x, h=1e-6):
  a, x = a.astype(np.float64), x.astype(np.float64)
  return (ss.gammainc(a + h, x) - ss.gammainc(a - h, x)) / (2 * h)


def _density(a, x):
  a, x = a.astype(np.float64), x.astype(np.float64)
  return np.exp((a - 1) * np.log(x) - x - ss.gammaln(a))


@pytest.mark.parametrize("ours, want, rtol", [
    (lax.igamma, lambda a, x: ss.gammainc(a, x), 2e-6),
    (lax.igammac, lambda a, x: ss.gammaincc(a, x), 2e-6),
    (lax.igamma_grad_a, _grad_a, 2e-5),
    (lax.random_gamma_grad, lambda a, x: -_grad_a(a, x) / _density(a, x), 2e-5),
])
def test_igamma_family_against_scipy(ours, want, rtol):
  got = ours(A, X)
  assert got.dtype == np.float32 and got.shape == A.shape
  expected = want(A.astype(np.float64), X.astype(np.float64)) if ours in (
      lax.igamma, lax.igammac) else want(A, X)
  # Q near 0 (a = 1e-3) is 1 - P: its absolute error is what float32 holds.
  np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-6)


def test_igamma_float64_and_scalars():
  np.testing.assert_allclose(lax.igamma(2.5, np.float32(1.7)), ss.gammainc(2.5, 1.7), rtol=1e-6)
  np.testing.assert_allclose(lax.igamma(np.zeros((0,), np.float32), np.zeros((0,), np.float32)),
                             np.zeros((0,)))


def test_igamma_edges_match_jax():
  # jax.lax's values (observed): a = 0 gives P = 1; x = 0 gives P = 0;
  # x = inf gives P = 1 (the derivatives NaN); negatives and NaN give NaN.
  a = np.array([0., -1., 1., 1., 1., np.nan, 2.], np.float32)
  x = np.array([1., 1., np.inf, -1., 0., 1., np.nan], np.float32)
  nan = np.nan
  np.testing.assert_array_equal(lax.igamma(a, x), [1, nan, 1, nan, 0, nan, nan])
  np.testing.assert_array_equal(lax.igammac(a, x), [0, nan, 0, nan, 1, nan, nan])
  np.testing.assert_array_equal(lax.igamma_grad_a(a, x), [nan, nan, nan, nan, 0, nan, nan])
  np.testing.assert_array_equal(lax.random_gamma_grad(a, x), [nan, nan, nan, nan, 0, nan, nan])


def test_igamma_rejects_integers_and_mismatched_shapes():
  with pytest.raises(TypeError, match="igamma"):
    lax.igamma(np.array([1, 2]), np.array([1, 2]))
  with pytest.raises(TypeError, match="same shape"):
    lax.igamma(np.ones(2, np.float32), np.ones(3, np.float32))


BA = np.array([0.5, 1., 2.5, 10., 20., 0.1, 3., 50., 2.], np.float32)
BB = np.array([0.5, 3., 1., 20., 15., 2., 4., 0.5, 2.], np.float32)
BX = np.array([0.3, 0.9, 0.5, 0.3, 0.56, 0.01, 0., 0.99, 1.], np.float32)


def test_betainc_against_scipy():
  got = lax.betainc(BA, BB, BX)
  assert got.dtype == np.float32
  np.testing.assert_allclose(got, ss.betainc(BA.astype(float), BB.astype(float), BX.astype(float)),
                             rtol=2e-5, atol=1e-7)
  bad = lax.betainc(np.float32([1., -1., 1.]), np.float32([1., 1., 1.]), np.float32([1.5, .5, np.nan]))
  assert np.isnan(bad).all()


def test_zeta_and_bessel_against_scipy():
  s = np.array([2., 3.5, 1.5, 10.], np.float32)
  q = np.array([1., 2., 0.5, 3.], np.float32)
  np.testing.assert_allclose(lax.zeta(s, q), ss.zeta(s.astype(float), q.astype(float)), rtol=1e-6)
  x = np.array([0., 0.3, -2., 10., 14.9, 15.1, -30., 100., 1e4], np.float32)
  for ours, want in [(lax.bessel_i0e, ss.i0e), (lax.bessel_i1e, ss.i1e)]:
    got = ours(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want(x.astype(float)), rtol=1e-6, atol=1e-30)
  with pytest.raises(TypeError, match="bessel_i0e: expected a floating-point array"):
    lax.bessel_i0e(np.array([1, 2]))
