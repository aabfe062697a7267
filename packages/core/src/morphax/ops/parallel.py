"""Collectives over named axes: psum, pmax, pmin, pmean, all_gather,
psum_scatter, ppermute, pshuffle, all_to_all, axis_index, axis_size.

Inside pmap they lower to StableHLO collectives over the replicas; under
vmap(axis_name=...) their batch rules compute the same values along the
batch dimension (BatchTrace passes its axis via named_axes.batching_frame).
"""

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import named_axes
from ..core import tree
from ..core.avals import ShapedArray, default_float_dtype, int32, is_inexact
from ..core.primitive import NOT_DIFFERENTIABLE, NOT_LINEAR, define_primitive
from ..interpreters.lowering import make_region, scalar_type, tensor_type
from . import elementwise, reduction, shape
from ._ad import deflinear
from ._checks import aval_of, canonicalize_axis, is_python_scalar
from .convert import convert_element_type
from ._factories import bdim_at_front, moveaxis, not_mapped

__all__ = [
    "psum", "pmax", "pmin", "pmean", "all_gather", "psum_scatter", "ppermute",
    "pshuffle", "all_to_all", "axis_index", "axis_size",
]

GROUPS_MESSAGE = (
    "{name}: axis_index_groups is not supported by morphax yet; got {groups!r}. "
    "Use a separate pmap or vmap axis for each group instead.")
ONE_AXIS_MESSAGE = (
    "{name}: axis_name must name one axis, got {axis_name!r}; collectives "
    "over several axes at once are supported by psum, pmax, pmin and pmean.")
SPLIT_SIZE_MESSAGE = (
    "{name}: dimension {axis} of the operand (shape {shape}) must be {what} the "
    "size of axis {axis_name!r}, {size}{hint}")
PERM_MESSAGE = (
    "ppermute: perm {perm!r} must be (source, destination) pairs of indices "
    "in [0, {size}) of axis {axis_name!r}, each source and each destination "
    "at most once")


def _names(axis_name):
  return tuple(axis_name) if isinstance(axis_name, (tuple, list)) else (axis_name,)


def _one_name(name, axis_name):
  names = _names(axis_name)
  if len(names) != 1:
    raise NotImplementedError(ONE_AXIS_MESSAGE.format(name=name, axis_name=axis_name))
  return names


def _check_groups(name, groups):
  if groups is not None:
    raise NotImplementedError(GROUPS_MESSAGE.format(name=name, groups=groups))


def _check_bound(names, where):
  for name in names:
    named_axes.lookup(name, where)


# --- Lowering helpers ---------------------------------------------------------------

def _replica_groups(axes):
  """All replicas in one group: pmap binds one axis per program.

  Collectives carry no channel handle: pmap programs are replicas of one
  partition, and XLA reads a channel id as a cross-partition collective
  (collective_permute and all_to_all then address partitions, of which
  there is one, and crash)."""
  groups = np.arange(axes.size, dtype=np.int64).reshape(1, axes.size)
  return ir.DenseIntElementsAttr.get(groups)


def _frame_is(names):
  """The vmap axis running this batch rule, and whether `names` include it."""
  frame = named_axes.batching_frame()
  return frame, frame is not None and frame.name is not None and frame.name in names


# --- psum, pmax, pmin ------------------------------------------------------------

def psum(x, axis_name, *, axis_index_groups=None):
  """The sum of `x` (a pytree) over the devices of `axis_name` (a name or a
  tuple of names). A Python scalar gives a Python value: psum(1, 'i') is
  the size of axis 'i'."""
  return _all_reduce(psum_p, "psum", x, axis_name, axis_index_groups,
                     lambda v, n: v * n)


def pmax(x, axis_name, *, axis_index_groups=None):
  """The elementwise maximum of `x` (a pytree) over the axis `axis_name`."""
  return _all_reduce(pmax_p, "pmax", x, axis_name, axis_index_groups, lambda v, n: v)


