"""Selection primitives: select_n (choose among cases elementwise) and
clamp.
"""

import numpy as np
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core.ad_util import Zero, add_tangents, is_undefined_primal
from ..core.avals import ShapedArray
from ..core.primitive import NOT_LINEAR, define_primitive
from ..interpreters.lowering import compare, constant
from . import shape
from ._checks import (BOOL, FLOAT, INT, aval_of, check_dtype, is_python_scalar,
                      match_scalars)
from ._factories import batch_size, bdim_at_front, instantiate, not_mapped
from .bits import bitwise_and, gt, lt

__all__ = ["select_n", "clamp"]


# --- select_n ----------------------------------------------------------------

SELECT_N_WHICH_DTYPE_MESSAGE = (
    "select_n: `which` must be bool or int32, got {dtype}. Compare to get a "
    "bool (select_n(x > 0, a, b)) or convert it with "
    "lax.convert_element_type(which, np.int32).")

SELECT_N_BOOL_CASES_MESSAGE = (
    "select_n: a bool `which` selects between 2 cases, got {n}. Use an int32 "
    "`which` to pick among more cases.")

SELECT_N_WHICH_SHAPE_MESSAGE = (
    "select_n: `which` must be a scalar or have the cases' shape {case}, got "
    "shape {which}.")


def select_n(which, *cases):
  """Elementwise selection: out[i] = cases[which[i]][i].

  Args:
    which: a bool array (two cases: False picks cases[0], True cases[1]) or
      an int32 array with values in [0, len(cases)); a scalar selects whole
      cases. Out-of-range values give an unspecified case.
    *cases: arrays of one shape and dtype.

  Example: `select_n(x > 0, zeros, x)` is relu. Lowers to a tree of
  stablehlo.select.
  """
  if not cases:
    raise ValueError("select_n: at least one case is required, got none")
  cases = match_scalars("select_n", list(cases))
  return select_n_p.bind(which, *cases)


def _select_n_abstract_eval(which, *cases):
  if which.dtype != avals_lib.bool_ and which.dtype != avals_lib.int32:
    raise TypeError(SELECT_N_WHICH_DTYPE_MESSAGE.format(dtype=which.dtype.name))
  if which.dtype == avals_lib.bool_ and len(cases) > 2:
    raise TypeError(SELECT_N_BOOL_CASES_MESSAGE.format(n=len(cases)))
  shapes = [c.shape for c in cases]
  if any(s != shapes[0] for s in shapes[1:]):
    raise TypeError(
        f"select_n: cases must have the same shape, got "
        f"{', '.join(map(str, shapes))}")
  dtypes = [c.dtype for c in cases]
  if any(d != dtypes[0] for d in dtypes[1:]):
    raise TypeError(
        f"select_n: cases must have the same dtype, got "
        f"{', '.join(d.name for d in dtypes)}")
  if which.shape and which.shape != shapes[0]:
    raise TypeError(SELECT_N_WHICH_SHAPE_MESSAGE.format(
        which=which.shape, case=shapes[0]))
  return ShapedArray(shapes[0], dtypes[0], all(c.weak_type for c in cases))


def _select_n_lower(ctx, which, *cases):
  which_aval = ctx.avals_in[0]
  if which_aval.dtype == avals_lib.bool_:
    return cases[0] if len(cases) == 1 else hlo.select(which, cases[1], cases[0])

  def pick(offset, cases):
    # Binary search on `which`: cases[:mid] where which < offset + mid.
    if len(cases) == 1:
      return cases[0]
    mid = len(cases) // 2
    bound = constant(offset + mid, avals_lib.int32, which_aval.shape)
    lower_half = hlo.compare(which, bound, hlo.ComparisonDirectionAttr.get("LT"),
                             compare_type=hlo.ComparisonTypeAttr.get("SIGNED"))
    return hlo.select(lower_half, pick(offset, cases[:mid]),
                      pick(offset + mid, cases[mid:]))
  return pick(0, list(cases))


def _select_n_jvp(primals, tangents):
  which, *cases = primals
  ans = select_n_p.bind(which, *cases)
  case_tangents = tangents[1:]
  if all(type(t) is Zero for t in case_tangents):
    return ans, Zero(aval_of(ans))
  return ans, select_n_p.bind(which, *map(instantiate, case_tangents))


def _select_n_transpose(ct, which, *cases):
  # Linear in the cases (each gets ct where it was picked), not in `which`.
  assert not is_undefined_primal(which), "select_n is not linear in `which`"
  zeros = shape.full_like(ct, 0)
  return [None] + [
      select_n_p.bind(which, *[ct if j == i else zeros for j in range(len(cases))])
      if is_undefined_primal(case) else None
      for i, case in enumerate(cases)]


def _select_n_batch(vals, dims):
  which, *cases = vals
  which_dim, *case_dims = dims
  which_aval, case_aval = aval_of(which), aval_of(cases[0])
  if (all(d == which_dim for d in case_dims)
      and which_aval.ndim == case_aval.ndim):
    return select_n_p.bind(which, *cases), which_dim
  size = batch_size(vals, dims)
  cases = [bdim_at_front(c, d, size) for c, d in zip(cases, case_dims)]
  out_shape = aval_of(cases[0]).shape
  if which_dim is not_mapped and which_aval.ndim == 0:
    pass  # a scalar `which` picks whole cases of any shape
  elif which_dim is not_mapped:
    which = bdim_at_front(which, which_dim, size)
  else:
    which = bdim_at_front(which, which_dim, size)
    if aval_of(which).ndim == 1 and len(out_shape) > 1:
      # One scalar `which` per example: broadcast it over the example.
      which = shape.broadcast_in_dim(which, out_shape, (0,))
  return select_n_p.bind(which, *cases), 0


