"""Attention (Vaswani et al. 2017): dot_product_attention, masks, and the
multi-head attention modules with an autoregressive decoding cache."""

import functools
import typing

import numpy as np

import morphax.numpy as jnp
from morphax import lax
from morphax.nn import softmax
import morphax_rng as random

from .. import initializers
from ..dtypes import promote_dtype
from ..module import Module, compact
from .linear import DenseGeneral, default_kernel_init
from .normalization import LayerNorm, merge_param

QKV_RANK = ('dot_product_attention: query, key and value must have the same '
            'rank (..., length, num_heads, head_dim); got query {q}, key {k}, '
            'value {v}.')
QKV_MATCH = ('dot_product_attention: query {q} and key {k} must agree on '
             'batch dims, num_heads and head_dim, and key {k} and value {v} '
             'on the length.')
HEADS_DIVIDE = ('{module}: qkv_features ({features}) must be divisible by '
                'num_heads ({heads}).')
KV_WITHOUT_K = ('{module}: inputs_v was given without inputs_k; give '
                'inputs_k too (or inputs_kv for both).')
KV_AND_K = ('{module}: give either inputs_kv or inputs_k/inputs_v, not both.')
DECODE_SHAPE = ('{module}: with decode=True each call takes one step: '
                'expected query shape {expected}, got {got}.')


def dot_product_attention_weights(query, key, bias=None, mask=None,
                                  broadcast_dropout=True, dropout_rng=None,
                                  dropout_rate=0.0, deterministic=False,
                                  dtype=None, precision=None, module=None,
                                  force_fp32_for_softmax=False):
  """softmax(q k^T / sqrt(d) + bias, masked) with optional dropout.

  Args:
    query: (..., q_len, num_heads, head_dim); key: (..., kv_len, heads, d).
  Returns:
    weights of shape (..., num_heads, q_len, kv_len).
  """
  query, key = promote_dtype(query, key, dtype=dtype)
  dtype = query.dtype
  depth = query.shape[-1]
  # A host-side constant: a traced sqrt of a captured array would be a
  # runtime argument that XLA can neither fold nor fuse.
  query = query / np.sqrt(depth).astype(dtype)
  logits = jnp.einsum('...qhd,...khd->...hqk', query, key,
                      precision=precision)
  if bias is not None:
    logits = logits + bias
  if mask is not None:
    big_neg = jnp.finfo(dtype).min
    logits = jnp.where(mask, logits, big_neg)
  if force_fp32_for_softmax and dtype != jnp.float32:
    logits = logits.astype(jnp.float32)
  # morphax.nn.softmax: the max shift under stop_gradient and a custom JVP
  # (y * (t - sum(y * t))), so the backward has no compare/select masks
  # and no full-size divisions.
  weights = softmax(logits, axis=-1).astype(dtype)
  if module is not None:
    module.sow('intermediates', 'attention_weights', weights)
  if not deterministic and dropout_rate > 0.0:
    keep_prob = 1.0 - dropout_rate
    if broadcast_dropout:
      shape = (1,) * (key.ndim - 2) + weights.shape[-2:]
      keep = jnp.broadcast_to(random.bernoulli(dropout_rng, keep_prob, shape),
                              weights.shape)
    else:
      keep = random.bernoulli(dropout_rng, keep_prob, weights.shape)
    weights = weights * (keep.astype(dtype) / jnp.asarray(keep_prob, dtype))
  return weights


