"""Samplers built directly on random bits: uniform, normal and their transforms.

Each public function checks its arguments, then calls a jitted sampler that
takes raw key data; the arithmetic follows jax.random step by step so the
values are bit-identical to JAX's.
"""

from functools import partial

import numpy as np

import morphax
from morphax import lax
import morphax.numpy as jnp

from .keys import canonical_shape, check_key
from .threefry import random_bits_data, split_data

ERR_FLOAT_DTYPE = "dtype argument to `{name}` must be a float dtype, got {dtype}"
ERR_INT_DTYPE = "{name} only accepts integer dtypes, got {dtype}"
ERR_SHAPE = (
    "{name}: the shape {shape} must be broadcast-compatible with the parameter "
    "shapes {param_shapes}: each parameter must broadcast to `shape`. Pass "
    "shape=None to use the parameters' broadcast shape.")


def float_dtype(name, dtype):
  """`dtype` (None: the default float) as a canonical float dtype."""
  dtype = np.dtype(morphax.dtypes.canonicalize_dtype(float if dtype is None else dtype))
  if not jnp.issubdtype(dtype, jnp.floating):
    raise ValueError(ERR_FLOAT_DTYPE.format(name=name, dtype=dtype))
  return dtype


def int_dtype(name, dtype):
  """`dtype` (None: the default int) as a canonical integer dtype."""
  dtype = np.dtype(morphax.dtypes.canonicalize_dtype(int if dtype is None else dtype))
  if not np.issubdtype(dtype, np.integer):
    raise TypeError(ERR_INT_DTYPE.format(name=name, dtype=dtype))
  return dtype


def check_shape(name, shape, *param_shapes):
  """Raises unless every parameter shape broadcasts to `shape`."""
  if param_shapes:
    try:
      joint = np.broadcast_shapes(shape, *param_shapes)
    except ValueError:
      joint = None
    if joint != tuple(shape):
      raise ValueError(ERR_SHAPE.format(name=name, shape=tuple(shape),
                                        param_shapes=list(param_shapes)))


def _uint_dtype(nbits):
  return np.dtype(f"uint{nbits}")


def uniform_data(data, shape, dtype, minval=0.0, maxval=1.0):
  """Uniform floats in [minval, maxval) from raw key data (traceable)."""
  minval = lax.convert_element_type(jnp.asarray(minval), dtype)
  maxval = lax.convert_element_type(jnp.asarray(maxval), dtype)
  finfo = jnp.finfo(dtype)
  nbits, nmant = finfo.bits, finfo.nmant
  # Narrow formats (bfloat16, nmant 7) draw 8 bits, like JAX.
  rng_bits = 8 if nmant < 8 else nbits
  bits = random_bits_data(data, rng_bits, shape)
  uint = _uint_dtype(nbits)
  if rng_bits != nbits:
    bits = lax.convert_element_type(bits, uint)
  # Random mantissa under the exponent of 1.0 gives a float in [1, 2).
  one_bits = int(np.array(1.0, dtype).view(uint))
  float_bits = lax.bitwise_or(lax.shift_right_logical(bits, rng_bits - nmant), one_bits)
  floats = lax.sub(lax.bitcast_convert_type(float_bits, dtype), 1.0)
  out = jnp.maximum(minval, floats * (maxval - minval) + minval)
  return jnp.broadcast_to(out, shape)


@partial(morphax.jit, static_argnums=(3, 4))
def _uniform(data, minval, maxval, shape, dtype):
  return uniform_data(data, shape, dtype, minval, maxval)


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0):
  """Uniform floats in [minval, maxval), like jax.random.uniform.

  Args:
    key: a key (PRNGKey(seed) or key(seed)).
    shape: output shape; minval/maxval must broadcast to it.
    dtype: a float dtype (default float32; bfloat16, float16, float64 with x64).
    minval, maxval: bounds (scalars or arrays).

  Returns:
    An array of `shape` and `dtype`.

  Example:
    >>> uniform(PRNGKey(0), (3,), minval=-1.0, maxval=1.0)
  """
  data, _ = check_key("uniform", key)
  dtype = float_dtype("uniform", dtype)
  shape = canonical_shape(shape)
  check_shape("uniform", shape, np.shape(minval), np.shape(maxval))
  return _uniform(data, minval, maxval, shape, dtype)


