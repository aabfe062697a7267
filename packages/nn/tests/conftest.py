"""Test setup: four CPU devices (for BatchNorm under pmap) and shared data.

The device count must be set before morphax starts its backend, so here,
before any test module imports morphax.
"""

import os
import tempfile

# Compiles go to a throwaway persistent cache, never the user's: a test run
# measures cold compiles and leaves nothing behind.
_CACHE_DIR = tempfile.TemporaryDirectory(prefix="morphax-test-cache-")
os.environ["MORPHAX_CACHE_DIR"] = _CACHE_DIR.name

os.environ.setdefault('MORPHAX_NUM_CPU_DEVICES', '4')

import pathlib  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

DATA = pathlib.Path(__file__).parent / 'data'


def nest(flat):
  """{'a/b': x} -> {'a': {'b': x}}."""
  out = {}
  for path, value in flat.items():
    node = out
    *parents, leaf = path.split('/')
    for p in parents:
      node = node.setdefault(p, {})
    node[leaf] = value
  return out


@pytest.fixture(scope='session')
def known():
  """Known answers generated with flax.linen 0.12.8: known(case) gives
  (inputs, variables, output, new_state)."""
  data = np.load(DATA / 'linen_known_answers.npz')

  def get(case):
    keys = [k for k in data.files if k.split('|')[0] == case]
    inputs = [data[f'{case}|in{i}'] for i in range(
        sum(k.startswith(f'{case}|in') for k in keys))]
    variables = nest({k.split('|', 2)[2]: data[k] for k in keys
                      if k.startswith(f'{case}|var|')})
    new = nest({k.split('|', 2)[2]: data[k] for k in keys
                if k.startswith(f'{case}|new|')})
    return inputs, variables, data.get(f'{case}|out'), new
  get.raw = data
  return get
