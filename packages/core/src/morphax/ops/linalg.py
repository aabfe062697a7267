"""Contractions: dot_general (with preferred_element_type) and
conv_general_dilated (strides, padding, dilations, dimension numbers, groups).
"""

import enum
import operator
from typing import NamedTuple

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core.avals import ShapedArray
from ..core.ad_util import is_undefined_primal
from ..core.primitive import define_primitive
from ..interpreters.lowering import tensor_type
from ._ad import defjvp
from ._checks import NUMERIC, aval_of, check_dtype, pads_for_padtype
from ._factories import moveaxis
from .convert import convert_element_type
from .shape import reshape, rev, transpose

__all__ = [
    "Precision", "dot_general", "dot", "ConvDimensionNumbers",
    "conv_dimension_numbers", "conv_general_dilated", "conv",
    "conv_with_general_padding", "conv_transpose",
]


# --- Precision ----------------------------------------------------------------

class Precision(enum.Enum):
  """How much precision a contraction's operands keep on accelerators
  (stablehlo's precision_config); XLA:CPU computes float32 in full.

  Also accepts the names 'default', 'high', 'highest', 'fastest',
  'bfloat16', 'tensorfloat32', 'float32', as `Precision('highest')`.
  """
  DEFAULT = 0
  HIGH = 1
  HIGHEST = 2

  @classmethod
  def _missing_(cls, value):
    return _PRECISION_NAMES.get(value.lower() if isinstance(value, str) else value)

  def __repr__(self):
    return f"Precision.{self.name}"

  def __str__(self):
    return self.name


_PRECISION_NAMES = {
    "default": Precision.DEFAULT, "fastest": Precision.DEFAULT,
    "bfloat16": Precision.DEFAULT, "high": Precision.HIGH,
    "tensorfloat32": Precision.HIGH, "highest": Precision.HIGHEST,
    "float32": Precision.HIGHEST,
}

PRECISION_MESSAGE = (
    "{name}: precision must be None, a Precision (Precision.DEFAULT, "
    "Precision.HIGH, Precision.HIGHEST), one of the strings {names}, or a "
    "pair of those for (lhs, rhs); got {precision!r}")


def _one_precision(name, p, original):
  if isinstance(p, Precision):
    return p
  if isinstance(p, str) and p.lower() in _PRECISION_NAMES:
    return _PRECISION_NAMES[p.lower()]
  raise TypeError(PRECISION_MESSAGE.format(
      name=name, names=sorted(_PRECISION_NAMES), precision=original))


def _canonicalize_precision(name, precision):
  """None, or an (lhs, rhs) pair of Precision: the hashable param form."""
  if precision is None:
    return None
  if isinstance(precision, (Precision, str)):
    p = _one_precision(name, precision, precision)
    return (p, p)
  if isinstance(precision, (tuple, list)) and len(precision) == 2:
    return tuple(_one_precision(name, p, precision) for p in precision)
  raise TypeError(PRECISION_MESSAGE.format(
      name=name, names=sorted(_PRECISION_NAMES), precision=precision))


def _precision_attr(precision):
  if precision is None:
    return None
  return ir.ArrayAttr.get([hlo.PrecisionAttr.get(p.name) for p in precision])


def _canonicalize_preferred(preferred_element_type):
  if preferred_element_type is None:
    return None
  return avals_lib.canonicalize_dtype(preferred_element_type)


def _convert(x, aval, dtype):
  if aval.dtype == dtype:
    return x
  return hlo.convert(tensor_type(aval.shape, dtype), x)


# --- dot_general --------------------------------------------------------------

DOT_DIMENSION_NUMBERS_MESSAGE = (
    "dot_general: dimension_numbers must be ((lhs_contracting, "
    "rhs_contracting), (lhs_batch, rhs_batch)), each a sequence of ints, "
    "got {dimension_numbers!r}. For a matrix product of (m, k) and (k, n) "
    "write dot_general(a, b, (((1,), (0,)), ((), ())))")

DOT_AXIS_RANGE_MESSAGE = (
    "dot_general: {side} dimension numbers must be in [0, {ndim}) for {side} "
    "of shape {shape}, got {side}_contracting {contract} and {side}_batch "
    "{batch}")

DOT_REPEATED_MESSAGE = (
    "dot_general: {side} dimension numbers must be distinct, got "
    "{side}_contracting {contract} and {side}_batch {batch} for {side} of "
    "shape {shape}")

DOT_BATCH_MESSAGE = (
    "dot_general: lhs and rhs batch dimensions must have the same sizes, got "
    "lhs_batch {lhs_batch} of lhs shape {lhs_shape} (sizes {lhs_sizes}) and "
    "rhs_batch {rhs_batch} of rhs shape {rhs_shape} (sizes {rhs_sizes})")

DOT_CONTRACT_MESSAGE = (
    "dot_general: lhs and rhs contracting dimensions must have the same "
    "sizes, got lhs_contracting {lhs_contract} of lhs shape {lhs_shape} "
    "(sizes {lhs_sizes}) and rhs_contracting {rhs_contract} of rhs shape "
    "{rhs_shape} (sizes {rhs_sizes})")

PREFERRED_NARROW_MESSAGE = (
    "{name}: preferred_element_type {preferred} must not be narrower than "
    "the operands' type {dtype}")


def dot_general(lhs, rhs, dimension_numbers, precision=None,
                preferred_element_type=None):
  """General tensor contraction.

  The output's dimensions are the batch dimensions (in lhs_batch order),
  then lhs's free dimensions, then rhs's free dimensions, each in order.
  Operands may have different dtypes, as in JAX: both take XLA's "higher
  precision type" of the two (complex over real, then exponent range,
  mantissa, width, signed over unsigned): bf16 with f32 gives f32, int8
  with int16 gives int16, and int8 with uint8 gives int8.

  Args:
    lhs, rhs: arrays.
    dimension_numbers: ((lhs_contracting, rhs_contracting),
      (lhs_batch, rhs_batch)), sequences of non-negative axes.
    precision: None, a Precision, or an (lhs, rhs) pair of them.
    preferred_element_type: the result (and accumulation) dtype, e.g.
      int32 for int8 operands or float32 for bfloat16 operands.

  Returns:
    The contraction. For example
    `dot_general(x, y, (((2,), (1,)), ((0,), (0,))))` is a batched matmul
    of x: (b, m, k) and y: (b, k, n), giving (b, m, n).

  Lowers to stablehlo.dot_general.
  """
  try:
    (lc, rc), (lb, rb) = dimension_numbers
    dims = ((_int_tuple(lc), _int_tuple(rc)), (_int_tuple(lb), _int_tuple(rb)))
  except (TypeError, ValueError):
    raise TypeError(DOT_DIMENSION_NUMBERS_MESSAGE.format(
        dimension_numbers=dimension_numbers)) from None
  return dot_general_p.bind(
      lhs, rhs, dimension_numbers=dims,
      precision=_canonicalize_precision("dot_general", precision),
      preferred_element_type=_canonicalize_preferred(preferred_element_type))


