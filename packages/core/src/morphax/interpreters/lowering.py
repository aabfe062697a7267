"""Lowering to StableHLO: MLIR types for avals, the rule context, helpers
that rules share (constants, reducer regions), and single-primitive modules.
"""

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir._mlir_libs import _chlo, _jax_mlir_ext, _stablehlo
from jaxlib.mlir.dialects import func, stablehlo

from ..core import avals as avals_lib
from ..core.ir import Literal


def make_context():
  """A fresh MLIR context with the StableHLO and CHLO dialects loaded."""
  ctx = ir.Context()
  _stablehlo.register_dialect(ctx)
  _chlo.register_dialect(ctx)
  return ctx


def reparse_with_all_dialects(module):
  """`module` parsed into a context with every dialect registered (func
  included), which compiling an ir.Module object (host callbacks) needs;
  our building contexts leave func unregistered, which text compiles
  tolerate."""
  ctx = ir.Context()
  registry = ir.DialectRegistry()
  _jax_mlir_ext.register_dialects(registry)
  ctx.append_dialect_registry(registry)
  ctx.load_all_available_dialects()
  _stablehlo.register_dialect(ctx)
  _chlo.register_dialect(ctx)
  return ir.Module.parse(str(module), context=ctx)


_IR_ELEMENT_TYPES = {
    avals_lib.bool_: lambda: ir.IntegerType.get_signless(1),
    avals_lib.int8: lambda: ir.IntegerType.get_signless(8),
    avals_lib.int16: lambda: ir.IntegerType.get_signless(16),
    avals_lib.int32: lambda: ir.IntegerType.get_signless(32),
    avals_lib.int64: lambda: ir.IntegerType.get_signless(64),
    avals_lib.uint8: lambda: ir.IntegerType.get_unsigned(8),
    avals_lib.uint16: lambda: ir.IntegerType.get_unsigned(16),
    avals_lib.uint32: lambda: ir.IntegerType.get_unsigned(32),
    avals_lib.uint64: lambda: ir.IntegerType.get_unsigned(64),
    avals_lib.bfloat16: ir.BF16Type.get,
    avals_lib.float16: ir.F16Type.get,
    avals_lib.float32: ir.F32Type.get,
    avals_lib.float64: ir.F64Type.get,
    avals_lib.complex64: lambda: ir.ComplexType.get(ir.F32Type.get()),
    avals_lib.complex128: lambda: ir.ComplexType.get(ir.F64Type.get()),
}


def element_type(dtype):
  """The MLIR element type of a numpy dtype (inside an active context)."""
  return _IR_ELEMENT_TYPES[np.dtype(dtype)]()


def tensor_type(aval_or_shape, dtype=None):
  """`tensor<...>` for an aval, or for an explicit (shape, dtype)."""
  if dtype is None:
    shape, dtype = aval_or_shape.shape, aval_or_shape.dtype
  else:
    shape = aval_or_shape
  return ir.RankedTensorType.get(shape, element_type(dtype))


def i64_array(values):
  """A `array<i64: ...>` attribute (dimension lists, strides, ...)."""
  return ir.DenseI64ArrayAttr.get([int(v) for v in values])


def constant(value, dtype, shape=()):
  """A stablehlo.constant holding `value` (a scalar is broadcast to `shape`,
  so a big fill costs one scalar to build)."""
  dtype = np.dtype(dtype)
  array = np.asarray(value)
  if array.ndim == 0 and shape != ():
    scalar = constant(array, dtype, ())
    return stablehlo.broadcast_in_dim(tensor_type(shape, dtype), scalar,
                                      i64_array([]))
  shape = array.shape
  array = np.ascontiguousarray(array.astype(dtype))
  if dtype == avals_lib.bool_:
    array = np.packbits(array, bitorder="little")
  elif dtype == avals_lib.bfloat16:
    array = array.view(np.uint16)
  attr = ir.DenseElementsAttr.get(array, type=element_type(dtype), shape=shape)
  return stablehlo.constant(attr)


def scalar_constant(value, dtype):
  return constant(value, dtype, ())


def broadcast_to(x, aval_out):
  """Broadcasts a rank-0 value `x` to the shape of `aval_out`."""
  return stablehlo.broadcast_in_dim(tensor_type(aval_out), x, i64_array([]))


def make_region(region, arg_types, body):
  """Fills `region` with one block taking `arg_types`; `body(*args)` returns
  the values the block yields (stablehlo.return)."""
  block = region.blocks.append(*arg_types)
  with ir.InsertionPoint(block):
    outs = body(*block.arguments)
    if not isinstance(outs, (list, tuple)):
      outs = [outs]
    stablehlo.return_(list(outs))
  return block


def scalar_type(dtype):
  return tensor_type((), dtype)


def comparison_type(dtype):
  """The stablehlo comparison type for operands of `dtype`."""
  if avals_lib.is_inexact(dtype):
    return "FLOAT"
  if avals_lib.is_signed(dtype):
    return "SIGNED"
  return "UNSIGNED"  # unsigned integers and bool (False < True)


def compare(x, y, direction, dtype):
  """stablehlo.compare of `x` and `y` (of element type `dtype`) with the
  comparison type that dtype needs; `direction` is "LT", "EQ", ..."""
  return stablehlo.compare(
      x, y, stablehlo.ComparisonDirectionAttr.get(direction),
      compare_type=stablehlo.ComparisonTypeAttr.get(comparison_type(dtype)))


