"""Windowed reductions: reduce_window for sum, max and min.

"""

__all__ = []
