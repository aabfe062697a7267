"""Comparisons, logical and bitwise primitives: eq/ne/lt/le/gt/ge, and/or/xor/not,
shifts, population_count and clz.
"""

from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core.primitive import define_primitive
from ..interpreters.lowering import compare
from ._checks import (ANY, BOOL, FLOAT, INT, INTEGRAL, nary_abstract_eval)
from ._ad import defjvp_zero
from ._factories import bind_binop, binop, unop, vectorized_batch

__all__ = ["eq", "ne", "lt", "le", "gt", "ge",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
           "shift_left", "shift_right_arithmetic", "shift_right_logical",
           "population_count", "clz"]


# --- Comparisons ---------------------------------------------------------------

ORDERED = (BOOL, INT, FLOAT)  # complex numbers have no order


def _comparison(name, direction, dtypes):
  """A comparison primitive: equal shapes and dtypes in, bool out; its
  tangent is zero and it batches elementwise."""
  def lower(ctx, x, y):
    return compare(x, y, direction, ctx.avals_in[0].dtype)
  abstract_eval = nary_abstract_eval(name, dtypes,
                                     result_dtype=lambda _: avals_lib.bool_)
  prim = define_primitive(name, abstract_eval=abstract_eval, lower=lower)
  prim.batch = vectorized_batch(prim)
  defjvp_zero(prim)
  return prim


def eq(x, y):
  """Elementwise x == y, a bool array. Lowers to stablehlo.compare EQ."""
  return bind_binop(eq_p, x, y)
eq_p = _comparison("eq", "EQ", ANY)


def ne(x, y):
  """Elementwise x != y, a bool array (True where either is NaN). Lowers to
  stablehlo.compare NE."""
  return bind_binop(ne_p, x, y)
ne_p = _comparison("ne", "NE", ANY)


def lt(x, y):
  """Elementwise x < y, a bool array. Lowers to stablehlo.compare LT."""
  return bind_binop(lt_p, x, y)
lt_p = _comparison("lt", "LT", ORDERED)


def le(x, y):
  """Elementwise x <= y, a bool array. Lowers to stablehlo.compare LE."""
  return bind_binop(le_p, x, y)
le_p = _comparison("le", "LE", ORDERED)


def gt(x, y):
  """Elementwise x > y, a bool array. Lowers to stablehlo.compare GT."""
  return bind_binop(gt_p, x, y)
gt_p = _comparison("gt", "GT", ORDERED)


def ge(x, y):
  """Elementwise x >= y, a bool array. Lowers to stablehlo.compare GE."""
  return bind_binop(ge_p, x, y)
ge_p = _comparison("ge", "GE", ORDERED)


# --- Logical and bitwise ops ---------------------------------------------------

def bitwise_and(x, y):
  """Elementwise x & y: logical on bool, bitwise on integers. Lowers to
  stablehlo.and."""
  return bind_binop(and_p, x, y)
and_p = binop("and", hlo.and_, dtypes=INTEGRAL)
defjvp_zero(and_p)


def bitwise_or(x, y):
  """Elementwise x | y: logical on bool, bitwise on integers. Lowers to
  stablehlo.or."""
  return bind_binop(or_p, x, y)
or_p = binop("or", hlo.or_, dtypes=INTEGRAL)
defjvp_zero(or_p)


def bitwise_xor(x, y):
  """Elementwise x ^ y: logical on bool, bitwise on integers. Lowers to
  stablehlo.xor."""
  return bind_binop(xor_p, x, y)
xor_p = binop("xor", hlo.xor, dtypes=INTEGRAL)
defjvp_zero(xor_p)


def bitwise_not(x):
  """Elementwise ~x: logical not on bool, bitwise complement on integers.
  Lowers to stablehlo.not."""
  return not_p.bind(x)
not_p = unop("not", hlo.not_, dtypes=INTEGRAL)
defjvp_zero(not_p)


# --- Shifts --------------------------------------------------------------------
# Shift amounts are read as unsigned: an amount that is negative or at least
# the bit width shifts every bit out (0 for shift_left and
# shift_right_logical; the sign fill, 0 or -1, for shift_right_arithmetic).

def shift_left(x, y):
  """Elementwise x << y for integers of one dtype; amounts outside
  [0, bits) give 0. Lowers to stablehlo.shift_left."""
  return bind_binop(shift_left_p, x, y)
shift_left_p = binop("shift_left", hlo.shift_left, dtypes=INT)
defjvp_zero(shift_left_p)


def shift_right_arithmetic(x, y):
  """Elementwise x >> y filling with the sign bit (the top bit, also for
  unsigned dtypes); amounts outside [0, bits) give all sign bits. Lowers to
  stablehlo.shift_right_arithmetic."""
  return bind_binop(shift_right_arithmetic_p, x, y)
shift_right_arithmetic_p = binop("shift_right_arithmetic",
                                 hlo.shift_right_arithmetic, dtypes=INT)
defjvp_zero(shift_right_arithmetic_p)


def shift_right_logical(x, y):
  """Elementwise x >> y filling with zeros; amounts outside [0, bits) give
  0. Lowers to stablehlo.shift_right_logical."""
  return bind_binop(shift_right_logical_p, x, y)
shift_right_logical_p = binop("shift_right_logical", hlo.shift_right_logical,
                              dtypes=INT)
defjvp_zero(shift_right_logical_p)


# --- Bit counts ----------------------------------------------------------------

def population_count(x):
  """Elementwise number of set bits of an integer array, in x's dtype.
  Lowers to stablehlo.popcnt."""
  return population_count_p.bind(x)
population_count_p = unop("population_count", hlo.popcnt, dtypes=INT)
defjvp_zero(population_count_p)


def clz(x):
  """Elementwise number of leading zero bits of an integer array, in x's
  dtype (the bit width for 0). Lowers to stablehlo.count_leading_zeros."""
  return clz_p.bind(x)
clz_p = unop("clz", hlo.count_leading_zeros, dtypes=INT)
defjvp_zero(clz_p)
