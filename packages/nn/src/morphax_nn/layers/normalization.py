"""Normalization layers: LayerNorm, RMSNorm, GroupNorm, BatchNorm.

Statistics use the fast variance E[x^2] - E[x]^2 (clipped at 0), as linen
does by default; BatchNorm averages them over devices with `axis_name`.
"""

import typing

import morphax.numpy as jnp
from morphax import lax

from .. import initializers
from ..module import Module, compact

MERGE_BOTH = ('{module}: "{name}" was given both as a module attribute '
              '({attr!r}) and as an argument to __call__ ({arg!r}); give it '
              'in only one place.')
MERGE_NONE = ('{module}: "{name}" must be given either as a module attribute '
              'or as an argument to __call__, e.g. {module}({name}=True) or '
              'layer(x, {name}=True).')
GROUPS_NONE = ('GroupNorm: exactly one of num_groups and group_size must be '
               'set; got num_groups={g!r}, group_size={s!r}.')
GROUPS_DIVIDE = ('GroupNorm: the number of channels ({channels}) must be a '
                 'multiple of num_groups ({groups}) and group_size '
                 '({size}); input shape {shape}.')


def merge_param(module, name, attr, arg):
  """The one of `attr` (module field) and `arg` (call argument) that is set."""
  if attr is not None and arg is not None:
    raise ValueError(MERGE_BOTH.format(module=module, name=name, attr=attr,
                                       arg=arg))
  if attr is None and arg is None:
    raise ValueError(MERGE_NONE.format(module=module, name=name))
  return attr if attr is not None else arg


def _canonical_axes(axes, ndim):
  axes = axes if isinstance(axes, (tuple, list)) else (axes,)
  return tuple(sorted(a % ndim for a in axes))


def _moments(x, axes, axis_name=None):
  """(mean, var) over `axes` (fast variance), averaged across `axis_name`."""
  x32 = x.astype(jnp.promote_types(jnp.float32, x.dtype))
  # x^2 comes before E[x] on purpose (as in linen): reverse mode sums x's
  # cotangent in reverse program order, so the sum then ends on the
  # full-size 2x * ct(E[x^2]) term, not on the broadcast ct(E[x]). XLA
  # fuses "something + broadcast" into every consumer as if it were
  # unary, and in a residual network that copied the whole cotangent
  # chain of the residual stream into each block's backward fusions
  # (1.5x the elementwise work of a transformer's train step).
  square = jnp.square(x32)
  mean = jnp.mean(x32, axis=axes)
  mean2 = jnp.mean(square, axis=axes)
  if axis_name is not None:
    stacked = lax.pmean(jnp.stack([mean, mean2]), axis_name)
    mean, mean2 = stacked[0], stacked[1]
  var = jnp.maximum(0.0, mean2 - jnp.square(mean))
  return mean, var


def _normalize(module, x, mean, var, reduction_axes, feature_axes, dtype,
               param_dtype, epsilon, use_bias, use_scale, bias_init,
               scale_init):
  """(x - mean) * rsqrt(var + eps) * scale + bias, params over features."""
  ndim = x.ndim
  stats_shape = [1 if i in reduction_axes else d
                 for i, d in enumerate(x.shape)]
  mean = jnp.reshape(mean, stats_shape)
  var = jnp.reshape(var, stats_shape)
  feature_shape = [1] * ndim
  param_shape = []
  for ax in feature_axes:
    feature_shape[ax] = x.shape[ax]
    param_shape.append(x.shape[ax])
  y = x - mean
  mul = lax.rsqrt(var + epsilon)
  args = [x]
  if use_scale:
    scale = module.param('scale', scale_init, tuple(param_shape), param_dtype)
    mul = mul * jnp.reshape(scale, feature_shape)
    args.append(scale)
  y = y * mul
  if use_bias:
    bias = module.param('bias', bias_init, tuple(param_shape), param_dtype)
    y = y + jnp.reshape(bias, feature_shape)
    args.append(bias)
  dtype = dtype or jnp.result_type(*args)
  return jnp.asarray(y, dtype)


class LayerNorm(Module):
  """Normalizes each example over `reduction_axes` (Ba et al. 2016)."""
  epsilon: float = 1e-6
  dtype: typing.Any = None
  param_dtype: typing.Any = jnp.float32
  use_bias: bool = True
  use_scale: bool = True
  bias_init: typing.Callable = initializers.zeros
  scale_init: typing.Callable = initializers.ones
  reduction_axes: typing.Any = -1
  feature_axes: typing.Any = -1
  axis_name: typing.Any = None
  axis_index_groups: typing.Any = None
  use_fast_variance: bool = True
  force_float32_reductions: bool = True

  @compact
  def __call__(self, x, *, mask=None):
    """Returns the normalized `x` (same shape)."""
    del mask
    reduction = _canonical_axes(self.reduction_axes, x.ndim)
    features = _canonical_axes(self.feature_axes, x.ndim)
    mean, var = _moments(x, reduction, self.axis_name)
    return _normalize(self, x, mean, var, reduction, features, self.dtype,
                      self.param_dtype, self.epsilon, self.use_bias,
                      self.use_scale, self.bias_init, self.scale_init)


