"""Gamma-based samplers: gamma, loggamma, beta, dirichlet, t, generalized_normal,
ball, and poisson (rejection loops over lax.while_loop).

Gamma uses Marsaglia and Tsang's method ("A simple method for generating
gamma variables", ACM TOMS 2000) per element, with one split key per
element as JAX does, and JAX's implicit reparameterisation gradient
(Figurnov et al., "Implicit reparameterization gradients", NeurIPS 2018).
"""

from functools import partial

import numpy as np

import morphax
from morphax import lax
import morphax.numpy as jnp

from .distributions import (check_shape, float_dtype, int_dtype, normal_data,
                            uniform_data)
from .keys import canonical_shape, check_key
from .threefry import split_data


def _gamma_one(data, alpha, log_space):
  """One Gamma(alpha, 1) sample (its log if `log_space`) from one raw key."""
  dtype = alpha.dtype
  boost_mask = alpha >= 1.0
  alpha_orig = alpha
  alpha = lax.select(boost_mask, alpha, lax.add(alpha, 1.0))
  d = lax.sub(alpha, 1.0 / 3.0)
  c = lax.div(jnp.asarray(1.0 / 3.0, dtype), lax.sqrt(d))
  zero = jnp.zeros((), dtype)
  one = jnp.ones((), dtype)

  def rejected(state):
    _, x2, v, u = state
    squeeze = u >= lax.sub(1.0, lax.mul(0.0331, lax.mul(x2, x2)))
    full = lax.log(u) >= lax.add(lax.mul(x2, 0.5),
                                 lax.mul(d, lax.add(lax.sub(1.0, v), lax.log(v))))
    return squeeze & full

  def propose(state):
    keys = split_data(state[0], (3,))

    def next_x(kxv):
      sub = split_data(kxv[0], (2,))
      x = normal_data(sub[1], (), dtype)
      return sub[0], x, lax.add(1.0, lax.mul(x, c))

    _, x, v = lax.while_loop(lambda kxv: kxv[2] <= 0.0, next_x,
                             (keys[1], zero, -one))
    u = uniform_data(keys[2], (), dtype)
    return keys[0], lax.mul(x, x), lax.mul(lax.mul(v, v), v), u

  keys = split_data(data, (2,))
  _, _, v, _ = lax.while_loop(rejected, propose, (keys[0], zero, one, one + 1.0))
  if log_space:
    log_samples = lax.neg(lax.neg(lax.log1p(lax.neg(uniform_data(keys[1], (), dtype)))))
    log_boost = lax.select(boost_mask | (log_samples == 0.0), zero,
                           lax.mul(log_samples, lax.div(one, alpha_orig)))
    return lax.add(lax.add(lax.log(d), lax.log(v)), log_boost)
  samples = lax.sub(1.0, uniform_data(keys[1], (), dtype))
  boost = lax.select(boost_mask, one, lax.pow(samples, lax.div(one, alpha_orig)))
  return lax.mul(lax.mul(d, v), boost)


def _gamma_samples(data, a, log_space):
  """Samples for every element of `a`, each from its own split key."""
  keys = split_data(data, (max(a.size, 1),))[: a.size]
  flat = jnp.ravel(a)
  if a.size == 0:
    return jnp.zeros(a.shape, a.dtype)
  out = morphax.vmap(lambda k, al: _gamma_one(k, al, log_space))(keys, flat)
  return jnp.reshape(out, a.shape)


def _gamma_tangent(a, sample, log_space):
  """d sample / d a under implicit reparameterisation."""
  if not log_space:
    return lax.random_gamma_grad(a, sample)
  x = lax.exp(sample)
  x = jnp.where(x == 0.0, jnp.finfo(x.dtype).tiny, x)
  return lax.div(lax.random_gamma_grad(a, x), x)


def _make_gamma(log_space):
  """The custom_jvp sampler (raw key, a) -> samples for one `log_space`."""
  @morphax.custom_jvp
  def sample(data, a):
    return _gamma_samples(data, a, log_space)

  @sample.defjvp
  def _sample_jvp(primals, tangents):
    data, a = primals
    out = sample(data, a)
    a_dot = tangents[1]
    return out, lax.mul(_gamma_tangent(a, lax.stop_gradient(out), log_space), a_dot)

  return sample


_gamma_p = morphax.jit(_make_gamma(False))
_loggamma_p = morphax.jit(_make_gamma(True))


def _gamma_common(name, key, a, shape, dtype, log_space):
  data, _ = check_key(name, key)
  dtype = float_dtype(name, dtype)
  shape = np.shape(a) if shape is None else canonical_shape(shape)
  check_shape(name, shape, np.shape(a))
  a = lax.convert_element_type(jnp.asarray(a), dtype)
  if a.shape != tuple(shape):
    a = jnp.broadcast_to(a, shape)
  return (_loggamma_p if log_space else _gamma_p)(data, a)


