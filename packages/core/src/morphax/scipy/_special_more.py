"""morphax.scipy.special, continued: incomplete gamma/beta, zeta, Bessel,
exponential integrals and the other special functions jax.scipy.special
offers, as composites of morphax.lax / morphax.numpy.

The composites are jitted (as JAX's are): called eagerly, each compiles
once per shape instead of dispatching dozens of ops one by one.
"""

import fractions
import functools
import math

import numpy as np

from .. import api, lax
from .. import numpy as jnp
from ._special_util import _inexact, _safe

__all__ = [
    "gammainc", "gammaincc", "betainc", "zeta", "i0", "i0e", "i1", "i1e",
    "erfcx", "exp1", "expi", "expn", "loggamma", "gammasgn", "beta", "poch",
    "factorial", "comb", "multigammaln", "kl_div", "rel_entr", "boxcox",
    "boxcox1p", "dawsn", "spence", "sici", "fresnel", "owens_t", "hyp1f1",
    "hyp2f1", "bernoulli", "bessel_jn", "sph_harm_y",
]

_EULER = 0.5772156649015329
_SQRT_PI = math.sqrt(math.pi)

FACTORIAL_EXACT_MESSAGE = (
    "factorial: exact=True is not supported (it needs arbitrary-precision "
    "integers); call factorial(n) for the float result, or "
    "scipy.special.factorial(n, exact=True) on host values.")
MULTIGAMMALN_D_MESSAGE = (
    "multigammaln: d must be a positive Python int (the dimension), got {d!r}.")
BERNOULLI_N_MESSAGE = (
    "bernoulli: n must be a non-negative Python int, got {n!r}.")
BESSEL_JN_V_MESSAGE = (
    "bessel_jn: v must be a non-negative Python int (the highest order), got {v!r}.")


# --- Incomplete gamma and beta, zeta ------------------------------------------------------

def gammainc(a, x):
  """The regularized lower incomplete gamma function P(a, x), like
  scipy.special.gammainc (lax.igamma). Differentiable in a and x."""
  return lax.igamma(*_inexact("gammainc", a, x))


def gammaincc(a, x):
  """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x),
  like scipy.special.gammaincc (lax.igammac)."""
  return lax.igammac(*_inexact("gammaincc", a, x))


def betainc(a, b, x):
  """The regularized incomplete beta function I_x(a, b), like
  scipy.special.betainc. Differentiable in x."""
  return lax.betainc(*_inexact("betainc", a, b, x))


def zeta(x, q=None):
  """The Hurwitz zeta function sum_n (n + q)^-x, like scipy.special.zeta;
  q=None gives the Riemann zeta function (q = 1).

  NB: jax.scipy.special.zeta raises for q=None; this computes it."""
  if q is None:
    q = 1.0
  return lax.zeta(*_inexact("zeta", x, q))


# --- Modified Bessel functions ---------------------------------------------------------

def i0e(x):
  """exp(-|x|) I0(x), like scipy.special.i0e."""
  return lax.bessel_i0e(*_inexact("i0e", x))


def i1e(x):
  """exp(-|x|) I1(x), like scipy.special.i1e."""
  return lax.bessel_i1e(*_inexact("i1e", x))


@api.jit
def i0(x):
  """The modified Bessel function I0(x), like scipy.special.i0."""
  (x,) = _inexact("i0", x)
  return jnp.exp(jnp.abs(x)) * lax.bessel_i0e(x)


@api.jit
def i1(x):
  """The modified Bessel function I1(x), like scipy.special.i1."""
  (x,) = _inexact("i1", x)
  return jnp.exp(jnp.abs(x)) * lax.bessel_i1e(x)


