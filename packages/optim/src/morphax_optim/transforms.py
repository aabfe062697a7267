"""Gradient transformations that rescale updates: Adam and its relatives.

Each returns a GradientTransformation whose state is a NamedTuple of arrays.
"""
from typing import Any, NamedTuple

import morphax.numpy as jnp
from morphax import lax
from morphax import tree_util as tu

from morphax_optim import _numerics
from morphax_optim import base
from morphax_optim import tree_utils as otu

_IS_NONE = lambda x: x is None  # noqa: E731

UNKNOWN_LION_MODE = (
    "scale_by_lion: mode={mode!r} is not one of 'hard', 'smooth', 'refined'. "
    "Use for example scale_by_lion(mode='hard').")


class ScaleByScheduleState(NamedTuple):
  """The step count a schedule is evaluated at."""
  count: Any


class ScaleByAdamState(NamedTuple):
  """Step count and first/second moment estimates."""
  count: Any
  mu: Any
  nu: Any


class ScaleByAmsgradState(NamedTuple):
  """Adam's state plus the running maximum of the second moment."""
  count: Any
  mu: Any
  nu: Any
  nu_max: Any


class ScaleByRmsState(NamedTuple):
  """The second-moment EMA."""
  nu: Any


class ScaleByRmsWithCountState(NamedTuple):
  """The second-moment EMA and a step count (for bias correction)."""
  count: Any
  nu: Any


class ScaleByRStdDevState(NamedTuple):
  """First and second moment EMAs."""
  mu: Any
  nu: Any


class ScaleByRStdDevWithCountState(NamedTuple):
  """First and second moment EMAs and a step count."""
  count: Any
  mu: Any
  nu: Any


class ScaleByBeliefState(NamedTuple):
  """Step count, first moment and second central moment."""
  count: Any
  mu: Any
  nu: Any


class ScaleByNovogradState(NamedTuple):
  """Step count, momentum, and per-layer second moment (scalars)."""
  count: Any
  mu: Any
  nu: Any


class ScaleByLionState(NamedTuple):
  """Step count and momentum."""
  count: Any
  mu: Any


class ScaleByRssState(NamedTuple):
  """Sum of squared gradients."""
  sum_of_squares: Any


class ScaleByAdaDeltaState(NamedTuple):
  """EMAs of squared gradients and squared updates."""
  e_g: Any
  e_x: Any


class TraceState(NamedTuple):
  """The momentum accumulator."""
  trace: Any


class EmaState(NamedTuple):
  """Step count and the exponential moving average."""
  count: Any
  ema: Any


def _zero_count():
  return jnp.zeros([], jnp.int32)


def _map(what, fn, updates, *trees):
  names = ["updates"] + [f"state{i}" for i in range(len(trees))]
  return otu.tree_map_checked(what, names, fn, updates, *trees, is_leaf=_IS_NONE)


def _canonical_dtype(dtype):
  return None if dtype is None else jnp.dtype(dtype)


def scale(step_size):
  """Multiplies updates by a fixed step_size.

  Example:
    >>> tx = scale(-0.1)
  """
  def update_fn(updates, state, params=None):
    del params
    return tu.tree_map(lambda g: step_size * g, updates), state
  return base.GradientTransformation(base.init_empty_state, update_fn)


def scale_by_schedule(step_size_fn):
  """Multiplies updates by step_size_fn(count), count starting at 0."""
  def init_fn(params):
    del params
    return ScaleByScheduleState(count=_zero_count())

  def update_fn(updates, state, params=None):
    del params
    step_size = step_size_fn(state.count)
    updates = tu.tree_map(
        lambda g: jnp.asarray(step_size, dtype=g.dtype) * g, updates)
    return updates, ScaleByScheduleState(_numerics.safe_increment(state.count))
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_learning_rate(learning_rate=None, *, flip_sign=True):
  """Scales by -learning_rate (a float or a schedule of the step count)."""
  if learning_rate is None:
    return base.identity()
  m = -1 if flip_sign else 1
  if callable(learning_rate):
    return scale_by_schedule(lambda count: m * learning_rate(count))
  return scale(m * learning_rate)


def _nesterov_mu_hat(mu, updates, b1, count_inc):
  return tu.tree_map(
      lambda m, g: b1 * m + (1 - b1) * g,
      otu.tree_bias_correction(mu, b1, _numerics.safe_increment(count_inc)),
      otu.tree_bias_correction(updates, b1, count_inc))


