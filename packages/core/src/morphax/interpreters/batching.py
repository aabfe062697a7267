"""Vectorization (vmap): the batch trace carries (value, batch dim) pairs
and applies each primitive's batching rule.
"""

from ..core import ad_util
from ..core import named_axes
from ..core import trace as trace_lib
from ..core.primitive import set_rule
from ..core.trace import Tracer, set_current_trace
from ..ops._checks import aval_of
from ..ops._factories import bdim_at_front, matchaxis, moveaxis, not_mapped  # noqa: F401


NO_BATCH_MESSAGE = (
    "Batching rule for '{name}' not implemented: the primitive has no batch "
    "rule, so it cannot be used under vmap yet.")


class BatchTracer(Tracer):
  __slots__ = ("val", "batch_dim")

  def __init__(self, trace, val, batch_dim):
    self._trace = trace
    self.val = val
    self.batch_dim = batch_dim

  @property
  def aval(self):
    aval = aval_of(self.val)
    if self.batch_dim is not_mapped:
      return aval
    shape = aval.shape[:self.batch_dim] + aval.shape[self.batch_dim + 1:]
    return aval.update(shape=shape)


class BatchTrace(trace_lib.Trace):
  """Applies batch rules. Collectives (primitives with `named_axes`) see
  this trace's axis through named_axes.batching_frame(): over its name
  they reduce along the batch dimension, over other names they stay."""
  kind = "vmap"

  def __init__(self, parent, axis_size, axis_name=None):
    super().__init__(parent)
    self.axis_size = axis_size
    self.axis_name = axis_name
    self.frame = named_axes.AxisFrame(axis_name, axis_size, "vmap")

  def lift(self, x):
    if isinstance(x, BatchTracer) and x._trace is self:
      return x.val, x.batch_dim
    if isinstance(x, Tracer):
      self.check_tracer(x)
    return x, not_mapped

  def process_primitive(self, primitive, args, params):
    vals, dims = [], []
    for a in args:
      v, d = self.lift(a)
      vals.append(v)
      dims.append(d)
    if getattr(primitive, "named_axes", False):
      return self._process_collective(primitive, vals, dims, params)
    with set_current_trace(self.parent):
      if all(d is not_mapped for d in dims):
        return primitive.bind(*vals, **params)
      rule = primitive.batch
      if not callable(rule):
        raise NotImplementedError(NO_BATCH_MESSAGE.format(name=primitive.name))
      if self.axis_name is None:
        vals_out, dims_out = rule(vals, dims, **params)
      else:  # a rule re-vmapping a jaxpr (jit, cond, scan) keeps the name
        with named_axes.batching(self.frame):
          vals_out, dims_out = rule(vals, dims, **params)
    if primitive.multiple_results:
      return [BatchTracer(self, v, d) for v, d in zip(vals_out, dims_out)]
    return BatchTracer(self, vals_out, dims_out)

  def _process_collective(self, primitive, vals, dims, params):
    """A collective: its rule runs when an operand is batched or when it
    reduces over this trace's axis (then even unbatched operands vary)."""
    mine = self.axis_name is not None and self.axis_name in params["axis_name"]
    with set_current_trace(self.parent):
      if not mine and all(d is not_mapped for d in dims):
        return primitive.bind(*vals, **params)
      with named_axes.batching(self.frame):
        vals_out, dims_out = primitive.batch(vals, dims, **params)
    if primitive.multiple_results:
      return [BatchTracer(self, v, d) for v, d in zip(vals_out, dims_out)]
    return BatchTracer(self, vals_out, dims_out)


def vmap_flat(fun, in_vals, in_dims, axis_size, axis_name=None, origin="vmap"):
  """Runs flat `fun` batched: returns (out_vals, out_dims). A named axis
  is in scope for collectives while `fun` runs. Called with no name by the
  batch rule of a primitive holding a jaxpr, it takes the name of the vmap
  running that rule, so collectives inside jit/cond/scan bodies batch."""
  if axis_name is None:
    frame = named_axes.batching_frame()
    if frame is not None and frame.size == axis_size:
      axis_name = frame.name
  trace = BatchTrace(trace_lib.current_trace(), axis_size, axis_name)
  trace.origin = origin
  tracers = [BatchTracer(trace, v, d) if d is not not_mapped else v
             for v, d in zip(in_vals, in_dims)]
  try:
    with set_current_trace(trace), named_axes.extend(axis_name, axis_size, "vmap"):
      outs = fun(*tracers)
    pairs = [trace.lift(o) for o in outs]
  finally:
    trace.finish()
  return [v for v, _ in pairs], [d for _, d in pairs]


def _add_any_batch(vals, dims):
  x, y = vals
  dx, dy = dims
  if dx == dy:
    return ad_util.add_any_p.bind(x, y), dx
  size = aval_of(x).shape[dx] if dx is not not_mapped else aval_of(y).shape[dy]
  x = bdim_at_front(x, dx, size)
  y = bdim_at_front(y, dy, size)
  return ad_util.add_any_p.bind(x, y), 0


set_rule(ad_util.add_any_p, "batch", _add_any_batch)