def normal_data(data, shape, dtype):
  """Standard normal floats from raw key data: sqrt(2) erfinv(u), u in (-1, 1)."""
  lo = np.array(-1.0 + float(jnp.finfo(dtype).epsneg), dtype)  # nextafter(-1, 0)
  u = uniform_data(data, shape, dtype, lo, np.array(1.0, dtype))
  return lax.mul(lax.erf_inv(u), float(np.sqrt(2)))


@partial(morphax.jit, static_argnums=(1, 2))
def _normal(data, shape, dtype):
  return normal_data(data, shape, dtype)


def normal(key, shape=(), dtype=None):
  """Standard normal floats, like jax.random.normal.

  Differentiable in what you build from it: grad of
  `normal(key) * sigma + mu` w.r.t. sigma is the sample.

  Example:
    >>> x = normal(PRNGKey(0), (2, 3)) * 0.1
  """
  data, _ = check_key("normal", key)
  return _normal(data, canonical_shape(shape), float_dtype("normal", dtype))


@partial(morphax.jit, static_argnums=(3, 4))
def _truncated_normal(data, lower, upper, shape, dtype):
  sqrt2 = float(np.sqrt(2))
  lower = lax.convert_element_type(jnp.asarray(lower), dtype)
  upper = lax.convert_element_type(jnp.asarray(upper), dtype)
  a = lax.erf(lower / sqrt2)
  b = lax.erf(upper / sqrt2)
  u = uniform_data(data, shape, dtype, a, b)
  out = lax.mul(lax.erf_inv(u), sqrt2)
  # Clamp to the open interval: rounding may land on a bound.
  lo = jnp.nextafter(lax.stop_gradient(lower), np.array(np.inf, dtype))
  hi = jnp.nextafter(lax.stop_gradient(upper), np.array(-np.inf, dtype))
  return jnp.clip(out, lo, hi)


def truncated_normal(key, lower, upper, shape=None, dtype=None):
  """Standard normal floats truncated to (lower, upper), like jax.random.truncated_normal.

  Example:
    >>> w = truncated_normal(PRNGKey(0), -2.0, 2.0, (3, 3))
  """
  data, _ = check_key("truncated_normal", key)
  dtype = float_dtype("truncated_normal", dtype)
  if shape is None:
    shape = np.broadcast_shapes(np.shape(lower), np.shape(upper))
  shape = canonical_shape(shape)
  check_shape("truncated_normal", shape, np.shape(lower), np.shape(upper))
  return _truncated_normal(data, lower, upper, shape, dtype)


@partial(morphax.jit, static_argnums=(2, 3))
def _bernoulli(data, p, shape, mode):
  dtype = p.dtype
  if mode == "high":
    u = uniform_data(data, (2, *shape), dtype)
    u1, u2 = u[0], u[1] * float(2.0 ** -jnp.finfo(dtype).nmant)
    return u2 < p - u1
  return uniform_data(data, shape, dtype) < p


def bernoulli(key, p=0.5, shape=None, mode="low"):
  """Booleans that are True with probability p, like jax.random.bernoulli.

  Args:
    key: a key.
    p: probability (float scalar or array broadcastable to `shape`).
    shape: output shape (default: p's shape).
    mode: 'low' (one uniform draw) or 'high' (two, for tiny p).

  Example:
    >>> mask = bernoulli(PRNGKey(0), 0.9, (4,))
  """
  if mode not in ("high", "low"):
    raise ValueError(f"bernoulli: got mode={mode!r}, expected 'high' or 'low'")
  data, _ = check_key("bernoulli", key)
  p = jnp.asarray(p)
  if not jnp.issubdtype(p.dtype, jnp.floating):
    raise TypeError(f"bernoulli probability `p` must have a floating dtype, got {p.dtype}.")
  shape = np.shape(p) if shape is None else canonical_shape(shape)
  check_shape("bernoulli", shape, np.shape(p))
  return _bernoulli(data, p, tuple(shape), mode)


def _clip_to(val, dtype):
  """`val` (an integer array) clipped to `dtype`'s range, then converted."""
  vi, di = jnp.iinfo(val.dtype), jnp.iinfo(dtype)
  lo, hi = max(vi.min, di.min), min(vi.max, di.max)
  return lax.convert_element_type(jnp.clip(val, lo, hi), dtype)


