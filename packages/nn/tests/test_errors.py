"""The remaining error messages of the layers and transforms, one row each
(the module system's are in test_module.py)."""

import numpy as np
import pytest

import morphax_rng as random
import morphax_nn as nn

KEY = random.PRNGKey(0)


def ones(*shape):
  return np.ones(shape, np.float32)


class _Step(nn.Module):
  @nn.compact
  def __call__(self, c, x):
    self.sow('stats', 'c', c)
    return c, x


class _Attend(nn.Module):
  kind: str

  @nn.compact
  def __call__(self, x):
    mha = nn.MultiHeadDotProductAttention(num_heads=1)
    if self.kind == 'v_only':
      return mha(x, inputs_v=x)
    return mha(x, x, inputs_kv=x)


ROWS = [
    ('transpose circular', NotImplementedError, 'padding="CIRCULAR" is not '
     'supported yet',
     lambda: nn.ConvTranspose(2, (3,), padding='CIRCULAR').init(KEY,
                                                                ones(1, 4, 1))),
    ('conv rank', ValueError, r'input of shape \(4,\) has 1 dimensions; with '
     r'kernel_size \(3, 3\) it needs 4',
     lambda: nn.Conv(2, (3, 3)).init(KEY, ones(4))),
    ('conv padding pairs', ValueError, r'expected 2 \(low, high\) pairs',
     lambda: nn.Conv(2, (3, 3), padding=[(1, 1), (1, 1), (1, 1)]).init(
         KEY, ones(1, 4, 4, 1))),
    ('einsum operands', ValueError, 'must have exactly two operands',
     lambda: nn.Einsum((3, 2), 'ab->b').init(KEY, ones(2, 3))),
    ('v without k', ValueError, 'inputs_v was given without inputs_k',
     lambda: _Attend('v_only').init(KEY, ones(1, 2, 4))),
    ('kv and k', ValueError, 'give either inputs_kv or inputs_k/inputs_v',
     lambda: _Attend('both').init(KEY, ones(1, 2, 4))),
    ('qkv rank', ValueError, r'same rank.*query \(2, 1, 4\), key \(2, 4\)',
     lambda: nn.dot_product_attention(ones(2, 1, 4), ones(2, 4),
                                      ones(2, 4))),
    ('qkv match', ValueError, r'query \(1, 2, 1, 4\) and key \(1, 3, 1, 5\)',
     lambda: nn.dot_product_attention(ones(1, 2, 1, 4), ones(1, 3, 1, 5),
                                      ones(1, 3, 1, 5))),
    ('pool window', ValueError, r'window_shape \(2, 2\) has 2 dimensions but '
     r'inputs of shape \(4, 1\)', lambda: nn.max_pool(ones(4, 1), (2, 2))),
    ('pool strides', ValueError, r'strides \(1,\) must have as many entries',
     lambda: nn.avg_pool(ones(1, 4, 4, 1), (2, 2), strides=(1,))),
    ('group norm args', ValueError, 'exactly one of num_groups and group_size',
     lambda: nn.GroupNorm(num_groups=None).init(KEY, ones(1, 4))),
    ('scan carry vars', NotImplementedError, 'variable_carry is not supported',
     lambda: nn.scan(_Step, variable_carry='stats')),
    ('scan length', ValueError, 'pass length=... to nn.scan',
     lambda: nn.scan(_Step)().init(KEY, ones(2), None)),
    ('scan stray collection', ValueError, r'collection "stats" is written '
     r'inside the loop but is neither in variable_axes',
     lambda: nn.scan(_Step, variable_axes={'params': 0})().init(
         KEY, ones(2), ones(3, 2))),
    ('vmap size', ValueError, 'pass axis_size=... to nn.vmap',
     lambda: nn.vmap(nn.Dense, in_axes=None)(2).init(KEY, ones(3))),
]


@pytest.mark.parametrize('name,error,match,fn', ROWS,
                         ids=[r[0] for r in ROWS])
def test_error_messages(name, error, match, fn):
  with pytest.raises(error, match=match):
    fn()


def test_decode_step_shape():
  module = nn.SelfAttention(num_heads=1, decode=True)
  cache = module.init(KEY, ones(1, 3, 2))
  with pytest.raises(ValueError, match=r'with decode=True each call takes '
                     r'one step: expected query shape \(1, 1, 1, 2\), got '
                     r'\(1, 2, 1, 2\)'):
    module.apply(cache, ones(1, 2, 2), mutable=['cache'])
