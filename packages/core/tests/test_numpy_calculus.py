"""morphax.numpy's cov/corrcoef, gradient, trapezoid, geomspace/logspace,
vander, poly/polydiv/roots, unwrap, nextafter, histogram2d/dd and
einsum_path against numpy, under jit, vmap and grad."""

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads

from _oracle import R, check

X = R(3, 5)
FW = np.array([1, 2, 1, 3, 1])
AW = np.array([0.5, 1.0, 2.0, 1.0, 0.25])

COV_CASES = [
    (X, {}), (X[0], {}), (X.T, dict(rowvar=False)), (X, dict(bias=True)),
    (X, dict(ddof=2)), (X, dict(fweights=FW)), (X, dict(aweights=AW)),
    (X, dict(fweights=FW, aweights=AW)), (X, dict(fweights=FW, aweights=AW, ddof=0)),
    (np.arange(6).reshape(2, 3), {}),
]


@pytest.mark.parametrize("m,kw", COV_CASES, ids=lambda v: str(np.shape(v)) if isinstance(v, np.ndarray) else str(v))
def test_cov_matches_numpy(m, kw):
  check(jnp.cov(m, **kw), np.cov(m, **kw), rtol=1e-4, atol=1e-5)


def test_cov_with_y_and_corrcoef():
  y = R(2, 5, seed=3)
  check(jnp.cov(X, y), np.cov(X, y), rtol=1e-4)
  check(jnp.corrcoef(X), np.corrcoef(X), rtol=1e-4)
  check(jnp.corrcoef(X.T, rowvar=False), np.corrcoef(X.T, rowvar=False), rtol=1e-4)
  check(jnp.corrcoef(X[0], y[0]), np.corrcoef(X[0], y[0]), rtol=1e-4)
  assert jnp.cov(np.zeros((0, 3))).shape == (0, 0)


def test_complex_cov_corrcoef_and_geomspace():
  c = np.random.RandomState(5).randn(2, 4) + 1j * np.random.RandomState(6).randn(2, 4)
  c = c.astype(np.complex64)
  check(jnp.cov(c), np.cov(c), rtol=1e-4)
  check(jnp.corrcoef(c), np.corrcoef(c), rtol=1e-4)
  check(jnp.geomspace(1, 1j, 3), np.geomspace(1, 1j, 3), atol=1e-6)


def test_cov_errors():
  with pytest.raises(ValueError, match=r"cov: fweights must be a 1-d array with one weight per observation \(5\), got shape \(4,\)"):
    jnp.cov(X, fweights=np.ones(4, int))
  with pytest.raises(TypeError, match="cov: fweights must be integers"):
    jnp.cov(X, fweights=np.ones(5))
  with pytest.raises(ValueError, match=r"cov: m has more than 2 dimensions \(shape \(2, 2, 2\)\)"):
    jnp.cov(np.ones((2, 2, 2)))
  with pytest.raises(ValueError, match="same number of observations, got 5 and 4"):
    jnp.cov(X, np.ones((1, 4)))


def test_cov_grad_and_vmap():
  check_grads(lambda m: jnp.cov(m, aweights=AW), (X,), order=1, tol=3e-2)
  batch = np.stack([X, 2 * X + 1])
  out = morphax.vmap(jnp.cov)(batch)
  check(out, np.stack([np.cov(b) for b in batch]), rtol=1e-4)


F2 = R(4, 5) ** 2
COORDS = np.array([0.0, 0.5, 1.5, 3.0, 3.25], np.float32)

GRADIENT_CASES = [
    ((np.arange(6.0) ** 2,), {}),
    ((np.arange(5) ** 2,), {}),
    ((np.arange(5.0) ** 2, 2.0), {}),
    ((np.arange(5.0) ** 3, COORDS), {}),
    ((F2,), {}),
    ((F2, 0.5), {}),
    ((F2, 2.0, COORDS), {}),
    ((F2,), dict(axis=1)),
    ((F2,), dict(axis=-2)),
    ((F2, COORDS), dict(axis=(1,))),
    ((F2, 1.0, 3.0), dict(axis=(1, 0))),
]


@pytest.mark.parametrize("args,kw", GRADIENT_CASES)
def test_gradient_matches_numpy(args, kw):
  expected = np.gradient(*args, **kw)
  check(jnp.gradient(*args, **kw), list(expected) if isinstance(expected, tuple) else expected,
        rtol=1e-4, atol=1e-4)


