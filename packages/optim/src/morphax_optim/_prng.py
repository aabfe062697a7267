"""A small threefry2x32 counter-based generator for add_noise.

morphax_optim depends on core only, so it carries its own few lines of PRNG.
"""
import functools

import numpy as np
import morphax
import morphax.numpy as jnp
from morphax import lax

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = np.uint32(0x1BD11BDA)


def _rotl(x, r):
  return lax.shift_left(x, r) | lax.shift_right_logical(x, 32 - r)


def threefry2x32(key, x0, x1):
  """Threefry-2x32 with 20 rounds (Salmon et al., 2011) of counters (x0, x1)."""
  k0, k1 = key[0], key[1]
  ks = (k0, k1, k0 ^ k1 ^ _PARITY)
  x0 = x0 + ks[0]
  x1 = x1 + ks[1]
  for i in range(5):
    for r in _ROTATIONS[i % 2]:
      x0 = x0 + x1
      x1 = _rotl(x1, r)
      x1 = x0 ^ x1
    x0 = x0 + ks[(i + 1) % 3]
    x1 = x1 + ks[(i + 2) % 3] + jnp.uint32(i + 1)
  return x0, x1


def canonicalize_key(key):
  """An int seed becomes the raw key uint32[2] = [0, seed]; arrays pass through."""
  if isinstance(key, int):
    return jnp.asarray(np.array([0, key & 0xFFFFFFFF], np.uint32))
  return jnp.asarray(key).astype(jnp.uint32)


# NB: jitted so that eager use compiles one program instead of ~100 single ops.
@functools.partial(morphax.jit, static_argnums=(1,))
def split(key, num=2):
  """Returns num new keys, shaped (num, 2)."""
  counts = jnp.arange(2 * num, dtype=jnp.uint32)
  y0, y1 = threefry2x32(key, counts[:num], counts[num:])
  return jnp.stack([y0, y1], axis=1)


def _uniform_bits_to_float(bits):
  """uint32 bits -> float32 in [0, 1) from the top 23 bits."""
  return lax.bitcast_convert_type(
      lax.shift_right_logical(bits, 9) | np.uint32(0x3F800000), jnp.float32) - 1.0


@functools.partial(morphax.jit, static_argnums=(1, 2))
def normal(key, shape, dtype):
  """Standard normal samples of the given shape (Box-Muller on threefry bits).

  NB: not bit-identical to jax.random.normal (which uses erf_inv): an
  erf_inv of fused threefry bits makes XLA's CPU compile take seconds.
  """
  n = int(np.prod(shape)) if shape else 1
  half = (n + 1) // 2
  counts = jnp.arange(2 * half, dtype=jnp.uint32)
  y0, y1 = threefry2x32(key, counts[:half], counts[half:])
  u1 = 1.0 - _uniform_bits_to_float(y0)  # in (0, 1]: log is finite
  u2 = _uniform_bits_to_float(y1)
  radius = jnp.sqrt(-2.0 * jnp.log(u1))
  angle = np.float32(2 * np.pi) * u2
  z = jnp.concatenate([radius * jnp.cos(angle), radius * jnp.sin(angle)])[:n]
  return z.reshape(shape).astype(dtype)
