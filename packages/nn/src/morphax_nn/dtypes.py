"""dtype helpers shared by the layers (linen's promote_dtype)."""

import morphax.numpy as jnp


def promote_dtype(*args, dtype=None, inexact=True):
  """Casts the non-None `args` to `dtype`, or to their common result type.

  Returns:
    a list with the cast arrays (None stays None).
  """
  if dtype is None:
    present = [a for a in args if a is not None]
    dtype = jnp.result_type(*present)
    if inexact and not jnp.issubdtype(dtype, jnp.inexact):
      dtype = jnp.promote_types(jnp.float32, dtype)
  return [None if a is None else jnp.asarray(a, dtype) for a in args]


def canonicalize_padding(padding, rank):
  """Padding as a string or a list of `rank` (low, high) pairs."""
  if isinstance(padding, str):
    return padding
  if isinstance(padding, int):
    return [(padding, padding)] * rank
  pads = []
  for p in padding:
    pads.append((p, p) if isinstance(p, int) else tuple(p))
  if len(pads) == 1 and rank > 1:
    pads = pads * rank
  if len(pads) != rank:
    raise ValueError(f'padding {padding!r}: expected {rank} (low, high) '
                     f'pairs (one per spatial dimension), an int or a string.')
  return pads
