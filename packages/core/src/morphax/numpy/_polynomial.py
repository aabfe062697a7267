"""Polynomials, interpolation and 1-D convolution (polyval, polyfit,
interp, convolve, correlate).
"""

__all__ = []
