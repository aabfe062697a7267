"""Array: an immutable device buffer with its aval; host <-> device transfers.

Operators and NumPy-style methods are installed by morphax.numpy (the layer
that knows the ops), through `set_array_methods`; this file knows only PJRT.
"""

import importlib.util
import sys

import numpy as np
from jaxlib import _jax
from jaxlib import xla_client as xc

from ..core import avals as avals_lib
from . import backend

# jaxlib's device->host copies try `import jax.core` and
# `jax._src.sharding_impls` on every call; where jax is not installed each
# failed import searches sys.path again (~0.2 ms a copy). This finder,
# first on sys.meta_path, ends that search at once with the same
# ModuleNotFoundError. sys.modules is left alone: libraries that probe it
# for jax (scipy's array-API layer) see what they saw before.
class _NoJaxFinder:
  """Fails imports of the absent `jax` package without a path search."""

  @staticmethod
  def find_spec(name, path=None, target=None):
    if name == "jax" or name.startswith("jax."):
      raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    return None


if "jax" not in sys.modules and importlib.util.find_spec("jax") is None:
  sys.meta_path.insert(0, _NoJaxFinder)

_SingleDeviceSharding = _jax.SingleDeviceSharding
_GSPMDSharding = _jax.GSPMDSharding

# jaxlib's C++ arrays call these on their sharding (see JAXLIB.md).
_SingleDeviceSharding._device_assignment = property(lambda self: (self._device,))
_SingleDeviceSharding._to_xla_hlo_sharding = (
    lambda self, ndim: xc.HloSharding.replicate())
_GSPMDSharding._device_assignment = property(lambda self: tuple(self._devices))
_GSPMDSharding._to_xla_hlo_sharding = lambda self, ndim: self._hlo_sharding

_COPY_SEMANTICS = _jax.HostBufferSemantics.IMMUTABLE_ONLY_DURING_CALL
# The device may keep using the host buffer (and keeps the numpy array
# alive); on CPU, a C-contiguous 64-byte-aligned buffer is then used in
# place, anything else is still copied.
_ALIAS_SEMANTICS = _jax.HostBufferSemantics.ZERO_COPY

_shardings = {}


def sharding_for(device):
  """The (cached) single-device sharding of `device`."""
  sharding = _shardings.get(device)
  if sharding is None:
    sharding = _shardings[device] = _SingleDeviceSharding(device)
  return sharding


def replica_sharding(devices):
  """The (cached) sharding of a pmap operand or result over `devices`.

  jaxlib sees one per-device aval on every device (a 'replicated' array);
  its buffers hold the different slices of a pmapped value, and the morphax
  Array wrapping it carries the global aval (device count first).
  """
  devices = tuple(devices)
  sharding = _shardings.get(devices)
  if sharding is None:
    sharding = _shardings[devices] = _GSPMDSharding(
        xc._xla.DeviceList(devices), xc.HloSharding.replicate())
  return sharding


PEER_LOST_MESSAGE = (
    "A collective across processes failed: a peer process of this distributed "
    "run died or disconnected, so this result can never be computed. The run "
    "cannot continue; restart every process (from a checkpoint). Cause: {cause}")


def _shard_to_host(buf):
  """The host copy of a single-device jaxlib array. A cross-process
  collective that lost its peer fails here (results are computed
  asynchronously): that error is reported as a lost peer."""
  try:
    return buf._single_device_array_to_np_array_did_copy()[0]
  except _jax.JaxRuntimeError as e:
    text = str(e)
    if "Gloo" in text or "peer" in text or "distributed" in text.lower():
      raise RuntimeError(PEER_LOST_MESSAGE.format(cause=text.splitlines()[0][:400])) from e
    raise


IMMUTABLE_MESSAGE = """\
morphax arrays are immutable: '{type}' object does not support item assignment.
Instead of
    x[idx] = y
write
    x = x.at[idx].set(y)"""


