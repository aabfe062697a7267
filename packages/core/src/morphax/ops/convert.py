"""Dtype and selection primitives: convert_element_type, bitcast_convert_type,
reduce_precision, select_n and clamp.
"""

import operator
import warnings

import numpy as np
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core.avals import ShapedArray
from ..core.primitive import define_primitive
from ..interpreters.lowering import comparison_type, constant, tensor_type
from ._factories import (BOOL, FLOAT, INT, aval_of, check_dtype,
                         is_python_scalar, match_scalars)

__all__ = ["convert_element_type", "_convert_element_type",
           "bitcast_convert_type", "reduce_precision", "select_n", "clamp"]


def _real_dtype(dtype):
  return avals_lib.float64 if dtype == avals_lib.complex128 else avals_lib.float32


# --- convert_element_type ----------------------------------------------------

COMPLEX_TO_REAL_MESSAGE = (
    "convert_element_type: casting complex values to a real dtype discards "
    "the imaginary part; take lax.real(x) first to make that explicit.")


def convert_element_type(operand, new_dtype):
  """Elementwise cast of `operand` to `new_dtype`, like a C++ static_cast.

  Float to integer truncates toward zero; anything to bool is `x != 0`;
  complex to a real type keeps the real part (with a ComplexWarning; so
  complex to bool is `real(x) != 0`, as in JAX). 64-bit dtypes become 32-bit
  unless x64 is enabled. The result is strongly typed; an array that
  already has that dtype (and no weak type) is returned unchanged.

  Args:
    operand: an array or scalar.
    new_dtype: a dtype-like (np.float32, "int8", float, ...).

  Returns:
    An array of `operand`'s shape and dtype `new_dtype`.

  Example: `convert_element_type(x_f32, np.int32)` turns [-1.5, 2.7] into
  [-1, 2]. Lowers to stablehlo.convert (stablehlo.compare NE for bool).
  """
  return _convert_element_type(operand, new_dtype, weak_type=False)


def _convert_element_type(operand, new_dtype=None, weak_type=False):
  """convert_element_type that can also set the weak type (morphax.numpy
  uses it to promote while keeping a Python scalar weak). `new_dtype=None`
  keeps the dtype and changes only the weak type."""
  old_dtype, old_weak = avals_lib.dtype_and_weak_type(operand)
  new_dtype = old_dtype if new_dtype is None else avals_lib.canonicalize_dtype(new_dtype)
  weak_type = bool(weak_type) and new_dtype != avals_lib.bool_
  if avals_lib.is_complex(old_dtype) and not avals_lib.is_complex(new_dtype):
    warnings.warn(COMPLEX_TO_REAL_MESSAGE, np.exceptions.ComplexWarning,
                  stacklevel=3)
  # A Python int may not fit the default int dtype yet fit the target
  # (convert_element_type(2**40, np.float32)): cast it on the host first.
  if type(operand) is int:
    operand = np.asarray(operand).astype(new_dtype)
    old_weak = False
  if (old_dtype, old_weak) == (new_dtype, weak_type) and hasattr(operand, "aval"):
    return operand
  return convert_element_type_p.bind(operand, new_dtype=new_dtype,
                                     weak_type=weak_type)


def _convert_element_type_abstract_eval(operand, *, new_dtype, weak_type):
  return ShapedArray(operand.shape, new_dtype, weak_type)


def _convert_element_type_lower(ctx, operand, *, new_dtype, weak_type):
  in_dtype = ctx.avals_in[0].dtype
  shape = ctx.avals_in[0].shape
  if avals_lib.is_complex(in_dtype) and not avals_lib.is_complex(new_dtype):
    operand = hlo.real(operand)
    in_dtype = _real_dtype(in_dtype)
  if in_dtype == new_dtype:
    return operand
  if new_dtype == avals_lib.bool_:
    # stablehlo.convert to i1 is not `x != 0` for every backend; compare.
    zero = constant(0, in_dtype, shape)
    return hlo.compare(
        operand, zero, hlo.ComparisonDirectionAttr.get("NE"),
        compare_type=hlo.ComparisonTypeAttr.get(comparison_type(in_dtype)))
  return hlo.convert(tensor_type(ctx.avals_out[0]), operand)


convert_element_type_p = define_primitive(
    "convert_element_type", abstract_eval=_convert_element_type_abstract_eval,
    lower=_convert_element_type_lower)


# --- bitcast_convert_type ----------------------------------------------------

BITCAST_BOOL_COMPLEX_MESSAGE = (
    "bitcast_convert_type: bool and complex operands can only be bitcast to "
    "their own dtype, got {old} -> {new}. Bitcast the real and imaginary "
    "parts (lax.real/lax.imag) or a converted integer array instead.")

