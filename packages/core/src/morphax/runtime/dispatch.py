"""Eager execution: each primitive runs as a cached single-primitive
executable, keyed by primitive, params, input avals and device.
"""

import time

import numpy as np
from jaxlib import _jax
from jaxlib import xla_client as xc

from .._config import config
from ..core import avals as avals_lib
from ..core import source_info
from ..core import trace as trace_lib
from ..core import tree
from ..core.trace import Tracer
from ..interpreters import lowering
from . import backend, cache
from .array import Array, put, sharding_for

# --- Host values into Arrays ----------------------------------------------

NOT_AN_ARRAY_MESSAGE = (
    "{where}: expected an array, a numpy array or a Python scalar, got a value "
    "of type {type}: {value!r:.80}")


def host_aval(x, where="device_put"):
  """(numpy value of the canonical dtype, aval) of a host value."""
  if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
    dtype, weak = avals_lib.python_scalar_dtype(x)
    if weak and avals_lib.is_integer(dtype):
      info = np.iinfo(dtype)
      if not info.min <= x <= info.max:
        raise OverflowError(
            f"{where}: Python int {x} is too large for {dtype.name}"
            + ("" if avals_lib.x64_enabled() else
               " (64-bit types need jax_enable_x64)"))
    value = np.asarray(x, dtype)
    return value, avals_lib.ShapedArray((), dtype, weak)
  if isinstance(x, (np.ndarray, np.generic)):
    value = x
  elif isinstance(x, (list, tuple)) or hasattr(x, "__array__"):
    try:
      value = np.asarray(x)
    except (ValueError, TypeError) as e:
      raise TypeError(f"{where}: cannot convert {type(x).__name__} to an array: {e}") from None
    if value.dtype == object:
      raise TypeError(NOT_AN_ARRAY_MESSAGE.format(
          where=where, type=type(x).__name__, value=x))
  else:
    raise TypeError(NOT_AN_ARRAY_MESSAGE.format(
        where=where, type=type(x).__name__, value=x))
  dtype = avals_lib.canonicalize_dtype(value.dtype)
  if value.dtype != dtype:
    value = value.astype(dtype)
  return value, avals_lib.ShapedArray(value.shape, dtype, False)


def to_array(x, device=None, where="device_put", may_alias=None):
  """`x` as an Array (uncommitted unless `device` is given); see device_put
  for `may_alias`."""
  if type(x) is Array:
    if may_alias is False:
      return put(x._value(), x.aval, _check_device(device) if device is not None
                 else x._device, committed=device is not None or x._committed)
    return x if device is None else _move(x, device, committed=True)
  if isinstance(x, Tracer):
    x._trace.check_tracer(x)  # a leak raises UnexpectedTracerError
    raise TypeError(f"{where}: got a tracer {x.aval} where a concrete value was expected")
  if type(x) is avals_lib.HostValue:
    value, aval = x.value, x.aval
  else:
    value, aval = host_aval(x, where)
  alias = bool(may_alias) and isinstance(x, np.ndarray)
  if device is None:
    return put(value, aval, backend.default_device(), committed=False, may_alias=alias)
  return put(value, aval, _check_device(device), committed=True, may_alias=alias)


def _check_device(device):
  if not isinstance(device, xc.Device):
    raise TypeError(
        f"device_put: expected a Device (from morphax.devices()), got "
        f"{type(device).__name__}: {device!r:.80}")
  return device


def _move(x, device, committed):
  device = _check_device(device)
  if x._device == device:
    return x if x._committed == committed else Array(x._buf, x.aval, device, committed)
  return put(x._value(), x.aval, device, committed)


def device_put(x, device=None, *, may_alias=None):
  """Places the leaves of pytree `x` on `device` (committed), or on the
  default device (uncommitted) when `device` is None.

  `may_alias` (as in JAX): None or True lets an Array already in place be
  returned as it is, False always makes a new buffer. True also lets a
  numpy leaf's memory be used in place where the device can (CPU, a
  C-contiguous 64-byte-aligned array): the caller must not write that numpy
  array afterwards. By default numpy memory is always copied.
  """
  return tree.tree_map(lambda leaf: to_array(leaf, device, may_alias=may_alias), x)