def bessel_jn(z, *, v, n_iter=50):
  """Bessel functions of the first kind J_0(z) ... J_v(z), stacked on a
  new leading axis (shape (v + 1,) + z.shape), like
  jax.scipy.special.bessel_jn: Miller's backward recurrence from order
  n_iter + v, normalized by J_0 + 2 sum J_2k = 1 (accurate for |z| well
  below n_iter)."""
  if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
    raise ValueError(BESSEL_JN_V_MESSAGE.format(v=v))
  (z,) = _inexact("bessel_jn", z)
  zero = z == 0
  zs = _safe(zero, 1.0, z)
  top = int(n_iter) + int(v) + 1
  f_next = jnp.zeros_like(zs)
  f = jnp.full_like(zs, 1e-30)
  norm = jnp.zeros_like(zs)
  orders = {}
  for k in range(top, 0, -1):
    if k <= v:
      orders[k] = f
    if k % 2 == 0:
      norm = norm + 2 * f
    f_prev = (2.0 * k / zs) * f - f_next
    scale = jnp.where(jnp.abs(f_prev) > 1e10, 1e-10, 1.0)
    f_next, f, norm = f * scale, f_prev * scale, norm * scale
    orders = {o: val * scale for o, val in orders.items()}
  orders[0] = f
  norm = norm + f
  out = jnp.stack([orders[o] / norm for o in range(v + 1)])
  at_zero = jnp.stack([jnp.full_like(zs, 1.0 if o == 0 else 0.0) for o in range(v + 1)])
  return jnp.where(zero, at_zero, out)


# --- Exponential integrals, erfcx, Dawson --------------------------------------------------

def _e1_series(x, terms=30):
  """E1(x) = -gamma - log x - sum_k (-x)^k / (k k!), for 0 < x <= 1."""
  term = jnp.ones_like(x)
  total = jnp.zeros_like(x)
  for k in range(1, terms):
    term = term * (-x) / k
    total = total + term / k
  return -_EULER - jnp.log(x) - total


def _en_fraction(n, x, terms=60):
  """E_n(x) by its continued fraction (Numerical Recipes' expint), for
  x > 1, evaluated from the bottom up over a fixed number of terms."""
  b = x + n
  tail = b + 2 * terms
  for i in range(terms, 0, -1):
    tail = b + 2 * (i - 1) + (-i * (n - 1 + i)) / tail
  return jnp.exp(-x) / tail


@api.jit
def exp1(x):
  """The exponential integral E1(x) = int_x^inf e^-t / t dt for x > 0
  (inf at 0, NaN below), like scipy.special.exp1."""
  (x,) = _inexact("exp1", x)
  small = x <= 1
  out = jnp.where(small, _e1_series(_safe(small & (x > 0), x, 0.5)),
                  _en_fraction(1.0, _safe(small, 2.0, x)))
  return jnp.where(x == 0, np.inf, jnp.where(x < 0, np.nan, out))


@api.jit
def expn(n, x):
  """The generalized exponential integral E_n(x) = int_1^inf e^-xt / t^n
  dt for integer n >= 0 and x >= 0, like scipy.special.expn."""
  n, x = _inexact("expn", n, x)
  small = x <= 1
  xs = _safe(small & (x > 0), x, 0.5)
  # The series: (-x)^(n-1)/(n-1)! (psi(n) - log x) - sum_{k != n-1} (-x)^k / ((k-n+1) k!).
  nm1 = n - 1
  ns = jnp.maximum(n, 1.0)
  term = jnp.ones_like(xs)  # (-x)^k / k!
  total = jnp.where(nm1 == 0, 0.0, -1.0 / _safe(nm1 == 0, 1.0, -nm1))
  for k in range(1, 40):
    term = term * (-xs) / k
    hit = nm1 == k
    total = total + jnp.where(hit, 0.0, -term / _safe(hit, 1.0, k - nm1))
  power = jnp.where(nm1 >= 0, (-xs) ** jnp.maximum(nm1, 0.0), 0.0) / jnp.exp(lax.lgamma(ns))
  series = total + power * (lax.digamma(ns) - jnp.log(xs))
  fraction = _en_fraction(n, _safe(small, 2.0, x))
  out = jnp.where(small, series, fraction)
  x0 = _safe(x > 0, x, 1.0)
  out = jnp.where(n == 0, jnp.exp(-x0) / x0, out)
  at_zero = jnp.where(n > 1, 1.0 / _safe(n > 1, n - 1, 1.0), np.inf)
  out = jnp.where(x == 0, at_zero, out)
  bad = (x < 0) | (n < 0) | (n != jnp.floor(n))
  return jnp.where(bad, np.nan, out)