def dot_product_attention(query, key, value, bias=None, mask=None,
                          broadcast_dropout=True, dropout_rng=None,
                          dropout_rate=0.0, deterministic=False, dtype=None,
                          precision=None, module=None,
                          force_fp32_for_softmax=False):
  """Attention of `query` over `key`/`value` (linen's signature).

  Args:
    query: (..., q_len, num_heads, head_dim).
    key, value: (..., kv_len, num_heads, head_dim).
    mask: broadcastable to (..., num_heads, q_len, kv_len); False = masked.
  Returns:
    (..., q_len, num_heads, head_dim).
  """
  if not query.ndim == key.ndim == value.ndim:
    raise ValueError(QKV_RANK.format(q=query.shape, k=key.shape,
                                     v=value.shape))
  if (query.shape[:-3] != key.shape[:-3] or query.shape[-2:] !=
      key.shape[-2:] or key.shape[-3] != value.shape[-3]):
    raise ValueError(QKV_MATCH.format(q=query.shape, k=key.shape,
                                      v=value.shape))
  query, key, value = promote_dtype(query, key, value, dtype=dtype)
  weights = dot_product_attention_weights(
      query, key, bias, mask, broadcast_dropout, dropout_rng, dropout_rate,
      deterministic, query.dtype, precision, module, force_fp32_for_softmax)
  return jnp.einsum('...hqk,...khd->...qhd', weights, value,
                    precision=precision)


def make_attention_mask(query_input, key_input, pairwise_fn=jnp.multiply,
                        extra_batch_dims=0, dtype=jnp.float32):
  """A (..., 1, q_len, kv_len) mask from per-position query/key values.

  Example: make_attention_mask(tokens > 0, tokens > 0) masks padding.
  """
  mask = pairwise_fn(jnp.expand_dims(query_input, -1),
                     jnp.expand_dims(key_input, -2))
  mask = jnp.expand_dims(mask, -3)
  mask = jnp.reshape(mask, (1,) * extra_batch_dims + mask.shape)
  return mask.astype(dtype)


def make_causal_mask(x, extra_batch_dims=0, dtype=jnp.float32):
  """A (..., 1, len, len) mask letting position i attend to j <= i."""
  idxs = jnp.broadcast_to(jnp.arange(x.shape[-1], dtype=jnp.int32), x.shape)
  return make_attention_mask(idxs, idxs, jnp.greater_equal,
                             extra_batch_dims=extra_batch_dims, dtype=dtype)


def combine_masks(*masks, dtype=jnp.float32):
  """The logical AND of the non-None masks (None if there are none)."""
  masks = [m for m in masks if m is not None]
  if not masks:
    return None
  mask = masks[0]
  for other in masks[1:]:
    mask = jnp.logical_and(mask, other)
  return mask.astype(dtype)


