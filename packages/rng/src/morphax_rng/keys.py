"""Keys: raw uint32[2] keys, the typed key array, and split/fold_in/bits.

Every sampler takes either kind of key; `check_key` turns it into raw key data
and says whether to wrap results back into a typed key.
"""

import numpy as np

import morphax
import morphax.numpy as jnp
from morphax.tree_util import register_pytree_node_class

from . import threefry

KEY_HELP = (
    "A key is what morphax_rng.PRNGKey(seed) returns (a uint32 array of shape "
    "(2,), as jax.random.PRNGKey) or what morphax_rng.key(seed) returns (a "
    "typed key array). Make one from an integer seed, e.g. "
    "`key = morphax_rng.PRNGKey(0)`, then split it for each use: "
    "`key, subkey = morphax_rng.split(key)`.")
ERR_NOT_A_KEY = "{name}: expected a PRNG key as `key`, got {what}. " + KEY_HELP
ERR_BATCHED_KEY = (
    "{name} accepts a single key, but was given a key array of shape {shape} "
    "!= (). Use morphax.vmap for batching: `morphax.vmap(lambda k: "
    "morphax_rng.{name}(k, ...))(keys)`.")
ERR_SEED_SHAPE = (
    "{name} accepts a scalar integer seed, but was given an array of shape "
    "{shape} != (). Use morphax.vmap(morphax_rng.{name}) to make a batch of keys.")
ERR_SEED_DTYPE = (
    "{name} accepts an integer seed, but was given {what}. Use an int, e.g. "
    "morphax_rng.{name}(0).")
ERR_SEED_IS_KEY = "{name} accepts a scalar seed, but was given a PRNG key."
ERR_WRAP = (
    "wrap_key_data: expected uint32 key data of shape (..., 2), got {what}. "
    "The data of a threefry key is two uint32 words; key_data(key) returns it.")
ERR_FOLD_IN_RANGE = (
    "fold_in: Python integer {data} out of bounds for uint32; `data` must be in "
    "[0, 2**32). Reduce it first, e.g. fold_in(key, data % 2**32).")
ERR_FOLD_IN_DATA = (
    "fold_in accepts a scalar integer as `data`, but was given an array of "
    "shape {shape} != (). Use morphax.vmap for batching.")


class KeyDType:
  """The dtype of typed threefry keys, printed as JAX prints it: key<fry>."""
  name = "key<fry>"

  def __repr__(self):
    return self.name

  __str__ = __repr__

  def __eq__(self, other):
    return isinstance(other, KeyDType)

  def __hash__(self):
    return hash(self.name)


KEY_DTYPE = KeyDType()


@register_pytree_node_class
class PRNGKeyArray:
  """An array of typed threefry keys, as made by `key(seed)`.

  Its leaf is the raw data, uint32 of shape `(*shape, 2)`, so a key array
  passes through jit, vmap (batch axes in front) and tree_map like any
  array. `shape` is the shape of the key array itself, without the trailing 2.
  """
  __slots__ = ("_base",)

  def __init__(self, base):
    self._base = base

  def tree_flatten(self):
    return (self._base,), None

  @classmethod
  def tree_unflatten(cls, _, children):
    return cls(children[0])

  @property
  def shape(self):
    return tuple(self._base.shape[:-1])

  @property
  def ndim(self):
    return len(self.shape)

  @property
  def size(self):
    return int(np.prod(self.shape, dtype=np.int64))

  @property
  def dtype(self):
    return KEY_DTYPE

  def __len__(self):
    if not self.shape:
      raise TypeError("len() of unsized object (a scalar key array)")
    return self.shape[0]

  def __iter__(self):
    return (self[i] for i in range(len(self)))

  def __getitem__(self, idx):
    idx = idx if isinstance(idx, tuple) else (idx,)
    # The trailing key-word axis is never indexed.
    tail = (slice(None),) if any(i is Ellipsis for i in idx) else (Ellipsis, slice(None))
    return PRNGKeyArray(self._base[idx + tail])

  def reshape(self, *shape):
    """The same keys in a new shape."""
    shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
    return PRNGKeyArray(jnp.reshape(self._base, (*shape, 2)))

  def ravel(self):
    """The keys as a 1-D key array."""
    return self.reshape(-1)

  flatten = ravel

  def block_until_ready(self):
    """Waits for the key data to be computed."""
    self._base.block_until_ready()
    return self

  def __eq__(self, other):
    if not isinstance(other, PRNGKeyArray):
      return NotImplemented
    return jnp.all(self._base == other._base, axis=-1)

  def __ne__(self, other):
    if not isinstance(other, PRNGKeyArray):
      return NotImplemented
    return jnp.any(self._base != other._base, axis=-1)

  __hash__ = None

  def __repr__(self):
    return (f"Array({self.shape}, dtype={KEY_DTYPE}) overlaying:\n"
            f"{np.asarray(self._base)}")


