"""Array: an immutable device buffer with its aval; host <-> device transfers.

Operators and NumPy-style methods are installed by morphax.numpy (the layer
that knows the ops), through `set_array_methods`; this file knows only PJRT.
"""

import numpy as np
from jaxlib import _jax
from jaxlib import xla_client as xc

from ..core import avals as avals_lib
from . import backend

_SingleDeviceSharding = _jax.SingleDeviceSharding

# jaxlib's C++ arrays call these on their sharding (see JAXLIB.md).
_SingleDeviceSharding._device_assignment = property(lambda self: (self._device,))
_SingleDeviceSharding._to_xla_hlo_sharding = (
    lambda self, ndim: xc.HloSharding.replicate())

_COPY_SEMANTICS = _jax.HostBufferSemantics.IMMUTABLE_ONLY_DURING_CALL

_shardings = {}


def sharding_for(device):
  """The (cached) single-device sharding of `device`."""
  sharding = _shardings.get(device)
  if sharding is None:
    sharding = _shardings[device] = _SingleDeviceSharding(device)
  return sharding


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
    return self._device

  @property
  def committed(self):
    return self._committed

  @property
  def sharding(self):
    return sharding_for(self._device)

  def devices(self):
    return {self._device}

  def block_until_ready(self):
    self._buf.block_until_ready()
    return self

  def is_ready(self):
    return self._buf.is_ready()

  def copy_to_host_async(self):
    self._buf._copy_single_device_array_to_host_async()

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
      self._npy = self._buf._single_device_array_to_np_array_did_copy()[0]
    return self._npy

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


def put(value, aval, device, committed):
  """Copies host numpy `value` (already of `aval.dtype`) onto `device`."""
  buf = _jax.batched_device_put(
      aval, sharding_for(device), [value], [device], committed, False,
      _COPY_SEMANTICS, enable_x64=avals_lib.x64_enabled())
  return Array(buf, aval, device, committed)


def set_array_methods(cls, methods):
  """Installs NumPy-style methods and operators on Array (or a Tracer type).

  Called once by morphax.numpy, the layer that defines them; keeping the
  install in one named function is what lets Array stay free of ops.
  """
  for name, fn in methods.items():
    setattr(cls, name, fn)
