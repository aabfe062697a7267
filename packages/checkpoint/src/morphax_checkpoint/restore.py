"""restore() and metadata(): a checkpoint back into a pytree.

With a target, the result takes the target's structure, dtypes and device
placement (and may be a sub-tree of what was saved); without one, the tree
is rebuilt from the metadata alone.
"""

import os

import numpy as np

import morphax

from . import devices
from . import errors
from . import layout
from . import storage
from . import structure
from .save import logger


def _check_leaf(record, value_shape, target, key, path, cast):
  """The dtype to restore leaf `record` as, after checking it against `target`."""
  saved_dtype = storage.numpy_dtype(record["dtype"])
  given_shape = tuple(target.shape)
  multi = devices.device_count_of(target) > 1
  unreplicate = (record.get("replicated") and given_shape == tuple(value_shape[1:]))
  if given_shape != tuple(value_shape) and not multi and not unreplicate:
    raise errors.TargetMismatchError(errors.TARGET_SHAPE.format(
        path=path, key=key, saved_shape=tuple(value_shape), given_shape=given_shape))
  given_dtype = np.dtype(target.dtype)
  if given_dtype != saved_dtype and not cast:
    raise errors.TargetMismatchError(errors.TARGET_DTYPE.format(
        path=path, key=key, saved=saved_dtype.name, given=given_dtype.name))
  return given_dtype


def _place(value, record, target, key, path):
  """Puts host `value` where `target` says (device, devices, host)."""
  if devices.device_count_of(target) > 1:
    return devices.place(value, target, record, key, path)
  if value.shape != tuple(target.shape):   # a replicated leaf restored to one device
    value = value[0]
  if isinstance(target, np.generic):
    return value[()]
  if isinstance(target, np.ndarray):
    return value
  # `value` is the reader's own fresh buffer: the device may keep it (no copy on CPU)
  if isinstance(target, morphax.Array) and target.committed:
    return morphax.device_put(value, next(iter(target.devices())), may_alias=True)
  return morphax.device_put(value, may_alias=True)


def _without_target(value, record):
  if record.get("kind") == "numpy":
    return value
  if record.get("kind") == "numpy_scalar":
    return value[()]
  return morphax.device_put(value, may_alias=True)   # the reader's own fresh buffer


def _read(path, records, wanted, progress):
  """Reads leaves `wanted` ({index: finish(value)}) and finishes each as it arrives."""
  indices = sorted(wanted)
  chosen = [records[i] for i in indices]
  tracker = storage.Progress(
      sum(int(np.prod(r["shape"], dtype=np.int64)) * storage.numpy_dtype(r["dtype"]).itemsize
          for r in chosen), progress, logger, f"restoring {path}")
  values = storage.read_leaves(path, chosen, path, tracker, storage.new_context(),
                               finish=lambda j, value: wanted[indices[j]](value))
  return dict(zip(indices, values))


def restore(path, target=None, *, cast=False, progress=None):
  """Restores the checkpoint at `path`.

  Args:
    path: a checkpoint directory written by `save` or a CheckpointManager.
    target: optional pytree giving the result's structure, dtypes and
      placement: its leaves may be morphax Arrays (restored onto the same
      device, or the same devices for a pmap-sharded Array), numpy arrays,
      `morphax.ShapeDtypeStruct`s (with an optional multi-device sharding),
      Python scalars or strings. Dicts may leave keys out to restore a
      sub-tree; a None leaf skips that sub-tree.
    cast: convert leaves whose saved dtype differs from the target's
      (otherwise that is an error naming the key path).
    progress: optional `callback(bytes_read, bytes_total)`.

  Returns:
    The restored pytree. Without a target: dicts, lists, tuples, None,
    Python scalars and strings as saved, named tuples and custom nodes as
    dicts, numpy leaves as numpy arrays and Arrays as Arrays on the default
    device (a pmap-sharded Array comes back gathered, shape (devices, ...)).

  Example:
    >>> state = restore("/tmp/ckpt", target={"w": jnp.zeros(3), "step": 0})
  """
  path = os.path.abspath(path)
  metadata = layout.read_metadata(path)
  records = metadata["leaves"]
  wanted = {}
  if target is None:
    def plan_all(i, key):
      wanted[i] = lambda value: _without_target(value, records[i])
    structure.decode(metadata["tree"], plan_all)
    values = _read(path, records, wanted, progress)
    return structure.decode(metadata["tree"], lambda i, key: values[i])

  def plan(i, leaf, key):
    key = structure.keystr(key)
    dtype = _check_leaf(records[i], records[i]["shape"], leaf, key, path, cast)

    def finish(value):
      if value.dtype != dtype:
        value = value.astype(dtype)
      return _place(value, records[i], leaf, key, path)
    wanted[i] = finish

  structure.match(metadata["tree"], target, plan, path)
  values = _read(path, records, wanted, progress)
  return structure.match(metadata["tree"], target, lambda i, leaf, key: values[i], path)


def metadata(path):
  """The saved tree with array leaves as `morphax.ShapeDtypeStruct`s (no data read).

  Example:
    >>> metadata("/tmp/ckpt")["w"]
    ShapeDtypeStruct(shape=(3,), dtype=float32)
  """
  meta = layout.read_metadata(os.path.abspath(path))
  records = meta["leaves"]
  return structure.decode(meta["tree"], lambda i, key: morphax.ShapeDtypeStruct(
      tuple(records[i]["shape"]), storage.numpy_dtype(records[i]["dtype"])))


def checkpoint_info(path):
  """The step, metrics and user metadata stored with the checkpoint at `path`."""
  meta = layout.read_metadata(os.path.abspath(path))
  return {k: meta.get(k) for k in ("step", "metrics", "user_metadata", "version")}
