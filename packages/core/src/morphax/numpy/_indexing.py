"""NumPy indexing with JAX's semantics: `x[idx]` (basic indices on a static
slice path, advanced ones on lax.gather) and the index parsing `x.at` shares.

Every NumPy index form works: integers, slices, None, Ellipsis, integer
arrays (lists, numpy arrays, morphax arrays, tracers) broadcast together,
boolean masks (concrete only) and 0-d booleans. Advanced dimensions go where
NumPy puts them: in place when the advanced indices are adjacent, first
otherwise. As in JAX, out-of-bounds array indices do not raise: retrieval
clamps them (unless `mode` says otherwise); negative indices wrap once.
"""

import operator
from typing import NamedTuple

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from ..core.trace import Tracer
from . import _creation, _ufuncs, _util
from ._util import is_array

OUT_OF_BOUNDS_MESSAGE = "index {index} is out of bounds for axis {axis} with size {size}"
TOO_MANY_MESSAGE = (
    "too many indices for array: array is {ndim}-dimensional, but {n} were "
    "indexed")
INVALID_MESSAGE = (
    "only integers, slices (`:`), ellipsis (`...`), None (`jnp.newaxis`) "
    "and integer or boolean arrays are valid indices, got {type}: "
    "{index!r:.60}")
NON_CONCRETE_BOOL_MESSAGE = (
    "Array boolean indices must be concrete: got a traced boolean array "
    "{aval} (inside jit, vmap or grad). The result shape of a mask index "
    "depends on the mask's values. Use jnp.where(mask, x, fill) to keep the "
    "shape, or jnp.nonzero(mask, size=n, fill_value=...) for a fixed number "
    "of indices.")
BOOL_SHAPE_MESSAGE = (
    "boolean index did not match indexed array along axis {axis}; size of "
    "axis is {size} but size of corresponding boolean axis is {mask_size}")
EMPTY_AXIS_MESSAGE = (
    "index is out of bounds for axis {axis} with size 0 (an integer-array "
    "index into an empty axis)")
SEQUENCE_MESSAGE = (
    "Using a non-tuple sequence for multidimensional indexing is not "
    "allowed; use `arr[tuple(seq)]` instead of `arr[seq]`, or "
    "`arr[array(seq)]` for an integer-array index. Got {index!r:.60}")


# --- Parsing: each entry of the index becomes one item ------------------------

class _Item(NamedTuple):
  """One entry of a parsed index.

  kind: 'none' (a new axis), 'slice', 'int' (a static integer), 'dynamic'
    (a 0-d integer array), 'array' (an integer array, static numpy or a
    morphax array) or 'bool0' (a 0-d boolean: `value` is its numpy array of
    shape (1,) or (0,), consuming no axis).
  """
  kind: str
  value: object


def _is_bool_dtype(dtype):
  return np.dtype(dtype) == np.bool_


def _sequence_array(entry, index):
  """A list or tuple entry as an array: numpy when it holds no arrays."""
  flat = list(entry)
  while flat and isinstance(flat[0], (list, tuple)):
    flat = [y for x in flat for y in (x if isinstance(x, (list, tuple)) else [x])]
  if any(x is None or x is Ellipsis or isinstance(x, slice) for x in flat):
    raise TypeError(SEQUENCE_MESSAGE.format(index=index))
  if any(is_array(x) for x in flat):
    return _creation.asarray(entry)
  value = np.asarray(entry)
  if value.size == 0:
    value = value.astype(np.int32)  # NumPy reads [] as an integer index
  return value


