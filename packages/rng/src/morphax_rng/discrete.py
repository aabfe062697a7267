"""Sampling indices and arrangements: categorical, choice, permutation, and
multivariate_normal (a linear map of normals).
"""

from functools import partial
import math

import numpy as np

import morphax
from morphax import lax
import morphax.numpy as jnp

from .distributions import (check_shape, float_dtype, gumbel_data, normal_data,
                            randint_data, uniform_data)
from .keys import canonical_shape, check_key
from .threefry import random_bits_data, split_data

ERR_AXIS = "{name}: axis {axis} is out of bounds for an array of {ndim} dimensions"


def _normalize_axis(name, axis, ndim):
  if not -ndim <= axis < max(ndim, 1):
    raise ValueError(ERR_AXIS.format(name=name, axis=axis, ndim=ndim))
  return axis % max(ndim, 1)


@partial(morphax.jit, static_argnums=(2, 3, 4, 5, 6))
def _categorical(data, logits, shape, batch_shape, axis, replace, mode):
  prefix = shape[:len(shape) - len(batch_shape)]
  if replace:
    axis = axis - logits.ndim if axis >= 0 else axis
    logits_shape = list(shape[len(shape) - len(batch_shape):])
    logits_shape.insert(axis % logits.ndim, logits.shape[axis])
    g = gumbel_data(data, (*prefix, *logits_shape), logits.dtype, mode)
    return jnp.argmax(g + lax.expand_dims(logits, tuple(range(len(prefix)))), axis=axis)
  logits = logits + gumbel_data(data, logits.shape, logits.dtype, mode)
  k = math.prod(prefix)
  _, indices = lax.top_k(jnp.moveaxis(logits, axis, -1), k)
  perm = (indices.ndim - 1, *range(indices.ndim - 1))
  return jnp.reshape(jnp.transpose(indices, perm), shape)


def categorical(key, logits, axis=-1, shape=None, replace=True, mode=None):
  """Category indices drawn with probabilities softmax(logits), like jax.random.categorical.

  Uses the Gumbel-max trick (top-k of perturbed logits without replacement).

  Args:
    key: a key.
    logits: unnormalized log-probabilities; `axis` indexes the categories.
    axis: the category axis.
    shape: output shape; must end with logits' batch shape (logits.shape
      without `axis`). Default: the batch shape.
    replace: draw with (True) or without (False) replacement.
    mode: gumbel's mode ('low' default, or 'high').

  Example:
    >>> categorical(PRNGKey(0), jnp.log(jnp.array([0.2, 0.8])), shape=(5,))
  """
  data, _ = check_key("categorical", key)
  logits = jnp.asarray(logits)
  axis = _normalize_axis("categorical", axis, logits.ndim)
  batch_shape = tuple(np.delete(logits.shape, axis))
  shape = batch_shape if shape is None else canonical_shape(shape)
  check_shape("categorical", shape, batch_shape)
  if not replace:
    k = math.prod(shape[:len(shape) - len(batch_shape)])
    if k > logits.shape[axis]:
      raise ValueError(f"Number of samples without replacement ({k}) cannot exceed "
                       f"number of categories ({logits.shape[axis]}).")
  mode = "low" if mode is None else mode
  return _categorical(data, logits, tuple(shape), batch_shape, axis, bool(replace), mode)


def _shuffle(data, x, axis):
  """x shuffled along `axis`: sort by random keys, repeated as JAX does."""
  # JAX's round count: enough rounds that colliding sort keys are unlikely.
  num_rounds = int(np.ceil(3 * np.log(max(1, x.size)) / np.log(np.iinfo(np.uint32).max)))
  for _ in range(num_rounds):
    keys = split_data(data, (2,))
    data = keys[0]
    sort_keys = random_bits_data(keys[1], 32, x.shape)
    _, x = lax.sort_key_val(sort_keys, x, axis)
  return x


@partial(morphax.jit, static_argnums=(2, 3))
def _permutation(data, x, axis, independent):
  if independent or x.ndim == 1:
    return _shuffle(data, x, axis)
  ind = _shuffle(data, jnp.arange(x.shape[axis]), 0)
  return jnp.take(x, ind, axis=axis)


def permutation(key, x, axis=0, independent=False):
  """A random permutation of range(x) (an int) or of x along `axis`, like jax.random.permutation.

  Args:
    independent: shuffle each slice along `axis` independently.

  Example:
    >>> permutation(PRNGKey(0), 5)
  """
  data, _ = check_key("permutation", key)
  if not np.ndim(x):
    if not jnp.issubdtype(jnp.asarray(x).dtype, jnp.integer):
      raise TypeError("x must be an integer or at least 1-dimensional")
    x = jnp.arange(int(x))
    axis = 0
  x = jnp.asarray(x)
  axis = _normalize_axis("permutation", axis, x.ndim)
  return _permutation(data, x, axis, bool(independent))