def pmin(x, axis_name, *, axis_index_groups=None):
  """The elementwise minimum of `x` (a pytree) over the axis `axis_name`."""
  return _all_reduce(pmin_p, "pmin", x, axis_name, axis_index_groups, lambda v, n: v)


def pmean(x, axis_name, *, axis_index_groups=None):
  """The mean of `x` (a pytree) over the axis `axis_name`: psum / size."""
  _check_groups("pmean", axis_index_groups)
  size = named_axes.axis_size(_names(axis_name), "pmean")

  def mean(total):
    if is_python_scalar(total):
      return total / size
    if not is_inexact(aval_of(total).dtype):  # true division, as `/` does
      total = convert_element_type(total, default_float_dtype())
    return elementwise.div(total, size)
  return tree.tree_map(mean, psum(x, axis_name))


def _all_reduce(prim, name, x, axis_name, groups, python_value):
  _check_groups(name, groups)
  names = _names(axis_name)

  def one(leaf):
    if is_python_scalar(leaf):
      return python_value(leaf, named_axes.axis_size(names, name))
    return prim.bind(leaf, axis_name=names)
  return tree.tree_map(one, x)


def _all_reduce_abstract_eval(name):
  def rule(x, *, axis_name):
    _check_bound(axis_name, name)
    return x
  return rule


def _all_reduce_lower(name, reducer):
  def rule(ctx, x, *, axis_name):
    axes = named_axes.lowering_axes(axis_name, name)
    aval = ctx.avals_out[0]
    op = hlo.AllReduceOp([tensor_type(aval)], [x], _replica_groups(axes))
    scalar = scalar_type(aval.dtype)
    make_region(op.regions[0], [scalar, scalar], reducer)
    return op.results[0]
  return rule


def _all_reduce_batch(prim, reduce_batched, reduce_copies):
  """Over the vmap axis: reduce the batch dimension (an unbatched operand
  holds `size` equal copies); over other axes the op stays, batched."""
  def rule(vals, dims, *, axis_name):
    (x,), (d,) = vals, dims
    frame, mine = _frame_is(axis_name)
    if not mine:
      return prim.bind(x, axis_name=axis_name), d
    rest = tuple(n for n in axis_name if n != frame.name)
    x = reduce_batched(x, (d,)) if d is not not_mapped else reduce_copies(x, frame.size)
    if rest:
      x = prim.bind(x, axis_name=rest)
    return x, not_mapped
  return rule


def _sum_copies(x, size):
  return reduction.reduce_sum(bdim_at_front(x, not_mapped, size), (0,))


def _psum_transpose(ct, x, *, axis_name):
  return [psum_p.bind(ct, axis_name=axis_name)]


psum_p = define_primitive(
    "psum", abstract_eval=_all_reduce_abstract_eval("psum"),
    lower=_all_reduce_lower("psum", hlo.add))
deflinear(psum_p, _psum_transpose)
psum_p.batch = _all_reduce_batch(psum_p, reduction.reduce_sum, _sum_copies)
psum_p.named_axes = True

pmax_p = define_primitive(
    "pmax", abstract_eval=_all_reduce_abstract_eval("pmax"),
    lower=_all_reduce_lower("pmax", hlo.maximum),
    jvp=NOT_DIFFERENTIABLE, transpose=NOT_DIFFERENTIABLE)
pmax_p.batch = _all_reduce_batch(pmax_p, reduction.reduce_max, lambda x, n: x)
pmax_p.named_axes = True

pmin_p = define_primitive(
    "pmin", abstract_eval=_all_reduce_abstract_eval("pmin"),
    lower=_all_reduce_lower("pmin", hlo.minimum),
    jvp=NOT_DIFFERENTIABLE, transpose=NOT_DIFFERENTIABLE)
pmin_p.batch = _all_reduce_batch(pmin_p, reduction.reduce_min, lambda x, n: x)
pmin_p.named_axes = True


# --- all_gather and psum_scatter ---------------------------------------------------