select_n_p = define_primitive("select_n", abstract_eval=_select_n_abstract_eval,
                              lower=_select_n_lower, jvp=_select_n_jvp,
                              transpose=_select_n_transpose, batch=_select_n_batch)


# --- clamp -------------------------------------------------------------------

CLAMP_SHAPE_MESSAGE = (
    "clamp: {name} must be a scalar or have the operand's shape {shape}, got "
    "shape {bound_shape}. Broadcast it first (e.g. with "
    "lax.broadcast_in_dim) or use morphax.numpy.clip, which broadcasts.")


def clamp(min, x, max):
  """Elementwise min(max(x, min), max).

  Args:
    min: lower bound, a scalar or an array of x's shape.
    x: the operand.
    max: upper bound, a scalar or an array of x's shape.

  Python scalar bounds take x's dtype, so `clamp(0., x_bf16, 1.)` works.
  Example: `clamp(0., x, 6.)` is relu6. Lowers to stablehlo.clamp.
  """
  args = [min, x, max]
  arrays = [a for a in args if not is_python_scalar(a)]
  if arrays and len(arrays) < 3:
    dtype = aval_of(x if not is_python_scalar(x) else arrays[0]).dtype
    args = [_scalar_as(a, dtype) if is_python_scalar(a) else a for a in args]
  return clamp_p.bind(*args)


def _scalar_as(x, dtype):
  """A Python scalar as a 0-d array of `dtype` (it stays a scalar bound)."""
  return match_scalars("clamp", [x, np.zeros((), dtype)])[0]


def _clamp_abstract_eval(min, x, max):
  for name, a in (("min", min), ("max", max)):
    if a.shape and a.shape != x.shape:
      raise TypeError(CLAMP_SHAPE_MESSAGE.format(
          name=name, shape=x.shape, bound_shape=a.shape))
  if not min.dtype == x.dtype == max.dtype:
    raise TypeError(
        f"clamp: min, x and max must have the same dtype, got {min.dtype.name}, "
        f"{x.dtype.name} and {max.dtype.name}")
  check_dtype("clamp", x.dtype, (BOOL, INT, FLOAT))
  weak = min.weak_type and x.weak_type and max.weak_type
  return ShapedArray(x.shape, x.dtype, weak)


def _clamp_lower(ctx, min, x, max):
  return hlo.clamp(min, x, max)


def _clamp_jvp(primals, tangents):
  # Like JAX: the operand's tangent passes where min < x < max; a bound's
  # tangent passes where that bound is the result.
  lo, x, hi = primals
  t_lo, t_x, t_hi = tangents
  ans = clamp_p.bind(lo, x, hi)
  x_aval = aval_of(x)
  if all(type(t) is Zero for t in tangents):
    return ans, Zero(x_aval)

  def full(v):  # a scalar bound (or its tangent) at x's shape
    return shape.broadcast_in_dim(v, x_aval.shape, ()) if aval_of(v).ndim < x_aval.ndim else v
  lo_full, hi_full = full(lo), full(hi)
  zeros = shape.full_like(x, 0)
  out = []
  if type(t_lo) is not Zero:
    picked = bitwise_and(gt(lo_full, x), lt(lo_full, hi_full))
    out.append(select_n_p.bind(picked, zeros, full(t_lo)))
  if type(t_x) is not Zero:
    picked = bitwise_and(gt(x, lo_full), lt(x, hi_full))
    out.append(select_n_p.bind(picked, zeros, t_x))
  if type(t_hi) is not Zero:
    out.append(select_n_p.bind(lt(hi_full, x), zeros, full(t_hi)))
  total = out[0]
  for t in out[1:]:
    total = add_tangents(total, t)
  return ans, total


def _clamp_batch(vals, dims):
  lo, x, hi = vals
  lo_dim, x_dim, hi_dim = dims
  if (lo_dim == x_dim == hi_dim
      and aval_of(lo).ndim == aval_of(x).ndim == aval_of(hi).ndim):
    return clamp_p.bind(lo, x, hi), x_dim
  size = batch_size(vals, dims)
  x = bdim_at_front(x, x_dim, size)
  x_shape = aval_of(x).shape

  def bound(b, d):
    if d is not_mapped and aval_of(b).ndim == 0:
      return b  # a scalar bound applies to every example
    b = bdim_at_front(b, d, size)
    if aval_of(b).ndim == 1 and len(x_shape) > 1:
      b = shape.broadcast_in_dim(b, x_shape, (0,))  # one scalar per example
    return b
  return clamp_p.bind(bound(lo, lo_dim), x, bound(hi, hi_dim)), 0


clamp_p = define_primitive("clamp", abstract_eval=_clamp_abstract_eval,
                           lower=_clamp_lower, jvp=_clamp_jvp,
                           transpose=NOT_LINEAR, batch=_clamp_batch)
