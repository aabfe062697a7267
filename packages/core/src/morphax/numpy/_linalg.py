"""Products with NumPy's conventions: dot, matmul (1-d rules and batch
broadcasting), vdot, inner, outer and tensordot, on lax.dot_general.
"""

from .. import lax
from ..core import avals as avals_lib
from . import _ufuncs, _util

__all__ = ["dot", "matmul", "vdot", "inner", "outer", "tensordot"]

MATMUL_SCALAR_MESSAGE = (
    "matmul: inputs must have at least 1 dimension, got shapes {a} and {b}; "
    "use * (multiply) for scalars")
MATMUL_CONTRACT_MESSAGE = (
    "matmul: the last axis of a (size {ka}) must match the {which} axis of b "
    "(size {kb}); got shapes {a} and {b}")
DOT_CONTRACT_MESSAGE = (
    "dot: shapes {a} and {b} are not aligned: axis {ia} of a (size {ka}) != "
    "axis {ib} of b (size {kb})")


def dot_general(name, a, b, dimension_numbers, precision, preferred_element_type):
  """lax.dot_general, with booleans contracted as integers (NumPy's
  `any(a and b)`)."""
  if avals_lib.is_bool(a.aval.dtype):
    int_dtype = avals_lib.int32
    a = _util.convert(a, int_dtype, False, name)
    b = _util.convert(b, int_dtype, False, name)
    out = lax.dot_general(a, b, dimension_numbers, precision)
    return lax.ne(out, _util.full_like(out, 0))
  return lax.dot_general(a, b, dimension_numbers, precision=precision,
                         preferred_element_type=preferred_element_type)


def _preferred(preferred_element_type):
  if preferred_element_type is None:
    return None
  return avals_lib.canonicalize_dtype(preferred_element_type)


def dot(a, b, *, precision=None, preferred_element_type=None):
  """NumPy's dot: a product for scalars, the inner product for vectors,
  and otherwise a sum over the last axis of `a` and the second-to-last of
  `b` (the last, if `b` is 1-d)."""
  a, b = _util.promote_dtypes("dot", a, b)
  preferred = _preferred(preferred_element_type)
  if a.aval.ndim == 0 or b.aval.ndim == 0:
    out = _ufuncs.multiply(a, b)
    return out if preferred is None else _util.convert(out, preferred, False, "dot")
  ia = a.aval.ndim - 1
  ib = 0 if b.aval.ndim == 1 else b.aval.ndim - 2
  ka, kb = a.aval.shape[ia], b.aval.shape[ib]
  if ka != kb:
    raise ValueError(DOT_CONTRACT_MESSAGE.format(
        a=a.aval.shape, b=b.aval.shape, ia=ia, ib=ib, ka=ka, kb=kb))
  return dot_general("dot", a, b, (((ia,), (ib,)), ((), ())), precision, preferred)


def matmul(a, b, *, precision=None, preferred_element_type=None):
  """The matrix product a @ b: 1-d operands act as a row (a) or column (b)
  vector and that axis is dropped; leading (batch) axes broadcast."""
  a, b = _util.promote_dtypes("matmul", a, b)
  preferred = _preferred(preferred_element_type)
  a_shape, b_shape = a.aval.shape, b.aval.shape
  if not a_shape or not b_shape:
    raise ValueError(MATMUL_SCALAR_MESSAGE.format(a=a_shape, b=b_shape))
  a_vec, b_vec = len(a_shape) == 1, len(b_shape) == 1
  if a_vec:
    a = lax.expand_dims(a, (0,))
  if b_vec:
    b = lax.expand_dims(b, (1,))
  a_shape, b_shape = a.aval.shape, b.aval.shape
  if a_shape[-1] != b_shape[-2]:
    raise ValueError(MATMUL_CONTRACT_MESSAGE.format(
        ka=a_shape[-1], kb=b_shape[-2], which="only" if b_vec else "second-to-last",
        a=a.aval.shape if not a_vec else a_shape[1:],
        b=b.aval.shape if not b_vec else b_shape[:1]))
  a_batch, b_batch = a_shape[:-2], b_shape[:-2]
  if not b_batch:
    # (..., n, k) @ (k, m): no batch axes needed, the result is (..., n, m).
    nd = len(a_shape)
    out = dot_general("matmul", a, b, (((nd - 1,), (0,)), ((), ())),
                      precision, preferred)
  else:
    batch = _util.broadcast_shapes("matmul", a_batch, b_batch)
    a = _util.broadcast_to_shape(a, batch + a_shape[-2:])
    b = _util.broadcast_to_shape(b, batch + b_shape[-2:])
    nb = len(batch)
    dims = (((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb))))
    out = dot_general("matmul", a, b, dims, precision, preferred)
  if a_vec and b_vec:
    return lax.reshape(out, out.aval.shape[:-2])
  if a_vec:
    return lax.squeeze(out, (out.aval.ndim - 2,))
  if b_vec:
    return lax.squeeze(out, (out.aval.ndim - 1,))
  return out


