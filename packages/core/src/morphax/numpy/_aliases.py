"""Array-API aliases and NumPy's small names: acos/pow/concat/..., astype,
isdtype, vecdot/matvec/vecmat, unstack, splits, angle, cross, the extra
dtype names, host I/O (load/save/frombuffer/...) and print options.
"""

import operator

import ml_dtypes
import numpy as np

from .. import api, lax
from ..core import avals as avals_lib
from . import _shape, _ufuncs, _util
from ._creation import arange, asarray, full
from ._dtypes import isdtype_kind
from ._linalg import matmul
from ._scalar_types import _make
from ._functional import vectorize
from .linalg import matrix_transpose, numpy_cross, vecdot

__all__ = [
    "acos", "acosh", "asin", "asinh", "atan", "atanh", "atan2", "pow",
    "concat", "permute_dims", "matrix_transpose", "bitwise_invert",
    "bitwise_left_shift", "bitwise_right_shift", "bitwise_count", "astype",
    "isdtype", "vecdot", "matvec", "vecmat", "unstack", "rollaxis", "dsplit",
    "hsplit", "vsplit", "angle", "cross", "iterable", "ComplexWarning",
    "object_", "character", "flexible", "from_dlpack", "frombuffer",
    "fromstring", "fromiter", "fromfile", "fromfunction", "load", "save",
    "savez", "array_repr", "array_str", "printoptions", "get_printoptions",
    "set_printoptions", "ufunc", "frompyfunc",
]

# --- Plain aliases (the array API's spellings) ---------------------------------

acos, acosh = _ufuncs.arccos, _ufuncs.arccosh
asin, asinh = _ufuncs.arcsin, _ufuncs.arcsinh
atan, atanh, atan2 = _ufuncs.arctan, _ufuncs.arctanh, _ufuncs.arctan2
pow = _ufuncs.power  # noqa: A001
bitwise_invert = _ufuncs.invert
bitwise_left_shift = _ufuncs.left_shift
bitwise_right_shift = _ufuncs.right_shift

ComplexWarning = np.exceptions.ComplexWarning
object_, character, flexible = np.object_, np.character, np.flexible

# The narrow dtypes of ml_dtypes, as names (arrays of them are not supported
# by morphax's runtime yet: jnp.float8_e4m3fn(1.0) raises a dtype error).
_NARROW = ("float8_e3m4", "float8_e4m3", "float8_e4m3b11fnuz", "float8_e4m3fn",
           "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz",
           "float8_e8m0fnu", "float4_e2m1fn", "float6_e2m3fn", "float6_e3m2fn",
           "int4", "uint4", "int2", "uint2", "int1", "uint1")
for _name in _NARROW:
  if hasattr(ml_dtypes, _name):
    globals()[_name] = _make(getattr(ml_dtypes, _name), _name)
    __all__.append(_name)
del _name

# NumPy's printing, unchanged: they format any array-like, Arrays included.
printoptions = np.printoptions
get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions
save = np.save
savez = np.savez

RANK_MESSAGE = "{name}: needs an array of at least {n} dimensions, got shape {shape}"
INTEGER_MESSAGE = "{name}: needs an integer array, got dtype {dtype}"
ISDTYPE_KIND_MESSAGE = (
    "isdtype: kind must be a dtype, one of {kinds} or a tuple of those; "
    "got {kind!r}")
FROMITER_MESSAGE = (
    "jnp.fromiter is not implemented: consuming an iterator is a side effect "
    "that jit and the other transformations cannot stage. Use "
    "jnp.asarray(np.fromiter(...)) outside transformed code.")
UFUNC_ARITY_MESSAGE = (
    "{name}.{method}: only defined for binary ufuncs with one output "
    "(nin=2, nout=1), got nin={nin}, nout={nout}")
UFUNC_NARGS_MESSAGE = "{name}: takes {nin} arguments, got {n}"
UFUNC_EMPTY_MESSAGE = (
    "{name}.reduce: zero-size array to a reduction with no identity; pass "
    "initial= or build the ufunc with identity=")
UFUNC_WHERE_MESSAGE = (
    "{name}.reduce: where= needs an identity (or initial=) for the masked "
    "entries")
UFUNC_INPLACE_MESSAGE = (
    "{name}.at: morphax arrays are immutable, so at() cannot work in place; "
    "pass inplace=False to get the updated array back")
