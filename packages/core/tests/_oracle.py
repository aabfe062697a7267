"""numpy as the oracle for the morphax.numpy tables: deterministic inputs
and a comparison that expects JAX's dtypes (x64 off: int64 -> int32,
float64 -> float32, ...) as well as numpy's shapes and values."""

import numpy as np

import morphax

# numpy's 64-bit results are 32-bit in JAX (with x64 off).
JAX_DTYPES = {np.dtype(np.int64): np.int32, np.dtype(np.float64): np.float32,
              np.dtype(np.uint64): np.uint32, np.dtype(np.complex128): np.complex64}


def R(*shape, dtype=np.float32, seed=0):
  """A deterministic array: small integers for integer dtypes, standard
  normal values otherwise (complex: both parts)."""
  rng = np.random.RandomState(seed + len(shape))
  kind = np.dtype(dtype).kind
  if kind in "iu":
    return rng.randint(-5 if kind == "i" else 0, 9, shape).astype(dtype)
  if kind == "c":
    return (rng.randn(*shape) + 1j * rng.randn(*shape)).astype(dtype)
  return np.asarray(rng.randn(*shape)).astype(dtype)


def check(out, expected, rtol=1e-5, atol=1e-5):
  """`out` is a morphax Array (or a list/tuple of them) with numpy's shape,
  JAX's version of numpy's dtype, and numpy's values to the tolerance."""
  if isinstance(expected, (list, tuple)):
    assert isinstance(out, (list, tuple)) and len(out) == len(expected)
    for o, e in zip(out, expected):
      check(o, e, rtol, atol)
    return
  expected = np.asarray(expected)
  expected = expected.astype(JAX_DTYPES.get(expected.dtype, expected.dtype))
  assert isinstance(out, morphax.Array), type(out)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
  np.testing.assert_allclose(np.asarray(out), expected, rtol=rtol, atol=atol)
