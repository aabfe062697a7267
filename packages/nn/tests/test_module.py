"""The module system: naming, setup/compact, variables, rngs, init/apply,
bind/unbind, and every error message of module.py and scope.py."""

import json
import pathlib

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
import morphax_rng as random
import morphax_nn as nn

KEY = random.PRNGKey(0)
DATA = pathlib.Path(__file__).parent / 'data'


def shapes(tree):
  return morphax.tree_util.tree_map(lambda a: list(a.shape), tree)


# --- parameter trees against flax.linen's (observed with flax 0.12.8) --------
class _Scanned(nn.Module):
  @nn.compact
  def __call__(self, c, x):
    return nn.Dense(4)(c), None


class _Seq(nn.Module):
  @nn.compact
  def __call__(self, x):
    return nn.Sequential([nn.Dense(3), nn.relu, nn.Dense(2)])(x)


def _lifted(transform, **kw):
  class Outer(nn.Module):
    @nn.compact
    def __call__(self, x):
      return transform(nn.Dense, **kw)(3)(x)
  return Outer()


X2, X3, X4 = (np.ones((2, 5), np.float32), np.ones((2, 6, 4), np.float32),
              np.ones((2, 8, 8, 3), np.float32))
TREE_ROWS = {
    'Dense': (nn.Dense(3), (X2,)),
    'DenseGeneral': (nn.DenseGeneral((2, 3), axis=-1), (X3,)),
    'DenseGeneral2': (nn.DenseGeneral(7, axis=(-2, -1)), (X3,)),
    'Einsum': (nn.Einsum((5, 3, 7), 'abc,cde->abde'),
               (np.ones((2, 4, 5), np.float32),)),
    'Conv': (nn.Conv(4, (3, 3)), (X4,)),
    'Conv1': (nn.Conv(4, (3,), feature_group_count=2, use_bias=False),
              (np.ones((2, 7, 6), np.float32),)),
    'ConvTranspose': (nn.ConvTranspose(4, (3, 3), strides=(2, 2)), (X4,)),
    'Embed': (nn.Embed(10, 4), (np.ones((2, 3), np.int32),)),
    'LayerNorm': (nn.LayerNorm(), (X3,)),
    'RMSNorm': (nn.RMSNorm(), (X3,)),
    'GroupNorm': (nn.GroupNorm(num_groups=2), (X3,)),
    'BatchNorm': (nn.BatchNorm(use_running_average=False), (X3,)),
    'MHA': (nn.MultiHeadDotProductAttention(num_heads=2, qkv_features=8),
            (X3,)),
    'SelfAttention': (nn.SelfAttention(num_heads=2),
                      (np.ones((2, 6, 8), np.float32),)),
    'Scan': (nn.scan(_Scanned, variable_axes={'params': 0},
                     split_rngs={'params': True}, length=3)(),
             (np.ones((2, 4), np.float32), None)),
    'Sequential': (_Seq(), (X2,)),
    'Remat': (_lifted(nn.remat), (X2,)),
    'Vmap': (_lifted(nn.vmap, variable_axes={'params': 0},
                     split_rngs={'params': True}),
             (np.ones((4, 2, 5), np.float32),)),
    'Jit': (_lifted(nn.jit), (X2,)),
}


def test_parameter_trees_match_linen():
  expected = json.loads((DATA / 'linen_param_shapes.json').read_text())
  assert set(expected) == set(TREE_ROWS)
  got = {}
  for name, (module, inputs) in TREE_ROWS.items():
    # eval_shape: traced only, nothing is computed or compiled
    v = morphax.eval_shape(lambda *a, m=module: m.init(KEY, *a), *inputs)
    got[name] = shapes(v)
  assert got == expected


def test_param_dtypes_follow_param_dtype():
  v = nn.Dense(3, param_dtype=jnp.float16).init(KEY, X2)
  assert v['params']['kernel'].dtype == jnp.float16
  y = nn.Dense(3, dtype=jnp.float16).apply(nn.Dense(3).init(KEY, X2), X2)
  assert y.dtype == jnp.float16