def _debiased_mu(mu, updates, b1, count_inc, nesterov):
  if nesterov:
    return _nesterov_mu_hat(mu, updates, b1, count_inc)
  return otu.tree_bias_correction(mu, b1, count_inc)


def scale_by_adam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None,
                  *, nesterov=False):
  """Rescales updates by Adam's rule (Kingma & Ba, 2014; Dozat 2016 for nesterov).

  Example:
    >>> tx = scale_by_adam(b1=0.9, b2=0.999)
  """
  mu_dtype = _canonical_dtype(mu_dtype)

  def init_fn(params):
    mu = otu.tree_zeros_like(params, dtype=mu_dtype)
    nu = otu.tree_zeros_like(params)
    return ScaleByAdamState(count=_zero_count(), mu=mu, nu=nu)

  def update_fn(updates, state, params=None):
    del params
    otu.check_same_structure("scale_by_adam", "updates", updates, "state.mu", state.mu)
    mu = otu.tree_update_moment(updates, state.mu, b1, 1)
    nu = otu.tree_update_moment_per_elem_norm(updates, state.nu, b2, 2)
    count_inc = _numerics.safe_increment(state.count)
    mu_hat = _debiased_mu(mu, updates, b1, count_inc, nesterov)
    nu_hat = otu.tree_bias_correction(nu, b2, count_inc)
    updates = tu.tree_map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps),
                          mu_hat, nu_hat)
    return updates, ScaleByAdamState(count_inc, otu.tree_cast(mu, mu_dtype), nu)
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_amsgrad(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None,
                     bias_correction_mu=True, bias_correction_nu=True):
  """Rescales by AMSGrad: Adam with the running max of nu (Reddi et al., 2018)."""
  mu_dtype = _canonical_dtype(mu_dtype)

  def init_fn(params):
    return ScaleByAmsgradState(
        _zero_count(), otu.tree_zeros_like(params, dtype=mu_dtype),
        otu.tree_zeros_like(params), otu.tree_zeros_like(params))

  def update_fn(updates, state, params=None):
    del params
    otu.check_same_structure("scale_by_amsgrad", "updates", updates, "state.mu", state.mu)
    mu = otu.tree_update_moment(updates, state.mu, b1, 1)
    nu = otu.tree_update_moment_per_elem_norm(updates, state.nu, b2, 2)
    count_inc = _numerics.safe_increment(state.count)
    mu_hat = otu.tree_bias_correction(mu, b1, count_inc) if bias_correction_mu else mu
    nu_hat = otu.tree_bias_correction(nu, b2, count_inc) if bias_correction_nu else nu
    nu_max = tu.tree_map(jnp.maximum, state.nu_max, nu_hat)
    updates = tu.tree_map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps),
                          mu_hat, nu_max)
    return updates, ScaleByAmsgradState(
        count_inc, otu.tree_cast(mu, mu_dtype), nu, nu_max)
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_adamax(b1=0.9, b2=0.999, eps=1e-8):
  """Rescales by Adamax: Adam with an infinity-norm second moment."""
  def init_fn(params):
    return ScaleByAdamState(_zero_count(), otu.tree_zeros_like(params),
                            otu.tree_zeros_like(params))

  def update_fn(updates, state, params=None):
    del params
    count_inc = _numerics.safe_increment(state.count)
    mu = otu.tree_update_moment(updates, state.mu, b1, 1)
    nu = _map("scale_by_adamax",
              lambda g, t: jnp.maximum(jnp.abs(g) + eps, b2 * t), updates, state.nu)
    mu_hat = otu.tree_bias_correction(mu, b1, count_inc)
    updates = tu.tree_map(lambda m, v: m / v, mu_hat, nu)
    return updates, ScaleByAdamState(count_inc, mu, nu)
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_rms(decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt=True,
                 bias_correction=False):
  """Rescales by the root of an EMA of squared gradients (RMSProp, Hinton 2012)."""
  def init_fn(params):
    nu = otu.tree_full_like(params, initial_scale)
    if bias_correction:
      return ScaleByRmsWithCountState(_zero_count(), nu)
    return ScaleByRmsState(nu)

  def update_fn(updates, state, params=None):
    del params
    nu = otu.tree_update_moment_per_elem_norm(updates, state.nu, decay, 2)
    if bias_correction:
      count_inc = _numerics.safe_increment(state.count)
      nu_hat = otu.tree_bias_correction(nu, decay, count_inc)
    else:
      nu_hat = nu
    if eps_in_sqrt:
      scaling = tu.tree_map(lambda n: lax.rsqrt(n + eps), nu_hat)
    else:
      scaling = tu.tree_map(lambda n: 1 / (jnp.sqrt(n) + eps), nu_hat)
    updates = tu.tree_map(lambda s, g: s * g, scaling, updates)
    if bias_correction:
      return updates, ScaleByRmsWithCountState(count_inc, nu)
    return updates, ScaleByRmsState(nu)
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_stddev(decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt=True,
                    bias_correction=False):
  """Rescales by the centred second moment (centred RMSProp, Graves 2013)."""
  def init_fn(params):
    mu = otu.tree_zeros_like(params)
    nu = otu.tree_full_like(params, initial_scale)
    if bias_correction:
      return ScaleByRStdDevWithCountState(_zero_count(), mu, nu)
    return ScaleByRStdDevState(mu, nu)

  def update_fn(updates, state, params=None):
    del params
    mu = otu.tree_update_moment(updates, state.mu, decay, 1)
    nu = otu.tree_update_moment_per_elem_norm(updates, state.nu, decay, 2)
    if bias_correction:
      count_inc = _numerics.safe_increment(state.count)
      mu_hat = otu.tree_bias_correction(mu, decay, count_inc)
      nu_hat = otu.tree_bias_correction(nu, decay, count_inc)
    else:
      mu_hat, nu_hat = mu, nu
    if eps_in_sqrt:
      scaling = tu.tree_map(
          lambda m, n: lax.rsqrt(n - _numerics.abs_sq(m) + eps), mu_hat, nu_hat)
    else:
      scaling = tu.tree_map(
          lambda m, n: 1 / (jnp.sqrt(n - _numerics.abs_sq(m)) + eps), mu_hat, nu_hat)
    updates = tu.tree_map(lambda s, g: s * g, scaling, updates)
    if bias_correction:
      return updates, ScaleByRStdDevWithCountState(count_inc, mu, nu)
    return updates, ScaleByRStdDevState(mu, nu)
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_rss(initial_accumulator_value=0.1, eps=1e-7):
  """Rescales by the root of the sum of squared gradients (Adagrad)."""
  def init_fn(params):
    return ScaleByRssState(otu.tree_full_like(params, initial_accumulator_value))

  def update_fn(updates, state, params=None):
    del params
    sum_of_squares = _map("scale_by_rss", lambda g, t: _numerics.abs_sq(g) + t,
                          updates, state.sum_of_squares)
    inv_sqrt = tu.tree_map(lambda t: jnp.where(t > 0, lax.rsqrt(t + eps), 0.0),
                           sum_of_squares)
    return otu.tree_mul(inv_sqrt, updates), ScaleByRssState(sum_of_squares)
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_adadelta(rho=0.9, eps=1e-6):
  """Rescales by Adadelta's ratio of update and gradient RMS (Zeiler, 2012)."""
  def init_fn(params):
    return ScaleByAdaDeltaState(otu.tree_zeros_like(params),
                                otu.tree_zeros_like(params))

  def update_fn(updates, state, params=None):
    del params
    e_g = otu.tree_update_moment(updates, state.e_g, rho, 2)
    updates = tu.tree_map(
        lambda g, cur_e_g, prev_e_x: (jnp.sqrt(prev_e_x + eps)
                                      / jnp.sqrt(cur_e_g + eps)) * g,
        updates, e_g, state.e_x)
    e_x = otu.tree_update_moment(updates, state.e_x, rho, 2)
    return updates, ScaleByAdaDeltaState(e_g, e_x)
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_belief(b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16, *,
                    nesterov=False):
  """Rescales by AdaBelief's rule (Zhuang et al., 2020)."""
  def init_fn(params):
    return ScaleByBeliefState(_zero_count(), otu.tree_zeros_like(params),
                              otu.tree_zeros_like(params))

  def update_fn(updates, state, params=None):
    del params
    mu = otu.tree_update_moment(updates, state.mu, b1, 1)
    prediction_error = otu.tree_sub(updates, mu)
    nu = otu.tree_update_moment_per_elem_norm(prediction_error, state.nu, b2, 2)
    nu = tu.tree_map(lambda v: v + eps_root, nu)
    count_inc = _numerics.safe_increment(state.count)
    mu_hat = _debiased_mu(mu, updates, b1, count_inc, nesterov)
    nu_hat = otu.tree_bias_correction(nu, b2, count_inc)
    updates = tu.tree_map(lambda m, v: m / (jnp.sqrt(v) + eps), mu_hat, nu_hat)
    return updates, ScaleByBeliefState(count_inc, mu, nu)
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_yogi(b1=0.9, b2=0.999, eps=1e-3, eps_root=0.0,
                  initial_accumulator_value=1e-6):
  """Rescales by Yogi's additive second-moment rule (Zaheer et al., 2018)."""
  def init_fn(params):
    return ScaleByAdamState(
        _zero_count(), otu.tree_full_like(params, initial_accumulator_value),
        otu.tree_full_like(params, initial_accumulator_value))

  def update_fn(updates, state, params=None):
    del params
    mu = otu.tree_update_moment(updates, state.mu, b1, 1)
    nu = _map("scale_by_yogi",
              lambda g, v: v - (1 - b2) * jnp.sign(v - _numerics.abs_sq(g))
              * _numerics.abs_sq(g), updates, state.nu)
    count_inc = _numerics.safe_increment(state.count)
    mu_hat = otu.tree_bias_correction(mu, b1, count_inc)
    nu_hat = otu.tree_bias_correction(nu, b2, count_inc)
    updates = tu.tree_map(lambda m, v: m / (jnp.sqrt(v + eps_root) + eps),
                          mu_hat, nu_hat)
    return updates, ScaleByAdamState(count_inc, mu, nu)
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_radam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, threshold=5.0,
                   *, nesterov=False):
  """Rescales by Rectified Adam (Liu et al., 2020)."""
  ro_inf = 2.0 / (1.0 - b2) - 1.0

  def rectified(ro, mu_hat, nu_hat):
    r = jnp.sqrt((ro - 4.0) * (ro - 2.0) * ro_inf
                 / ((ro_inf - 4.0) * (ro_inf - 2.0) * ro))
    return tu.tree_map(
        lambda m, v: r.astype(m.dtype) * m / (jnp.sqrt(v + eps_root) + eps),
        mu_hat, nu_hat)

  def init_fn(params):
    return ScaleByAdamState(_zero_count(), otu.tree_zeros_like(params),
                            otu.tree_zeros_like(params))

  def update_fn(updates, state, params=None):
    del params
    mu = otu.tree_update_moment(updates, state.mu, b1, 1)
    nu = otu.tree_update_moment_per_elem_norm(updates, state.nu, b2, 2)
    count_inc = _numerics.safe_increment(state.count)
    b2t = b2 ** count_inc
    ro = ro_inf - 2 * count_inc * b2t / (1 - b2t)
    mu_hat = _debiased_mu(mu, updates, b1, count_inc, nesterov)
    nu_hat = otu.tree_bias_correction(nu, b2, count_inc)
    updates = tu.tree_map(lambda t, f: jnp.where(ro >= threshold, t, f),
                          rectified(ro, mu_hat, nu_hat), mu_hat)
    return updates, ScaleByAdamState(count_inc, mu, nu)
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_novograd(b1=0.9, b2=0.25, eps=1e-8, eps_root=0.0,
                      weight_decay=0.0, mu_dtype=None):
  """Rescales by NovoGrad's layer-wise second moment (Ginsburg et al., 2019)."""
  mu_dtype = _canonical_dtype(mu_dtype)

  def init_fn(params):
    mu = otu.tree_zeros_like(params, dtype=mu_dtype)
    nu = tu.tree_map(lambda p: jnp.asarray(0.0, dtype=p.dtype), params)
    return ScaleByNovogradState(_zero_count(), mu, nu)

  def sq_norm(g):
    return jnp.linalg.norm(g) ** 2

  def mu_addition(g, p, n):
    return g / (jnp.sqrt(n + eps_root) + eps) + weight_decay * p

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError(base.NO_PARAMS_MSG)
    count_inc = _numerics.safe_increment(state.count)
    first = count_inc == 1
    nu_first = tu.tree_map(lambda g, n: sq_norm(g).astype(n.dtype), updates, state.nu)
    nu_later = otu.tree_update_moment(tu.tree_map(sq_norm, updates), state.nu, b2, 1)
    nu = otu.tree_where(first, nu_first, nu_later)
    additions = tu.tree_map(mu_addition, updates, params, nu)
    mu_later = tu.tree_map(lambda m, u: b1 * m + u, state.mu, additions)
    mu = otu.tree_where(first, additions, mu_later)
    mu = otu.tree_cast(mu, mu_dtype)
    return mu, ScaleByNovogradState(count_inc, mu, nu)
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_lion(b1=0.9, b2=0.99, mu_dtype=None, *, mode="hard",
                  smooth_beta=1.0):
  """Rescales by Lion's sign of interpolated momentum (Chen et al., 2023)."""
  if mode not in ("hard", "smooth", "refined"):
    raise ValueError(UNKNOWN_LION_MODE.format(mode=mode))
  mu_dtype = _canonical_dtype(mu_dtype)

  def combine(g, m):
    x = (1.0 - b1) * g + b1 * m
    if mode == "hard":
      return jnp.sign(x)
    if mode == "smooth":
      return jnp.tanh(smooth_beta * x)
    return jnp.where(jnp.abs(x) < 1.0, x, jnp.sign(x))

  def init_fn(params):
    return ScaleByLionState(_zero_count(), otu.tree_zeros_like(params, dtype=mu_dtype))

  def update_fn(updates, state, params=None):
    del params
    new_updates = _map("scale_by_lion", combine, updates, state.mu)
    mu = otu.tree_cast(otu.tree_update_moment(updates, state.mu, b2, 1), mu_dtype)
    return new_updates, ScaleByLionState(_numerics.safe_increment(state.count), mu)
  return base.GradientTransformation(init_fn, update_fn)


