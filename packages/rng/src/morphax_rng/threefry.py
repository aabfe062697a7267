"""The threefry2x32 counter-based hash and JAX's key operations on raw key data.

Everything here works on raw `uint32[..., 2]` key data with morphax.lax ops
only, so it jits, vmaps and lowers like any other code.
"""

import math

import numpy as np

import morphax
from morphax import lax
import morphax.numpy as jnp

# Rotation constants of Threefry-2x32 (Salmon et al., "Parallel random numbers:
# as easy as 1, 2, 3", SC'11, table 4), alternating every four rounds.
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_KEY_PARITY = 0x1BD11BDA
_MASK32 = 0xFFFFFFFF

ERR_BITS_TOO_MANY = (
    "random bits: an array of {size} elements needs more than 2**32 counters; "
    "morphax_rng draws at most 2**32 - 1 values per call. Split the key and "
    "draw in pieces.")


def _rotate_left(x, r):
  """Rotates the bits of uint32 `x` left by the Python int `r`."""
  return lax.bitwise_or(lax.shift_left(x, r), lax.shift_right_logical(x, 32 - r))


def _mix(x0, x1, r):
  """One Threefry round: add, rotate, xor."""
  x0 = lax.add(x0, x1)
  x1 = lax.bitwise_xor(x0, _rotate_left(x1, r))
  return x0, x1


def threefry2x32(k0, k1, x0, x1):
  """Threefry-2x32 with 20 rounds: hashes counters (x0, x1) under key (k0, k1).

  Args:
    k0, k1: uint32 key words, scalars or arrays broadcastable to x0's shape.
    x0, x1: uint32 counter words of one shape.

  Returns:
    The pair of uint32 output words, each of x0's shape.

  Example:
    >>> threefry2x32(np.uint32(0), np.uint32(0), x0, x1)  # Random123 KAT
  """
  x0 = jnp.asarray(x0, np.uint32)
  x1 = jnp.asarray(x1, np.uint32)
  k0 = jnp.broadcast_to(jnp.asarray(k0, np.uint32), x0.shape)
  k1 = jnp.broadcast_to(jnp.asarray(k1, np.uint32), x0.shape)
  ks = (k0, k1, lax.bitwise_xor(lax.bitwise_xor(k0, k1), _KEY_PARITY))
  x0 = lax.add(x0, ks[0])
  x1 = lax.add(x1, ks[1])
  if x0.size < UNROLL_MIN_SIZE:
    return _rolled_rounds(x0, x1, ks)
  return _unrolled_rounds(x0, x1, ks)


# Straight-line rounds run ~4x faster on big arrays but take about twice as
# long to compile; small draws (most calls in a model's init) use a loop.
UNROLL_MIN_SIZE = 1 << 14


def _unrolled_rounds(x0, x1, ks):
  """The 5 groups of 4 rounds, unrolled."""
  for group in range(5):
    for r in _ROTATIONS[group % 2]:
      x0, x1 = _mix(x0, x1, r)
    # Key injection after every four rounds (the key schedule rotates).
    x0 = lax.add(x0, ks[(group + 1) % 3])
    x1 = lax.add(lax.add(x1, ks[(group + 2) % 3]), group + 1)
  return x0, x1


def _rolled_rounds(x0, x1, ks):
  """The 5 groups of 4 rounds as a loop (smaller programs, faster compiles).

  The key schedule and the rotation sets rotate with the loop, carried as
  values; rotation amounts become uint32 arrays.
  """
  rot = (np.array(_ROTATIONS[0], np.uint32), np.array(_ROTATIONS[1], np.uint32))

  def group(i, state):
    x0, x1, k_a, k_b, k_c, r_a, r_b = state
    for j in range(4):
      r = jnp.broadcast_to(r_a[j], x1.shape)
      x0 = lax.add(x0, x1)
      x1 = lax.bitwise_xor(x0, lax.bitwise_or(lax.shift_left(x1, r),
                                              lax.shift_right_logical(x1, lax.sub(32, r))))
    x0 = lax.add(x0, k_a)
    x1 = lax.add(lax.add(x1, k_b), jnp.broadcast_to(
        lax.convert_element_type(i + 1, np.uint32), x1.shape))
    return x0, x1, k_b, k_c, k_a, r_b, r_a

  state = (x0, x1, ks[1], ks[2], ks[0], jnp.asarray(rot[0]), jnp.asarray(rot[1]))
  out = lax.fori_loop(0, 5, group, state)
  return out[0], out[1]


