"""morphax.numpy.fft and lax.fft against numpy.fft: one row per function
with its arguments, checked eagerly, under jit and under vmap."""

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax import lax

PRIMITIVES_COVERED = {"fft"}

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5, 6)).astype(np.float32)
C = (X + 1j * RNG.standard_normal(X.shape)).astype(np.complex64)
REAL_IN = {"rfft", "ihfft", "rfft2", "rfftn"}

ROWS = [
    ("fft", {}), ("fft", {"norm": "ortho"}), ("fft", {"n": 7, "axis": 1}),
    ("fft", {"n": 3, "axis": 0, "norm": "forward"}),
    ("ifft", {}), ("ifft", {"norm": "forward"}), ("ifft", {"n": 2, "axis": -2}),
    ("rfft", {}), ("rfft", {"norm": "ortho"}), ("rfft", {"n": 9, "axis": 2}),
    ("irfft", {}), ("irfft", {"n": 7}), ("irfft", {"norm": "forward", "axis": 1}),
    ("hfft", {}), ("hfft", {"n": 5, "norm": "ortho"}),
    ("ihfft", {}), ("ihfft", {"norm": "forward"}),
    ("fft2", {}), ("fft2", {"s": (3, 5), "axes": (0, 2), "norm": "ortho"}),
    ("ifft2", {}), ("rfft2", {"axes": (1, 0)}), ("irfft2", {"s": (4, 7)}),
    ("fftn", {}), ("fftn", {"axes": (2, 0)}), ("ifftn", {"s": (2, 3, 4, 5), "axes": (0, 1, 2, 3)}),
    ("rfftn", {}), ("rfftn", {"axes": (0, 1)}), ("irfftn", {}),
    ("irfftn", {"s": (5, 4), "axes": (1, 3), "norm": "forward"}),
]


def _close(got, want, dtype):
  assert got.dtype == dtype, (got.dtype, dtype)
  assert got.shape == want.shape
  scale = max(1.0, float(np.abs(want).max(initial=0)))
  np.testing.assert_allclose(np.asarray(got) / scale, want / scale, atol=2e-6)


@pytest.mark.parametrize("name, kwargs", ROWS, ids=[f"{r[0]}-{i}" for i, r in enumerate(ROWS)])
def test_numpy_fft(name, kwargs):
  a = X if name in REAL_IN else C
  want = getattr(np.fft, name)(a, **kwargs)
  dtype = np.complex64 if np.iscomplexobj(want) else np.float32
  f = getattr(jnp.fft, name)
  _close(f(a, **kwargs), want, dtype)
  _close(morphax.jit(lambda a: f(a, **kwargs))(a), want, dtype)


@pytest.mark.parametrize("name, kwargs", [("fft", {}), ("rfft2", {}),
                                          ("irfftn", {"axes": (1, 2)})])
def test_numpy_fft_vmap(name, kwargs):
  a = X if name in REAL_IN else C
  f = getattr(jnp.fft, name)
  got = morphax.vmap(lambda a: f(a, **kwargs), in_axes=1)(a)
  want = np.stack([getattr(np.fft, name)(a[:, i], **kwargs) for i in range(a.shape[1])])
  _close(got, want, np.complex64 if np.iscomplexobj(want) else np.float32)


def test_int_and_float_inputs_become_complex64():
  assert jnp.fft.fft(np.arange(4)).dtype == np.complex64
  assert jnp.fft.rfft(np.arange(4)).dtype == np.complex64
  np.testing.assert_allclose(jnp.fft.fft(np.arange(4)), np.fft.fft(np.arange(4)),
                             atol=1e-5)


@pytest.mark.parametrize("n, d", [(1, 1.0), (4, 1.0), (5, 0.1), (8, 2.0)])
def test_freqs_and_shifts(n, d):
  got = jnp.fft.fftfreq(n, d)
  assert got.dtype == np.float32
  np.testing.assert_allclose(got, np.fft.fftfreq(n, d), rtol=1e-6)
  np.testing.assert_allclose(jnp.fft.rfftfreq(n, d), np.fft.rfftfreq(n, d), rtol=1e-6)
  np.testing.assert_allclose(jnp.fft.fftfreq(n, jnp.asarray(d)),
                             np.fft.fftfreq(n, d), rtol=1e-6)
  x = X[..., :n] if n <= 6 else X
  for axes in (None, 1, (0, -1)):
    np.testing.assert_array_equal(jnp.fft.fftshift(x, axes), np.fft.fftshift(x, axes))
    np.testing.assert_array_equal(jnp.fft.ifftshift(x, axes), np.fft.ifftshift(x, axes))


