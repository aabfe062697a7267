"""Functions that map Python functions over arrays: vectorize (with gufunc
signatures), apply_along_axis, apply_over_axes and piecewise, on vmap.
"""

import re

import numpy as np

from .. import lax
from ..api import vmap
from ..core import tree
from . import _creation, _reductions, _shape, _statistics, _util

__all__ = ["vectorize", "apply_along_axis", "apply_over_axes", "piecewise"]

SIGNATURE_MESSAGE = (
    "vectorize: signature {signature!r} is not a valid gufunc signature; "
    "expected a form like '(m,n),(n)->(m)' or '(),()->()'")
ARGUMENT_COUNT_MESSAGE = (
    "vectorize: the signature {signature!r} has {expected} inputs but the "
    "function got {got} (non-excluded) arguments")
CORE_RANK_MESSAGE = (
    "vectorize: argument {pos} has shape {shape}, fewer dimensions than its "
    "core dimensions {core} in signature {signature!r}")
CORE_SIZE_MESSAGE = (
    "vectorize: inconsistent size for core dimension {dim!r}: {a} vs {b} "
    "(signature {signature!r})")
OUTPUT_COUNT_MESSAGE = (
    "vectorize: the function returned {got} outputs but signature "
    "{signature!r} has {expected}")
OUTPUT_RANK_MESSAGE = (
    "vectorize: output {pos} has shape {shape}, which does not match its "
    "core dimensions {core} in signature {signature!r}")
PIECEWISE_COUNT_MESSAGE = (
    "piecewise: with {nc} condition(s), either {nc} or {nc1} functions are "
    "expected; got {nf}")
OVER_AXES_MESSAGE = (
    "apply_over_axes: func returned shape {shape} for an input of shape "
    "{in_shape} reduced over axis {axis}; it must keep the rank or drop "
    "exactly that axis")

_DIMS = r"\w+(?:\s*,\s*\w+)*"
_ARG = rf"\(\s*(?:{_DIMS})?\s*\)"
_ARGS = rf"{_ARG}(?:\s*,\s*{_ARG})*"
_SIGNATURE = re.compile(rf"^\s*{_ARGS}\s*->\s*{_ARGS}\s*$")


def _parse_signature(signature):
  """'(m,n),(n)->(m)' as ([('m', 'n'), ('n',)], [('m',)])."""
  if not _SIGNATURE.match(signature):
    raise ValueError(SIGNATURE_MESSAGE.format(signature=signature))
  def side(text):
    return [tuple(d for d in re.split(r"\s*,\s*", group.strip()) if d)
            for group in re.findall(r"\(([^)]*)\)", text)]
  inputs, outputs = signature.split("->")
  return side(inputs), side(outputs)


def _split_excluded(pyfunc, excluded, args, kwargs):
  """pyfunc with the excluded arguments bound, and the rest as one list of
  positional values (non-excluded keyword arguments go last)."""
  static_pos = {i: args[i] for i in excluded if isinstance(i, int) and i < len(args)}
  static_kw = {k: v for k, v in kwargs.items() if k in excluded}
  dynamic = [a for i, a in enumerate(args) if i not in static_pos]
  kw_names = [k for k in kwargs if k not in excluded]
  dynamic += [kwargs[k] for k in kw_names]
  n_pos = len(args)

  def bound(*values):
    values = list(values)
    positional, keywords = [], dict(static_kw)
    for i in range(n_pos):
      positional.append(static_pos[i] if i in static_pos else values.pop(0))
    keywords.update(zip(kw_names, values))
    return pyfunc(*positional, **keywords)
  return bound, dynamic


def _core_sizes(args, input_core, signature):
  """Sizes of the named core dimensions, checked to agree across args."""
  sizes = {}
  for pos, (x, core) in enumerate(zip(args, input_core)):
    shape = x.aval.shape
    if len(shape) < len(core):
      raise ValueError(CORE_RANK_MESSAGE.format(
          pos=pos, shape=shape, core=core, signature=signature))
    for name, size in zip(core, shape[len(shape) - len(core):]):
      if sizes.setdefault(name, size) != size:
        raise ValueError(CORE_SIZE_MESSAGE.format(
            dim=name, a=sizes[name], b=size, signature=signature))
  return sizes