class Array:
  """An immutable n-dimensional array living on a device.

  `shape`, `dtype`, `ndim`, `size` and `weak_type` come from its aval;
  `np.asarray(x)` copies it to the host.

  A pmap result is sharded: `_device` is None and `_buf` is a jaxlib array
  over several devices whose buffer i holds `x[i]` (`aval` is the global
  one). It stays on its devices when fed back to pmap; np.asarray gathers
  it, and `x[i]` fetches only shard i.
  """
  __slots__ = ("_buf", "aval", "_device", "_committed", "_npy", "__weakref__")
  __array_priority__ = 100

  def __init__(self, buf, aval, device, committed):
    self._buf = buf
    self.aval = aval
    self._device = device
    self._committed = committed
    self._npy = None

  shape = property(lambda self: self.aval.shape)
  dtype = property(lambda self: self.aval.dtype)
  ndim = property(lambda self: self.aval.ndim)
  size = property(lambda self: self.aval.size)
  weak_type = property(lambda self: self.aval.weak_type)

  @property
  def nbytes(self):
    return self.aval.size * self.aval.dtype.itemsize

  @property
  def itemsize(self):
    return self.aval.dtype.itemsize

  @property
  def device(self):
    if self._device is None:
      raise ValueError(
          f"Array {self.aval.str_short()} is sharded over {len(self._shards())} "
          "devices, so it has no single .device; see .devices() or .sharding")
    return self._device

  @property
  def committed(self):
    return self._committed

  @property
  def sharding(self):
    if self._device is None:
      return self._buf._sharding
    return sharding_for(self._device)

  def devices(self):
    if self._device is None:
      return set(self._buf._sharding._devices)
    return {self._device}

  @property
  def is_sharded(self):
    """True for a pmap result spread over several devices."""
    return self._device is None

  def _shards(self):
    """The per-device jaxlib arrays of a sharded Array, in device order."""
    return self._buf._arrays

  @property
  def addressable_shards(self):
    """One single-device Array per device of this process holding part of
    this array (itself, for a single-device Array)."""
    if self._device is not None:
      return [self]
    shard_aval = self.aval.update(shape=self.aval.shape[1:])
    return [Array(b, shard_aval, b._sharding._device, True) for b in self._shards()]

  def block_until_ready(self):
    self._buf.block_until_ready()
    return self

  def is_ready(self):
    return self._buf.is_ready()

  def copy_to_host_async(self):
    if self._device is None:
      for b in self._shards():
        b._copy_single_device_array_to_host_async()
      return
    self._buf._copy_single_device_array_to_host_async()

  def unsafe_buffer_pointer(self):
    """The address of this single-device Array's device buffer."""
    if self._device is None:
      raise ValueError("unsafe_buffer_pointer: this Array is spread over several "
                       "devices; use .addressable_shards")
    return self._buf.unsafe_buffer_pointer()

  def delete(self):
    self._buf.delete()

  def is_deleted(self):
    return self._buf.is_deleted()

  # --- Host values ---------------------------------------------------------
  def _value(self):
    """The host copy as a read-only numpy array, fetched once.

    NB: np.asarray on jaxlib's array gives an object array for bfloat16;
    this method returns the real dtype for every type.
    """
    if self._npy is None:
      if self._buf.is_deleted():
        raise RuntimeError(
            f"Array {self.aval.str_short()} has been deleted: it was donated to "
            "a jit call (donate_argnums) or deleted with .delete().")
      if self._device is None:
        self._npy = self._gather()
      else:
        self._npy = _shard_to_host(self._buf)
    return self._npy

  def _gather(self):
    """The host value of a sharded Array: its shards stacked."""
    out = np.stack([_shard_to_host(b) for b in self._shards()])
    out.flags.writeable = False
    return out

  def _shard(self, index):
    """Row `index` of a sharded Array, fetched from its device alone."""
    n = self.aval.shape[0]
    if not -n <= index < n:
      raise IndexError(f"index {index} is out of bounds for axis 0 with size {n}")
    buf = self._shards()[index % n]
    return Array(buf, self.aval.update(shape=self.aval.shape[1:]),
                 buf._sharding._device, False)

  def __array__(self, dtype=None, copy=None):
    value = self._value()
    if dtype is not None and np.dtype(dtype) != value.dtype:
      return value.astype(dtype)
    if copy:
      return value.copy()
    return value

  def item(self, *args):
    return self._value().item(*args)

  def tolist(self):
    return self._value().tolist()

  def _scalar(self, convert, name):
    if self.aval.size != 1:
      raise TypeError(
          f"only size-1 arrays can be converted to Python {name}; this array "
          f"has shape {self.shape}")
    return convert(self._value().reshape(()))

  def __float__(self):
    return self._scalar(float, "float")

  def __int__(self):
    return self._scalar(int, "int")

  def __complex__(self):
    return self._scalar(complex, "complex")

  def __bool__(self):
    if self.aval.size != 1:
      raise ValueError(
          f"The truth value of an array with shape {self.shape} is ambiguous. "
          "Use a.any() or a.all().")
    return bool(self._value().reshape(()))

  def __index__(self):
    if not avals_lib.is_integer(self.dtype) and self.dtype != avals_lib.bool_:
      raise TypeError(
          f"only integer arrays can be used as an index, got dtype {self.dtype.name}")
    return self._scalar(int, "int")

  def __len__(self):
    if self.ndim == 0:
      raise TypeError("len() of unsized object (a 0-d array)")
    return self.shape[0]

  def __iter__(self):
    if self.ndim == 0:
      raise TypeError("iteration over a 0-d array")
    return (self[i] for i in range(self.shape[0]))

  def __reversed__(self):
    if self.ndim == 0:
      raise TypeError("iteration over a 0-d array")
    return (self[i] for i in reversed(range(self.shape[0])))

  def __setitem__(self, index, value):
    raise TypeError(IMMUTABLE_MESSAGE.format(type=type(self).__name__))

  __hash__ = None

  def __repr__(self):
    value = self._value()
    if self.size == 0:
      body = f"[], shape={self.shape}" if self.ndim != 1 else "[]"
    else:
      body = np.array2string(value, separator=", ", prefix="Array(")
    weak = ", weak_type=True" if self.weak_type else ""
    return f"Array({body}, dtype={self.dtype.name}{weak})"

  def __str__(self):
    return str(self._value())

  def __format__(self, spec):
    if self.ndim == 0:
      return format(self._value().item(), spec)
    return format(str(self), spec)

  def __reduce__(self):
    return (_rebuild, (self._value(), self.weak_type))

  def __dlpack__(self, *args, **kwargs):
    return self._value().__dlpack__(*args, **kwargs)

  def __dlpack_device__(self):
    return self._value().__dlpack_device__()