@api.jit
def expi(x):
  """The exponential integral Ei(x) = -int_-x^inf e^-t / t dt, like
  scipy.special.expi: its power series for 0 < x <= 40, the asymptotic
  series above, and -E1(-x) for x < 0 (-inf at 0, as scipy)."""
  (x,) = _inexact("expi", x)
  pos = x > 0
  mid = pos & (x <= 40)
  xs = _safe(mid, x, 1.0)
  term = jnp.ones_like(xs)
  total = jnp.zeros_like(xs)
  for k in range(1, 120):
    term = term * xs / k
    total = total + term / k
  series = _EULER + jnp.log(xs) + total
  xl = _safe(x > 40, x, 50.0)
  r = 1 / xl
  term = jnp.ones_like(xl)
  asym = jnp.ones_like(xl)
  for k in range(1, 12):
    term = term * k * r
    asym = asym + term
  large = jnp.exp(xl) * r * asym
  neg = -exp1(_safe(x < 0, -x, 1.0))
  out = jnp.where(mid, series, jnp.where(pos, large, neg))
  return jnp.where(x == 0, -np.inf, out)


@api.jit
def erfcx(x):
  """The scaled complementary error function exp(x^2) erfc(x), like
  scipy.special.erfcx: directly below x = 2, above by the continued
  fraction 1 / (sqrt(pi) (x + (1/2) / (x + 1 / (x + (3/2) / ...))))."""
  (x,) = _inexact("erfcx", x)
  small = x < 2
  xs = _safe(small, x, 0.0)
  direct = jnp.exp(xs * xs) * lax.erfc(xs)
  xl = _safe(small, 3.0, x)
  tail = xl
  for k in range(60, 0, -1):
    tail = xl + (k / 2) / tail
  return jnp.where(small, direct, 1 / (_SQRT_PI * tail))


_DAWSON_H = 0.4
_DAWSON_C = [math.exp(-((2 * i + 1) * _DAWSON_H) ** 2) for i in range(6)]


@api.jit
def dawsn(x):
  """Dawson's integral F(x) = exp(-x^2) int_0^x exp(t^2) dt, like
  scipy.special.dawsn: a Taylor series near 0, else Rybicki's exponential
  sums (Numerical Recipes' dawson, ~2e-7 relative)."""
  (x,) = _inexact("dawsn", x)
  small = jnp.abs(x) < 0.2
  xs = _safe(small, x, 0.0)
  x2 = xs * xs
  series = xs * (1 - 2 / 3 * x2 * (1 - 0.4 * x2 * (1 - 2 / 7 * x2)))
  ax = jnp.abs(_safe(small, 1.0, x))
  n0 = 2 * jnp.round(0.5 * ax / _DAWSON_H)
  xp = ax - n0 * _DAWSON_H
  e1 = jnp.exp(2 * xp * _DAWSON_H)
  e2 = e1 * e1
  d1, d2 = n0 + 1, n0 - 1
  total = jnp.zeros_like(ax)
  for c in _DAWSON_C:
    total = total + c * (e1 / d1 + 1 / (d2 * e1))
    d1, d2, e1 = d1 + 2, d2 - 2, e1 * e2
  rybicki = jnp.sign(x) * jnp.exp(-xp * xp) * total / _SQRT_PI
  return jnp.where(small, series, rybicki)


# --- Gamma and beta relatives --------------------------------------------------------------

@api.jit
def gammasgn(x):
  """The sign of the gamma function: 1 for x > 0, alternating between the
  negative poles, NaN at the poles (0 included) and NaN, like
  jax.scipy.special.gammasgn."""
  (x,) = _inexact("gammasgn", x)
  fl = jnp.floor(x)
  odd = fl - 2 * jnp.floor(fl / 2) == 1
  sign = jnp.where((x > 0) | ~odd, 1.0, -1.0).astype(x.dtype)
  pole = (x <= 0) & (x == fl)
  return jnp.where(pole | jnp.isnan(x), np.nan, sign)


