"""Elementwise math primitives: arithmetic, powers, exp/log, trig and
hyperbolic functions, special functions, rounding, sign, abs, complex parts.
"""

from jaxlib.mlir.dialects import chlo, stablehlo as hlo

from ._factories import FLOAT, INEXACT, NUMERIC, bind_binop, binop, unop

__all__ = ["add", "sub", "mul", "sin", "exp"]


def add(x, y):
  """Elementwise x + y. Lowers to stablehlo.add."""
  return bind_binop(add_p, x, y)
add_p = binop("add", hlo.add, dtypes=NUMERIC)


def sub(x, y):
  """Elementwise x - y. Lowers to stablehlo.subtract."""
  return bind_binop(sub_p, x, y)
sub_p = binop("sub", hlo.subtract, dtypes=NUMERIC)


def mul(x, y):
  """Elementwise x * y. Lowers to stablehlo.multiply."""
  return bind_binop(mul_p, x, y)
mul_p = binop("mul", hlo.multiply, dtypes=NUMERIC)


def sin(x):
  """Elementwise sine. Lowers to stablehlo.sine."""
  return sin_p.bind(x)
sin_p = unop("sin", hlo.sine, dtypes=INEXACT)


def exp(x):
  """Elementwise e**x. Lowers to stablehlo.exponential."""
  return exp_p.bind(x)
exp_p = unop("exp", hlo.exponential, dtypes=INEXACT)