def _parse_entry(entry, index):
  """The items of one entry (a boolean mask gives one per axis it spans)."""
  if entry is None:
    return [_Item("none", None)]
  if entry is Ellipsis:
    return [_Item("ellipsis", None)]
  if isinstance(entry, slice):
    return [_Item("slice", entry)]
  if isinstance(entry, (bool, np.bool_)):
    return [_Item("bool0", np.zeros(int(entry), np.int32))]
  if isinstance(entry, (int, np.integer)):
    return [_Item("int", operator.index(entry))]
  if isinstance(entry, (list, tuple)):
    entry = _sequence_array(entry, index)
  if not (is_array(entry) or isinstance(entry, np.ndarray)):
    raise IndexError(INVALID_MESSAGE.format(type=type(entry).__name__, index=index))
  dtype = entry.dtype
  if _is_bool_dtype(dtype):
    if isinstance(entry, Tracer):
      raise IndexError(NON_CONCRETE_BOOL_MESSAGE.format(aval=entry.aval.str_short()))
    mask = np.asarray(entry)
    if mask.ndim == 0:
      return [_Item("bool0", np.zeros(int(mask), np.int32))]
    return [_Item("mask", mask)]
  if not avals_lib.is_integer(dtype):
    raise IndexError(INVALID_MESSAGE.format(type=f"an array of dtype {dtype}",
                                            index=index))
  if entry.ndim == 0:
    if is_array(entry):
      return [_Item("dynamic", entry)]
    return [_Item("int", int(entry))]
  return [_Item("array", entry)]


def _consumed(item):
  if item.kind == "mask":
    return item.value.ndim
  return 0 if item.kind in ("none", "ellipsis", "bool0") else 1


def parse_index(shape, index):
  """The items of `index` for an array of `shape`: the ellipsis expanded,
  trailing axes filled with full slices, masks turned into integer arrays.

  Returns (items, advanced): `advanced` tells whether NumPy's advanced
  indexing applies (then integers are advanced indices too).
  """
  entries = index if isinstance(index, tuple) else (index,)
  items = [it for e in entries for it in _parse_entry(e, index)]
  kinds = [it.kind for it in items]
  if kinds.count("ellipsis") > 1:
    raise IndexError("an index can only have a single ellipsis ('...')")
  consumed = sum(_consumed(it) for it in items)
  if consumed > len(shape):
    raise IndexError(TOO_MANY_MESSAGE.format(ndim=len(shape), n=consumed))
  fill = [_Item("slice", slice(None))] * (len(shape) - consumed)
  if "ellipsis" in kinds:
    k = kinds.index("ellipsis")
    items = items[:k] + fill + items[k + 1:]
  else:
    items = items + fill
  out, axis = [], 0
  for it in items:
    if it.kind == "mask":
      mask = it.value
      for d, n in enumerate(mask.shape):
        if shape[axis + d] != n:
          raise IndexError(BOOL_SHAPE_MESSAGE.format(
              axis=axis + d, size=shape[axis + d], mask_size=n))
      out.extend(_Item("array", i.astype(np.int32)) for i in np.nonzero(mask))
    else:
      out.append(it)
    axis += _consumed(it)
  advanced = any(it.kind in ("array", "bool0") for it in out)
  return out, advanced


# --- Basic indexing: rev, slice, dynamic_slice, reshape -----------------------

def _basic(x, items):
  """x[items] for items of kind 'none', 'slice', 'int' and 'dynamic'."""
  shape = x.aval.shape
  starts, limits, strides, rev_dims = [], [], [], []
  dynamic = {}
  out_shape = []
  axis = 0
  for kind, entry in items:
    if kind == "none":
      out_shape.append(1)
      continue
    size = shape[axis]
    if kind == "int":
      if not -size <= entry < size:
        raise IndexError(OUT_OF_BOUNDS_MESSAGE.format(index=entry, axis=axis, size=size))
      i = entry % size
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


# --- Advanced indexing: one gather (or scatter) -------------------------------

class Indexer(NamedTuple):
  """A parsed index as gather/scatter arguments.

  indices: int32 index vectors (shape batch + (k,)), numpy or an array.
  dnums: GatherDimensionNumbers (offset_dims, collapsed dims, index map).
  slice_sizes: the slice taken at each index vector.
  shape: the shape of x[index] (= the gather's output shape).
  """
  indices: object
  dnums: object
  slice_sizes: tuple
  shape: tuple