def vdot(a, b, *, precision=None, preferred_element_type=None):
  """The dot product of the flattened arrays, conjugating `a`."""
  a, b = _util.promote_dtypes("vdot", a, b)
  a = _ufuncs.conjugate(lax.reshape(a, (a.aval.size,)))
  b = lax.reshape(b, (b.aval.size,))
  return dot(a, b, precision=precision, preferred_element_type=preferred_element_type)


def inner(a, b, *, precision=None, preferred_element_type=None):
  """The sum over the last axes of `a` and `b`."""
  a, b = _util.promote_dtypes("inner", a, b)
  if a.aval.ndim == 0 or b.aval.ndim == 0:
    return _ufuncs.multiply(a, b)
  return tensordot(a, b, ((a.aval.ndim - 1,), (b.aval.ndim - 1,)),
                   precision=precision, preferred_element_type=preferred_element_type)


def outer(a, b, out=None):
  """The outer product of the flattened arrays."""
  if out is not None:
    raise NotImplementedError("outer: the out argument is not supported")
  a, b = _util.promote_dtypes("outer", a, b)
  a = lax.reshape(a, (a.aval.size, 1))
  b = lax.reshape(b, (1, b.aval.size))
  return _ufuncs.multiply(a, b)


def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None):
  """The sum over `axes` of `a` and `b`: an int N (the last N of `a` with
  the first N of `b`) or a pair of axis sequences."""
  a, b = _util.promote_dtypes("tensordot", a, b)
  na, nb = a.aval.ndim, b.aval.ndim
  if isinstance(axes, int):
    if axes < 0 or axes > min(na, nb):
      raise ValueError(f"tensordot: axes={axes} must be in [0, {min(na, nb)}] "
                       f"for shapes {a.aval.shape} and {b.aval.shape}")
    ca, cb = tuple(range(na - axes, na)), tuple(range(axes))
  else:
    try:
      ca, cb = axes
    except (TypeError, ValueError):
      raise TypeError(f"tensordot: axes must be an int or a pair of sequences, "
                      f"got {axes!r}") from None
    ca = (ca,) if isinstance(ca, int) else tuple(ca)
    cb = (cb,) if isinstance(cb, int) else tuple(cb)
    if len(ca) != len(cb):
      raise ValueError(f"tensordot: axes {axes} name different numbers of axes")
    ca = tuple(_util.canonicalize_axis("tensordot", x, na) for x in ca)
    cb = tuple(_util.canonicalize_axis("tensordot", x, nb) for x in cb)
  for i, j in zip(ca, cb):
    if a.aval.shape[i] != b.aval.shape[j]:
      raise ValueError(f"tensordot: shape mismatch on axes {i} of a and {j} of "
                       f"b: shapes {a.aval.shape} and {b.aval.shape}")
  return dot_general("tensordot", a, b, ((ca, cb), ((), ())), precision,
                     _preferred(preferred_element_type))
