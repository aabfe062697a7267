"""Leaves spread over several devices (pmap-sharded Arrays): gather and place.

A pmap-sharded Array holds one shard per device along axis 0. On save its
shards are gathered into one host array (`np.asarray`), and the metadata
records the device count and whether every shard was equal (replicated).
"""

import numpy as np

import morphax

from . import errors


def device_count_of(x):
  """How many devices Array `x` spans (1 for host values)."""
  if isinstance(x, morphax.Array):
    return len(x.devices())
  sharding = getattr(x, "sharding", None)   # a ShapeDtypeStruct's placement
  devices = _ordered_devices(sharding) if sharding is not None else None
  return len(devices) if devices else 1


def _ordered_devices(sharding):
  """The devices of `sharding` in shard order (axis 0 of the global array)."""
  for attr in ("_device_assignment", "devices", "device_set"):
    devices = getattr(sharding, attr, None)
    if devices is None:
      continue
    devices = devices() if callable(devices) else devices
    devices = list(np.asarray(devices, dtype=object).reshape(-1))
    if attr == "device_set":
      devices.sort(key=lambda d: d.id)
    return devices
  return None


def shard_record(n, host):
  """Metadata entries for a leaf spread over `n` devices (host copy `host`)."""
  if n <= 1:
    return {}
  replicated = bool(host.shape and host.shape[0] == n and all(
      np.array_equal(host[0], host[i], equal_nan=host.dtype.kind in "fc")
      for i in range(1, n)))
  return {"devices": n, "replicated": replicated}


def place(value, target, record, key, path):
  """Puts host `value` where multi-device `target` (Array or ShapeDtypeStruct) lives."""
  sharding = target.sharding
  devices = _ordered_devices(sharding)
  m = len(devices)
  if value.shape[:1] != (m,):
    if record.get("replicated") and value.shape[1:] == tuple(target.shape[1:]):
      value = np.broadcast_to(value[:1], (m,) + value.shape[1:])
    else:
      raise errors.TargetMismatchError(errors.NO_PLACEMENT.format(
          key=key, path=path, saved=record.get("devices", 1),
          saved_shape=tuple(value.shape), given=m, given_shape=tuple(target.shape)))
  return morphax.device_put_sharded([np.asarray(v, order="C") for v in value], devices)
