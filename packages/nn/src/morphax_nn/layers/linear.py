"""Linear layers: Dense, DenseGeneral, Einsum, Conv, ConvTranspose, Embed.

Parameter names, shapes and default initializers are linen's.
"""

import math
import typing

import morphax.numpy as jnp
from morphax import lax

from .. import initializers
from ..dtypes import canonicalize_padding, promote_dtype
from ..module import Module, compact

default_kernel_init = initializers.lecun_normal()
KERNEL_SIZE_TYPE = ('Expected Conv kernel_size to be a tuple/list of integers '
                    '(eg.: [3, 3]) but got {got!r}.')
EMBED_INT = ('Embed: input type must be an integer or unsigned integer; got '
             '{dtype}. Pass token ids, e.g. x.astype(jnp.int32).')
EINSUM_OPERANDS = ('Einsum: einsum_str {s!r} must have exactly two operands '
                   '(the input and the kernel), e.g. "abc,cd->abd".')
TRANSPOSE_CIRCULAR = ('ConvTranspose: padding="CIRCULAR" is not supported yet; '
                      'use "SAME", "VALID" or explicit pads.')
CONV_RANK = ('{module}: input of shape {shape} has {ndim} dimensions; with '
             'kernel_size {kernel} it needs {need} (batch..., spatial x '
             '{nspatial}, features) or {unbatched} without a batch axis.')


def _tuple(x):
  return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _normalize_axes(axes, ndim):
  return tuple(a % ndim for a in axes)


class DenseGeneral(Module):
  """A linear map over several input axes to several output features.

  kernel: in_shape(axis) + features; bias: features.
  """
  features: typing.Any
  axis: typing.Any = -1
  batch_dims: typing.Any = ()
  use_bias: bool = True
  dtype: typing.Any = None
  param_dtype: typing.Any = jnp.float32
  kernel_init: typing.Callable = default_kernel_init
  bias_init: typing.Callable = initializers.zeros
  precision: typing.Any = None

  @compact
  def __call__(self, inputs):
    """Contracts `inputs` over `axis` with the kernel (plus bias)."""
    features = _tuple(self.features)
    ndim = inputs.ndim
    axis = _normalize_axes(_tuple(self.axis), ndim)
    batch_dims = _normalize_axes(_tuple(self.batch_dims), ndim)
    n_batch = len(batch_dims)
    batch_shape = tuple(inputs.shape[a] for a in batch_dims)
    in_shape = tuple(inputs.shape[a] for a in axis)
    kernel_shape = batch_shape + in_shape + features

    def kernel_init_wrap(key, shape, dtype=jnp.float32):
      flat = (math.prod(shape[:n_batch]) * math.prod(shape[n_batch:n_batch +
                                                           len(axis)]),
              math.prod(shape[-len(features):]))
      return jnp.reshape(self.kernel_init(key, flat, dtype), shape)

    kernel = self.param('kernel', kernel_init_wrap, kernel_shape,
                        self.param_dtype)
    bias = None
    if self.use_bias:
      def bias_init_wrap(key, shape, dtype=jnp.float32):
        flat = (math.prod(shape),)
        return jnp.reshape(self.bias_init(key, flat, dtype), shape)
      bias = self.param('bias', bias_init_wrap, batch_shape + features,
                        self.param_dtype)
    inputs, kernel, bias = promote_dtype(inputs, kernel, bias,
                                         dtype=self.dtype)
    kernel_contract = tuple(range(n_batch, n_batch + len(axis)))
    out = lax.dot_general(
        inputs, kernel, ((axis, kernel_contract),
                         (batch_dims, tuple(range(n_batch)))),
        precision=self.precision)
    if bias is not None:
      # output: batch dims, free input dims, features
      n_free = ndim - len(axis) - n_batch
      bias = jnp.reshape(bias, batch_shape + (1,) * n_free + features)
      out = out + bias
    return out


class Dense(Module):
  """y = x @ kernel + bias over the last axis; kernel: (in, features)."""
  features: int
  use_bias: bool = True
  dtype: typing.Any = None
  param_dtype: typing.Any = jnp.float32
  precision: typing.Any = None
  kernel_init: typing.Callable = default_kernel_init
  bias_init: typing.Callable = initializers.zeros

  @compact
  def __call__(self, inputs):
    """Applies the linear map to the last axis of `inputs`."""
    kernel = self.param('kernel', self.kernel_init,
                        (jnp.shape(inputs)[-1], self.features),
                        self.param_dtype)
    bias = (self.param('bias', self.bias_init, (self.features,),
                       self.param_dtype) if self.use_bias else None)
    inputs, kernel, bias = promote_dtype(inputs, kernel, bias,
                                         dtype=self.dtype)
    out = lax.dot_general(inputs, kernel, (((inputs.ndim - 1,), (0,)),
                                           ((), ())),
                          precision=self.precision)
    if bias is not None:
      out = out + jnp.reshape(bias, (1,) * (out.ndim - 1) + (-1,))
    return out


