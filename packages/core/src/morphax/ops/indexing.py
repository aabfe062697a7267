"""Gather and scatter primitives (with JAX's dimension numbers and modes):
gather, scatter, scatter_add/mul/min/max.
"""

__all__ = []