def test_gradient_errors():
  with pytest.raises(NotImplementedError, match="gradient: edge_order=2 is not supported"):
    jnp.gradient(F2, edge_order=2)
  with pytest.raises(ValueError, match=r"gradient: shape \(1, 3\) is too small along axis 0"):
    jnp.gradient(np.ones((1, 3)))
  with pytest.raises(TypeError, match="gradient: got 3 spacing arguments for 2 axes"):
    jnp.gradient(F2, 1.0, 2.0, 3.0)
  with pytest.raises(ValueError, match=r"one coordinate per element along its axis \(5\), got shape \(4,\)"):
    jnp.gradient(F2, np.ones(4), axis=1)


def test_gradient_jit_vmap_grad():
  f = morphax.jit(lambda a, x: jnp.gradient(a, x, axis=1))
  check(f(F2, COORDS), np.gradient(F2, COORDS, axis=1), rtol=1e-4)
  out = morphax.vmap(lambda a: jnp.gradient(a, COORDS))(F2)
  check(out, np.stack([np.gradient(r, COORDS) for r in F2]), rtol=1e-4)
  check_grads(lambda a, x: jnp.gradient(a, x), (F2[0], COORDS), order=1, tol=2e-2)


TRAPEZOID_CASES = [
    ((np.arange(5),), {}), ((R(6),), dict(dx=0.5)), ((R(3, 4),), dict(axis=0)),
    ((R(3, 4), COORDS[:4]), {}), ((R(3, 5), np.cumsum(np.abs(R(3, 5)), 1)), {}),
    ((R(5, 3), COORDS), dict(axis=0)), ((np.zeros((2, 0)),), {}), ((np.ones(1),), {}),
]


@pytest.mark.parametrize("args,kw", TRAPEZOID_CASES)
def test_trapezoid_matches_numpy(args, kw):
  check(jnp.trapezoid(*args, **kw), np.trapezoid(*args, **kw), rtol=1e-5)


def test_trapezoid_transforms_and_errors():
  y = R(3, 5)
  check(morphax.jit(jnp.trapezoid)(y, COORDS), np.trapezoid(y, COORDS), rtol=1e-5)
  check(morphax.vmap(lambda r: jnp.trapezoid(r, COORDS))(y),
        np.array([np.trapezoid(r, COORDS) for r in y]), rtol=1e-5)
  check_grads(jnp.trapezoid, (y[0], COORDS), order=2, tol=2e-2)
  with pytest.raises(ValueError, match="trapezoid: x has 4 points but y has 5 along axis -1"):
    jnp.trapezoid(y, np.ones(4))
  with pytest.raises(ValueError, match="trapezoid: y must be at least 1-d"):
    jnp.trapezoid(1.0)


SPACING_CASES = [
    ("geomspace", (1, 1000), dict(num=4)), ("geomspace", (-1, -1000), dict(num=4)),
    ("geomspace", (2.0, 32.0), dict(num=5, endpoint=False)),
    ("geomspace", (np.array([1.0, 10.0]), 100.0), dict(num=3)),
    ("geomspace", (np.array([1.0, 10.0]), 100.0), dict(num=3, axis=1)),
    ("logspace", (0, 3), dict(num=4)), ("logspace", (0, 3), dict(num=4, base=2, endpoint=False)),
    ("logspace", (np.array([0.0, 1.0]), 2.0), dict(num=3, axis=-1)),
    ("logspace", (1.0, 2.0), dict(num=1)), ("logspace", (1.0, 2.0), dict(num=0)),
]


@pytest.mark.parametrize("name,args,kw", SPACING_CASES)
def test_spacings_match_numpy(name, args, kw):
  check(getattr(jnp, name)(*args, **kw), getattr(np, name)(*args, **kw), rtol=2e-5)


def test_spacings_dtype_and_grad():
  assert jnp.logspace(0, 1, 3, dtype=np.float16).dtype == np.float16
  assert jnp.geomspace(1, 8, 4).dtype == np.float32
  check_grads(morphax.jit(lambda a, b: jnp.geomspace(a, b, 5)), (1.5, 20.0), order=1, tol=2e-2)
  check_grads(morphax.jit(lambda a: jnp.logspace(a, 2.0, 4, base=3.0)), (0.5,), order=1, tol=2e-2)


@pytest.mark.parametrize("x,kw", [
    (np.arange(1, 4), {}), (np.array([1.5, -2.0, 0.5]), dict(N=5)),
    (np.array([2.0, 3.0]), dict(N=3, increasing=True)), (np.zeros(0), {}),
    (np.arange(3.0), dict(N=0)), (np.array([True, False]), {})])
def test_vander_matches_numpy(x, kw):
  check(jnp.vander(x, **kw), np.vander(x, **kw))


def test_vander_errors():
  with pytest.raises(ValueError, match=r"vander: x must be 1-d, got shape \(2, 2\)"):
    jnp.vander(np.ones((2, 2)))
  with pytest.raises(ValueError, match="vander: N must be non-negative, got -1"):
    jnp.vander(np.ones(2), -1)


