"""The regularized incomplete gamma functions as primitives: igamma (P),
igammac (Q), igamma_grad_a (dP/da), random_gamma_grad and the regularized
incomplete beta function, with all rules.

StableHLO has no incomplete gamma, so each lowering traces a composed
algorithm (the power series of P where x < a + 1, else the Lentz continued
fraction of Q, both run by a while loop to the dtype's precision) and emits
it in place (the incomplete beta likewise, by its Lentz fraction). The
gamma series and fraction carry their derivative in `a` along (forward
mode by hand), which gives dP/da and the implicit reparameterisation
gradient of Gamma samples without a loss of precision.
"""

import numpy as np

from ..core.primitive import NOT_LINEAR, define_primitive
from ..interpreters.lowering import constant, lower_jaxpr_body
from ..interpreters.staging import trace_to_jaxpr
from . import bits, reduction, select, shape
from . import elementwise as el
from .convert import convert_element_type
from ._ad import defjvp
from ._checks import FLOAT, match_scalars, nary_abstract_eval
from ._factories import vectorized_batch
from .loops import while_loop

__all__ = ["igamma", "igammac", "igamma_grad_a", "random_gamma_grad",
           "regularized_incomplete_beta", "betainc"]

MAX_ITERATIONS = 2000

IGAMMA_GRAD_MESSAGE = (
    "{name}: its derivatives are not implemented (it is itself a "
    "derivative); differentiate igamma/igammac or the Gamma sample instead.")


# --- The series and the continued fraction -------------------------------------------

def _full(like, value):
  """`value` filled to the shape and dtype of the array `like`."""
  return shape.full(like.aval.shape, value, like.aval.dtype)


def _eps(dtype):
  return float(np.finfo(dtype).eps)


def _any(mask):
  return reduction.reduce_or(mask, tuple(range(mask.aval.ndim)))


def _where(cond, x, y):
  return select.select_n(cond, y, x)


def _series(a, x):
  """(S, dS/da) with P(a, x) = x^a e^-x / Gamma(a + 1) * S, where
  S = sum_n x^n / ((a+1)...(a+n))."""
  eps = _eps(a.aval.dtype)

  def cond(state):
    i, _, term, total, dterm, dtotal = state
    big = bits.gt(el.abs(term), el.mul(el.abs(total), eps))
    dbig = bits.gt(el.abs(dterm), el.mul(el.abs(dtotal), eps))
    return bits.bitwise_and(bits.lt(i, np.int32(MAX_ITERATIONS)),
                            _any(bits.bitwise_or(big, dbig)))

  def body(state):
    i, ap, term, total, dterm, dtotal = state
    ap = el.add(ap, 1.0)
    r = el.div(x, ap)
    dterm = el.mul(r, el.sub(dterm, el.div(term, ap)))
    term = el.mul(term, r)
    return (el.add(i, np.int32(1)), ap, term, el.add(total, term), dterm,
            el.add(dtotal, dterm))

  one, zero = _full(a, 1.0), _full(a, 0.0)
  out = while_loop(cond, body, (np.int32(0), a, one, one, zero, zero))
  return out[3], out[5]


