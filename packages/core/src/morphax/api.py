"""The transformations users call: jit, make_jaxpr, eval_shape, jvp,
linearize, vjp, grad, value_and_grad, jacfwd, jacrev, hessian, vmap.

Each flattens its pytree arguments, runs a flat transformation from
interpreters/, and unflattens the result.
"""

import functools
import inspect
import contextlib
import logging
import time

import numpy as np

from . import dtypes
from ._config import config
from .core import avals as avals_lib
from .core import named_axes
from .core import source_info
from .core import trace as trace_lib
from .core import tree
from .core.ad_util import UndefinedPrimal, Zero
from .core.ir import Literal
from .core.trace import Tracer
from .interpreters import batching, lowering, staging
from .interpreters.jvp import instantiate, jvp_flat
from .interpreters.partial_eval import linearize_flat
from .interpreters.transpose import backward_pass
from .ops import call
from .ops import shape as shape_ops
from .ops._checks import aval_of
from .runtime import dispatch
from .runtime.array import Array

float0 = dtypes.float0


class ShapeDtypeStruct:
  """A shape and dtype standing in for an array (eval_shape, lowering)."""
  __slots__ = ("shape", "dtype", "weak_type", "sharding")

  def __init__(self, shape, dtype, weak_type=False, sharding=None):
    self.shape = avals_lib.check_shape(shape, "ShapeDtypeStruct: shape")
    self.dtype = np.dtype(dtype)
    self.weak_type = weak_type
    self.sharding = sharding

  ndim = property(lambda self: len(self.shape))
  size = property(lambda self: avals_lib.prod(self.shape))

  @property
  def aval(self):
    return avals_lib.ShapedArray(self.shape, avals_lib.canonicalize_dtype(self.dtype),
                                 self.weak_type)

  def __eq__(self, other):
    return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
            and self.dtype == other.dtype and self.weak_type == other.weak_type)

  def __hash__(self):
    return hash((self.shape, self.dtype, self.weak_type))

  def __repr__(self):
    weak = ", weak_type=True" if self.weak_type else ""
    return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"


def _fun_name(fun):
  return getattr(fun, "__name__", None) or type(fun).__name__


def _normalize_argnums(name, argnums, nargs=None):
  if isinstance(argnums, int):
    argnums = (argnums,)
  argnums = tuple(argnums)
  if nargs is not None:
    for i in argnums:
      if not -nargs <= i < nargs:
        raise ValueError(f"{name}: argnums {i} is out of range for a call with "
                         f"{nargs} positional arguments")
    argnums = tuple(i % nargs for i in argnums)
  return argnums


# --- Flat functions over pytrees ---------------------------------------------

def _signature(fun):
  try:
    return inspect.signature(fun)
  except (TypeError, ValueError):
    return None


def _arg_names(signature, in_tree, n):
  """User-facing names of the leaves of an (args, kwargs) tree, such as
  `x`, `params['w']` or `args[2]`, for error messages."""
  paths = [p for p, _ in tree.registry.flatten_with_path(
      tree.tree_unflatten(in_tree, [0] * n))[0]]
  params = list(signature.parameters) if signature else []
  names = []
  for path in paths:
    head, rest = path[0], path[1:]
    if head.idx == 0:  # positional
      index = rest[0].idx
      name = params[index] if index < len(params) else f"args[{index}]"
    else:
      name = rest[0].key
    names.append(name + "".join(str(k) for k in rest[1:]))
  return names

class _OutStore:
  """Receives the output tree of a function traced through flat_fun."""
  __slots__ = ("tree",)

  def __init__(self):
    self.tree = None


def _flatten_fun(fun, in_tree, store):
  def flat_fun(*flat_args):
    args, kwargs = tree.tree_unflatten(in_tree, flat_args)
    out = fun(*args, **kwargs)
    out_flat, store.tree = tree.tree_flatten(out)
    return out_flat
  return flat_fun


# --- jit -----------------------------------------------------------------------

UNHASHABLE_STATIC_MESSAGE = (
    "jit: static argument {which} of {name} has unhashable type {type}; "
    "static arguments must be hashable (use a tuple instead of a list).")