@pytest.mark.parametrize("z", [np.array([1.0, 2.0, 3.0]), np.array([1, -1]),
                               np.array([0.5]), np.zeros(0), np.array([2.0, -1.0, 0.5, 4.0])])
def test_poly_of_roots_matches_numpy(z):
  check(jnp.poly(z), np.poly(z), rtol=1e-5)


def test_poly_of_matrix_is_its_characteristic_polynomial():
  a = np.array([[2.0, 1.0], [0.5, 3.0]], np.float32)
  out = jnp.poly(a)
  assert out.dtype == np.complex64
  np.testing.assert_allclose(np.asarray(out), np.poly(a), rtol=1e-5, atol=1e-5)
  with pytest.raises(ValueError, match=r"poly: input must be 1-d or a non-empty square 2-d array, got shape \(2, 3\)"):
    jnp.poly(np.ones((2, 3)))


@pytest.mark.parametrize("u,v", [
    (np.array([1.0, 2, 3, 4]), np.array([1.0, 1])),
    (np.array([3.0, -1, 2, 0, 5]), np.array([2.0, 0, 1])),
    (np.array([1.0, 2]), np.array([1.0, 2, 3])),
    (np.array([4.0, 2, 1]), np.array([2.0]))])
def test_polydiv_matches_numpy(u, v):
  q, r = jnp.polydiv(u, v)
  eq, er = np.polydiv(u, v)
  check(q, eq, atol=1e-5)
  assert r.shape == u.shape
  np.testing.assert_allclose(np.asarray(r)[len(u) - len(er):], er, atol=1e-5)
  np.testing.assert_allclose(np.asarray(r)[:len(u) - len(er)], 0, atol=1e-5)
  q2, r2 = jnp.polydiv(u, v, trim_leading_zeros=True)
  np.testing.assert_allclose(np.asarray(r2), np.trim_zeros(er, "f") if np.any(er) else [], atol=1e-5)


def test_polydiv_jit_and_grad():
  u, v = np.array([1.0, 2, 3, 4], np.float32), np.array([2.0, 1], np.float32)
  q, r = morphax.jit(jnp.polydiv)(u, v)
  eq, er = np.polydiv(u, v)
  check(q, eq)
  check_grads(lambda a, b: jnp.polydiv(a, b)[0], (u, v), order=1, tol=2e-2)


def sorted_complex(z):
  z = np.asarray(z)
  return z[np.lexsort((np.round(z.imag, 4), np.round(z.real, 4)))]


@pytest.mark.parametrize("p", [
    np.array([1.0, -3, 2]), np.array([0.0, 0, 1, -6, 11, -6]), np.array([1.0, 0, 1]),
    np.array([2.0, -3, 1, 0, 0]), np.array([1, -10, 35, -50, 24]), np.array([5.0]),
    np.array([0.0, 0.0])])
def test_roots_match_numpy(p):
  out = jnp.roots(p)
  assert out.dtype == np.complex64
  expected = np.roots(p)
  assert out.shape == expected.shape
  np.testing.assert_allclose(sorted_complex(out), sorted_complex(expected), atol=2e-4)


def test_roots_traced_with_leading_zeros_gives_nan():
  f = morphax.jit(lambda p: jnp.roots(p, strip_zeros=False))
  out = np.asarray(f(np.array([0.0, 1, -3, 2], np.float32)))
  np.testing.assert_allclose(sorted_complex(out[:2]), [1, 2], atol=1e-5)
  assert np.isnan(out[2].real) and np.isnan(out[2].imag)
  np.testing.assert_allclose(sorted_complex(f(np.array([1.0, -6, 11, -6], np.float32))),
                             [1, 2, 3], atol=1e-4)
  with pytest.raises(TypeError, match="roots: with strip_zeros=True the coefficients must be concrete"):
    morphax.jit(jnp.roots)(np.ones(3))


PHASES = np.cumsum(R(12) * 2.5).astype(np.float32)


@pytest.mark.parametrize("p,kw", [
    (PHASES, {}), (PHASES, dict(discont=4.0)), (PHASES, dict(period=4.0)),
    (PHASES.reshape(3, 4), dict(axis=0)), (PHASES.reshape(3, 4), {}),
    (np.array([0.0, 3, 6.5, -1]), {}), (np.array([1.0]), {}), (np.arange(6) * 3, dict(period=5.0))])
def test_unwrap_matches_numpy(p, kw):
  expected = np.unwrap(np.asarray(p, np.float64), **kw)
  check(jnp.unwrap(p, **kw), expected, rtol=1e-5, atol=1e-4)