@api.jit
def loggamma(x):
  """log Gamma(x) for real x > 0 (NaN for x <= 0, where it is complex),
  like jax.scipy.special.loggamma on real input."""
  (x,) = _inexact("loggamma", x)
  return jnp.where(x > 0, lax.lgamma(_safe(x > 0, x, 1.0)), np.nan)


@api.jit
def beta(a, b):
  """The beta function Gamma(a) Gamma(b) / Gamma(a + b), signed, like
  scipy.special.beta."""
  a, b = _inexact("beta", a, b)
  sign = gammasgn(a) * gammasgn(b) * gammasgn(a + b)
  return sign * jnp.exp(lax.lgamma(a) + lax.lgamma(b) - lax.lgamma(a + b))


@api.jit
def poch(z, m):
  """The Pochhammer symbol (rising factorial) Gamma(z + m) / Gamma(z), like
  scipy.special.poch."""
  z, m = _inexact("poch", z, m)
  sign = gammasgn(z + m) * gammasgn(z)
  out = sign * jnp.exp(lax.lgamma(z + m) - lax.lgamma(z))
  return jnp.where(m == 0, 1.0, out)


def factorial(n, exact=False):
  """n! as Gamma(n + 1) (0 for n < 0), like scipy.special.factorial with
  exact=False; exact=True raises, as in JAX."""
  if exact:
    raise NotImplementedError(FACTORIAL_EXACT_MESSAGE)
  (n,) = _inexact("factorial", n)
  return jnp.where(n < 0, 0.0, jnp.exp(lax.lgamma(jnp.maximum(n, 0) + 1)))


@functools.partial(api.jit, static_argnames="repetition")
def comb(N, k, *, repetition=False):
  """The number of combinations of N things taken k at a time, as floats
  (0 where k > N, k < 0 or N < 0), like scipy.special.comb with
  exact=False; repetition=True counts multisets, comb(N + k - 1, k)."""
  N, k = _inexact("comb", N, k)
  if repetition:
    N = N + k - 1
  ok = (k >= 0) & (N >= 0) & (k <= N)
  Ns, ks = _safe(ok, N, 1.0), _safe(ok, k, 0.0)
  out = jnp.exp(lax.lgamma(Ns + 1) - lax.lgamma(ks + 1) - lax.lgamma(Ns - ks + 1))
  return jnp.where(ok, out, 0.0)


def multigammaln(a, d):
  """The log of the multivariate gamma function of dimension d:
  d(d-1)/4 log(pi) + sum_j gammaln(a - j/2), j < d, like
  scipy.special.multigammaln (d a Python int)."""
  if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 1:
    raise ValueError(MULTIGAMMALN_D_MESSAGE.format(d=d))
  (a,) = _inexact("multigammaln", a)
  out = d * (d - 1) / 4 * math.log(math.pi)
  for j in range(int(d)):
    out = out + lax.lgamma(a - j / 2)
  return out


# --- Entropies and Box-Cox -------------------------------------------------------------

@api.jit
def rel_entr(p, q):
  """Elementwise relative entropy p log(p / q) (0 at p == 0 <= q, inf
  where p or q is negative or q == 0 < p), like scipy.special.rel_entr."""
  p, q = _inexact("rel_entr", p, q)
  both = (p > 0) & (q > 0)
  ps, qs = _safe(both, p, 1.0), _safe(both, q, 1.0)
  return jnp.where(both, ps * jnp.log(ps / qs),
                   jnp.where((p == 0) & (q >= 0), 0.0, np.inf))


@api.jit
def kl_div(p, q):
  """Elementwise p log(p / q) - p + q (q at p == 0 <= q, inf where p or
  q is negative or q == 0 < p), like scipy.special.kl_div."""
  p, q = _inexact("kl_div", p, q)
  both = (p > 0) & (q > 0)
  ps, qs = _safe(both, p, 1.0), _safe(both, q, 1.0)
  return jnp.where(both, ps * jnp.log(ps / qs) - ps + qs,
                   jnp.where((p == 0) & (q >= 0), q, np.inf))


