"""Parameter initializers with jax.nn.initializers' names and defaults.

Each factory returns `init(key, shape, dtype=float32)`; randomness comes
from morphax_rng.
"""

import math

import numpy as np

import morphax.numpy as jnp
import morphax_rng as random

# std of a unit normal truncated to [-2, 2]: variance_scaling divides by it.
_TRUNCATED_STD = 0.87962566103423978
BAD_MODE = ('variance_scaling: mode must be "fan_in", "fan_out", "fan_avg" '
            'or "fan_geo"; got {mode!r}.')
BAD_DISTRIBUTION = ('variance_scaling: distribution must be '
                    '"truncated_normal", "normal" or "uniform"; got {dist!r}.')
SHAPE_TOO_SMALL = ('{name}: needs a shape of at least 2 dimensions; got '
                   'shape {shape}.')
DELTA_SHAPE = ('delta_orthogonal: needs a 3D, 4D or 5D shape with equal '
               'spatial sizes and in_channels <= out_channels; got {shape}.')


def zeros(key, shape, dtype=jnp.float32):
  """An array of zeros (the key is ignored)."""
  del key
  return jnp.zeros(shape, dtype)


def ones(key, shape, dtype=jnp.float32):
  """An array of ones (the key is ignored)."""
  del key
  return jnp.ones(shape, dtype)


def zeros_init():
  """The `zeros` initializer, as a factory."""
  return zeros


def ones_init():
  """The `ones` initializer, as a factory."""
  return ones


def constant(value, dtype=jnp.float32):
  """An initializer filling with `value`."""
  def init(key, shape, dtype=dtype):
    del key
    return jnp.full(shape, value, dtype)
  return init


def normal(stddev=1e-2, dtype=jnp.float32):
  """An initializer drawing from N(0, stddev**2)."""
  def init(key, shape, dtype=dtype):
    return random.normal(key, shape, dtype) * jnp.asarray(stddev, dtype)
  return init


def uniform(scale=1e-2, dtype=jnp.float32):
  """An initializer drawing uniformly from [0, scale)."""
  def init(key, shape, dtype=dtype):
    return random.uniform(key, shape, dtype) * jnp.asarray(scale, dtype)
  return init


def truncated_normal(stddev=1e-2, dtype=jnp.float32, lower=-2.0, upper=2.0):
  """An initializer drawing stddev * N(0, 1) truncated to [lower, upper]."""
  def init(key, shape, dtype=dtype):
    x = random.truncated_normal(key, lower, upper, shape, dtype)
    return x * jnp.asarray(stddev, dtype)
  return init


def _axes(axis, ndim):
  axis = axis if isinstance(axis, (tuple, list)) else (axis,)
  return tuple(a % ndim for a in axis)


def compute_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
  """(fan_in, fan_out) of a kernel shape; other axes are receptive field."""
  if len(shape) <= 1:
    raise ValueError(SHAPE_TOO_SMALL.format(name='compute_fans',
                                            shape=tuple(shape)))
  ndim = len(shape)
  in_size = math.prod(shape[a] for a in _axes(in_axis, ndim))
  out_size = math.prod(shape[a] for a in _axes(out_axis, ndim))
  batch_size = math.prod(shape[a] for a in _axes(batch_axis, ndim)) \
      if batch_axis != () else 1
  # NB: jax divides the size by the in/out sizes (not a product over the
  # remaining axes), which differs when in_axis == out_axis (Embed's init).
  field = math.prod(shape) / in_size / out_size / batch_size
  return in_size * field, out_size * field


def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1,
                     batch_axis=(), dtype=jnp.float32):
  """An initializer with variance `scale / fan` (fan chosen by `mode`).

  Args:
    mode: 'fan_in', 'fan_out', 'fan_avg' or 'fan_geo'.
    distribution: 'truncated_normal', 'normal' or 'uniform'.
  """
  if mode not in ('fan_in', 'fan_out', 'fan_avg', 'fan_geo'):
    raise ValueError(BAD_MODE.format(mode=mode))
  if distribution not in ('truncated_normal', 'normal', 'uniform'):
    raise ValueError(BAD_DISTRIBUTION.format(dist=distribution))

  def init(key, shape, dtype=dtype):
    shape = tuple(shape)
    fan_in, fan_out = compute_fans(shape, in_axis, out_axis, batch_axis)
    fan = {'fan_in': fan_in, 'fan_out': fan_out,
           'fan_avg': (fan_in + fan_out) / 2,
           'fan_geo': math.sqrt(fan_in * fan_out)}[mode]
    variance = scale / max(fan, 1)
    if distribution == 'truncated_normal':
      std = math.sqrt(variance) / _TRUNCATED_STD
      return random.truncated_normal(key, -2.0, 2.0, shape, dtype) * \
          jnp.asarray(std, dtype)
    if distribution == 'normal':
      return random.normal(key, shape, dtype) * \
          jnp.asarray(math.sqrt(variance), dtype)
    limit = math.sqrt(3 * variance)
    return random.uniform(key, shape, dtype, -limit, limit)
  return init