@partial(morphax.jit, static_argnums=(3, 4, 5, 6, 7))
def _choice(data, arr, p, shape, replace, axis, n_inputs, scalar):
  n_draws = math.prod(shape)
  if p is None:
    if replace:
      ind = randint_data(data, jnp.asarray(0), jnp.asarray(n_inputs), shape,
                         np.dtype(morphax.dtypes.canonicalize_dtype(int)))
      result = ind if scalar else jnp.take(arr, ind, axis=axis)
    else:
      src = jnp.arange(n_inputs) if scalar else arr
      perm = (_shuffle(data, src, axis) if scalar or src.ndim == 1
              else jnp.take(src, _shuffle(data, jnp.arange(n_inputs), 0), axis=axis))
      result = lax.slice_in_dim(perm, 0, n_draws, axis=axis)
  else:
    if replace:
      p_cuml = jnp.cumsum(p)
      r = p_cuml[-1] * (1 - uniform_data(data, shape, p_cuml.dtype))
      ind = jnp.searchsorted(p_cuml, r).astype(int)
    else:
      g = gumbel_data(data, (n_inputs,), p.dtype, "low") + jnp.log(p)
      ind = lax.top_k(g, n_draws)[1].astype(int)
    result = ind if scalar else jnp.take(arr, ind, axis=axis)
  out_shape = shape if scalar else arr.shape[:axis] + tuple(shape) + arr.shape[axis + 1:]
  return jnp.reshape(result, out_shape)


def choice(key, a, shape=(), replace=True, p=None, axis=0):
  """Random elements of `a` (or of range(a) for an int), like jax.random.choice.

  Args:
    a: an int n (choose from range(n)) or an array (choose along `axis`).
    shape: number/shape of draws.
    replace: with or without replacement.
    p: optional probabilities of each element (1-D, length a.shape[axis]).

  Example:
    >>> choice(PRNGKey(0), 10, (3,), replace=False)
  """
  data, _ = check_key("choice", key)
  if not isinstance(shape, (tuple, list)):
    raise TypeError(f"shape argument of choice must be a sequence, got {shape}")
  shape = canonical_shape(shape)
  arr = jnp.asarray(a)
  scalar = arr.ndim == 0
  if scalar:
    n_inputs = int(a)
  else:
    axis = _normalize_axis("choice", axis, arr.ndim)
    n_inputs = arr.shape[axis]
  n_draws = math.prod(shape)
  if n_draws == 0:
    return jnp.zeros(shape, arr.dtype)
  if n_inputs <= 0:
    raise ValueError("a must be greater than 0 unless no samples are taken")
  if not replace and n_draws > n_inputs:
    raise ValueError(f"Cannot take a larger sample (size {n_draws}) than population "
                     f"(size {n_inputs}) when 'replace=False'")
  if p is not None:
    p = jnp.asarray(p)
    if not jnp.issubdtype(p.dtype, jnp.inexact):
      p = p.astype(float)
    if p.shape != (n_inputs,):
      raise ValueError("p must be None or a 1D vector with the same size as a.shape[axis]. "
                       f"p has shape {p.shape} and a.shape[axis] is {n_inputs}.")
  return _choice(data, None if scalar else arr, p, shape, bool(replace),
                 0 if scalar else axis, n_inputs, scalar)


@partial(morphax.jit, static_argnums=(3, 4, 5))
def _multivariate_normal(data, mean, cov, shape, dtype, method):
  if method == "svd":
    u, s, _ = jnp.linalg.svd(cov)
    factor = u * jnp.sqrt(s[..., None, :])
  elif method == "eigh":
    w, v = jnp.linalg.eigh(cov)
    factor = v * jnp.sqrt(w[..., None, :])
  else:
    factor = jnp.linalg.cholesky(cov)
  samples = normal_data(data, shape + mean.shape[-1:], dtype)
  if factor.ndim == 2:
    # The contraction JAX's einsum emits (samples first), for the same bits.
    dims = (((samples.ndim - 1,), (1,)), ((), ()))
    return mean + lax.dot_general(samples, factor, dims)
  return mean + jnp.einsum("...ij,...j->...i", factor, samples)


def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
  """Multivariate normal vectors N(mean, cov), like jax.random.multivariate_normal.

  Args:
    mean: (..., n); cov: (..., n, n), symmetric positive (semi)definite.
    shape: batch shape of the draws (broadcast with mean's and cov's batch).
    method: 'cholesky' (default), 'svd' or 'eigh' for factoring cov.

  Example:
    >>> multivariate_normal(PRNGKey(0), jnp.zeros(2), jnp.eye(2), (5,))
  """
  data, _ = check_key("multivariate_normal", key)
  if method not in ("svd", "eigh", "cholesky"):
    raise ValueError("method must be one of {'svd', 'eigh', 'cholesky'}")
  mean, cov = jnp.asarray(mean), jnp.asarray(cov)
  dt = jnp.result_type(mean.dtype, cov.dtype, float)
  mean, cov = mean.astype(dt), cov.astype(dt)
  dtype = np.dtype(dt) if dtype is None else float_dtype("multivariate_normal", dtype)
  if mean.ndim < 1:
    raise ValueError(f"multivariate_normal requires mean.ndim >= 1, got mean.ndim == {mean.ndim}")
  if cov.ndim < 2:
    raise ValueError(f"multivariate_normal requires cov.ndim >= 2, got cov.ndim == {cov.ndim}")
  n = mean.shape[-1]
  if cov.shape[-2:] != (n, n):
    raise ValueError(f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, "
                     f"but got cov.shape == {cov.shape}.")
  if shape is None:
    shape = np.broadcast_shapes(mean.shape[:-1], cov.shape[:-2])
  shape = canonical_shape(shape)
  check_shape("multivariate_normal", shape, mean.shape[:-1], cov.shape[:-2])
  return _multivariate_normal(data, mean, cov, tuple(shape), dtype, method)
