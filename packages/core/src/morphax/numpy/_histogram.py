"""Counting and binning: bincount, histogram, digitize.
"""

__all__ = []