def _int_tuple(xs):
  out = []
  for x in xs:
    if isinstance(x, (bool, np.bool_)):
      raise TypeError(f"expected an int, got {x!r}")
    out.append(operator.index(x))
  return tuple(out)


def _dot_type_rank(dtype):
  """Orders dtypes the way XLA picks the 'higher precision type' of two:
  complex over real, then exponent range, mantissa, width, signedness."""
  real = np.dtype(f"f{dtype.itemsize // 2}") if avals_lib.is_complex(dtype) else dtype
  if avals_lib.is_float(real):
    info = avals_lib.finfo(real)
    exp_range, mantissa = info.maxexp, info.nmant
  else:
    exp_range = mantissa = -1
  bits = 1 if real == avals_lib.bool_ else 8 * real.itemsize
  return (avals_lib.is_complex(dtype), exp_range, mantissa, bits,
          not avals_lib.is_unsigned(real))


def _dot_result_dtype(name, lhs_dtype, rhs_dtype, preferred):
  # Every supported dtype has its own rank, so the larger rank is the type.
  dtype = max(lhs_dtype, rhs_dtype, key=_dot_type_rank)
  if preferred is None or preferred == dtype:
    return dtype
  # Integer (and complex) results may only widen; float results may change
  # to any type (bf16 x bf16 -> f32, or f32 x f32 -> bf16).
  if not avals_lib.is_float(dtype) and preferred.itemsize < dtype.itemsize:
    raise TypeError(PREFERRED_NARROW_MESSAGE.format(
        name=name, preferred=preferred.name, dtype=dtype.name))
  return preferred


def _check_dot_side(side, aval, contract, batch):
  fmt = dict(side=side, ndim=aval.ndim, shape=aval.shape, contract=contract,
             batch=batch)
  if any(not 0 <= d < aval.ndim for d in contract + batch):
    raise TypeError(DOT_AXIS_RANGE_MESSAGE.format(**fmt))
  if len(set(contract + batch)) != len(contract + batch):
    raise TypeError(DOT_REPEATED_MESSAGE.format(**fmt))


def _dot_general_abstract_eval(lhs, rhs, *, dimension_numbers, precision,
                               preferred_element_type):
  (lc, rc), (lb, rb) = dimension_numbers
  _check_dot_side("lhs", lhs, lc, lb)
  _check_dot_side("rhs", rhs, rc, rb)
  lhs_sizes = lambda dims: tuple(lhs.shape[d] for d in dims)
  rhs_sizes = lambda dims: tuple(rhs.shape[d] for d in dims)
  if lhs_sizes(lb) != rhs_sizes(rb):
    raise TypeError(DOT_BATCH_MESSAGE.format(
        lhs_batch=lb, rhs_batch=rb, lhs_shape=lhs.shape, rhs_shape=rhs.shape,
        lhs_sizes=lhs_sizes(lb), rhs_sizes=rhs_sizes(rb)))
  if lhs_sizes(lc) != rhs_sizes(rc):
    raise TypeError(DOT_CONTRACT_MESSAGE.format(
        lhs_contract=lc, rhs_contract=rc, lhs_shape=lhs.shape,
        rhs_shape=rhs.shape, lhs_sizes=lhs_sizes(lc), rhs_sizes=rhs_sizes(rc)))
  dtype = _dot_result_dtype("dot_general", lhs.dtype, rhs.dtype,
                            preferred_element_type)
  lhs_free = [d for i, d in enumerate(lhs.shape) if i not in lc + lb]
  rhs_free = [d for i, d in enumerate(rhs.shape) if i not in rc + rb]
  shape = lhs_sizes(lb) + tuple(lhs_free) + tuple(rhs_free)
  weak = lhs.weak_type and rhs.weak_type and preferred_element_type is None
  return ShapedArray(shape, dtype, weak)


def _dot_general_lower(ctx, lhs, rhs, *, dimension_numbers, precision,
                       preferred_element_type):
  lhs_aval, rhs_aval = ctx.avals_in
  aval_out, = ctx.avals_out
  lhs_dtype, rhs_dtype = lhs_aval.dtype, rhs_aval.dtype
  # Like JAX: XLA's backends do not all generate code for mixed operand
  # types, so both operands take the result type first.
  if lhs_dtype != rhs_dtype:
    lhs = _convert(lhs, lhs_aval, aval_out.dtype)
    rhs = _convert(rhs, rhs_aval, aval_out.dtype)
    lhs_dtype = rhs_dtype = aval_out.dtype
  # XLA:CPU's float16 matmul is slow; compute in float32 and round once.
  if ctx.module_context.platform == "cpu" and lhs_dtype == avals_lib.float16:
    lhs = _convert(lhs, lhs_aval.update(dtype=lhs_dtype), avals_lib.float32)
    rhs = _convert(rhs, rhs_aval.update(dtype=rhs_dtype), avals_lib.float32)
  (lc, rc), (lb, rb) = dimension_numbers
  dims = hlo.DotDimensionNumbers.get(
      lhs_batching_dimensions=list(lb), rhs_batching_dimensions=list(rb),
      lhs_contracting_dimensions=list(lc), rhs_contracting_dimensions=list(rc))
  return hlo.dot_general(tensor_type(aval_out), lhs, rhs, dims,
                         precision_config=_precision_attr(precision))


def _dot_general_jvp_lhs(t, lhs, rhs, **params):
  return dot_general_p.bind(t, rhs, **params)


