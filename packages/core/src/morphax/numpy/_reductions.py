"""Reductions with NumPy's signatures (axis, keepdims, where, initial,
dtype): sums, products, extrema, truth tests, mean/var/std, argmax/argmin.
"""

import builtins

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from . import _util

__all__ = ["sum", "prod", "max", "min", "amax", "amin", "all", "any", "mean",
           "var", "std", "argmax", "argmin"]

NO_IDENTITY_WHERE_MESSAGE = (
    "{name}: the reduction has no identity, so a where= mask needs an "
    "initial= value, e.g. jnp.{name}(x, where=mask, initial=-jnp.inf)")
EMPTY_NO_IDENTITY_MESSAGE = (
    "{name}: zero-size array to reduction operation {name} which has no "
    "identity; pass initial= (got shape {shape}, axis {axis})")
ARG_EMPTY_MESSAGE = "{name}: attempt to get {name} of an empty sequence (shape {shape})"


def _operand(name, a, out):
  if out is not None:
    raise NotImplementedError(
        f"{name}: the out argument is not supported; morphax arrays are "
        "immutable, use the return value")
  return _util.ensure_array(a, name)


def _promote_integer_dtype(dtype):
  """Sums of small integers (and bools) accumulate in the default int."""
  if avals_lib.is_bool(dtype):
    return avals_lib.default_int_dtype()
  if avals_lib.is_unsigned(dtype):
    default = avals_lib.default_uint_dtype()
    return default if dtype.itemsize < default.itemsize else dtype
  if avals_lib.is_signed(dtype):
    default = avals_lib.default_int_dtype()
    return default if dtype.itemsize < default.itemsize else dtype
  return dtype


def _upcast_f16(dtype):
  """16-bit floats accumulate in float32 (as JAX does for sums)."""
  if avals_lib.is_float(dtype) and np.dtype(dtype).itemsize < 4:
    return avals_lib.float32
  return dtype


def _apply_where(name, a, where, fill):
  """`a` with the entries where `where` is False replaced by `fill`."""
  if where is None:
    return a
  mask = _util.ensure_array(where, name)
  if not avals_lib.is_bool(mask.aval.dtype):
    mask = lax.ne(mask, _util.full_like(mask, 0))
  shape = _util.broadcast_shapes(name, mask.aval.shape, a.aval.shape)
  if shape != a.aval.shape:
    raise ValueError(f"{name}: where= of shape {mask.aval.shape} does not "
                     f"broadcast to the array's shape {a.aval.shape}")
  mask = _util.broadcast_to_shape(mask, shape)
  return lax.select_n(mask, _util.full_like(a, fill), a)


def _keepdims(result, axes, keepdims):
  if not keepdims or not axes:
    return result
  return lax.expand_dims(result, axes)


def _reduce(name, a, axis, dtype, keepdims, where, initial, *, reducer,
            combine, identity, result_dtype, compute_dtype):
  axes = _util.canonicalize_axes(name, axis, a.aval.ndim)
  x = _util.convert(a, compute_dtype, False, name)
  if identity is None and initial is None:
    if where is not None:
      raise ValueError(NO_IDENTITY_WHERE_MESSAGE.format(name=name))
    if builtins.any(a.aval.shape[i] == 0 for i in axes):
      raise ValueError(EMPTY_NO_IDENTITY_MESSAGE.format(
          name=name, shape=a.aval.shape, axis=axis))
  fill = identity if identity is not None else _max_min_identity(name, compute_dtype)
  x = _apply_where(name, x, where, fill)
  out = reducer(x, axes)
  if initial is not None:
    out = combine(out, _util.full_like(out, initial))
  out = _keepdims(out, axes, keepdims)
  return _util.convert(out, result_dtype, False, name)


def _max_min_identity(name, dtype):
  if avals_lib.is_bool(dtype):
    return name in ("min", "amin")
  if avals_lib.is_integer(dtype):
    info = np.iinfo(dtype)
    return info.min if name in ("max", "amax") else info.max
  return -np.inf if name in ("max", "amax") else np.inf