UFUNC_OUT_MESSAGE = "{name}.{method}: out= is not supported (arrays are immutable)"
FROMFILE_MESSAGE = (
    "jnp.fromfile is not implemented: reading a file is a side effect that "
    "jit and the other transformations cannot stage. Use "
    "jnp.asarray(np.fromfile(...)) outside transformed code.")


def _array(name, a):
  return _util.ensure_array(a, name)


def _need_rank(name, a, n):
  if a.aval.ndim < n:
    raise ValueError(RANK_MESSAGE.format(name=name, n=n, shape=a.aval.shape))


# --- Shapes ----------------------------------------------------------------------

def concat(arrays, /, *, axis=0):
  """Joins `arrays` along `axis` (the array API's concatenate); axis=None
  flattens them first."""
  return _shape.concatenate(arrays, axis=axis)


def permute_dims(a, /, axes):
  """`a` with its axes reordered to `axes` (the array API's transpose)."""
  return _shape.transpose(a, axes)


def unstack(x, /, *, axis=0):
  """The slices of `x` along `axis`, as a tuple (the inverse of stack)."""
  x = _array("unstack", x)
  _need_rank("unstack", x, 1)
  axis = _util.canonicalize_axis("unstack", axis, x.aval.ndim)
  return tuple(lax.squeeze(_util.slice_axis(x, axis, i, i + 1), (axis,))
               for i in range(x.aval.shape[axis]))


def rollaxis(a, axis, start=0):
  """Moves `axis` to sit before position `start` (NumPy's older moveaxis)."""
  a = _array("rollaxis", a)
  n = a.aval.ndim
  axis = _util.canonicalize_axis("rollaxis", axis, n)
  start = operator.index(start)
  if not -n <= start <= n:
    raise ValueError(f"rollaxis: start={start} must be in [{-n}, {n}] for an "
                     f"array of rank {n}")
  start = start + n if start < 0 else start
  if axis < start:
    start -= 1
  return a if axis == start else _shape.moveaxis(a, axis, start)


def _split_along(name, axis, rank, ary, indices_or_sections):
  ary = _array(name, ary)
  _need_rank(name, ary, rank)
  return _shape.split(ary, indices_or_sections, axis=axis)


def vsplit(ary, indices_or_sections):
  """split along axis 0 of an array of rank >= 2."""
  return _split_along("vsplit", 0, 2, ary, indices_or_sections)


def hsplit(ary, indices_or_sections):
  """split along axis 1 (axis 0 for a 1-d array)."""
  ary = _array("hsplit", ary)
  _need_rank("hsplit", ary, 1)
  axis = 1 if ary.aval.ndim > 1 else 0
  return _shape.split(ary, indices_or_sections, axis=axis)


def dsplit(ary, indices_or_sections):
  """split along axis 2 of an array of rank >= 3."""
  return _split_along("dsplit", 2, 3, ary, indices_or_sections)


# --- Elementwise -----------------------------------------------------------------

def bitwise_count(x, /):
  """The number of 1 bits in |x|, as uint8 (NumPy 2's bitwise_count)."""
  x = _array("bitwise_count", x)
  if not avals_lib.is_integer(x.aval.dtype):
    raise TypeError(INTEGER_MESSAGE.format(name="bitwise_count", dtype=x.aval.dtype))
  if avals_lib.is_signed(x.aval.dtype):
    x = lax.abs(x)
  return lax.convert_element_type(lax.population_count(x), np.uint8)


def astype(x, dtype, /, *, copy=False, device=None):
  """`x` converted to `dtype` (complex to real keeps the real part)."""
  x = _array("astype", x)
  dtype = _util.canonical_dtype("astype", dtype)
  if avals_lib.is_complex(x.aval.dtype) and not avals_lib.is_complex(dtype):
    x = lax.real(x)
  return lax.convert_element_type(x, dtype)


def angle(z, deg=False):
  """The argument of complex `z` in radians (degrees with deg=True); 0 or
  pi for real numbers."""
  z, = _util.promote_args_inexact("angle", z)
  out = lax.atan2(_ufuncs.imag(z), _ufuncs.real(z))
  if deg:
    out = lax.mul(out, _util.const_like(out, 180 / np.pi))
  return out


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
  """The cross product of 2- or 3-vectors along axisa/axisb, broadcast over
  the other axes; 2-vectors pair to the scalar z-component (NumPy's cross;
  jnp.linalg.cross is the array API's 3-vector one)."""
  return numpy_cross(a, b, axisa, axisb, axisc, axis)


