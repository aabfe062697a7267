"""Windowed reductions: reduce_window for sum, max and min, and the padding
and shape arithmetic windows share (padtype_to_pads, reduce_window_shape_tuple).
"""

import itertools

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import tree
from ..core.avals import ShapedArray
from ..core.ad_util import Zero
from ..core.primitive import NOT_LINEAR, define_primitive
from ..core.trace import Tracer
from ..interpreters.lowering import (constant, i64_array, make_region,
                                     scalar_type, tensor_type)
from . import bits, elementwise, shape
from ._factories import deflinear
from .convert import convert_element_type
from ._checks import (BOOL, FLOAT, INT, NUMERIC, aval_of, check_dtype,
                         pads_for_padtype)
from .reduction import max_identity, min_identity

__all__ = ["reduce_window", "padtype_to_pads", "reduce_window_shape_tuple"]


# --- Padding and shapes ------------------------------------------------------


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
  """Explicit (low, high) padding pairs for a padding name.

  'VALID' pads nothing; 'SAME' pads so that the output has
  ceil(in / stride) elements per dimension, with the odd element at the
  high end ('SAME_LOWER' puts it at the low end).

  Example: `padtype_to_pads((5,), (3,), (2,), 'SAME')` is [(1, 1)].
  """
  return pads_for_padtype("padtype_to_pads", in_shape, window_shape,
                          window_strides, padding)


def _dilate(shape, dilation):
  """The extent of `shape` with `dilation - 1` holes between elements."""
  return tuple(0 if d == 0 else 1 + r * (d - 1) for d, r in zip(shape, dilation))


def reduce_window_shape_tuple(operand_shape, window_dimensions, window_strides,
                              padding, base_dilation=None, window_dilation=None):
  """The output shape of a reduce_window with explicit `padding` pairs."""
  if base_dilation is not None:
    operand_shape = _dilate(operand_shape, base_dilation)
  if window_dilation is not None:
    window_dimensions = _dilate(window_dimensions, window_dilation)
  padded = [d + lo + hi for d, (lo, hi) in zip(operand_shape, padding)]
  return tuple(0 if p < w else (p - w) // s + 1
               for p, w, s in zip(padded, window_dimensions, window_strides))


# --- reduce_window -------------------------------------------------------------

REDUCE_WINDOW_UNSUPPORTED_MESSAGE = (
    "reduce_window: only computation lax.add with init_value 0, lax.max with "
    "init_value -inf (the dtype's lowest value) and lax.min with init_value "
    "+inf (the dtype's highest value), on one operand, are supported for now, "
    "e.g. lax.reduce_window(x, -np.inf, lax.max, (2, 2), (2, 2), 'VALID'). "
    "Got computation={computation!r} and init_value={init!r}. Other "
    "computations need jaxpr tracing, which morphax does not have yet.")

REDUCE_WINDOW_RANK_MESSAGE = (
    "{name}: window_dimensions must have one entry per operand dimension, got "
    "operand shape {shape} with window_dimensions {window}")

REDUCE_WINDOW_LENGTH_MESSAGE = (
    "{name}: {what} must have one entry per window dimension, got {what}="
    "{value} for window_dimensions {window}")

REDUCE_WINDOW_PADDING_MESSAGE = (
    "reduce_window: padding must be 'SAME', 'SAME_LOWER', 'VALID' or a "
    "sequence of (low, high) integer pairs, got {padding!r}")


def _int_tuple(name, what, values):
  try:
    out = tuple(values)
  except TypeError:
    raise TypeError(f"{name}: {what} must be a sequence of integers, got "
                    f"{values!r}") from None
  if not all(isinstance(v, (int, np.integer))
             and not isinstance(v, (bool, np.bool_)) for v in out):
    raise TypeError(f"{name}: {what} must be a sequence of integers, got "
                    f"{values!r}")
  return tuple(int(v) for v in out)


def _padding_pairs(padding):
  try:
    pairs = tuple(tuple(p) for p in padding)
  except TypeError:
    raise TypeError(
        REDUCE_WINDOW_PADDING_MESSAGE.format(padding=padding)) from None
  if not all(len(p) == 2 and all(isinstance(v, (int, np.integer)) for v in p)
             for p in pairs):
    raise TypeError(REDUCE_WINDOW_PADDING_MESSAGE.format(padding=padding))
  return tuple((int(lo), int(hi)) for lo, hi in pairs)


def _window_monoids():
  """(computation, primitive, identity) that reduce_window recognizes."""
  return [(elementwise.add, reduce_window_sum_p, lambda d: 0),
          (elementwise.max, reduce_window_max_p, max_identity),
          (elementwise.min, reduce_window_min_p, min_identity)]


def _same_value(init, identity):
  with np.errstate(invalid="ignore"):
    return bool(np.asarray(init == identity))