def device_get(x):
  """Copies the Array leaves of pytree `x` to host numpy arrays."""
  def get(leaf):
    if isinstance(leaf, Array):
      return np.asarray(leaf)
    return leaf
  return tree.tree_map(get, x)


def block_until_ready(x):
  """Waits until every Array leaf of pytree `x` is computed; returns `x`
  (as jax.block_until_ready). Other leaves pass through."""
  for leaf in tree.tree_leaves(x):
    if isinstance(leaf, Array):
      leaf.block_until_ready()
  return x


# --- Eager primitive application -------------------------------------------

DELETED_MESSAGE = (
    "{name}: argument {aval} has been deleted: it was donated to a jit call "
    "(donate_argnums) or deleted with .delete(), and its buffer may now hold "
    "another value. Use the call's outputs instead.")

DEVICE_CONFLICT_MESSAGE = (
    "{prim}: arguments are committed to different devices: {devices}. Move "
    "them to one device with morphax.device_put(x, device) first.")


class _Executable:
  """A compiled single-primitive program with its result handlers, and the
  seconds its lowering and compilation took."""
  __slots__ = ("executable", "handlers", "avals_out", "multiple_results",
               "lower_seconds", "compile_seconds")

  def __init__(self, executable, handlers, avals_out, multiple_results,
               lower_seconds=0.0, compile_seconds=0.0):
    self.executable = executable
    self.handlers = handlers
    self.avals_out = avals_out
    self.multiple_results = multiple_results
    self.lower_seconds = lower_seconds
    self.compile_seconds = compile_seconds


_cache = {}


def compile_options(devices):
  """Options for a single-replica program placed on `devices[0]`."""
  options = xc.CompileOptions()
  options.device_assignment = xc._xla.DeviceAssignment.create(
      np.array([[d.id for d in devices]]).T)
  return options


def compile_module(module, devices, name="main", host_callbacks=()):
  """A loaded executable of `module` on `devices`, through the persistent
  compilation cache (runtime/cache.py). Programs calling back into Python
  are compiled directly: their executables cannot be serialized."""
  if host_callbacks:
    client = devices[0].client
    return client.compile_and_load(
        lowering.reparse_with_all_dialects(module), xc._xla.DeviceList(tuple(devices)),
        compile_options(devices), host_callbacks=list(host_callbacks))
  return cache.compile_or_load(module, devices, compile_options(devices), name)


def _compile_primitive(prim, params, avals_in, device, committed):
  start = time.perf_counter()
  module, avals_out, callbacks = lowering.lower_primitive_module(
      prim, avals_in, params, platform=device.platform)
  lowered = time.perf_counter()
  executable = compile_module(module, [device], name=params.get("name", prim.name),
                              host_callbacks=callbacks)
  compiled = time.perf_counter()
  sharding = sharding_for(device)
  handlers = [_jax.array_result_handler(a, sharding, committed, _skip_checks=True)
              for a in avals_out]
  return _Executable(executable, handlers, avals_out, prim.multiple_results,
                     lowered - start, compiled - lowered)


def _params_key(prim, params):
  key = tuple(params.items())
  try:
    hash(key)
  except TypeError:
    bad = [k for k, v in params.items() if _unhashable(v)]
    raise TypeError(
        f"{prim.name}: parameters {bad} must be hashable (use tuples, not "
        "lists or arrays)") from None
  return key


def _unhashable(v):
  try:
    hash(v)
    return False
  except TypeError:
    return True


