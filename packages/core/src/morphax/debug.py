"""morphax.debug: printing and callbacks that work inside transformations."""

from .ops.callback import debug_callback as callback  # noqa: F401
from .ops.callback import debug_print as print  # noqa: F401,A001