def _normalized(value, size):
  """An integer index array with negative entries wrapped once, as int32."""
  if isinstance(value, np.ndarray):
    value = value.astype(np.int64)
    return np.where(value < 0, value + size, value).astype(np.int32)
  unsigned = avals_lib.is_unsigned(value.aval.dtype)
  if value.aval.dtype != np.int32:
    value = lax.convert_element_type(value, np.int32)
  if unsigned:
    return value
  return lax.select_n(_ufuncs.less(value, 0), value, _ufuncs.add(value, size))


def _adv_positions(items):
  """Positions of the advanced items and whether they are adjacent."""
  pos = [i for i, it in enumerate(items)
         if it.kind in ("array", "bool0", "int", "dynamic")]
  return pos, pos == list(range(pos[0], pos[-1] + 1))


def build_indexer(shape, items, advanced):
  """The gather that computes x[items] for x of `shape` (see `Indexer`).

  Output dimensions, in order: one per new axis (None) and per slice, and
  the broadcast shape of the advanced indices, in place of the first of
  them when they are adjacent and first otherwise (NumPy's rule). A step-1
  slice is an offset dimension (a window); a strided slice and a new axis
  are batch dimensions of the indices; advanced indices are collapsed.
  """
  adv = [it for it in items if it.kind in ("array", "bool0", "int", "dynamic")]
  b_shape = _util.broadcast_shapes(
      "indexing", *(np.shape(it.value) if it.kind != "dynamic" else ()
                    for it in adv))
  b_at = None
  if adv:
    adv_pos, adjacent = _adv_positions(items)
    b_at = adv_pos[0] if adjacent else -1
  out_shape, offset_dims, batch_shape = [], [], []
  slice_sizes = list(shape)
  collapsed, static, dynamic = [], [], []  # static/dynamic: (axis, fn/arr, ...)
  b_batch = 0

  def place_b():
    nonlocal b_batch
    b_batch = len(batch_shape)
    out_shape.extend(b_shape)
    batch_shape.extend(b_shape)

  if b_at == -1:
    place_b()
  axis = 0
  for pos, (kind, value) in enumerate(items):
    if pos == b_at:
      place_b()
    if kind == "none":
      out_shape.append(1)
      batch_shape.append(1)
      continue
    if kind == "bool0":
      continue
    size = shape[axis]
    if kind == "slice":
      start, stop, step = value.indices(size)
      n = len(range(start, stop, step))
      if step == 1 or n <= 1:
        offset_dims.append(len(out_shape))
        out_shape.append(n)
        slice_sizes[axis] = n
        if n != size:
          static.append((axis, None, start))
      else:
        static.append((axis, len(batch_shape), start + step * np.arange(n)))
        out_shape.append(n)
        batch_shape.append(n)
        slice_sizes[axis] = 1
        collapsed.append(axis)
    else:  # an advanced index: int, dynamic or array
      if kind == "int" or isinstance(value, np.ndarray):
        static.append((axis, "b", _normalized(np.asarray(value), size)))
      else:
        dynamic.append((axis, value, size))
      slice_sizes[axis] = 1
      collapsed.append(axis)
    axis += 1
  out_shape = tuple(out_shape)
  batch_shape = tuple(batch_shape)
  if 0 not in out_shape:
    for a in collapsed:
      if shape[a] == 0:
        raise IndexError(EMPTY_AXIS_MESSAGE.format(axis=a))

  index_map, pieces = [], []
  if static:
    host = np.empty(batch_shape + (len(static),), np.int32)
    for k, (a, where, value) in enumerate(static):
      index_map.append(a)
      if where is None:  # a window start
        host[..., k] = value
      elif where == "b":  # an advanced index, spanning the advanced dims
        value = np.broadcast_to(value, b_shape)
        host[..., k] = value.reshape(
            (1,) * b_batch + b_shape + (1,) * (len(batch_shape) - b_batch - len(b_shape)))
      else:  # a strided slice, along its own batch dim
        host[..., k] = value.reshape(
            (1,) * where + (len(value),) + (1,) * (len(batch_shape) - where - 1))
    pieces.append(host)
  for a, value, size in dynamic:
    index_map.append(a)
    value = _normalized(value, size)
    lead = b_batch + len(b_shape) - value.aval.ndim
    dims = tuple(range(lead, lead + value.aval.ndim))
    pieces.append(lax.broadcast_in_dim(value, batch_shape + (1,), dims))
  if not pieces:
    indices = np.zeros(batch_shape + (0,), np.int32)
  elif len(pieces) == 1:
    indices = pieces[0]
  else:
    pieces = [p if is_array(p) else _util.convert(p, np.int32) for p in pieces]
    indices = lax.concatenate(pieces, len(batch_shape))
  dnums = lax.GatherDimensionNumbers(
      offset_dims=tuple(offset_dims), collapsed_slice_dims=tuple(sorted(collapsed)),
      start_index_map=tuple(index_map))
  return Indexer(indices, dnums, tuple(slice_sizes), out_shape)


