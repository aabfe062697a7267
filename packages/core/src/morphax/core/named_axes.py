"""Named axes: the axis names in scope while tracing (vmap and pmap bind
them) and the replica groups collectives lower to inside a pmap program.
"""

import contextlib
import threading

UNBOUND_AXIS_MESSAGE = (
    "{where}: unbound axis name {name!r}. Names in scope: {scope}. A collective "
    "needs its axis_name bound by an enclosing pmap(f, axis_name=...) or "
    "vmap(f, axis_name=...).")


class AxisFrame:
  """One bound axis: its name, its size and which transformation bound it
  ('vmap' or 'pmap')."""
  __slots__ = ("name", "size", "kind")

  def __init__(self, name, size, kind):
    self.name = name
    self.size = size
    self.kind = kind

  def __repr__(self):
    return f"AxisFrame({self.name!r}, size={self.size}, {self.kind})"


class _State(threading.local):
  def __init__(self):
    self.frames = []        # innermost last
    self.key = ()           # ((name, size, kind), ...): part of jit's cache key
    self.lowering = None    # the LoweringAxes of the program being lowered
    self.batching = None    # the AxisFrame of the vmap running a batch rule


_state = _State()


@contextlib.contextmanager
def extend(name, size, kind):
  """Binds axis `name` of `size` inside the block (None binds nothing)."""
  if name is None:
    yield None
    return
  frame = AxisFrame(name, size, kind)
  previous_key = _state.key
  _state.frames.append(frame)
  _state.key = previous_key + ((name, size, kind),)
  try:
    yield frame
  finally:
    _state.frames.remove(frame)
    _state.key = previous_key


def scope_key():
  """The bound axes as a hashable value: a function traced under other
  axes (sizes differ, so shapes of all_gather and pmean differ) retraces."""
  return _state.key


def names_in_scope():
  return [f.name for f in _state.frames]


def lookup(name, where="collective"):
  """The innermost frame binding `name`; NameError if none does."""
  for frame in reversed(_state.frames):
    if frame.name == name:
      return frame
  raise NameError(UNBOUND_AXIS_MESSAGE.format(
      where=where, name=name, scope=names_in_scope() or "none"))


def axis_size(axis_name, where="axis_size"):
  """The product of the sizes of the named axes (a name or a tuple)."""
  names = axis_name if isinstance(axis_name, (tuple, list)) else (axis_name,)
  size = 1
  for name in names:
    size *= lookup(name, where).size
  return size


# --- The vmap that is running a batch rule ------------------------------------

@contextlib.contextmanager
def batching(frame):
  """Inside the block, batch rules of collectives see `frame` as the axis
  being vectorized (BatchTrace sets it around a collective's rule)."""
  previous = _state.batching
  _state.batching = frame
  try:
    yield frame
  finally:
    _state.batching = previous


def batching_frame():
  return _state.batching


# --- Lowering a replicated program ----------------------------------------------

class LoweringAxes:
  """The pmap axis of a module being lowered: its name and its size (the
  number of replicas)."""
  __slots__ = ("name", "size")

  def __init__(self, name, size):
    self.name = name
    self.size = size


@contextlib.contextmanager
def lowering(axes):
  """Makes `axes` the replica axis collectives lower against."""
  previous = _state.lowering
  _state.lowering = axes
  try:
    yield axes
  finally:
    _state.lowering = previous


def lowering_axes(names, where):
  """The LoweringAxes collectives over `names` lower to; a name that is not
  the program's pmap axis raises NameError."""
  axes = _state.lowering
  for name in names:
    if axes is None or name != axes.name:
      scope = [axes.name] if axes is not None else "none"
      raise NameError(UNBOUND_AXIS_MESSAGE.format(where=where, name=name, scope=scope))
  return axes
