"""Reduction primitives: reduce_sum/max/min/prod/and/or/xor, argmax/argmin and
the cumulative reductions cumsum/cumprod/cummax/cummin/cumlogsumexp.
"""

__all__ = []