def _dot_general_jvp_rhs(t, lhs, rhs, **params):
  return dot_general_p.bind(lhs, t, **params)


def _free_dims(ndim, contract, batch):
  return [d for d in range(ndim) if d not in contract + batch]


def _as_dtype(x, dtype):
  return x if aval_of(x).dtype == dtype else convert_element_type(x, dtype)


def _to_operand_order(out, out_axes, aval):
  """`out`, whose axis i is operand axis out_axes[i], permuted into the
  operand's order and converted to its dtype."""
  perm = tuple(out_axes.index(d) for d in range(len(out_axes)))
  if perm != tuple(range(len(perm))):
    out = transpose(out, perm)
  return _as_dtype(out, aval.dtype)


def _dot_general_transpose(ct, lhs, rhs, *, dimension_numbers, precision,
                           preferred_element_type):
  # ct has the output's layout: batch, lhs free, rhs free. Each operand's
  # cotangent contracts ct with the other operand over that operand's free
  # dims, then moves its axes back into the operand's order.
  (lc, rc), (lb, rb) = dimension_numbers
  lhs_aval = lhs.aval if is_undefined_primal(lhs) else aval_of(lhs)
  rhs_aval = rhs.aval if is_undefined_primal(rhs) else aval_of(rhs)
  lhs_free = _free_dims(lhs_aval.ndim, lc, lb)
  rhs_free = _free_dims(rhs_aval.ndim, rc, rb)
  nb, nlf = len(lb), len(lhs_free)
  ct_batch = tuple(range(nb))
  ct_lhs_free = tuple(range(nb, nb + nlf))
  ct_rhs_free = tuple(range(nb + nlf, nb + nlf + len(rhs_free)))
  params = dict(precision=precision, preferred_element_type=None)
  ct_lhs = ct_rhs = None
  if is_undefined_primal(lhs) and not is_undefined_primal(rhs):
    # Output: batch, lhs free, then rhs's contracting dims in rhs order.
    out = dot_general_p.bind(
        ct, rhs, dimension_numbers=((ct_rhs_free, tuple(rhs_free)),
                                    (ct_batch, rb)), **params)
    out_axes = list(lb) + lhs_free + [lc[rc.index(r)] for r in sorted(rc)]
    ct_lhs = _to_operand_order(out, out_axes, lhs_aval)
  if is_undefined_primal(rhs) and not is_undefined_primal(lhs):
    # Cotangent first (output: batch, rhs free, then lhs's contracting dims
    # in lhs order), then a transpose into rhs's order. For a weight
    # (x @ w) XLA folds that transpose into the dot by swapping operands
    # and physically transposes the small cotangent, not the activation.
    out = dot_general_p.bind(
        ct, lhs, dimension_numbers=((ct_lhs_free, tuple(lhs_free)),
                                    (ct_batch, lb)), **params)
    out_axes = list(rb) + rhs_free + [rc[lc.index(d)] for d in sorted(lc)]
    ct_rhs = _to_operand_order(out, out_axes, rhs_aval)
  return [ct_lhs, ct_rhs]


def _shift_past(dims, bdim):
  """Operand dims renumbered after inserting a batch dim at `bdim`."""
  return tuple(d + (d >= bdim) for d in dims)


def _dot_general_batch(vals, dims, *, dimension_numbers, precision,
                       preferred_element_type):
  (lhs, rhs), (ld, rd) = vals, dims
  (lc, rc), (lb, rb) = dimension_numbers
  params = dict(precision=precision, preferred_element_type=preferred_element_type)
  if ld is not None and rd is not None:
    # Both batched: the vmapped dim is one more dot_general batch dim.
    lhs, rhs = moveaxis(lhs, ld, 0), moveaxis(rhs, rd, 0)
    dnums = ((_shift_past(lc, 0), _shift_past(rc, 0)),
             ((0,) + _shift_past(lb, 0), (0,) + _shift_past(rb, 0)))
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dnums, **params), 0
  if ld is not None:
    # Only lhs batched: its batch dim is one more lhs free dim, which the
    # output keeps in order after the dot_general batch dims.
    lc, lb = _shift_past(lc, ld), _shift_past(lb, ld)
    free = _free_dims(aval_of(lhs).ndim, lc, lb)
    out = dot_general_p.bind(lhs, rhs, dimension_numbers=((lc, rc), (lb, rb)),
                             **params)
    return out, len(lb) + free.index(ld)
  rc, rb = _shift_past(rc, rd), _shift_past(rb, rd)
  free = _free_dims(aval_of(rhs).ndim, rc, rb)
  lhs_free = aval_of(lhs).ndim - len(lc) - len(lb)
  out = dot_general_p.bind(lhs, rhs, dimension_numbers=((lc, rc), (lb, rb)),
                           **params)
  return out, len(lb) + lhs_free + free.index(rd)


dot_general_p = define_primitive(
    "dot_general", abstract_eval=_dot_general_abstract_eval,
    lower=_dot_general_lower, transpose=_dot_general_transpose,
    batch=_dot_general_batch)
defjvp(dot_general_p, _dot_general_jvp_lhs, _dot_general_jvp_rhs)


DOT_SHAPES_MESSAGE = (
    "dot: incompatible shapes {lhs} and {rhs}; dot takes a vector or matrix "
    "on each side with lhs.shape[-1] == rhs.shape[0]. For other contractions "
    "use dot_general.")


def dot(lhs, rhs, precision=None, preferred_element_type=None, *,
        dimension_numbers=None):
  """Vector/matrix product: vector . vector, matrix @ vector, vector @
  matrix or matrix @ matrix, contracting lhs's last axis with rhs's first.

  Args:
    lhs, rhs: arrays of rank 1 or 2 with lhs.shape[-1] == rhs.shape[0].
    precision, preferred_element_type: as for dot_general.
    dimension_numbers: if given, `dot` is `dot_general` with these
      dimension numbers (newer jax.lax.dot accepts them too).

  Returns:
    An array of rank lhs.ndim + rhs.ndim - 2.

  Lowers to stablehlo.dot_general.
  """
  if dimension_numbers is not None:
    return dot_general(lhs, rhs, dimension_numbers, precision,
                       preferred_element_type)
  lhs_shape, rhs_shape = aval_of(lhs).shape, aval_of(rhs).shape
  if not (1 <= len(lhs_shape) <= 2 and 1 <= len(rhs_shape) <= 2
          and lhs_shape[-1] == rhs_shape[0]):
    raise TypeError(DOT_SHAPES_MESSAGE.format(lhs=lhs_shape, rhs=rhs_shape))
  return dot_general(lhs, rhs, (((len(lhs_shape) - 1,), (0,)), ((), ())),
                     precision, preferred_element_type)