@api.jit
def boxcox(x, lmbda):
  """The Box-Cox transform (x^lmbda - 1) / lmbda, log(x) at lmbda == 0,
  like scipy.special.boxcox."""
  x, lmbda = _inexact("boxcox", x, lmbda)
  zero = lmbda == 0
  ls = _safe(zero, 1.0, lmbda)
  return jnp.where(zero, jnp.log(x), jnp.expm1(ls * jnp.log(x)) / ls)


@api.jit
def boxcox1p(x, lmbda):
  """The Box-Cox transform of 1 + x, accurate for small x, like
  scipy.special.boxcox1p."""
  x, lmbda = _inexact("boxcox1p", x, lmbda)
  zero = lmbda == 0
  ls = _safe(zero, 1.0, lmbda)
  return jnp.where(zero, jnp.log1p(x), jnp.expm1(ls * jnp.log1p(x)) / ls)


# --- Bernoulli numbers ---------------------------------------------------------------

def bernoulli(n):
  """The Bernoulli numbers B_0 ... B_n (B_1 = -1/2) as a float32 array, like
  scipy.special.bernoulli (n a Python int; computed exactly on the host)."""
  if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
    raise ValueError(BERNOULLI_N_MESSAGE.format(n=n))
  numbers = [fractions.Fraction(1)]
  for m in range(1, int(n) + 1):
    total = sum(math.comb(m + 1, k) * numbers[k] for k in range(m))
    numbers.append(-total / (m + 1))
  return jnp.asarray(np.array([float(b) for b in numbers]), dtype=jnp.float32)


# --- Spence's function ------------------------------------------------------------------

def _li2_series(y, terms):
  """The dilogarithm sum_k y^k / k^2, for |y| <= 1/2."""
  power = y
  total = y
  for k in range(2, terms):
    power = power * y
    total = total + power / (k * k)
  return total


def _li2_landen(y, terms):
  """Li2(y) = -Li2(y / (y - 1)) - log(1 - y)^2 / 2, for y in [-1, -1/2)."""
  return -_li2_series(y / (y - 1), terms) - 0.5 * jnp.log1p(-y) ** 2


@api.jit
def spence(x):
  """Spence's function int_1^x log(t) / (1 - t) dt = Li2(1 - x) for
  x >= 0 (NaN below), like scipy.special.spence: the dilogarithm's series
  on |y| <= 1/2, reached by its reflection and Landen identities."""
  (x,) = _inexact("spence", x)
  terms = 30 if x.dtype == np.float32 else 60
  pi2_6 = math.pi ** 2 / 6
  y = 1 - x
  # y in (1/2, 1): Li2(y) = pi^2/6 - log(y) log(1-y) - Li2(1-y).
  upper = (y > 0.5) & (x > 0)
  yu = _safe(upper, y, 0.75)
  reflected = pi2_6 - jnp.log(yu) * jnp.log1p(-yu) - _li2_series(1 - yu, terms)
  # y in [-1, -1/2): Li2(y) = -Li2(y / (y - 1)) - log(1 - y)^2 / 2.
  landen = (y < -0.5) & (y >= -1)
  yl = _safe(landen, y, -0.75)
  landened = _li2_landen(yl, terms)
  # y < -1: Li2(y) = -pi^2/6 - log(-y)^2 / 2 - Li2(1/y), 1/y in (-1, 0).
  below = y < -1
  yb = _safe(below, y, -2.0)
  u = 1 / yb
  lu = jnp.where(u < -0.5, _li2_landen(_safe(u < -0.5, u, -0.75), terms),
                 _li2_series(_safe(u < -0.5, 0.0, u), terms))
  inverted = -pi2_6 - 0.5 * jnp.log(-yb) ** 2 - lu
  middle = _li2_series(_safe(jnp.abs(y) <= 0.5, y, 0.0), terms)
  out = jnp.where(upper, reflected, jnp.where(landen, landened, jnp.where(below, inverted, middle)))
  out = jnp.where(x == 0, pi2_6, out)
  return jnp.where(x < 0, np.nan, out)


# --- Sine/cosine and Fresnel integrals ----------------------------------------------------

