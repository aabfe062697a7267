"""Traces and tracers, and the current-trace context `bind` dispatches to.

At top level the current trace is the eager one, installed by the runtime.
A transformation makes its own trace current while it runs the user's
function; its rules run with the trace's parent current, so the ops they
bind go one level out. Values of other traces met by `process_primitive`
are lifted (`lift`) into this one.
"""

import contextlib
import threading

CONCRETIZATION_MESSAGE = """\
{what} of a traced value: the value is abstract here ({aval}), known only when the \
program runs, so Python cannot branch on it or convert it.{origin}
Fixes:
  - if the value does not depend on the inputs being traced, mark the argument \
static: jit(f, static_argnums=...) or static_argnames=...;
  - for data-dependent control flow use lax.cond / lax.select / jnp.where \
(or lax.while_loop / lax.fori_loop for loops)."""

LEAKED_TRACER_MESSAGE = """\
Encountered a tracer ({aval}) from a {kind} transformation that has already \
finished: a traced value escaped the function being transformed (stored in a \
global, a closure or an object attribute, or returned through a side channel) \
and was used afterwards.{origin}
Return values out of the transformed function instead of storing them."""


class ConcretizationTypeError(TypeError):
  """Python needed a concrete value where only an abstract one exists."""


class TracerArrayConversionError(TypeError):
  """A traced value was converted to a numpy array."""


class UnexpectedTracerError(Exception):
  """A tracer was used after its transformation ended (a leak)."""


class Trace:
  """Interprets primitives applied to its tracers.

  `parent` is the trace that was current when this one was made: the rules
  of this trace bind their own ops there.
  """
  kind = "trace"

  def __init__(self, parent):
    self.parent = parent
    self.active = True
    self.origin = ""  # what the user called, for error messages

  def process_primitive(self, primitive, args, params):
    raise NotImplementedError

  def finish(self):
    """Marks the transformation done: its tracers may no longer be used."""
    self.active = False

  def check_tracer(self, tracer):
    """Raises if `tracer` belongs to a finished transformation."""
    trace = tracer._trace
    if not trace.active:
      origin = f"\nThe transformation was {trace.origin}." if trace.origin else ""
      raise UnexpectedTracerError(LEAKED_TRACER_MESSAGE.format(
          aval=tracer.aval.str_short(), kind=trace.kind, origin=origin))


class Tracer:
  """A value a trace stands in for; it knows its trace and its aval.

  NumPy methods and operators are installed by morphax.numpy (the same ones
  as on Array); conversions to concrete Python values raise errors that say
  what to do instead.
  """
  __slots__ = ("_trace", "__weakref__")
  __array_priority__ = 1000

  @property
  def aval(self):
    raise NotImplementedError

  shape = property(lambda self: self.aval.shape)
  dtype = property(lambda self: self.aval.dtype)
  ndim = property(lambda self: self.aval.ndim)
  size = property(lambda self: self.aval.size)
  weak_type = property(lambda self: self.aval.weak_type)

  def _origin(self):
    return ""

  def _concretization_error(self, what):
    return ConcretizationTypeError(CONCRETIZATION_MESSAGE.format(
        what=what, aval=self.aval.str_short(), origin=self._origin()))

  def __bool__(self):
    raise self._concretization_error("bool() (an `if`, `while`, `and`/`or` or `not`)")

  def __int__(self):
    raise self._concretization_error("int()")

  def __float__(self):
    raise self._concretization_error("float()")

  def __complex__(self):
    raise self._concretization_error("complex()")

  def __index__(self):
    raise self._concretization_error("Using as a Python index (operator.index)")

  def item(self, *args):
    raise self._concretization_error(".item()")

  def tolist(self):
    raise self._concretization_error(".tolist()")

  def __array__(self, dtype=None, copy=None):
    raise TracerArrayConversionError(
        f"numpy conversion (np.asarray / np.array) of a traced value "
        f"{self.aval.str_short()}: numpy functions cannot run on values "
        f"being traced; use morphax.numpy instead.{self._origin()}")

  def __len__(self):
    if self.ndim == 0:
      raise TypeError("len() of unsized object (a 0-d array)")
    return self.shape[0]

  def __iter__(self):
    if self.ndim == 0:
      raise TypeError("iteration over a 0-d array")
    return (self[i] for i in range(self.shape[0]))

  __hash__ = None

  def __setitem__(self, index, value):
    raise TypeError(
        "morphax arrays are immutable: tracers do not support item assignment.\n"
        "Instead of\n    x[idx] = y\nwrite\n    x = x.at[idx].set(y)")

  def __repr__(self):
    return f"Traced<{self.aval.str_short()}>with<{type(self._trace).__name__}>"


class _TraceState(threading.local):
  def __init__(self):
    self.trace = _default_trace


_default_trace = None
_state = None


def set_default_trace(trace):
  """Installs the top-level (eager) trace; called once by the runtime."""
  global _default_trace, _state
  _default_trace = trace
  _state = _TraceState()


def current_trace():
  return _state.trace


def default_trace():
  return _default_trace


@contextlib.contextmanager
def set_current_trace(trace):
  """Makes `trace` the one `bind` dispatches to, inside the `with` block."""
  previous = _state.trace
  _state.trace = trace
  try:
    yield trace
  finally:
    _state.trace = previous