class LoweringRuleContext:
  """What a lowering rule sees besides its operands."""
  __slots__ = ("module_context", "avals_in", "avals_out")

  def __init__(self, module_context, avals_in, avals_out):
    self.module_context = module_context
    self.avals_in = avals_in
    self.avals_out = avals_out


class ModuleContext:
  """State shared by every rule lowering into one module; `host_callbacks`
  collects the Python functions the module calls back (their index is the
  custom call's backend_config)."""
  __slots__ = ("context", "module", "platform", "host_callbacks")

  def __init__(self, context, module, platform):
    self.context = context
    self.module = module
    self.platform = platform
    self.host_callbacks = []

  def add_host_callback(self, fn):
    self.host_callbacks.append(fn)
    return len(self.host_callbacks) - 1


def abstract_eval(prim, avals_in, params):
  """Output avals of `prim`, always as a list."""
  out = prim.abstract_eval(*avals_in, **params)
  return list(out) if prim.multiple_results else [out]


def lower_primitive_module(prim, avals_in, params, platform="cpu"):
  """A `main` function applying one primitive to arguments of `avals_in`.

  Returns (module, avals_out, host_callbacks); used by eager dispatch.
  """
  avals_out = abstract_eval(prim, avals_in, params)
  ctx = make_context()
  with ctx, ir.Location.name(prim.name):
    module = ir.Module.create()
    module_ctx = ModuleContext(ctx, module, platform)
    in_types = [tensor_type(a) for a in avals_in]
    out_types = [tensor_type(a) for a in avals_out]
    with ir.InsertionPoint(module.body):
      main = func.FuncOp("main", (in_types, out_types))
      main.sym_visibility = ir.StringAttr.get("public")
      block = main.add_entry_block()
    with ir.InsertionPoint(block):
      rule_ctx = LoweringRuleContext(module_ctx, list(avals_in), avals_out)
      outs = prim.lower(rule_ctx, *block.arguments, **params)
      if not prim.multiple_results:
        outs = [outs]
      func.ReturnOp(list(outs))
  return module, avals_out, module_ctx.host_callbacks


# --- Jaxprs ---------------------------------------------------------------------

def lower_jaxpr_body(module_ctx, jaxpr, args):
  """Emits `jaxpr`'s equations at the current insertion point; `args` are
  the MLIR values of its constvars then invars. Returns its outputs."""
  env = {}

  def read(v):
    if type(v) is Literal:
      return constant(v.val, v.aval.dtype)
    return env[v]

  for var, value in zip(list(jaxpr.constvars) + list(jaxpr.invars), args):
    env[var] = value
  for eqn in jaxpr.eqns:
    avals_out = [v.aval for v in eqn.outvars]
    rule_ctx = LoweringRuleContext(
        module_ctx, [v.aval for v in eqn.invars], avals_out)
    with ir.Location.name(eqn.primitive.name):
      outs = eqn.primitive.lower(rule_ctx, *[read(v) for v in eqn.invars], **eqn.params)
    if not eqn.primitive.multiple_results:
      outs = [outs]
    for var, value in zip(eqn.outvars, outs):
      env[var] = value
  return [read(v) for v in jaxpr.outvars]


def _alias_donated(main, in_avals, out_avals, donated):
  """Marks each donated argument as aliasing an output of the same type, so
  XLA may write that output into the donated buffer. A donated argument
  with no matching output is left as is (its buffer is still consumed)."""
  free = list(range(len(out_avals)))
  attrs = []
  for aval, donate in zip(in_avals, donated):
    match = next((i for i in free if donate and out_avals[i].shape == aval.shape
                  and out_avals[i].dtype == aval.dtype), None)
    if match is None:
      attrs.append(ir.DictAttr.get({}))
      continue
    free.remove(match)
    attrs.append(ir.DictAttr.get({"tf.aliasing_output": ir.IntegerAttr.get(
        ir.IntegerType.get_signless(32), match)}))
  main.arg_attrs = ir.ArrayAttr.get(attrs)


def lower_jaxpr_module(jaxpr, platform="cpu", name="main", donated=None):
  """A module whose public `main` computes `jaxpr` (constvars, then invars,
  as arguments); `donated` flags arguments whose buffers it may reuse.
  Returns (module, host_callbacks)."""
  ctx = make_context()
  with ctx, ir.Location.name(name):
    module = ir.Module.create()
    module_ctx = ModuleContext(ctx, module, platform)
    in_avals = [v.aval for v in list(jaxpr.constvars) + list(jaxpr.invars)]
    in_types = [tensor_type(a) for a in in_avals]
    out_types = [tensor_type(v.aval) for v in jaxpr.outvars]
    with ir.InsertionPoint(module.body):
      main = func.FuncOp("main", (in_types, out_types))
      main.sym_visibility = ir.StringAttr.get("public")
      block = main.add_entry_block()
    with ir.InsertionPoint(block):
      outs = lower_jaxpr_body(module_ctx, jaxpr, list(block.arguments))
      func.ReturnOp(outs)
    if donated is not None and any(donated):
      _alias_donated(main, in_avals, [v.aval for v in jaxpr.outvars], donated)
  return module, module_ctx.host_callbacks