# --- Vectors and matrices --------------------------------------------------------

def matvec(x1, x2, /):
  """Matrix-vector product: x1 (..., m, n) and x2 (..., n) -> (..., m)."""
  x1, x2 = _array("matvec", x1), _array("matvec", x2)
  _need_rank("matvec", x1, 2)
  _need_rank("matvec", x2, 1)
  return lax.squeeze(matmul(x1, lax.expand_dims(x2, (x2.aval.ndim,))), (-1,))


def vecmat(x1, x2, /):
  """Vector-matrix product conj(x1) @ x2: x1 (..., m), x2 (..., m, n) ->
  (..., n)."""
  x1, x2 = _array("vecmat", x1), _array("vecmat", x2)
  _need_rank("vecmat", x1, 1)
  _need_rank("vecmat", x2, 2)
  row = lax.expand_dims(_ufuncs.conj(x1), (x1.aval.ndim - 1,))
  return lax.squeeze(matmul(row, x2), (-2,))


# --- Dtypes and predicates ---------------------------------------------------------

_KINDS = {
    "bool": ("b",), "signed integer": ("i",), "unsigned integer": ("u",),
    "integral": ("i", "u"), "real floating": ("f",),
    "complex floating": ("c",), "numeric": ("i", "u", "f", "c"),
}


def _kind(dt):
  """NumPy's kind letter, with ml_dtypes' floats 'f' and narrow ints 'i'/'u'."""
  if dt.kind != "V":
    return isdtype_kind(dt)
  name = dt.name
  if name.startswith(("float", "bfloat")):
    return "f"
  return "u" if name.startswith("uint") else "i" if name.startswith("int") else "V"


def _as_dtype(x):
  """np.dtype of a dtype, scalar type (numpy's or jnp's) or dtype name."""
  dt = getattr(x, "dtype", None)
  if isinstance(x, type) and isinstance(dt, np.dtype):
    return dt
  return np.dtype(x)


def isdtype(dtype, kind):
  """Whether `dtype` is of `kind`: a dtype, an array-API kind name ('bool',
  'signed integer', 'unsigned integer', 'integral', 'real floating',
  'complex floating', 'numeric') or a tuple of those."""
  dt = _as_dtype(dtype)
  kinds = kind if isinstance(kind, tuple) else (kind,)
  for k in kinds:
    if isinstance(k, str):
      if k not in _KINDS:
        raise ValueError(ISDTYPE_KIND_MESSAGE.format(kinds=tuple(_KINDS), kind=k))
      if _kind(dt) in _KINDS[k]:
        return True
    else:
      try:
        if dt == _as_dtype(k):
          return True
      except TypeError:
        raise TypeError(ISDTYPE_KIND_MESSAGE.format(kinds=tuple(_KINDS), kind=k)) from None
  return False


def iterable(y):
  """Whether iter(y) works (NumPy's iterable)."""
  try:
    iter(y)
  except TypeError:
    return False
  return True


# --- Host data in and out ----------------------------------------------------------

def from_dlpack(x, /, *, device=None, copy=None):
  """An Array holding the data of a DLPack-capable object `x`."""
  return asarray(np.from_dlpack(x))


def frombuffer(buffer, dtype=float, count=-1, offset=0):
  """An Array read from the bytes of `buffer` (NumPy's frombuffer)."""
  return asarray(np.frombuffer(buffer, dtype=dtype, count=count, offset=offset))


def fromstring(string, dtype=float, count=-1, *, sep):
  """An Array parsed from `sep`-separated text (NumPy's fromstring)."""
  return asarray(np.fromstring(string, dtype=dtype, count=count, sep=sep))


def fromiter(iterable, dtype, count=-1):
  """Not implemented (impure); see the message."""
  raise NotImplementedError(FROMITER_MESSAGE)


def fromfile(*args, **kwargs):
  """Not implemented (impure); see the message."""
  raise NotImplementedError(FROMFILE_MESSAGE)