def _sum_dtypes(name, a, dtype, promote_integers):
  if dtype is not None:
    result = _util.canonical_dtype(name, dtype)
  elif promote_integers:
    result = _promote_integer_dtype(a.aval.dtype)
  else:
    result = a.aval.dtype
  return result, _upcast_f16(result)


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
        where=None, promote_integers=True):  # noqa: A001
  """Sum of `a` over `axis` (None: all axes; an int or a tuple).

  Args:
    dtype: the result dtype; by default bools and integers narrower than
      the default int sum in the default int (JAX's `promote_integers`).
    keepdims: keep the reduced axes with size 1.
    initial: a value added to the sum.
    where: a bool mask broadcast to `a`; masked entries count as 0.
  """
  a = _operand("sum", a, out)
  result, compute = _sum_dtypes("sum", a, dtype, promote_integers)
  if avals_lib.is_bool(compute):
    compute = avals_lib.default_int_dtype()
  return _reduce("sum", a, axis, dtype, keepdims, where, initial,
                 reducer=lax.reduce_sum, combine=lax.add, identity=0,
                 result_dtype=result, compute_dtype=compute)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
         where=None, promote_integers=True):
  """Product of `a` over `axis`; masked entries count as 1 (see `sum`)."""
  a = _operand("prod", a, out)
  result, compute = _sum_dtypes("prod", a, dtype, promote_integers)
  if avals_lib.is_bool(compute):
    compute = avals_lib.default_int_dtype()
  return _reduce("prod", a, axis, dtype, keepdims, where, initial,
                 reducer=lax.reduce_prod, combine=lax.mul, identity=1,
                 result_dtype=result, compute_dtype=compute)


def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):  # noqa: A001
  """Maximum of `a` over `axis`; NaNs propagate. An empty reduction or a
  where= mask needs `initial`."""
  a = _operand("max", a, out)
  return _reduce("max", a, axis, None, keepdims, where, initial,
                 reducer=lax.reduce_max, combine=lax.max, identity=None,
                 result_dtype=a.aval.dtype, compute_dtype=a.aval.dtype)


def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):  # noqa: A001
  """Minimum of `a` over `axis`; NaNs propagate (see `max`)."""
  a = _operand("min", a, out)
  return _reduce("min", a, axis, None, keepdims, where, initial,
                 reducer=lax.reduce_min, combine=lax.min, identity=None,
                 result_dtype=a.aval.dtype, compute_dtype=a.aval.dtype)


amax = max
amin = min


def _truth(name, a):
  if avals_lib.is_bool(a.aval.dtype):
    return a
  return lax.ne(a, _util.full_like(a, 0))


def all(a, axis=None, out=None, keepdims=False, *, where=None):  # noqa: A001
  """Whether every entry of `a` over `axis` is true (nonzero)."""
  a = _truth("all", _operand("all", a, out))
  return _reduce("all", a, axis, None, keepdims, where, None,
                 reducer=lax.reduce_and, combine=lax.bitwise_and, identity=True,
                 result_dtype=avals_lib.bool_, compute_dtype=avals_lib.bool_)


def any(a, axis=None, out=None, keepdims=False, *, where=None):  # noqa: A001
  """Whether some entry of `a` over `axis` is true (nonzero)."""
  a = _truth("any", _operand("any", a, out))
  return _reduce("any", a, axis, None, keepdims, where, None,
                 reducer=lax.reduce_or, combine=lax.bitwise_or, identity=False,
                 result_dtype=avals_lib.bool_, compute_dtype=avals_lib.bool_)


def _count(name, a, axes, keepdims, where, dtype):
  """How many entries each mean averages (an array when masked)."""
  if where is None:
    n = 1
    for i in axes:
      n *= a.aval.shape[i]
    return n
  ones = _util.full(a.aval.shape, 1, dtype)
  return sum(ones, axis=axes, dtype=dtype, keepdims=keepdims, where=where)