def gamma(key, a, shape=None, dtype=None):
  """Gamma(a, 1) floats, like jax.random.gamma; differentiable in `a`.

  Example:
    >>> g = gamma(PRNGKey(0), 2.0, (3,))
  """
  return _gamma_common("gamma", key, a, shape, dtype, False)


def loggamma(key, a, shape=None, dtype=None):
  """log of Gamma(a, 1) samples, accurate for small a, like jax.random.loggamma."""
  return _gamma_common("loggamma", key, a, shape, dtype, True)


def beta(key, a, b, shape=None, dtype=None):
  """Beta(a, b) floats, like jax.random.beta (through two loggamma draws)."""
  data, typed = check_key("beta", key)
  dtype = float_dtype("beta", dtype)
  if shape is None:
    shape = np.broadcast_shapes(np.shape(a), np.shape(b))
  shape = canonical_shape(shape)
  check_shape("beta", shape, np.shape(a), np.shape(b))
  return _beta(data, a, b, shape, dtype)


@partial(morphax.jit, static_argnums=(3, 4))
def _beta(data, a, b, shape, dtype):
  keys = split_data(data, (2,))
  a = jnp.broadcast_to(lax.convert_element_type(jnp.asarray(a), dtype), shape)
  b = jnp.broadcast_to(lax.convert_element_type(jnp.asarray(b), dtype), shape)
  log_ga = loggamma(keys[0], a, shape, dtype)
  log_gb = loggamma(keys[1], b, shape, dtype)
  log_max = lax.max(log_ga, log_gb)
  ga = jnp.exp(log_ga - log_max)
  gb = jnp.exp(log_gb - log_max)
  return ga / (ga + gb)


def dirichlet(key, alpha, shape=None, dtype=None):
  """Dirichlet(alpha) vectors along the last axis, like jax.random.dirichlet."""
  data, _ = check_key("dirichlet", key)
  dtype = float_dtype("dirichlet", dtype)
  if np.ndim(alpha) < 1:
    raise ValueError(f"dirichlet requires alpha.ndim >= 1, got alpha.ndim == {np.ndim(alpha)}")
  batch = np.shape(alpha)[:-1]
  shape = batch if shape is None else canonical_shape(shape)
  check_shape("dirichlet", shape, batch)
  return _dirichlet(data, alpha, shape, dtype)


@partial(morphax.jit, static_argnums=(2, 3))
def _dirichlet(data, alpha, shape, dtype):
  alpha = lax.convert_element_type(jnp.asarray(alpha), dtype)
  logs = loggamma(data, alpha, (*shape, np.shape(alpha)[-1]), dtype)
  # softmax, as jax.nn.softmax computes it
  e = jnp.exp(logs - lax.stop_gradient(jnp.max(logs, axis=-1, keepdims=True)))
  return e / jnp.sum(e, axis=-1, keepdims=True)


def t(key, df, shape=None, dtype=None):
  """Student's t floats with `df` degrees of freedom, like jax.random.t."""
  data, _ = check_key("t", key)
  dtype = float_dtype("t", dtype)
  shape = np.shape(df) if shape is None else canonical_shape(shape)
  check_shape("t", shape, np.shape(df))
  return _t(data, df, tuple(shape), dtype)


@partial(morphax.jit, static_argnums=(2, 3))
def _t(data, df, shape, dtype):
  df = lax.convert_element_type(jnp.asarray(df), dtype)
  keys = split_data(data, (2,))
  n = normal_data(keys[0], tuple(shape), dtype)
  half_df = df / 2.0
  g = gamma(keys[1], half_df, shape, dtype)
  return n * jnp.sqrt(half_df / g)


@partial(morphax.jit, static_argnums=(2, 3))
def _generalized_normal(data, p, shape, dtype):
  keys = split_data(data, (2,))
  g = gamma(keys[0], 1 / p, shape, dtype)
  r = _rademacher_float(keys[1], shape, dtype)
  return r * g ** (1 / p)


def _rademacher_float(data, shape, dtype):
  """+-1 in `dtype`, JAX's rademacher (a bernoulli(0.5) draw)."""
  fdt = np.dtype(morphax.dtypes.canonicalize_dtype(float))
  b = (uniform_data(data, shape, fdt) < 0.5).astype(dtype)
  return (2 * b - 1).astype(dtype)


