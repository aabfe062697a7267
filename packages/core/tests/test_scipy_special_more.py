"""morphax.scipy.special's incomplete gamma/beta, zeta, Bessel, exponential
integrals and friends against scipy.special: one row per function with
inputs covering each branch, checked eagerly (float32, JAX's dtypes), under
jit and vmap, and for derivatives where differentiable."""

import math

import hypothesis
import hypothesis.strategies as hs
import numpy as np
import pytest
import scipy.special as ss

import morphax
import morphax.scipy.special as ms
from morphax.test_util import check_grads

f32 = np.float32
WIDE = f32([-5., -1.5, -0.3, 0., 0.2, 1., 2.5, 7., 20.])
POS = f32([0.05, 0.5, 1., 2., 5., 10., 30.])
SMALLPOS = f32([0.4, 1.3, 2.2])


def _ci_abs(x):
  return ss.sici(x)[0], ss.sici(np.abs(x))[1]


# (name, ours, scipy's, args, rtol, grad-check args or None)
ROWS = [
    ("gammainc", ms.gammainc, ss.gammainc, (POS, POS[::-1]), 2e-6, (SMALLPOS, SMALLPOS[::-1])),
    ("gammaincc", ms.gammaincc, ss.gammaincc, (POS, POS[::-1]), 2e-6, (SMALLPOS, SMALLPOS)),
    ("betainc", ms.betainc, ss.betainc, (POS[:4], POS[2:6], f32([0.1, 0.5, 0.7, 0.99])), 2e-5, None),
    ("zeta", ms.zeta, ss.zeta, (f32([1.5, 2., 4.]), f32([0.5, 1., 3.])), 1e-6, None),
    ("i0", ms.i0, ss.i0, (WIDE,), 1e-6, None),
    ("i0e", ms.i0e, ss.i0e, (WIDE,), 1e-6, None),
    ("i1", ms.i1, ss.i1, (WIDE,), 1e-6, None),
    ("i1e", ms.i1e, ss.i1e, (WIDE,), 1e-6, None),
    ("erfcx", ms.erfcx, ss.erfcx, (f32([-3., -1., 0., 1., 1.99, 2.01, 5., 30., 1e4]),), 2e-6, None),
    ("exp1", ms.exp1, ss.exp1, (f32([0., 0.01, 0.5, 1., 1.01, 3., 10., 50.]),), 2e-6, None),
    ("expi", ms.expi, ss.expi, (f32([-30., -3., -0.5, 0.01, 0.5, 1., 5., 20., 39., 41., 60.]),),
     2e-6, None),
    ("expn", ms.expn, ss.expn, (f32([0, 1, 2, 3, 5, 1, 2, 3, 4]),
                                f32([0.5, 0.5, 0.5, 0.3, 1., 2., 4., 0., 1e-3])), 2e-6, None),
    ("loggamma", ms.loggamma, ss.loggamma, (POS,), 1e-6, (SMALLPOS,)),
    ("gammasgn", ms.gammasgn, ss.gammasgn, (f32([-2.5, -1.5, -0.5, 0.5, 3.]),), 0, None),
    ("beta", ms.beta, ss.beta, (f32([-1.5, 0.5, 2., 10.]), f32([2., 0.5, 3., 1.5])), 2e-6,
     (SMALLPOS, SMALLPOS[::-1])),
    ("poch", ms.poch, ss.poch, (f32([2., -1.5, 0.5, 3.]), f32([3., 2., 0., 1.5])), 2e-6, None),
    ("factorial", ms.factorial, ss.factorial, (f32([-1., 0., 3.5, 5., 10.]),), 1e-5, None),
    ("comb", ms.comb, ss.comb, (f32([5., 5., 3., 10.]), f32([2., 6., -1., 3.])), 1e-5, None),
    ("multigammaln", lambda a: ms.multigammaln(a, 3), lambda a: ss.multigammaln(a, 3),
     (f32([2., 5.5]),), 1e-6, (f32([2., 5.5]),)),
    ("kl_div", ms.kl_div, ss.kl_div, (f32([0., 1., -1., 1., 0.5]), f32([1., 0., 1., 2., 0.5])),
     1e-6, None),
    ("rel_entr", ms.rel_entr, ss.rel_entr, (f32([0., 1., -1., 1., 0.5]), f32([1., 0., 1., 2., 0.5])),
     1e-6, (SMALLPOS, SMALLPOS[::-1])),
    ("boxcox", ms.boxcox, ss.boxcox, (f32([2., 0.5, 3.]), f32([0., 0.5, -1.])), 1e-6,
     (SMALLPOS, f32([0.5, -1., 2.]))),
    ("boxcox1p", ms.boxcox1p, ss.boxcox1p, (f32([2., 1e-4, 3.]), f32([0., 0.5, -1.])), 1e-6, None),
    ("dawsn", ms.dawsn, ss.dawsn, (f32([-10., -1., -0.1, 0., 0.15, 0.3, 2., 5., 50.]),), 2e-6, None),
    ("spence", ms.spence, ss.spence,
     (f32([0., 0.1, 0.4, 0.5, 1., 1.4, 1.6, 2., 2.5, 3., 10., 100.]),), 2e-6, None),
    ("sici", ms.sici, _ci_abs, (f32([-3., -0.5, 0.1, 1., 2., 2.1, 5., 20., 100.]),), 2e-6, None),
    ("fresnel", ms.fresnel, ss.fresnel, (f32([-3., -0.5, 0., 0.2, 1., 1.49, 1.51, 3., 10.]),),
     2e-6, None),
    ("owens_t", ms.owens_t, ss.owens_t, (f32([0., 0.5, 1., -2., 3., 0.1, 5.]),
                                         f32([0.5, 2., -0.3, 1., 10., 0.9, 0.2])), 1e-5, None),
    ("hyp1f1", ms.hyp1f1, ss.hyp1f1, (f32([1., 0.5, 2., -2., 1.5]), f32([2., 1.5, 3., 1., 2.5]),
                                      f32([-3., 2., 10., 5., -20.])), 3e-5, None),
    ("hyp2f1", ms.hyp2f1, ss.hyp2f1, (f32([1., 0.5, 2., 1., 1.5]), f32([2., 1.5, 0.5, 1., 0.5]),
                                      f32([3., 2.5, 3., 3., 4.]), f32([0.5, -0.5, 0.3, 1., -3.])),
     3e-5, None),
]
IDS = [r[0] for r in ROWS]


