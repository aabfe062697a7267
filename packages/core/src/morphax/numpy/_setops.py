"""Set operations: unique (with size= under jit), union1d, intersect1d,
setdiff1d, setxor1d, isin.
"""

__all__ = []
