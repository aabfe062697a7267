"""Shared helpers of morphax.scipy.special's modules: promotion of the
arguments to one inexact dtype, and the safe-branch `where`."""

from .. import numpy as jnp
from ..numpy import _util


def _inexact(name, *args):
  """`args` promoted to one inexact dtype and broadcast, as arrays (never
  host values, so that Python operators work on them under any trace)."""
  _util.check_arraylike(name, *args)
  dtype, weak = _util.result_type(*args)
  dtype = _util.default_inexact(dtype)
  arrays = [_util.convert(a, dtype, weak, name) for a in args]
  return _util.promote_shapes(name, *arrays) if len(arrays) > 1 else arrays


def _safe(cond, x, value):
  """x where `cond` holds, else `value`: the input of a branch that `where`
  discards, so that its NaN/inf derivative never reaches the result."""
  return jnp.where(cond, x, value)