def _continued_fraction(a, x):
  """(h, dh/da) with Q(a, x) = x^a e^-x / Gamma(a) * h: the modified Lentz
  evaluation of Q's continued fraction (Numerical Recipes' gcf),
  differentiated along in `a` (db/da = -1, d(an)/da = i)."""
  dtype = a.aval.dtype
  eps = _eps(dtype)
  tiny = float(np.finfo(dtype).tiny) * 16
  zero = _full(a, 0.0)

  def cond(state):
    i, *_, delta, ddelta = state
    far = bits.gt(el.abs(el.sub(delta, 1.0)), eps)
    dfar = bits.gt(el.abs(ddelta), eps)
    return bits.bitwise_and(bits.lt(i, np.int32(MAX_ITERATIONS)),
                            _any(bits.bitwise_or(far, dfar)))

  def body(state):
    i, b, c, dc, d, dd, h, dh, _, _ = state
    i = el.add(i, np.int32(1))
    fi = shape.broadcast_in_dim(convert_element_type(i, dtype), a.aval.shape, ())
    an = el.mul(el.neg(fi), el.sub(fi, a))
    b = el.add(b, 2.0)
    d_raw = el.add(el.mul(an, d), b)
    dd_raw = el.sub(el.add(el.mul(fi, d), el.mul(an, dd)), 1.0)
    small = bits.lt(el.abs(d_raw), tiny)
    d_raw, dd_raw = _where(small, _full(a, tiny), d_raw), _where(small, zero, dd_raw)
    c_raw = el.add(b, el.div(an, c))
    dc_raw = el.sub(el.div(el.sub(el.mul(fi, c), el.mul(an, dc)), el.mul(c, c)), 1.0)
    small = bits.lt(el.abs(c_raw), tiny)
    c, dc = _where(small, _full(a, tiny), c_raw), _where(small, zero, dc_raw)
    d = el.div(1.0, d_raw)
    dd = el.neg(el.mul(dd_raw, el.mul(d, d)))
    delta = el.mul(d, c)
    ddelta = el.add(el.mul(dd, c), el.mul(d, dc))
    dh = el.add(el.mul(dh, delta), el.mul(h, ddelta))
    h = el.mul(h, delta)
    return (i, b, c, dc, d, dd, h, dh, delta, ddelta)

  b = el.sub(el.add(x, 1.0), a)
  d = el.div(1.0, b)
  dd = el.mul(d, d)  # d(1/b)/da, as db/da = -1
  init = (np.int32(0), b, _full(a, 1.0 / tiny), zero, d, dd, d, dd,
          _full(a, 2.0), _full(a, 1.0))
  out = while_loop(cond, body, init)
  return out[6], out[7]


def _log_prefactor(a, x):
  """log(x^a e^-x / Gamma(a + 1)). For a >= 10 it is taken as
  a (log1p(t) - t) - log(2 pi a) / 2 - (Stirling's correction), t = x/a - 1,
  which avoids the cancellation of the plain sum's large terms."""
  plain = el.sub(el.sub(el.mul(a, el.log(x)), x), el.lgamma(el.add(a, 1.0)))
  large = bits.ge(a, 10.0)
  al = _where(large, a, _full(a, 10.0))
  t = el.sub(el.div(_where(large, x, al), al), 1.0)
  r = el.div(1.0, al)
  r2 = el.mul(r, r)
  stirling = el.mul(r, el.add(1 / 12, el.mul(r2, el.add(-1 / 360, el.mul(r2, 1 / 1260)))))
  log_root = el.mul(0.5, el.log(el.mul(al, 2 * np.pi)))
  stirled = el.sub(el.sub(el.mul(al, el.sub(el.log1p(t), t)), log_root), stirling)
  return _where(large, stirled, plain)


def _parts(a, x):
  """Everything the four functions need, branch by branch: each branch runs
  on inputs where the other's lanes (and invalid ones) are replaced by
  values it converges on at once, so no lane keeps a loop going."""
  one = _full(a, 1.0)
  valid = bits.bitwise_and(bits.bitwise_and(bits.gt(a, 0.0), bits.gt(x, 0.0)),
                           bits.bitwise_and(el.is_finite(a), el.is_finite(x)))
  use_series = bits.lt(x, el.add(a, 1.0))
  in_series = bits.bitwise_and(valid, use_series)
  in_fraction = bits.bitwise_and(valid, bits.bitwise_not(use_series))
  a_s, x_s = _where(in_series, a, one), _where(in_series, x, _full(a, 0.5))
  a_f, x_f = _where(in_fraction, a, one), _where(in_fraction, x, _full(a, 3.0))
  s, ds = _series(a_s, x_s)
  h, dh = _continued_fraction(a_f, x_f)
  log_x_s, log_x_f = el.log(x_s), el.log(x_f)
  # P = exp(log_ps) * s on the series' lanes, Q = exp(log_qf) * h on the rest.
  log_ps = _log_prefactor(a_s, x_s)
  log_qf = el.add(_log_prefactor(a_f, x_f), el.log(a_f))
  # d log(prefactor)/da, and the bracket of each branch's derivative.
  ds_full = el.add(ds, el.mul(s, el.sub(log_x_s, el.digamma(el.add(a_s, 1.0)))))
  dh_full = el.add(dh, el.mul(h, el.sub(log_x_f, el.digamma(a_f))))
  return dict(use_series=use_series, s=s, h=h, log_ps=log_ps, log_qf=log_qf,
              ds_full=ds_full, dh_full=dh_full, a_s=a_s, x_s=x_s, x_f=x_f)


