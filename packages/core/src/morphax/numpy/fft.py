"""morphax.numpy.fft: discrete Fourier transforms (fft, rfft, fftn, ...),
on the fft primitive, with numpy.fft's signatures and jax.numpy's dtypes.
"""

import operator

import numpy as np

from .. import lax
from ..core import avals as avals_lib
from ..ops.fft import FftType
from . import _ufuncs, _util

__all__ = [
    "fft", "ifft", "rfft", "irfft", "hfft", "ihfft",
    "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn",
    "fftfreq", "rfftfreq", "fftshift", "ifftshift",
]

_NORMS = (None, "backward", "ortho", "forward")
NORM_MESSAGE = ("{name}: norm must be None, 'backward', 'ortho' or 'forward', "
                "got {norm!r}")
POINTS_MESSAGE = "{name}: invalid number of data points ({n}) specified"
S_AXES_MESSAGE = ("{name}: s and axes must have the same length, got s={s} and "
                  "axes={axes}")


def _crop_or_pad(x, axis, size):
  """`x` cut or zero-padded at the end of `axis` to length `size`."""
  have = x.shape[axis]
  if have > size:
    return _util.slice_axis(x, axis, 0, size)
  if have < size:
    config = [(0, 0, 0)] * x.ndim
    config[axis] = (0, size - have, 0)
    return lax.pad(x, np.zeros((), x.dtype), config)
  return x


def _to_end(x, axes):
  """`x` with `axes` moved, in order, to the end; and the inverse perm."""
  rest = [i for i in range(x.ndim) if i not in axes]
  perm = tuple(rest) + tuple(axes)
  return lax.transpose(x, perm), tuple(int(i) for i in np.argsort(perm))


def _norm_scale(name, norm, inverse, size):
  """The factor that turns lax.fft's 'backward' result into `norm`'s."""
  if norm not in _NORMS:
    raise ValueError(NORM_MESSAGE.format(name=name, norm=norm))
  if norm == "ortho":
    return np.sqrt(size) if inverse else 1 / np.sqrt(size)
  if norm == "forward":
    return size if inverse else 1 / size
  return 1


def _operand(name, a, fft_type):
  _util.check_arraylike(name, a)
  a = _util.ensure_array(a, name)
  dtype = a.dtype
  if fft_type == FftType.RFFT:
    if avals_lib.is_complex(dtype):
      # NB: numpy drops the imaginary part with a warning; JAX refuses.
      raise TypeError(f"{name} takes real input, got {dtype.name}")
    return _util.convert(a, _util.default_inexact(dtype), name=name)
  if not avals_lib.is_complex(dtype):
    dtype = _util.default_inexact(dtype)
    dtype = (avals_lib.complex128 if dtype == avals_lib.float64
             else avals_lib.complex64)
  return _util.convert(a, dtype, name=name)


def _fft_core(name, fft_type, a, s, axes, norm):
  """numpy.fft's n-dimensional transform of kind `fft_type` of `a` over
  `axes` (cut or zero-padded to `s`), as chunks of at most 3 axes."""
  a = _operand(name, a, fft_type)
  if s is not None:
    s = tuple(operator.index(n) for n in np.atleast_1d(s))
  if axes is None:
    axes = tuple(range(-len(s) if s is not None else -a.ndim, 0))
  axes = tuple(operator.index(ax) for ax in np.atleast_1d(axes))
  if s is not None and len(s) != len(axes):
    raise ValueError(S_AXES_MESSAGE.format(name=name, s=s, axes=axes))
  axes = tuple(_util.canonicalize_axis(name, ax, a.ndim) for ax in axes)
  if len(set(axes)) != len(axes):
    raise ValueError(f"{name}: repeated axes in {axes}")
  if not axes:
    return a
  if s is None:
    s = [a.shape[ax] for ax in axes]
    if fft_type == FftType.IRFFT:
      s[-1] = 2 * (a.shape[axes[-1]] - 1)
  for n in s:
    if n < 1:
      raise ValueError(POINTS_MESSAGE.format(name=name, n=n))
  in_s = list(s)
  if fft_type == FftType.IRFFT:
    in_s[-1] = s[-1] // 2 + 1
  for ax, n in zip(axes, in_s):
    a = _crop_or_pad(a, ax, n)
  x, inverse_perm = _to_end(a, axes)
  k = len(axes)
  s = tuple(s)
  if fft_type in (FftType.FFT, FftType.IFFT):
    # Separable: chunks of at most 3 axes, last ones first.
    for stop in range(k, 0, -3):
      start = max(stop - 3, 0)
      x = _over(x, fft_type, s[start:stop], k - stop)
  elif fft_type == FftType.RFFT:
    x = lax.fft(x, FftType.RFFT, s[-3:])
    for stop in range(k - 3, 0, -3):
      x = _over(x, FftType.FFT, s[max(stop - 3, 0):stop], k - stop)
  else:
    for stop in range(k - 3, 0, -3):
      x = _over(x, FftType.IFFT, s[max(stop - 3, 0):stop], k - stop)
    x = lax.fft(x, FftType.IRFFT, s[-3:])
  inverse = fft_type in (FftType.IFFT, FftType.IRFFT)
  scale = _norm_scale(name, norm, inverse, float(np.prod(s)))
  if scale != 1:
    x = lax.mul(x, float(scale))
  return lax.transpose(x, inverse_perm)


