"""pmap as one SPMD program: the function traced once per device (mapped
axis removed, its name bound), lowered to a module replicated over the
devices (mhlo.num_replicas), compiled once and run on per-device shards.
"""

import time

from jaxlib.mlir import ir

from ..core import named_axes
from ..runtime import sharded
from . import lowering, staging

CALLBACK_MESSAGE = (
    "pmap of {name}: host callbacks (debug.print, pure_callback) are not "
    "supported inside pmap yet; move them outside the pmapped function.")


def trace_replicated(flat_fun, shard_avals, arg_names, axis_name, axis_size, origin):
  """The jaxpr of flat `fun` on one device's shards, with `axis_name` bound
  to `axis_size` (so collectives over it trace); constants hoisted."""
  with named_axes.extend(axis_name, axis_size, "pmap"):
    closed = staging.trace_to_jaxpr(flat_fun, shard_avals, arg_names, origin=origin)
  return staging.hoist_consts(closed)


def lower_replicated(jaxpr, axis_name, devices, name, donated=None):
  """A module computing `jaxpr` on each of `devices` (one replica each),
  its collectives over `axis_name` spanning every replica."""
  axes = named_axes.LoweringAxes(axis_name, len(devices))
  with named_axes.lowering(axes):
    module, callbacks = lowering.lower_jaxpr_module(
        jaxpr, devices[0].platform, name, donated)
  if callbacks:
    raise NotImplementedError(CALLBACK_MESSAGE.format(name=name))
  with module.context:
    i32 = ir.IntegerType.get_signless(32)
    attributes = module.operation.attributes
    attributes["mhlo.num_replicas"] = ir.IntegerAttr.get(i32, len(devices))
    attributes["mhlo.num_partitions"] = ir.IntegerAttr.get(i32, 1)
  return module


class ReplicatedExecutable:
  """A compiled replicated program with its result handlers; `run` takes
  per-device operands (jaxlib arrays over the devices) and returns sharded
  Arrays with the (local) device axis first."""
  __slots__ = ("executable", "handlers", "global_avals", "lower_seconds",
               "compile_seconds")

  def __init__(self, jaxpr, axis_name, devices, name, donated):
    start = time.perf_counter()
    module = lower_replicated(jaxpr, axis_name, devices, name, donated)
    lowered = time.perf_counter()
    self.executable = sharded.compile_replicated(module, devices, name)
    self.lower_seconds = lowered - start
    self.compile_seconds = time.perf_counter() - lowered
    avals_out = [v.aval for v in jaxpr.outvars]
    self.handlers = sharded.result_handlers(avals_out, devices)
    # Like JAX: with several processes each sees its local devices' rows.
    count = sharded.local_count(devices)
    self.global_avals = [a.update(shape=(count,) + a.shape) for a in avals_out]

  def run(self, bufs):
    return sharded.run_replicated(self.executable, self.handlers, bufs,
                                  self.global_avals)