def _check_outputs(out, output_core, sizes, loop_ndim, signature):
  outs = list(out) if isinstance(out, (tuple, list)) else [out]
  if len(outs) != len(output_core):
    raise ValueError(OUTPUT_COUNT_MESSAGE.format(
        got=len(outs), expected=len(output_core), signature=signature))
  for pos, (x, core) in enumerate(zip(outs, output_core)):
    shape = np.shape(x) if not _util.is_array(x) else x.aval.shape
    core_shape = shape[loop_ndim:]
    ok = len(core_shape) == len(core) and all(
        sizes.setdefault(n, s) == s for n, s in zip(core, core_shape))
    if not ok:
      raise ValueError(OUTPUT_RANK_MESSAGE.format(
          pos=pos, shape=tuple(core_shape), core=core, signature=signature))


def _vectorized_call(func, args, input_core, loop_shape):
  """func mapped over the loop dimensions of `args` by nested vmaps; size-1
  loop dimensions are squeezed and broadcast (in_axes None)."""
  loop_ndim = len(loop_shape)
  squeezed, axes_per_level = [], [[] for _ in range(loop_ndim)]
  for x, core in zip(args, input_core):
    lead = x.aval.ndim - len(core)
    shape = (1,) * (loop_ndim - lead) + x.aval.shape
    keep = []
    for d in range(loop_ndim):
      mapped = shape[d] != 1
      axes_per_level[d].append(0 if mapped else None)
      if mapped:
        keep.append(shape[d])
    squeezed.append(lax.reshape(x, tuple(keep) + shape[loop_ndim:]))
  f = func
  for d in reversed(range(loop_ndim)):
    if loop_shape[d] != 1:
      f = vmap(f, in_axes=tuple(axes_per_level[d]))
  out = f(*squeezed)

  def restore(y):
    y = _util.ensure_array(y, "vectorize")
    mapped = sum(1 for s in loop_shape if s != 1)
    return lax.reshape(y, tuple(loop_shape) + y.aval.shape[mapped:])
  return tree.tree_map(restore, out)


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
  """`pyfunc` (written for one element, or for arrays of the core shapes a
  gufunc `signature` such as '(m,n),(n)->(m)' names) applied over the
  leading, broadcast dimensions of its arguments by vmap.

  `excluded` holds positions or keyword names passed through unchanged.
  >>> jnp.vectorize(jnp.dot, signature='(n),(n)->()')(a, b)  # batched dot
  NB: non-excluded keyword arguments are vectorized like positional ones,
  as numpy.vectorize does (jax.numpy 0.10 fails to pass them on).
  """
  excluded = frozenset(excluded)
  for e in excluded:
    if not isinstance(e, (int, str)) or isinstance(e, bool):
      raise TypeError(f"vectorize: excluded must hold ints and strings, got {e!r}")
  parsed = None if signature is None else _parse_signature(signature)

  def wrapped(*args, **kwargs):
    func, dynamic = _split_excluded(pyfunc, excluded, args, kwargs)
    dynamic = [_creation.asarray(a) for a in dynamic]
    if parsed is None:
      input_core, output_core = [()] * len(dynamic), None
    else:
      input_core, output_core = parsed
      if len(input_core) != len(dynamic):
        raise TypeError(ARGUMENT_COUNT_MESSAGE.format(
            signature=signature, expected=len(input_core), got=len(dynamic)))
    sizes = _core_sizes(dynamic, input_core, signature)
    loop_shapes = [x.aval.shape[:x.aval.ndim - len(c)] for x, c in zip(dynamic, input_core)]
    loop_shape = _util.broadcast_shapes("vectorize", *loop_shapes)
    if not loop_shape:
      out = func(*dynamic)
    else:
      out = _vectorized_call(func, dynamic, input_core, loop_shape)
    if output_core is not None:
      if len(output_core) == 1 and isinstance(out, (tuple, list)) and len(out) != 1:
        raise ValueError(OUTPUT_COUNT_MESSAGE.format(
            got=len(out), expected=1, signature=signature))
      _check_outputs(out if len(output_core) > 1 else (out,), output_core,
                     sizes, len(loop_shape), signature)
    return out

  wrapped.__name__ = getattr(pyfunc, "__name__", "vectorized")
  wrapped.__doc__ = getattr(pyfunc, "__doc__", None)
  wrapped.__wrapped__ = pyfunc
  return wrapped


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
  """func1d applied to each 1-d slice of `arr` along `axis`; the slices'
  results take the place of that axis (numpy.apply_along_axis), via vmap."""
  arr = _util.ensure_array(arr, "apply_along_axis")
  ndim = arr.aval.ndim
  if ndim == 0:
    raise ValueError("apply_along_axis: arr must be at least 1-d, got a 0-d array")
  axis = _util.canonicalize_axis("apply_along_axis", axis, ndim)
  f = lambda x: func1d(x, *args, **kwargs)
  for i in range(1, ndim - axis):
    f = vmap(f, in_axes=i, out_axes=-1)
  for _ in range(axis):
    f = vmap(f, in_axes=0, out_axes=0)
  return f(arr)


