"""Dropout (Srivastava et al. 2014): random zeroing during training."""

import typing

import morphax.numpy as jnp
from morphax import lax
import morphax_rng as random

from ..module import Module, compact
from .normalization import merge_param


class Dropout(Module):
  """Zeroes inputs with probability `rate` and scales the rest by
  1 / (1 - rate); identity when `deterministic`.

  Needs the rng stream `rng_collection` ('dropout') in apply().
  """
  rate: float
  broadcast_dims: typing.Sequence[int] = ()
  deterministic: typing.Optional[bool] = None
  rng_collection: str = 'dropout'

  @compact
  def __call__(self, inputs, deterministic=None, rng=None):
    """Applies dropout to `inputs` (same shape)."""
    deterministic = merge_param(type(self).__name__, 'deterministic',
                                self.deterministic, deterministic)
    if self.rate == 0.0 or deterministic:
      return inputs
    if self.rate == 1.0:
      return jnp.zeros_like(inputs)
    keep_prob = 1.0 - self.rate
    if rng is None:
      rng = self.make_rng(self.rng_collection)
    shape = list(inputs.shape)
    for dim in self.broadcast_dims:
      shape[dim] = 1
    keep = random.bernoulli(rng, keep_prob, tuple(shape))
    keep = jnp.broadcast_to(keep, inputs.shape)
    return lax.select(keep, inputs / keep_prob, jnp.zeros_like(inputs))