class _JitEntry:
  """One traced signature of a jitted function: its jaxpr, the arrays it
  closes over, its output tree, and its executables per device."""
  __slots__ = ("jaxpr", "consts", "out_tree", "executables", "donated",
               "tracer_consts")

  def __init__(self, jaxpr, consts, out_tree, donated):
    self.jaxpr = jaxpr
    self.consts = consts
    self.out_tree = out_tree
    self.executables = {}
    self.donated = donated  # per jaxpr input (consts first): donate its buffer
    self.tracer_consts = [c for c in consts if isinstance(c, Tracer)]

  def stale(self):
    """True if the trace closed over a tracer of a finished transformation."""
    return bool(self.tracer_consts) and any(
        not c._trace.active for c in self.tracer_consts)

  def run(self, name, leaves, stats):
    """The eager call: place the arguments, compile once per device, run."""
    arrays, device, committed = dispatch.place(name, [*self.consts, *leaves])
    executable = self.executables.get((device, committed))
    if executable is None:
      executable = self.executables[(device, committed)] = dispatch.compile_jaxpr(
          self.jaxpr.jaxpr, tuple(a.aval for a in arrays), device, committed,
          self.donated, name)
      stats["lower_seconds"] += executable.lower_seconds
      stats["compile_seconds"] += executable.compile_seconds
    return dispatch.run(executable, arrays, device, committed)


class _Jitted:
  """A jit-compiled function: traces once per input signature, then runs
  the cached executable."""

  def __init__(self, fun, static_argnums, static_argnames, donate_argnums):
    functools.update_wrapper(self, fun)
    self._fun = fun
    self._name = _fun_name(fun)
    self._static_argnums = _normalize_argnums("jit", static_argnums)
    self._static_argnames = (static_argnames,) if isinstance(static_argnames, str) \
        else tuple(static_argnames)
    self._donate_argnums = _normalize_argnums("jit", donate_argnums)
    self._cache = {}
    self._stats = {"calls": 0, "cache_hits": 0, "cache_misses": 0,
                   "trace_seconds": 0.0, "lower_seconds": 0.0,
                   "compile_seconds": 0.0}
    self._signature = _signature(fun)

  def __get__(self, obj, objtype=None):
    if obj is None:
      return self
    return functools.partial(self, obj)

  def _split(self, args, kwargs):
    statics = []
    nargs = len(args)
    static_nums = tuple(i % nargs for i in self._static_argnums if -nargs <= i < nargs)
    dyn_args = []
    for i, a in enumerate(args):
      if i in static_nums:
        statics.append((i, a))
      else:
        dyn_args.append(a)
    dyn_kwargs = {}
    for k, v in kwargs.items():
      if k in self._static_argnames:
        statics.append((k, v))
      else:
        dyn_kwargs[k] = v
    for which, value in statics:
      try:
        hash(value)
      except TypeError:
        raise TypeError(UNHASHABLE_STATIC_MESSAGE.format(
            which=which, name=self._name, type=type(value).__name__)) from None
    return tuple(statics), static_nums, dyn_args, dyn_kwargs

  def _arg_names(self, in_tree, n):
    return _arg_names(self._signature, in_tree, n)

  def _trace(self, statics, static_nums, in_tree, avals):
    def fun(*dyn_args, **dyn_kwargs):
      it = iter(dyn_args)
      n = len(dyn_args) + len(static_nums)
      args = [dict(statics)[i] if i in static_nums else next(it) for i in range(n)]
      kwargs = dict(dyn_kwargs)
      kwargs.update((k, v) for k, v in statics if isinstance(k, str))
      return self._fun(*args, **kwargs)

    store = _OutStore()
    names = self._arg_names(in_tree, len(avals))
    closed = staging.trace_to_jaxpr(_flatten_fun(fun, in_tree, store), avals,
                                    names, origin=f"jit({self._name})")
    jaxpr, consts = staging.hoist_consts(closed)
    consts = [dispatch.to_array(c) if not isinstance(c, (Array, Tracer)) else c
              for c in consts]
    donated = [False] * len(consts) + self._donated_leaves(in_tree, len(avals))
    return _JitEntry(jaxpr, consts, store.tree, donated)

  def _donated_leaves(self, in_tree, n):
    """Per leaf of (dyn_args, dyn_kwargs): is it inside a donated argument?
    NB: donate_argnums count positions among all positional arguments."""
    if not self._donate_argnums:
      return [False] * n
    paths = [p for p, _ in tree.registry.flatten_with_path(
        tree.tree_unflatten(in_tree, [0] * n))[0]]
    return [p[0].idx == 0 and p[1].idx in self._donate_argnums for p in paths]

  def __call__(self, *args, **kwargs):
    if config.jax_disable_jit:
      return self._fun(*args, **kwargs)
    if self._static_argnums or self._static_argnames:
      statics, static_nums, dyn_args, dyn_kwargs = self._split(args, kwargs)
    else:
      statics, static_nums, dyn_args, dyn_kwargs = (), (), args, kwargs
    leaves, in_tree = tree.registry.flatten((dyn_args, dyn_kwargs))
    avals = tuple(x.aval if type(x) is Array else aval_of(x) for x in leaves)
    key = (in_tree, statics, avals, named_axes.scope_key())
    stats = self._stats
    stats["calls"] += 1
    entry = self._cache.get(key)
    if entry is None or entry.stale():
      stats["cache_misses"] += 1
      if config.jax_explain_cache_misses and self._cache:
        self._explain_miss(key)
      start = time.perf_counter()
      entry = self._cache[key] = self._trace(statics, static_nums, in_tree, avals)
      stats["trace_seconds"] += time.perf_counter() - start
    else:
      stats["cache_hits"] += 1
    if trace_lib.current_trace() is trace_lib.default_trace():
      outs = entry.run(self._name, leaves, stats)
      if (config.jax_debug_nans or config.jax_debug_infs) and dispatch.invalid_values(outs):
        _rerun_op_by_op(entry.jaxpr.jaxpr, [*entry.consts, *leaves])
    else:
      outs = call.jit_p.bind(*entry.consts, *leaves, jaxpr=entry.jaxpr, name=self._name)
    return entry.out_tree.unflatten(outs)

  def stats(self):
    """Calls, trace-cache hits and misses, and cumulative trace, lower and
    compile seconds of this jitted function."""
    return dict(self._stats)

  def _explain_miss(self, key):
    """Logs why `key` missed: the call site and what differs from the
    closest cached signature."""
    in_tree, statics, avals, _ = key
    best = min(self._cache, key=lambda k: len(_signature_diff(self, k, key)))
    lines = "\n".join(f"    - {d}" for d in _signature_diff(self, best, key))
    _jit_logger.warning(
        "TRACING CACHE MISS: jit(%s) is retraced at %s (call %d).\n"
        "  The closest cached signature differs in:\n%s",
        self._name, _user_call_site(), self._stats["calls"], lines)

  def lower(self, *args, **kwargs):
    """The StableHLO program for these arguments (as_text(), compile())."""
    statics, static_nums, dyn_args, dyn_kwargs = self._split(args, kwargs)
    leaves, in_tree = tree.registry.flatten((dyn_args, dyn_kwargs))
    avals = tuple(aval_of(x) for x in leaves)
    entry = self._trace(statics, static_nums, in_tree, avals)
    return Lowered(entry.jaxpr, [aval_of(c) for c in entry.consts] + list(avals),
                   self._name)