def lecun_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=jnp.float32):
  """variance_scaling(1, 'fan_in', 'truncated_normal')."""
  return variance_scaling(1.0, 'fan_in', 'truncated_normal', in_axis,
                          out_axis, batch_axis, dtype)


def lecun_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=jnp.float32):
  """variance_scaling(1, 'fan_in', 'uniform')."""
  return variance_scaling(1.0, 'fan_in', 'uniform', in_axis, out_axis,
                          batch_axis, dtype)


def glorot_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=jnp.float32):
  """variance_scaling(1, 'fan_avg', 'truncated_normal')."""
  return variance_scaling(1.0, 'fan_avg', 'truncated_normal', in_axis,
                          out_axis, batch_axis, dtype)


def glorot_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=jnp.float32):
  """variance_scaling(1, 'fan_avg', 'uniform')."""
  return variance_scaling(1.0, 'fan_avg', 'uniform', in_axis, out_axis,
                          batch_axis, dtype)


def he_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=jnp.float32):
  """variance_scaling(2, 'fan_in', 'truncated_normal')."""
  return variance_scaling(2.0, 'fan_in', 'truncated_normal', in_axis,
                          out_axis, batch_axis, dtype)


def he_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=jnp.float32):
  """variance_scaling(2, 'fan_in', 'uniform')."""
  return variance_scaling(2.0, 'fan_in', 'uniform', in_axis, out_axis,
                          batch_axis, dtype)


xavier_normal = glorot_normal
xavier_uniform = glorot_uniform
kaiming_normal = he_normal
kaiming_uniform = he_uniform


def orthogonal(scale=1.0, column_axis=-1, dtype=jnp.float32):
  """An initializer of (scaled) orthogonal matrices along `column_axis`."""
  def init(key, shape, dtype=dtype):
    shape = tuple(shape)
    if len(shape) < 2:
      raise ValueError(SHAPE_TOO_SMALL.format(name='orthogonal', shape=shape))
    n_cols = shape[column_axis]
    n_rows = math.prod(shape) // n_cols
    matrix_shape = (n_cols, n_rows) if n_rows < n_cols else (n_rows, n_cols)
    q = random.orthogonal(key, max(matrix_shape), (), dtype)
    q = q[:matrix_shape[0], :matrix_shape[1]]
    if n_rows < n_cols:
      q = q.T
    q = jnp.reshape(q, (n_rows,) + (n_cols,))
    q = jnp.reshape(q, tuple(np.delete(shape, column_axis % len(shape))) +
                    (n_cols,))
    q = jnp.moveaxis(q, -1, column_axis)
    return q * jnp.asarray(scale, dtype)
  return init


def delta_orthogonal(scale=1.0, column_axis=-1, dtype=jnp.float32):
  """An initializer for convolution kernels: an orthogonal matrix at the
  spatial centre, zeros elsewhere (Xiao et al. 2018)."""
  def init(key, shape, dtype=dtype):
    shape = tuple(shape)
    if len(shape) not in (3, 4, 5) or len(set(shape[:-2])) != 1 or \
        shape[-2] > shape[-1]:
      raise ValueError(DELTA_SHAPE.format(shape=shape))
    ortho = orthogonal(scale, column_axis, dtype)(key, shape[-2:], dtype)
    centre = tuple(d // 2 for d in shape[:-2])
    w = jnp.zeros(shape, dtype)
    return w.at[centre].set(ortho)
  return init


__all__ = [
    'zeros', 'ones', 'zeros_init', 'ones_init', 'constant', 'normal',
    'uniform', 'truncated_normal', 'variance_scaling', 'lecun_normal',
    'lecun_uniform', 'glorot_normal', 'glorot_uniform', 'xavier_normal',
    'xavier_uniform', 'he_normal', 'he_uniform', 'kaiming_normal',
    'kaiming_uniform', 'orthogonal', 'delta_orthogonal', 'compute_fans']
