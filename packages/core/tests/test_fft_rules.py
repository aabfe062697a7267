"""Transformation rules of the fft primitive: one row per transform type and
length, checked for derivatives (finite differences and the dot-product
test of the transpose), vmap against a Python loop, and jit against eager."""

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax import lax
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {"fft"}

RNG = np.random.default_rng(1)


def real(*shape):
  return RNG.standard_normal(shape).astype(np.float32)


def cplx(*shape):
  return (real(*shape) + 1j * real(*shape)).astype(np.complex64)


ROWS = [
    ("fft", cplx(2, 6), (6,)),
    ("ifft", cplx(2, 6), (6,)),
    ("fft", cplx(3, 4), (3, 4)),
    ("ifft", cplx(2, 2, 3), (2, 2, 3)),
    ("rfft", real(2, 6), (6,)),
    ("rfft", real(2, 5), (5,)),
    ("rfft", real(3, 4), (3, 4)),
    ("irfft", cplx(2, 4), (6,)),
    ("irfft", cplx(2, 4), (7,)),
    ("irfft", cplx(3, 3), (3, 4)),
    ("irfft", cplx(2, 3, 3), (2, 3, 5)),
]
IDS = [f"{r[0]}-{r[2]}" for r in ROWS]


@pytest.mark.parametrize("fft_type, x, lengths", ROWS, ids=IDS)
def test_derivatives(fft_type, x, lengths):
  check_grads(lambda x: lax.fft(x, fft_type, lengths), (x,), 2)


@pytest.mark.parametrize("fft_type, x, lengths", ROWS, ids=IDS)
def test_transpose_is_adjoint(fft_type, x, lengths):
  # <ct, F v> = <F^T ct, v> with cotangents paired as Re(ct * t).
  f = lambda x: lax.fft(x, fft_type, lengths)
  out = f(x)
  ct = (np.asarray(cplx(*out.shape)) if np.iscomplexobj(out)
        else real(*out.shape))
  (back,) = morphax.vjp(f, x)[1](ct)
  lhs = np.real(np.sum(ct * np.asarray(f(x))))
  rhs = np.real(np.sum(np.asarray(back) * x))
  np.testing.assert_allclose(lhs, rhs, rtol=1e-4)


@pytest.mark.parametrize("fft_type, x, lengths", ROWS, ids=IDS)
@pytest.mark.parametrize("in_axis", [0, -1])
def test_vmap_and_jit(fft_type, x, lengths, in_axis):
  f = lambda x: lax.fft(x, fft_type, lengths)
  batch = np.stack([x, 2 * x + 1], axis=in_axis)
  got = morphax.vmap(f, in_axes=in_axis)(batch)
  want = np.stack([np.asarray(f(np.take(batch, b, axis=in_axis))) for b in range(2)])
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(morphax.jit(f)(x), f(x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name, kwargs, make", [
    ("fft", {"norm": "ortho"}, lambda: cplx(3, 4)),
    ("rfft2", {}, lambda: real(3, 4)),
    ("irfftn", {"s": (3, 5)}, lambda: cplx(3, 3)),
    ("hfft", {"n": 5}, lambda: cplx(4)),
    ("fftn", {"axes": (0, 1, 2, 3)}, lambda: cplx(2, 2, 2, 2)),
])
def test_numpy_fft_grads(name, kwargs, make):
  f = getattr(jnp.fft, name)
  check_grads(lambda x: f(x, **kwargs), (make(),), 1)


def test_grad_of_power_spectrum():
  # d/dx sum |rfft(x)|^2 against the closed form through irfft's weights.
  x = real(8)
  g = morphax.grad(lambda x: jnp.sum(jnp.abs(jnp.fft.fft(x)) ** 2))(x)
  np.testing.assert_allclose(g, 2 * 8 * x, rtol=1e-4, atol=1e-4)