def test_unwrap_transforms():
  p = PHASES.reshape(3, 4)
  check(morphax.jit(jnp.unwrap)(p), np.unwrap(p), atol=1e-4)
  check(morphax.vmap(jnp.unwrap)(p), np.stack([np.unwrap(r) for r in p]), atol=1e-4)
  check_grads(jnp.unwrap, (p[0],), order=1, tol=2e-2)
  with pytest.raises(ValueError, match="unwrap: p must be at least 1-d"):
    jnp.unwrap(1.0)


def test_nextafter_matches_numpy():
  x = np.array([0.0, 1.0, -1.0, 1e30, 3.5, 2.0], np.float32)
  y = np.array([1.0, 0.0, 0.0, np.inf, 3.5, -5.0], np.float32)
  check(jnp.nextafter(x, y), np.nextafter(x, y), rtol=0, atol=0)
  check(morphax.jit(jnp.nextafter)(x, y), np.nextafter(x, y), rtol=0, atol=0)
  check(jnp.nextafter(np.float32(1), 2.0), np.nextafter(np.float32(1), np.float32(2)), rtol=0, atol=0)


PX, PY = R(40), R(40, seed=7) * 2
SAMPLE = R(30, 3)


@pytest.mark.parametrize("kw", [
    {}, dict(bins=3), dict(bins=(2, 4)), dict(bins=[np.array([-3.0, 0, 3]), 5]),
    dict(bins=4, range=[(-1, 1), (-2, 2)]), dict(bins=3, weights=np.abs(PX)),
    dict(bins=3, density=True), dict(bins=np.array([-2.0, -0.5, 0.5, 2.0]))])
def test_histogram2d_matches_numpy(kw):
  # Under jit: one compile instead of one per eager op of the bin search.
  out = morphax.jit(lambda x, y: jnp.histogram2d(x, y, **kw))(PX, PY)
  expected = np.histogram2d(PX, PY, **kw)
  hist = expected[0] if kw.get("density") or "weights" in kw else expected[0].astype(np.int32)
  check(out[0], hist, rtol=1e-4)
  check(out[1], expected[1], rtol=1e-5)
  check(out[2], expected[2], rtol=1e-5)


@pytest.mark.parametrize("kw", [dict(bins=(2, 3, 2)), dict(bins=2, density=True),
                                dict(bins=3, range=[(-1, 1), None, (0, 2)])])
def test_histogramdd_matches_numpy(kw):
  hist, edges = morphax.jit(lambda s: jnp.histogramdd(s, **kw))(SAMPLE)
  ehist, eedges = np.histogramdd(SAMPLE, **kw)
  check(hist, ehist if kw.get("density") else ehist.astype(np.int32), rtol=1e-4)
  check(edges, list(eedges), rtol=1e-5)


def test_histograms_eagerly_and_errors():
  out = jnp.histogram2d(PX[:8], PY[:8], bins=2, range=[(-2, 2), (-3, 3)])
  expected = np.histogram2d(PX[:8], PY[:8], bins=2, range=[(-2, 2), (-3, 3)])
  check(out[0], expected[0].astype(np.int32))
  check(out[1], expected[1])
  with pytest.raises(ValueError, match=r"histogramdd: weights must have shape \(30,\), one weight per sample, got shape \(3,\)"):
    jnp.histogramdd(SAMPLE, weights=np.ones(3))
  with pytest.raises(ValueError, match=r"histogramdd: sample must be 2-d \(N, D\), got shape \(30,\)"):
    jnp.histogramdd(SAMPLE[:, 0])
  with pytest.raises(ValueError, match=r"histogram2d: x and y must be 1-d of one length"):
    jnp.histogram2d(PX, PY[:5])


def test_einsum_path():
  a, b, c = np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5))
  # The greedy rule by hand: ij,jk -> ik leaves 8 elements, jk,kl -> jl 15.
  path, text = jnp.einsum_path("ij,jk,kl->il", a, b, c)
  assert path == [(0, 1), (0, 1)]
  assert "ij,jk->ik" in text and "kl,ik->il" in text
  # b,c first leaves the smaller intermediate here (2x2 vs 10x10).
  path, _ = jnp.einsum_path("ij,jk,kl->il", np.ones((10, 2)), np.ones((2, 10)), np.ones((10, 2)))
  assert path == [(1, 2), (0, 1)]
  assert jnp.einsum_path("ij->", a)[0] == [(0,)]
  assert jnp.einsum_path("ij,jk,kl->il", a, b, c, optimize=False)[0] == [(0, 1), (0, 1)]
  assert jnp.einsum_path("ij,jk,kl->il", a, b, c, optimize=[(1, 2), (0, 1)])[0] == [(1, 2), (0, 1)]
  with pytest.raises(ValueError, match="einsum_path: size of label 'j' is 4 in one operand and 3"):
    jnp.einsum_path("ij,jk->ik", a, np.ones((4, 2)))