class Einsum(Module):
  """An einsum of the input with a kernel of shape `shape` (plus bias over
  the kernel's output axes)."""
  shape: typing.Any
  einsum_str: typing.Optional[str] = None
  use_bias: bool = True
  dtype: typing.Any = None
  param_dtype: typing.Any = jnp.float32
  precision: typing.Any = None
  kernel_init: typing.Callable = default_kernel_init
  bias_init: typing.Callable = initializers.zeros

  @compact
  def __call__(self, inputs, einsum_str=None):
    """Computes einsum(einsum_str, inputs, kernel) + bias."""
    einsum_str = (einsum_str or self.einsum_str).replace(' ', '')
    if '->' not in einsum_str or einsum_str.split('->')[0].count(',') != 1:
      raise ValueError(EINSUM_OPERANDS.format(s=einsum_str))
    kernel = self.param('kernel', self.kernel_init, tuple(self.shape),
                        self.param_dtype)
    lhs, out_labels = einsum_str.split('->')
    _, rhs = lhs.split(',')
    bias = None
    if self.use_bias:
      bias_shape = tuple(self.shape[rhs.index(c)] for c in out_labels
                         if c in rhs)
      bias = self.param('bias', self.bias_init, bias_shape, self.param_dtype)
    inputs, kernel, bias = promote_dtype(inputs, kernel, bias,
                                         dtype=self.dtype)
    out = jnp.einsum(einsum_str, inputs, kernel, precision=self.precision)
    if bias is not None:
      broadcast = tuple(self.shape[rhs.index(c)] if c in rhs else 1
                        for c in out_labels)
      out = out + jnp.reshape(bias, broadcast)
    return out


def _conv_dimension_numbers(nspatial):
  spatial = 'HWDXYZ'[:nspatial]
  return ('N' + spatial + 'C', spatial + 'IO', 'N' + spatial + 'C')


class _ConvBase(Module):
  """Shared input handling of Conv and ConvTranspose."""

  def _batched(self, inputs, kernel_size):
    nspatial = len(kernel_size)
    if inputs.ndim == nspatial + 1:
      return inputs[None], None
    if inputs.ndim < nspatial + 1:
      raise ValueError(CONV_RANK.format(
          module=type(self).__name__, shape=tuple(inputs.shape),
          ndim=inputs.ndim, kernel=kernel_size, need=nspatial + 2,
          nspatial=nspatial, unbatched=nspatial + 1))
    batch_shape = inputs.shape[:inputs.ndim - nspatial - 1]
    flat = jnp.reshape(inputs, (-1,) + tuple(inputs.shape[-nspatial - 1:]))
    return flat, batch_shape

  @staticmethod
  def _unbatched(out, batch_shape):
    if batch_shape is None:
      return out[0]
    return jnp.reshape(out, tuple(batch_shape) + tuple(out.shape[1:]))

  def _kernel_size(self):
    if isinstance(self.kernel_size, int):
      raise TypeError(KERNEL_SIZE_TYPE.format(got=self.kernel_size))
    return tuple(self.kernel_size)


def _per_dim(value, n):
  if value is None:
    return (1,) * n
  if isinstance(value, int):
    return (value,) * n
  return tuple(value)