class Lowered:
  """A lowered program: `as_text()` gives StableHLO, `compile()` compiles."""

  def __init__(self, jaxpr, in_avals, name):
    self._jaxpr = jaxpr
    self._in_avals = in_avals
    self._name = name
    self._module, self._callbacks = lowering.lower_jaxpr_module(jaxpr.jaxpr)

  def as_text(self):
    return str(self._module)

  def compile(self):
    device = dispatch.backend.default_device()
    return Compiled(dispatch.compile_module(self._module, [device],
                                            host_callbacks=self._callbacks))


class Compiled:
  """A compiled executable with XLA's cost and memory analyses."""

  def __init__(self, executable):
    self._executable = executable

  def cost_analysis(self):
    return self._executable.cost_analysis()

  def memory_analysis(self):
    return self._executable.get_compiled_memory_stats()

  def as_text(self):
    return self._executable.hlo_modules()[0].to_string()


_jit_logger = logging.getLogger("morphax.jit")


def _rerun_op_by_op(jaxpr, args):
  """Re-runs a jitted program one equation at a time (calls inlined) to
  find the first equation that produced a nan/inf, and raises naming it
  and the user's line that staged it, as JAX does under jax_debug_nans."""
  env = dict(zip(jaxpr.invars, args))

  def read(v):
    if type(v) is Literal:
      return avals_lib.HostValue(v.val, v.aval.weak_type)
    return env[v]

  for eqn in jaxpr.eqns:
    invals = [read(v) for v in eqn.invars]
    inner = eqn.params.get("jaxpr")
    if eqn.primitive is call.jit_p:
      outs = _rerun_op_by_op(inner.jaxpr, invals)
    else:
      # The eager check would name this loop's line: check here instead,
      # naming the line that staged the equation.
      flags = config.jax_debug_nans, config.jax_debug_infs
      config.jax_debug_nans = config.jax_debug_infs = False
      try:
        with disable_jit():
          outs = eqn.primitive.bind(*invals, **eqn.params)
      finally:
        config.jax_debug_nans, config.jax_debug_infs = flags
      outs = outs if eqn.primitive.multiple_results else [outs]
      dispatch.check_invalid(eqn.primitive.name, outs, eqn.source_info)
    env.update(zip(eqn.outvars, outs))
  return [read(v) for v in jaxpr.outvars]


