"""One library's side of the benchmark: builds the workloads on morphax or on
jax, times them and writes JSON. run.py starts one process per library (and,
with --first-call, one fresh process per first-call measurement).

morphax and jax must never share a process: both attach Python methods to
jaxlib's C++ classes (shardings, arrays), so this file imports only the one
library it was asked for.
"""

import argparse
import cProfile
import importlib
import json
import os
import pstats
import sys
import time

import numpy as np
from jaxlib import _jax
from jaxlib import xla_client as xc

import _models
import _timing

SIZE = 100

# The 10-op elementwise chain: (jax.lax name, arity). Binary steps combine
# the running value with y. Values stay finite and in-domain: sin/cos are
# bounded, exp sees at most ~2.5, and abs comes before sqrt and log1p.
CHAIN = (("sin", 1), ("cos", 1), ("mul", 2), ("add", 2), ("exp", 1),
         ("tanh", 1), ("sub", 2), ("abs", 1), ("sqrt", 1), ("log1p", 1))
ARITY = dict(CHAIN)

# A one-op StableHLO program: the floor under any eager `x + y`, run on the
# bare jaxlib API with the same result handling both libraries use.
RAW_ADD_MLIR = """module @raw_add {
  func.func public @main(%a: tensor<100xf32>, %b: tensor<100xf32>) -> tensor<100xf32> {
    %0 = stablehlo.add %a, %b : tensor<100xf32>
    return %0 : tensor<100xf32>
  }
}"""

# Steady-state workloads, timed with _timing.time_call in one process per
# library: (key, label, morphax/jax ratio target or None when informational).
WORKLOADS = (
    ("add_operator", "x + y", 1.5),
    ("lax_add", "lax.add(x, y)", 1.5),
    ("chain10", "10-op lax chain", 1.5),
    ("jit_add", "jit(lax.add) cached call", 2.0),
    ("jit_dict_sum", "jit(sum of dict of 20 arrays) cached call", 2.0),
    ("mlp_step", "MLP 784-512-512-10 train step, steady", 1.1),
    ("per_example_grads", "jit(vmap(grad)) per-example, 32-64-10 x 64", 1.1),
    ("eager_grad", "grad of 32-64-10 MLP, not jitted", 1.1),
    ("rnn_grad", "jit(grad) of a tanh RNN, scan of 100 steps, 128 x 32", 1.2),
    ("raw_execute", "raw jaxlib execute (floor)", None),
)

# The first call of the MLP train step (trace + lower + compile + run), one
# fresh process per measurement: (key, label, target).
FIRST_CALL = ("mlp_first_call", "MLP train step, first call (fresh process)", 1.0)
# Persistent cache: the cold first call over the warm one must reach this.
CACHE_SPEEDUP_TARGET = 3.0


def resolve_chain(lax):
  """CHAIN as names, each step `lax` lacks replaced by the first step of the
  same arity that it has; None when it has no step of some arity."""
  present = {arity: [n for n, a in CHAIN if a == arity and hasattr(lax, n)]
             for arity in (1, 2)}
  if not present[1] or not present[2]:
    return None
  return [name if hasattr(lax, name) else present[arity][0]
          for name, arity in CHAIN]


def make_chain(lax, names):
  """f(x, y) applying the named lax ops in order to a running value."""
  steps = [(getattr(lax, name), ARITY[name]) for name in names]

  def chain(x, y):
    h = x
    for fn, arity in steps:
      h = fn(h) if arity == 1 else fn(h, y)
    return h
  return chain


class Library:
  """The parts of morphax or jax the workloads use, under one set of names."""

  def __init__(self, name):
    # Imported by name so that exactly one of the two is ever loaded here.
    self.name = name
    self.module = importlib.import_module(name)
    self.lax = importlib.import_module(f"{name}.lax")
    self.numpy = importlib.import_module(f"{name}.numpy")
    self.tree_util = importlib.import_module(f"{name}.tree_util")
    self.device_put = self.module.device_put
    self.jit = getattr(self.module, "jit", None)
    self.version = self.module.__version__
    self.backend = self.module.default_backend()

  def buffer(self, x):
    """The jaxlib array behind x (jax's Array is jaxlib's ArrayImpl)."""
    return x if self.name == "jax" else x._buf


def raw_execute(lib, x, y):
  """A call running RAW_ADD_MLIR on jaxlib directly (execute + handlers)."""
  device = next(iter(x.devices()))
  exe = device.client.compile_and_load(
      RAW_ADD_MLIR, xc._xla.DeviceList((device,)), xc.CompileOptions())
  handlers = [_jax.array_result_handler(x.aval, x.sharding, False,
                                        _skip_checks=True)]
  bufs = [lib.buffer(x), lib.buffer(y)]
  return lambda: exe.execute_sharded(bufs).consume_with_handlers(
      handlers)[0].block_until_ready()