def test_fftshift_of_fftfreq_is_sorted():
  np.testing.assert_allclose(jnp.fft.fftshift(jnp.fft.fftfreq(5)),
                             np.sort(np.fft.fftfreq(5)), rtol=1e-6)


def test_fftfreq_dtype():
  assert jnp.fft.fftfreq(4, dtype=np.complex64).dtype == np.complex64
  with pytest.raises(ValueError, match="fftfreq: dtype must be a float"):
    jnp.fft.fftfreq(4, dtype=np.int32)
  with pytest.raises(ValueError, match="fftfreq: n must be an integer"):
    jnp.fft.fftfreq(4.5)


# --- lax.fft ---------------------------------------------------------------------

LAX_ROWS = [
    ("fft", C, (6,), lambda a: np.fft.fft(a)),
    ("ifft", C, (5, 6), lambda a: np.fft.ifft2(a)),
    ("fft", C[0], (4, 5, 6), lambda a: np.fft.fftn(a)),
    (lax.FftType.RFFT, X, (6,), lambda a: np.fft.rfft(a)),
    ("RFFT", X, (4, 5, 6), lambda a: np.fft.rfftn(a, axes=(1, 2, 3))),
    ("irfft", C[..., :4], (6,), lambda a: np.fft.irfft(a, 6)),
    ("irfft", C[..., :4], (5, 7), lambda a: np.fft.irfft2(a, (5, 7))),
    ("fft", C[0, 0, 0], (6,), lambda a: np.fft.fft(a)),
]


@pytest.mark.parametrize("fft_type, a, lengths, ref", LAX_ROWS)
def test_lax_fft(fft_type, a, lengths, ref):
  want = ref(a)
  dtype = np.complex64 if np.iscomplexobj(want) else np.float32
  _close(lax.fft(a, fft_type, lengths), want, dtype)


def test_lax_fft_converts_real_to_complex():
  out = lax.fft(X, "fft", (6,))
  assert out.dtype == np.complex64
  _close(out, np.fft.fft(X), np.complex64)


ERRORS = [
    (lambda: lax.fft(C, "dft", (6,)), ValueError, "fft_type must be a lax.FftType"),
    (lambda: lax.fft(C, 7, (6,)), ValueError, "fft_type must be a lax.FftType"),
    (lambda: lax.fft(C, "fft", (1, 2, 3, 4)), ValueError, "1 to 3 positive ints"),
    (lambda: lax.fft(C, "fft", 6), TypeError, "1 to 3 positive ints"),
    (lambda: lax.fft(C, "fft", (5,)), ValueError,
     r"trailing dimensions are \(5,\), got shape \(3, 4, 5, 6\)"),
    (lambda: lax.fft(C, "irfft", (6,)), ValueError,
     r"trailing dimensions are \(4,\)"),
    (lambda: lax.fft(C, "rfft", (6,)), TypeError, "RFFT takes a real"),
    (lambda: jnp.fft.fft(C, norm="unitary"), ValueError,
     "fft: norm must be None, 'backward', 'ortho' or 'forward'"),
    (lambda: jnp.fft.rfft(C), TypeError, "rfft takes real input, got complex64"),
    (lambda: jnp.fft.fft(C, n=0), ValueError, r"invalid number of data points \(0\)"),
    (lambda: jnp.fft.fftn(C, s=(2, 3), axes=(0,)), ValueError,
     "s and axes must have the same length"),
    (lambda: jnp.fft.fft2(C, axes=(1, 1)), ValueError, "fft2: repeated axes"),
    (lambda: jnp.fft.fft(C, axis=4), ValueError, "fft: axis 4 is out of bounds"),
    (lambda: jnp.fft.fft([1.0, 2.0]), TypeError, "fft requires ndarray or scalar"),
]


@pytest.mark.parametrize("f, error, message", ERRORS)
def test_errors(f, error, message):
  with pytest.raises(error, match=message):
    f()
