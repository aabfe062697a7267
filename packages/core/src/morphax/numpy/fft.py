"""morphax.numpy.fft: discrete Fourier transforms (fft, rfft, fftn, ...),
on the fft primitive.
"""