def reduce_window(operand, init_value, computation, window_dimensions,
                  window_strides, padding, base_dilation=None,
                  window_dilation=None):
  """Reduces each window of `operand` with `computation`.

  Args:
    operand: an array (or a one-leaf pytree).
    init_value: the computation's identity: 0 for lax.add, -inf (or the
      dtype's minimum) for lax.max, +inf (or the maximum) for lax.min.
    computation: lax.add, lax.max or lax.min.
    window_dimensions: the window's size in each dimension.
    window_strides: the step between windows (None: all ones).
    padding: 'SAME', 'SAME_LOWER', 'VALID' or (low, high) pairs; padded
      elements are the identity.
    base_dilation, window_dilation: holes between operand / window elements.

  Returns:
    An array of shape `reduce_window_shape_tuple(...)`.

  NB: other computations or init values (JAX's generic reduce_window) need
  jaxpr tracing and raise NotImplementedError for now.

  Lowers to stablehlo.reduce_window.

  Example: 2x2 max pooling is
  `reduce_window(x, -np.inf, lax.max, (2, 2), (2, 2), 'VALID')`.
  """
  flat_ops, ops_tree = tree.tree_flatten(operand)
  flat_inits, inits_tree = tree.tree_flatten(init_value)
  if ops_tree != inits_tree:
    raise ValueError(f"reduce_window: operand and init_value must have the same "
                     f"tree structure, got {ops_tree} and {inits_tree}")
  if len(flat_ops) != 1:
    raise NotImplementedError(REDUCE_WINDOW_UNSUPPORTED_MESSAGE.format(
        computation=computation, init=init_value))
  x, init = flat_ops[0], flat_inits[0]
  aval = aval_of(x)
  window_dimensions = _int_tuple("reduce_window", "window_dimensions",
                                 window_dimensions)
  ones = (1,) * len(window_dimensions)
  window_strides = ones if window_strides is None else _int_tuple(
      "reduce_window", "window_strides", window_strides)
  base_dilation = ones if base_dilation is None else _int_tuple(
      "reduce_window", "base_dilation", base_dilation)
  window_dilation = ones if window_dilation is None else _int_tuple(
      "reduce_window", "window_dilation", window_dilation)
  if isinstance(padding, str):
    _check_lengths("reduce_window", aval, window_dimensions, window_strides,
                   base_dilation, window_dilation, None)
    padding = tuple(padtype_to_pads(
        aval.shape, _dilate(window_dimensions, window_dilation),
        window_strides, padding))
  else:
    padding = _padding_pairs(padding)
  if not isinstance(init, Tracer) and np.shape(init) == ():
    init = np.asarray(init)
    for fn, prim, identity in _window_monoids():
      if computation is fn and _same_value(init, identity(aval.dtype)):
        out = prim.bind(x, window_dimensions=window_dimensions,
                        window_strides=window_strides, padding=padding,
                        base_dilation=base_dilation,
                        window_dilation=window_dilation)
        return tree.tree_unflatten(ops_tree, [out])
  raise NotImplementedError(REDUCE_WINDOW_UNSUPPORTED_MESSAGE.format(
      computation=computation, init=init_value))


def _check_lengths(name, operand, window_dimensions, window_strides,
                   base_dilation, window_dilation, padding):
  if len(window_dimensions) != operand.ndim:
    raise TypeError(REDUCE_WINDOW_RANK_MESSAGE.format(
        name=name, shape=operand.shape, window=window_dimensions))
  for what, value in (("window_strides", window_strides),
                      ("base_dilation", base_dilation),
                      ("window_dilation", window_dilation),
                      ("padding", padding)):
    if value is not None and len(value) != len(window_dimensions):
      raise TypeError(REDUCE_WINDOW_LENGTH_MESSAGE.format(
          name=name, what=what, value=value, window=window_dimensions))
  for what, value in (("window_dimensions", window_dimensions),
                      ("window_strides", window_strides),
                      ("base_dilation", base_dilation),
                      ("window_dilation", window_dilation)):
    if any(v < 1 for v in value):
      raise ValueError(f"{name}: {what} must be positive, got {value}")


def _reduce_window_abstract_eval(name, classes):
  def abstract_eval(operand, *, window_dimensions, window_strides, padding,
                    base_dilation, window_dilation):
    check_dtype(name, operand.dtype, classes, "operand")
    _check_lengths(name, operand, window_dimensions, window_strides,
                   base_dilation, window_dilation, padding)
    shape = reduce_window_shape_tuple(operand.shape, window_dimensions,
                                      window_strides, padding, base_dilation,
                                      window_dilation)
    return ShapedArray(shape, operand.dtype, operand.weak_type)
  return abstract_eval


def _reduce_window_lower(identity, combine):
  def lower(ctx, operand, *, window_dimensions, window_strides, padding,
            base_dilation, window_dilation):
    dtype = ctx.avals_in[0].dtype
    pads = np.asarray(padding, np.int64).reshape(len(padding), 2)
    op = hlo.ReduceWindowOp(
        [tensor_type(ctx.avals_out[0])], [operand],
        [constant(identity(dtype), dtype)], i64_array(window_dimensions),
        window_strides=i64_array(window_strides),
        base_dilations=i64_array(base_dilation),
        window_dilations=i64_array(window_dilation),
        padding=ir.DenseIntElementsAttr.get(pads, shape=pads.shape))
    make_region(op.body, [scalar_type(dtype)] * 2, combine)
    return op.result
  return lower