def _edges(out, a, x, at_zero, at_inf, at_a_zero):
  """`out` with the values at x == 0, at x == inf and at a == 0 (x > 0)
  given, NaN for a < 0, x < 0 or NaN inputs (as jax.lax does)."""
  out = _where(bits.eq(x, 0.0), _full(a, at_zero), out)
  out = _where(bits.eq(x, np.inf), _full(a, at_inf), out)
  out = _where(bits.bitwise_and(bits.eq(a, 0.0), bits.gt(x, 0.0)),
               _full(a, at_a_zero), out)
  bad = bits.bitwise_or(bits.lt(a, 0.0), bits.lt(x, 0.0))
  bad = bits.bitwise_or(bad, bits.bitwise_or(bits.ne(a, a), bits.ne(x, x)))
  return _where(bad, _full(a, np.nan), out)


def _igamma_impl(a, x):
  p = _parts(a, x)
  series = el.mul(el.exp(p["log_ps"]), p["s"])
  fraction = el.sub(1.0, el.mul(el.exp(p["log_qf"]), p["h"]))
  return _edges(_where(p["use_series"], series, fraction), a, x, 0.0, 1.0, 1.0)


def _igammac_impl(a, x):
  p = _parts(a, x)
  series = el.sub(1.0, el.mul(el.exp(p["log_ps"]), p["s"]))
  fraction = el.mul(el.exp(p["log_qf"]), p["h"])
  return _edges(_where(p["use_series"], series, fraction), a, x, 1.0, 0.0, 0.0)


def _igamma_grad_a_impl(a, x):
  p = _parts(a, x)
  series = el.mul(el.exp(p["log_ps"]), p["ds_full"])
  fraction = el.neg(el.mul(el.exp(p["log_qf"]), p["dh_full"]))
  return _edges(_where(p["use_series"], series, fraction), a, x, 0.0, np.nan, np.nan)


def _random_gamma_grad_impl(a, x):
  # -(dP/da) / (dP/dx): each branch's prefactor cancels from the ratio.
  p = _parts(a, x)
  series = el.neg(el.div(el.mul(p["ds_full"], p["x_s"]), p["a_s"]))
  fraction = el.mul(p["dh_full"], p["x_f"])
  return _edges(_where(p["use_series"], series, fraction), a, x, 0.0, np.nan, np.nan)


# --- The primitives ---------------------------------------------------------------------

def _lower_composed(impl):
  """A lowering rule that traces `impl(a, x)` (composed lax ops) at the
  operands' avals and emits its jaxpr in place."""
  def rule(ctx, *args):
    out = ctx.avals_out[0]
    if 0 in out.shape:  # nothing to compute (and weak scalars can't broadcast to it)
      return constant(np.zeros(out.shape, out.dtype), out.dtype)
    closed = trace_to_jaxpr(lambda *xs: [impl(*xs)], list(ctx.avals_in))
    consts = [constant(np.asarray(c), np.asarray(c).dtype) for c in closed.consts]
    return lower_jaxpr_body(ctx.module_context, closed.jaxpr, consts + list(args))[0]
  return rule


def _not_differentiable(name):
  """A jvp rule that says `name` has no derivative implemented."""
  def rule(primals, tangents, **params):
    raise NotImplementedError(IGAMMA_GRAD_MESSAGE.format(name=name))
  return rule


def _binary(name, impl, jvp=None):
  prim = define_primitive(name, abstract_eval=nary_abstract_eval(name, FLOAT),
                          lower=_lower_composed(impl), transpose=NOT_LINEAR)
  prim.batch = vectorized_batch(prim)
  if jvp is None:
    prim.jvp = _not_differentiable(name)
  else:
    defjvp(prim, *jvp)
  return prim


def _bind(prim, a, x):
  a, x = match_scalars(prim.name, [a, x])
  return prim.bind(a, x)


def _density(a, x):
  """dP/dx = x^(a-1) e^-x / Gamma(a), the Gamma(a, 1) density."""
  return el.exp(el.sub(el.sub(el.mul(el.sub(a, 1.0), el.log(x)), x), el.lgamma(a)))


def igamma(a, x):
  """The regularized lower incomplete gamma function
  P(a, x) = gamma(a, x) / Gamma(a), elementwise (a > 0, x >= 0; NaN
  elsewhere), like jax.lax.igamma. Differentiable in x and in a (through
  igamma_grad_a)."""
  return _bind(igamma_p, a, x)