def _over(x, fft_type, lengths, trailing):
  """lax.fft over the `len(lengths)` axes that sit before the last
  `trailing` ones."""
  if trailing:
    n = x.ndim
    perm = (tuple(range(n - trailing - len(lengths)))
            + tuple(range(n - trailing, n))
            + tuple(range(n - trailing - len(lengths), n - trailing)))
    x = lax.transpose(lax.fft(lax.transpose(x, perm), fft_type, lengths),
                      tuple(int(i) for i in np.argsort(perm)))
    return x
  return lax.fft(x, fft_type, lengths)


def _one_axis(n, axis):
  return None if n is None else (n,), (axis,)


# --- 1-D ---------------------------------------------------------------------

def fft(a, n=None, axis=-1, norm=None):
  """The 1-D discrete Fourier transform along `axis`, like numpy.fft.fft.

  Args:
    a: input array (real input is converted to complex).
    n: length of the transform (the axis is cut or zero-padded to it).
    axis: the axis to transform.
    norm: 'backward' (default, no scaling), 'ortho' (1/sqrt(n)) or
      'forward' (1/n).

  Returns:
    A complex64 array (complex128 with x64 on) of a's shape with `n` on
    `axis`. Lowers to stablehlo.fft.

  Example: `fft(jnp.array([1., 0., 0., 0.]))` is [1, 1, 1, 1].
  """
  return _fft_core("fft", FftType.FFT, a, *_one_axis(n, axis), norm)


def ifft(a, n=None, axis=-1, norm=None):
  """The 1-D inverse discrete Fourier transform, like numpy.fft.ifft.

  Example: `ifft(fft(x))` is `x` (as complex).
  """
  return _fft_core("ifft", FftType.IFFT, a, *_one_axis(n, axis), norm)


def rfft(a, n=None, axis=-1, norm=None):
  """The 1-D transform of real input: the n // 2 + 1 non-negative
  frequencies, like numpy.fft.rfft.

  NB: complex input is a TypeError (numpy drops its imaginary part).

  Example: `rfft(jnp.ones(4))` is [4, 0, 0].
  """
  return _fft_core("rfft", FftType.RFFT, a, *_one_axis(n, axis), norm)


def irfft(a, n=None, axis=-1, norm=None):
  """The inverse of rfft: a real array of length `n` (default
  2 * (m - 1) for m input frequencies), like numpy.fft.irfft.

  Example: `irfft(rfft(x), n=x.shape[-1])` is `x`.
  """
  return _fft_core("irfft", FftType.IRFFT, a, *_one_axis(n, axis), norm)


_SWAP = {None: "forward", "backward": "forward", "ortho": "ortho",
         "forward": "backward"}


def _swapped(name, norm):
  if norm not in _NORMS:
    raise ValueError(NORM_MESSAGE.format(name=name, norm=norm))
  return _SWAP[norm]


def hfft(a, n=None, axis=-1, norm=None):
  """The transform of a signal with Hermitian symmetry (given by its
  non-negative frequencies): a real array of length `n`, like
  numpy.fft.hfft (irfft of conj(a), scaled the other way).

  Example: `hfft(ihfft(x), n=x.shape[-1])` is `x` for real x.
  """
  a = _operand("hfft", a, FftType.FFT)
  return _fft_core("hfft", FftType.IRFFT, lax.conj(a), *_one_axis(n, axis),
                   _swapped("hfft", norm))


def ihfft(a, n=None, axis=-1, norm=None):
  """The inverse of hfft: conj(rfft(a)) scaled the other way, like
  numpy.fft.ihfft."""
  out = _fft_core("ihfft", FftType.RFFT, a, *_one_axis(n, axis),
                  _swapped("ihfft", norm))
  return lax.conj(out)


# --- n-D ---------------------------------------------------------------------

def fftn(a, s=None, axes=None, norm=None):
  """The n-D discrete Fourier transform over `axes` (default: all, or the
  last len(s)), like numpy.fft.fftn. More than 3 axes run as several
  stablehlo.fft ops."""
  return _fft_core("fftn", FftType.FFT, a, s, axes, norm)


