"""morphax.numpy's window functions (bartlett, blackman, hamming, hanning,
kaiser) against numpy, under jit, vmap and grad."""

import hypothesis
import hypothesis.strategies as st
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads

WINDOWS = ["bartlett", "blackman", "hamming", "hanning"]


def check(out, expected, atol=2e-6, rtol=1e-5):
  assert isinstance(out, morphax.Array), type(out)
  assert out.dtype == np.float32
  assert out.shape == np.shape(expected)
  np.testing.assert_allclose(np.asarray(out), expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("M", [0, 1, 2, 5, 8])
def test_window_matches_numpy(name, M):
  check(getattr(jnp, name)(M), getattr(np, name)(M))


@pytest.mark.parametrize("M,beta", [(0, 1.0), (1, 2.0), (2, 0.5), (5, 3.0),
                                    (8, 0.0), (12, 8.6), (7, 14.0)])
def test_kaiser_matches_numpy(M, beta):
  check(jnp.kaiser(M, beta), np.kaiser(M, beta), rtol=2e-5)


@hypothesis.settings(max_examples=6)
@hypothesis.given(st.integers(1, 20).map(lambda k: 2 * k + 1), st.sampled_from(WINDOWS))
def test_odd_windows_are_symmetric_and_peak_at_one(M, name):
  w = np.asarray(getattr(jnp, name)(M))
  np.testing.assert_allclose(w, w[::-1], atol=1e-6)
  assert abs(w.max() - 1) < 1e-6 and w.shape == (M,)
  np.testing.assert_allclose(w, getattr(np, name)(M), atol=2e-6)


def test_windows_under_jit_with_static_length():
  f = morphax.jit(lambda beta: (jnp.hanning(6), jnp.kaiser(6, beta)))
  h, k = f(4.0)
  check(h, np.hanning(6))
  check(k, np.kaiser(6, 4.0), rtol=2e-5)


def test_kaiser_vmaps_over_beta():
  betas = np.array([0.5, 2.0, 6.0], np.float32)
  out = morphax.vmap(lambda b: jnp.kaiser(5, b))(betas)
  check(out, np.stack([np.kaiser(5, b) for b in betas]), rtol=2e-5)


def test_kaiser_grad_in_beta():
  check_grads(lambda b: jnp.kaiser(6, b), (2.5,), order=1, tol=2e-2)
  g = morphax.grad(lambda b: jnp.kaiser(5, b).sum())(3.0)
  eps = 1e-3
  fd = (np.kaiser(5, 3.0 + eps).sum() - np.kaiser(5, 3.0 - eps).sum()) / (2 * eps)
  np.testing.assert_allclose(g, fd, rtol=1e-3)


def test_window_length_errors():
  with pytest.raises(TypeError, match="hamming: M .* must be a concrete integer"):
    jnp.hamming(2.5)
  with pytest.raises(TypeError, match="kaiser: M .* cannot be a traced value"):
    morphax.jit(lambda m: jnp.kaiser(m, 1.0))(4)
  with pytest.raises(ValueError, match=r"kaiser: beta must be a scalar, got shape \(2,\)"):
    jnp.kaiser(4, np.ones(2))
  assert jnp.bartlett(np.int64(3)).shape == (3,)
  assert jnp.blackman(4.0).shape == (4,)
