"""Comparisons, logical and bitwise primitives: eq/ne/lt/le/gt/ge, and/or/xor/not,
shifts, population_count and clz.
"""

__all__ = []