def _assert_close(got, want, rtol):
  if isinstance(want, tuple):
    for g, w in zip(got, want):
      _assert_close(g, w, rtol)
    return
  assert got.dtype == np.float32
  np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("name, ours, ref, args, rtol, grad_args", ROWS, ids=IDS)
def test_against_scipy(name, ours, ref, args, rtol, grad_args):
  want = ref(*[a.astype(np.float64) for a in args])
  _assert_close(ours(*args), want, rtol)


JIT_VMAP = ["gammainc", "betainc", "i0e", "erfcx", "expn", "spence", "sici", "fresnel",
            "owens_t", "hyp1f1", "hyp2f1", "kl_div"]


@pytest.mark.parametrize("name, ours, ref, args, rtol, grad_args",
                         [r for r in ROWS if r[0] in JIT_VMAP], ids=JIT_VMAP)
def test_jit_and_vmap(name, ours, ref, args, rtol, grad_args):
  # Rows of the batch checked against scipy row by row (a Python loop).
  rows = [tuple(a[:3] for a in args), tuple(a[-3:] for a in args)]
  stacked = [np.stack([r[i] for r in rows]) for i in range(len(args))]
  got = morphax.jit(morphax.vmap(ours))(*stacked)
  for i, r in enumerate(rows):
    want = ref(*[a.astype(np.float64) for a in r])
    if isinstance(want, tuple):
      _assert_close(tuple(g[i] for g in got), want, max(rtol, 1e-6))
    else:
      _assert_close(got[i], want, max(rtol, 1e-6))