def _check_static_ints(shape, items):
  """IndexError for a static integer out of bounds (NumPy's and JAX's)."""
  axis = 0
  for kind, value in items:
    if kind == "int" and not -shape[axis] <= value < shape[axis]:
      raise IndexError(OUT_OF_BOUNDS_MESSAGE.format(
          index=value, axis=axis, size=shape[axis]))
    axis += kind not in ("none", "bool0")


def _prefix_slices(items):
  """The basic part of an advanced index: its slices, one per axis (a full
  slice for each advanced index), and the items left for the gather."""
  basic, rest = [], []
  for it in items:
    if it.kind == "slice":
      basic.append(it)
      rest.append(_Item("slice", slice(None)))
    elif it.kind in ("none", "bool0"):
      rest.append(it)
    else:
      basic.append(_Item("slice", slice(None)))
      rest.append(it)
  return basic, rest


def rewriting_take(x, index, *, mode=None, fill_value=None,
                   indices_are_sorted=False, unique_indices=False):
  """x[index] with gather options (what `x.at[index].get(...)` calls).

  mode None clamps out-of-bounds indices ('promise_in_bounds', like JAX);
  'clip' clamps too; 'fill' or 'drop' returns `fill_value` for them.
  """
  x = _util.ensure_array(x, "getitem")
  shape = x.aval.shape
  items, advanced = parse_index(shape, index)
  if mode is None:
    _check_static_ints(shape, items)
  if not advanced and mode is None:
    return _basic(x, items)
  # Slices go first, as one static rev/slice; the gather sees full axes.
  basic, items = _prefix_slices(items)
  x = _basic(x, basic)
  idx = build_indexer(x.aval.shape, items, advanced)
  if 0 in idx.shape:
    return _util.full(idx.shape, 0, x.aval.dtype, x.aval.weak_type)
  if fill_value is not None and np.ndim(fill_value) != 0:
    raise ValueError("getitem: fill_value must be a scalar, got shape "
                     f"{np.shape(fill_value)}")
  gather_mode = lax.GatherScatterMode.PROMISE_IN_BOUNDS if mode is None else mode
  return lax.gather(x, idx.indices, idx.dnums, idx.slice_sizes,
                    unique_indices=unique_indices,
                    indices_are_sorted=indices_are_sorted, mode=gather_mode,
                    fill_value=fill_value)


def getitem(x, index):
  """x[index]: NumPy's basic and advanced indexing with JAX's semantics.

  Example: `x[1:, [0, 2]]`, `x[x > 0]` (eager only), `x[None, ..., -1]`.
  Out-of-bounds integer-array indices are clamped (JAX's behaviour; NumPy
  raises); static out-of-bounds Python integers raise an IndexError.
  """
  return rewriting_take(x, index)


# --- x.at[index]: functional updates on lax.scatter ---------------------------

AT_BROADCAST_MESSAGE = (
    "{name}: values of shape {values} cannot be broadcast to the indexed "
    "shape {target} (x of shape {shape}, index {index!r:.60})")