def _complex_lentz(b0_re, b0_im, a_of, db_re, iterations):
  """Modified Lentz evaluation, in real pairs, of the complex continued
  fraction 1 / (b0 + a1 / (b1 + a2 / (b2 + ...))) with b_k = b0 + k db
  (db real) and real a_k = a_of(k) (a float for Python ints k)."""
  def div(pr, pi, qr, qi):
    den = qr * qr + qi * qi
    return (pr * qr + pi * qi) / den, (pi * qr - pr * qi) / den

  def body(k, state):
    b_re, b_im, c_re, c_im, d_re, d_im, h_re, h_im = state
    kf = k.astype(b_re.dtype)
    a = a_of(kf)
    b_re = b_re + db_re
    d_re, d_im = div(jnp.ones_like(b_re), jnp.zeros_like(b_re),
                     a * d_re + b_re, a * d_im + b_im)
    scale = a / (c_re * c_re + c_im * c_im)  # a / c, with a real
    c_re, c_im = b_re + scale * c_re, b_im - scale * c_im
    del_re, del_im = c_re * d_re - c_im * d_im, c_re * d_im + c_im * d_re
    h_re, h_im = h_re * del_re - h_im * del_im, h_re * del_im + h_im * del_re
    return b_re, b_im, c_re, c_im, d_re, d_im, h_re, h_im

  d_re, d_im = div(jnp.ones_like(b0_re), jnp.zeros_like(b0_re), b0_re, b0_im)
  big = jnp.full_like(b0_re, 1e30)
  init = (b0_re, b0_im, big, jnp.zeros_like(b0_re), d_re, d_im, d_re, d_im)
  out = lax.fori_loop(1, iterations + 1, body, init)
  return out[6], out[7]


@api.jit
def sici(x):
  """The sine and cosine integrals (Si(x), Ci(x)), like
  scipy.special.sici: power series for |x| <= 2, else the complex
  continued fraction of E1(ix) (Numerical Recipes' cisi). Si is odd; Ci
  is taken at |x| (-inf at 0), as jax.scipy.special.sici does."""
  (x,) = _inexact("sici", x)
  t = jnp.abs(x)
  small = t <= 2
  ts = _safe(small & (t > 0), t, 1.0)
  t2 = ts * ts
  si_term, ci_term = ts, jnp.ones_like(ts)
  si_sum, ci_sum = ts, jnp.zeros_like(ts)
  for k in range(1, 14):
    si_term = -si_term * t2 / ((2 * k) * (2 * k + 1))
    ci_term = -ci_term * t2 / ((2 * k - 1) * (2 * k))
    si_sum = si_sum + si_term / (2 * k + 1)
    ci_sum = ci_sum + ci_term / (2 * k)
  si_small = si_sum
  ci_small = _EULER + jnp.log(ts) + ci_sum
  tl = _safe(small, 3.0, t)
  h_re, h_im = _complex_lentz(jnp.ones_like(tl), tl, lambda k: -(k * k), 2.0, 60)
  cos, sin = jnp.cos(tl), jnp.sin(tl)
  h_re, h_im = cos * h_re + sin * h_im, cos * h_im - sin * h_re
  si_large, ci_large = math.pi / 2 + h_im, -h_re
  si = jnp.where(small, si_small, si_large)
  ci = jnp.where(small, ci_small, ci_large)
  si = jnp.where(t == 0, 0.0, jnp.sign(x) * si)
  return si, jnp.where(t == 0, -np.inf, ci)