class Conv(_ConvBase):
  """An N-D convolution over inputs (batch..., spatial..., features).

  kernel: kernel_size + (in_features // feature_group_count, features).
  padding: 'SAME', 'VALID', 'CIRCULAR', 'CAUSAL' (1D), an int or pairs.
  """
  features: int
  kernel_size: typing.Any
  strides: typing.Any = 1
  padding: typing.Any = 'SAME'
  input_dilation: typing.Any = 1
  kernel_dilation: typing.Any = 1
  feature_group_count: int = 1
  use_bias: bool = True
  mask: typing.Any = None
  dtype: typing.Any = None
  param_dtype: typing.Any = jnp.float32
  precision: typing.Any = None
  kernel_init: typing.Callable = default_kernel_init
  bias_init: typing.Callable = initializers.zeros

  @compact
  def __call__(self, inputs):
    """Convolves `inputs` with the kernel (plus bias)."""
    kernel_size = self._kernel_size()
    n = len(kernel_size)
    x, batch_shape = self._batched(inputs, kernel_size)
    strides = _per_dim(self.strides, n)
    input_dilation = _per_dim(self.input_dilation, n)
    kernel_dilation = _per_dim(self.kernel_dilation, n)
    padding = self.padding
    if padding in ('CIRCULAR', 'CAUSAL'):
      dilated = [(k - 1) * d + 1 for k, d in zip(kernel_size,
                                                  kernel_dilation)]
      if padding == 'CIRCULAR':
        pads = [((k - 1) // 2, k // 2) for k in dilated]
        x = jnp.pad(x, [(0, 0)] + pads + [(0, 0)], mode='wrap')
      else:
        x = jnp.pad(x, [(0, 0)] + [(k - 1, 0) for k in dilated] + [(0, 0)])
      padding = 'VALID'
    else:
      padding = canonicalize_padding(padding, n)
    in_features = x.shape[-1]
    kernel_shape = kernel_size + (in_features // self.feature_group_count,
                                  self.features)
    kernel = self.param('kernel', self.kernel_init, kernel_shape,
                        self.param_dtype)
    if self.mask is not None:
      kernel = kernel * self.mask
    bias = (self.param('bias', self.bias_init, (self.features,),
                       self.param_dtype) if self.use_bias else None)
    x, kernel, bias = promote_dtype(x, kernel, bias, dtype=self.dtype)
    y = lax.conv_general_dilated(
        x, kernel, strides, padding, lhs_dilation=input_dilation,
        rhs_dilation=kernel_dilation,
        dimension_numbers=_conv_dimension_numbers(n),
        feature_group_count=self.feature_group_count,
        precision=self.precision)
    if bias is not None:
      y = y + jnp.reshape(bias, (1,) * (y.ndim - 1) + (-1,))
    return self._unbatched(y, batch_shape)


class ConvTranspose(_ConvBase):
  """A transposed (fractionally strided) convolution.

  kernel: kernel_size + (in_features, features).
  """
  features: int
  kernel_size: typing.Any
  strides: typing.Any = None
  padding: typing.Any = 'SAME'
  kernel_dilation: typing.Any = None
  use_bias: bool = True
  mask: typing.Any = None
  dtype: typing.Any = None
  param_dtype: typing.Any = jnp.float32
  precision: typing.Any = None
  kernel_init: typing.Callable = default_kernel_init
  bias_init: typing.Callable = initializers.zeros
  transpose_kernel: bool = False

  @compact
  def __call__(self, inputs):
    """Applies the transposed convolution to `inputs`."""
    kernel_size = self._kernel_size()
    n = len(kernel_size)
    x, batch_shape = self._batched(inputs, kernel_size)
    strides = _per_dim(self.strides, n)
    kernel_dilation = _per_dim(self.kernel_dilation, n)
    in_features = x.shape[-1]
    if self.transpose_kernel:
      kernel_shape = kernel_size + (self.features, in_features)
    else:
      kernel_shape = kernel_size + (in_features, self.features)
    kernel = self.param('kernel', self.kernel_init, kernel_shape,
                        self.param_dtype)
    if self.mask is not None:
      kernel = kernel * self.mask
    bias = (self.param('bias', self.bias_init, (self.features,),
                       self.param_dtype) if self.use_bias else None)
    x, kernel, bias = promote_dtype(x, kernel, bias, dtype=self.dtype)
    if self.padding == 'CIRCULAR':
      raise NotImplementedError(TRANSPOSE_CIRCULAR)
    padding = canonicalize_padding(self.padding, n)
    y = lax.conv_transpose(
        x, kernel, strides, padding, rhs_dilation=kernel_dilation,
        dimension_numbers=_conv_dimension_numbers(n),
        transpose_kernel=self.transpose_kernel, precision=self.precision)
    if bias is not None:
      y = y + jnp.reshape(bias, (1,) * (y.ndim - 1) + (-1,))
    return self._unbatched(y, batch_shape)


class Embed(Module):
  """A lookup table: integer ids -> vectors; embedding: (num, features)."""
  num_embeddings: int
  features: int
  dtype: typing.Any = None
  param_dtype: typing.Any = jnp.float32
  embedding_init: typing.Callable = initializers.variance_scaling(
      1.0, 'fan_in', 'normal', out_axis=0)

  def setup(self):
    self.embedding = self.param('embedding', self.embedding_init,
                                (self.num_embeddings, self.features),
                                self.param_dtype)

  def __call__(self, inputs):
    """Looks up the embedding of each id in `inputs`."""
    if not jnp.issubdtype(inputs.dtype, jnp.integer):
      raise ValueError(EMBED_INT.format(dtype=inputs.dtype))
    (embedding,) = promote_dtype(self.embedding, dtype=self.dtype,
                                 inexact=False)
    return jnp.take(embedding, inputs, axis=0)

  def attend(self, query):
    """query @ embedding.T: logits over the vocabulary (weight tying)."""
    query, embedding = promote_dtype(query, self.embedding, dtype=self.dtype)
    return jnp.dot(query, embedding.T)