def randint_data(data, minval, maxval, shape, dtype):
  """Integers in [minval, maxval) from raw key data, JAX's two-draw method."""
  if not np.issubdtype(np.dtype(minval.dtype), np.integer):
    minval = minval.astype(int)
  if not np.issubdtype(np.dtype(maxval.dtype), np.integer):
    maxval = maxval.astype(int)
  dmax = jnp.asarray(jnp.iinfo(dtype).max, dtype)
  maxval_out_of_range = maxval > _clip_to(dmax, maxval.dtype)
  minval = jnp.broadcast_to(_clip_to(minval, dtype), shape)
  maxval = jnp.broadcast_to(_clip_to(maxval, dtype), shape)
  maxval_out_of_range = jnp.broadcast_to(maxval_out_of_range, shape)
  nbits = jnp.iinfo(dtype).bits
  keys = split_data(data, (2,))
  higher = random_bits_data(keys[0], nbits, shape)
  lower = random_bits_data(keys[1], nbits, shape)
  udt = _uint_dtype(nbits)
  span = lax.convert_element_type(lax.sub(maxval, minval), udt)
  span = lax.select(maxval <= minval, jnp.ones_like(span), span)
  # maxval past dtype's max: the span is one larger than dtype can hold.
  span = lax.select(maxval_out_of_range & (maxval > minval), lax.add(span, 1), span)
  # Combine two draws (high * 2**nbits + low) modulo span to reduce bias.
  multiplier = lax.rem(jnp.full(shape, 2 ** (nbits // 2), udt), span)
  multiplier = lax.rem(lax.mul(multiplier, multiplier), span)
  offset = lax.add(lax.mul(lax.rem(higher, span), multiplier), lax.rem(lower, span))
  offset = lax.rem(offset, span)
  return lax.add(minval, lax.convert_element_type(offset, dtype))


@partial(morphax.jit, static_argnums=(3, 4))
def _randint(data, minval, maxval, shape, dtype):
  return randint_data(data, minval, maxval, shape, dtype)


def randint(key, shape, minval, maxval, dtype=None):
  """Uniform integers in [minval, maxval), like jax.random.randint.

  Bounds past `dtype`'s range are clipped (randint(k, s, 0, 256, uint8)
  covers all of uint8).

  Example:
    >>> idx = randint(PRNGKey(0), (5,), 0, 10)
  """
  data, _ = check_key("randint", key)
  dtype = int_dtype("randint", dtype)
  shape = canonical_shape(shape)
  check_shape("randint", shape, np.shape(minval), np.shape(maxval))
  minval, maxval = jnp.asarray(minval), jnp.asarray(maxval)
  info = jnp.iinfo(dtype)
  if info.bits >= 32:
    return _randint(data, minval, maxval, shape, dtype)
  # Narrow ints are drawn as int32 in [min, max + 1) and converted, like JAX.
  minval = jnp.clip(minval.astype(np.int32), int(info.min), int(info.max))
  maxval = jnp.clip(maxval.astype(np.int32), int(info.min), int(info.max) + 1)
  return _randint(data, minval, maxval, shape, np.dtype(np.int32)).astype(dtype)


@partial(morphax.jit, static_argnums=(1, 2))
def _exponential(data, shape, dtype):
  return lax.neg(lax.log1p(lax.neg(uniform_data(data, shape, dtype))))


def exponential(key, shape=(), dtype=None):
  """Exponential(1) floats: -log(1 - u), like jax.random.exponential."""
  data, _ = check_key("exponential", key)
  return _exponential(data, canonical_shape(shape), float_dtype("exponential", dtype))


@partial(morphax.jit, static_argnums=(1, 2))
def _laplace(data, shape, dtype):
  u = uniform_data(data, shape, dtype, -1.0 + float(jnp.finfo(dtype).epsneg), 1.0)
  return lax.mul(lax.sign(u), lax.log1p(lax.neg(lax.abs(u))))


def laplace(key, shape=(), dtype=None):
  """Laplace(0, 1) floats, like jax.random.laplace."""
  data, _ = check_key("laplace", key)
  return _laplace(data, canonical_shape(shape), float_dtype("laplace", dtype))


@partial(morphax.jit, static_argnums=(1, 2))
def _logistic(data, shape, dtype):
  x = uniform_data(data, shape, dtype, float(jnp.finfo(dtype).tiny), 1.0)
  return lax.sub(lax.log(x), lax.log1p(lax.neg(x)))


def logistic(key, shape=(), dtype=None):
  """Standard logistic floats: log(u) - log(1 - u), like jax.random.logistic."""
  data, _ = check_key("logistic", key)
  return _logistic(data, canonical_shape(shape), float_dtype("logistic", dtype))


def gumbel_data(data, shape, dtype, mode):
  """Standard Gumbel floats from raw key data."""
  info = jnp.finfo(dtype)
  if mode in ("high", "highest"):
    u = uniform_data(data, (2, *shape), dtype)
    high, low = u[0], u[1]
    x = jnp.where(high >= 0.5, high,
                  high + float(2.0 ** -info.nmant) * low + float(info.tiny))
    return -jnp.log(-jnp.log1p(-x))
  return -jnp.log(-jnp.log(uniform_data(data, shape, dtype, float(info.tiny), 1.0)))


@partial(morphax.jit, static_argnums=(1, 2, 3))
def _gumbel(data, shape, dtype, mode):
  return gumbel_data(data, shape, dtype, mode)


def gumbel(key, shape=(), dtype=None, mode=None):
  """Standard Gumbel floats, like jax.random.gumbel.

  NB: mode='highest' is computed like 'high' (JAX's float32-only 'highest'
  path differs only for samples below ~1e-38).
  """
  data, _ = check_key("gumbel", key)
  mode = "low" if mode is None else mode
  if mode not in ("highest", "high", "low"):
    raise ValueError(f"gumbel: mode must be 'low', 'high' or 'highest', got {mode!r}")
  return _gumbel(data, canonical_shape(shape), float_dtype("gumbel", dtype), mode)


@partial(morphax.jit, static_argnums=(1, 2))
def _cauchy(data, shape, dtype):
  u = uniform_data(data, shape, dtype, float(jnp.finfo(dtype).eps), 1.0)
  return lax.tan(lax.mul(lax.sub(u, 0.5), float(np.pi)))


def cauchy(key, shape=(), dtype=None):
  """Standard Cauchy floats: tan(pi (u - 1/2)), like jax.random.cauchy."""
  data, _ = check_key("cauchy", key)
  return _cauchy(data, canonical_shape(shape), float_dtype("cauchy", dtype))


@partial(morphax.jit, static_argnums=(1, 2))
def _rademacher(data, shape, dtype):
  fdt = np.dtype(morphax.dtypes.canonicalize_dtype(float))
  b = (uniform_data(data, shape, fdt) < 0.5).astype(dtype)
  return (2 * b - 1).astype(dtype)


def rademacher(key, shape=(), dtype=None):
  """-1 or +1 with equal probability, like jax.random.rademacher."""
  data, _ = check_key("rademacher", key)
  dtype = np.dtype(morphax.dtypes.canonicalize_dtype(int if dtype is None else dtype))
  return _rademacher(data, canonical_shape(shape), dtype)


@partial(morphax.jit, static_argnums=(1, 2, 3, 4))
def _orthogonal(data, n, m, shape, dtype):
  z = normal_data(data, (*shape, max(n, m), min(n, m)), dtype)
  q, r = jnp.linalg.qr(z)
  d = jnp.diagonal(r, axis1=-2, axis2=-1)
  x = q * jnp.expand_dims(jnp.sign(d), -2)
  return jnp.swapaxes(x, -1, -2) if n < m else x


def orthogonal(key, n, shape=(), dtype=None, m=None):
  """Random (semi-)orthogonal n x m matrices (Haar measure), like jax.random.orthogonal.

  Example:
    >>> q = orthogonal(PRNGKey(0), 3)   # q @ q.T == I
  """
  data, _ = check_key("orthogonal", key)
  dtype = float_dtype("orthogonal", dtype)
  n = int(n)
  m = n if m is None else int(m)
  return _orthogonal(data, n, m, canonical_shape(shape), dtype)