@contextlib.contextmanager
def disable_jit(disable=True):
  """Inside the block, jitted functions run op by op in Python (for
  stepping through them with a debugger or print)."""
  previous = config.jax_disable_jit
  config.jax_disable_jit = disable
  try:
    yield
  finally:
    config.jax_disable_jit = previous


def _user_call_site():
  return source_info.describe(source_info.user_frame())


def _signature_diff(jitted, old, new):
  """Human-readable differences between two cached signatures."""
  old_tree, old_statics, old_avals, old_axes = old
  new_tree, new_statics, new_avals, new_axes = new
  diffs = []
  if old_tree != new_tree:
    diffs.append(f"tree structure of the arguments: {old_tree} -> {new_tree}")
  old_s, new_s = dict(old_statics), dict(new_statics)
  for k in sorted(set(old_s) | set(new_s), key=str):
    if old_s.get(k) != new_s.get(k):
      diffs.append(f"static argument {k}: {old_s.get(k)!r} -> {new_s.get(k)!r}")
  if old_axes != new_axes:
    diffs.append(f"named axes in scope (pmap/vmap axis_name): {old_axes} -> {new_axes}")
  if old_tree == new_tree:
    names = jitted._arg_names(new_tree, len(new_avals))
    for name, a, b in zip(names, old_avals, new_avals):
      if a != b:
        what = []
        if a.shape != b.shape:
          what.append("shape")
        if a.dtype != b.dtype:
          what.append("dtype")
        if a.weak_type != b.weak_type:
          what.append("weak type")
        diffs.append(f"argument {name} ({', '.join(what)}): "
                     f"{_aval_text(a)} -> {_aval_text(b)}")
  return diffs


def _aval_text(a):
  return a.str_short() + (" (weak)" if a.weak_type else "")


def jit(fun=None, *, static_argnums=(), static_argnames=(), donate_argnums=()):
  """Compiles `fun` with XLA: traced once per input signature (pytree
  structure, shapes, dtypes, weak types and static values).

  Usable as `jit(f)`, `@jit` or `@partial(jit, static_argnums=0)`.
  `donate_argnums` lets XLA write outputs into the buffers of those
  arguments (they are deleted by the call), as in JAX.
  """
  if fun is None:
    return functools.partial(jit, static_argnums=static_argnums,
                             static_argnames=static_argnames,
                             donate_argnums=donate_argnums)
  if not callable(fun):
    raise TypeError(f"jit: expected a function, got {type(fun).__name__}")
  return _Jitted(fun, static_argnums, static_argnames, donate_argnums)


# --- make_jaxpr, eval_shape ------------------------------------------------------

def _abstractify(x):
  if isinstance(x, ShapeDtypeStruct):
    return x.aval
  return aval_of(x)


def make_jaxpr(fun, static_argnums=(), return_shape=False):
  """A function that returns the ClosedJaxpr of `fun` at its arguments."""
  static_argnums = _normalize_argnums("make_jaxpr", static_argnums)

  def make(*args, **kwargs):
    nargs = len(args)
    statics = {i % nargs: args[i] for i in static_argnums if -nargs <= i < nargs}
    dyn = [a for i, a in enumerate(args) if i not in statics]

    def fun_dyn(*dyn_args, **kw):
      it = iter(dyn_args)
      full = [statics[i] if i in statics else next(it) for i in range(nargs)]
      return fun(*full, **kw)

    leaves, in_tree = tree.tree_flatten((dyn, kwargs))
    store = _OutStore()
    closed = staging.trace_to_jaxpr(_flatten_fun(fun_dyn, in_tree, store),
                                    [_abstractify(x) for x in leaves],
                                    origin=f"make_jaxpr({_fun_name(fun)})")
    if return_shape:
      shapes = [ShapeDtypeStruct(a.shape, a.dtype, a.weak_type) for a in closed.out_avals]
      return closed, tree.tree_unflatten(store.tree, shapes)
    return closed
  return make


