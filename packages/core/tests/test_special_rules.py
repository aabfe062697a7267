"""Transformation rules of ops/special.py's primitives (polygamma): its
derivative in x against finite differences, vmap against a loop, jit."""

import numpy as np
import pytest

import morphax
from morphax.ops.special import polygamma
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {"polygamma"}

X = np.array([0.7, 1.5, 3.0], np.float32)


@pytest.mark.parametrize("m", [0., 1., 2.])
def test_polygamma_rules(m):
  ms = np.full(3, m, np.float32)
  check_grads(lambda x: polygamma(ms, x), (X,), 1, eps=1e-3, tol=2e-2)
  got = morphax.vmap(polygamma)(np.stack([ms, ms + 1]), np.stack([X, X * 2]))
  want = np.stack([polygamma(ms, X), polygamma(ms + 1, X * 2)])
  np.testing.assert_allclose(got, want, rtol=1e-6)
  got = morphax.vmap(polygamma, in_axes=(None, 0))(ms, np.stack([X, X * 2]))
  np.testing.assert_allclose(got[1], polygamma(ms, X * 2), rtol=1e-6)
  np.testing.assert_allclose(morphax.jit(polygamma)(ms, X), polygamma(ms, X), rtol=1e-6)