def igammac(a, x):
  """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x),
  computed directly (accurate where P is near 1), like jax.lax.igammac."""
  return _bind(igammac_p, a, x)


def igamma_grad_a(a, x):
  """dP(a, x)/da, the derivative of igamma in its first argument, like
  jax.lax.igamma_grad_a. Not itself differentiable."""
  return _bind(igamma_grad_a_p, a, x)


def random_gamma_grad(a, x):
  """The derivative of a Gamma(a, 1) sample `x` with respect to `a` under
  implicit reparameterisation, -(dP/da) / (dP/dx) at x, like
  jax.lax.random_gamma_grad. Not itself differentiable."""
  return _bind(random_gamma_grad_p, a, x)


igamma_p = _binary("igamma", _igamma_impl, jvp=(
    lambda t, a, x: el.mul(t, igamma_grad_a(a, x)),
    lambda t, a, x: el.mul(t, _density(a, x))))
igammac_p = _binary("igammac", _igammac_impl, jvp=(
    lambda t, a, x: el.neg(el.mul(t, igamma_grad_a(a, x))),
    lambda t, a, x: el.neg(el.mul(t, _density(a, x)))))
igamma_grad_a_p = _binary("igamma_grad_a", _igamma_grad_a_impl)
random_gamma_grad_p = _binary("random_gamma_grad", _random_gamma_grad_impl)


# --- The regularized incomplete beta function ---------------------------------------------

def _beta_fraction(a, b, x):
  """The modified Lentz evaluation of I_x(a, b)'s continued fraction
  (Numerical Recipes' betacf), converging for x < (a + 1) / (a + b + 2)."""
  dtype = a.aval.dtype
  eps = _eps(dtype)
  tiny = float(np.finfo(dtype).tiny) * 16
  one = _full(a, 1.0)

  def clamp(v):
    return _where(bits.lt(el.abs(v), tiny), _full(a, tiny), v)

  def step(c, d, h, aa):
    d = el.div(1.0, clamp(el.add(1.0, el.mul(aa, d))))
    c = clamp(el.add(1.0, el.div(aa, c)))
    delta = el.mul(d, c)
    return c, d, el.mul(h, delta), delta

  def cond(state):
    i, _, _, _, delta = state
    return bits.bitwise_and(bits.lt(i, np.int32(MAX_ITERATIONS)),
                            _any(bits.gt(el.abs(el.sub(delta, 1.0)), eps)))

  def body(state):
    i, c, d, h, _ = state
    i = el.add(i, np.int32(1))
    m = shape.broadcast_in_dim(convert_element_type(i, dtype), a.aval.shape, ())
    m2 = el.add(m, m)
    aa = el.div(el.mul(el.mul(m, el.sub(b, m)), x),
                el.mul(el.add(el.sub(a, 1.0), m2), el.add(a, m2)))
    c, d, h, _ = step(c, d, h, aa)
    aa = el.neg(el.div(el.mul(el.mul(el.add(a, m), el.add(el.add(a, b), m)), x),
                       el.mul(el.add(a, m2), el.add(el.add(a, 1.0), m2))))
    c, d, h, delta = step(c, d, h, aa)
    return (i, c, d, h, delta)

  d = el.div(1.0, clamp(el.sub(1.0, el.div(el.mul(el.add(a, b), x), el.add(a, 1.0)))))
  out = while_loop(cond, body, (np.int32(0), one, d, d, _full(a, 2.0)))
  return out[3]


def _log_beta(a, b):
  return el.sub(el.add(el.lgamma(a), el.lgamma(b)), el.lgamma(el.add(a, b)))


def _stirling_correction(z):
  """lgamma(z) - ((z - 1/2) log z - z + log(2 pi) / 2), for z >= 10."""
  r = el.div(1.0, z)
  r2 = el.mul(r, r)
  return el.mul(r, el.add(1 / 12, el.mul(r2, el.add(-1 / 360, el.mul(r2, 1 / 1260)))))


