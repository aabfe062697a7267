"""The fft primitive (FFT, IFFT, RFFT, IRFFT over trailing axes).
"""

__all__ = []
