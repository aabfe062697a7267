"""Arrays over several devices for pmap: splitting host values into
per-device shards, device_put_sharded/replicated, and running replicated
(num_replicas = device count) executables.
"""

import numpy as np
from jaxlib import _jax
from jaxlib import xla_client as xc

from ..core import avals as avals_lib
from ..core import tree
from . import cache
from .array import Array, put, replica_sharding

SHARDED_LENGTH_MESSAGE = (
    "device_put_sharded: got {shards} shards for {devices} devices; pass one "
    "shard per device.")
SHARDED_STRUCTURE_MESSAGE = (
    "device_put_sharded: every shard must have the same tree structure and "
    "leaf shapes/dtypes; shard 0 has {first} and shard {i} has {other}.")


def _local(devices):
  """The devices of `devices` attached to this process, in order."""
  me = devices[0].client.process_index()
  return [d for d in devices if d.process_index == me]


def local_count(devices):
  """How many of `devices` this process feeds (all of them in one process)."""
  return len(_local(devices))


def assemble(shard_arrays, global_aval, devices):
  """A sharded Array over `devices` from this process's per-device jaxlib
  arrays (in local-device order); `global_aval` has the device axis first."""
  shard_aval = global_aval.update(shape=global_aval.shape[1:])
  buf = _jax.ArrayImpl(shard_aval, replica_sharding(devices), list(shard_arrays),
                       True, True)
  return Array(buf, global_aval, None, False)


def _put_shard(value, aval, device):
  value = np.asarray(value)
  if not value.flags.c_contiguous:  # (np.ascontiguousarray would make 0-d 1-d)
    value = np.array(value, order="C")
  return put(value, aval, device, True)._buf


def shard_host_value(value, aval, in_axis, devices):
  """The jaxlib array pmap runs on: host `value` (of `aval`) split along
  `in_axis` over this process's `devices` (None: a copy on each)."""
  local = _local(devices)
  if in_axis is None:
    bufs = [_put_shard(value, aval, d) for d in local]
    shard_aval = aval
  else:
    value = np.moveaxis(np.asarray(value), in_axis, 0)
    shard_aval = aval.update(shape=value.shape[1:])
    bufs = [_put_shard(value[i], shard_aval, d) for i, d in enumerate(local)]
  return _jax.ArrayImpl(shard_aval, replica_sharding(devices), bufs, True, True)


def shard_arg(x, aval, in_axis, devices):
  """`x` as pmap's per-device operand: a sharded Array already over
  `devices` (mapped on axis 0) is passed on with no transfer; anything else
  is copied through the host."""
  if type(x) is Array and x._device is None and in_axis == 0 \
      and x._buf._sharding is replica_sharding(devices):
    return x._buf
  if type(x) is Array:
    value = x._value()
  else:
    value = np.asarray(x, aval.dtype)
  return shard_host_value(value, aval, in_axis, devices)


def device_put_sharded(shards, devices):
  """Stacks `shards` (a list of pytrees, one per device) into sharded
  Arrays whose slice i lives on devices[i]."""
  devices = tuple(devices)
  if len(shards) != len(devices):
    raise ValueError(SHARDED_LENGTH_MESSAGE.format(shards=len(shards), devices=len(devices)))
  leaves0, treedef = tree.tree_flatten(shards[0])
  per_shard = []
  for i, shard in enumerate(shards):
    leaves, other = tree.tree_flatten(shard)
    values = [np.asarray(x) for x in leaves]
    if other != treedef or [v.shape for v in values] != [np.shape(x) for x in leaves0]:
      raise ValueError(SHARDED_STRUCTURE_MESSAGE.format(
          first=_describe(shards[0]), i=i, other=_describe(shard)))
    per_shard.append(values)
  out = []
  for j in range(len(leaves0)):
    column = [_canonical(per_shard[i][j]) for i in range(len(devices))]
    shard_aval = avals_lib.ShapedArray(column[0].shape, column[0].dtype, False)
    bufs = [_put_shard(v, shard_aval, d) for v, d in zip(column, devices)]
    global_aval = shard_aval.update(shape=(len(devices),) + shard_aval.shape)
    out.append(assemble(bufs, global_aval, devices))
  return tree.tree_unflatten(treedef, out)


def device_put_replicated(x, devices):
  """A copy of pytree `x` on each of `devices`, as sharded Arrays with a
  leading axis of len(devices)."""
  devices = tuple(devices)
  if not devices:
    raise ValueError("device_put_replicated: `devices` is empty")

  def one(leaf):
    value = _canonical(np.asarray(leaf))
    aval = avals_lib.ShapedArray(value.shape, value.dtype, False)
    bufs = [_put_shard(value, aval, d) for d in devices]
    return assemble(bufs, aval.update(shape=(len(devices),) + value.shape), devices)
  return tree.tree_map(one, x)


def _canonical(value):
  dtype = avals_lib.canonicalize_dtype(value.dtype)
  return value if value.dtype == dtype else value.astype(dtype)


def _describe(shard):
  return tree.tree_map(lambda x: f"{np.asarray(x).dtype}{list(np.shape(x))}", shard)


# --- Replicated executables --------------------------------------------------------

def replicated_options(devices):
  """Compile options for one program replicated over `devices`."""
  options = xc.CompileOptions()
  options.num_replicas = len(devices)
  options.num_partitions = 1
  options.device_assignment = xc._xla.DeviceAssignment.create(
      np.array([d.id for d in devices]).reshape(len(devices), 1))
  return options


def compile_replicated(module, devices, name):
  """The loaded executable of a replicated `module` over `devices` (through
  the persistent cache when every device is this process's)."""
  options = replicated_options(devices)
  client = devices[0].client
  if local_count(devices) != len(devices):
    return client.compile_and_load(str(module), xc._xla.DeviceList(tuple(devices)), options)
  return cache.compile_or_load(module, devices, options, name)


def result_handlers(avals_out, devices):
  """Handlers turning per-device results into jaxlib arrays over `devices`;
  `avals_out` are per-device avals."""
  sharding = replica_sharding(devices)
  return [_jax.array_result_handler(a, sharding, True, _skip_checks=True)
          for a in avals_out]


def run_replicated(executable, handlers, bufs, global_avals):
  """Runs a replicated executable; returns sharded Arrays."""
  outs = executable.execute_sharded(bufs).consume_with_handlers(handlers)
  return [Array(b, a, None, False) for b, a in zip(outs, global_avals)]
