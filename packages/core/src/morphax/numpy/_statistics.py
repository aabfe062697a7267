"""nan-aware reductions, statistics (median, quantile, average, ...) and
cumulative functions (cumsum, diff, ...).
"""

__all__ = []