def place(name, args):
  """Chooses the device for an operation on `args` (the committed device of
  any committed Array, else the default one) and returns (arrays, device,
  committed) with every argument an Array on that device."""
  default = backend.default_device()
  # The common case: uncommitted arrays already on the default device.
  if all(type(a) is Array and not a._committed and a._device == default
         and not a._buf.is_deleted() for a in args):
    return list(args), default, False
  device = None
  committed = False
  for a in args:
    if type(a) is Array and a._committed:
      if device is None:
        device = a._device
        committed = True
      elif a._device != device:
        raise ValueError(DEVICE_CONFLICT_MESSAGE.format(
            prim=name,
            devices=sorted({str(x._device) for x in args if type(x) is Array and x._committed})))
  if device is None:
    device = default
  arrays = []
  for a in args:
    if type(a) is not Array:
      a = to_array(a, where=name)
    elif a._buf.is_deleted():
      raise RuntimeError(DELETED_MESSAGE.format(name=name, aval=a.aval.str_short()))
    if a._device != device:
      a = _move(a, device, committed=False)
    arrays.append(a)
  return arrays, device, committed


def run(entry, arrays, device, committed):
  """Executes a compiled entry on placed arrays; returns a list of Arrays."""
  bufs = entry.executable.execute_sharded(
      [a._buf for a in arrays]).consume_with_handlers(entry.handlers)
  return [Array(b, aval, device, committed)
          for b, aval in zip(bufs, entry.avals_out)]


def compile_jaxpr(jaxpr, avals, device, committed, donated, name):
  """The executable of a whole jaxpr (jit's eager path), with donation."""
  start = time.perf_counter()
  module, callbacks = lowering.lower_jaxpr_module(jaxpr, device.platform, name, donated)
  lowered = time.perf_counter()
  executable = compile_module(module, [device], name=name, host_callbacks=callbacks)
  compiled = time.perf_counter()
  sharding = sharding_for(device)
  avals_out = [v.aval for v in jaxpr.outvars]
  handlers = [_jax.array_result_handler(a, sharding, committed, _skip_checks=True)
              for a in avals_out]
  return _Executable(executable, handlers, avals_out, True,
                     lowered - start, compiled - lowered)


def compile_primitive(prim, params, avals, device, committed):
  """The executable (with result handlers) of `prim` on `avals`, uncached."""
  return _compile_primitive(prim, params, avals, device, committed)


def apply_primitive(prim, args, params):
  """Runs `prim` on concrete arguments now; returns Array(s)."""
  arrays, device, committed = place(prim.name, args)
  avals = tuple(a.aval for a in arrays)
  key = (prim, _params_key(prim, params), avals, device, committed)
  entry = _cache.get(key)
  if entry is None:
    entry = _cache[key] = _compile_primitive(prim, params, avals, device, committed)
  outs = run(entry, arrays, device, committed)
  if config.jax_debug_nans or config.jax_debug_infs:
    check_invalid(prim.name, outs, source_info.user_frame())
  return outs if entry.multiple_results else outs[0]


INVALID_MESSAGE = (
    "invalid value ({what}) encountered in {name}, at {where}{phase} "
    "(jax_debug_{flag} is on).")
BACKWARD_PHASE = (
    ", in the backward pass: the derivative of the operation on that line "
    "produced it")


def invalid_values(outs):
  """'nan' or 'inf' if an inexact output holds one (per the debug flags)."""
  for out in outs:
    if not avals_lib.is_inexact(out.aval.dtype):
      continue
    value = out._value()
    if config.jax_debug_nans and np.isnan(value).any():
      return "nan"
    if config.jax_debug_infs and np.isinf(value).any():
      return "inf"
  return None


def check_invalid(name, outs, where):
  what = invalid_values(outs)
  if what is not None:
    raise FloatingPointError(INVALID_MESSAGE.format(
        what=what, name=name, where=source_info.describe(where),
        phase=BACKWARD_PHASE if (source_info.in_backward_pass()
                                 or source_info.is_backward(where)) else "",
        flag="nans" if what == "nan" else "infs"))


class EvalTrace(trace_lib.Trace):
  """The top-level trace: primitives run eagerly on devices."""
  kind = "eager"

  def __init__(self):
    super().__init__(parent=None)

  def process_primitive(self, primitive, args, params):
    return apply_primitive(primitive, args, params)


trace_lib.set_default_trace(EvalTrace())