class RMSNorm(Module):
  """x * rsqrt(mean(x^2) + eps) * scale (Zhang & Sennrich 2019)."""
  epsilon: float = 1e-6
  dtype: typing.Any = None
  param_dtype: typing.Any = jnp.float32
  use_scale: bool = True
  scale_init: typing.Callable = initializers.ones
  reduction_axes: typing.Any = -1
  feature_axes: typing.Any = -1
  axis_name: typing.Any = None
  axis_index_groups: typing.Any = None
  use_fast_variance: bool = True
  force_float32_reductions: bool = True

  @compact
  def __call__(self, x, *, mask=None):
    """Returns the RMS-normalized `x`."""
    del mask
    reduction = _canonical_axes(self.reduction_axes, x.ndim)
    features = _canonical_axes(self.feature_axes, x.ndim)
    x32 = x.astype(jnp.promote_types(jnp.float32, x.dtype))
    ms = jnp.mean(jnp.square(x32), axis=reduction)
    if self.axis_name is not None:
      ms = lax.pmean(ms, self.axis_name)
    zeros = jnp.zeros_like(ms)
    # mean 0 and var = mean(x^2): the shared normalizer gives x * rsqrt(ms)
    return _normalize(self, x, zeros, ms, reduction, features, self.dtype,
                      self.param_dtype, self.epsilon, False, self.use_scale,
                      None, self.scale_init)


class GroupNorm(Module):
  """Normalizes over groups of channels and the spatial axes (Wu & He
  2018). The first axis is the batch."""
  num_groups: typing.Optional[int] = 32
  group_size: typing.Optional[int] = None
  epsilon: float = 1e-6
  dtype: typing.Any = None
  param_dtype: typing.Any = jnp.float32
  use_bias: bool = True
  use_scale: bool = True
  bias_init: typing.Callable = initializers.zeros
  scale_init: typing.Callable = initializers.ones
  reduction_axes: typing.Any = None
  axis_name: typing.Any = None
  axis_index_groups: typing.Any = None
  use_fast_variance: bool = True
  force_float32_reductions: bool = True

  @compact
  def __call__(self, x, *, mask=None):
    """Returns the group-normalized `x`."""
    del mask
    channels = x.shape[-1]
    if (self.num_groups is None) == (self.group_size is None):
      raise ValueError(GROUPS_NONE.format(g=self.num_groups,
                                          s=self.group_size))
    groups = self.num_groups or channels // self.group_size
    size = self.group_size or channels // max(groups, 1)
    if groups * size != channels:
      raise ValueError(GROUPS_DIVIDE.format(channels=channels, groups=groups,
                                            size=size, shape=x.shape))
    grouped = jnp.reshape(x, x.shape[:-1] + (groups, size))
    axes = tuple(range(1, x.ndim - 1)) + (x.ndim,)
    mean, var = _moments(grouped, axes, self.axis_name)
    # stats per (batch, group): expand to every channel of the group
    mean = jnp.repeat(mean, size, axis=-1)
    var = jnp.repeat(var, size, axis=-1)
    reduction = tuple(range(1, x.ndim - 1))
    stats_shape = (x.shape[0],) + (1,) * (x.ndim - 2) + (channels,)
    return _normalize(self, x, jnp.reshape(mean, stats_shape),
                      jnp.reshape(var, stats_shape), reduction,
                      (x.ndim - 1,), self.dtype, self.param_dtype,
                      self.epsilon, self.use_bias, self.use_scale,
                      self.bias_init, self.scale_init)


class BatchNorm(Module):
  """Normalizes over the batch (Ioffe & Szegedy 2015), keeping running
  averages in the 'batch_stats' collection ('mean', 'var')."""
  use_running_average: typing.Optional[bool] = None
  axis: int = -1
  momentum: float = 0.99
  epsilon: float = 1e-5
  dtype: typing.Any = None
  param_dtype: typing.Any = jnp.float32
  use_bias: bool = True
  use_scale: bool = True
  bias_init: typing.Callable = initializers.zeros
  scale_init: typing.Callable = initializers.ones
  axis_name: typing.Any = None
  axis_index_groups: typing.Any = None
  use_fast_variance: bool = True
  force_float32_reductions: bool = True

  @compact
  def __call__(self, x, use_running_average=None, *, mask=None):
    """Normalizes `x` with batch statistics (training) or the running
    averages (`use_running_average=True`).

    Under training the running averages are updated, which needs
    `mutable=['batch_stats']` in apply().
    """
    del mask
    use_ra = merge_param(type(self).__name__, 'use_running_average',
                         self.use_running_average, use_running_average)
    features = _canonical_axes(self.axis, x.ndim)
    reduction = tuple(i for i in range(x.ndim) if i not in features)
    feature_shape = tuple(x.shape[i] for i in features)
    ra_mean = self.variable('batch_stats', 'mean',
                            lambda s: jnp.zeros(s, jnp.float32),
                            feature_shape)
    ra_var = self.variable('batch_stats', 'var',
                           lambda s: jnp.ones(s, jnp.float32), feature_shape)
    if use_ra:
      mean, var = ra_mean.value, ra_var.value
    else:
      mean, var = _moments(x, reduction, self.axis_name)
      if not self.is_initializing():
        m = self.momentum
        ra_mean.value = m * ra_mean.value + (1 - m) * mean
        ra_var.value = m * ra_var.value + (1 - m) * var
    return _normalize(self, x, mean, var, reduction, features, self.dtype,
                      self.param_dtype, self.epsilon, self.use_bias,
                      self.use_scale, self.bias_init, self.scale_init)