# --- Convolution: dimension numbers and padding ---------------------------------

class ConvDimensionNumbers(NamedTuple):
  """Which axis plays which role in a convolution.

  lhs_spec: (batch, feature, *spatial) axes of lhs.
  rhs_spec: (out feature, in feature, *spatial) axes of rhs.
  out_spec: (batch, feature, *spatial) axes of the output.
  The i-th spatial entries of the three specs pair up, and window_strides,
  padding and dilations are given in that spatial order.
  """
  lhs_spec: tuple
  rhs_spec: tuple
  out_spec: tuple


CONV_RANKS_MESSAGE = (
    "{name}: lhs and rhs must have the same rank, at least 2 (batch and "
    "feature axes), got lhs shape {lhs_shape} and rhs shape {rhs_shape}")

CONV_DNUMS_TYPE_MESSAGE = (
    "{name}: dimension_numbers must be None, a ConvDimensionNumbers, or three "
    "layout strings such as ('NHWC', 'HWIO', 'NHWC'), got {dnums!r}")

CONV_DNUMS_LENGTH_MESSAGE = (
    "{name}: dimension_numbers[{i}] = {spec!r} must have one letter per axis "
    "({ndim} for lhs shape {lhs_shape} and rhs shape {rhs_shape})")

CONV_DNUMS_LETTERS_MESSAGE = (
    "{name}: dimension_numbers {dnums!r} must hold 'N' and 'C' once in the "
    "lhs and out specs and 'O' and 'I' once in the rhs spec, plus the same "
    "distinct spatial letters in all three, e.g. ('NCHW', 'OIHW', 'NCHW')")

CONV_DNUMS_PERM_MESSAGE = (
    "{name}: ConvDimensionNumbers specs must each be a permutation of "
    "range({ndim}) for lhs shape {lhs_shape} and rhs shape {rhs_shape}, got "
    "{dnums}")

CONV_PADDING_MESSAGE = (
    "{name}: padding must be 'SAME', 'SAME_LOWER', 'VALID' or a sequence of "
    "(low, high) integer pairs, one per spatial dimension, got {padding!r}")

CONV_STRING_PADDING_DILATION_MESSAGE = (
    "{name}: string padding {padding!r} is not supported with lhs_dilation "
    "{lhs_dilation} (a transposed convolution). Give explicit (low, high) "
    "pairs, or use conv_transpose(lhs, rhs, strides, {padding!r}).")


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers):
  """Converts a convolution's dimension_numbers to a ConvDimensionNumbers.

  Args:
    lhs_shape, rhs_shape: the shapes of the input and the kernel.
    dimension_numbers: None (lhs NC..., rhs OI..., out NC..., as NCHW/OIHW/
      NCHW), a ConvDimensionNumbers (returned as is), or three layout strings
      such as ('NHWC', 'HWIO', 'NHWC'); the spatial letters of the rhs string
      fix the order of the spatial dimensions.

  Returns:
    A ConvDimensionNumbers of int tuples.
  """
  return _conv_dimension_numbers("conv_dimension_numbers", tuple(lhs_shape),
                                 tuple(rhs_shape), dimension_numbers)


def _conv_dimension_numbers(name, lhs_shape, rhs_shape, dnums):
  if isinstance(dnums, ConvDimensionNumbers):
    try:
      return ConvDimensionNumbers(*(_int_tuple(s) for s in dnums))
    except TypeError:
      raise TypeError(CONV_DNUMS_TYPE_MESSAGE.format(name=name, dnums=dnums)) from None
  if len(lhs_shape) != len(rhs_shape) or len(lhs_shape) < 2:
    raise TypeError(CONV_RANKS_MESSAGE.format(
        name=name, lhs_shape=lhs_shape, rhs_shape=rhs_shape))
  ndim = len(lhs_shape)
  if dnums is None:
    iota = tuple(range(ndim))
    return ConvDimensionNumbers(iota, iota, iota)
  if (not isinstance(dnums, (tuple, list)) or len(dnums) != 3
      or not all(isinstance(s, str) for s in dnums)):
    raise TypeError(CONV_DNUMS_TYPE_MESSAGE.format(name=name, dnums=dnums))
  for i, spec in enumerate(dnums):
    if len(spec) != ndim:
      raise TypeError(CONV_DNUMS_LENGTH_MESSAGE.format(
          name=name, i=i, spec=spec, ndim=ndim, lhs_shape=lhs_shape,
          rhs_shape=rhs_shape))
  return _conv_specs_to_axes(name, tuple(dnums))


def _conv_specs_to_axes(name, dnums):
  lhs, rhs, out = dnums
  roles = (lhs, "NC"), (rhs, "OI"), (out, "NC")
  spatial = [set(spec) - set(chars) for spec, chars in roles]
  if (any(spec.count(c) != 1 for spec, chars in roles for c in chars)
      or any(len(set(spec)) != len(spec) for spec in dnums)
      or not spatial[0] == spatial[1] == spatial[2]):
    raise TypeError(CONV_DNUMS_LETTERS_MESSAGE.format(name=name, dnums=dnums))
  rhs_spatial = [c for c in rhs if c not in "OI"]
  def axes(spec, chars):
    return ((spec.index(chars[0]), spec.index(chars[1]))
            + tuple(spec.index(c) for c in rhs_spatial))
  return ConvDimensionNumbers(axes(lhs, "NC"), axes(rhs, "OI"), axes(out, "NC"))


def _dilate(size, dilation):
  return 0 if size == 0 else 1 + dilation * (size - 1)


def _explicit_pads(name, padding):
  try:
    return tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
  except (TypeError, ValueError):
    raise ValueError(CONV_PADDING_MESSAGE.format(name=name, padding=padding)) from None


def _spatial_ints(name, what, values):
  try:
    return _int_tuple(values)
  except TypeError:
    raise TypeError(
        f"{name}: {what} must be a sequence of ints, got {values!r}") from None


