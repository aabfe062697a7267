"""morphax.scipy: SciPy's special functions, linear algebra and stats on
morphax arrays."""

from . import linalg, special, stats  # noqa: F401