def _divide(total, count):
  if isinstance(count, int):
    count = _util.full_like(total, count)
  return lax.div(total, count)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
  """Arithmetic mean over `axis`; integers average as floats."""
  a = _operand("mean", a, out)
  if dtype is None:
    result = _util.default_inexact(a.aval.dtype)
  else:
    result = _util.canonical_dtype("mean", dtype)
  compute = _upcast_f16(_util.default_inexact(result))
  axes = _util.canonicalize_axes("mean", axis, a.aval.ndim)
  total = sum(a, axes, dtype=compute, keepdims=keepdims, where=where)
  count = _count("mean", a, axes, keepdims, where, compute)
  return _util.convert(_divide(total, count), result, False, "mean")


def _real_dtype(dtype):
  return np.dtype(np.finfo(dtype).dtype) if avals_lib.is_complex(dtype) else dtype


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *,
        where=None, correction=None):
  """Variance over `axis`: mean(|a - mean(a)|**2) * n / (n - ddof).

  `correction` is the array-API name of `ddof`.
  """
  a = _operand("var", a, out)
  if correction is not None:
    if ddof != 0:
      raise ValueError("var: pass ddof or correction, not both")
    ddof = correction
  if dtype is None:
    result = _real_dtype(_util.default_inexact(a.aval.dtype))
  else:
    result = _util.canonical_dtype("var", dtype)
  compute = _upcast_f16(_util.default_inexact(a.aval.dtype))
  axes = _util.canonicalize_axes("var", axis, a.aval.ndim)
  x = _util.convert(a, compute, False, "var")
  x_mean = mean(x, axes, keepdims=True, where=where)
  centered = lax.sub(x, _util.broadcast_to_shape(x_mean, x.aval.shape))
  if avals_lib.is_complex(compute):
    squares = lax.real(lax.mul(centered, lax.conj(centered)))
  else:
    squares = lax.mul(centered, centered)
  total = sum(squares, axes, keepdims=keepdims, where=where)
  count = _count("var", a, axes, keepdims, where, total.aval.dtype)
  if isinstance(count, int):
    count = builtins.max(count - ddof, 0)
  else:
    count = lax.sub(count, _util.full_like(count, ddof))
  return _util.convert(_divide(total, count), result, False, "var")


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *,
        where=None, correction=None):
  """Standard deviation over `axis`: sqrt(var(...)) (see `var`)."""
  a = _operand("std", a, out)
  v = var(a, axis, dtype=None, ddof=ddof, keepdims=keepdims, where=where,
          correction=correction)
  out = lax.sqrt(v)
  if dtype is not None:
    out = _util.convert(out, _util.canonical_dtype("std", dtype), False, "std")
  return out


def _arg_reduction(name, lax_fn, a, axis, out, keepdims):
  a = _operand(name, a, out)
  if avals_lib.is_complex(a.aval.dtype):
    raise TypeError(f"{name} does not accept complex arguments yet")
  ndim = a.aval.ndim
  if axis is None:
    if a.aval.size == 0:
      raise ValueError(ARG_EMPTY_MESSAGE.format(name=name, shape=a.aval.shape))
    flat = lax.reshape(a, (a.aval.size,))
    result = lax_fn(flat, 0, avals_lib.default_int_dtype())
    if keepdims:
      result = lax.reshape(result, (1,) * ndim)
    return result
  axis = _util.canonicalize_axis(name, axis, ndim)
  if a.aval.shape[axis] == 0:
    raise ValueError(ARG_EMPTY_MESSAGE.format(name=name, shape=a.aval.shape))
  result = lax_fn(a, axis, avals_lib.default_int_dtype())
  return lax.expand_dims(result, (axis,)) if keepdims else result


def argmax(a, axis=None, out=None, keepdims=None):
  """Index of the maximum along `axis` (of the flattened array if None);
  the first one on ties, and the first NaN if there is one."""
  return _arg_reduction("argmax", lax.argmax, a, axis, out, keepdims)


def argmin(a, axis=None, out=None, keepdims=None):
  """Index of the minimum along `axis` (of the flattened array if None)."""
  return _arg_reduction("argmin", lax.argmin, a, axis, out, keepdims)