def error_text(e):
  """One line naming an exception, for a table cell."""
  text = f"{type(e).__name__}: {e}".strip().splitlines()[0]
  return text if len(text) <= 300 else text[:297] + "..."


def build(lib, chain_names):
  """{key: (call, note)} for every workload this library can run; a
  workload whose setup fails maps to an exception instead."""
  x = lib.device_put(np.linspace(0.1, 1.0, SIZE, dtype=np.float32))
  y = lib.device_put(np.linspace(0.5, 1.5, SIZE, dtype=np.float32))
  lax = lib.lax
  calls = {}
  if hasattr(type(x), "__add__"):
    calls["add_operator"] = (lambda: (x + y).block_until_ready(), "")
  else:
    calls["add_operator"] = (
        lambda: lax.add(x, y).block_until_ready(),
        "Array.__add__ missing: timed lax.add(x, y) instead")
  calls["lax_add"] = (lambda: lax.add(x, y).block_until_ready(), "")
  if chain_names:
    chain = make_chain(lax, chain_names)
    calls["chain10"] = (lambda: chain(x, y).block_until_ready(), "")
  if lib.jit is not None:
    jitted = lib.jit(lambda a, b: lax.add(a, b))
    calls["jit_add"] = (lambda: jitted(x, y).block_until_ready(), "")
    for key, make in (("jit_dict_sum", _models.dict_sum_call),
                      ("mlp_step", _models.mlp_step_call),
                      ("per_example_grads", _models.per_example_grads_call),
                      ("eager_grad", _models.eager_grad_call),
                      ("rnn_grad", _models.rnn_grad_call)):
      try:
        calls[key] = (make(lib), "")
      except Exception as e:  # noqa: BLE001 -- reported in the table
        calls[key] = e
  calls["raw_execute"] = (raw_execute(lib, x, y), "")
  return calls, x, y


def morphax_layers(lib, x, y, quick):
  """Times eager add in morphax layer by layer, from jaxlib up to `x + y`,
  so the cost of each layer is the difference between two rows. Reaches
  into morphax internals; a layer whose internals moved is skipped."""
  layers = []

  def add_layer(label, make):
    try:
      call = make()
      call()
    except Exception as e:  # noqa: BLE001 -- internals may have moved
      layers.append({"layer": label, "error": f"{type(e).__name__}: {e}"})
      return
    layers.append({"layer": label, **_timing.time_call(call, quick)})

  # morphax's internals are imported here, not at the top: the jax side of
  # this file must never load morphax.
  def executable():
    from morphax.runtime import dispatch
    from morphax.ops.elementwise import add_p
    avals = (x.aval, y.aval)
    key = next(k for k in dispatch._cache if k[0] is add_p and k[2] == avals)
    entry = dispatch._cache[key]
    handlers = [_jax.array_result_handler(a, x.sharding, False, _skip_checks=True)
                for a in entry.avals_out]
    return entry, handlers

  def with_array():
    from morphax.runtime.array import Array
    entry, handlers = executable()
    bufs, aval, device = [x._buf, y._buf], entry.avals_out[0], x._device

    def call():
      out = entry.executable.execute_sharded(bufs).consume_with_handlers(handlers)
      return Array(out[0], aval, device, False).block_until_ready()
    return call

  def apply_primitive():
    from morphax.runtime import dispatch
    from morphax.ops.elementwise import add_p
    return lambda: dispatch.apply_primitive(add_p, (x, y), {}).block_until_ready()

  def bind():
    from morphax.ops.elementwise import add_p
    return lambda: add_p.bind(x, y).block_until_ready()

  lib.lax.add(x, y)  # fills the eager cache the first layers read
  add_layer("x.block_until_ready() alone", lambda: x.block_until_ready)
  add_layer("morphax's cached executable: execute + result handlers",
            lambda: _execute_only(*executable(), x, y))
  add_layer("  + wrap in morphax Array", with_array)
  add_layer("dispatch.apply_primitive(add_p, (x, y), {})", apply_primitive)
  add_layer("add_p.bind(x, y)", bind)
  add_layer("lax.add(x, y)", lambda: lambda: lib.lax.add(x, y).block_until_ready())
  add_layer("morphax.numpy.add(x, y)",
            lambda: lambda: lib.module.numpy.add(x, y).block_until_ready())
  if hasattr(type(x), "__add__"):
    add_layer("x + y", lambda: lambda: (x + y).block_until_ready())
  return layers


