"""Sorting and searching: sort, argsort, lexsort, partition, searchsorted,
nonzero/argwhere with size=.
"""

__all__ = []