@api.jit
def fresnel(x):
  """The Fresnel integrals (S(x), C(x)) = int_0^x (sin, cos)(pi t^2 / 2)
  dt, like scipy.special.fresnel: power series for |x| < 1.5, else the
  complex continued fraction of erfc (Numerical Recipes' frenel)."""
  (x,) = _inexact("fresnel", x)
  ax = jnp.abs(x)
  small = ax < 1.5
  xs = _safe(small, ax, 1.0)
  half_pi = math.pi / 2
  u = half_pi * xs * xs
  c_term, s_term = xs, xs * u  # x (pi x^2/2)^(2k) / (2k)!, its (2k+1) twin
  c_sum, s_sum = xs, s_term / 3
  for k in range(1, 16):
    c_term = -c_term * u * u / ((2 * k - 1) * (2 * k))
    s_term = -s_term * u * u / ((2 * k) * (2 * k + 1))
    c_sum = c_sum + c_term / (4 * k + 1)
    s_sum = s_sum + s_term / (4 * k + 3)
  xl = _safe(small, 2.0, ax)
  pix2 = math.pi * xl * xl
  h_re, h_im = _complex_lentz(jnp.ones_like(xl), -pix2,
                              lambda k: -(2 * k - 1) * (2 * k), 4.0, 60)
  h_re, h_im = h_re * xl + h_im * xl, h_im * xl - h_re * xl
  cos, sin = jnp.cos(0.5 * pix2), jnp.sin(0.5 * pix2)
  p_re, p_im = cos * h_re - sin * h_im, cos * h_im + sin * h_re
  c_large, s_large = 0.5 * (1 - p_re + p_im), 0.5 * (1 - p_im - p_re)
  sign = jnp.sign(x)
  s = sign * jnp.where(small, s_sum, s_large)
  c = sign * jnp.where(small, c_sum, c_large)
  return s, c


# --- Owen's T function -------------------------------------------------------------------

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(24)


def _owens_t_quadrature(h, a):
  """T(h, a) = 1/(2 pi) int_0^a exp(-h^2 (1 + t^2) / 2) / (1 + t^2) dt by
  24-point Gauss-Legendre, for 0 <= a <= 1."""
  total = jnp.zeros_like(h)
  for node, weight in zip(_GL_NODES, _GL_WEIGHTS):
    t = 0.5 * a * (node + 1)
    q = 1 + t * t
    total = total + weight * jnp.exp(-0.5 * h * h * q) / q
  return 0.25 * a * total / math.pi


@api.jit
def owens_t(h, a):
  """Owen's T function T(h, a), like scipy.special.owens_t: quadrature for
  |a| <= 1, and for |a| > 1 Owen's identity T(h, a) = (Phi(h) + Phi(ah))/2
  - Phi(h) Phi(ah) - T(ah, 1/a) (h >= 0; T is even in h, odd in a)."""
  h, a = _inexact("owens_t", h, a)
  sign = jnp.sign(a)
  h, a = jnp.abs(h), jnp.abs(a)
  low = a <= 1
  direct = _owens_t_quadrature(h, jnp.minimum(a, 1.0))
  al = _safe(low, 2.0, a)
  ah = al * h
  phi_h = 0.5 * lax.erfc(-h / math.sqrt(2))
  phi_ah = 0.5 * lax.erfc(-ah / math.sqrt(2))
  flipped = 0.5 * (phi_h + phi_ah) - phi_h * phi_ah - _owens_t_quadrature(ah, 1 / al)
  return sign * jnp.where(low, direct, flipped)


# --- Hypergeometric functions --------------------------------------------------------------

_HYPER_TERMS = 200


def _hyper_series(ratio, shape_like):
  """sum_k t_k with t_0 = 1 and t_{k+1} = t_k * ratio(k) (k a float array),
  over a fixed number of terms (a scan: differentiable both ways)."""
  def body(k, state):
    term, total = state
    term = term * ratio(k.astype(shape_like.dtype))
    return term, total + term
  one = jnp.ones_like(shape_like)
  return lax.fori_loop(0, _HYPER_TERMS, body, (one, one))[1]


@api.jit
def hyp1f1(a, b, x):
  """Kummer's confluent hypergeometric function 1F1(a; b; x), like
  scipy.special.hyp1f1: its power series (200 terms), through Kummer's
  transformation e^x 1F1(b - a; b; -x) for x < 0 (accurate for |x| up to
  about 50)."""
  a, b, x = _inexact("hyp1f1", a, b, x)
  neg = x < 0
  aa = jnp.where(neg, b - a, a)
  ax = jnp.abs(x)
  series = _hyper_series(lambda k: (aa + k) / ((b + k) * (k + 1)) * ax, x)
  return jnp.where(neg, jnp.exp(x) * series, series)


