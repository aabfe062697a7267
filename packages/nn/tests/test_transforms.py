"""Lifted transforms (scan, vmap, remat, jit) against Python loops and the
untransformed modules."""

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
import morphax_rng as random
import morphax_nn as nn

KEY = random.PRNGKey(0)
RS = np.random.RandomState(1)


def dense_np(p, x):
  return x @ p['kernel'] + p['bias']


class Layer(nn.Module):
  """A residual tanh layer: (carry, x) -> (carry, ys)."""
  @nn.compact
  def __call__(self, h, x):
    h = jnp.tanh(nn.Dense(4)(h)) + h
    return h, h.sum(-1)


def test_scan_layer_stack_equals_python_loop():
  Stack = nn.scan(Layer, variable_axes={'params': 0},
                  split_rngs={'params': True}, length=3)
  h0 = RS.randn(2, 4).astype(np.float32)
  v = Stack().init(KEY, h0, None)
  p = v['params']['Dense_0']
  assert p['kernel'].shape == (3, 4, 4)
  assert not np.allclose(np.asarray(p['kernel'][0]),
                         np.asarray(p['kernel'][1]))
  (h, ys) = Stack().apply(v, h0, None)
  ref_h, ref_ys = h0, []
  for i in range(3):
    layer = {k: np.asarray(a[i]) for k, a in p.items()}
    ref_h = np.tanh(dense_np(layer, ref_h)) + ref_h
    ref_ys.append(ref_h.sum(-1))
  np.testing.assert_allclose(np.asarray(h), ref_h, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(np.asarray(ys), np.stack(ref_ys), rtol=1e-5,
                             atol=1e-5)


class Cell(nn.Module):
  @nn.compact
  def __call__(self, h, x):
    h = jnp.tanh(nn.Dense(3, name='ih')(x) + nn.Dense(3, name='hh')(h))
    return h, h


def test_scan_rnn_with_broadcast_params_over_time():
  RNN = nn.scan(Cell, variable_broadcast='params',
                split_rngs={'params': False})
  xs = RS.randn(5, 2, 4).astype(np.float32)   # (time, batch, features)
  h0 = np.zeros((2, 3), np.float32)
  v = RNN().init(KEY, h0, xs)
  assert v['params']['ih']['kernel'].shape == (4, 3)
  h, ys = RNN().apply(v, h0, xs)
  p = morphax.tree_util.tree_map(np.asarray, v['params'])
  ref = h0
  for t in range(5):
    ref = np.tanh(dense_np(p['ih'], xs[t]) + dense_np(p['hh'], ref))
    np.testing.assert_allclose(np.asarray(ys[t]), ref, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(np.asarray(h), ref, rtol=1e-5, atol=1e-5)


def test_scan_needs_length():
  Stack = nn.scan(Layer, variable_axes={'params': 0},
                  split_rngs={'params': True})
  with pytest.raises(ValueError, match='pass length=... to nn.scan'):
    Stack().init(KEY, np.ones((2, 4), np.float32), None)


def test_vmap_separate_params_equals_loop():
  class Outer(nn.Module):
    @nn.compact
    def __call__(self, x):
      return nn.vmap(nn.Dense, variable_axes={'params': 0},
                     split_rngs={'params': True})(3)(x)
  x = RS.randn(4, 2, 5).astype(np.float32)
  v = Outer().init(KEY, x)
  y = np.asarray(Outer().apply(v, x))
  p = morphax.tree_util.tree_map(np.asarray, v['params']['VmapDense_0'])
  for i in range(4):
    np.testing.assert_allclose(
        y[i], dense_np({k: a[i] for k, a in p.items()}, x[i]), rtol=1e-5,
        atol=1e-5)


def test_vmap_shared_params():
  class Outer(nn.Module):
    @nn.compact
    def __call__(self, x):
      return nn.vmap(nn.Dense, variable_axes={'params': None},
                     split_rngs={'params': False}, in_axes=1,
                     out_axes=1)(3)(x)
  x = RS.randn(2, 4, 5).astype(np.float32)
  v = Outer().init(KEY, x)
  p = morphax.tree_util.tree_map(np.asarray, v['params']['VmapDense_0'])
  assert p['kernel'].shape == (5, 3)
  np.testing.assert_allclose(np.asarray(Outer().apply(v, x)), dense_np(p, x),
                             rtol=1e-5, atol=1e-5)


class Block(nn.Module):
  @nn.compact
  def __call__(self, x):
    return nn.Dense(3)(jnp.sin(nn.Dense(4)(x)))


@pytest.mark.parametrize('transform', [nn.remat, nn.jit])
def test_remat_and_jit_match_plain_values_and_grads(transform):
  class Plain(nn.Module):
    @nn.compact
    def __call__(self, x):
      return Block(name='b')(x)

  class Lifted(nn.Module):
    @nn.compact
    def __call__(self, x):
      return transform(Block)(name='b')(x)
  x = RS.randn(2, 5).astype(np.float32)
  v = Plain().init(KEY, x)
  v_lifted = Lifted().init(KEY, x)
  assert morphax.tree_util.tree_structure(v) == \
      morphax.tree_util.tree_structure(v_lifted)

  def loss(model, params):
    return jnp.sum(model.apply({'params': params}, x) ** 2)
  np.testing.assert_allclose(np.asarray(Lifted().apply(v, x)),
                             np.asarray(Plain().apply(v, x)), rtol=1e-5,
                             atol=1e-6)
  g1 = morphax.grad(lambda p: loss(Plain(), p))(v['params'])
  g2 = morphax.grad(lambda p: loss(Lifted(), p))(v['params'])
  for a, b in zip(morphax.tree_util.tree_leaves(g1),
                  morphax.tree_util.tree_leaves(g2)):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4,
                               atol=1e-5)


def test_errors_inside_lifted_modules_name_the_full_path():
  class Outer(nn.Module):
    @nn.compact
    def __call__(self, x):
      return nn.remat(Block)(name='b')(x)
  v = Outer().init(KEY, np.ones((2, 5), np.float32))
  with pytest.raises(nn.ScopeParamShapeError,
                     match=r'"kernel" in "/b/Dense_1".*\(6, 4\).*\(5, 4\)'):
    Outer().apply(v, np.ones((2, 6), np.float32))