def fromfunction(function, shape, *, dtype=float, **kwargs):
  """function(i0, i1, ...) over the index grid of `shape`, each index of
  `dtype`: `function` is vmapped over every axis, so it sees scalars."""
  shape = _util.canonicalize_shape("fromfunction", shape)
  for i in range(len(shape)):
    mapped = len(shape) - 1 - i  # the last vmap applied makes axis 0
    in_axes = [0 if j == mapped else None for j in range(len(shape))]
    function = api.vmap(function, in_axes=tuple(in_axes))
  return function(*(arange(n, dtype=dtype) for n in shape), **kwargs)


def load(file, *args, **kwargs):
  """np.load, with an array result as an Array (bfloat16 saved by np.save
  as 2-byte voids is read back as bfloat16)."""
  out = np.load(file, *args, **kwargs)
  if isinstance(out, np.ndarray):
    if out.dtype == np.dtype("V2"):
      out = out.view(ml_dtypes.bfloat16)
    return asarray(out)
  return out


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
  """NumPy's array_repr of `arr`, spelled Array(...)."""
  text = np.array_repr(np.asarray(arr), max_line_width, precision, suppress_small)
  return "Array" + text[len("array"):] if text.startswith("array") else text


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
  """NumPy's array_str of `a`."""
  return np.array_str(np.asarray(a), max_line_width, precision, suppress_small)


# --- ufunc ---------------------------------------------------------------------------