BITCAST_WIDER_MESSAGE = (
    "bitcast_convert_type: converting {old} ({old_bits} bits) to {new} "
    "({new_bits} bits) needs a trailing dimension of size {ratio}, got an "
    "operand of shape {shape}. Reshape it so its last axis groups {ratio} "
    "elements, e.g. x.reshape(-1, {ratio}).")


def bitcast_convert_type(operand, new_dtype):
  """Reinterprets the bits of `operand` as `new_dtype`.

  With equal widths the shape is unchanged; a narrower `new_dtype` adds a
  trailing axis of size old_bits // new_bits; a wider one removes a trailing
  axis that must have size new_bits // old_bits.

  Example: `bitcast_convert_type(x_f32, np.uint32)` gives the IEEE bits of
  x. Lowers to stablehlo.bitcast_convert.
  """
  new_dtype = avals_lib.canonicalize_dtype(new_dtype)
  return bitcast_convert_type_p.bind(operand, new_dtype=new_dtype)


def _bitcast_convert_type_abstract_eval(operand, *, new_dtype):
  old_dtype = operand.dtype
  special = (avals_lib.bool_, avals_lib.complex64, avals_lib.complex128)
  if old_dtype != new_dtype and (old_dtype in special or new_dtype in special):
    raise TypeError(BITCAST_BOOL_COMPLEX_MESSAGE.format(
        old=old_dtype.name, new=new_dtype.name))
  old_bits, new_bits = 8 * old_dtype.itemsize, 8 * new_dtype.itemsize
  if old_bits == new_bits:
    shape = operand.shape
  elif old_bits > new_bits:
    shape = operand.shape + (old_bits // new_bits,)
  else:
    ratio = new_bits // old_bits
    if not operand.shape or operand.shape[-1] != ratio:
      raise ValueError(BITCAST_WIDER_MESSAGE.format(
          old=old_dtype.name, new=new_dtype.name, old_bits=old_bits,
          new_bits=new_bits, ratio=ratio, shape=operand.shape))
    shape = operand.shape[:-1]
  return ShapedArray(shape, new_dtype, False)


def _bitcast_convert_type_lower(ctx, operand, *, new_dtype):
  return hlo.bitcast_convert(tensor_type(ctx.avals_out[0]), operand)


bitcast_convert_type_p = define_primitive(
    "bitcast_convert_type", abstract_eval=_bitcast_convert_type_abstract_eval,
    lower=_bitcast_convert_type_lower)


# --- reduce_precision --------------------------------------------------------

def reduce_precision(operand, exponent_bits, mantissa_bits):
  """Rounds `operand` to the nearest value of a float format with
  `exponent_bits` and `mantissa_bits`, keeping its dtype (values too large
  become inf). reduce_precision(x, 8, 7) rounds to bfloat16 precision,
  reduce_precision(x, 5, 10) to float16. Lowers to stablehlo.reduce_precision.
  """
  exponent_bits = _bit_count("exponent_bits", exponent_bits)
  mantissa_bits = _bit_count("mantissa_bits", mantissa_bits)
  if exponent_bits < 1:
    raise ValueError(
        f"reduce_precision: exponent_bits must be at least 1, got {exponent_bits}")
  if mantissa_bits < 0:
    raise ValueError(
        f"reduce_precision: mantissa_bits must be non-negative, got {mantissa_bits}")
  return reduce_precision_p.bind(operand, exponent_bits=exponent_bits,
                                 mantissa_bits=mantissa_bits)


def _bit_count(name, value):
  try:
    return operator.index(value)
  except TypeError:
    raise TypeError(f"reduce_precision: {name} must be an integer, got "
                    f"{type(value).__name__} {value!r}") from None


def _reduce_precision_abstract_eval(operand, *, exponent_bits, mantissa_bits):
  check_dtype("reduce_precision", operand.dtype, FLOAT)
  return operand


def _reduce_precision_lower(ctx, operand, *, exponent_bits, mantissa_bits):
  return hlo.reduce_precision(operand, exponent_bits, mantissa_bits)


reduce_precision_p = define_primitive(
    "reduce_precision", abstract_eval=_reduce_precision_abstract_eval,
    lower=_reduce_precision_lower)


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


select_n_p = define_primitive("select_n", abstract_eval=_select_n_abstract_eval,
                              lower=_select_n_lower)


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


clamp_p = define_primitive("clamp", abstract_eval=_clamp_abstract_eval,
                           lower=_clamp_lower)