def all_gather(x, axis_name, *, axis_index_groups=None, axis=0, tiled=False):
  """Every device's `x` (a pytree), stacked along a new `axis` (or, with
  tiled=True, concatenated along the existing `axis`)."""
  _check_groups("all_gather", axis_index_groups)
  names = _one_name("all_gather", axis_name)
  size = named_axes.axis_size(names, "all_gather")

  def one(leaf):
    ndim = aval_of(leaf).ndim
    ax = canonicalize_axis("all_gather", axis, ndim if tiled else ndim + 1)
    return all_gather_p.bind(leaf, axis_name=names, axis=ax, tiled=bool(tiled),
                             axis_size=size)
  return tree.tree_map(one, x)


def _all_gather_abstract_eval(x, *, axis_name, axis, tiled, axis_size):
  _check_bound(axis_name, "all_gather")
  shape = list(x.shape)
  if tiled:
    shape[axis] *= axis_size
  else:
    shape.insert(axis, axis_size)
  return x.update(shape=tuple(shape), weak_type=False)


def _all_gather_lower(ctx, x, *, axis_name, axis, tiled, axis_size):
  axes = named_axes.lowering_axes(axis_name, "all_gather")
  aval_in = ctx.avals_in[0]
  if not tiled:
    shape = list(aval_in.shape)
    shape.insert(axis, 1)
    x = hlo.reshape(tensor_type(tuple(shape), aval_in.dtype), x)
  op = hlo.AllGatherOp([tensor_type(ctx.avals_out[0])], [x], axis,
                       _replica_groups(axes))
  return op.results[0]


def _all_gather_transpose(ct, x, *, axis_name, axis, tiled, axis_size):
  return [psum_scatter_p.bind(ct, axis_name=axis_name, scatter_dimension=axis,
                              tiled=tiled, axis_size=axis_size)]


def _all_gather_batch(vals, dims, *, axis_name, axis, tiled, axis_size):
  (x,), (d,) = vals, dims
  frame, mine = _frame_is(axis_name)
  if not mine:
    x = bdim_at_front(x, d, frame.size)
    return all_gather_p.bind(x, axis_name=axis_name, axis=axis + 1, tiled=tiled,
                             axis_size=axis_size), 0
  x = bdim_at_front(x, d, frame.size)  # (members, *x.shape)
  out = moveaxis(x, 0, axis)
  if tiled:
    s = aval_of(out).shape
    out = shape.reshape(out, s[:axis] + (s[axis] * s[axis + 1],) + s[axis + 2:])
  return out, not_mapped


all_gather_p = define_primitive(
    "all_gather", abstract_eval=_all_gather_abstract_eval, lower=_all_gather_lower,
    batch=_all_gather_batch)
deflinear(all_gather_p, _all_gather_transpose)
all_gather_p.named_axes = True


def _check_split_size(name, shape, axis, tiled, axis_name, size):
  """The dimension a collective splits over the devices holds one entry
  (tiled: a whole number of blocks) per device."""
  n = shape[axis]
  if (n % size if tiled else n != size):
    raise ValueError(SPLIT_SIZE_MESSAGE.format(
        name=name, axis=axis, shape=shape,
        what="a multiple of" if tiled else "equal to", axis_name=axis_name,
        size=size, hint="" if tiled else " (or pass tiled=True)"))


def psum_scatter(x, axis_name, *, scatter_dimension=0, axis_index_groups=None,
                 tiled=False):
  """psum of `x`, of which each device keeps one block: index i of
  `scatter_dimension` (whose size must be the axis size), or with tiled=True
  the i-th of axis-size equal blocks of that dimension."""
  _check_groups("psum_scatter", axis_index_groups)
  names = _one_name("psum_scatter", axis_name)
  size = named_axes.axis_size(names, "psum_scatter")

  def one(leaf):
    aval = aval_of(leaf)
    dim = canonicalize_axis("psum_scatter", scatter_dimension, aval.ndim)
    _check_split_size("psum_scatter", aval.shape, dim, tiled, names[0], size)
    return psum_scatter_p.bind(leaf, axis_name=names, scatter_dimension=dim,
                               tiled=bool(tiled), axis_size=size)
  return tree.tree_map(one, x)