@pytest.mark.parametrize("name, ours, ref, args, rtol, grad_args",
                         [r for r in ROWS if r[5] is not None],
                         ids=[r[0] for r in ROWS if r[5] is not None])
def test_grads(name, ours, ref, args, rtol, grad_args):
  check_grads(ours, grad_args, 1, eps=1e-3, tol=3e-2)


def _phi(x):
  return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


# The long series and fractions: their derivative (one jit(vmap(grad)) each)
# against the closed form. (name, scalar function, derivative, points)
DERIVATIVES = [
    ("i0", ms.i0, ss.i1, f32([-2., 0.5, 3., 20.])),
    ("i0e", ms.i0e, lambda x: ss.i1e(x) - np.sign(x) * ss.i0e(x), f32([-2., 0.5, 3., 20.])),
    ("i1", ms.i1, lambda x: ss.i0(x) - ss.i1(x) / x, f32([-2., 0.5, 3., 20.])),
    ("i1e", ms.i1e, lambda x: ss.i0e(x) - ss.i1e(x) * (np.sign(x) + 1 / x), f32([-2., 0.5, 3., 20.])),
    ("erfcx", ms.erfcx, lambda x: 2 * x * ss.erfcx(x) - 2 / np.sqrt(np.pi), f32([-0.5, 1., 3., 10.])),
    ("exp1", ms.exp1, lambda x: -np.exp(-x) / x, f32([0.3, 1., 3., 10.])),
    ("expi", ms.expi, lambda x: np.exp(x) / x, f32([-3., 0.3, 5., 45.])),
    ("dawsn", ms.dawsn, lambda x: 1 - 2 * x * ss.dawsn(x), f32([-1., 0.1, 2., 8.])),
    ("spence", ms.spence, lambda x: np.log(x) / (1 - x), f32([0.3, 0.7, 1.8, 4.])),
    ("si", lambda x: ms.sici(x)[0], lambda x: np.sin(x) / x, f32([0.5, 1.5, 3., 20.])),
    ("ci", lambda x: ms.sici(x)[1], lambda x: np.cos(x) / x, f32([0.5, 1.5, 3., 20.])),
    ("fresnel_s", lambda x: ms.fresnel(x)[0], lambda x: np.sin(np.pi * x * x / 2), f32([0.5, 1., 2., 3.])),
    ("fresnel_c", lambda x: ms.fresnel(x)[1], lambda x: np.cos(np.pi * x * x / 2), f32([0.5, 1., 2., 3.])),
    ("owens_t_h", lambda h: ms.owens_t(h, f32(1.5)),
     lambda h: -_phi(h) * ss.erf(1.5 * h / np.sqrt(2)) / 2, f32([0.2, 0.5, 1., 2.])),
    ("kl_div", lambda p: ms.kl_div(p, f32(0.7)), lambda p: np.log(p / 0.7), f32([0.2, 0.5, 1., 2.])),
    ("hyp1f1", lambda x: ms.hyp1f1(f32(1.5), f32(2.5), x),
     lambda x: 1.5 / 2.5 * ss.hyp1f1(2.5, 3.5, x), f32([-3., 0.5, 2., 6.])),
]


@pytest.mark.parametrize("name, f, derivative, points", DERIVATIVES,
                         ids=[r[0] for r in DERIVATIVES])
def test_derivatives_against_closed_forms(name, f, derivative, points):
  got = morphax.jit(morphax.vmap(morphax.grad(f)))(points)
  np.testing.assert_allclose(got, derivative(points.astype(np.float64)), rtol=2e-5, atol=1e-6)


def test_betainc_grad_in_x_is_the_density():
  a, b, x = f32([0.5, 2., 3.]), f32([1.5, 2., 0.7]), f32([0.2, 0.5, 0.9])
  got = morphax.vmap(morphax.grad(ms.betainc, argnums=2))(a, b, x)
  want = x ** (a - 1) * (1 - x) ** (b - 1) / ss.beta(a, b)
  np.testing.assert_allclose(got, want, rtol=1e-5)