def _reduce_window_batch(prim):
  """The batch dim becomes one more window dimension, of size 1."""
  def rule(vals, dims, *, window_dimensions, window_strides, padding,
           base_dilation, window_dilation):
    (x,), (d,) = vals, dims

    def insert(params, value):
      return tuple(params[:d]) + (value,) + tuple(params[d:])
    out = prim.bind(x, window_dimensions=insert(window_dimensions, 1),
                    window_strides=insert(window_strides, 1),
                    padding=insert(padding, (0, 0)),
                    base_dilation=insert(base_dilation, 1),
                    window_dilation=insert(window_dilation, 1))
    return out, d
  return rule


def _reduce_window_chooser_jvp(prim, identity):
  """reduce_window_max/min: each output's tangent is the mean of the
  tangents at the window positions that attain it (ties split evenly, as
  reduce_max's rule; JAX's select_and_gather_add picks one of them).

  NB: the window is unrolled: one strided slice of the padded operand and
  tangent per window position, so the rule costs prod(window_dimensions)
  slices; fine for pooling windows, slow for very large ones."""
  def rule(primals, tangents, *, window_dimensions, window_strides, padding,
           base_dilation, window_dilation):
    (x,), (t,) = primals, tangents
    ans = prim.bind(x, window_dimensions=window_dimensions,
                    window_strides=window_strides, padding=padding,
                    base_dilation=base_dilation,
                    window_dilation=window_dilation)
    out_shape = aval_of(ans).shape
    if 0 in out_shape:
      return ans, Zero(aval_of(ans))
    dtype, t_dtype = aval_of(x).dtype, aval_of(t).dtype
    config = [(lo, hi, b - 1) for (lo, hi), b in zip(padding, base_dilation)]
    x = shape.pad(x, np.asarray(identity(dtype), dtype), config)
    t = shape.pad(t, np.zeros((), t_dtype), config)
    total = count = None
    for offset in itertools.product(*map(range, window_dimensions)):
      start = [o * r for o, r in zip(offset, window_dilation)]
      limit = [s + (n - 1) * st + 1
               for s, n, st in zip(start, out_shape, window_strides)]
      hit = convert_element_type(
          bits.eq(shape.slice(x, start, limit, window_strides), ans), t_dtype)
      part = elementwise.mul(shape.slice(t, start, limit, window_strides), hit)
      total = part if total is None else elementwise.add(total, part)
      count = hit if count is None else elementwise.add(count, hit)
    return ans, elementwise.div(total, count)
  return rule


def _reduce_window_primitive(name, classes, identity, combine):
  prim = define_primitive(
      name, abstract_eval=_reduce_window_abstract_eval(name, classes),
      lower=_reduce_window_lower(identity, combine), transpose=NOT_LINEAR)
  prim.batch = _reduce_window_batch(prim)
  return prim


# The primitives reduce_window dispatches to: params are window_dimensions,
# window_strides, padding ((low, high) pairs), base_dilation, window_dilation.
reduce_window_sum_p = _reduce_window_primitive(
    "reduce_window_sum", NUMERIC, lambda d: 0, hlo.add)


def _reduce_window_sum_transpose(ct, operand, *, window_dimensions,
                                 window_strides, padding, base_dilation,
                                 window_dilation):
  """Each output sums the padded, base-dilated operand at o*stride +
  k*window_dilation. Transposed, the cotangent is dilated by the strides and
  padded so that a window sum of it (window_dilation kept, stride =
  base_dilation, which skips the holes) lands each input: the low padding is
  (dilated window - 1 - low), the high padding whatever makes the result the
  operand's shape."""
  in_shape = operand.aval.shape
  window = _dilate(window_dimensions, window_dilation)
  dilated_in = _dilate(in_shape, base_dilation)
  dilated_ct = _dilate(aval_of(ct).shape, window_strides)
  config = []
  for w, (lo, _), n_in, n_ct, s in zip(window, padding, dilated_in, dilated_ct,
                                       window_strides):
    before = w - 1 - lo
    config.append((before, n_in + w - 1 - n_ct - before, s - 1))
  ones = (1,) * len(in_shape)
  padded = shape.pad(ct, np.zeros((), aval_of(ct).dtype), config)
  out = reduce_window_sum_p.bind(
      padded, window_dimensions=window_dimensions, window_strides=base_dilation,
      padding=((0, 0),) * len(in_shape), base_dilation=ones,
      window_dilation=window_dilation)
  return [out]


deflinear(reduce_window_sum_p, _reduce_window_sum_transpose)

reduce_window_max_p = _reduce_window_primitive(
    "reduce_window_max", (BOOL, INT, FLOAT), max_identity, hlo.maximum)
reduce_window_max_p.jvp = _reduce_window_chooser_jvp(reduce_window_max_p,
                                                     max_identity)
reduce_window_min_p = _reduce_window_primitive(
    "reduce_window_min", (BOOL, INT, FLOAT), min_identity, hlo.minimum)
reduce_window_min_p.jvp = _reduce_window_chooser_jvp(reduce_window_min_p,
                                                     min_identity)
