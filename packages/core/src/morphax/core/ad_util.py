"""Symbolic zeros and add_any: the only arithmetic the autodiff
transformations perform themselves.
"""

from jaxlib.mlir.dialects import stablehlo as hlo

from .avals import ShapedArray
from .primitive import define_primitive


class Zero:
  """A tangent or cotangent known to be zero, carrying only its aval, so
  unused branches cost nothing."""
  __slots__ = ("aval",)

  def __init__(self, aval):
    self.aval = aval

  def __repr__(self):
    return f"Zero({self.aval.str_short()})"


def is_zero(x):
  return type(x) is Zero


def zero_like(x):
  """A symbolic zero with the aval of x (an Array, Tracer or aval)."""
  return Zero(getattr(x, "aval", x))


def _add_any_abstract_eval(x, y):
  if x.shape != y.shape or x.dtype != y.dtype:
    raise TypeError(f"add_any: mismatched tangents {x.str_short()} and {y.str_short()}")
  return ShapedArray(x.shape, x.dtype, x.weak_type and y.weak_type)


def _add_any_lower(ctx, x, y):
  return hlo.add(x, y)


def _add_any_jvp(primals, tangents):
  x, y = primals
  tx, ty = tangents
  return add_any_p.bind(x, y), add_tangents(tx, ty)


def _add_any_transpose(ct, x, y):
  return [ct, ct]


def add_tangents(x, y):
  """x + y for tangents/cotangents, where either may be a symbolic Zero."""
  if type(x) is Zero:
    return y
  if type(y) is Zero:
    return x
  return add_any_p.bind(x, y)


# add_any sums tangents and cotangents. Its batching rule needs moveaxis, so
# interpreters/batching.py registers it with set_rule.
add_any_p = define_primitive(
    "add_any", abstract_eval=_add_any_abstract_eval, lower=_add_any_lower,
    jvp=_add_any_jvp, transpose=_add_any_transpose)


class UndefinedPrimal:
  """A linear input of a transpose rule: only its aval is known."""
  __slots__ = ("aval",)

  def __init__(self, aval):
    self.aval = aval

  def __repr__(self):
    return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined_primal(x):
  return type(x) is UndefinedPrimal