def eval_shape(fun, *args, **kwargs):
  """The output shapes and dtypes of `fun` (ShapeDtypeStructs), computed by
  tracing, without running anything."""
  _, shapes = make_jaxpr(fun, return_shape=True)(*args, **kwargs)
  return shapes


# --- Forward and reverse mode -----------------------------------------------------

def _check_same_structure(name, primals, tangents):
  p_leaves, p_tree = tree.tree_flatten(primals)
  t_leaves, t_tree = tree.tree_flatten(tangents)
  if p_tree != t_tree:
    raise TypeError(f"{name}: primal and tangent arguments must have the same "
                    f"tree structure, got {p_tree} and {t_tree}")
  out = []
  for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
    pa = aval_of(p)
    if getattr(t, "dtype", None) == float0 and not avals_lib.is_inexact(pa.dtype):
      # Integer and bool primals take float0 tangents, as in JAX: zero.
      if np.shape(t) != pa.shape:
        raise TypeError(f"{name}: float0 tangent leaf {i} has shape {np.shape(t)} "
                        f"but its primal has shape {pa.shape}")
      out.append(Zero(pa))
      continue
    ta = aval_of(t)
    if pa.shape != ta.shape or pa.dtype != ta.dtype:
      hint = (" (integer and bool primals take float0 tangents: "
              "np.zeros(shape, dtype=morphax.dtypes.float0))"
              if not avals_lib.is_inexact(pa.dtype) else "")
      raise TypeError(f"{name}: primal and tangent leaf {i} must have the same "
                      f"shape and dtype, got {pa.str_short()} and {ta.str_short()}{hint}")
    out.append(t)
  return p_leaves, out, p_tree


def jvp(fun, primals, tangents, has_aux=False):
  """(fun(*primals), the directional derivative along tangents)."""
  if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
    raise TypeError("jvp: primals and tangents must be tuples or lists, got "
                    f"{type(primals).__name__} and {type(tangents).__name__}")
  p_leaves, t_leaves, p_tree = _check_same_structure("jvp", tuple(primals), tuple(tangents))
  store = _OutStore()
  in_tree = tree.tree_structure((tuple(primals), {}))
  flat_fun = _flatten_fun(lambda *a: fun(*a), in_tree, store)
  outs, touts = jvp_flat(flat_fun, p_leaves, t_leaves, origin=f"jvp({_fun_name(fun)})")
  touts = [instantiate(t) for t in touts]
  out, tout = tree.tree_unflatten(store.tree, outs), tree.tree_unflatten(store.tree, touts)
  if has_aux:
    (out, aux), (tout, _) = out, tout
    return out, tout, aux
  return out, tout


def _split_aux(fun, has_aux, name):
  if not has_aux:
    return fun

  def with_aux(*args, **kwargs):
    out = fun(*args, **kwargs)
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
      raise TypeError(f"{name} with has_aux=True: the function must return a "
                      f"pair (output, aux), got {type(out).__name__}")
    return tuple(out)
  return with_aux


def linearize(fun, *primals, has_aux=False):
  """(fun(*primals), f_jvp) where f_jvp(*tangents) is the linear map."""
  leaves, in_tree = tree.tree_flatten((primals, {}))
  store = _OutStore()
  flat_fun = _flatten_fun(_split_aux(fun, has_aux, "linearize"), in_tree, store)
  outs, linear = linearize_flat(flat_fun, leaves, origin=f"linearize({_fun_name(fun)})")
  out = tree.tree_unflatten(store.tree, outs)

  def f_jvp(*tangents):
    _, t_leaves, _ = _check_same_structure("linearize", primals, tangents)
    touts = staging.eval_closed_jaxpr(linear, *t_leaves)
    tout = tree.tree_unflatten(store.tree, touts)
    return tout[0] if has_aux else tout

  if has_aux:
    return out[0], f_jvp, out[1]
  return out, f_jvp


