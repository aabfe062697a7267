"""Where in the user's code an operation came from: the innermost frame
outside the morphax package, for error messages and jaxpr equations.
"""

import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_frame():
  """(filename, line) of the innermost caller outside morphax, or None."""
  frame = sys._getframe(1)
  while frame is not None:
    filename = frame.f_code.co_filename
    if not filename.startswith(_PACKAGE_DIR):
      return filename, frame.f_lineno
    frame = frame.f_back
  return None


def describe(info):
  return f"{info[0]}:{info[1]}" if info else "<unknown>"