def _psum_scatter_abstract_eval(x, *, axis_name, scatter_dimension, tiled, axis_size):
  _check_bound(axis_name, "psum_scatter")
  shape = list(x.shape)
  if tiled:
    shape[scatter_dimension] //= axis_size
  else:
    del shape[scatter_dimension]
  return x.update(shape=tuple(shape), weak_type=False)


def _psum_scatter_lower(ctx, x, *, axis_name, scatter_dimension, tiled, axis_size):
  axes = named_axes.lowering_axes(axis_name, "psum_scatter")
  aval_in, aval_out = ctx.avals_in[0], ctx.avals_out[0]
  shape = list(aval_in.shape)
  shape[scatter_dimension] //= axis_size
  op = hlo.ReduceScatterOp(tensor_type(tuple(shape), aval_in.dtype), x,
                           scatter_dimension, _replica_groups(axes))
  scalar = scalar_type(aval_in.dtype)
  make_region(op.regions[0], [scalar, scalar], hlo.add)
  out = op.results[0]
  if not tiled:
    out = hlo.reshape(tensor_type(aval_out), out)
  return out


def _psum_scatter_transpose(ct, x, *, axis_name, scatter_dimension, tiled, axis_size):
  return [all_gather_p.bind(ct, axis_name=axis_name, axis=scatter_dimension,
                            tiled=tiled, axis_size=axis_size)]


