"""Primitive: a named operation with its rule slots, and the one registry.

Every rule of a primitive is registered beside its public function (ops/);
transformations look rules up here by primitive, never by name in a table.
"""

from . import trace as trace_lib


class _Reason:
  """A marker placed in a rule slot that says why the rule does not exist."""
  __slots__ = ("name",)

  def __init__(self, name):
    self.name = name

  def __repr__(self):
    return self.name


NOT_LINEAR = _Reason("NOT_LINEAR")
NOT_DIFFERENTIABLE = _Reason("NOT_DIFFERENTIABLE")

RULE_SLOTS = ("abstract_eval", "lower", "jvp", "transpose", "batch",
              "partial_eval")

REGISTRY = {}


class Primitive:
  """A primitive operation.

  Rule slots, in the order a reader finds them in ops/:
    abstract_eval(*avals_in, **params) -> aval (or list, multiple_results)
    lower(ctx, *ir_values, **params) -> ir value (or list)
    jvp(primals, tangents, **params) -> (primal_out, tangent_out); tangents
      may be symbolic Zeros
    transpose(ct, *args, **params) -> a cotangent per arg (None where the
      arg is not linear); linear args arrive as UndefinedPrimal
    batch(vals, dims, **params) -> (out, out_dim); dims hold ints or None
    partial_eval(trace, args, params): only for primitives holding jaxprs
      (calls, control flow), which split into known and unknown parts.
  A slot may hold NOT_LINEAR / NOT_DIFFERENTIABLE to say why it is empty.
  """

  def __init__(self, name, *, multiple_results=False):
    if name in REGISTRY:
      raise ValueError(f"primitive {name!r} is already defined")
    self.name = name
    self.multiple_results = multiple_results
    for slot in RULE_SLOTS:
      setattr(self, slot, None)
    REGISTRY[name] = self

  def bind(self, *args, **params):
    """Applies the primitive under the current trace (eager at top level)."""
    return trace_lib.current_trace().process_primitive(self, args, params)

  def __repr__(self):
    return self.name


def define_primitive(name, *, abstract_eval, lower, jvp=None, transpose=None,
                     batch=None, partial_eval=None, multiple_results=False):
  """Creates a primitive with its rules; the one way rules get registered."""
  prim = Primitive(name, multiple_results=multiple_results)
  prim.abstract_eval = abstract_eval
  prim.lower = lower
  prim.jvp = jvp
  prim.transpose = transpose
  prim.batch = batch
  prim.partial_eval = partial_eval
  return prim


def set_rule(prim, slot, rule):
  """Fills one rule slot of `prim` (used by factories and later issues)."""
  if slot not in RULE_SLOTS:
    raise ValueError(f"unknown rule slot {slot!r}; slots are {RULE_SLOTS}")
  setattr(prim, slot, rule)
  return rule
