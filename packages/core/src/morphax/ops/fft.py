"""The fft primitive: FFT, IFFT, RFFT and IRFFT over the trailing one to
three axes of an array (leading axes are batch axes), with all its rules.
"""

import enum

import numpy as np
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..core.avals import ShapedArray
from ..core.primitive import define_primitive
from . import elementwise, shape
from ._ad import deflinear
from ._checks import aval_of
from ._factories import moveaxis
from .convert import convert_element_type

__all__ = ["FftType", "fft"]


class FftType(enum.IntEnum):
  """Which transform `fft` computes (jax.lax.FftType's values)."""
  FFT = 0    # complex -> complex, forward
  IFFT = 1   # complex -> complex, inverse (divides by the length)
  RFFT = 2   # real -> the n // 2 + 1 non-negative frequencies
  IRFFT = 3  # those frequencies -> real of length n (divides by the length)


_TO_COMPLEX = {avals_lib.float32: avals_lib.complex64,
               avals_lib.float64: avals_lib.complex128}
_TO_REAL = {v: k for k, v in _TO_COMPLEX.items()}

FFT_TYPE_MESSAGE = (
    "fft: fft_type must be a lax.FftType or one of 'fft', 'ifft', 'rfft', "
    "'irfft', got {fft_type!r}")
FFT_LENGTHS_MESSAGE = (
    "fft: fft_lengths must be a sequence of 1 to 3 positive ints, got "
    "{fft_lengths!r}")
FFT_SHAPE_MESSAGE = (
    "fft: {fft_type} with fft_lengths={fft_lengths} needs an operand whose "
    "trailing dimensions are {want}, got shape {shape}")


def _fft_type(fft_type):
  if isinstance(fft_type, str):
    try:
      return FftType[fft_type.upper()]
    except KeyError:
      raise ValueError(FFT_TYPE_MESSAGE.format(fft_type=fft_type)) from None
  try:
    return FftType(fft_type)
  except ValueError:
    raise ValueError(FFT_TYPE_MESSAGE.format(fft_type=fft_type)) from None


def fft(x, fft_type, fft_lengths):
  """A fast Fourier transform over the trailing `len(fft_lengths)` axes.

  Args:
    x: the operand. FFT, IFFT and IRFFT take complex values (real ones are
      converted to complex first, as jax.lax.fft does); RFFT takes float32
      or float64.
    fft_type: a `FftType` or its name ('fft', 'ifft', 'rfft', 'irfft').
    fft_lengths: 1 to 3 transform lengths, one per trailing axis. For RFFT
      and FFT/IFFT they equal the trailing dims; for IRFFT they are the
      output's trailing dims (the operand's last dim is
      `fft_lengths[-1] // 2 + 1`).

  Returns:
    FFT/IFFT: an array of x's (complex) shape and dtype; RFFT: complex with
    last dim `n // 2 + 1`; IRFFT: real with trailing dims `fft_lengths`.
    Unnormalized forward transforms, inverse ones divided by the product
    of the lengths (numpy's 'backward' norm). Lowers to stablehlo.fft.

  Example: `fft(x, 'fft', x.shape[-1:])` is `np.fft.fft(x)` for complex x.
  """
  fft_type = _fft_type(fft_type)
  try:
    fft_lengths = tuple(int(n) for n in fft_lengths)
  except TypeError:
    raise TypeError(FFT_LENGTHS_MESSAGE.format(fft_lengths=fft_lengths)) from None
  dtype = aval_of(x).dtype
  if fft_type == FftType.RFFT:
    if avals_lib.is_complex(dtype):
      raise TypeError(f"fft: RFFT takes a real (float) operand, got {dtype.name}")
    if not avals_lib.is_float(dtype) or dtype not in _TO_COMPLEX:
      x = convert_element_type(x, avals_lib.default_float_dtype())
  elif not avals_lib.is_complex(dtype):
    if dtype not in _TO_COMPLEX:
      x = convert_element_type(x, avals_lib.default_float_dtype())
    x = convert_element_type(x, _TO_COMPLEX[aval_of(x).dtype])
  return fft_p.bind(x, fft_type=fft_type, fft_lengths=fft_lengths)