def _beta_log_front(a, b, x):
  """log(x^a (1 - x)^b / B(a, b)). Where a, b >= 10 the large terms are
  cancelled analytically (Stirling's series for B, and t = x (a+b)/a - 1):
  a (log1p(t) - t) + b (log1p(u) - u) + log(ab / (a+b)) / 2 - log(2 pi) / 2
  - corrections, u = -t a / b; the plain sum loses digits to lgamma there."""
  plain = el.sub(el.add(el.mul(a, el.log(x)), el.mul(b, el.log1p(el.neg(x)))),
                 _log_beta(a, b))
  large = bits.bitwise_and(bits.ge(a, 10.0), bits.ge(b, 10.0))
  ten = _full(a, 10.0)
  al, bl = _where(large, a, ten), _where(large, b, ten)
  xl = _where(large, x, _full(a, 0.5))
  ab = el.add(al, bl)
  t = el.div(el.sub(el.mul(xl, ab), al), al)
  u = el.neg(el.div(el.mul(t, al), bl))
  body = el.add(el.mul(al, el.sub(el.log1p(t), t)), el.mul(bl, el.sub(el.log1p(u), u)))
  root = el.mul(0.5, el.log(el.div(el.mul(al, bl), el.mul(ab, 2 * np.pi))))
  corrections = el.sub(el.add(_stirling_correction(al), _stirling_correction(bl)),
                       _stirling_correction(ab))
  return _where(large, el.sub(el.add(body, root), corrections), plain)


def _betainc_impl(a, b, x):
  one = _full(a, 1.0)
  valid = bits.bitwise_and(bits.bitwise_and(bits.gt(a, 0.0), bits.gt(b, 0.0)),
                           bits.bitwise_and(bits.gt(x, 0.0), bits.lt(x, 1.0)))
  valid = bits.bitwise_and(valid, bits.bitwise_and(el.is_finite(a), el.is_finite(b)))
  swap = bits.gt(x, el.div(el.add(a, 1.0), el.add(el.add(a, b), 2.0)))
  a_, b_ = _where(swap, b, a), _where(swap, a, b)
  x_ = _where(swap, el.sub(1.0, x), x)
  a_, b_ = _where(valid, a_, one), _where(valid, b_, one)
  x_ = _where(valid, x_, _full(a, 0.25))
  h = _beta_fraction(a_, b_, x_)
  log_front = _beta_log_front(a_, b_, x_)
  value = el.div(el.mul(el.exp(log_front), h), a_)
  out = _where(swap, el.sub(1.0, value), value)
  out = _where(bits.le(x, 0.0), _full(a, 0.0), out)
  out = _where(bits.ge(x, 1.0), one, out)
  bad = bits.bitwise_or(bits.bitwise_or(bits.le(a, 0.0), bits.le(b, 0.0)),
                        bits.bitwise_or(bits.lt(x, 0.0), bits.gt(x, 1.0)))
  bad = bits.bitwise_or(bad, bits.bitwise_or(bits.ne(a, a), bits.bitwise_or(
      bits.ne(b, b), bits.ne(x, x))))
  return _where(bad, _full(a, np.nan), out)


BETAINC_GRAD_MESSAGE = (
    "betainc: the derivative with respect to a and b is not implemented "
    "(as in JAX); differentiate with respect to x only.")


def regularized_incomplete_beta(a, b, x):
  """The regularized incomplete beta function I_x(a, b), elementwise
  (a, b > 0, 0 <= x <= 1; NaN elsewhere), like jax.lax.betainc.
  Differentiable in x."""
  a, b, x = match_scalars("regularized_incomplete_beta", [a, b, x])
  return regularized_incomplete_beta_p.bind(a, b, x)


betainc = regularized_incomplete_beta


def _betainc_jvp_ab(t, a, b, x):
  raise NotImplementedError(BETAINC_GRAD_MESSAGE)


def _betainc_jvp_x(t, a, b, x):
  log_density = el.sub(el.add(el.mul(el.sub(a, 1.0), el.log(x)),
                              el.mul(el.sub(b, 1.0), el.log1p(el.neg(x)))),
                       _log_beta(a, b))
  return el.mul(t, el.exp(log_density))


regularized_incomplete_beta_p = define_primitive(
    "regularized_incomplete_beta",
    abstract_eval=nary_abstract_eval("regularized_incomplete_beta", FLOAT),
    lower=_lower_composed(_betainc_impl), transpose=NOT_LINEAR)
regularized_incomplete_beta_p.batch = vectorized_batch(regularized_incomplete_beta_p)
defjvp(regularized_incomplete_beta_p, _betainc_jvp_ab, _betainc_jvp_ab, _betainc_jvp_x)
