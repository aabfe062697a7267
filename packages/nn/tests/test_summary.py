"""tabulate: rows per module call, shapes, parameter counts and bytes."""

import numpy as np

import morphax.nn
import morphax_rng as random
import morphax_nn as nn

KEY = random.PRNGKey(0)


class Net(nn.Module):
  @nn.compact
  def __call__(self, x):
    x = nn.relu(nn.Dense(4)(x))
    x = nn.BatchNorm(use_running_average=True)(x)
    return nn.Dense(2, name='head')(x)


def rows(table):
  return [line for line in table.splitlines() if line.startswith('|')]


def test_tabulate_lists_modules_shapes_and_totals():
  x = np.ones((3, 5), np.float32)
  table = nn.tabulate(Net(), KEY)(x)
  assert table == Net().tabulate(KEY, x)
  lines = rows(table)
  header = [c.strip() for c in lines[0].strip('|').split('|')]
  assert header == ['path', 'module', 'inputs', 'outputs', 'params',
                    'batch_stats']
  text = '\n'.join(lines)
  assert '| Dense_0 ' in text and '| head ' in text
  assert 'kernel: float32[5,4]' in text and 'kernel: float32[4,2]' in text
  assert 'mean: float32[4]' in text
  assert 'float32[3,5]' in text and 'float32[3,2]' in text
  n_params = 5 * 4 + 4 + 4 + 4 + 4 * 2 + 2          # dense, bn, head
  assert f'Total Parameters: {n_params} ({n_params * 4} B)' in table
  assert f'| {n_params} ({n_params * 4} B)' in text
  assert '24 (96 B)' in text                        # Dense_0 alone


def test_tabulate_depth_limits_rows():
  x = np.ones((3, 5), np.float32)
  table = nn.tabulate(Net(), KEY, depth=0)(x)
  assert 'Dense_0' not in table and '| Net ' in table


def test_activations_are_morphax_nn_functions():
  for name in ('relu', 'gelu', 'silu', 'softmax', 'log_softmax', 'one_hot',
               'sigmoid', 'tanh', 'swish', 'elu', 'leaky_relu', 'glu'):
    assert getattr(nn, name) is getattr(morphax.nn, name)