def _fft_abstract_eval(x, *, fft_type, fft_lengths):
  if not 1 <= len(fft_lengths) <= 3 or any(n < 1 for n in fft_lengths):
    raise ValueError(FFT_LENGTHS_MESSAGE.format(fft_lengths=fft_lengths))
  k = len(fft_lengths)
  if x.ndim < k:
    raise ValueError(FFT_SHAPE_MESSAGE.format(
        fft_type=fft_type.name, fft_lengths=fft_lengths, want=fft_lengths,
        shape=x.shape))
  batch, trailing = x.shape[:-k], x.shape[-k:]
  if fft_type == FftType.RFFT:
    if x.dtype not in _TO_COMPLEX:
      raise TypeError(f"fft: RFFT takes float32 or float64, got {x.dtype.name}")
    want = fft_lengths
    out = ShapedArray(batch + fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,),
                      _TO_COMPLEX[x.dtype])
  else:
    if x.dtype not in _TO_REAL:
      raise TypeError(f"fft: {fft_type.name} takes complex64 or complex128, "
                      f"got {x.dtype.name}")
    if fft_type == FftType.IRFFT:
      want = fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,)
      out = ShapedArray(batch + fft_lengths, _TO_REAL[x.dtype])
    else:
      want = fft_lengths
      out = ShapedArray(x.shape, x.dtype)
  if trailing != want:
    raise ValueError(FFT_SHAPE_MESSAGE.format(
        fft_type=fft_type.name, fft_lengths=fft_lengths, want=want,
        shape=x.shape))
  return out


def _fft_lower(ctx, x, *, fft_type, fft_lengths):
  return hlo.fft(x, hlo.FftTypeAttr.get(fft_type.name), list(fft_lengths))


def _rfft_transpose(ct, lengths):
  # rfft(x) = fft(complex(x))[..., :n // 2 + 1]; the transpose of that
  # chain is: zero-pad ct back to n, FFT (a symmetric matrix, so its own
  # transpose), then the transpose of real -> complex, which is real().
  n = lengths[-1]
  ndim = aval_of(ct).ndim
  config = [(0, 0, 0)] * (ndim - 1) + [(0, n - (n // 2 + 1), 0)]
  padded = shape.pad(ct, np.zeros((), aval_of(ct).dtype), config)
  return elementwise.real(fft_p.bind(padded, fft_type=FftType.FFT,
                                     fft_lengths=lengths))


def _irfft_transpose(ct, lengths):
  # irfft(X)_k = (1/N) Re(sum_j m_j X_j e^{+i theta_jk}) with m_j = 2 for the
  # frequencies whose conjugate partner is left out of X, else 1. Pairing
  # cotangents as Re(ct_X * dX) (JAX's convention) gives
  # ct_X = (m / N) conj(rfft(ct)).
  n = lengths[-1]
  spectrum = fft_p.bind(ct, fft_type=FftType.RFFT, fft_lengths=lengths)
  m = np.full(n // 2 + 1, 2.0)
  m[0] = 1.0
  if n % 2 == 0:
    m[-1] = 1.0
  dtype = aval_of(spectrum).dtype
  scale = (m / np.prod(lengths)).astype(dtype)
  return elementwise.conj(elementwise.mul(
      spectrum, shape.broadcast_in_dim(scale, aval_of(spectrum).shape,
                                       (aval_of(spectrum).ndim - 1,))))


def _fft_transpose(ct, x, *, fft_type, fft_lengths):
  if fft_type == FftType.RFFT:
    return [_rfft_transpose(ct, fft_lengths)]
  if fft_type == FftType.IRFFT:
    return [_irfft_transpose(ct, fft_lengths)]
  # The DFT matrix (and its inverse) is symmetric: each is its own transpose.
  return [fft_p.bind(ct, fft_type=fft_type, fft_lengths=fft_lengths)]


def _fft_batch(vals, dims, *, fft_type, fft_lengths):
  (x,), (d,) = vals, dims
  # Every axis before the transformed ones is a batch axis already.
  return fft_p.bind(moveaxis(x, d, 0), fft_type=fft_type,
                    fft_lengths=fft_lengths), 0


fft_p = define_primitive("fft", abstract_eval=_fft_abstract_eval,
                         lower=_fft_lower, batch=_fft_batch)
deflinear(fft_p, _fft_transpose)
