"""Each layer's output against a NumPy reference (given the same params),
and against known answers from flax.linen 0.12.8 for the intricate ones."""

import numpy as np
import pytest

import morphax
import morphax_rng as random
import morphax_nn as nn

KEY = random.PRNGKey(0)
RS = np.random.RandomState(0)


def rand(*shape):
  return RS.randn(*shape).astype(np.float32)


def randomize(variables):
  """The same tree with random values (so zeros/ones inits don't hide bugs)."""
  if isinstance(variables, dict):
    return {k: randomize(v) for k, v in variables.items()}
  return rand(*variables.shape)


def shapes_of_init(module, *inputs, **kwargs):
  """The variables' shapes, traced only (no random numbers are drawn)."""
  return morphax.eval_shape(lambda *a: module.init(KEY, *a, **kwargs),
                            *inputs)


def run(module, variables, *inputs, **kwargs):
  """module.apply under jit: one compile instead of one per primitive."""
  return np.asarray(morphax.jit(
      lambda v, *a: module.apply(v, *a, **kwargs))(variables, *inputs))


def init_apply(module, *inputs, **kwargs):
  """(output, variables) with random variable values."""
  variables = randomize(shapes_of_init(module, *inputs, **kwargs))
  return run(module, variables, *inputs, **kwargs), variables


