"""morphax.lax.linalg: the decomposition primitives' public functions."""

from ..ops.linalg_decomp import *  # noqa: F401,F403
