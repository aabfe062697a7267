"""Traces and tracers, and the current-trace context `bind` dispatches to.

At top level the current trace is the eager one, installed by the runtime.
"""

import contextlib
import threading


class Trace:
  """Interprets primitives applied to its tracers."""

  def process_primitive(self, primitive, args, params):
    raise NotImplementedError


class Tracer:
  """A value a trace stands in for; it knows its trace and its aval."""
  __slots__ = ("_trace",)
  __array_priority__ = 1000

  @property
  def aval(self):
    raise NotImplementedError


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


@contextlib.contextmanager
def set_current_trace(trace):
  """Makes `trace` the one `bind` dispatches to, inside the `with` block."""
  previous = _state.trace
  _state.trace = trace
  try:
    yield trace
  finally:
    _state.trace = previous