# --- conv_general_dilated --------------------------------------------------------

CONV_SPATIAL_LENGTH_MESSAGE = (
    "conv_general_dilated: {what} must have one entry per spatial dimension "
    "({n} for lhs shape {lhs_shape} and rhs shape {rhs_shape}), got {value}")

CONV_POSITIVE_MESSAGE = (
    "conv_general_dilated: {what} must be positive, got {value} for lhs shape "
    "{lhs_shape} and rhs shape {rhs_shape}")

CONV_FEATURES_MESSAGE = (
    "conv_general_dilated: lhs feature size {lhs_features} (axis {lhs_axis} "
    "of lhs shape {lhs_shape}) must equal the rhs input feature size "
    "{rhs_features} (axis {rhs_axis} of rhs shape {rhs_shape}) times "
    "feature_group_count={groups}")

CONV_GROUPS_MESSAGE = (
    "conv_general_dilated: {what} size {size} (axis {axis} of {side} shape "
    "{shape}) must be a multiple of {count_name}={count}")

CONV_NEGATIVE_PADDING_MESSAGE = (
    "conv_general_dilated: padding {pads} removes more than the whole spatial "
    "dimension {i} (size {size} after lhs_dilation) of lhs shape {lhs_shape}")

CONV_DTYPES_MESSAGE = (
    "conv_general_dilated: lhs and rhs must have the same dtype, got {lhs} "
    "and {rhs}. Cast one with lax.convert_element_type.")

PREFERRED_KIND_MESSAGE = (
    "{name}: preferred_element_type {preferred} does not suit operands of "
    "type {dtype}; allowed are (integer, integer of the same signedness), "
    "(integer, floating), (floating, floating), (complex, complex), never "
    "narrower than the operands")


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None,
                         rhs_dilation=None, dimension_numbers=None,
                         feature_group_count=1, batch_group_count=1,
                         precision=None, preferred_element_type=None):
  """General n-dimensional convolution with strides, padding, dilations
  and feature/batch groups (a cross-correlation: the kernel is not flipped).

  Args:
    lhs: input, rank n + 2 (batch, feature and n spatial axes).
    rhs: kernel, rank n + 2 (out feature, in feature and n spatial axes).
    window_strides: n ints.
    padding: 'SAME', 'SAME_LOWER', 'VALID', or n (low, high) int pairs
      (negative values crop).
    lhs_dilation: n ints or None; dilating lhs gives a transposed
      convolution.
    rhs_dilation: n ints or None (atrous convolution).
    dimension_numbers: None, a ConvDimensionNumbers, or layout strings such
      as ('NHWC', 'HWIO', 'NHWC'); see conv_dimension_numbers.
    feature_group_count: splits lhs features and rhs out features into
      this many groups (depthwise convolution when it equals lhs features).
    batch_group_count: splits the lhs batch and rhs out features into
      groups (used by gradients of grouped convolutions).
    precision: None, a Precision, or an (lhs, rhs) pair of them.
    preferred_element_type: the result dtype, e.g. int32 for int8 inputs.

  Returns:
    The convolution, laid out by the output spec. For example a 3x3 'SAME'
    convolution of images (8, 32, 32, 3) with kernels (3, 3, 3, 16) under
    ('NHWC', 'HWIO', 'NHWC') gives (8, 32, 32, 16).

  Lowers to stablehlo.convolution.
  """
  name = "conv_general_dilated"
  lhs_shape, rhs_shape = aval_of(lhs).shape, aval_of(rhs).shape
  dnums = _conv_dimension_numbers(name, lhs_shape, rhs_shape, dimension_numbers)
  n = max(len(lhs_shape) - 2, 0)
  window_strides = _spatial_ints(name, "window_strides", window_strides)
  lhs_dilation = ((1,) * n if lhs_dilation is None
                  else _spatial_ints(name, "lhs_dilation", lhs_dilation))
  rhs_dilation = ((1,) * n if rhs_dilation is None
                  else _spatial_ints(name, "rhs_dilation", rhs_dilation))
  if isinstance(padding, str):
    if any(d != 1 for d in lhs_dilation):
      raise ValueError(CONV_STRING_PADDING_DILATION_MESSAGE.format(
          name=name, padding=padding, lhs_dilation=lhs_dilation))
    in_shape = [lhs_shape[d] for d in dnums.lhs_spec[2:]]
    window = [_dilate(rhs_shape[d], r)
              for d, r in zip(dnums.rhs_spec[2:], rhs_dilation)]
    padding = tuple(pads_for_padtype(name, in_shape, window, window_strides, padding))
  else:
    padding = _explicit_pads(name, padding)
  return conv_general_dilated_p.bind(
      lhs, rhs, window_strides=window_strides, padding=padding,
      lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation,
      dimension_numbers=dnums,
      feature_group_count=operator.index(feature_group_count),
      batch_group_count=operator.index(batch_group_count),
      precision=_canonicalize_precision(name, precision),
      preferred_element_type=_canonicalize_preferred(preferred_element_type))


def _check_preferred_kind(name, dtype, preferred):
  if preferred is None:
    return
  int_to_float = avals_lib.is_integer(dtype) and avals_lib.is_float(preferred)
  same_kind = (
      (avals_lib.is_integer(dtype) and avals_lib.is_integer(preferred)
       and avals_lib.is_signed(dtype) == avals_lib.is_signed(preferred))
      or (avals_lib.is_float(dtype) and avals_lib.is_float(preferred))
      or (avals_lib.is_complex(dtype) and avals_lib.is_complex(preferred)))
  if not (int_to_float or same_kind) or preferred.itemsize < dtype.itemsize:
    raise TypeError(PREFERRED_KIND_MESSAGE.format(
        name=name, preferred=preferred.name, dtype=dtype.name))