def ifftn(a, s=None, axes=None, norm=None):
  """The n-D inverse discrete Fourier transform, like numpy.fft.ifftn."""
  return _fft_core("ifftn", FftType.IFFT, a, s, axes, norm)


def rfftn(a, s=None, axes=None, norm=None):
  """The n-D transform of real input (the last axis halved), like
  numpy.fft.rfftn."""
  return _fft_core("rfftn", FftType.RFFT, a, s, axes, norm)


def irfftn(a, s=None, axes=None, norm=None):
  """The inverse of rfftn, like numpy.fft.irfftn (the last output length
  defaults to 2 * (m - 1))."""
  return _fft_core("irfftn", FftType.IRFFT, a, s, axes, norm)


def fft2(a, s=None, axes=(-2, -1), norm=None):
  """The 2-D discrete Fourier transform, like numpy.fft.fft2."""
  return _fft_core("fft2", FftType.FFT, a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
  """The 2-D inverse discrete Fourier transform, like numpy.fft.ifft2."""
  return _fft_core("ifft2", FftType.IFFT, a, s, axes, norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None):
  """The 2-D transform of real input, like numpy.fft.rfft2."""
  return _fft_core("rfft2", FftType.RFFT, a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None):
  """The inverse of rfft2, like numpy.fft.irfft2."""
  return _fft_core("irfft2", FftType.IRFFT, a, s, axes, norm)


# --- Frequencies and shifts ----------------------------------------------------

def _freq_dtype(name, dtype):
  if dtype is None:
    return avals_lib.default_float_dtype()
  dtype = _util.canonical_dtype(name, dtype)
  if not avals_lib.is_inexact(dtype):
    raise ValueError(f"{name}: dtype must be a float or complex dtype, got "
                     f"{np.dtype(dtype).name}")
  return dtype


def _int_n(name, n):
  try:
    return operator.index(n)
  except TypeError:
    raise ValueError(f"{name}: n must be an integer, got {n!r}") from None


def fftfreq(n, d=1.0, *, dtype=None, device=None):
  """The sample frequencies of an n-point fft with sample spacing `d`:
  [0, 1, ..., n/2-1, -n/2, ..., -1] / (d * n), like numpy.fft.fftfreq.

  Returns float32 by default (JAX's dtype; numpy gives float64).

  Example: `fftfreq(4)` is [0., 0.25, -0.5, -0.25].
  """
  n = _int_n("fftfreq", n)
  dtype = _freq_dtype("fftfreq", dtype)
  k = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
  return _scaled_freqs("fftfreq", k, d, n, dtype)


def _scaled_freqs(name, k, d, n, dtype):
  k = _util.convert(k.astype(dtype), dtype, name=name)
  if _util.is_array(d):
    return _ufuncs.true_divide(k, _ufuncs.multiply(d, np.asarray(n, dtype)))
  return _ufuncs.true_divide(k, np.asarray(d * n, dtype))


def rfftfreq(n, d=1.0, *, dtype=None, device=None):
  """The sample frequencies of an n-point rfft: [0, 1, ..., n // 2] /
  (d * n), like numpy.fft.rfftfreq (float32 by default)."""
  n = _int_n("rfftfreq", n)
  dtype = _freq_dtype("rfftfreq", dtype)
  return _scaled_freqs("rfftfreq", np.arange(0, n // 2 + 1), d, n, dtype)


def _roll(x, shifts, axes):
  for shift, ax in zip(shifts, axes):
    size = x.shape[ax]
    if size == 0:
      continue
    shift %= size
    if shift:
      x = lax.concatenate([_util.slice_axis(x, ax, size - shift, size),
                           _util.slice_axis(x, ax, 0, size - shift)], ax)
  return x


def _shift_axes(name, x, axes):
  _util.check_arraylike(name, x)
  x = _util.ensure_array(x, name)
  if axes is None:
    axes = tuple(range(x.ndim))
  axes = tuple(_util.canonicalize_axis(name, ax, x.ndim)
               for ax in np.atleast_1d(axes))
  return x, axes


def fftshift(x, axes=None):
  """Moves the zero-frequency term to the centre (rolls each axis by
  n // 2), like numpy.fft.fftshift.

  Example: `fftshift(fftfreq(4))` is [-0.5, -0.25, 0., 0.25].
  """
  x, axes = _shift_axes("fftshift", x, axes)
  return _roll(x, [x.shape[ax] // 2 for ax in axes], axes)


def ifftshift(x, axes=None):
  """The inverse of fftshift (rolls each axis by -(n // 2)), like
  numpy.fft.ifftshift."""
  x, axes = _shift_axes("ifftshift", x, axes)
  return _roll(x, [-(x.shape[ax] // 2) for ax in axes], axes)
