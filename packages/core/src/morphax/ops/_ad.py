"""Helpers for writing JVP and transpose rules that every op family may
use (they need no other op module, so shape.py and convert.py can too).
"""

from ..core.ad_util import Zero, add_tangents, is_undefined_primal
from ..core.primitive import NOT_DIFFERENTIABLE
from ._checks import aval_of


def defjvp(prim, *jvp_fns, uses_ans=False):
  """Sets `prim.jvp` from one function per operand.

  `fn(t, *primals, **params)` (or `fn(t, ans, *primals, **params)` with
  `uses_ans`) is the tangent contribution of operand i along `t`; None marks
  an operand that is not differentiable. Symbolic-zero tangents are skipped
  and contributions summed.
  """
  def rule(primals, tangents, **params):
    ans = prim.bind(*primals, **params)
    out = None
    for fn, t in zip(jvp_fns, tangents):
      if fn is None or type(t) is Zero:
        continue
      c = fn(t, ans, *primals, **params) if uses_ans else fn(t, *primals, **params)
      out = c if out is None else add_tangents(out, c)
    return ans, (Zero(aval_of(ans)) if out is None else out)
  prim.jvp = rule
  return rule


def defjvp_zero(prim):
  """A primitive whose outputs do not vary with its inputs (comparisons,
  rounding, integer ops): its tangent is a symbolic zero."""
  def rule(primals, tangents, **params):
    ans = prim.bind(*primals, **params)
    if prim.multiple_results:
      return ans, [Zero(aval_of(a)) for a in ans]
    return ans, Zero(aval_of(ans))
  prim.jvp = rule
  prim.transpose = NOT_DIFFERENTIABLE
  return rule


def deflinear(prim, transpose, instantiate=None):
  """A primitive linear in all its operands: the JVP applies it to the
  tangents and `transpose(ct, *args, **params)` maps a cotangent back.
  Several operands need `instantiate` to make zero tangents real."""
  def rule(primals, tangents, **params):
    ans = prim.bind(*primals, **params)
    if all(type(t) is Zero for t in tangents):
      return ans, Zero(aval_of(ans))
    if any(type(t) is Zero for t in tangents):
      tangents = [instantiate(t) for t in tangents]
    return ans, prim.bind(*tangents, **params)
  prim.jvp = rule
  prim.transpose = transpose
  return rule


def linear_ct(ct, x):
  """`ct` if `x` is a linear operand (UndefinedPrimal), else None."""
  return ct if is_undefined_primal(x) else None