def _scatter_dnums(dnums):
  return lax.ScatterDimensionNumbers(
      update_window_dims=dnums.offset_dims,
      inserted_window_dims=dnums.collapsed_slice_dims,
      scatter_dims_to_operand_dims=dnums.start_index_map)


def scatter_update(x, index, values, scatter, name, *, indices_are_sorted=False,
                   unique_indices=False, mode=None):
  """`scatter` (lax.scatter, scatter_add, ...) of `values` into x[index].

  `values` is cast to x's dtype and broadcast to the shape of x[index]
  (leading size-1 dimensions beyond its rank are dropped, as NumPy does).
  mode None drops out-of-bounds updates, like 'drop' and 'fill'.
  """
  x = _util.ensure_array(x, name)
  _util.check_arraylike(name, values)
  shape = x.aval.shape
  items, advanced = parse_index(shape, index)
  idx = build_indexer(shape, items, advanced)
  values = _util.convert(values, x.aval.dtype, x.aval.weak_type, name)
  vshape = values.aval.shape
  while len(vshape) > len(idx.shape) and vshape[0] == 1:
    vshape = vshape[1:]
  if not _util.broadcastable_to(vshape, idx.shape):
    raise ValueError(AT_BROADCAST_MESSAGE.format(
        name=name, values=values.aval.shape, target=idx.shape, shape=shape,
        index=index))
  if vshape != values.aval.shape:
    values = lax.reshape(values, vshape)
  if 0 in idx.shape:
    return x
  values = _util.broadcast_to_shape(values, idx.shape)
  return scatter(x, idx.indices, values, _scatter_dnums(idx.dnums),
                 indices_are_sorted=indices_are_sorted,
                 unique_indices=unique_indices, mode=mode)


class _IndexUpdateHelper:
  """`x.at`: indexing it gives an `_IndexUpdateRef` (see there)."""
  __slots__ = ("array",)

  def __init__(self, array):
    self.array = array

  def __getitem__(self, index):
    return _IndexUpdateRef(self.array, index)

  def __repr__(self):
    return f"_IndexUpdateHelper({self.array!r})"