def _execute_only(entry, handlers, x, y):
  bufs = [x._buf, y._buf]
  return lambda: entry.executable.execute_sharded(bufs).consume_with_handlers(
      handlers)[0].block_until_ready()


def profile(call, label, seconds=3.0):
  """Prints cProfile's top functions (by own time) over ~`seconds` of calls."""
  call()
  start = time.perf_counter()
  call()
  calls = max(10, min(20000, int(seconds / max(time.perf_counter() - start, 1e-7))))
  profiler = cProfile.Profile()
  profiler.enable()
  for _ in range(calls):
    call()
  profiler.disable()
  print(f"\ncProfile of {calls} calls of {label} (sorted by tottime):")
  pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def first_call(lib):
  """Times the first call of the MLP train step in this (fresh) process:
  trace + lower + compile + run, blocking on every output. The inputs are
  on the device before the clock starts. Returns a JSON-able report with
  the library's own breakdown of the time where it offers one."""
  report = {}
  if lib.name == "jax":
    # Unset unless the environment set it; run.py removes that variable.
    report["jax_compilation_cache_dir"] = lib.module.config.jax_compilation_cache_dir
    phases = {}
    events = {
        "/jax/core/compile/jaxpr_trace_duration": "trace_s",
        "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower_s",
        "/jax/core/compile/backend_compile_duration": "compile_s",
    }

    def listen(event, seconds, **_):
      if event in events:
        phases[events[event]] = phases.get(events[event], 0.0) + seconds
    lib.module.monitoring.register_event_duration_secs_listener(listen)
  else:
    report["morphax_cache_dir"] = os.environ.get("MORPHAX_CACHE_DIR")
  try:
    step = _models.make_train_step(lib)
    params, x, y = _models.mlp_step_inputs(lib)
    _models.block(lib, (params, x, y))
    start = time.perf_counter()
    _models.block(lib, step(params, x, y))
    report["first_call_s"] = time.perf_counter() - start
  except Exception as e:  # noqa: BLE001 -- reported in the table
    report["error"] = error_text(e)
    return report
  if lib.name == "jax":
    report["phases"] = phases
  elif hasattr(step, "stats"):
    stats = step.stats()
    report["phases"] = {"trace_s": stats["trace_seconds"],
                        "lower_s": stats["lower_seconds"],
                        "compile_s": stats["compile_seconds"]}
  return report


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument("--lib", choices=("morphax", "jax"), required=True)
  parser.add_argument("--out", required=True, help="JSON file to write")
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--chain", help="comma-separated lax names (default: "
                      "CHAIN, with steps this library lacks replaced)")
  parser.add_argument("--layers", action="store_true",
                      help="time morphax's dispatch layers (morphax only)")
  parser.add_argument("--profile", metavar="WORKLOAD",
                      help="print a cProfile of this workload (a WORKLOADS key)")
  parser.add_argument("--first-call", action="store_true",
                      help="only time the first call of the MLP train step")
  args = parser.parse_args(argv)

  start = time.perf_counter()
  lib = Library(args.lib)
  import_s = time.perf_counter() - start
  if args.first_call:
    report = {"library": lib.name, "version": lib.version,
              "backend": lib.backend, "import_s": import_s, **first_call(lib)}
    with open(args.out, "w") as f:
      json.dump(report, f)
    return
  chain_names = args.chain.split(",") if args.chain else resolve_chain(lib.lax)
  calls, x, y = build(lib, chain_names)
  results = {}
  for key, _, _ in WORKLOADS:
    if key not in calls:
      continue
    if isinstance(calls[key], Exception):
      results[key] = {"error": error_text(calls[key]), "note": ""}
      continue
    call, note = calls[key]
    try:
      results[key] = {**_timing.time_call(call, args.quick), "note": note}
    except Exception as e:  # noqa: BLE001 -- reported in the table
      results[key] = {"error": error_text(e), "note": note}
  report = {
      "library": lib.name,
      "version": lib.version,
      "backend": lib.backend,
      "chain": chain_names,
      "results": results,
  }
  if args.layers and lib.name == "morphax":
    report["layers"] = morphax_layers(lib, x, y, args.quick)
  if args.profile:
    call = calls.get(args.profile)
    if call is None or isinstance(call, Exception):
      print(f"\n{lib.name}: no workload {args.profile!r} to profile", file=sys.stderr)
    else:
      profile(call[0], f"{lib.name} {args.profile}")
  with open(args.out, "w") as f:
    json.dump(report, f)


if __name__ == "__main__":
  main()
