"""Staging: tracing a Python function into a jaxpr (make_jaxpr, jit, the
unknown half of partial evaluation), and evaluating jaxprs.
"""

import numpy as np

from ..core import avals as avals_lib
from ..core import source_info
from ..core import trace as trace_lib
from ..core.ir import ClosedJaxpr, DropVar, Jaxpr, JaxprEqn, Literal, Var
from ..core.trace import Tracer, set_current_trace
from ..ops import shape as shape_ops
from ..ops.convert import convert_element_type_p
from ..ops._checks import aval_of, is_python_scalar


class StagedTracer(Tracer):
  """A value of a staging trace: a jaxpr variable (or literal) with an aval."""
  __slots__ = ("_aval", "var")

  def __init__(self, trace, aval, var):
    self._trace = trace
    self._aval = aval
    self.var = var

  @property
  def aval(self):
    return self._aval

  def _origin(self):
    return self._trace.describe(self)


class JaxprBuilder:
  """Collects the equations, constants and arguments of one jaxpr."""

  def __init__(self):
    self.eqns = []
    self.invars = []
    self.constvars = []
    self.const_values = []
    self.const_ids = {}  # id(value) -> tracer, so a closed-over array is one const
    self.arg_names = {}  # invar -> user-facing name, for error messages


class StagingTrace(trace_lib.Trace):
  """Records each primitive applied to its tracers as a jaxpr equation.

  Values from outside (arrays, numpy values, tracers of outer traces)
  become constants; Python and 0-d numpy scalars become literals.
  """
  kind = "jit"

  def __init__(self, parent, builder=None):
    super().__init__(parent)
    self.builder = builder or JaxprBuilder()

  def new_arg(self, aval, name=None):
    var = Var(aval)
    self.builder.invars.append(var)
    if name is not None:
      self.builder.arg_names[var] = name
    return StagedTracer(self, aval, var)

  def describe(self, tracer):
    """Which traced arguments `tracer` depends on, for error messages."""
    where = self.origin or "the function"
    names = [self.builder.arg_names[v] for v in self._depends_on(tracer.var)
             if v in self.builder.arg_names]
    if len(names) == 1:
      return f"\nThe value depends on the traced argument {names[0]} of {where}."
    if names:
      return (f"\nThe value depends on the traced arguments "
              f"{', '.join(names)} of {where}.")
    return f"\nThe value was computed while tracing {where}." if self.origin else ""

  def _depends_on(self, var):
    """The invars `var` was computed from (a backward walk of the eqns)."""
    needed = {var}
    for eqn in reversed(self.builder.eqns):
      if any(v in needed for v in eqn.outvars):
        needed.update(v for v in eqn.invars if type(v) is not Literal)
    return [v for v in self.builder.invars if v in needed]

  def lift(self, x):
    """`x` as a tracer of this trace."""
    if isinstance(x, StagedTracer) and x._trace is self:
      return x
    if isinstance(x, Tracer):
      self.check_tracer(x)
      return self._const(x, x.aval)
    if is_python_scalar(x):
      dtype, weak = avals_lib.python_scalar_dtype(x)
      aval = avals_lib.ShapedArray((), dtype, weak)
      return StagedTracer(self, aval, Literal(np.asarray(x, dtype), aval))
    if type(x) is avals_lib.HostValue:
      return self._host_value(x)
    if isinstance(x, (np.ndarray, np.generic)):
      aval = aval_of(x)
      value = np.asarray(x, aval.dtype)
      if value.ndim == 0:
        return StagedTracer(self, aval, Literal(value, aval))
      return self._const(value, aval)
    return self._const(x, aval_of(x))

  def _host_value(self, x):
    """A weak scalar broadcast by a lax op: a literal and a broadcast_in_dim,
    as JAX writes it, rather than a constant array."""
    value = x.value
    scalar_aval = x.aval.update(shape=())
    if value.ndim == 0:
      return StagedTracer(self, x.aval, Literal(value, x.aval))
    if value.size and all(s == 0 for s in value.strides):
      literal = StagedTracer(self, scalar_aval,
                             Literal(np.asarray(value.reshape(-1)[0]), scalar_aval))
      with set_current_trace(self):
        return shape_ops.broadcast_in_dim(literal, value.shape, ())
    return self._const(np.ascontiguousarray(value), x.aval)

  def _const(self, value, aval):
    key = id(value)
    tracer = self.builder.const_ids.get(key)
    if tracer is None:
      var = Var(aval)
      self.builder.constvars.append(var)
      self.builder.const_values.append(value)
      tracer = StagedTracer(self, aval, var)
      self.builder.const_ids[key] = tracer
    return tracer

  def process_primitive(self, primitive, args, params):
    return self.stage(primitive, args, params)

  def stage(self, primitive, args, params):
    """Records `primitive(*args)` as an equation; returns its tracers."""
    tracers = [self.lift(a) for a in args]
    if primitive is convert_element_type_p and type(tracers[0].var) is Literal:
      return self._fold_convert(tracers[0].var, **params)
    avals_in = [t.aval for t in tracers]
    out = primitive.abstract_eval(*avals_in, **params)
    avals_out = list(out) if primitive.multiple_results else [out]
    outs = [StagedTracer(self, a, Var(a)) for a in avals_out]
    self.builder.eqns.append(JaxprEqn(
        [t.var for t in tracers], [t.var for t in outs], primitive, params,
        source_info.staged_frame()))
    return outs if primitive.multiple_results else outs[0]

  def _fold_convert(self, literal, new_dtype, weak_type):
    """A conversion of a literal is a literal (constant folding)."""
    aval = avals_lib.ShapedArray((), new_dtype, weak_type)
    value = np.asarray(literal.val).astype(new_dtype)
    return StagedTracer(self, aval, Literal(value, aval))

  def to_jaxpr(self, out_values):
    """The traced jaxpr with constants; `out_values` are lifted first."""
    outs = [self.lift(x) for x in out_values]
    b = self.builder
    jaxpr = Jaxpr(b.constvars, b.invars, [t.var for t in outs], b.eqns)
    return ClosedJaxpr(jaxpr, b.const_values)