def scale_by_trust_ratio(min_norm=0.0, trust_coefficient=1.0, eps=0.0):
  """Rescales each leaf by ||param|| / ||update|| (LARS/LAMB, You et al.)."""
  def scale_leaf(update, param):
    param_norm = _numerics.safe_norm(param, min_norm)
    update_norm = _numerics.safe_norm(update, min_norm)
    trust_ratio = trust_coefficient * param_norm / (update_norm + eps)
    zero_norm = jnp.logical_or(param_norm == 0.0, update_norm == 0.0)
    return update * jnp.where(zero_norm, jnp.asarray(1.0, param.dtype), trust_ratio)

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError(base.NO_PARAMS_MSG)
    return otu.tree_map_checked("scale_by_trust_ratio", ["updates", "params"],
                                scale_leaf, updates, params), state
  return base.GradientTransformation(base.init_empty_state, update_fn)


def scale_by_param_block_norm(min_scale=1e-3):
  """Multiplies each update leaf by the norm of its parameter (at least min_scale)."""
  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError(base.NO_PARAMS_MSG)
    return otu.tree_map_checked(
        "scale_by_param_block_norm", ["updates", "params"],
        lambda u, p: u * _numerics.safe_norm(p, min_scale), updates, params), state
  return base.GradientTransformation(base.init_empty_state, update_fn)