@api.jit
def hyp2f1(a, b, c, x):
  """The Gauss hypergeometric function 2F1(a, b; c; x) for x <= 1, like
  scipy.special.hyp2f1: its power series (200 terms) on [0, 1), Pfaff's
  transformation (1 - x)^-a 2F1(a, c - b; c; x / (x - 1)) for x < 0, and
  Gauss's theorem at x == 1. Slow to converge (less accurate) near x = 1;
  NaN for x > 1."""
  a, b, c, x = _inexact("hyp2f1", a, b, c, x)
  neg = x < 0
  inside = (x < 1)
  xs = _safe(inside, x, 0.0)
  z = jnp.where(neg, xs / (xs - 1), xs)
  bb = jnp.where(neg, c - b, b)
  series = _hyper_series(lambda k: (a + k) * (bb + k) / ((c + k) * (k + 1)) * z, x)
  series = jnp.where(neg, (1 - xs) ** (-a) * series, series)
  s = c - a - b
  ss = _safe(s > 0, s, 1.0)
  gauss = jnp.exp(lax.lgamma(c) + lax.lgamma(ss) - lax.lgamma(c - a) - lax.lgamma(c - b))
  gauss = gauss * gammasgn(c) * gammasgn(ss) * gammasgn(c - a) * gammasgn(c - b)
  at_one = jnp.where(s > 0, gauss, np.inf)
  return jnp.where(inside, series, jnp.where(x == 1, at_one, np.nan))


# --- Spherical harmonics ---------------------------------------------------------------

SPH_HARM_N_MAX_MESSAGE = (
    "sph_harm_y: n_max is needed when n is traced (under jit/vmap); pass "
    "n_max=<the largest degree> as a Python int.")
SPH_HARM_DIFF_MESSAGE = (
    "sph_harm_y: diff_n={diff_n} (derivatives) is not supported; call it "
    "with diff_n=None or 0.")


def sph_harm_y(n, m, theta, phi, diff_n=None, n_max=None):
  """The spherical harmonics Y_n^m(theta, phi) (theta the polar angle, phi
  the azimuth; orthonormal, with the Condon-Shortley phase), complex, like
  scipy.special.sph_harm_y: the normalized associated Legendre functions
  by their stable recurrence in the degree, up to n_max (default max(n),
  which needs a concrete n). Zero where |m| > n."""
  if diff_n not in (None, 0):
    raise NotImplementedError(SPH_HARM_DIFF_MESSAGE.format(diff_n=diff_n))
  if n_max is None:
    try:
      n_max = int(np.max(np.asarray(n)))
    except Exception as error:
      raise ValueError(SPH_HARM_N_MAX_MESSAGE) from error
  theta, phi = _inexact("sph_harm_y", theta, phi)
  n = jnp.asarray(n).astype(theta.dtype)
  am = jnp.abs(jnp.asarray(m).astype(theta.dtype))
  n, am, theta, phi = jnp.broadcast_arrays(n, am, theta, phi)
  x, s = jnp.cos(theta), jnp.sin(theta)
  pmm = jnp.full_like(x, 1 / math.sqrt(4 * math.pi))
  for k in range(1, int(n_max) + 1):
    pmm = jnp.where(k <= am, -math.sqrt((2 * k + 1) / (2 * k)) * s * pmm, pmm)
  p1, p2 = pmm, jnp.zeros_like(pmm)
  for l in range(1, int(n_max) + 1):
    active = (l > am) & (l <= n)
    a_l = jnp.sqrt((4 * l * l - 1) / _safe(active, l * l - am * am, 1.0))
    prev = (l - 1) * (l - 1) - am * am
    a_prev = jnp.sqrt((4 * (l - 1) ** 2 - 1) / _safe(prev > 0, prev, 1.0))
    new = a_l * (x * p1 - jnp.where(prev > 0, p2 / a_prev, 0.0))
    p1, p2 = jnp.where(active, new, p1), jnp.where(active, p1, p2)
  legendre = jnp.where(am <= n, p1, 0.0)
  negative = jnp.asarray(m) < 0
  sign = jnp.where(negative & (jnp.floor(am / 2) * 2 != am), -1.0, 1.0)
  angle = jnp.where(negative, -am, am) * phi
  return (sign * legendre) * (jnp.cos(angle) + 1j * jnp.sin(angle))