def vjp(fun, *primals, has_aux=False):
  """(fun(*primals), vjp_fun) where vjp_fun(ct) gives one cotangent per
  primal (a tuple); with has_aux, (out, vjp_fun, aux)."""
  leaves, in_tree = tree.tree_flatten((primals, {}))
  store = _OutStore()
  flat_fun = _flatten_fun(_split_aux(fun, has_aux, "vjp"), in_tree, store)
  outs, linear = linearize_flat(flat_fun, leaves, origin=f"vjp({_fun_name(fun)})")
  out_struct = tree.tree_unflatten(store.tree, outs)
  out, aux = (out_struct[0], out_struct[1]) if has_aux else (out_struct, None)
  out_tree = tree.tree_structure(out)
  n_out = out_tree.num_leaves
  in_avals = [aval_of(x) for x in leaves]

  def vjp_fun(ct):
    ct_leaves, ct_tree = tree.tree_flatten(ct)
    if ct_tree != out_tree:
      raise TypeError(f"vjp: the cotangent must have the structure of the "
                      f"output, {out_tree}, got {ct_tree}")
    for i, (c, o) in enumerate(zip(ct_leaves, outs[:n_out])):
      ca, oa = aval_of(c), aval_of(o)
      if ca.shape != oa.shape:
        raise ValueError(f"vjp: cotangent leaf {i} has shape {ca.shape} but "
                         f"the output has shape {oa.shape}")
    # Aux outputs of the linear map get zero cotangents.
    cts = list(ct_leaves) + [Zero(aval_of(o)) for o in outs[n_out:]]
    cts_in = backward_pass(linear.jaxpr, linear.consts,
                           [UndefinedPrimal(a) for a in in_avals], cts)
    cts_in = [instantiate(c) for c in cts_in]
    return tree.tree_unflatten(in_tree, cts_in)[0]

  if has_aux:
    return out, vjp_fun, aux
  return out, vjp_fun


GRAD_SCALAR_MESSAGE = (
    "grad requires a scalar output, got {aval} from {name}. For a vector "
    "output use jax.vjp, jacrev or jacfwd, or reduce it (e.g. .sum()) first.")
GRAD_REAL_MESSAGE = (
    "grad requires real-valued outputs, got {aval} from {name}. For a "
    "holomorphic function pass holomorphic=True; otherwise take the real part.")
GRAD_INPUT_MESSAGE = (
    "grad requires real- or complex-valued inputs (float or complex dtypes), "
    "but argument {i} of {name} has dtype {dtype}. Pass allow_int=True to get "
    "a zero (float0) gradient for integer inputs.")


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
  """A function returning (fun(*args), gradient w.r.t. args[argnums])."""
  name = _fun_name(fun)

  def value_and_grad_f(*args, **kwargs):
    nums = _normalize_argnums("grad", argnums, len(args))
    diff_args = [args[i] for i in nums]
    for i, a in zip(nums, diff_args):
      for leaf in tree.tree_leaves(a):
        dtype = aval_of(leaf).dtype
        if holomorphic and not avals_lib.is_complex(dtype):
          raise TypeError(f"grad with holomorphic=True requires complex inputs, "
                          f"but argument {i} of {name} has dtype {dtype.name}")
        if not avals_lib.is_inexact(dtype) and not allow_int:
          raise TypeError(GRAD_INPUT_MESSAGE.format(i=i, name=name, dtype=dtype.name))

    def partial_fun(*diff):
      full = list(args)
      for i, d in zip(nums, diff):
        full[i] = d
      return fun(*full, **kwargs)

    res = vjp(partial_fun, *diff_args, has_aux=has_aux)
    out, vjp_fun = res[0], res[1]
    out_aval = aval_of(out) if not isinstance(out, (tuple, list, dict)) else None
    if out_aval is None or out_aval.shape != ():
      raise TypeError(GRAD_SCALAR_MESSAGE.format(
          aval=out_aval.str_short() if out_aval else type(out).__name__, name=name))
    if avals_lib.is_complex(out_aval.dtype) and not holomorphic:
      raise TypeError(GRAD_REAL_MESSAGE.format(aval=out_aval.str_short(), name=name))
    if not avals_lib.is_inexact(out_aval.dtype):
      raise TypeError(f"grad requires a float output, got {out_aval.str_short()} from {name}")
    grads = vjp_fun(shape_ops.full((), 1, out_aval.dtype))
    grads = tuple(_int_grads(g, a) for g, a in zip(grads, diff_args))
    g = grads[0] if isinstance(argnums, int) else grads
    if has_aux:
      return (out, res[2]), g
    return out, g
  return value_and_grad_f


def _int_grads(g, primal):
  def fix(gl, pl):
    dtype = aval_of(pl).dtype
    if avals_lib.is_inexact(dtype):
      return gl
    return np.zeros(aval_of(pl).shape, float0)
  return tree.tree_map(fix, g, primal)


def grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
  """The gradient of scalar-valued `fun` w.r.t. args[argnums]."""
  vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

  def grad_f(*args, **kwargs):
    (value, g) = vg(*args, **kwargs)
    if has_aux:
      return g, value[1]
    return g
  functools.update_wrapper(grad_f, fun) if hasattr(fun, "__name__") else None
  return grad_f


# --- vmap ---------------------------------------------------------------------------

VMAP_SIZE_MESSAGE = (
    "vmap got inconsistent sizes for the mapped axis of {name}'s arguments:\n"
    "{details}\nEvery mapped argument must have the same size along its "
    "in_axes dimension.")


def _flatten_axes(name, treedef, axes, kind):
  """One axis per leaf of `treedef` from `axes` (an int/None or a prefix)."""
  proxy = tree.tree_unflatten(treedef, [object()] * treedef.num_leaves)
  axes_leaves, axes_tree = tree.tree_flatten(axes, is_leaf=lambda x: x is None)
  try:
    subtrees = axes_tree.flatten_up_to(proxy)
  except (ValueError, TypeError) as e:
    raise ValueError(f"vmap {kind} specification {axes!r} must be a tree prefix "
                     f"of the {kind.split('_')[0]}uts of {name}: {e}") from None
  out = []
  for axis, sub in zip(axes_leaves, subtrees):
    if axis is not None and not isinstance(axis, (int, np.integer)):
      raise TypeError(f"vmap {kind} must be ints or None, got {axis!r}")
    out.extend([axis] * len(tree.tree_leaves(sub)))
  return out


def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None):
  """Vectorizes `fun` over a leading (or in_axes) dimension of its inputs."""
  name = _fun_name(fun)

  def batched(*args, **kwargs):
    axes = in_axes
    if isinstance(axes, list):
      axes = tuple(axes)
    if isinstance(axes, tuple) and len(axes) != len(args):
      raise ValueError(f"vmap in_axes must be an int, None, or a tuple with one "
                       f"entry per positional argument; got {len(axes)} entries "
                       f"for {len(args)} arguments of {name}")
    leaves, in_tree = tree.tree_flatten((args, kwargs))
    axes_full = (axes, {k: 0 for k in kwargs}) if not isinstance(axes, int) or True else axes
    dims = _flatten_axes(name, in_tree, axes_full, "in_axes")
    sizes = {}
    norm_dims = []
    for i, (x, d) in enumerate(zip(leaves, dims)):
      if d is None:
        norm_dims.append(None)
        continue
      ndim = aval_of(x).ndim
      if not -ndim <= d < ndim:
        raise ValueError(f"vmap was requested to map its argument along axis {d}, "
                         f"which implies that its rank should be at least {d + 1 if d >= 0 else -d}, "
                         f"but is only {ndim} (its shape is {aval_of(x).shape})")
      d %= ndim
      norm_dims.append(d)
      sizes.setdefault(aval_of(x).shape[d], []).append(i)
    if len(sizes) > 1:
      names = _arg_names(_signature(fun), in_tree, len(leaves))
      details = "\n".join(
          f"  {names[i]} has size {aval_of(leaves[i]).shape[norm_dims[i]]} along axis "
          f"{norm_dims[i]} (shape {aval_of(leaves[i]).shape})"
          for s in sizes.values() for i in s)
      raise ValueError(VMAP_SIZE_MESSAGE.format(name=name, details=details))
    if not sizes and axis_size is None:
      raise ValueError(f"vmap of {name}: every in_axes is None, so axis_size "
                       "must be given")
    size = axis_size if not sizes else next(iter(sizes))
    if axis_size is not None and sizes and size != axis_size:
      raise ValueError(f"vmap of {name}: axis_size={axis_size} but the mapped "
                       f"arguments have size {size}")
    store = _OutStore()
    flat_fun = _flatten_fun(fun, in_tree, store)
    outs, out_dims = batching.vmap_flat(flat_fun, leaves, norm_dims, size,
                                        axis_name, origin=f"vmap({name})")
    want = _flatten_axes(name, store.tree, out_axes, "out_axes")
    final = []
    for o, d, w in zip(outs, out_dims, want):
      if w is not None:
        w %= aval_of(o).ndim + (1 if d is None else 0)
      final.append(batching.matchaxis(o, d, w, size))
    return tree.tree_unflatten(store.tree, final)
  return batched


# --- Jacobians ------------------------------------------------------------------------