def scale_by_param_block_rms(min_scale=1e-3):
  """Multiplies each update leaf by the RMS of its parameter (at least min_scale)."""
  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError(base.NO_PARAMS_MSG)
    return otu.tree_map_checked(
        "scale_by_param_block_rms", ["updates", "params"],
        lambda u, p: u * _numerics.safe_root_mean_squares(p, min_scale),
        updates, params), state
  return base.GradientTransformation(base.init_empty_state, update_fn)


def trace(decay, nesterov=False, accumulator_dtype=None):
  """Momentum: trace = decay * trace + g; returns trace (or g + decay * trace)."""
  accumulator_dtype = _canonical_dtype(accumulator_dtype)

  def init_fn(params):
    return TraceState(otu.tree_zeros_like(params, dtype=accumulator_dtype))

  def update_fn(updates, state, params=None):
    del params
    f = lambda g, t: g + decay * t  # noqa: E731
    new_trace = _map("trace", lambda g, t: None if g is None else f(g, t),
                     updates, state.trace)
    updates = tu.tree_map(f, updates, new_trace) if nesterov else new_trace
    return updates, TraceState(otu.tree_cast(new_trace, accumulator_dtype))
  return base.GradientTransformation(init_fn, update_fn)


def ema(decay, debias=True, accumulator_dtype=None):
  """Exponential moving average of updates, optionally debiased."""
  accumulator_dtype = _canonical_dtype(accumulator_dtype)

  def init_fn(params):
    return EmaState(_zero_count(), otu.tree_zeros_like(params, dtype=accumulator_dtype))

  def update_fn(updates, state, params=None):
    del params
    updates = new_ema = otu.tree_update_moment(updates, state.ema, decay, 1)
    count_inc = _numerics.safe_increment(state.count)
    if debias:
      updates = otu.tree_bias_correction(new_ema, decay, count_inc)
    return updates, EmaState(count_inc, otu.tree_cast(new_ema, accumulator_dtype))
  return base.GradientTransformation(init_fn, update_fn)
