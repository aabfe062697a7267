"""Special-function primitives beyond elementwise.py's: polygamma (the
derivatives of digamma), with all its rules.
"""

from jaxlib.mlir.dialects import chlo

from ._checks import FLOAT
from ._factories import bind_binop, binop
from .elementwise import add, mul

__all__ = ["polygamma"]

POLYGAMMA_N_GRAD_MESSAGE = (
    "polygamma: the derivative with respect to the order m is not defined "
    "(m is an integer); differentiate with respect to x only, e.g. "
    "grad(lambda x: polygamma(m, x)).")


def polygamma(m, x):
  """Elementwise polygamma function psi^(m)(x), the m-th derivative of
  digamma (m a non-negative integer value of x's float dtype). Lowers to
  chlo.polygamma.

  Example: `polygamma(1., x)` is the trigamma function.
  """
  return bind_binop(polygamma_p, m, x)


def _polygamma_jvp_m(t, m, x):
  raise ValueError(POLYGAMMA_N_GRAD_MESSAGE)


polygamma_p = binop(
    "polygamma", chlo.polygamma, dtypes=FLOAT,
    jvp=(_polygamma_jvp_m, lambda t, m, x: mul(t, polygamma(add(m, 1), x))))
