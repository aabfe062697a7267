"""Forward-mode autodiff: the JVP trace carries (primal, tangent) pairs and
applies each primitive's jvp rule; symbolic zeros skip untouched inputs.
"""

from ..core import trace as trace_lib
from ..core.ad_util import Zero, add_tangents, zero_like  # noqa: F401
from ..core.trace import Tracer, set_current_trace
from ..ops._checks import aval_of
from ..ops._factories import instantiate  # noqa: F401

NO_JVP_MESSAGE = (
    "Differentiation rule for '{name}' not implemented: the primitive has no "
    "jvp rule{why}.")


class JVPTracer(Tracer):
  __slots__ = ("primal", "tangent")

  def __init__(self, trace, primal, tangent):
    self._trace = trace
    self.primal = primal
    self.tangent = tangent

  @property
  def aval(self):
    return aval_of(self.primal)

  def _origin(self):
    origin = getattr(self.primal, "_origin", None)
    return origin() if origin else ""


class JVPTrace(trace_lib.Trace):
  kind = "jvp"

  def lift(self, x):
    """(primal, tangent) of a value seen by this trace."""
    if isinstance(x, JVPTracer) and x._trace is self:
      return x.primal, x.tangent
    if isinstance(x, Tracer):
      self.check_tracer(x)
    return x, Zero(aval_of(x))

  def process_primitive(self, primitive, args, params):
    primals, tangents = [], []
    for a in args:
      p, t = self.lift(a)
      primals.append(p)
      tangents.append(t)
    with set_current_trace(self.parent):
      if all(type(t) is Zero for t in tangents):
        return primitive.bind(*primals, **params)
      rule = primitive.jvp
      if not callable(rule):
        why = f" ({rule})" if rule is not None else ""
        raise NotImplementedError(NO_JVP_MESSAGE.format(name=primitive.name, why=why))
      primals_out, tangents_out = rule(primals, tangents, **params)
    if primitive.multiple_results:
      return [JVPTracer(self, p, t) for p, t in zip(primals_out, tangents_out)]
    return JVPTracer(self, primals_out, tangents_out)


def jvp_flat(fun, primals, tangents, origin="jvp"):
  """(primals_out, tangents_out) of flat `fun` at `primals` along `tangents`.
  Tangents out may be symbolic Zeros."""
  trace = JVPTrace(trace_lib.current_trace())
  trace.origin = origin
  in_tracers = [JVPTracer(trace, p, t) for p, t in zip(primals, tangents)]
  try:
    with set_current_trace(trace):
      outs = fun(*in_tracers)
    pairs = [trace.lift(o) for o in outs]
  finally:
    trace.finish()
  return [p for p, _ in pairs], [t for _, t in pairs]
