"""Transformation rules of the incomplete gamma/beta and zeta primitives:
jvp (in x, and in a through igamma_grad_a) against finite differences,
vmap against a Python loop, jit against eager, and the not-differentiable
ones raising a clear error."""

import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {"igamma", "igammac", "igamma_grad_a", "random_gamma_grad",
                      "regularized_incomplete_beta", "zeta"}

A = np.array([0.7, 2.5, 6.], np.float32)
X = np.array([0.5, 4., 5.], np.float32)  # series and fraction branches


@pytest.mark.parametrize("f", [lax.igamma, lax.igammac])
def test_igamma_grads(f):
  check_grads(lambda x: f(A, x), (X,), 1, eps=1e-2, tol=2e-2)
  check_grads(lambda a: f(a, X), (A,), 1, eps=1e-2, tol=2e-2)


FUNCS = [
    ("igamma", lax.igamma, (A, X)),
    ("igammac", lax.igammac, (A, X)),
    ("igamma_grad_a", lax.igamma_grad_a, (A, X)),
    ("random_gamma_grad", lax.random_gamma_grad, (A, X)),
    ("betainc", lax.betainc, (A, A[::-1].copy(), np.float32([0.2, 0.5, 0.9]))),
    ("zeta", lax.zeta, (A + 1.5, X)),
]


@pytest.mark.parametrize("name, f, args", FUNCS, ids=[r[0] for r in FUNCS])
def test_vmap_and_jit(name, f, args):
  stacked = [np.stack([a, a[::-1]]) for a in args]
  got = morphax.jit(morphax.vmap(f))(*stacked)
  want = np.stack([f(*[s[i] for s in stacked]) for i in range(2)])
  np.testing.assert_allclose(got, want, rtol=1e-6)
  # An unbatched first operand is broadcast against the batched rest.
  got = morphax.vmap(f, in_axes=(None,) + (0,) * (len(args) - 1))(args[0], *stacked[1:])
  np.testing.assert_allclose(got[1], f(args[0], *[s[1] for s in stacked[1:]]), rtol=1e-6)


def test_betainc_and_zeta_grads():
  b = np.array([1.5, 3., 0.8], np.float32)
  check_grads(lambda x: lax.betainc(A, b, x), (np.float32([0.2, 0.5, 0.7]),), 1,
              eps=1e-3, tol=2e-2)
  check_grads(lambda q: lax.zeta(A + 1.5, q), (X,), 1, eps=1e-3, tol=2e-2)


@pytest.mark.parametrize("f, match", [
    (lambda a: lax.igamma_grad_a(a, X), "igamma_grad_a: its derivatives are not implemented"),
    (lambda a: lax.random_gamma_grad(a, X), "random_gamma_grad: its derivatives"),
    (lambda a: lax.betainc(a, A, np.float32([.2, .5, .9])), "betainc: the derivative with respect to a and b"),
    (lambda a: lax.zeta(a + 1.5, X), "zeta: the derivative with respect to the exponent"),
])
def test_not_differentiable_arguments_raise(f, match):
  with pytest.raises(NotImplementedError, match=match):
    morphax.grad(lambda a: f(a).sum())(A)
