"""Where in the user's code an operation came from: the innermost frame
outside the morphax package, for error messages and jaxpr equations.

While a transformation replays an equation (evaluating a jaxpr, or
transposing it in a backward pass), it sets that equation's source as the
current one, so the operations it emits keep pointing at the user's line
rather than at the transformation's caller.
"""

import contextlib
import os
import sys
import threading

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Current(threading.local):
  info = None
  backward = False


_current = _Current()


def user_frame():
  """(filename, line) of the operation being built: the replayed
  equation's if any, else the innermost caller outside morphax."""
  if _current.info is not None:
    return _current.info[:2]
  frame = sys._getframe(1)
  while frame is not None:
    filename = frame.f_code.co_filename
    if not filename.startswith(_PACKAGE_DIR):
      return filename, frame.f_lineno
    frame = frame.f_back
  return None


def in_backward_pass():
  return _current.backward


def staged_frame():
  """user_frame() for a staged equation: (file, line, in_backward_pass)."""
  info = user_frame()
  if info is None:
    return None
  return (info[0], info[1], _current.backward)


def is_backward(info):
  return bool(info) and len(info) > 2 and info[2]


@contextlib.contextmanager
def replaying(info, backward=None):
  """Operations emitted inside come from `info` (a (file, line) or None:
  no change); `backward` marks a backward pass (transposition)."""
  if info is None and backward is None:
    yield
    return
  saved = _current.info, _current.backward
  if info is not None:
    _current.info = info
  if backward is not None:
    _current.backward = backward
  try:
    yield
  finally:
    _current.info, _current.backward = saved


def describe(info):
  return f"{info[0]}:{info[1]}" if info else "<unknown>"
