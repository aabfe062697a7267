"""morphax.nn against numpy/scipy formulas: one row per activation with
inputs up to large |x| (stability), eager, jit, vmap and derivatives."""

import numpy as np
import pytest
import scipy.special as ss

import morphax
import morphax.nn as nn
from morphax.test_util import check_grads

X = np.array([-100., -7., -3., -1., -0.5, 0.5, 1., 3., 5.5, 7., 100.], np.float32)
SMOOTH = np.array([-2.2, -0.7, 0.4, 1.3], np.float32)  # away from kinks
A, S = 1.6732632423543772, 1.0507009873554805

ROWS = [
    ("relu", nn.relu, lambda x: np.maximum(x, 0)),
    ("relu6", nn.relu6, lambda x: np.clip(x, 0, 6)),
    ("sigmoid", nn.sigmoid, ss.expit),
    ("softplus", nn.softplus, lambda x: np.logaddexp(x, 0)),
    ("log_sigmoid", nn.log_sigmoid, lambda x: -np.logaddexp(-x, 0)),
    ("silu", nn.silu, lambda x: x * ss.expit(x)),
    ("gelu", nn.gelu, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    ("gelu_exact", lambda x: nn.gelu(x, approximate=False), lambda x: x * ss.ndtr(x)),
    ("soft_sign", nn.soft_sign, lambda x: x / (np.abs(x) + 1)),
    ("elu", nn.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    ("selu", nn.selu, lambda x: S * np.where(x > 0, x, A * np.expm1(np.minimum(x, 0)))),
    ("celu", lambda x: nn.celu(x, 2.0), lambda x: np.where(x > 0, x, 2 * np.expm1(np.minimum(x, 0) / 2))),
    ("leaky_relu", nn.leaky_relu, lambda x: np.where(x >= 0, x, 0.01 * x)),
    ("hard_tanh", nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    ("hard_sigmoid", nn.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hard_silu", nn.hard_silu, lambda x: x * np.clip(x + 3, 0, 6) / 6),
]


@pytest.mark.parametrize("name, f, ref", ROWS, ids=[r[0] for r in ROWS])
def test_activation(name, f, ref):
  want = ref(X.astype(np.float64))
  for got in (f(X), morphax.jit(f)(X), morphax.vmap(f)(X)):
    assert np.asarray(got).dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)
  g = morphax.vmap(morphax.grad(f))(X)
  assert np.all(np.isfinite(np.asarray(g))), name
  check_grads(f, (SMOOTH,), 2)


def test_gradients_at_kinks_follow_jax():
  grad = lambda f, x: float(morphax.grad(f)(x))
  assert grad(nn.relu, 0.) == 0.
  assert grad(nn.relu6, 0.) == 0. and grad(nn.relu6, 6.) == 0.
  assert grad(nn.softplus, 0.) == pytest.approx(0.5)
  assert grad(nn.elu, 0.) == pytest.approx(1.0)
  assert grad(nn.leaky_relu, 0.) == 1.0


@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
def test_softmax_family(axis):
  x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32) * 40
  np.testing.assert_allclose(nn.softmax(x, axis), ss.softmax(x.astype(np.float64), axis),
                             rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(nn.log_softmax(x, axis), ss.log_softmax(x.astype(np.float64), axis),
                             rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(nn.logsumexp(x, axis), ss.logsumexp(x.astype(np.float64), axis),
                             rtol=1e-6)
  check_grads(lambda x: nn.softmax(x, axis), (x / 40,), 2)
  check_grads(lambda x: nn.log_softmax(x, axis), (x / 40,), 2)


def test_softmax_where():
  x = np.array([[1., 2., 3.], [4., 5., 6.]], np.float32)
  w = np.array([[True, False, True], [True, True, True]])
  got = nn.softmax(x, where=w)
  want = np.where(w, np.exp(x), 0)
  np.testing.assert_allclose(got, want / want.sum(-1, keepdims=True), rtol=1e-6)
  got = nn.log_softmax(x, where=w)
  assert np.isneginf(np.asarray(got)[0, 1])


def test_glu_one_hot_standardize():
  x = np.random.default_rng(2).standard_normal((2, 6)).astype(np.float32)
  np.testing.assert_allclose(nn.glu(x), x[:, :3] * ss.expit(x[:, 3:]), rtol=1e-6)
  np.testing.assert_allclose(nn.glu(x.T, axis=0), x.T[:3] * ss.expit(x.T[3:]), rtol=1e-6)
  with pytest.raises(ValueError, match=r"glu: axis 1 of shape \(2, 3\) must have an even size"):
    nn.glu(x[:, :3])
  labels = np.array([0, 2, 5, -1])
  np.testing.assert_array_equal(nn.one_hot(labels, 3), np.eye(3)[[0, 2]].tolist() + [[0, 0, 0]] * 2)
  assert nn.one_hot(labels, 3).dtype == np.float32
  assert nn.one_hot(labels, 3, dtype=np.int32, axis=0).shape == (3, 4)
  np.testing.assert_array_equal(morphax.vmap(lambda l: nn.one_hot(l, 4))(labels[:3]),
                                np.eye(4)[[0, 2]].tolist() + [[0, 0, 0, 0]])
  z = nn.standardize(x)
  want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
  np.testing.assert_allclose(z, want, rtol=1e-4, atol=1e-5)
  check_grads(nn.standardize, (x,), 1)
