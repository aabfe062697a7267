"""Basic indexing (`x[...]`): integers, slices with any step, None and
Ellipsis, lowered to one rev, one slice (or dynamic_slice) and one reshape.

Integer-array and boolean-mask (advanced) indexing come with the indexing
issue; they raise a NotImplementedError that says so.
"""

import operator

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from ._util import is_array

OUT_OF_BOUNDS_MESSAGE = "index {index} is out of bounds for axis {axis} with size {size}"
TOO_MANY_MESSAGE = (
    "too many indices for array: array is {ndim}-dimensional, but {n} were "
    "indexed")
ADVANCED_MESSAGE = (
    "Array.__getitem__: {kind} indexing is not supported yet (integer-array "
    "and boolean-mask indexing come with the indexing issue); got index "
    "{index!r:.80}. Basic indexing works: integers, slices, None and ...")
INVALID_MESSAGE = (
    "only integers, slices (`:`), ellipsis (`...`), None (`jnp.newaxis`) "
    "and integer or boolean arrays are valid indices, got {type}: "
    "{index!r:.60}")


def _classify(entry, index):
  """'none', 'ellipsis', 'slice', 'int' or 'dynamic' (a 0-d integer array)."""
  if entry is None:
    return "none"
  if entry is Ellipsis:
    return "ellipsis"
  if isinstance(entry, slice):
    return "slice"
  if isinstance(entry, (bool, np.bool_)):
    raise NotImplementedError(ADVANCED_MESSAGE.format(kind="boolean", index=index))
  if isinstance(entry, (int, np.integer)):
    return "int"
  if is_array(entry) or isinstance(entry, np.ndarray):
    dtype = entry.dtype
    if entry.ndim == 0 and avals_lib.is_integer(dtype):
      return "dynamic" if is_array(entry) else "int"
    kind = "boolean-mask" if dtype == avals_lib.bool_ else "integer-array"
    if not (avals_lib.is_integer(dtype) or dtype == avals_lib.bool_):
      raise IndexError(INVALID_MESSAGE.format(type=f"an array of dtype {dtype}",
                                              index=index))
    raise NotImplementedError(ADVANCED_MESSAGE.format(kind=kind, index=index))
  if isinstance(entry, (list, tuple)):
    raise NotImplementedError(ADVANCED_MESSAGE.format(
        kind="sequence (integer-array)", index=index))
  raise IndexError(INVALID_MESSAGE.format(type=type(entry).__name__, index=index))


def _expand_ellipsis(entries, kinds, ndim):
  if kinds.count("ellipsis") > 1:
    raise IndexError("an index can only have a single ellipsis ('...')")
  consumed = sum(k not in ("none", "ellipsis") for k in kinds)
  if consumed > ndim:
    raise IndexError(TOO_MANY_MESSAGE.format(ndim=ndim, n=consumed))
  fill = [slice(None)] * (ndim - consumed)
  if "ellipsis" in kinds:
    k = kinds.index("ellipsis")
    return (entries[:k] + fill + entries[k + 1:],
            kinds[:k] + ["slice"] * len(fill) + kinds[k + 1:])
  return entries + fill, kinds + ["slice"] * len(fill)


def getitem(x, index):
  """x[index] for basic indices (see the module docstring)."""
  entries = list(index) if isinstance(index, tuple) else [index]
  kinds = [_classify(e, index) for e in entries]
  shape = x.aval.shape
  entries, kinds = _expand_ellipsis(entries, kinds, len(shape))
  starts, limits, strides, rev_dims = [], [], [], []
  dynamic = {}
  out_shape = []
  axis = 0
  for entry, kind in zip(entries, kinds):
    if kind == "none":
      out_shape.append(1)
      continue
    size = shape[axis]
    if kind == "int":
      i = operator.index(entry)
      if not -size <= i < size:
        raise IndexError(OUT_OF_BOUNDS_MESSAGE.format(index=i, axis=axis, size=size))
      i %= size
      starts.append(i), limits.append(i + 1), strides.append(1)
    elif kind == "dynamic":
      if size == 0:
        raise IndexError(OUT_OF_BOUNDS_MESSAGE.format(index="(array)", axis=axis, size=0))
      dynamic[axis] = entry
      starts.append(0), limits.append(size), strides.append(1)
    else:
      start, stop, step = entry.indices(size)
      n = len(range(start, stop, step))
      if step < 0:
        rev_dims.append(axis)
        start, step = size - 1 - start, -step
      if n == 0:
        start = 0
      starts.append(start)
      limits.append(start + (n - 1) * step + 1 if n else 0)
      strides.append(step)
      out_shape.append(n)
    axis += 1
  if rev_dims:
    x = lax.rev(x, tuple(rev_dims))
  if starts != [0] * len(shape) or limits != list(shape) or any(s != 1 for s in strides):
    x = lax.slice(x, tuple(starts), tuple(limits),
                  tuple(strides) if any(s != 1 for s in strides) else None)
  if dynamic:
    sizes = [1 if d in dynamic else n for d, n in enumerate(x.aval.shape)]
    start_indices = [dynamic.get(d, 0) for d in range(len(sizes))]
    x = lax.dynamic_slice(x, start_indices, sizes)
  if tuple(out_shape) != x.aval.shape:
    x = lax.reshape(x, tuple(out_shape))
  return x