def _rebuild(value, weak_type):
  return put(value, avals_lib.ShapedArray(value.shape, value.dtype, weak_type),
             backend.default_device(), committed=False)


def put(value, aval, device, committed, may_alias=False):
  """Copies host numpy `value` (already of `aval.dtype`) onto `device`; with
  `may_alias`, the Array may share `value`'s memory instead (the caller
  promises never to write `value` again)."""
  semantics = _ALIAS_SEMANTICS if may_alias else _COPY_SEMANTICS
  buf = _jax.batched_device_put(
      aval, sharding_for(device), [value], [device], committed, False,
      semantics, enable_x64=avals_lib.x64_enabled())
  return Array(buf, aval, device, committed)


def set_array_methods(cls, methods):
  """Installs NumPy-style methods and operators on Array (or a Tracer type).

  Called once by morphax.numpy, the layer that defines them; keeping the
  install in one named function is what lets Array stay free of ops.
  """
  for name, fn in methods.items():
    if cls is Array and name == "__getitem__":
      fn = _shard_aware_getitem(fn)
    setattr(cls, name, fn)


def _shard_aware_getitem(getitem):
  """`x[i]` of a sharded Array with an int `i` fetches shard i only (a
  pmap result read one device at a time); everything else is `getitem`."""
  def __getitem__(self, index):
    if self._device is None and type(index) is int:
      return self._shard(index)
    return getitem(self, index)
  __getitem__.__doc__ = getitem.__doc__
  return __getitem__