class _IndexUpdateRef:
  """`x.at[index]`: pure versions of NumPy's in-place updates.

  `x.at[i].set(v)` is `x[i] = v`, `.add(v)` is `x[i] += v` (duplicates all
  accumulate, like np.add.at), and so on for subtract, multiply, divide,
  power, min, max and apply; `.get()` is `x[i]`. Each returns a new array.

  Example: `jnp.zeros(3).at[jnp.array([0, 0, 2])].add(1.0)` is [2, 0, 1].

  `mode`: None (the default) clamps out-of-bounds indices in `get` and
  drops out-of-bounds updates; 'clip' clamps; 'drop' and 'fill' drop
  updates, and `get` returns `fill_value` for them (NaN, the minimum signed
  or maximum unsigned integer, or True by default); 'promise_in_bounds'
  lets XLA assume in-bounds indices. Values are cast to x's dtype.
  """
  __slots__ = ("array", "index")

  def __init__(self, array, index):
    self.array = array
    self.index = index

  def __repr__(self):
    return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

  def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None,
          fill_value=None):
    """x[index], with gather's options (see the class docstring)."""
    return rewriting_take(self.array, self.index, mode=mode,
                          fill_value=fill_value,
                          indices_are_sorted=indices_are_sorted,
                          unique_indices=unique_indices)

  def _update(self, values, scatter, name, **kw):
    return scatter_update(self.array, self.index, values, scatter,
                          f"at[...].{name}", **kw)

  def set(self, values, *, indices_are_sorted=False, unique_indices=False,
          mode=None):
    """x with x[index] = values (which duplicate wins is unspecified)."""
    return self._update(values, lax.scatter, "set",
                        indices_are_sorted=indices_are_sorted,
                        unique_indices=unique_indices, mode=mode)

  def add(self, values, *, indices_are_sorted=False, unique_indices=False,
          mode=None):
    """x with x[index] += values; duplicates accumulate (np.add.at)."""
    return self._update(values, lax.scatter_add, "add",
                        indices_are_sorted=indices_are_sorted,
                        unique_indices=unique_indices, mode=mode)

  def subtract(self, values, *, indices_are_sorted=False, unique_indices=False,
               mode=None):
    """x with x[index] -= values; duplicates accumulate (np.subtract.at)."""
    return self._update(values, lax.scatter_sub, "subtract",
                        indices_are_sorted=indices_are_sorted,
                        unique_indices=unique_indices, mode=mode)

  def multiply(self, values, *, indices_are_sorted=False, unique_indices=False,
               mode=None):
    """x with x[index] *= values; duplicates accumulate (np.multiply.at)."""
    return self._update(values, lax.scatter_mul, "multiply",
                        indices_are_sorted=indices_are_sorted,
                        unique_indices=unique_indices, mode=mode)

  mul = multiply

  def divide(self, values, *, indices_are_sorted=False, unique_indices=False,
             mode=None):
    """x with x[index] /= values (true division: integer x gives floats,
    as in JAX); duplicates accumulate."""
    x = _util.ensure_array(self.array, "at[...].divide")
    factors = scatter_update(_util.full_like(x, 1), self.index, values,
                             lax.scatter_mul, "at[...].divide",
                             indices_are_sorted=indices_are_sorted,
                             unique_indices=unique_indices, mode=mode)
    return _ufuncs.divide(x, factors)

  def power(self, values, *, indices_are_sorted=False, unique_indices=False,
            mode=None):
    """x with x[index] **= values; duplicates accumulate."""
    x = _util.ensure_array(self.array, "at[...].power")
    exponents = scatter_update(_util.full_like(x, 1), self.index, values,
                               lax.scatter_mul, "at[...].power",
                               indices_are_sorted=indices_are_sorted,
                               unique_indices=unique_indices, mode=mode)
    return _ufuncs.power(x, exponents)

  def min(self, values, *, indices_are_sorted=False, unique_indices=False,
          mode=None):
    """x with x[index] = minimum(x[index], values) (np.minimum.at)."""
    return self._update(values, lax.scatter_min, "min",
                        indices_are_sorted=indices_are_sorted,
                        unique_indices=unique_indices, mode=mode)

  def max(self, values, *, indices_are_sorted=False, unique_indices=False,
          mode=None):
    """x with x[index] = maximum(x[index], values) (np.maximum.at)."""
    return self._update(values, lax.scatter_max, "max",
                        indices_are_sorted=indices_are_sorted,
                        unique_indices=unique_indices, mode=mode)

  def apply(self, func, *, indices_are_sorted=False, unique_indices=False,
            mode=None):
    """x with func applied (elementwise) at the indexed positions.

    NB: func is applied once per distinct position, even where the index
    repeats it (np.negative.at applies it once per occurrence).
    """
    if not callable(func):
      raise TypeError(f"at[...].apply: func must be callable, got "
                      f"{type(func).__name__}")
    x = _util.ensure_array(self.array, "at[...].apply")
    hit = scatter_update(_util.full(x.aval.shape, False, np.bool_),
                         self.index, True, lax.scatter, "at[...].apply",
                         indices_are_sorted=indices_are_sorted,
                         unique_indices=unique_indices, mode=mode)
    y = func(x)
    if not is_array(y) or y.aval.shape != x.aval.shape:
      raise TypeError("at[...].apply: func must be elementwise (return an "
                      f"array of x's shape {x.aval.shape}), got "
                      f"{getattr(y, 'shape', type(y).__name__)}")
    y = _util.convert(y, x.aval.dtype, x.aval.weak_type, "at[...].apply")
    return lax.select_n(hit, x, y)


def at(x):
  """The `x.at` property: functional index updates (`x.at[i].set(v)`)."""
  return _IndexUpdateHelper(x)