def test_bessel_jn_and_bernoulli():
  z = f32([0., 1., 2., 10.])
  got = ms.bessel_jn(z, v=3)
  assert got.shape == (4, 4) and got.dtype == np.float32
  np.testing.assert_allclose(got, np.stack([ss.jv(k, z.astype(float)) for k in range(4)]),
                             atol=2e-6)
  np.testing.assert_allclose(ms.bernoulli(8), ss.bernoulli(8), rtol=1e-6)


def test_riemann_zeta_default_q():
  np.testing.assert_allclose(ms.zeta(f32([2., 3.])), ss.zeta([2., 3.]), rtol=1e-6)


@pytest.mark.parametrize("call, error, match", [
    (lambda: ms.factorial(3, exact=True), NotImplementedError, "exact=True is not supported"),
    (lambda: ms.multigammaln(f32(2.), 0), ValueError, "multigammaln: d must be a positive"),
    (lambda: ms.bernoulli(-1), ValueError, "bernoulli: n must be a non-negative"),
    (lambda: ms.bessel_jn(f32([1.]), v=1.5), ValueError, "bessel_jn: v must be"),
    (lambda: ms.gammainc("a", 1.), TypeError, "gammainc"),
])
def test_bad_input_messages(call, error, match):
  with pytest.raises(error, match=match):
    call()


@hypothesis.settings(max_examples=5)
@hypothesis.given(hs.sampled_from([(), (0,), (3,), (2, 1)]), hs.sampled_from([(), (1,), (2, 3)]),
                  hs.sampled_from([np.int32, np.float32]))
def test_gammainc_broadcasts_and_promotes(shape_a, shape_x, dtype):
  try:
    out_shape = np.broadcast_shapes(shape_a, shape_x)
  except ValueError:
    return
  a = np.full(shape_a, 2, dtype)
  x = np.full(shape_x, 3, dtype)
  got = ms.gammainc(a, x)
  assert got.shape == out_shape and got.dtype == np.float32
  np.testing.assert_allclose(got, np.broadcast_to(ss.gammainc(2., 3.), out_shape), rtol=1e-6)


def _sph_harm_oracle(n, m, theta, phi):
  """Y_n^m from scipy.special.lpmv (in every scipy version) and factorials."""
  am = np.abs(m)
  ratio = np.array([math.factorial(max(a - b, 0)) / math.factorial(a + b) for a, b in zip(n, am)])
  norm = np.sqrt((2 * n + 1) / (4 * np.pi) * ratio)
  legendre = np.where(am <= n, ss.lpmv(am, n, np.cos(theta)), 0.0)
  y = norm * legendre * np.exp(1j * am * phi)
  return np.where(m < 0, (-1.) ** am * np.conj(y), y)


def test_sph_harm_y_against_legendre():
  n = np.array([0, 1, 1, 2, 3, 4, 5, 2, 3])
  m = np.array([0, 0, 1, -1, 2, -3, 5, 3, -2])
  theta = f32([0.3, 1., 2., 0.5, 1.2, 2.9, 0.7, 1., 0.1])
  phi = f32([0.1, 2., -1., 0.5, 3., 1., 0.2, 1., 4.])
  got = ms.sph_harm_y(n, m, theta, phi)
  assert got.dtype == np.complex64
  want = _sph_harm_oracle(n, m, theta.astype(float), phi.astype(float))
  np.testing.assert_allclose(got, want, atol=1e-6)
  jitted = morphax.jit(lambda n, m, t, p: ms.sph_harm_y(n, m, t, p, n_max=5))(n, m, theta, phi)
  np.testing.assert_allclose(jitted, want, atol=1e-6)
  with pytest.raises(NotImplementedError, match="diff_n=1"):
    ms.sph_harm_y(n, m, theta, phi, diff_n=1)
  with pytest.raises(ValueError, match="n_max is needed when n is traced"):
    morphax.jit(lambda n: ms.sph_harm_y(n, m, theta, phi))(n)