def _describe(x):
  """A short description of a wrong `key` for error messages."""
  if hasattr(x, "shape") and hasattr(x, "dtype"):
    return f"an array of dtype {x.dtype} and shape {tuple(x.shape)}"
  return f"{type(x).__name__} {x!r}"[:120]


def check_key(name, key, allow_batched=False):
  """Raw key data of `key` and whether it was a typed key.

  Raises a TypeError that says what a key is for anything else, and a
  ValueError for a batch of keys (unless `allow_batched`).
  """
  if isinstance(key, PRNGKeyArray):
    data, typed = key._base, True
  elif hasattr(key, "shape") and hasattr(key, "dtype"):
    if (np.dtype(key.dtype) != np.uint32 or not key.shape or key.shape[-1] != 2):
      raise TypeError(ERR_NOT_A_KEY.format(name=name, what=_describe(key)))
    data, typed = jnp.asarray(key), False
  else:
    raise TypeError(ERR_NOT_A_KEY.format(name=name, what=_describe(key)))
  if not allow_batched and data.ndim != 1:
    raise ValueError(ERR_BATCHED_KEY.format(name=name, shape=tuple(data.shape[:-1])))
  return data, typed


def wrap_like(data, typed):
  """Raw key data, wrapped into a typed key array when the input was typed."""
  return PRNGKeyArray(data) if typed else data


def _seed_data(name, seed):
  """Checks a seed and returns its raw key data."""
  if isinstance(seed, PRNGKeyArray):
    raise TypeError(ERR_SEED_IS_KEY.format(name=name))
  if isinstance(seed, (bool, np.bool_)) or not (
      isinstance(seed, (int, np.integer)) or hasattr(seed, "dtype")):
    raise TypeError(ERR_SEED_DTYPE.format(name=name, what=_describe(seed)))
  if hasattr(seed, "dtype"):
    if np.ndim(seed) if not hasattr(seed, "ndim") else seed.ndim:
      raise TypeError(ERR_SEED_SHAPE.format(name=name, shape=tuple(seed.shape)))
    if not np.issubdtype(np.dtype(seed.dtype), np.integer):
      raise TypeError(ERR_SEED_DTYPE.format(name=name, what=_describe(seed)))
  return threefry.seed_to_key_data(seed)


def PRNGKey(seed):  # noqa: N802 (JAX's name)
  """A raw key, uint32[2], from an integer seed, like jax.random.PRNGKey.

  Args:
    seed: a Python int (64-bit range; without x64 only its low 32 bits
      count, as in JAX) or an integer scalar array (may be traced).

  Returns:
    uint32 array of shape (2,).

  Example:
    >>> PRNGKey(0)
    Array([0, 0], dtype=uint32)
  """
  return _seed_data("PRNGKey", seed)


def key(seed):
  """A typed key (a scalar key array) from an integer seed, like jax.random.key.

  Example:
    >>> k = key(0); k.shape
    ()
  """
  return PRNGKeyArray(_seed_data("key", seed))


