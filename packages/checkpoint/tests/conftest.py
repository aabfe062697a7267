"""Shared fixtures of the morphax_checkpoint tests: trees and helpers.

Four CPU devices, set before morphax starts its backend, so that the
pmap-sharded paths (test_multidevice.py) run in this process.
"""

import os
import tempfile

# Compiles go to a throwaway persistent cache, never the user's: a test run
# measures cold compiles and leaves nothing behind.
_CACHE_DIR = tempfile.TemporaryDirectory(prefix="morphax-test-cache-")
os.environ["MORPHAX_CACHE_DIR"] = _CACHE_DIR.name

os.environ["MORPHAX_NUM_CPU_DEVICES"] = "4"

import numpy as np  # noqa: E402
import pytest  # noqa: E402


def bits(x):
  """The raw bytes of an array (bit-exact comparisons, NaN payloads included)."""
  a = np.asarray(x)
  return a.dtype.name, a.shape, a.reshape(-1).view(np.uint8).tobytes()


def random_bits(rng, shape, dtype):
  """An array of `dtype` with random bit patterns (NaNs, infs, -0.0 included)."""
  dtype = np.dtype(dtype)
  if dtype == np.bool_:
    return rng.integers(0, 2, shape).astype(bool)
  raw = rng.integers(0, 256, int(np.prod(shape)) * dtype.itemsize, dtype=np.uint8)
  return raw.view(dtype).reshape(shape)


@pytest.fixture
def rng():
  return np.random.default_rng(0)