def _one_hot_basis(leaves):
  """For leaves totalling n elements: per leaf, an (n, *shape) slab of the
  n x n identity, so that row i perturbs element i."""
  sizes = [aval_of(x).size for x in leaves]
  total = sum(sizes)
  out, start = [], 0
  for x, n in zip(leaves, sizes):
    aval = aval_of(x)
    eye = np.eye(total, dtype=aval.dtype)[:, start:start + n]
    out.append(eye.reshape((total,) + aval.shape))
    start += n
  return out


def _assemble(out_leaves, out_tree, arg_trees, block, single_arg):
  """The Jacobian pytree: the output tree, each output leaf holding the
  argument tree(s) of blocks d out / d in, as JAX lays it out."""
  per_out = []
  for k, o in enumerate(out_leaves):
    arg_jacs, start = [], 0
    for arg_tree in arg_trees:
      leaves, treedef = tree.tree_flatten(arg_tree)
      blocks = []
      for x in leaves:
        blocks.append(block(k, start, x))
        start += 1
      arg_jacs.append(tree.tree_unflatten(treedef, blocks))
    per_out.append(arg_jacs[0] if single_arg else tuple(arg_jacs))
  return tree.tree_unflatten(out_tree, per_out)


def _partial(fun, args, kwargs, nums):
  def partial_fun(*diff):
    full = list(args)
    for i, d in zip(nums, diff):
      full[i] = d
    return fun(*full, **kwargs)
  return partial_fun


def _split_rows(x, sizes, axis):
  """Pieces of `x` along `axis` of the given sizes."""
  pieces, start = [], 0
  for n in sizes:
    pieces.append(shape_ops.slice_in_dim(x, start, start + n, axis=axis))
    start += n
  return pieces


def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False):
  """The Jacobian of `fun` by forward mode: jvp, vmapped over the
  standard basis of the inputs."""
  def jac(*args, **kwargs):
    nums = _normalize_argnums("jacfwd", argnums, len(args))
    diff = tuple(args[i] for i in nums)
    in_leaves, in_tree = tree.tree_flatten(diff)
    partial_fun = _partial(fun, args, kwargs, nums)

    def pushforward(*basis_leaves):
      res = jvp(partial_fun, diff, tree.tree_unflatten(in_tree, basis_leaves),
                has_aux=has_aux)
      return (res[1], res[2]) if has_aux else (res[1], None)

    tangents, aux = vmap(pushforward, out_axes=(-1, None))(*_one_hot_basis(in_leaves))
    out_leaves, out_tree = tree.tree_flatten(tangents)
    in_sizes = [aval_of(x).size for x in in_leaves]
    pieces = [_split_rows(t, in_sizes, aval_of(t).ndim - 1) for t in out_leaves]

    def block(k, i, x):
      shape = aval_of(out_leaves[k]).shape[:-1] + aval_of(x).shape
      return shape_ops.reshape(pieces[k][i], shape)

    result = _assemble(out_leaves, out_tree, diff, block, isinstance(argnums, int))
    return (result, aux) if has_aux else result
  return jac


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
  """The Jacobian of `fun` by reverse mode: vjp, vmapped over the standard
  basis of the outputs."""
  def jac(*args, **kwargs):
    nums = _normalize_argnums("jacrev", argnums, len(args))
    diff = tuple(args[i] for i in nums)
    res = vjp(_partial(fun, args, kwargs, nums), *diff, has_aux=has_aux)
    out, vjp_fun = res[0], res[1]
    out_leaves, out_tree = tree.tree_flatten(out)
    cts = vmap(lambda *b: vjp_fun(tree.tree_unflatten(out_tree, b)))(
        *_one_hot_basis(out_leaves))
    ct_leaves = tree.tree_leaves(cts)
    out_sizes = [aval_of(o).size for o in out_leaves]
    pieces = [_split_rows(c, out_sizes, 0) for c in ct_leaves]

    def block(k, i, x):
      shape = aval_of(out_leaves[k]).shape + aval_of(x).shape
      return shape_ops.reshape(pieces[i][k], shape)

    result = _assemble(out_leaves, out_tree, diff, block, isinstance(argnums, int))
    return (result, res[2]) if has_aux else result
  return jac


def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
  """The Hessian of scalar `fun`: jacfwd(jacrev(fun))."""
  return jacfwd(jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic),
                argnums, has_aux=has_aux, holomorphic=holomorphic)


# --- pmap ----------------------------------------------------------------------------

from .pmap_api import pmap  # noqa: E402,F401  (pmap_api builds on the helpers above)
