"""morphax.scipy.stats."""

from . import norm  # noqa: F401