def _psum_scatter_batch(vals, dims, *, axis_name, scatter_dimension, tiled, axis_size):
  (x,), (d,) = vals, dims
  frame, mine = _frame_is(axis_name)
  if not mine:
    x = bdim_at_front(x, d, frame.size)
    return psum_scatter_p.bind(x, axis_name=axis_name, scatter_dimension=scatter_dimension + 1,
                               tiled=tiled, axis_size=axis_size), 0
  total = reduction.reduce_sum(x, (d,)) if d is not not_mapped else _sum_copies(x, frame.size)
  if tiled:  # split the dimension into (members, block): member i keeps block i
    s = aval_of(total).shape
    dim = scatter_dimension
    total = shape.reshape(total, s[:dim] + (axis_size, s[dim] // axis_size) + s[dim + 1:])
  return total, scatter_dimension


psum_scatter_p = define_primitive(
    "psum_scatter", abstract_eval=_psum_scatter_abstract_eval,
    lower=_psum_scatter_lower, batch=_psum_scatter_batch)
deflinear(psum_scatter_p, _psum_scatter_transpose)
psum_scatter_p.named_axes = True


# --- ppermute and pshuffle ----------------------------------------------------------

def ppermute(x, axis_name, perm):
  """Sends device `src`'s `x` (a pytree) to device `dst` for each pair
  (src, dst) of `perm`; a device that receives nothing gets zeros."""
  names = _one_name("ppermute", axis_name)
  size = named_axes.axis_size(names, "ppermute")
  perm = tuple((int(s), int(d)) for s, d in perm)
  srcs, dsts = [s for s, _ in perm], [d for _, d in perm]
  if (len(set(srcs)) != len(srcs) or len(set(dsts)) != len(dsts)
      or not all(0 <= i < size for i in srcs + dsts)):
    raise ValueError(PERM_MESSAGE.format(perm=perm, size=size, axis_name=names[0]))
  return tree.tree_map(lambda leaf: ppermute_p.bind(leaf, axis_name=names, perm=perm), x)


def pshuffle(x, axis_name, perm):
  """Device i receives the `x` of device perm[i] (perm is a permutation)."""
  perm = tuple(int(p) for p in perm)
  if sorted(perm) != list(range(len(perm))):
    raise ValueError(f"pshuffle: perm {perm!r} is not a permutation of "
                     f"range({len(perm)})")
  return ppermute(x, axis_name, [(src, dst) for dst, src in enumerate(perm)])


def _ppermute_abstract_eval(x, *, axis_name, perm):
  _check_bound(axis_name, "ppermute")
  return x


def _ppermute_lower(ctx, x, *, axis_name, perm):
  named_axes.lowering_axes(axis_name, "ppermute")  # checks the name
  pairs = ir.DenseIntElementsAttr.get(np.asarray(perm, np.int64).reshape(-1, 2))
  op = hlo.CollectivePermuteOp(x, pairs, results=[tensor_type(ctx.avals_out[0])])
  return op.result


def _ppermute_transpose(ct, x, *, axis_name, perm):
  return [ppermute_p.bind(ct, axis_name=axis_name,
                          perm=tuple((d, s) for s, d in perm))]


def _ppermute_batch(vals, dims, *, axis_name, perm):
  (x,), (d,) = vals, dims
  frame, mine = _frame_is(axis_name)
  if not mine:
    return ppermute_p.bind(x, axis_name=axis_name, perm=perm), d
  x = bdim_at_front(x, d, frame.size)
  source = {dst: src for src, dst in perm}
  zero = None
  rows = []
  for member in range(frame.size):
    if member in source:
      rows.append(shape.slice_in_dim(x, source[member], source[member] + 1, axis=0))
    else:
      if zero is None:
        zero = shape.full((1,) + aval_of(x).shape[1:], 0, aval_of(x).dtype)
      rows.append(zero)
  return shape.concatenate(rows, 0), 0


ppermute_p = define_primitive(
    "ppermute", abstract_eval=_ppermute_abstract_eval, lower=_ppermute_lower,
    batch=_ppermute_batch)
deflinear(ppermute_p, _ppermute_transpose)
ppermute_p.named_axes = True


# --- all_to_all ---------------------------------------------------------------------

def all_to_all(x, axis_name, split_axis, concat_axis, *, axis_index_groups=None,
               tiled=False):
  """Device j receives block j of `split_axis` from every device k, placed
  at index k of a new `concat_axis` (tiled=True: concatenated along the
  existing `concat_axis`, and split_axis is cut into axis-size blocks)."""
  _check_groups("all_to_all", axis_index_groups)
  names = _one_name("all_to_all", axis_name)
  size = named_axes.axis_size(names, "all_to_all")

  def one(leaf):
    aval = aval_of(leaf)
    split = canonicalize_axis("all_to_all", split_axis, aval.ndim)
    concat = canonicalize_axis("all_to_all", concat_axis, aval.ndim)
    _check_split_size("all_to_all", aval.shape, split, tiled, names[0], size)
    return all_to_all_p.bind(leaf, axis_name=names, split_axis=split,
                             concat_axis=concat, tiled=bool(tiled), axis_size=size)
  return tree.tree_map(one, x)


def _all_to_all_shape(shape, split_axis, concat_axis, tiled, axis_size):
  shape = list(shape)
  if tiled:
    shape[split_axis] //= axis_size
    shape[concat_axis] *= axis_size
  else:
    del shape[split_axis]
    shape.insert(concat_axis, axis_size)
  return tuple(shape)


def _all_to_all_abstract_eval(x, *, axis_name, split_axis, concat_axis, tiled, axis_size):
  _check_bound(axis_name, "all_to_all")
  return x.update(shape=_all_to_all_shape(x.shape, split_axis, concat_axis, tiled,
                                          axis_size), weak_type=False)


def _all_to_all_lower(ctx, x, *, axis_name, split_axis, concat_axis, tiled, axis_size):
  axes = named_axes.lowering_axes(axis_name, "all_to_all")
  aval_in, aval_out = ctx.avals_in[0], ctx.avals_out[0]
  split, concat = split_axis, concat_axis
  shape = list(aval_in.shape)
  if not tiled:
    # A unit axis placed so that, once split_axis (then of size 1) is
    # squeezed away, it sits at concat_axis: a tiled all_to_all fills it.
    if concat <= split:
      split += 1
    else:
      concat += 1
    shape.insert(concat, 1)
    x = hlo.reshape(tensor_type(tuple(shape), aval_in.dtype), x)
  shape[split] //= axis_size
  shape[concat] *= axis_size
  op = hlo.AllToAllOp([x], split, concat, axis_size, _replica_groups(axes),
                      results=[tensor_type(tuple(shape), aval_in.dtype)])
  out = op.results[0]
  if not tiled:
    out = hlo.reshape(tensor_type(aval_out), out)
  return out


def _all_to_all_transpose(ct, x, *, axis_name, split_axis, concat_axis, tiled, axis_size):
  return [all_to_all_p.bind(ct, axis_name=axis_name, split_axis=concat_axis,
                            concat_axis=split_axis, tiled=tiled, axis_size=axis_size)]


def _all_to_all_members(x, split_axis, concat_axis):
  """Untiled all_to_all over the leading (members) axis of `x`: member j
  gets x[k][split=j] at index k of concat_axis. Result: members first."""
  out = moveaxis(x, split_axis + 1, 0)   # (j, k, ...rest)
  return moveaxis(out, 1, concat_axis + 1)


def _all_to_all_batch(vals, dims, *, axis_name, split_axis, concat_axis, tiled, axis_size):
  (x,), (d,) = vals, dims
  frame, mine = _frame_is(axis_name)
  x = bdim_at_front(x, d, frame.size)
  if not mine:
    return all_to_all_p.bind(x, axis_name=axis_name, split_axis=split_axis + 1,
                             concat_axis=concat_axis + 1, tiled=tiled,
                             axis_size=axis_size), 0
  if not tiled:
    return _all_to_all_members(x, split_axis, concat_axis), 0
  # Tiled is untiled with split_axis cut into (members, block), then the
  # new members axis merged into concat_axis (members major).
  s = aval_of(x).shape
  k = split_axis + 1
  x = shape.reshape(x, s[:k] + (axis_size, s[k] // axis_size) + s[k + 1:])
  out = _all_to_all_members(x, split_axis, concat_axis)
  o = aval_of(out).shape
  c = concat_axis + 1
  return shape.reshape(out, o[:c] + (o[c] * o[c + 1],) + o[c + 2:]), 0


all_to_all_p = define_primitive(
    "all_to_all", abstract_eval=_all_to_all_abstract_eval, lower=_all_to_all_lower,
    batch=_all_to_all_batch)
deflinear(all_to_all_p, _all_to_all_transpose)
all_to_all_p.named_axes = True


# --- axis_index and axis_size --------------------------------------------------------

def axis_index(axis_name):
  """This device's index (int32) along the axis `axis_name`."""
  names = _one_name("axis_index", axis_name)
  return axis_index_p.bind(axis_name=names)


def axis_size(axis_name):
  """The size of the named axis (a Python int; a tuple gives the product)."""
  return named_axes.axis_size(_names(axis_name), "axis_size")


def _axis_index_abstract_eval(*, axis_name):
  _check_bound(axis_name, "axis_index")
  return ShapedArray((), int32, False)


def _axis_index_lower(ctx, *, axis_name):
  named_axes.lowering_axes(axis_name, "axis_index")
  replica = hlo.ReplicaIdOp().result
  return hlo.convert(tensor_type(ctx.avals_out[0]), replica)


def _axis_index_batch(vals, dims, *, axis_name):
  frame, _ = _frame_is(axis_name)
  return shape.iota(np.int32, frame.size), 0


axis_index_p = define_primitive(
    "axis_index", abstract_eval=_axis_index_abstract_eval, lower=_axis_index_lower,
    jvp=NOT_DIFFERENTIABLE, transpose=NOT_LINEAR, batch=_axis_index_batch)
axis_index_p.named_axes = True
