"""Host callbacks: pure_callback and debug.callback/print call Python from a
compiled program (XLA's Python callback custom call); eagerly they just
call the function.
"""

import functools

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import tree
from ..core import trace as trace_lib
from ..core.avals import ShapedArray, canonicalize_dtype
from ..core.primitive import NOT_LINEAR, define_primitive
from ..interpreters.lowering import tensor_type
from ._factories import bdim_at_front, batch_size
from .convert import convert_element_type

__all__ = []

PURE_CALLBACK_JVP_MESSAGE = (
    "pure_callback {name} has no derivative: XLA cannot differentiate "
    "Python code. Wrap the callback in morphax.custom_jvp (or custom_vjp) "
    "to give it one.")

RESULT_MESSAGE = (
    "{kind} {name} returned {got}, but result_shape_dtypes declares {want}")

_TARGETS = {"cpu": "xla_ffi_python_cpu_callback", "cuda": "xla_ffi_python_gpu_callback",
            "rocm": "xla_ffi_python_gpu_callback"}


def _name(fn):
  return getattr(fn, "__name__", type(fn).__name__)


def pure_callback(callback, result_shape_dtypes, *args, vmap_method=None, **kwargs):
  """Calls the Python function `callback(*args, **kwargs)` on host numpy
  values and returns its results, shaped as `result_shape_dtypes` (a
  pytree of ShapeDtypeStruct-likes). It must be pure: XLA may skip or
  repeat it. `vmap_method`: 'sequential' (default: one call per batch
  element), 'expand_dims' or 'broadcast_all' (one call on the batch).

  Example: `pure_callback(np.sin, jax.ShapeDtypeStruct((3,), jnp.float32), x)`.
  """
  if vmap_method not in (None, "sequential", "expand_dims", "broadcast_all"):
    raise ValueError(f"pure_callback: unknown vmap_method {vmap_method!r}; use "
                     "'sequential', 'expand_dims' or 'broadcast_all'")
  leaves, in_tree = tree.tree_flatten((args, kwargs))
  result_leaves, result_tree = tree.tree_flatten(result_shape_dtypes)
  result_avals = tuple(ShapedArray(r.shape, canonicalize_dtype(r.dtype)) for r in result_leaves)
  name = _name(callback)

  def flat_callback(*arrays):
    a, kw = tree.tree_unflatten(in_tree, list(arrays))
    return tuple(np.asarray(o) for o in tree.tree_leaves(callback(*a, **kw)))

  if trace_lib.current_trace() is trace_lib.default_trace():
    # Eagerly there is nothing to compile: call it now.
    checked = _checked(flat_callback, result_avals, name)
    outs = [convert_element_type(o, r.dtype) for o, r in
            zip(checked(*[np.asarray(x) for x in leaves]), result_avals)]
  else:
    outs = callback_p.bind(*leaves, callback=flat_callback, result_avals=result_avals,
                           effect="pure", vmap_method=vmap_method or "sequential",
                           name=name)
  return tree.tree_unflatten(result_tree, outs)


def debug_callback(callback, *args, **kwargs):
  """Calls `callback(*args, **kwargs)` on host values for its side effect
  (printing, logging), also inside jit, vmap (once per batch element) and
  grad (on primal values). Returns nothing."""
  leaves, in_tree = tree.tree_flatten((args, kwargs))

  def flat_callback(*arrays):
    a, kw = tree.tree_unflatten(in_tree, [np.asarray(x) for x in arrays])
    callback(*a, **kw)
    return ()

  if trace_lib.current_trace() is trace_lib.default_trace():
    flat_callback(*leaves)
    return
  callback_p.bind(*leaves, callback=flat_callback, result_avals=(), effect="debug",
                  vmap_method="sequential", name=_name(callback))


def debug_print(fmt, *args, **kwargs):
  """Prints `fmt.format(*args, **kwargs)` with the runtime values, also
  inside jit, vmap and grad (the place print() would show tracers).

  Example: `debug.print("x = {}", x)`.
  """
  debug_callback(functools.partial(_format_and_print, fmt), *args, **kwargs)


def _format_and_print(fmt, *args, **kwargs):
  print(fmt.format(*args, **kwargs), flush=True)


def _checked(callback, result_avals, name):
  """`callback` whose results are checked against (and cast to) the
  declared result types, so a wrong callback fails with a clear message."""
  def run(*arrays):
    got = [np.asarray(o) for o in callback(*arrays)]
    if len(got) != len(result_avals) or any(
        g.shape != r.shape or canonicalize_dtype(g.dtype) != r.dtype
        for g, r in zip(got, result_avals)):
      raise TypeError(RESULT_MESSAGE.format(
          kind="pure_callback", name=name,
          got=[f"{g.dtype.name}{list(g.shape)}" for g in got],
          want=[r.str_short() for r in result_avals]))
    return tuple(np.asarray(g, r.dtype) for g, r in zip(got, result_avals))
  return run


def _callback_abstract_eval(*avals, callback, result_avals, effect, vmap_method, name):
  return list(result_avals)


def _callback_lower(ctx, *args, callback, result_avals, effect, vmap_method, name):
  target = _TARGETS.get(ctx.module_context.platform)
  if target is None:
    raise NotImplementedError(
        f"host callbacks ({name}) are not supported on platform "
        f"{ctx.module_context.platform!r}")
  index = ctx.module_context.add_host_callback(_checked(callback, result_avals, name))
  op = hlo.CustomCallOp(
      [tensor_type(a) for a in result_avals], list(args),
      call_target_name=ir.StringAttr.get(target),
      has_side_effect=ir.BoolAttr.get(effect == "debug"),
      api_version=ir.IntegerAttr.get(ir.IntegerType.get_signless(32), 4),
      backend_config=ir.DictAttr.get({"index": ir.IntegerAttr.get(
          ir.IntegerType.get_unsigned(64), index)}))
  return list(op.results)


def _callback_jvp(primals, tangents, *, callback, result_avals, effect, vmap_method, name):
  if effect == "pure":
    raise TypeError(PURE_CALLBACK_JVP_MESSAGE.format(name=name))
  # A debug callback sees the primal values; nothing flows to tangents.
  callback_p.bind(*primals, callback=callback, result_avals=result_avals,
                  effect=effect, vmap_method=vmap_method, name=name)
  return [], []


def _callback_batch(vals, dims, *, callback, result_avals, effect, vmap_method, name):
  size = batch_size(vals, dims)
  if vmap_method == "expand_dims":
    vals = [bdim_at_front(v, d, 1) if d is None else bdim_at_front(v, d, size)
            for v, d in zip(vals, dims)]
    batched = callback
  else:
    vals = [bdim_at_front(v, d, size) for v, d in zip(vals, dims)]
    if vmap_method == "broadcast_all":
      batched = callback
    else:
      def batched(*arrays):
        results = [callback(*[a[i] for a in arrays]) for i in range(size)]
        return tuple(np.stack([r[k] for r in results]) for k in range(len(result_avals)))
  avals = tuple(a.update(shape=(size,) + a.shape) for a in result_avals)
  outs = callback_p.bind(*vals, callback=batched, result_avals=avals, effect=effect,
                         vmap_method=vmap_method, name=name)
  return outs, [0] * len(outs)


callback_p = define_primitive(
    "callback", abstract_eval=_callback_abstract_eval, lower=_callback_lower,
    jvp=_callback_jvp, transpose=NOT_LINEAR, batch=_callback_batch,
    multiple_results=True)
