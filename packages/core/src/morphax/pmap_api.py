"""pmap: flatten the arguments, split them over devices, run the
replicated program (interpreters/pmap.py), unflatten; under another
transformation pmap runs as vmap with the same axis name.
"""

import functools

import numpy as np

from . import api
from .core import named_axes
from .core import trace as trace_lib
from .core import tree
from .interpreters.pmap import ReplicatedExecutable, trace_replicated
from .ops._checks import aval_of
from .runtime import backend
from .runtime import sharded
from .runtime.array import Array

TOO_MANY_MESSAGE = (
    "pmap of {name}: the mapped axis has size {size} but only {count} devices "
    "are available ({devices}). Reshape the inputs so that the mapped axis has "
    "at most {count} entries (e.g. x.reshape({count}, -1, ...)) or start with "
    "more devices (MORPHAX_NUM_CPU_DEVICES for CPU devices).")
DEVICES_MESSAGE = (
    "pmap of {name}: the mapped axis has size {size} but devices= lists "
    "{count} devices ({devices}); they must match.")
SIZES_MESSAGE = (
    "pmap of {name} got inconsistent sizes for the mapped axis of its "
    "arguments:\n{details}\nEvery mapped argument must have the same size "
    "along its in_axes dimension (one entry per device; devices available: "
    "{devices}).")
NOTHING_MAPPED_MESSAGE = (
    "pmap of {name}: every in_axes is None, so axis_size must be given.")
RANK_MESSAGE = (
    "pmap of {name}: argument {arg} (shape {shape}) has no axis {axis} to map "
    "over (in_axes); it has rank {ndim}.")
MULTIPROCESS_SIZE_MESSAGE = (
    "pmap of {name}: with {processes} processes each process passes one entry "
    "per local device: the mapped axis must have size {local}, got {size}.")


def pmap(fun, axis_name=None, *, in_axes=0, out_axes=0, static_broadcasted_argnums=(),
         devices=None, backend=None, axis_size=None, donate_argnums=()):
  """Maps `fun` over the leading axis (in_axes) of its inputs with one
  device per entry: one program replicated over the devices, whose
  collectives over `axis_name` cross them. Results are Arrays sharded over
  the devices (device axis first) that stay there for the next call."""
  return _Pmapped(fun, axis_name, in_axes, out_axes, static_broadcasted_argnums,
                  devices, backend, axis_size, donate_argnums)


class _Entry:
  """One signature: the constants, output tree and executable, the devices,
  each leaf's mapped axis, and out_axes per output (None when all are 0)."""
  __slots__ = ("consts", "out_tree", "executable", "devices", "dims", "out_dims")

  def __init__(self, consts, out_tree, executable, devices, dims, out_dims):
    self.consts = consts
    self.out_tree = out_tree
    self.executable = executable
    self.devices = devices
    self.dims = dims
    self.out_dims = out_dims


