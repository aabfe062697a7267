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


# --- Later additions: mish, squareplus, sparse_*, log1mexp, logmeanexp, attention ----------

def test_more_activations_against_numpy():
  import morphax
  x = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], np.float32)
  softplus = np.log1p(np.exp(x))
  cases = [
      (morphax.nn.mish, x * np.tanh(softplus)),
      (morphax.nn.squareplus, (x + np.sqrt(x * x + 4)) / 2),
      (morphax.nn.sparse_plus, np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4))),
      (morphax.nn.sparse_sigmoid, np.where(x <= -1, 0, np.where(x >= 1, 1, (x + 1) / 2))),
      (morphax.nn.tanh, np.tanh(x)),
      (morphax.nn.identity, x),
  ]
  for fn, want in cases:
    np.testing.assert_allclose(np.asarray(fn(x)), want, rtol=1e-5, atol=1e-6)
  pos = np.array([1e-6, 0.5, 1.0, 30.0], np.float32)
  p64 = pos.astype(np.float64)  # the stable float64 formula as the oracle
  want = np.where(p64 > np.log(2), np.log1p(-np.exp(-p64)), np.log(-np.expm1(-p64)))
  np.testing.assert_allclose(np.asarray(morphax.nn.log1mexp(pos)), want, rtol=1e-5)
  np.testing.assert_allclose(float(morphax.nn.logmeanexp(np.array([1.0, 2.0, 3.0], np.float32))),
                             np.log(np.mean(np.exp([1.0, 2.0, 3.0]))), rtol=1e-6)


@pytest.mark.parametrize("kv_heads, causal", [(4, False), (4, True), (2, True)])
def test_dot_product_attention_against_numpy(kv_heads, causal):
  import morphax
  rng = np.random.RandomState(0)
  q = rng.randn(2, 5, 4, 8).astype(np.float32)
  k, v = (rng.randn(2, 5, kv_heads, 8).astype(np.float32) for _ in range(2))
  out = morphax.nn.dot_product_attention(q, k, v, is_causal=causal)
  rep = 4 // kv_heads
  kr, vr = np.repeat(k, rep, axis=2), np.repeat(v, rep, axis=2)
  logits = np.einsum("btnh,bsnh->bnts", q, kr) / np.sqrt(8)
  if causal:
    logits = np.where(np.tril(np.ones((5, 5), bool)), logits, -np.inf)
  p = np.exp(logits - logits.max(-1, keepdims=True))
  p /= p.sum(-1, keepdims=True)
  np.testing.assert_allclose(np.asarray(out), np.einsum("bnts,bsnh->btnh", p, vr), atol=1e-5)
  g = morphax.grad(lambda q: morphax.numpy.sum(morphax.nn.dot_product_attention(q, k, v, is_causal=causal)))(q)
  assert g.shape == q.shape and np.isfinite(np.asarray(g)).all()