def generalized_normal(key, p, shape=(), dtype=None):
  """Generalized normal floats with density ~ exp(-|x|^p), like jax.random.generalized_normal."""
  data, _ = check_key("generalized_normal", key)
  dtype = float_dtype("generalized_normal", dtype)
  return _generalized_normal(data, p, canonical_shape(shape), dtype)


def ball(key, d, p=2, shape=(), dtype=None):
  """Points uniform in the d-dimensional unit p-norm ball, like jax.random.ball.

  Returns:
    floats of shape (*shape, d).
  """
  data, _ = check_key("ball", key)
  dtype = float_dtype("ball", dtype)
  return _ball(data, p, int(d), canonical_shape(shape), dtype)


@partial(morphax.jit, static_argnums=(2, 3, 4))
def _ball(data, p, d, shape, dtype):
  # NB: p is traced, as in JAX (its value changes the arithmetic XLA emits).
  keys = split_data(data, (2,))
  g = generalized_normal(keys[0], p, (*shape, d), dtype)
  e = lax.neg(lax.log1p(lax.neg(uniform_data(keys[1], shape, dtype))))
  return g / (((jnp.abs(g) ** p).sum(-1) + e) ** (1 / p))[..., None]


def _poisson_knuth(data, lam, shape, dtype, max_iters):
  """Knuth's multiplication method, for small rates."""
  def body(carry):
    i, k, key, log_prod = carry
    keys = split_data(key, (2,))
    k = lax.select(log_prod > -lam, k + 1, k)
    u = uniform_data(keys[1], shape, np.dtype(np.float32))
    return i + 1, k, keys[0], log_prod + jnp.log(u)

  def cond(carry):
    i, log_prod = carry[0], carry[3]
    return jnp.any(log_prod > -lam) & (i < max_iters)

  init = (jnp.asarray(0), jnp.zeros(shape, dtype), data, jnp.zeros(shape, np.float32))
  k = lax.while_loop(cond, body, init)[1]
  return (k - 1).astype(dtype)


def _poisson_rejection(data, lam, shape, dtype, max_iters):
  """Hormann's transformed rejection with squeeze (PTRS), for large rates."""
  log_lam = lax.log(lam)
  b = 0.931 + 2.53 * lax.sqrt(lam)
  a = -0.059 + 0.02483 * b
  inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
  v_r = 0.9277 - 3.6224 / (b - 2)

  def body(carry):
    i, k_out, accepted, key = carry
    keys = split_data(key, (3,))
    u = uniform_data(keys[1], shape, lam.dtype) - 0.5
    v = uniform_data(keys[2], shape, lam.dtype)
    u_shifted = 0.5 - abs(u)
    k = lax.floor((2 * a / u_shifted + b) * u + lam + 0.43)
    s = lax.log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
    t_ = -lam + k * log_lam - lax.lgamma(k + 1)
    accept1 = (u_shifted >= 0.07) & (v <= v_r)
    reject = (k < 0) | ((u_shifted < 0.013) & (v > u_shifted))
    accept = accept1 | (~reject & (s <= t_))
    return i + 1, lax.select(accept, k, k_out), accepted | accept, keys[0]

  def cond(carry):
    i, _, accepted, _ = carry
    return jnp.any(~accepted) & (i < max_iters)

  init = (jnp.asarray(0), jnp.full(shape, -1.0, lam.dtype),
          jnp.zeros(shape, bool), data)
  return lax.while_loop(cond, body, init)[1].astype(dtype)


@partial(morphax.jit, static_argnums=(2, 3))
def _poisson(data, lam, shape, dtype):
  use_knuth = jnp.isnan(lam) | (lam < 10)
  lam_knuth = lax.select(use_knuth, lam, jnp.zeros_like(lam))
  lam_rejection = lax.select(use_knuth, jnp.full_like(lam, 1e5), lam)
  max_iters = jnp.asarray(jnp.iinfo(dtype).max, dtype)
  result = lax.select(use_knuth,
                      _poisson_knuth(data, lam_knuth, shape, dtype, max_iters),
                      _poisson_rejection(data, lam_rejection, shape, dtype, max_iters))
  return lax.select(lam == 0, jnp.zeros_like(result), result)


def poisson(key, lam, shape=None, dtype=None):
  """Poisson(lam) integers, like jax.random.poisson.

  Example:
    >>> n = poisson(PRNGKey(0), 3.0, (4,))
  """
  data, _ = check_key("poisson", key)
  dtype = int_dtype("poisson", dtype)
  shape = np.shape(lam) if shape is None else canonical_shape(shape)
  check_shape("poisson", shape, np.shape(lam))
  lam = lax.convert_element_type(jnp.broadcast_to(jnp.asarray(lam), shape), np.float32)
  return _poisson(data, lam, tuple(shape), dtype)