class ufunc:
  """A NumPy-style universal function built from a scalar `func` (JAX's
  jnp.ufunc): calls broadcast via vectorize; reduce, accumulate, outer and
  at follow NumPy, as sequential folds (lax.scan / fori_loop) unless
  faster `call`/`reduce`/`accumulate`/`at`/`reduceat` are given."""

  def __init__(self, func, /, nin, nout, *, name=None, nargs=None, identity=None,
               call=None, reduce=None, accumulate=None, at=None, reduceat=None):
    self._func = func
    self.nin, self.nout = operator.index(nin), operator.index(nout)
    self.nargs = self.nin if nargs is None else operator.index(nargs)
    self.identity = identity
    self.__name__ = name or getattr(func, "__name__", repr(func))
    self._call, self._reduce, self._accumulate = call, reduce, accumulate
    self._at, self._reduceat = at, reduceat

  def __repr__(self):
    return f"<jnp.ufunc '{self.__name__}'>"

  def __call__(self, *args):
    if len(args) != self.nin:
      raise TypeError(UFUNC_NARGS_MESSAGE.format(name=self.__name__, nin=self.nin, n=len(args)))
    if self._call is not None:
      return self._call(*args)
    return vectorize(self._func)(*args)

  def _need_binary(self, method):
    if self.nin != 2 or self.nout != 1:
      raise ValueError(UFUNC_ARITY_MESSAGE.format(name=self.__name__, method=method,
                                                  nin=self.nin, nout=self.nout))

  def _step(self, carry, x):
    """One fold step, kept in the carry's dtype."""
    out = self(carry, x)
    return lax.convert_element_type(out, carry.aval.dtype)

  def reduce(self, a, axis=0, dtype=None, out=None, keepdims=False, initial=None,
             where=None):
    """Folds `a` along `axis` (all axes when None): func(...func(a0, a1)...)."""
    self._need_binary("reduce")
    if out is not None:
      raise NotImplementedError(UFUNC_OUT_MESSAGE.format(name=self.__name__, method="reduce"))
    if self._reduce is not None:
      return self._reduce(a, axis, dtype, out, keepdims, initial, where)
    a = _array(f"{self.__name__}.reduce", a)
    if dtype is not None:
      a = astype(a, dtype)
    shape = a.aval.shape
    if axis is None:
      x, axis_ = _shape.ravel(a), 0
      if where is not None:
        where = _shape.ravel(_shape.broadcast_to(where, shape))
    else:
      axis_ = _util.canonicalize_axis(f"{self.__name__}.reduce", axis, a.aval.ndim)
      x = _shape.moveaxis(a, axis_, 0)
      if where is not None:
        where = _shape.moveaxis(_shape.broadcast_to(where, shape), axis_, 0)
    result = self._fold(x, initial, where)
    if keepdims:
      kept = (1,) * len(shape) if axis is None else shape[:axis_] + (1,) + shape[axis_ + 1:]
      result = _shape.reshape(result, kept)
    return result

  def _fold(self, x, initial, where):
    """The fold starts at `initial`, else at the identity (as JAX does),
    else at the first entry."""
    start = initial if initial is not None else self.identity
    if where is not None:
      if start is None:
        raise ValueError(UFUNC_WHERE_MESSAGE.format(name=self.__name__))
      x = _shape.where(where, x, _util.const_like(x, start))
    n = x.aval.shape[0]
    if start is not None:
      carry, xs = full(x.aval.shape[1:], start, dtype=x.aval.dtype), x
    elif n == 0:
      raise ValueError(UFUNC_EMPTY_MESSAGE.format(name=self.__name__))
    else:
      carry = lax.squeeze(_util.slice_axis(x, 0, 0, 1), (0,))
      xs = _util.slice_axis(x, 0, 1, n)
    carry, _ = lax.scan(lambda c, xi: (self._step(c, xi), None), carry, xs)
    return carry

  def accumulate(self, a, axis=0, dtype=None, out=None):
    """The running fold along `axis`: out[i] = func(out[i - 1], a[i])."""
    self._need_binary("accumulate")
    if out is not None:
      raise NotImplementedError(UFUNC_OUT_MESSAGE.format(name=self.__name__, method="accumulate"))
    if self._accumulate is not None:
      return self._accumulate(a, axis, dtype, out)
    a = _array(f"{self.__name__}.accumulate", a)
    if dtype is not None:
      a = astype(a, dtype)
    axis = _util.canonicalize_axis(f"{self.__name__}.accumulate", axis, a.aval.ndim)
    x = _shape.moveaxis(a, axis, 0)
    if x.aval.shape[0] == 0:
      return a
    first = _util.slice_axis(x, 0, 0, 1)

    def body(c, xi):
      c = self._step(c, xi)
      return c, c
    _, ys = lax.scan(body, lax.squeeze(first, (0,)), _util.slice_axis(x, 0, 1, x.aval.shape[0]))
    return _shape.moveaxis(_shape.concatenate([first, ys], axis=0), 0, axis)

  def outer(self, A, B, /):
    """func over every pair: the result has shape A.shape + B.shape."""
    self._need_binary("outer")
    A, B = _array(f"{self.__name__}.outer", A), _array(f"{self.__name__}.outer", B)
    A = lax.reshape(A, A.aval.shape + (1,) * B.aval.ndim)
    return self(A, B)

  def at(self, a, indices, b=None, /, *, inplace=True):
    """`a` with func applied at `indices` in order (repeats apply again):
    a[i] = func(a[i], b) (or func(a[i]) for unary ufuncs)."""
    if inplace:
      raise ValueError(UFUNC_INPLACE_MESSAGE.format(name=self.__name__))
    if self._at is not None:
      return self._at(a, indices, b, inplace=False)
    a = _array(f"{self.__name__}.at", a)
    idx = _array(f"{self.__name__}.at", indices)
    flat_idx = _shape.ravel(idx)
    n = flat_idx.aval.shape[0]
    vals = None
    if self.nin == 2:
      b_arr = _array(f"{self.__name__}.at", b)
      vals = _shape.ravel(_shape.broadcast_to(b_arr, idx.aval.shape + a.aval.shape[1:])
                          if b_arr.aval.ndim > idx.aval.ndim else
                          _shape.broadcast_to(b_arr, idx.aval.shape))

    def body(i, acc):
      j = flat_idx[i]
      new = self(acc[j], vals[i]) if vals is not None else self(acc[j])
      return acc.at[j].set(lax.convert_element_type(new, acc.aval.dtype))
    return lax.fori_loop(0, n, body, a)

  def reduceat(self, a, indices, axis=0, dtype=None, out=None):
    """NumPy's reduceat, when the ufunc was built with reduceat=."""
    if self._reduceat is None:
      raise NotImplementedError(f"{self.__name__}.reduceat: pass reduceat= to jnp.ufunc")
    return self._reduceat(a, indices, axis, dtype, out)


def frompyfunc(func, /, nin, nout, *, identity=None):
  """A ufunc from a Python function of scalars (JAX's frompyfunc)."""
  return ufunc(func, nin, nout, identity=identity)
