"""Index tricks: r_/c_/s_/index_exp/ix_, the triangle and diagonal index
helpers, unravel_index/ravel_multi_index, place and trim_zeros.
"""

import operator

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from ..core.trace import Tracer
from . import _shape, _util
from ._creation import arange, array, asarray, linspace, ones
from ._sorting import nonzero
from ._statistics import cumsum
from ._ufuncs import remainder

__all__ = ["r_", "c_", "s_", "index_exp", "ix_", "diag_indices",
           "diag_indices_from", "tril_indices", "triu_indices",
           "tril_indices_from", "triu_indices_from", "mask_indices",
           "unravel_index", "ravel_multi_index", "place", "trim_zeros"]

s_ = np.s_
index_exp = np.index_exp

DIRECTIVE_MESSAGE = (
    "{name}: could not read the directive {directive!r}; expected 'r', 'c' or "
    "'axis[,ndmin[,trans1d]]' of integers such as '0,2,-1'")
IX_MESSAGE = (
    "ix_: argument {pos} must be a 1-d integer array, got shape {shape} and "
    "dtype {dtype} (boolean masks: pass jnp.nonzero(mask)[0])")
SQUARE_MESSAGE = (
    "{name}: needs a {what} array with all dimensions equal, got shape {shape}")
RAVEL_LENGTH_MESSAGE = (
    "ravel_multi_index: got {n} index arrays for {d} dimensions {dims}; pass "
    "one index array per dimension")