# --- naming, setup, compact --------------------------------------------------
class MLP(nn.Module):
  features: tuple = (4, 2)

  @nn.compact
  def __call__(self, x):
    for f in self.features[:-1]:
      x = nn.relu(nn.Dense(f)(x))
    return nn.Dense(self.features[-1], name='head')(x)


class SetupMLP(nn.Module):
  def setup(self):
    self.layers = [nn.Dense(4), nn.Dense(2)]
    self.scale = self.param('scale', nn.initializers.ones, (2,))

  def __call__(self, x):
    return self.layers[1](nn.relu(self.layers[0](x))) * self.scale

  def first(self, x):
    return self.layers[0](x)


def test_compact_auto_names_and_values():
  v = MLP((4, 3, 2)).init(KEY, X2)
  assert list(v['params']) == ['Dense_0', 'Dense_1', 'head']
  p = v['params']
  h = np.maximum(X2 @ p['Dense_0']['kernel'] + p['Dense_0']['bias'], 0)
  h = np.maximum(h @ p['Dense_1']['kernel'] + p['Dense_1']['bias'], 0)
  ref = h @ p['head']['kernel'] + p['head']['bias']
  np.testing.assert_allclose(np.asarray(MLP((4, 3, 2)).apply(v, X2)), ref,
                             rtol=1e-5, atol=1e-5)


