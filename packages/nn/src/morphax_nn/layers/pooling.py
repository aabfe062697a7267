"""Pooling functions over the spatial axes of (batch..., spatial, features)
inputs: max_pool, avg_pool, min_pool, and the generic pool."""

import math

import numpy as np

import morphax.numpy as jnp
from morphax import lax

from ..dtypes import canonicalize_padding

WINDOW_RANK = ('{name}: window_shape {window} has {n} dimensions but inputs '
               'of shape {shape} have fewer than {need} (spatial x {n} + '
               'features).')
STRIDES_RANK = ('{name}: strides {strides} must have as many entries as '
                'window_shape {window}.')


def pool(inputs, init, reduce_fn, window_shape, strides=None,
         padding='VALID'):
  """Reduces windows of the spatial axes with `reduce_fn` (a lax monoid).

  Args:
    inputs: (batch..., spatial..., features), or without the batch axes.
    window_shape: the window's size per spatial axis.
    strides: per spatial axis (default 1).
    padding: 'SAME', 'VALID' or (low, high) pairs per spatial axis.
  Returns:
    the pooled array.
  """
  window_shape = tuple(window_shape)
  n = len(window_shape)
  strides = tuple(strides) if strides is not None else (1,) * n
  if len(strides) != n:
    raise ValueError(STRIDES_RANK.format(name='pool', strides=strides,
                                         window=window_shape))
  if inputs.ndim < n + 1:
    raise ValueError(WINDOW_RANK.format(name='pool', window=window_shape,
                                        n=n, shape=inputs.shape, need=n + 1))
  unbatched = inputs.ndim == n + 1
  if unbatched:
    inputs = inputs[None]
  batch_shape = inputs.shape[:-n - 1]
  x = jnp.reshape(inputs, (-1,) + tuple(inputs.shape[-n - 1:]))
  dims = (1,) + window_shape + (1,)
  strides_full = (1,) + strides + (1,)
  if not isinstance(padding, str):
    padding = [(0, 0)] + list(canonicalize_padding(padding, n)) + [(0, 0)]
  y = lax.reduce_window(x, init, reduce_fn, dims, strides_full, padding)
  y = jnp.reshape(y, tuple(batch_shape) + tuple(y.shape[1:]))
  return y[0] if unbatched else y


def max_pool(inputs, window_shape, strides=None, padding='VALID'):
  """The maximum over each window (padding counts as -inf)."""
  init = -jnp.inf if jnp.issubdtype(inputs.dtype, jnp.floating) else \
      np.iinfo(inputs.dtype).min
  return pool(inputs, init, lax.max, window_shape, strides, padding)


def min_pool(inputs, window_shape, strides=None, padding='VALID'):
  """The minimum over each window (padding counts as +inf)."""
  init = jnp.inf if jnp.issubdtype(inputs.dtype, jnp.floating) else \
      np.iinfo(inputs.dtype).max
  return pool(inputs, init, lax.min, window_shape, strides, padding)


def avg_pool(inputs, window_shape, strides=None, padding='VALID',
             count_include_pad=True):
  """The mean over each window; with `count_include_pad=False` padded
  positions are left out of the count."""
  y = pool(inputs, 0.0, lax.add, window_shape, strides, padding)
  if count_include_pad:
    return y / math.prod(window_shape)
  ones = jnp.ones(inputs.shape[-len(window_shape) - 1:-1] + (1,),
                  inputs.dtype)
  counts = pool(ones, 0.0, lax.add, window_shape, strides, padding)
  return y / counts