class MultiHeadDotProductAttention(Module):
  """Multi-head attention: DenseGeneral projections 'query', 'key',
  'value' to (num_heads, head_dim), attention, then 'out'."""
  num_heads: int
  dtype: typing.Any = None
  param_dtype: typing.Any = jnp.float32
  qkv_features: typing.Optional[int] = None
  out_features: typing.Optional[int] = None
  broadcast_dropout: bool = True
  dropout_rate: float = 0.0
  deterministic: typing.Optional[bool] = None
  precision: typing.Any = None
  kernel_init: typing.Callable = default_kernel_init
  out_kernel_init: typing.Optional[typing.Callable] = None
  bias_init: typing.Callable = initializers.zeros
  out_bias_init: typing.Optional[typing.Callable] = None
  use_bias: bool = True
  attention_fn: typing.Callable = dot_product_attention
  decode: bool = False
  normalize_qk: bool = False
  force_fp32_for_softmax: bool = False

  @compact
  def __call__(self, inputs_q, inputs_k=None, inputs_v=None, *,
               inputs_kv=None, mask=None, deterministic=None,
               dropout_rng=None, sow_weights=False):
    """Attends from `inputs_q` to `inputs_k`/`inputs_v` (default: self).

    Args:
      inputs_q: (..., q_len, features).
      mask: (..., num_heads or 1, q_len, kv_len), False = masked.
    Returns:
      (..., q_len, out_features or features).
    """
    name = type(self).__name__
    if inputs_kv is not None:
      if inputs_k is not None or inputs_v is not None:
        raise ValueError(KV_AND_K.format(module=name))
      inputs_k = inputs_v = inputs_kv
    else:
      if inputs_k is None:
        if inputs_v is not None:
          raise ValueError(KV_WITHOUT_K.format(module=name))
        inputs_k = inputs_q
      if inputs_v is None:
        inputs_v = inputs_k
    features = self.out_features or inputs_q.shape[-1]
    qkv_features = self.qkv_features or inputs_q.shape[-1]
    if qkv_features % self.num_heads:
      raise ValueError(HEADS_DIVIDE.format(module=name, features=qkv_features,
                                           heads=self.num_heads))
    head_dim = qkv_features // self.num_heads
    dense = functools.partial(
        DenseGeneral, axis=-1, dtype=self.dtype, param_dtype=self.param_dtype,
        features=(self.num_heads, head_dim), kernel_init=self.kernel_init,
        bias_init=self.bias_init, use_bias=self.use_bias,
        precision=self.precision)
    query = dense(name='query')(inputs_q)
    key = dense(name='key')(inputs_k)
    value = dense(name='value')(inputs_v)
    if self.normalize_qk:
      query = LayerNorm(name='query_ln', use_bias=False, dtype=self.dtype,
                        param_dtype=self.param_dtype)(query)
      key = LayerNorm(name='key_ln', use_bias=False, dtype=self.dtype,
                      param_dtype=self.param_dtype)(key)
    if self.decode:
      key, value, mask = self._decode_step(query, key, value, mask)
    if self.dropout_rate > 0.0:
      m_deterministic = merge_param(name, 'deterministic', self.deterministic,
                                    deterministic)
      if not m_deterministic and dropout_rng is None:
        dropout_rng = self.make_rng('dropout')
    else:
      m_deterministic = True
    x = self.attention_fn(
        query, key, value, mask=mask, dropout_rng=dropout_rng,
        dropout_rate=self.dropout_rate,
        broadcast_dropout=self.broadcast_dropout,
        deterministic=m_deterministic, dtype=self.dtype,
        precision=self.precision, module=self if sow_weights else None)
    return DenseGeneral(
        features=features, axis=(-2, -1),
        kernel_init=self.out_kernel_init or self.kernel_init,
        bias_init=self.out_bias_init or self.bias_init, use_bias=self.use_bias,
        dtype=self.dtype, param_dtype=self.param_dtype,
        precision=self.precision, name='out')(x)

  def _decode_step(self, query, key, value, mask):
    """Writes this step's key/value into the 'cache' collection and masks
    the positions not yet written."""
    initialized = self.has_variable('cache', 'cached_key')
    cached_key = self.variable('cache', 'cached_key', jnp.zeros, key.shape,
                               key.dtype)
    cached_value = self.variable('cache', 'cached_value', jnp.zeros,
                                 value.shape, value.dtype)
    cache_index = self.variable('cache', 'cache_index',
                                lambda: jnp.array(0, dtype=jnp.int32))
    if not initialized:
      return key, value, mask
    *batch_dims, max_length, num_heads, depth = cached_key.value.shape
    expected = tuple(batch_dims) + (1, num_heads, depth)
    if tuple(query.shape) != expected:
      raise ValueError(DECODE_SHAPE.format(module=type(self).__name__,
                                           expected=expected,
                                           got=tuple(query.shape)))
    index = cache_index.value
    zero = jnp.array(0, jnp.int32)
    indices = (zero,) * len(batch_dims) + (index, zero, zero)
    key = lax.dynamic_update_slice(cached_key.value, key, indices)
    value = lax.dynamic_update_slice(cached_value.value, value, indices)
    cached_key.value = key
    cached_value.value = value
    cache_index.value = index + 1
    step_mask = jnp.broadcast_to(
        jnp.arange(max_length) <= index,
        tuple(batch_dims) + (1, 1, max_length))
    return key, value, combine_masks(mask, step_mask)


MultiHeadAttention = MultiHeadDotProductAttention


class SelfAttention(MultiHeadDotProductAttention):
  """Multi-head attention of `inputs_q` over itself."""

  @compact
  def __call__(self, inputs_q, mask=None, deterministic=None,
               dropout_rng=None, sow_weights=False):
    """Self-attention of `inputs_q` (..., len, features)."""
    return super().__call__(inputs_q, mask=mask, deterministic=deterministic,
                            dropout_rng=dropout_rng, sow_weights=sow_weights)