RAVEL_MODE_MESSAGE = (
    "ravel_multi_index: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
RAVEL_ORDER_MESSAGE = "{name}: order must be 'C' or 'F', got {order!r}"
RAVEL_RAISE_TRACED_MESSAGE = (
    "ravel_multi_index: mode='raise' needs concrete indices to check them, but "
    "they are traced here (inside jit, vmap or grad); use mode='wrap' or "
    "mode='clip'")
RAVEL_INVALID_MESSAGE = (
    "ravel_multi_index: invalid entry in coordinates array: an index is "
    "outside its dimension of {dims} (mode='raise'; use 'wrap' or 'clip')")
PLACE_INPLACE_MESSAGE = (
    "place: morphax arrays are immutable, so place cannot modify `arr` in "
    "place; pass inplace=False to get the updated array back")
TRIM_MESSAGE = "trim_zeros: trim must contain only 'f' and 'b', got {trim!r}"


# --- r_ and c_ -------------------------------------------------------------------

class _Concatenator:
  """NumPy's AxisConcatenator: `obj[a, b:c, ...]` joins the items (slices
  become arange/linspace) along an axis, after an optional directive
  string 'axis,ndmin,trans1d', 'r' or 'c'."""

  def __init__(self, name, axis, ndmin, trans1d):
    self.name, self.axis, self.ndmin, self.trans1d = name, axis, ndmin, trans1d

  def __len__(self):
    return 0

  def __getitem__(self, key):
    key = key if isinstance(key, tuple) else (key,)
    axis, ndmin, trans1d, matrix = self.axis, self.ndmin, self.trans1d, None
    if key and isinstance(key[0], str):
      axis, ndmin, trans1d, matrix = self._directive(key[0], axis, ndmin, trans1d)
      key = key[1:]
    items = [self._item(x, ndmin, trans1d) for x in key]
    if not items:
      return array([], dtype=avals_lib.default_float_dtype())
    out = _shape.concatenate(items, axis=axis)
    if matrix is not None:
      out = lax.expand_dims(out, (0,)) if out.aval.ndim == 1 else out
      out = _shape.transpose(out) if matrix == "c" else out
    return out

  def _directive(self, text, axis, ndmin, trans1d):
    if text in ("r", "c"):
      return axis, ndmin, trans1d, text
    try:
      parts = [int(p) for p in text.split(",")]
    except ValueError:
      raise ValueError(DIRECTIVE_MESSAGE.format(name=self.name, directive=text)) from None
    if not 1 <= len(parts) <= 3:
      raise ValueError(DIRECTIVE_MESSAGE.format(name=self.name, directive=text))
    parts += [ndmin, trans1d][len(parts) - 1:]
    return parts[0], parts[1], parts[2], None

  def _item(self, x, ndmin, trans1d):
    if isinstance(x, slice):
      out = self._range(x)
      if ndmin > 1:
        out = array(out, ndmin=ndmin, copy=False)
        if trans1d != -1:
          out = _shape.swapaxes(out, -1, trans1d)
      return out
    out = asarray(x)
    nd = out.aval.ndim
    out = array(out, ndmin=ndmin, copy=False)
    if trans1d != -1 and 0 < nd < ndmin:
      k2, k1 = ndmin - nd, trans1d
      k1 = k1 + k2 + 1 if k1 < 0 else k1
      axes = list(range(ndmin))
      out = _shape.transpose(out, axes[:k1] + axes[k2:] + axes[k1:k2])
    return out

  @staticmethod
  def _range(s):
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    if isinstance(step, complex):
      return linspace(start, s.stop, int(abs(step)), endpoint=True)
    return arange(start, s.stop, step)


r_ = _Concatenator("r_", 0, 1, -1)
r_.__doc__ = "jnp.r_[...]: items joined along the first axis (NumPy's r_)."
c_ = _Concatenator("c_", -1, 2, 0)
c_.__doc__ = "jnp.c_[...]: items as columns, joined along the last axis."


# --- Open meshes, diagonals and triangles ----------------------------------------

def ix_(*args):
  """An open mesh from 1-d integer index arrays: out[i] has shape 1 on
  every axis but i, so a[ix_(rows, cols)] picks a sub-grid."""
  out = []
  for pos, a in enumerate(args):
    a = _util.ensure_array(a, "ix_")
    if a.aval.ndim != 1 or not avals_lib.is_integer(a.aval.dtype):
      raise TypeError(IX_MESSAGE.format(pos=pos, shape=a.aval.shape, dtype=a.aval.dtype))
    shape = [1] * len(args)
    shape[pos] = a.aval.shape[0]
    out.append(lax.reshape(a, tuple(shape)))
  return tuple(out)


def _int_array(host):
  return asarray(np.asarray(host, dtype=avals_lib.default_int_dtype()))


def diag_indices(n, ndim=2):
  """Indices of the main diagonal of an (n,) * ndim array: ndim copies of
  arange(n)."""
  n, ndim = operator.index(n), operator.index(ndim)
  if n < 0 or ndim < 0:
    raise ValueError(f"diag_indices: n and ndim must be non-negative, got {n} and {ndim}")
  return (arange(n),) * ndim


def diag_indices_from(arr):
  """diag_indices for `arr`, which must be at least 2-d with equal sides."""
  shape = np.shape(arr)
  if len(shape) < 2 or len(set(shape)) != 1:
    raise ValueError(SQUARE_MESSAGE.format(name="diag_indices_from",
                                           what="2-d or higher", shape=shape))
  return diag_indices(shape[0], len(shape))


def tril_indices(n, k=0, m=None):
  """Row and column indices of the lower triangle (diagonal k) of an
  (n, m) array."""
  return tuple(_int_array(i) for i in np.tril_indices(n, k, m))


def triu_indices(n, k=0, m=None):
  """Row and column indices of the upper triangle (diagonal k) of an
  (n, m) array."""
  return tuple(_int_array(i) for i in np.triu_indices(n, k, m))


def _matrix_shape(name, arr):
  shape = np.shape(arr)
  if len(shape) != 2:
    raise ValueError(f"{name}: needs a 2-d array, got shape {shape}")
  return shape


def tril_indices_from(arr, k=0):
  """tril_indices for the shape of 2-d `arr`."""
  n, m = _matrix_shape("tril_indices_from", arr)
  return tril_indices(n, k, m)


def triu_indices_from(arr, k=0):
  """triu_indices for the shape of 2-d `arr`."""
  n, m = _matrix_shape("triu_indices_from", arr)
  return triu_indices(n, k, m)


def mask_indices(n, mask_func, k=0, *, size=None):
  """The indices where mask_func(ones((n, n)), k) is nonzero (pass a static
  `size` under jit)."""
  return nonzero(mask_func(ones((n, n)), k), size=size)


# --- Flat and multi-dimensional indices ----------------------------------------------

def _strides(dims, order):
  if order not in ("C", "F"):
    raise ValueError(RAVEL_ORDER_MESSAGE.format(name="ravel_multi_index", order=order))
  dims = list(dims) if order == "C" else list(dims)[::-1]
  strides = [1] * len(dims)
  for i in range(len(dims) - 2, -1, -1):
    strides[i] = strides[i + 1] * dims[i + 1]
  return strides if order == "C" else strides[::-1]


def unravel_index(indices, shape):
  """The multi-index of each flat index into an array of `shape`; negative
  indices count from the end and the others are clipped into range."""
  indices = _util.ensure_array(indices, "unravel_index")
  if not avals_lib.is_integer(indices.aval.dtype):
    raise TypeError(f"unravel_index: indices must be integers, got dtype {indices.aval.dtype}")
  shape = _util.canonicalize_shape("unravel_index", shape)
  size = int(np.prod(shape))
  if not shape:
    return ()
  if size == 0:
    raise ValueError(f"unravel_index: cannot unravel into the empty shape {shape}")
  i = _shape.where(lax.lt(indices, _util.const_like(indices, 0)),
                   lax.add(indices, _util.const_like(indices, size)), indices)
  i = _shape.clip(i, 0, size - 1)
  out = []
  for stride, d in zip(_strides(shape, "C"), shape):
    out.append(lax.rem(lax.div(i, _util.const_like(i, stride)), _util.const_like(i, d)))
  return tuple(out)


def ravel_multi_index(multi_index, dims, mode="raise", order="C", *, dtype=None):
  """The flat index of each multi-index into an array of shape `dims`;
  mode 'raise' (concrete indices only), 'wrap' or 'clip' handles entries
  out of range."""
  dims = _util.canonicalize_shape("ravel_multi_index", dims)
  if len(multi_index) != len(dims):
    raise ValueError(RAVEL_LENGTH_MESSAGE.format(n=len(multi_index), d=len(dims), dims=dims))
  if mode not in ("raise", "wrap", "clip"):
    raise ValueError(RAVEL_MODE_MESSAGE.format(mode=mode))
  strides = _strides(dims, order)
  idx = _util.promote_args("ravel_multi_index", *multi_index)
  for i in idx:
    if not avals_lib.is_integer(i.aval.dtype):
      raise TypeError(f"ravel_multi_index: indices must be integers, got dtype {i.aval.dtype}")
  if mode == "raise":
    _check_in_range(idx, dims)
  total = None
  for i, d, s in zip(idx, dims, strides):
    if dtype is not None:
      i = lax.convert_element_type(i, _util.canonical_dtype("ravel_multi_index", dtype))
    if mode == "wrap":
      i = remainder(i, d)
    elif mode == "clip":
      i = _shape.clip(i, 0, d - 1)
    term = lax.mul(i, _util.const_like(i, s))
    total = term if total is None else lax.add(total, term)
  return total


def _check_in_range(idx, dims):
  if any(isinstance(i, Tracer) for i in idx):
    raise ValueError(RAVEL_RAISE_TRACED_MESSAGE)
  for i, d in zip(idx, dims):
    host = np.asarray(i)
    if np.any(host < 0) or np.any(host >= d):
      raise ValueError(RAVEL_INVALID_MESSAGE.format(dims=dims))


# --- place and trim_zeros ----------------------------------------------------------

def place(arr, mask, vals, *, inplace=True):
  """`arr` with the entries where `mask` is True replaced, in order, by
  `vals` (repeated cyclically). Needs inplace=False: arrays are immutable."""
  if inplace:
    raise ValueError(PLACE_INPLACE_MESSAGE)
  arr = _util.ensure_array(arr, "place")
  mask = _shape.broadcast_to(_util.ensure_array(mask, "place"), arr.aval.shape)
  vals = _shape.ravel(_util.ensure_array(vals, "place"))
  nvals = vals.aval.shape[0]
  if nvals == 0:
    return arr
  flat_mask = lax.convert_element_type(_shape.ravel(mask), np.bool_)
  counts = cumsum(flat_mask, dtype=np.int32)
  position = lax.sub(counts, _util.const_like(counts, 1))
  position = remainder(_shape.clip(position, 0, None), nvals)
  picked = lax.convert_element_type(vals, arr.aval.dtype)[position]
  out = _shape.where(flat_mask, picked, _shape.ravel(arr))
  return lax.reshape(out, arr.aval.shape)


def trim_zeros(filt, trim="fb", axis=None):
  """`filt` without its leading ('f') and/or trailing ('b') all-zero slices
  along `axis` (every axis when None). The result shape depends on the
  values, so `filt` must be concrete."""
  filt = _util.ensure_array(filt, "trim_zeros")
  if not set(trim.lower()) <= {"f", "b"}:
    raise ValueError(TRIM_MESSAGE.format(trim=trim))
  host = _util.concrete_value("trim_zeros", filt)
  nd = host.ndim
  axes = range(nd) if axis is None else _util.canonicalize_axes("trim_zeros", axis, nd)
  out = filt
  for ax in axes:
    others = tuple(i for i in range(nd) if i != ax)
    nonzero_at = np.flatnonzero(np.any(host != 0, axis=others))
    start, stop = 0, host.shape[ax]
    if nonzero_at.size == 0:
      start = stop = 0
    else:
      start = int(nonzero_at[0]) if "f" in trim.lower() else 0
      stop = int(nonzero_at[-1]) + 1 if "b" in trim.lower() else stop
    out = _util.slice_axis(out, ax, start, stop)
  return out