def trace_to_jaxpr(fun, in_avals, arg_names=None, origin=""):
  """Traces `fun(*tracers)` (flat in, flat out) into a ClosedJaxpr."""
  trace = StagingTrace(trace_lib.current_trace())
  trace.origin = origin
  names = arg_names or [None] * len(in_avals)
  tracers = [trace.new_arg(a, n) for a, n in zip(in_avals, names)]
  try:
    with set_current_trace(trace):
      outs = fun(*tracers)
      closed = trace.to_jaxpr(outs)
  finally:
    trace.finish()
  return closed


def hoist_consts(closed):
  """Moves a closed jaxpr's constants into leading arguments: returns
  (jaxpr with no consts, const values). Call primitives pass their constants
  as operands, so that outer transformations see them."""
  jaxpr = closed.jaxpr
  hoisted = Jaxpr([], jaxpr.constvars + jaxpr.invars, jaxpr.outvars, jaxpr.eqns)
  return ClosedJaxpr(hoisted, []), list(closed.consts)


def eval_jaxpr(jaxpr, consts, *args):
  """Evaluates `jaxpr` by binding its equations under the current trace."""
  env = {}

  def read(v):
    if type(v) is Literal:
      return avals_lib.HostValue(v.val, v.aval.weak_type)
    return env[v]

  for var, value in zip(jaxpr.constvars, consts):
    env[var] = value
  for var, value in zip(jaxpr.invars, args):
    env[var] = value
  for eqn in jaxpr.eqns:
    with source_info.replaying(eqn.source_info):
      outs = eqn.primitive.bind(*[read(v) for v in eqn.invars], **eqn.params)
    if not eqn.primitive.multiple_results:
      outs = [outs]
    for var, value in zip(eqn.outvars, outs):
      if not isinstance(var, DropVar):
        env[var] = value
  return [read(v) for v in jaxpr.outvars]


def eval_closed_jaxpr(closed, *args):
  return eval_jaxpr(closed.jaxpr, closed.consts, *args)