def apply_over_axes(func, a, axes):
  """`a` reduced by func(a, axis) over each of `axes` in turn, keeping the
  rank (a dropped axis comes back with size 1), numpy.apply_over_axes."""
  a = _util.ensure_array(a, "apply_over_axes")
  for axis in ([axes] if isinstance(axes, int) else axes):
    b = _util.ensure_array(func(a, axis), "apply_over_axes")
    if b.aval.ndim == a.aval.ndim - 1:
      b = _shape.expand_dims(b, axis)
    elif b.aval.ndim != a.aval.ndim:
      raise ValueError(OVER_AXES_MESSAGE.format(
          shape=b.aval.shape, in_shape=a.aval.shape, axis=axis))
    a = b
  return a


def piecewise(x, condlist, funclist, *args, **kw):
  """Elementwise: funclist[i] where condlist[i] holds (a later condition
  wins), else the extra last entry of funclist (or 0).

  Entries of funclist are constants or functions called on each element
  (with *args and **kw), via lax.switch under vectorize, as jax.numpy does;
  results take x's dtype.
  >>> jnp.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v])  # |x|
  """
  x = _util.ensure_array(x, "piecewise")
  nc, nf = len(condlist), len(funclist)
  if nf == nc + 1:
    funclist = list(funclist[-1:]) + list(funclist[:-1])
  elif nf == nc:
    funclist = [0] + list(funclist)
  else:
    raise ValueError(PIECEWISE_COUNT_MESSAGE.format(nc=nc, nc1=nc + 1, nf=nf))
  conds = [_util.convert(_util.ensure_array(c, "piecewise"), np.bool_, False, "piecewise")
           for c in condlist]
  conds = [_util.broadcast_to_shape(c, x.aval.shape) if c.aval.shape != x.aval.shape
           and _util.broadcastable_to(c.aval.shape, x.aval.shape) else c for c in conds]
  for c in conds:
    if c.aval.shape != x.aval.shape:
      raise ValueError(f"piecewise: each condition must have x's shape "
                       f"{x.aval.shape}, got {c.aval.shape}")
  dtype = x.aval.dtype
  if conds:
    stacked = _shape.stack([_util.full(x.aval.shape, False, np.bool_)] + conds)
    counts = _statistics.cumsum(lax.convert_element_type(stacked, np.int32), axis=0)
    index = _reductions.argmax(counts, axis=0)
  else:
    index = _util.full(x.aval.shape, 0, np.int32)
  branches = [_branch(f, dtype, args, kw) for f in funclist]
  return vectorize(lambda i, v: lax.switch(i, branches, v))(index, x)


def _branch(f, dtype, args, kw):
  """One lax.switch branch: f at an element, or the constant f, as dtype."""
  if callable(f):
    return lambda v: _util.convert(_util.ensure_array(f(v, *args, **kw), "piecewise"),
                                   dtype, False, "piecewise")
  _util.check_arraylike("piecewise", f)
  return lambda v: _util.convert(f, dtype, False, "piecewise")
