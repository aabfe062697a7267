"""Initializers: sample statistics against jax.nn.initializers' formulas
(std = sqrt(scale / fan)), bounds, orthogonality and error messages."""

import math

import numpy as np
import pytest

import morphax.numpy as jnp
import morphax_rng as random
import morphax_nn as nn
from morphax_nn import initializers as init

KEY = random.PRNGKey(42)
SHAPE = (120, 150)   # fan_in 120, fan_out 150


# name, initializer, expected std, bound (None = unbounded)
def _rows():
  fi, fo, fa = 120, 150, 135
  t = 1 / 0.87962566103423978          # truncation correction
  u = math.sqrt(3)                       # uniform limit / std
  return [
      ('lecun_normal', init.lecun_normal(), math.sqrt(1 / fi),
       2 * t * math.sqrt(1 / fi)),
      ('lecun_uniform', init.lecun_uniform(), math.sqrt(1 / fi),
       u * math.sqrt(1 / fi)),
      ('glorot_normal', init.glorot_normal(), math.sqrt(1 / fa),
       2 * t * math.sqrt(1 / fa)),
      ('xavier_uniform', init.xavier_uniform(), math.sqrt(1 / fa),
       u * math.sqrt(1 / fa)),
      ('he_normal', init.he_normal(), math.sqrt(2 / fi),
       2 * t * math.sqrt(2 / fi)),
      ('kaiming_uniform', init.kaiming_uniform(), math.sqrt(2 / fi),
       u * math.sqrt(2 / fi)),
      ('fan_out_normal', init.variance_scaling(3.0, 'fan_out', 'normal'),
       math.sqrt(3 / fo), None),
      ('fan_geo', init.variance_scaling(1.0, 'fan_geo', 'normal'),
       math.sqrt(1 / math.sqrt(fi * fo)), None),
      ('normal', init.normal(0.5), 0.5, None),
      ('truncated_normal', init.truncated_normal(0.5), 0.5 * 0.8796, 1.0),
  ]


@pytest.mark.parametrize('name,fn,std,bound', _rows(), ids=lambda r: str(r)
                         if isinstance(r, str) else '')
def test_variance_scaling_family(name, fn, std, bound):
  x = np.asarray(fn(KEY, SHAPE))
  assert x.shape == SHAPE and x.dtype == np.float32
  assert abs(x.std() / std - 1) < 0.03, (name, x.std(), std)
  assert abs(x.mean()) < 0.02 * std * 10
  if bound is not None:
    assert np.abs(x).max() <= bound * (1 + 1e-5)
    assert np.abs(x).max() > 0.9 * bound


def test_fans_of_conv_and_embedding_shapes():
  assert init.compute_fans((3, 3, 16, 32)) == (144, 288)
  x = np.asarray(init.variance_scaling(1.0, 'fan_in', 'normal', out_axis=0)(
      KEY, (1000, 40)))
  assert abs(x.std() * math.sqrt(40) - 1) < 0.03   # Embed's default


def test_constant_zeros_ones_uniform():
  np.testing.assert_array_equal(np.asarray(init.zeros(KEY, (2, 3))),
                                np.zeros((2, 3)))
  np.testing.assert_array_equal(np.asarray(init.ones(KEY, (2,), jnp.int32)),
                                np.ones(2, np.int32))
  np.testing.assert_array_equal(np.asarray(init.constant(0.5)(KEY, (3,))),
                                np.full(3, 0.5))
  u = np.asarray(init.uniform(2.0)(KEY, (4000,)))
  assert u.min() >= 0 and u.max() < 2.0 and abs(u.mean() - 1.0) < 0.05


@pytest.mark.parametrize('shape,axis', [((4, 6), -1), ((6, 4), -1),
                                        ((3, 2, 5), -1), ((5, 3), 0)])
def test_orthogonal(shape, axis):
  q = np.asarray(init.orthogonal(scale=2.0, column_axis=axis)(KEY, shape))
  assert q.shape == shape
  cols = np.moveaxis(q, axis, -1).reshape(-1, shape[axis])
  gram = cols.T @ cols if cols.shape[0] >= cols.shape[1] else cols @ cols.T
  np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-4)


def test_delta_orthogonal():
  w = np.array(init.delta_orthogonal()(KEY, (3, 3, 4, 4)))
  centre = w[1, 1]
  np.testing.assert_allclose(centre.T @ centre, np.eye(4), atol=1e-5)
  w[1, 1] = 0
  assert not w.any()


def test_errors():
  with pytest.raises(ValueError, match='mode must be "fan_in", "fan_out", '
                     '"fan_avg" or "fan_geo"; got \'fan\''):
    init.variance_scaling(1.0, 'fan', 'normal')
  with pytest.raises(ValueError, match='distribution must be '
                     '"truncated_normal", "normal" or "uniform"'):
    init.variance_scaling(1.0, 'fan_in', 'cauchy')
  with pytest.raises(ValueError, match=r'orthogonal: needs a shape of at '
                     r'least 2 dimensions; got shape \(3,\)'):
    init.orthogonal()(KEY, (3,))
  with pytest.raises(ValueError, match=r'delta_orthogonal: needs a 3D, 4D or '
                     r'5D shape.*got \(3, 3, 4, 2\)'):
    init.delta_orthogonal()(KEY, (3, 3, 4, 2))


def test_layer_default_initializers_are_linens():
  v = nn.Dense(300).init(KEY, np.ones((1, 200), np.float32))['params']
  k = np.asarray(v['kernel'])
  assert abs(k.std() * math.sqrt(200) - 1) < 0.03           # lecun_normal
  assert np.abs(k).max() <= 2 / 0.87962566103423978 / math.sqrt(200) + 1e-6
  assert not np.asarray(v['bias']).any()
  e = np.asarray(nn.Embed(2000, 50).init(
      KEY, np.zeros((1,), np.int32))['params']['embedding'])
  assert abs(e.std() * math.sqrt(50) - 1) < 0.03            # normal, fan_in
  assert np.abs(e).max() > 3.5 / math.sqrt(50)              # not truncated
  ln = nn.LayerNorm().init(KEY, np.ones((1, 3), np.float32))['params']
  np.testing.assert_array_equal(np.asarray(ln['scale']), np.ones(3))
  np.testing.assert_array_equal(np.asarray(ln['bias']), np.zeros(3))