def test_setup_names_lists_and_method():
  model = SetupMLP()
  v = model.init(KEY, X2)
  assert shapes(v) == {'params': {'layers_0': {'bias': [4], 'kernel': [5, 4]},
                                  'layers_1': {'bias': [2], 'kernel': [4, 2]},
                                  'scale': [2]}}
  p = v['params']['layers_0']
  np.testing.assert_allclose(
      np.asarray(model.apply(v, X2, method='first')),
      X2 @ p['kernel'] + p['bias'], rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(
      np.asarray(model.apply(v, X2, method=SetupMLP.first)),
      X2 @ p['kernel'] + p['bias'], rtol=1e-5, atol=1e-5)


def test_setup_runs_lazily_only_used_submodules_get_params():
  v = SetupMLP().init(KEY, X2, method='first')
  assert sorted(v['params']) == ['layers_0', 'scale']


def test_shared_submodule_reuses_params():
  class Twice(nn.Module):
    @nn.compact
    def __call__(self, x):
      d = nn.Dense(5)
      return d(d(x))
  v = Twice().init(KEY, X2)
  assert shapes(v) == {'params': {'Dense_0': {'bias': [5], 'kernel': [5, 5]}}}


def test_module_is_frozen_outside_setup():
  with pytest.raises(nn.SetAttributeFrozenModuleError,
                     match='a module is frozen outside setup'):
    nn.Dense(3).features = 4
  assert nn.Dense(3).clone(features=4).features == 4


# --- variables, sow, rngs ----------------------------------------------------
class Counter(nn.Module):
  @nn.compact
  def __call__(self, x):
    count = self.variable('counter', 'count', lambda: jnp.zeros((), jnp.int32))
    if self.is_mutable_collection('counter') and not self.is_initializing():
      count.value = count.value + 1
    self.sow('intermediates', 'x2', x * 2)
    self.put_variable('side', 'last', x)
    return x + self.get_variable('counter', 'count')


def test_variable_sow_put_get():
  x = jnp.ones((2,))
  v = Counter().init(KEY, x)
  assert sorted(v) == ['counter', 'side']       # intermediates are denied
  assert int(v['counter']['count']) == 0
  y, state = Counter().apply(v, x,
                             mutable=['counter', 'intermediates', 'side'])
  assert int(state['counter']['count']) == 1
  np.testing.assert_allclose(np.asarray(y), [2.0, 2.0])   # read after +1
  np.testing.assert_allclose(np.asarray(state['intermediates']['x2'][0]),
                             [2.0, 2.0])
  y, state = Counter().apply({**v, 'counter': state['counter']}, x,
                             mutable=True)
  assert int(state['counter']['count']) == 2
  assert len(state['intermediates']['x2']) == 1


def test_apply_with_immutable_put_variable_raises():
  v = Counter().init(KEY, jnp.ones((2,)))
  with pytest.raises(nn.ModifyScopeVariableError,
                     match='Cannot update variable "last" in "/" because '
                     'collection "side" is immutable'):
    Counter().apply(v, jnp.ones((2,)), mutable=['counter'])


def test_variables_property_and_bind_unbind():
  v = MLP().init(KEY, X2)
  bound = MLP().bind(v)
  assert bound.variables['params'].keys() == v['params'].keys()
  module, variables = bound.unbind()
  assert module.scope is None
  assert shapes(variables) == shapes(v)
  sbound = SetupMLP().bind(SetupMLP().init(KEY, X2))
  p = sbound.variables['params']['layers_0']
  np.testing.assert_allclose(np.asarray(sbound.first(X2)),
                             X2 @ p['kernel'] + p['bias'], rtol=1e-5,
                             atol=1e-5)
  assert sbound.layers[0].name == 'layers_0'


def test_capture_intermediates():
  v = MLP().init(KEY, X2)
  y, state = MLP().apply(v, X2, capture_intermediates=True,
                         mutable=['intermediates'])
  inter = state['intermediates']
  assert sorted(inter) == ['Dense_0', '__call__', 'head']
  np.testing.assert_allclose(np.asarray(inter['__call__'][0]), np.asarray(y))
  only_head = MLP().apply(
      v, X2, capture_intermediates=lambda mdl, name: mdl.name == 'head',
      mutable=['intermediates'])[1]['intermediates']
  assert list(only_head) == ['head']


class Noisy(nn.Module):
  @nn.compact
  def __call__(self, x):
    a = random.normal(self.make_rng('noise'), x.shape)
    b = random.normal(self.make_rng('noise'), x.shape)
    return a, b, nn.Dense(2)(x)


def test_rngs_are_deterministic_by_path_and_call():
  rngs = {'params': KEY, 'noise': random.PRNGKey(7)}
  v = Noisy().init(rngs, X2)
  (a, b, _), (a2, b2, _) = (Noisy().apply(v, X2, rngs=rngs) for _ in range(2))
  np.testing.assert_array_equal(np.asarray(a), np.asarray(a2))
  np.testing.assert_array_equal(np.asarray(b), np.asarray(b2))
  assert np.abs(np.asarray(a) - np.asarray(b)).min() > 0
  v2 = Noisy().init({'params': KEY, 'noise': KEY}, X2)
  np.testing.assert_array_equal(np.asarray(v['params']['Dense_0']['kernel']),
                                np.asarray(v2['params']['Dense_0']['kernel']))
  v3 = Noisy().init({'params': random.PRNGKey(1), 'noise': KEY}, X2)
  assert (np.asarray(v3['params']['Dense_0']['kernel']) !=
          np.asarray(v['params']['Dense_0']['kernel'])).all()


def test_same_class_different_paths_get_different_params():
  v = MLP((3, 3, 3)).init(KEY, np.ones((1, 3), np.float32))['params']
  assert (np.asarray(v['Dense_0']['kernel']) !=
          np.asarray(v['Dense_1']['kernel'])).all()


def test_init_and_apply_under_jit_and_grad():
  model = MLP()
  v = model.init(KEY, X2)

  def loss(params):
    return jnp.sum(model.apply({'params': params}, X2) ** 2)
  g = morphax.jit(morphax.grad(loss))(v['params'])
  eps = 1e-2
  p = morphax.tree_util.tree_map(np.asarray, v['params'])
  bumped = {**p, 'head': {**p['head'], 'bias': p['head']['bias'] +
                          np.array([eps, 0], np.float32)}}
  fd = (float(loss(bumped)) - float(loss(p))) / eps
  assert abs(float(g['head']['bias'][0]) - fd) < 5e-2 * max(1, abs(fd))


# --- errors ------------------------------------------------------------------
def test_shape_mismatch_names_path_and_both_shapes():
  v = MLP().init(KEY, X2)
  with pytest.raises(nn.ScopeParamShapeError,
                     match=r'"kernel" in "/Dense_0".*shape \(6, 4\).*'
                     r'has shape \(5, 4\)'):
    MLP().apply(v, np.ones((2, 6), np.float32))


def test_param_outside_init_apply():
  with pytest.raises(nn.CallCompactUnboundModuleError,
                     match='Can\'t call "param" of the unbound module Dense'):
    nn.Dense(3).param('w', nn.initializers.zeros, (2,))
  with pytest.raises(nn.CallCompactUnboundModuleError,
                     match='Can\'t call "__call__" of the unbound module '
                     'Dense.*model.init'):
    nn.Dense(3)(X2)


def test_duplicate_names():
  class TwoParams(nn.Module):
    @nn.compact
    def __call__(self, x):
      self.param('a', nn.initializers.zeros, (2,))
      self.param('a', nn.initializers.zeros, (2,))
      return x

  class TwoChildren(nn.Module):
    @nn.compact
    def __call__(self, x):
      return nn.Dense(2, name='d')(nn.Dense(2, name='d')(x))
  with pytest.raises(nn.NameInUseError, match='Could not create param "a" in '
                     'Module TwoParams at "/": Name in use'):
    TwoParams().init(KEY, X2)
  with pytest.raises(nn.NameInUseError, match='Could not create submodule "d"'):
    TwoChildren().init(KEY, X2)


def test_missing_rng_stream_names_module_and_stream():
  class Drop(nn.Module):
    @nn.compact
    def __call__(self, x):
      return nn.Dropout(0.5)(x, deterministic=False)
  with pytest.raises(nn.InvalidRngError,
                     match=r'Module "/Dropout_0" needs a PRNG key for the '
                     r'rng stream "dropout", but the rngs given to '
                     r"init\(\)/apply\(\) hold only \['params'\]"):
    Drop().apply({}, X2, rngs={'params': KEY})


def test_wrong_params_structure():
  v = MLP().init(KEY, X2)
  with pytest.raises(nn.ApplyScopeInvalidVariablesStructureError,
                     match=r'with the structure \{"params": ...\}, but got a '
                     r"dict with keys \['Dense_0', 'head'\]"):
    MLP().apply(v['params'], X2)
  with pytest.raises(nn.ScopeCollectionNotFound,
                     match='Tried to access "kernel" from collection "params" '
                     'in "/Dense_0" but the collection is empty'):
    MLP().apply({'params': {}, 'batch_stats': {}}, X2)
  broken = {'params': {'Dense_0': v['params']['Dense_0'],
                       'Head': v['params']['head']}}
  with pytest.raises(nn.ScopeParamNotFoundError,
                     match=r'Could not find parameter named "kernel" in scope '
                     r'"/head". The params tree given to apply\(\) has, '
                     r'here, only: \[\]'):
    MLP().apply(broken, X2)


def test_missing_variable_in_immutable_collection():
  class Stats(nn.Module):
    @nn.compact
    def __call__(self, x):
      return self.variable('stats', 'm', jnp.zeros, (2,)).value
  with pytest.raises(nn.ScopeVariableNotFoundError,
                     match='No variable "m" in collection "stats" at "/"'):
    Stats().apply({'params': {}}, X2)


def test_bad_rngs_argument():
  with pytest.raises(TypeError, match='rngs must be a PRNG key'):
    MLP().init(0, X2)
  with pytest.raises(TypeError, match=r"rngs\['dropout'\] = 3"):
    MLP().init({'params': KEY, 'dropout': 3}, X2)


def test_module_fields_are_named_after_the_field():
  model = nn.Sequential([nn.Dense(3), nn.relu, nn.Dense(2)])
  v = model.init(KEY, X2)
  assert shapes(v) == {'params': {'layers_0': {'bias': [3], 'kernel': [5, 3]},
                                  'layers_2': {'bias': [2], 'kernel': [3, 2]}}}


def test_init_with_output_and_has_rng():
  class Probe(nn.Module):
    @nn.compact
    def __call__(self, x):
      return nn.Dense(2)(x), self.has_rng('dropout'), self.is_initializing()
  (y, has_dropout, initializing), v = Probe().init_with_output(KEY, X2)
  assert (has_dropout, initializing) == (False, True)
  p = v['params']['Dense_0']
  np.testing.assert_allclose(np.asarray(y), X2 @ np.asarray(p['kernel']),
                             rtol=1e-5, atol=1e-5)     # bias starts at 0
  _, has_dropout, initializing = Probe().apply(v, X2, rngs={'dropout': KEY})
  assert (has_dropout, initializing) == (True, False)