# --- numpy references --------------------------------------------------------
def same_pads(in_sizes, kernel, strides, dilation):
  pads = []
  for n, k, s, d in zip(in_sizes, kernel, strides, dilation):
    dk = (k - 1) * d + 1
    out = -(-n // s)
    total = max((out - 1) * s + dk - n, 0)
    pads.append((total // 2, total - total // 2))
  return pads


def conv_ref(x, w, strides, pads, dilation, groups=1):
  """A direct N-D convolution loop: x (N, *S, C), w (*K, C/groups, F)."""
  n = x.ndim - 2
  x = np.pad(x, [(0, 0)] + list(pads) + [(0, 0)])
  kernel = w.shape[:n]
  dk = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
  out_sp = [(x.shape[1 + i] - dk[i]) // strides[i] + 1 for i in range(n)]
  feats, cg = w.shape[-1], w.shape[-2]
  fg = feats // groups
  y = np.zeros((x.shape[0], *out_sp, feats), np.float64)
  for pos in np.ndindex(*out_sp):
    for kpos in np.ndindex(*kernel):
      idx = tuple(p * s + kp * d for p, s, kp, d in
                  zip(pos, strides, kpos, dilation))
      patch = x[(slice(None),) + idx]
      for g in range(groups):
        y[(slice(None),) + pos + (slice(g * fg, (g + 1) * fg),)] += (
            patch[:, g * cg:(g + 1) * cg] @ w[kpos][:, g * fg:(g + 1) * fg])
  return y


def norm_ref(x, axes, eps):
  mean = x.mean(axis=axes, keepdims=True)
  var = x.var(axis=axes, keepdims=True)
  return (x - mean) / np.sqrt(var + eps)


def softmax(x):
  e = np.exp(x - x.max(-1, keepdims=True))
  return e / e.sum(-1, keepdims=True)


def attention_ref(q, k, v, mask=None):
  logits = np.einsum('...qhd,...khd->...hqk', q / np.sqrt(q.shape[-1]), k)
  if mask is not None:
    logits = np.where(mask, logits, np.finfo(np.float32).min)
  return np.einsum('...hqk,...khd->...qhd', softmax(logits), v)


def mha_ref(p, xq, xkv, mask=None):
  proj = {n: np.einsum('...f,fhd->...hd', x, p[n]['kernel']) + p[n]['bias']
          for n, x in (('query', xq), ('key', xkv), ('value', xkv))}
  out = attention_ref(proj['query'], proj['key'], proj['value'], mask)
  return np.einsum('...hd,hdf->...f', out, p['out']['kernel']) + \
      p['out']['bias']


def pool_ref(x, window, strides, fn):
  n = len(window)
  out_sp = [(x.shape[1 + i] - window[i]) // strides[i] + 1 for i in range(n)]
  y = np.zeros((x.shape[0], *out_sp, x.shape[-1]), np.float32)
  for pos in np.ndindex(*out_sp):
    sl = tuple(slice(p * s, p * s + w) for p, s, w in
               zip(pos, strides, window))
    y[(slice(None),) + pos] = fn(x[(slice(None),) + sl], axis=tuple(
        range(1, n + 1)))
  return y


# --- linear ------------------------------------------------------------------
def test_dense():
  x = rand(3, 5)
  y, v = init_apply(nn.Dense(4), x)
  p = v['params']
  np.testing.assert_allclose(y, x @ p['kernel'] + p['bias'], rtol=1e-5,
                             atol=1e-5)


def test_dense_no_bias_batched():
  x = rand(2, 3, 5)
  y, v = init_apply(nn.Dense(4, use_bias=False), x)
  assert set(v['params']) == {'kernel'}
  np.testing.assert_allclose(y, x @ v['params']['kernel'], rtol=1e-5,
                             atol=1e-5)


@pytest.mark.parametrize('features,axis', [((2, 3), -1), (7, (-2, -1)),
                                           (4, (0, 2))])
def test_dense_general(features, axis):
  x = rand(2, 6, 4)
  y, v = init_apply(nn.DenseGeneral(features, axis=axis), x)
  p = v['params']
  ax = axis if isinstance(axis, tuple) else (axis,)
  ref = np.tensordot(x, p['kernel'], axes=(tuple(a % 3 for a in ax),
                                           tuple(range(len(ax)))))
  np.testing.assert_allclose(y, ref + p['bias'], rtol=1e-5, atol=1e-5)


def test_dense_general_batch_dims_known(known):
  inputs, variables, out, _ = known('dense_general_batch')
  y = nn.DenseGeneral((2, 3), axis=(1,), batch_dims=(0,)).apply(variables,
                                                                *inputs)
  np.testing.assert_allclose(np.asarray(y), out, rtol=1e-5, atol=1e-5)


def test_einsum(known):
  inputs, variables, out, _ = known('einsum')
  module = nn.Einsum((5, 3, 7), 'abc,cde->abde')
  y = run(module, variables, *inputs)
  p = variables['params']
  ref = np.einsum('abc,cde->abde', inputs[0], p['kernel']) + p['bias']
  np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(y, out, rtol=1e-5, atol=1e-5)


def test_embed_and_attend():
  ids = np.array([[0, 3, 9], [2, 2, 1]], np.int32)
  module = nn.Embed(10, 4)
  v = randomize(module.init(KEY, ids))
  table = v['params']['embedding']
  np.testing.assert_allclose(np.asarray(module.apply(v, ids)), table[ids])
  q = rand(2, 4)
  logits = module.apply(v, q, method=module.attend)
  np.testing.assert_allclose(np.asarray(logits), q @ table.T, rtol=1e-5,
                             atol=1e-5)


def test_embed_rejects_float_ids():
  module = nn.Embed(10, 4)
  v = module.init(KEY, np.zeros((2,), np.int32))
  with pytest.raises(ValueError, match='integer or unsigned integer; got '
                     'float32'):
    module.apply(v, np.zeros((2,), np.float32))


# --- convolutions ------------------------------------------------------------
CONV_ROWS = [
    # kernel, strides, padding, dilation, groups, input shape
    ((3, 3), (1, 1), 'SAME', (1, 1), 1, (2, 6, 6, 2)),
    ((3, 3), (2, 2), 'SAME', (1, 1), 1, (1, 7, 6, 2)),
    ((2, 3), (1, 2), 'VALID', (1, 1), 1, (1, 5, 7, 3)),
    ((3, 3), (1, 1), 1, (2, 2), 1, (1, 7, 7, 2)),
    ((3,), (1,), [(2, 0)], (1,), 2, (2, 8, 4)),
]


@pytest.mark.parametrize('kernel,strides,padding,dilation,groups,shape',
                         CONV_ROWS)
def test_conv(kernel, strides, padding, dilation, groups, shape):
  x = rand(*shape)
  module = nn.Conv(4, kernel, strides=strides, padding=padding,
                   kernel_dilation=dilation, feature_group_count=groups)
  y, v = init_apply(module, x)
  p = v['params']
  assert p['kernel'].shape == kernel + (shape[-1] // groups, 4)
  n = len(kernel)
  if padding == 'SAME':
    pads = same_pads(shape[1:-1], kernel, strides, dilation)
  elif padding == 'VALID':
    pads = [(0, 0)] * n
  elif isinstance(padding, int):
    pads = [(padding, padding)] * n
  else:
    pads = padding
  ref = conv_ref(x, p['kernel'], strides, pads, dilation, groups) + p['bias']
  np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)


def test_conv_unbatched_and_extra_batch_dims():
  module = nn.Conv(3, (3,))
  x = rand(2, 2, 6, 2)
  v = randomize(shapes_of_init(module, x))
  y = run(module, v, x)
  y0 = run(module, v, x[1, 0])
  assert y.shape == (2, 2, 6, 3) and y0.shape == (6, 3)
  np.testing.assert_allclose(y[1, 0], y0, rtol=1e-5, atol=1e-5)
  pads = same_pads((6,), (3,), (1,), (1,))
  ref = conv_ref(x[1, 0][None], v['params']['kernel'], (1,), pads, (1,))[0]
  np.testing.assert_allclose(y0, ref + v['params']['bias'], rtol=1e-4,
                             atol=1e-4)


@pytest.mark.parametrize('case,module', [
    ('conv_circular', nn.Conv(3, (3, 3), padding='CIRCULAR')),
    ('conv_group', nn.Conv(4, (3,), strides=2, kernel_dilation=2,
                           feature_group_count=2, padding=((1, 2),))),
    ('conv_causal', nn.Conv(2, (3,), padding='CAUSAL', kernel_dilation=2)),
    ('conv3d', nn.Conv(2, (2, 2, 2), padding=1)),
    ('convT_same', nn.ConvTranspose(3, (3, 3), strides=(2, 2))),
    ('convT_valid', nn.ConvTranspose(2, (2,), strides=(3,), padding='VALID',
                                     kernel_dilation=(2,))),
    ('convT_tk', nn.ConvTranspose(2, (3,), strides=(2,),
                                  transpose_kernel=True)),
])
def test_conv_known_answers(known, case, module):
  inputs, variables, out, _ = known(case)
  shapes = {k: v.shape for k, v in
            shapes_of_init(module, *inputs)['params'].items()}
  assert shapes == {k: v.shape for k, v in variables['params'].items()}
  y = run(module, variables, *inputs)
  np.testing.assert_allclose(y, out, rtol=1e-4, atol=1e-4)


def test_conv_circular_matches_wrapped_numpy():
  x = rand(1, 5, 5, 2)
  y, v = init_apply(nn.Conv(3, (3, 3), padding='CIRCULAR'), x)
  xw = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode='wrap')
  ref = conv_ref(xw, v['params']['kernel'], (1, 1), [(0, 0)] * 2, (1, 1))
  np.testing.assert_allclose(y, ref + v['params']['bias'], rtol=1e-4,
                             atol=1e-4)


def test_conv_kernel_size_must_be_a_tuple():
  with pytest.raises(TypeError, match=r'kernel_size to be a tuple/list of '
                     r'integers \(eg.: \[3, 3\]\) but got 3'):
    nn.Conv(2, 3).init(KEY, np.ones((1, 4, 1), np.float32))


# --- normalization -----------------------------------------------------------
def test_layer_norm():
  x = rand(2, 3, 4)
  y, v = init_apply(nn.LayerNorm(), x)
  p = v['params']
  ref = norm_ref(x, -1, 1e-6) * p['scale'] + p['bias']
  np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)


def test_layer_norm_axes_known(known):
  inputs, variables, out, _ = known('ln_axes')
  module = nn.LayerNorm(reduction_axes=(-2, -1), feature_axes=-1)
  y = run(module, variables, *inputs)
  p = variables['params']
  ref = norm_ref(inputs[0], (-2, -1), 1e-6) * p['scale'] + p['bias']
  np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(y, out, rtol=1e-4, atol=1e-4)


def test_rms_norm():
  x = rand(2, 3, 4)
  y, v = init_apply(nn.RMSNorm(epsilon=1e-5), x)
  ref = x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-5)
  np.testing.assert_allclose(y, ref * v['params']['scale'], rtol=1e-4,
                             atol=1e-4)


@pytest.mark.parametrize('case,module,groups', [
    ('group_norm', nn.GroupNorm(num_groups=2), 2),
    ('group_norm_size', nn.GroupNorm(num_groups=None, group_size=3), 2)])
def test_group_norm(known, case, module, groups):
  inputs, variables, out, _ = known(case)
  x = inputs[0]
  y = run(module, variables, x)
  g = x.reshape(x.shape[:-1] + (groups, -1))
  axes = tuple(range(1, x.ndim - 1)) + (x.ndim,)
  ref = norm_ref(g, axes, 1e-6).reshape(x.shape)
  p = variables['params']
  np.testing.assert_allclose(y, ref * p['scale'] + p['bias'], rtol=1e-4,
                             atol=1e-4)
  np.testing.assert_allclose(y, out, rtol=1e-4, atol=1e-4)


def test_group_norm_bad_groups():
  with pytest.raises(ValueError, match=r'channels \(5\) must be a multiple '
                     r'of num_groups \(2\)'):
    nn.GroupNorm(num_groups=2).init(KEY, np.ones((1, 5), np.float32))


def test_batch_norm_train_and_eval(known):
  inputs, variables, out, new = known('bn_train')
  x = inputs[0]
  module = nn.BatchNorm(use_running_average=False, momentum=0.9)
  y, state = module.apply(variables, x, mutable=['batch_stats'])
  p, stats = variables['params'], variables['batch_stats']
  ref = norm_ref(x, 0, 1e-5) * p['scale'] + p['bias']
  np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(np.asarray(y), out, rtol=1e-4, atol=1e-4)
  mean = 0.9 * stats['mean'] + 0.1 * x.mean(0)
  var = 0.9 * stats['var'] + 0.1 * x.var(0)
  np.testing.assert_allclose(np.asarray(state['batch_stats']['mean']), mean,
                             rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(np.asarray(state['batch_stats']['var']), var,
                             rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(np.asarray(state['batch_stats']['var']),
                             new['batch_stats']['var'], rtol=1e-5, atol=1e-6)
  # eval: the running averages, no state change needed
  stats = {'mean': stats['mean'], 'var': np.abs(stats['var'])}
  y_eval = nn.BatchNorm(use_running_average=True).apply(
      {'params': p, 'batch_stats': stats}, x)
  ref_eval = (x - stats['mean']) / np.sqrt(stats['var'] + 1e-5)
  np.testing.assert_allclose(np.asarray(y_eval),
                             ref_eval * p['scale'] + p['bias'], rtol=1e-4,
                             atol=1e-4)


def test_batch_norm_init_keeps_fresh_stats_and_needs_mutable():
  x = rand(4, 3)
  module = nn.BatchNorm(use_running_average=False)
  v = module.init(KEY, x)
  np.testing.assert_array_equal(np.asarray(v['batch_stats']['mean']),
                                np.zeros(3))
  np.testing.assert_array_equal(np.asarray(v['batch_stats']['var']),
                                np.ones(3))
  with pytest.raises(nn.ModifyScopeVariableError,
                     match='collection "batch_stats" is immutable. Pass '
                     r'mutable=\["batch_stats"\]'):
    module.apply(v, x)


def test_batch_norm_use_running_average_given_twice_or_never():
  x = rand(4, 3)
  v = nn.BatchNorm(use_running_average=True).init(KEY, x)
  with pytest.raises(ValueError, match='"use_running_average" was given both'):
    nn.BatchNorm(use_running_average=True).apply(v, x,
                                                 use_running_average=True)
  with pytest.raises(ValueError, match='"use_running_average" must be given '
                     'either'):
    nn.BatchNorm().apply(v, x)


# --- dropout -----------------------------------------------------------------
def test_dropout_values_and_rate():
  x = np.ones((40, 50), np.float32)
  module = nn.Dropout(0.25)
  y = np.asarray(module.apply({}, x, deterministic=False,
                              rngs={'dropout': random.PRNGKey(1)}))
  assert set(np.unique(y).tolist()) <= {0.0, np.float32(1 / 0.75)}
  assert abs((y == 0).mean() - 0.25) < 0.04
  np.testing.assert_array_equal(
      np.asarray(module.apply({}, x, deterministic=True)), x)


def test_dropout_broadcast_dims_and_determinism():
  x = np.ones((6, 30), np.float32)
  module = nn.Dropout(0.5, broadcast_dims=(0,), deterministic=False)
  rngs = {'dropout': random.PRNGKey(3)}
  y1 = np.asarray(module.apply({}, x, rngs=rngs))
  y2 = np.asarray(module.apply({}, x, rngs=rngs))
  np.testing.assert_array_equal(y1, y2)
  assert (y1 == y1[0:1]).all()           # the same mask in every row
  y3 = np.asarray(module.apply({}, x, rngs={'dropout': random.PRNGKey(4)}))
  assert (y3 != y1).any()


def test_dropout_missing_rng_stream():
  with pytest.raises(nn.InvalidRngError, match='Module "/" needs a PRNG key '
                     'for the rng stream "dropout"'):
    nn.Dropout(0.5, deterministic=False).apply({}, np.ones(3, np.float32))


# --- attention ---------------------------------------------------------------
def test_dot_product_attention_with_mask():
  q, k, v = rand(2, 3, 2, 4), rand(2, 5, 2, 4), rand(2, 5, 2, 4)
  mask = RS.rand(2, 1, 3, 5) > 0.3
  mask[..., 0] = True
  y = nn.dot_product_attention(q, k, v, mask=mask)
  np.testing.assert_allclose(np.asarray(y), attention_ref(q, k, v, mask),
                             rtol=1e-4, atol=1e-5)


def test_masks(known):
  causal = np.asarray(nn.make_causal_mask(np.ones((2, 4))))
  np.testing.assert_array_equal(causal, known.raw['causal'])
  np.testing.assert_array_equal(causal[0, 0], np.tril(np.ones((4, 4))))
  m = nn.make_attention_mask(np.array([[1, 1, 0], [1, 1, 1]]),
                             np.array([[1, 1, 1, 1, 0, 0],
                                       [1, 1, 1, 1, 1, 1]]))
  np.testing.assert_array_equal(np.asarray(m), known.raw['mask'])
  both = nn.combine_masks(causal, np.zeros((2, 1, 4, 4)) + 1)
  np.testing.assert_array_equal(np.asarray(both), causal)


def test_multi_head_attention(known):
  inputs, variables, out, _ = known('mha')
  mask = known.raw['mask']
  module = nn.MultiHeadDotProductAttention(num_heads=2, qkv_features=8,
                                           out_features=5)
  y = run(module, variables, *inputs, mask=mask)
  ref = mha_ref(variables['params'], inputs[0], inputs[1], mask)
  np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(y, out, rtol=1e-4, atol=1e-4)


def test_attention_normalize_qk_known(known):
  inputs, variables, out, _ = known('mha_qk')
  module = nn.MultiHeadDotProductAttention(num_heads=2, normalize_qk=True)
  y = run(module, variables, *inputs)
  np.testing.assert_allclose(y, out, rtol=1e-4, atol=1e-4)


def test_self_attention_decode_matches_causal():
  x = rand(1, 4, 6)
  module = nn.SelfAttention(num_heads=2)
  v = randomize(shapes_of_init(module, x))
  causal = nn.make_causal_mask(np.ones((1, 4)))
  full = run(module, v, x, mask=causal)
  np.testing.assert_allclose(full, mha_ref(v['params'], x, x, np.asarray(
      causal)), rtol=1e-4, atol=1e-4)
  decoder = nn.SelfAttention(num_heads=2, decode=True)
  cache = morphax.tree_util.tree_map(lambda s: np.zeros(s.shape, s.dtype),
                                     shapes_of_init(decoder, x)['cache'])
  assert cache['cached_key'].shape == (1, 4, 2, 3)
  step = morphax.jit(lambda v, x: decoder.apply(v, x, mutable=['cache']))
  steps = []
  for t in range(4):
    y, state = step({'params': v['params'], 'cache': cache}, x[:, t:t + 1])
    cache = state['cache']
    steps.append(np.asarray(y))
  assert int(cache['cache_index']) == 4
  np.testing.assert_allclose(np.concatenate(steps, 1), full, rtol=1e-4,
                             atol=1e-4)


def test_attention_heads_must_divide():
  with pytest.raises(ValueError, match=r'qkv_features \(6\) must be '
                     r'divisible by num_heads \(4\)'):
    nn.SelfAttention(num_heads=4).init(KEY, np.ones((1, 2, 6), np.float32))


def test_attention_dropout_needs_rng_and_changes_output():
  x = rand(1, 3, 4)
  module = nn.SelfAttention(num_heads=2, dropout_rate=0.5)
  v = randomize(shapes_of_init(module, x, deterministic=True))
  a = run(module, v, x, deterministic=False,
          rngs={'dropout': random.PRNGKey(1)})
  b = run(module, v, x, deterministic=True)
  assert np.abs(a - b).max() > 1e-3
  with pytest.raises(nn.InvalidRngError, match='"dropout"'):
    module.apply(v, x, deterministic=False)


# --- pooling, Sequential -----------------------------------------------------
def test_pools(known):
  x = known.raw['pool|in']
  np.testing.assert_allclose(
      np.asarray(nn.avg_pool(x, (2, 2), strides=(2, 2), padding='SAME',
                             count_include_pad=False)),
      known.raw['pool|avg_same_nopad'], rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(np.asarray(nn.avg_pool(x, (3, 3),
                                                    padding='SAME')),
                             known.raw['pool|avg_same'], rtol=1e-5, atol=1e-6)
  y = np.asarray(nn.max_pool(x, (2, 3), strides=(1, 2)))
  np.testing.assert_allclose(y, known.raw['pool|max'])
  np.testing.assert_allclose(y, pool_ref(x, (2, 3), (1, 2), np.max))
  np.testing.assert_allclose(
      np.asarray(nn.min_pool(x, (2, 2), padding=((1, 0), (0, 1)))),
      known.raw['pool|min_pads'])
  np.testing.assert_allclose(np.asarray(nn.avg_pool(x, (2, 2))),
                             pool_ref(x, (2, 2), (1, 1), np.mean), rtol=1e-5,
                             atol=1e-6)
  np.testing.assert_allclose(np.asarray(nn.max_pool(x[0], (2, 2))),
                             pool_ref(x, (2, 2), (1, 1), np.max)[0])


def test_sequential():
  class Model(nn.Module):
    @nn.compact
    def __call__(self, x):
      return nn.Sequential([nn.Dense(3), nn.relu, nn.Dense(2)])(x)
  x = rand(2, 5)
  y, v = init_apply(Model(), x)
  p = v['params']
  h = np.maximum(x @ p['Dense_0']['kernel'] + p['Dense_0']['bias'], 0)
  np.testing.assert_allclose(y, h @ p['Dense_1']['kernel'] +
                             p['Dense_1']['bias'], rtol=1e-5, atol=1e-5)
  with pytest.raises(ValueError, match='Empty Sequential module'):
    nn.Sequential([]).init(KEY, x)