class _Pmapped:
  """A pmapped function: traces and compiles once per signature."""

  def __init__(self, fun, axis_name, in_axes, out_axes, static_argnums, devices,
               backend_name, axis_size, donate_argnums):
    functools.update_wrapper(self, fun)
    self._fun = fun
    self._name = api._fun_name(fun)
    self._axis_name = axis_name
    self._in_axes = tuple(in_axes) if isinstance(in_axes, list) else in_axes
    self._out_axes = out_axes
    self._static = api._normalize_argnums("pmap", static_argnums)
    self._devices = tuple(devices) if devices is not None else None
    self._backend = backend_name
    self._axis_size = axis_size
    self._donate = api._normalize_argnums("pmap", donate_argnums)
    self._signature = api._signature(fun)
    self._cache = {}
    self._stats = {"calls": 0, "cache_hits": 0, "cache_misses": 0}

  def stats(self):
    """Calls and trace-cache hits and misses."""
    return dict(self._stats)

  def _split_static(self, args):
    nargs = len(args)
    nums = tuple(sorted(i % nargs for i in self._static if -nargs <= i < nargs))
    statics = tuple((i, args[i]) for i in nums)
    for i, value in statics:
      try:
        hash(value)
      except TypeError:
        raise TypeError(f"pmap: static_broadcasted_argnums argument {i} of "
                        f"{self._name} has unhashable type {type(value).__name__}; "
                        "use a tuple instead of a list") from None
    dyn = [a for i, a in enumerate(args) if i not in nums]
    return statics, nums, dyn

  def _with_statics(self, statics, nargs_total):
    fixed = dict(statics)

    def fun(*dyn, **kwargs):
      it = iter(dyn)
      args = [fixed[i] if i in fixed else next(it) for i in range(nargs_total)]
      return self._fun(*args, **kwargs)
    return fun

  def _in_dims(self, dyn_args, kwargs, nums, in_tree):
    axes = self._in_axes
    if isinstance(axes, tuple):
      if len(axes) != len(dyn_args) + len(nums):
        raise ValueError(
            f"pmap in_axes must be an int, None, or a tuple with one entry per "
            f"positional argument; got {len(axes)} entries for "
            f"{len(dyn_args) + len(nums)} arguments of {self._name}")
      axes = tuple(a for i, a in enumerate(axes) if i not in nums)
    return api._flatten_axes(self._name, in_tree, (axes, {k: 0 for k in kwargs}),
                             "in_axes")

  def __call__(self, *args, **kwargs):
    if self._static:
      statics, nums, dyn_args = self._split_static(args)
    else:
      statics, nums, dyn_args = (), (), args
    if trace_lib.current_trace() is not trace_lib.default_trace():
      return self._as_vmap(dyn_args, kwargs, statics, nums, len(args))
    leaves, in_tree = tree.tree_flatten((tuple(dyn_args), kwargs))
    avals = tuple([x.aval if type(x) is Array else aval_of(x) for x in leaves])
    key = (in_tree, statics, avals, named_axes.scope_key())
    stats = self._stats
    stats["calls"] += 1
    entry = self._cache.get(key)
    if entry is None:
      stats["cache_misses"] += 1
      entry = self._cache[key] = self._compile(dyn_args, kwargs, statics, nums, len(args),
                                               leaves, in_tree, avals)
    else:
      stats["cache_hits"] += 1
    devices = entry.devices
    bufs = [sharded.shard_arg(c, aval_of(c), None, devices) for c in entry.consts]
    bufs += [sharded.shard_arg(x, a, d, devices)
             for x, a, d in zip(leaves, avals, entry.dims)]
    outs = entry.executable.run(bufs)
    if entry.out_dims is not None:
      outs = self._place_outputs(outs, entry.out_dims)
    return entry.out_tree.unflatten(outs)

  def _as_vmap(self, dyn_args, kwargs, statics, nums, nargs):
    """Under jit/grad/vmap: the same values as vmap with this axis name."""
    fun = self._with_statics(statics, nargs) if nums else self._fun
    in_axes = self._in_axes
    if isinstance(in_axes, tuple):
      in_axes = tuple(a for i, a in enumerate(in_axes) if i not in nums)
    mapped = api.vmap(fun, in_axes=in_axes, out_axes=self._out_axes,
                      axis_name=self._axis_name, axis_size=self._axis_size)
    return mapped(*dyn_args, **kwargs)

  def _mapped_size(self, leaves, avals, dims, in_tree):
    sizes = {}
    out = []
    names = None
    for i, (a, d) in enumerate(zip(avals, dims)):
      if d is None:
        out.append(None)
        continue
      if not -a.ndim <= d < a.ndim:
        names = names or api._arg_names(self._signature, in_tree, len(leaves))
        raise ValueError(RANK_MESSAGE.format(name=self._name, arg=names[i], shape=a.shape,
                                             axis=d, ndim=a.ndim))
      d %= a.ndim
      out.append(d)
      sizes.setdefault(a.shape[d], []).append(i)
    if len(sizes) > 1:
      names = api._arg_names(self._signature, in_tree, len(leaves))
      details = "\n".join(
          f"  {names[i]} has size {avals[i].shape[out[i]]} along axis {out[i]} "
          f"(shape {avals[i].shape})" for s in sizes.values() for i in s)
      raise ValueError(SIZES_MESSAGE.format(name=self._name, details=details,
                                            devices=self._available()))
    if not sizes:
      if self._axis_size is None:
        raise ValueError(NOTHING_MAPPED_MESSAGE.format(name=self._name))
      return out, self._axis_size
    return out, next(iter(sizes))

  def _available(self):
    return backend.local_devices(backend=self._backend)

  def _choose_devices(self, size):
    if self._devices is not None:
      if len(self._devices) != size:
        raise ValueError(DEVICES_MESSAGE.format(name=self._name, size=size,
                                                count=len(self._devices),
                                                devices=list(self._devices)))
      return self._devices
    local = self._available()
    processes = backend.process_count(self._backend)
    if processes > 1:
      if size != len(local):
        raise ValueError(MULTIPROCESS_SIZE_MESSAGE.format(
            name=self._name, processes=processes, local=len(local), size=size))
      return tuple(backend.devices(self._backend))
    if size > len(local):
      raise ValueError(TOO_MANY_MESSAGE.format(name=self._name, size=size,
                                               count=len(local), devices=list(local)))
    return tuple(local[:size])

  def _compile(self, dyn_args, kwargs, statics, nums, nargs, leaves, in_tree, avals):
    """Checks the mapped sizes, picks the devices, traces, lowers and
    compiles: the cache entry for one signature."""
    dims = self._in_dims(dyn_args, kwargs, nums, in_tree)
    dims, size = self._mapped_size(leaves, avals, dims, in_tree)
    devices = self._choose_devices(size)
    shard_avals = [a if d is None else a.update(shape=a.shape[:d] + a.shape[d + 1:])
                   for a, d in zip(avals, dims)]
    fun = self._with_statics(statics, nargs) if nums else self._fun
    store = api._OutStore()
    names = api._arg_names(self._signature, in_tree, len(avals)) if not nums else None
    jaxpr, consts = trace_replicated(
        api._flatten_fun(fun, in_tree, store), shard_avals, names,
        self._axis_name, len(devices), origin=f"pmap({self._name})")
    consts = [c if isinstance(c, Array) else np.asarray(c) for c in consts]
    donated = [False] * len(consts) + self._donated_leaves(in_tree, len(avals), nums, nargs)
    executable = ReplicatedExecutable(jaxpr.jaxpr, self._axis_name, devices,
                                      f"pmap_{self._name}", donated)
    out_dims = api._flatten_axes(self._name, store.tree, self._out_axes, "out_axes")
    if all(w == 0 for w in out_dims):
      out_dims = None
    return _Entry(consts, store.tree, executable, devices, dims, out_dims)

  def _donated_leaves(self, in_tree, n, nums, nargs):
    """Per leaf: is it inside a donated positional argument?"""
    if not self._donate:
      return [False] * n
    positions = [i for i in range(nargs) if i not in nums]
    paths = [p for p, _ in tree.registry.flatten_with_path(
        tree.tree_unflatten(in_tree, [0] * n))[0]]
    return [p[0].idx == 0 and positions[p[1].idx] in self._donate for p in paths]

  def _place_outputs(self, outs, out_dims):
    """Outputs with out_axes other than 0: None takes device 0's value (it
    is the same on every device), an int moves the device axis there."""
    placed = []
    for o, w in zip(outs, out_dims):
      if w == 0:
        placed.append(o)
      elif w is None:
        placed.append(o[0])
      else:
        value = np.moveaxis(np.asarray(o), 0, w % o.ndim)
        placed.append(api.dispatch.to_array(value))
    return placed