def threefry_2x32(keypair, count):
  """Hashes a uint32 array `count` with a raw key, like jax.prng.threefry_2x32.

  The flattened counts are split into halves (padded with a zero when odd)
  that serve as the two counter words.

  Args:
    keypair: a raw key, uint32[2] (or a pair of uint32 scalars).
    count: uint32 array of any shape.

  Returns:
    uint32 array of `count`'s shape.
  """
  k0, k1 = keypair[0], keypair[1]
  count = jnp.asarray(count, np.uint32)
  flat = jnp.ravel(count)
  odd = flat.shape[0] % 2
  if odd:
    flat = jnp.concatenate([flat, jnp.zeros((1,), np.uint32)])
  half = flat.shape[0] // 2
  y0, y1 = threefry2x32(k0, k1, flat[:half], flat[half:])
  out = jnp.concatenate([y0, y1])
  if odd:
    out = out[:-1]
  return jnp.reshape(out, count.shape)


def iota_2x32(shape):
  """Row-major linear indices over `shape` as (high, low) uint32 words."""
  size = math.prod(shape)
  if size >= 2 ** 32:
    raise NotImplementedError(ERR_BITS_TOO_MANY.format(size=size))
  lo = jnp.reshape(lax.iota(np.uint32, size), shape)
  return jnp.zeros(shape, np.uint32), lo


def seed_to_key_data(seed):
  """Raw key data uint32[2] from an integer seed, as jax.random.PRNGKey does.

  Python ints are taken as int64 (an OverflowError past that range, like
  JAX), then wrapped to the default int width: without x64 only the low 32
  bits count, so PRNGKey(2**32 + 7) == PRNGKey(7) and PRNGKey(-1) is
  [0, 0xFFFFFFFF]; with x64 the high word is kept.
  """
  if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
    seed = int(np.int64(seed))  # raises OverflowError like JAX
    hi = (seed >> 32) & _MASK32 if morphax.config.jax_enable_x64 else 0
    return jnp.asarray(np.array([hi, seed & _MASK32], np.uint32))
  seed = jnp.asarray(seed)
  if np.dtype(seed.dtype).itemsize == 8:
    hi = lax.convert_element_type(lax.shift_right_logical(seed, 32), np.uint32)
  else:
    hi = jnp.zeros((), np.uint32)
  lo = lax.convert_element_type(seed, np.uint32)
  return jnp.stack([hi, lo])


def split_data(key_data, shape):
  """Splits one raw key into `shape` new raw keys (JAX's partitionable split)."""
  hi, lo = iota_2x32(shape)
  y0, y1 = threefry2x32(key_data[0], key_data[1], hi, lo)
  return jnp.stack([y0, y1], axis=len(shape))


def fold_in_data(key_data, data):
  """Folds a uint32 scalar `data` into a raw key: hash of counters (0, data)."""
  data = jnp.asarray(data, np.uint32)
  y0, y1 = threefry2x32(key_data[0], key_data[1],
                        jnp.zeros((1,), np.uint32), jnp.reshape(data, (1,)))
  return jnp.concatenate([y0, y1])


def random_bits_data(key_data, bit_width, shape):
  """Random unsigned ints of `bit_width` bits from a raw key (partitionable)."""
  hi, lo = iota_2x32(shape)
  y0, y1 = threefry2x32(key_data[0], key_data[1], hi, lo)
  if bit_width == 64:
    y0 = lax.convert_element_type(y0, np.uint64)
    y1 = lax.convert_element_type(y1, np.uint64)
    return lax.bitwise_or(lax.shift_left(y0, 32), y1)
  bits = lax.bitwise_xor(y0, y1)
  if bit_width == 32:
    return bits
  return lax.convert_element_type(bits, np.dtype(f"uint{bit_width}"))