def key_data(keys):
  """The raw uint32 data of typed keys, shape (*keys.shape, 2); raw keys pass."""
  data, _ = check_key("key_data", keys, allow_batched=True)
  return data


def wrap_key_data(key_bits_array, *, impl=None):
  """Typed keys from raw uint32 data of shape (..., 2), like jax.random.wrap_key_data."""
  if impl not in (None, "threefry2x32"):
    raise ValueError(f"wrap_key_data: only impl='threefry2x32' exists, got {impl!r}")
  arr = key_bits_array
  if (not hasattr(arr, "dtype") or np.dtype(arr.dtype) != np.uint32
      or not np.shape(arr) or np.shape(arr)[-1] != 2):
    raise TypeError(ERR_WRAP.format(what=_describe(arr)))
  return PRNGKeyArray(jnp.asarray(arr))


def key_impl(keys):
  """The name of the key implementation: always 'threefry2x32'."""
  check_key("key_impl", keys, allow_batched=True)
  return "threefry2x32"


def clone(key):
  """A copy of `key` (keys are immutable values, so this is the key itself)."""
  return key


def _shape_tuple(num):
  """`num` (an int or a sequence of ints) as a shape tuple."""
  return tuple(int(n) for n in num) if np.ndim(num) else (int(num),)


def split(key, num=2):
  """Splits a key into `num` new keys (num may be a shape), like jax.random.split.

  Returns:
    keys of shape (num, 2) for raw keys ((*num, 2) for a shape), or a typed
    key array of shape (num,) for a typed key.

  Example:
    >>> key, subkey = split(PRNGKey(0))
  """
  data, typed = check_key("split", key)
  return wrap_like(_split_jit(data, _shape_tuple(num)), typed)


_split_jit = morphax.jit(threefry.split_data, static_argnums=(1,))


def _fold_in_impl(data, value):
  return threefry.fold_in_data(data, value)


_fold_in_jit = morphax.jit(_fold_in_impl)


def fold_in(key, data):
  """A new key from `key` and an integer `data`, like jax.random.fold_in.

  Example:
    >>> step_key = fold_in(PRNGKey(0), step)
  """
  raw, typed = check_key("fold_in", key)
  if np.ndim(data):
    raise TypeError(ERR_FOLD_IN_DATA.format(shape=np.shape(data)))
  if isinstance(data, (int, np.integer)):
    if not 0 <= int(data) < 2 ** 32:
      raise OverflowError(ERR_FOLD_IN_RANGE.format(data=int(data)))
    data = np.uint32(data)
  return wrap_like(_fold_in_jit(raw, data), typed)


def _bits_impl(data, bit_width, shape):
  return threefry.random_bits_data(data, bit_width, shape)


random_bits_jit = morphax.jit(_bits_impl, static_argnums=(1, 2))


def canonical_shape(shape):
  """`shape` as a tuple of ints (an int is taken as a 1-D shape)."""
  if shape is None:
    return None
  if isinstance(shape, (int, np.integer)):
    return (int(shape),)
  return tuple(int(d) for d in shape)


def bits(key, shape=(), dtype=None):
  """Uniform random unsigned ints, like jax.random.bits.

  Args:
    key: a key.
    shape: output shape.
    dtype: uint8, uint16, uint32 (default) or uint64 (needs x64).

  Example:
    >>> bits(PRNGKey(0), (3,))
  """
  data, _ = check_key("bits", key)
  dtype = np.dtype(np.uint32 if dtype is None else dtype)
  if not np.issubdtype(dtype, np.unsignedinteger):
    raise ValueError(f"dtype argument to `bits` must be an unsigned int dtype, got {dtype}")
  dtype = morphax.dtypes.canonicalize_dtype(dtype)
  return random_bits_jit(data, np.dtype(dtype).itemsize * 8, canonical_shape(shape))
