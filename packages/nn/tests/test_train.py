"""End to end: a small CNN and a 2-layer transformer train under jit with a
hand-written SGD (the loss goes down), and BatchNorm under pmap with
axis_name matches single-device statistics."""

import numpy as np

import morphax
import morphax.numpy as jnp
import morphax_rng as random
import morphax_nn as nn

RS = np.random.RandomState(0)


def sgd(params, grads, lr):
  return morphax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)


def cross_entropy(logits, labels):
  logp = nn.log_softmax(logits)
  return -jnp.mean(jnp.sum(nn.one_hot(labels, logits.shape[-1]) * logp, -1))


class CNN(nn.Module):
  """conv -> batchnorm -> relu -> pool -> dropout -> dense."""
  @nn.compact
  def __call__(self, x, train):
    x = nn.Conv(8, (3, 3))(x)
    x = nn.BatchNorm(use_running_average=not train, momentum=0.9)(x)
    x = nn.avg_pool(nn.relu(x), (2, 2), strides=(2, 2))
    x = x.reshape((x.shape[0], -1))
    x = nn.Dropout(0.1, deterministic=not train)(x)
    return nn.Dense(2)(x)


def test_cnn_classifier_trains_under_jit():
  labels = np.arange(16) % 2
  images = RS.randn(16, 8, 8, 1).astype(np.float32) * 0.3
  images[labels == 1, :4] += 1.0          # class 1: bright top half
  model = CNN()
  variables = model.init(random.PRNGKey(0), images, train=False)

  @morphax.jit
  def step(params, stats, key):
    def loss_fn(params):
      logits, state = model.apply(
          {'params': params, 'batch_stats': stats}, images, train=True,
          rngs={'dropout': key}, mutable=['batch_stats'])
      return cross_entropy(logits, labels), state['batch_stats']
    (loss, stats), grads = morphax.value_and_grad(loss_fn, has_aux=True)(
        params)
    return sgd(params, grads, 0.1), stats, loss

  params, stats = variables['params'], variables['batch_stats']
  losses = []
  for i in range(6):
    params, stats, loss = step(params, stats, random.PRNGKey(i))
    losses.append(float(loss))
  assert losses[-1] < 0.7 * losses[0], losses
  assert not np.allclose(np.asarray(stats['BatchNorm_0']['mean']), 0)
  logits = model.apply({'params': params, 'batch_stats': stats}, images,
                       train=False)
  assert (np.asarray(logits).argmax(-1) == labels).mean() >= 0.9


class Block(nn.Module):
  """Pre-norm transformer block: causal self-attention and an MLP."""
  heads: int = 2

  @nn.compact
  def __call__(self, x, mask):
    h = nn.SelfAttention(num_heads=self.heads)(nn.LayerNorm()(x), mask=mask)
    x = x + h
    h = nn.Dense(4 * x.shape[-1])(nn.LayerNorm()(x))
    return x + nn.Dense(x.shape[-1])(nn.gelu(h))


class TinyLM(nn.Module):
  vocab: int = 11
  width: int = 16

  @nn.compact
  def __call__(self, tokens):
    embed = nn.Embed(self.vocab, self.width)
    x = embed(tokens)
    mask = nn.make_causal_mask(tokens)
    for _ in range(2):
      x = Block()(x, mask)
    return embed.attend(nn.LayerNorm()(x))


def test_two_layer_transformer_trains_under_jit():
  tokens = np.array([[1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]],
                    np.int32)
  model = TinyLM()
  params = model.init(random.PRNGKey(0), tokens)['params']
  assert sorted(params) == ['Block_0', 'Block_1', 'Embed_0', 'LayerNorm_0']

  @morphax.jit
  def step(params):
    def loss_fn(params):
      logits = model.apply({'params': params}, tokens[:, :-1])
      return cross_entropy(logits.reshape(-1, 11), tokens[:, 1:].reshape(-1))
    loss, grads = morphax.value_and_grad(loss_fn)(params)
    return sgd(params, grads, 0.3), loss

  losses = []
  for _ in range(8):
    params, loss = step(params)
    losses.append(float(loss))
  assert losses[-1] < 0.8 * losses[0], losses


def test_batch_norm_under_pmap_matches_single_device():
  n = morphax.device_count()
  assert n == 4          # tests/conftest.py sets MORPHAX_NUM_CPU_DEVICES=4
  x = RS.randn(n, 3, 5).astype(np.float32) * 2 + 1
  single = nn.BatchNorm(use_running_average=False, momentum=0.8)
  v = single.init(random.PRNGKey(0), x[0])
  v = {'params': {'scale': RS.randn(5).astype(np.float32),
                  'bias': RS.randn(5).astype(np.float32)},
       'batch_stats': v['batch_stats']}
  sharded = nn.BatchNorm(use_running_average=False, momentum=0.8,
                         axis_name='batch')
  y, state = morphax.pmap(
      lambda v, x: sharded.apply(v, x, mutable=['batch_stats']),
      axis_name='batch', in_axes=(None, 0))(v, x)
  y1, state1 = single.apply(v, x.reshape(n * 3, 5), mutable=['batch_stats'])
  np.testing.assert_allclose(np.asarray(y).reshape(n * 3, 5), np.asarray(y1),
                             rtol=1e-4, atol=1e-5)
  for name in ('mean', 'var'):
    per_device = np.asarray(state['batch_stats'][name])
    for d in range(n):
      np.testing.assert_allclose(per_device[d],
                                 np.asarray(state1['batch_stats'][name]),
                                 rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(np.asarray(state1['batch_stats']['mean']),
                             0.2 * x.reshape(-1, 5).mean(0), rtol=1e-5,
                             atol=1e-6)


def test_batch_norm_under_lifted_vmap_axis_name_matches_single_batch():
  class Net(nn.Module):
    @nn.compact
    def __call__(self, x):
      bn = nn.vmap(nn.BatchNorm,
                   variable_axes={'params': None, 'batch_stats': None},
                   split_rngs={'params': False}, axis_name='b')
      return bn(use_running_average=False, axis_name='b')(x)
  x = RS.randn(4, 3, 5).astype(np.float32)
  v = Net().init(random.PRNGKey(0), x)
  y, state = Net().apply(v, x, mutable=['batch_stats'])
  inner = {col: tree['VmapBatchNorm_0'] for col, tree in v.items()}
  y1, state1 = nn.BatchNorm(use_running_average=False).apply(
      inner, x.reshape(12, 5), mutable=['batch_stats'])
  np.testing.assert_allclose(np.asarray(y).reshape(12, 5), np.asarray(y1),
                             rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(
      np.asarray(state['batch_stats']['VmapBatchNorm_0']['var']),
      np.asarray(state1['batch_stats']['var']), rtol=1e-5, atol=1e-6)
