"""Sequential: calls its layers in order, each on the previous output."""

import typing

from ..module import Module

EMPTY = ('Empty Sequential module: give it at least one layer, e.g. '
         'Sequential([Dense(8), relu]).')


class Sequential(Module):
  """Applies `layers` in order; a tuple output is splatted into the next
  layer, a dict output passed as keyword arguments."""
  layers: typing.Sequence[typing.Callable]

  def __call__(self, *args, **kwargs):
    """Runs the layers on `args`."""
    if not self.layers:
      raise ValueError(EMPTY)
    outputs = self.layers[0](*args, **kwargs)
    for layer in self.layers[1:]:
      if isinstance(outputs, tuple):
        outputs = layer(*outputs)
      elif isinstance(outputs, dict):
        outputs = layer(**outputs)
      else:
        outputs = layer(outputs)
    return outputs