def _conv_general_dilated_abstract_eval(
    lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
    dimension_numbers, feature_group_count, batch_group_count, precision,
    preferred_element_type):
  name = "conv_general_dilated"
  shapes = dict(lhs_shape=lhs.shape, rhs_shape=rhs.shape)
  if lhs.ndim != rhs.ndim or lhs.ndim < 2:
    raise TypeError(CONV_RANKS_MESSAGE.format(name=name, **shapes))
  lhs_spec, rhs_spec, out_spec = dimension_numbers
  if any(sorted(spec) != list(range(lhs.ndim)) for spec in dimension_numbers):
    raise TypeError(CONV_DNUMS_PERM_MESSAGE.format(
        name=name, ndim=lhs.ndim, dnums=dimension_numbers, **shapes))
  n = lhs.ndim - 2
  for what, value in (("window_strides", window_strides),
                      ("lhs_dilation", lhs_dilation),
                      ("rhs_dilation", rhs_dilation), ("padding", padding)):
    if len(value) != n:
      raise ValueError(CONV_SPATIAL_LENGTH_MESSAGE.format(
          what=what, n=n, value=value, **shapes))
  for what, value in (("window_strides", window_strides),
                      ("lhs_dilation", lhs_dilation),
                      ("rhs_dilation", rhs_dilation),
                      ("feature_group_count", (feature_group_count,)),
                      ("batch_group_count", (batch_group_count,))):
    if any(v < 1 for v in value):
      raise ValueError(CONV_POSITIVE_MESSAGE.format(what=what, value=value, **shapes))
  if feature_group_count > 1 and batch_group_count > 1:
    raise ValueError(
        f"conv_general_dilated: at most one of feature_group_count and "
        f"batch_group_count may exceed 1, got {feature_group_count} and "
        f"{batch_group_count}")
  _check_conv_groups(lhs, rhs, dimension_numbers, feature_group_count,
                     batch_group_count)
  if lhs.dtype != rhs.dtype:
    raise TypeError(CONV_DTYPES_MESSAGE.format(lhs=lhs.dtype.name, rhs=rhs.dtype.name))
  check_dtype(name, lhs.dtype, NUMERIC)
  _check_preferred_kind(name, lhs.dtype, preferred_element_type)
  out_shape = [0] * lhs.ndim
  out_shape[out_spec[0]] = lhs.shape[lhs_spec[0]] // batch_group_count
  out_shape[out_spec[1]] = rhs.shape[rhs_spec[0]]
  for i in range(n):
    size = _dilate(lhs.shape[lhs_spec[2 + i]], lhs_dilation[i])
    padded = size + sum(padding[i])
    if padded < 0:
      raise ValueError(CONV_NEGATIVE_PADDING_MESSAGE.format(
          pads=padding, i=i, size=size, lhs_shape=lhs.shape))
    window = _dilate(rhs.shape[rhs_spec[2 + i]], rhs_dilation[i])
    out_shape[out_spec[2 + i]] = max(0, (padded - window) // window_strides[i] + 1)
  dtype = lhs.dtype if preferred_element_type is None else preferred_element_type
  weak = lhs.weak_type and rhs.weak_type and preferred_element_type is None
  return ShapedArray(out_shape, dtype, weak)


def _check_conv_groups(lhs, rhs, dnums, feature_group_count, batch_group_count):
  lhs_spec, rhs_spec, _ = dnums
  lhs_features, rhs_in = lhs.shape[lhs_spec[1]], rhs.shape[rhs_spec[1]]
  if lhs_features != rhs_in * feature_group_count:
    raise ValueError(CONV_FEATURES_MESSAGE.format(
        lhs_features=lhs_features, lhs_axis=lhs_spec[1], lhs_shape=lhs.shape,
        rhs_features=rhs_in, rhs_axis=rhs_spec[1], rhs_shape=rhs.shape,
        groups=feature_group_count))
  checks = (
      ("rhs output feature", rhs, "rhs", rhs_spec[0], "feature_group_count",
       feature_group_count),
      ("lhs batch", lhs, "lhs", lhs_spec[0], "batch_group_count",
       batch_group_count),
      ("rhs output feature", rhs, "rhs", rhs_spec[0], "batch_group_count",
       batch_group_count))
  for what, aval, side, axis, count_name, count in checks:
    if aval.shape[axis] % count:
      raise ValueError(CONV_GROUPS_MESSAGE.format(
          what=what, size=aval.shape[axis], axis=axis, side=side,
          shape=aval.shape, count_name=count_name, count=count))


def _conv_general_dilated_lower(
    ctx, lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
    dimension_numbers, feature_group_count, batch_group_count, precision,
    preferred_element_type):
  aval_out, = ctx.avals_out
  lhs_spec, rhs_spec, out_spec = dimension_numbers
  dims = hlo.ConvDimensionNumbers.get(
      input_batch_dimension=lhs_spec[0], input_feature_dimension=lhs_spec[1],
      input_spatial_dimensions=list(lhs_spec[2:]),
      kernel_output_feature_dimension=rhs_spec[0],
      kernel_input_feature_dimension=rhs_spec[1],
      kernel_spatial_dimensions=list(rhs_spec[2:]),
      output_batch_dimension=out_spec[0], output_feature_dimension=out_spec[1],
      output_spatial_dimensions=list(out_spec[2:]))
  pads = np.asarray(padding, np.int64).reshape(len(padding), 2)
  return hlo.convolution(
      tensor_type(aval_out), lhs, rhs, dims, feature_group_count,
      batch_group_count, window_strides=list(window_strides),
      padding=ir.DenseIntElementsAttr.get(pads, shape=pads.shape),
      lhs_dilation=list(lhs_dilation), rhs_dilation=list(rhs_dilation),
      precision_config=_precision_attr(precision))


def _conv_general_dilated_jvp_lhs(t, lhs, rhs, **params):
  return conv_general_dilated_p.bind(t, rhs, **params)


def _conv_general_dilated_jvp_rhs(t, lhs, rhs, **params):
  return conv_general_dilated_p.bind(lhs, t, **params)


def _split_axis(x, axis, size):
  """`x` with `axis` split into (size, rest) at axis, axis + 1."""
  shape = list(aval_of(x).shape)
  shape[axis:axis + 1] = [size, shape[axis] // size]
  return reshape(x, tuple(shape))


def _merge_axis(x, src, dst):
  """`x` with axis `src` merged into axis `dst` as its major part; `dst`
  counts the axes of `x` without `src`."""
  x = moveaxis(x, src, dst)
  shape = list(aval_of(x).shape)
  shape[dst:dst + 2] = [shape[dst] * shape[dst + 1]]
  return reshape(x, tuple(shape))


def _swap_roles(spec):
  return (spec[1], spec[0]) + tuple(spec[2:])


def _spatial(aval, spec):
  return [aval.shape[d] for d in spec[2:]]


def _conv_general_dilated_transpose(
    ct, lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
    dimension_numbers, feature_group_count, batch_group_count, precision,
    preferred_element_type):
  lhs_aval = lhs.aval if is_undefined_primal(lhs) else aval_of(lhs)
  rhs_aval = rhs.aval if is_undefined_primal(rhs) else aval_of(rhs)
  args = (ct, lhs_aval, rhs_aval, window_strides, padding, lhs_dilation,
          rhs_dilation, dimension_numbers, feature_group_count,
          batch_group_count, precision)
  ct_dtype = aval_of(ct).dtype
  ct_lhs = ct_rhs = None
  # With preferred_element_type, ct is wider than the operands: compute in
  # its dtype and round the cotangent back to the operand's.
  if is_undefined_primal(lhs) and not is_undefined_primal(rhs):
    ct_lhs = _conv_transpose_lhs(_as_dtype(rhs, ct_dtype), *args)
  if is_undefined_primal(rhs) and not is_undefined_primal(lhs):
    ct_rhs = _conv_transpose_rhs(_as_dtype(lhs, ct_dtype), *args)
  return [ct_lhs, ct_rhs]


def _conv_transpose_lhs(rhs, ct, lhs_aval, rhs_aval, window_strides, padding,
                        lhs_dilation, rhs_dilation, dnums, feature_group_count,
                        batch_group_count, precision):
  """d lhs: ct dilated by the strides, correlated with the spatially
  reversed kernel whose in/out feature roles are swapped."""
  lhs_spec, rhs_spec, out_spec = dnums
  groups = max(feature_group_count, batch_group_count)
  if groups > 1:
    # Kernel out features are (group, per-group); the transposed kernel's
    # out features (rhs_spec[1]'s axis) must be (group, lhs feature).
    rhs = _merge_axis(_split_axis(rhs, rhs_spec[0], groups),
                      rhs_spec[0], rhs_spec[1])
  # Window sizes after dilation, lhs size after lhs_dilation, ct size
  # after dilation by the strides. The transposed conv must cover the
  # dilated lhs exactly, starting window - 1 - low before it.
  pads = []
  for i in range(len(window_strides)):
    window = _dilate(rhs_aval.shape[rhs_spec[2 + i]], rhs_dilation[i])
    in_size = _dilate(lhs_aval.shape[lhs_spec[2 + i]], lhs_dilation[i])
    out_size = _dilate(aval_of(ct).shape[out_spec[2 + i]], window_strides[i])
    low = window - 1 - padding[i][0]
    pads.append((low, in_size + window - 1 - out_size - low))
  out = conv_general_dilated_p.bind(
      ct, rev(rhs, rhs_spec[2:]), window_strides=lhs_dilation,
      padding=tuple(pads), lhs_dilation=window_strides,
      rhs_dilation=rhs_dilation,
      dimension_numbers=ConvDimensionNumbers(out_spec, _swap_roles(rhs_spec),
                                             lhs_spec),
      feature_group_count=groups, batch_group_count=1, precision=precision,
      preferred_element_type=None)
  if batch_group_count > 1:
    # Out features are (group, lhs feature); the group belongs to lhs batch.
    out = _merge_axis(_split_axis(out, lhs_spec[1], batch_group_count),
                      lhs_spec[1], lhs_spec[0])
  return _as_dtype(out, lhs_aval.dtype)


def _conv_transpose_rhs(lhs, ct, lhs_aval, rhs_aval, window_strides, padding,
                        lhs_dilation, rhs_dilation, dnums, feature_group_count,
                        batch_group_count, precision):
  """d rhs: lhs correlated with ct (dilated by the strides), summing over
  the batch: lhs's feature axis plays batch and its batch axis feature."""
  lhs_spec, rhs_spec, out_spec = dnums
  pads = []
  for i in range(len(window_strides)):
    window = _dilate(rhs_aval.shape[rhs_spec[2 + i]], rhs_dilation[i])
    in_size = _dilate(lhs_aval.shape[lhs_spec[2 + i]], lhs_dilation[i])
    out_size = _dilate(aval_of(ct).shape[out_spec[2 + i]], window_strides[i])
    low = padding[i][0]
    pads.append((low, window - 1 + out_size - in_size - low))
  # Feature groups of the forward conv split lhs features, which play
  # batch here (batch groups), and batch groups split lhs batch, which
  # plays feature here (feature groups).
  out = conv_general_dilated_p.bind(
      lhs, ct, window_strides=rhs_dilation, padding=tuple(pads),
      lhs_dilation=lhs_dilation, rhs_dilation=window_strides,
      dimension_numbers=ConvDimensionNumbers(
          _swap_roles(lhs_spec), _swap_roles(out_spec), _swap_roles(rhs_spec)),
      feature_group_count=batch_group_count,
      batch_group_count=feature_group_count, precision=precision,
      preferred_element_type=None)
  return _as_dtype(out, rhs_aval.dtype)


def _conv_general_dilated_batch(vals, dims, **params):
  (lhs, rhs), (ld, rd) = vals, dims
  lhs_spec, rhs_spec, out_spec = params["dimension_numbers"]
  feature_groups = params["feature_group_count"]
  batch_groups = params["batch_group_count"]
  if ld is not None and rd is not None:
    # Each vmapped pair is its own group: fold the batch into lhs features
    # (or lhs batch, under batch groups) and kernel out features.
    size = aval_of(lhs).shape[ld]
    if batch_groups > 1:
      lhs = _merge_axis(lhs, ld, lhs_spec[0])
      params = dict(params, batch_group_count=batch_groups * size)
    else:
      lhs = _merge_axis(lhs, ld, lhs_spec[1])
      params = dict(params, feature_group_count=feature_groups * size)
    rhs = _merge_axis(rhs, rd, rhs_spec[0])
    out = conv_general_dilated_p.bind(lhs, rhs, **params)
    return _split_axis(out, out_spec[1], size), out_spec[1]
  if ld is not None:
    # Fold the vmapped dim into lhs batch, inside any batch groups.
    size = aval_of(lhs).shape[ld]
    if batch_groups > 1:
      lhs = _split_axis(moveaxis(lhs, ld, 0), lhs_spec[0] + 1, batch_groups)
      lhs = _merge_axis(lhs, 0, lhs_spec[0] + 1)
      lhs = _merge_axis(lhs, lhs_spec[0], lhs_spec[0])
    else:
      lhs = _merge_axis(lhs, ld, lhs_spec[0])
    out = conv_general_dilated_p.bind(lhs, rhs, **params)
    return _split_axis(out, out_spec[0], size), out_spec[0]
  # Fold the vmapped dim into kernel out features, inside any groups.
  size = aval_of(rhs).shape[rd]
  groups = max(feature_groups, batch_groups)
  if groups > 1:
    rhs = _split_axis(moveaxis(rhs, rd, 0), rhs_spec[0] + 1, groups)
    rhs = _merge_axis(rhs, 0, rhs_spec[0] + 1)
    rhs = _merge_axis(rhs, rhs_spec[0], rhs_spec[0])
  else:
    rhs = _merge_axis(rhs, rd, rhs_spec[0])
  out = conv_general_dilated_p.bind(lhs, rhs, **params)
  if groups > 1:
    # Out features are (group, vmapped, per-group): move the vmapped dim out.
    out = _split_axis(out, out_spec[1], groups)
    out = _split_axis(out, out_spec[1] + 1, size)
    out = _merge_axis(out, out_spec[1], out_spec[1] + 1)
  else:
    out = _split_axis(out, out_spec[1], size)
  return out, out_spec[1]


conv_general_dilated_p = define_primitive(
    "conv_general_dilated", abstract_eval=_conv_general_dilated_abstract_eval,
    lower=_conv_general_dilated_lower,
    transpose=_conv_general_dilated_transpose,
    batch=_conv_general_dilated_batch)
defjvp(conv_general_dilated_p, _conv_general_dilated_jvp_lhs,
       _conv_general_dilated_jvp_rhs)


# --- Convenience wrappers (composites over conv_general_dilated) -------------

def conv(lhs, rhs, window_strides, padding, precision=None,
         preferred_element_type=None):
  """Convolution of NC... inputs with OI... kernels: conv_general_dilated
  without dilation or groups. Lowers to stablehlo.convolution."""
  return conv_general_dilated(lhs, rhs, window_strides, padding,
                              precision=precision,
                              preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation,
                              rhs_dilation, precision=None,
                              preferred_element_type=None):
  """conv_general_dilated in NC.../OI... layout with dilations and no
  groups. Lowers to stablehlo.convolution."""
  return conv_general_dilated(
      lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
      rhs_dilation=rhs_dilation, precision=precision,
      preferred_element_type=preferred_element_type)


_CONV_TRANSPOSE_LAYOUTS = {
    2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"),
    4: ("NHWC", "HWIO", "NHWC"), 5: ("NHWDC", "HWDIO", "NHWDC"),
}


def _conv_transpose_pads(window, stride, padding):
  """(low, high) padding of the stride-dilated input that makes a
  transposed convolution's output `stride` times its input ('SAME') or
  `stride * (in - 1) + window` ('VALID')."""
  if padding == "SAME":
    total = window + stride - 2
    low = window - 1 if stride > window - 1 else -(-total // 2)
  else:
    total = window + stride - 2 + max(window - stride, 0)
    low = window - 1
  return low, total - low


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None,
                   dimension_numbers=None, transpose_kernel=False,
                   precision=None, preferred_element_type=None):
  """Transposed convolution: a convolution of the input dilated by
  `strides` (the gradient of a strided convolution, "deconvolution").

  Args:
    lhs, rhs: input and kernel of rank n + 2.
    strides: n ints, the input dilation.
    padding: 'SAME' (output = input * strides), 'VALID', or (low, high)
      pairs applied to the dilated input.
    rhs_dilation: n ints or None.
    dimension_numbers: as in conv_general_dilated; defaults to channels-last
      ('NC', 'IO', 'NC'), ('NHC', 'HIO', 'NHC'), ('NHWC', 'HWIO', 'NHWC') or
      ('NHWDC', 'HWDIO', 'NHWDC') by rank.
    transpose_kernel: flip the kernel's spatial axes and swap its in/out
      features, so that this is the gradient of conv_general_dilated with
      the same kernel.

  Returns:
    The transposed convolution. Lowers to stablehlo.convolution.
  """
  name = "conv_transpose"
  lhs_shape, rhs_shape = aval_of(lhs).shape, aval_of(rhs).shape
  if dimension_numbers is None:
    if len(lhs_shape) != len(rhs_shape) or len(lhs_shape) not in _CONV_TRANSPOSE_LAYOUTS:
      raise TypeError(
          f"{name}: lhs and rhs must have the same rank, 2 to 5, for the "
          f"default dimension_numbers; got lhs shape {lhs_shape} and rhs shape "
          f"{rhs_shape}")
    dimension_numbers = _CONV_TRANSPOSE_LAYOUTS[len(lhs_shape)]
  dnums = _conv_dimension_numbers(name, lhs_shape, rhs_shape, dimension_numbers)
  if transpose_kernel:
    # Flip the kernel's spatial axes; swapping its O and I axes only
    # relabels them, so it moves no data.
    lhs_spec, rhs_spec, out_spec = dnums
    rhs = rev(rhs, rhs_spec[2:])
    dnums = ConvDimensionNumbers(
        lhs_spec, (rhs_spec[1], rhs_spec[0]) + rhs_spec[2:], out_spec)
  strides = _spatial_ints(name, "strides", strides)
  if isinstance(padding, str) and padding in ("SAME", "VALID"):
    if rhs_dilation is None:
      rhs_dilation = (1,) * (len(rhs_shape) - 2)
    window = [_dilate(rhs_shape[d], r)
              for d, r in zip(dnums.rhs_spec[2:], rhs_dilation)]
    padding = tuple(_conv_transpose_pads(k, s, padding)
                    for k, s in zip(window, strides))
  ones = (1,) * len(strides)
  return conv_general_dilated(lhs, rhs, ones, padding, strides, rhs_dilation,
                              dnums, precision=precision,
                              preferred_element_type=preferred_element_type)
