"""Dtype primitives: convert_element_type, bitcast_convert_type and
reduce_precision.
"""

import operator
import warnings

import numpy as np
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core.avals import ShapedArray
from ..core.ad_util import Zero
from ..core.primitive import REGISTRY, define_primitive
from ._ad import deflinear, defjvp_zero
from ..interpreters.lowering import comparison_type, constant, tensor_type
from ._checks import (BOOL, FLOAT, INT, aval_of, check_dtype,
                         is_python_scalar, match_scalars)

__all__ = ["convert_element_type", "_convert_element_type",
           "bitcast_convert_type", "reduce_precision"]


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
  if ((old_dtype, old_weak) == (new_dtype, weak_type) and hasattr(operand, "aval")
      and type(operand) is not avals_lib.HostValue):
    return operand  # already an array (or tracer) of that type
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


def _convert_element_type_jvp(primals, tangents, *, new_dtype, weak_type):
  (x,), (t,) = primals, tangents
  ans = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
  if not (avals_lib.is_inexact(new_dtype) and avals_lib.is_inexact(aval_of(x).dtype)):
    return ans, Zero(aval_of(ans))
  return ans, convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


def _convert_element_type_transpose(ct, operand, *, new_dtype, weak_type):
  aval = operand.aval
  return [convert_element_type_p.bind(ct, new_dtype=aval.dtype, weak_type=aval.weak_type)]


def _convert_element_type_batch(vals, dims, *, new_dtype, weak_type):
  return convert_element_type_p.bind(vals[0], new_dtype=new_dtype,
                                     weak_type=weak_type), dims[0]


convert_element_type_p = define_primitive(
    "convert_element_type", abstract_eval=_convert_element_type_abstract_eval,
    lower=_convert_element_type_lower, jvp=_convert_element_type_jvp,
    transpose=_convert_element_type_transpose, batch=_convert_element_type_batch)


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


def _bitcast_convert_type_batch(vals, dims, *, new_dtype):
  # Bitcasting may add or remove the trailing axis; the batch dim must not
  # be that axis, so a trailing one moves to the front first.
  (x,), (d,) = vals, dims
  ndim = aval_of(x).ndim
  if d == ndim - 1:
    # transpose_p lives in ops/shape.py, above this module: look it up.
    x = REGISTRY["transpose"].bind(x, permutation=(d,) + tuple(range(d)))
    d = 0
  return bitcast_convert_type_p.bind(x, new_dtype=new_dtype), d


bitcast_convert_type_p = define_primitive(
    "bitcast_convert_type", abstract_eval=_bitcast_convert_type_abstract_eval,
    lower=_bitcast_convert_type_lower, batch=_bitcast_convert_type_batch)
defjvp_zero(bitcast_convert_type_p)


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


def _reduce_precision_transpose(ct, operand, *, exponent_bits, mantissa_bits):
  # As in JAX: treated as linear, the rounding applied to (co)tangents too.
  return [reduce_precision_p.bind(ct, exponent_bits=exponent_bits,
                                  mantissa_bits=mantissa_bits)]


def _reduce_precision_batch(vals, dims, *, exponent_bits, mantissa_bits):
  return reduce_precision_p.bind(vals[0], exponent_bits=exponent_bits,
                                 mantissa_bits=mantissa_bits), dims[0]


reduce_precision_p = define_primitive(
    "reduce_precision", abstract_eval=_reduce_precision_abstract_eval,
    lower=_reduce_precision_lower, batch=_reduce_precision_batch)
deflinear(reduce_precision_p, _reduce_precision_transpose)
