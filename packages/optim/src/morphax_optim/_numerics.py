"""Small numerically careful helpers shared by the transformations.

Safe norms, saturating counters and |x|^2 for real and complex leaves.
"""
import morphax.numpy as jnp

_INT32_MAX = 2**31 - 1


def abs_sq(x):
  """Returns |x|^2 elementwise (x * conj(x) for complex x), as a real array."""
  if jnp.iscomplexobj(x):
    return (jnp.conj(x) * x).real
  return x * x


def safe_increment(count):
  """Adds one to an int32 counter, saturating at the largest int32."""
  count = jnp.asarray(count)
  return jnp.where(count < _INT32_MAX, count + 1, count)


def safe_norm(x, min_norm, ord=None, axis=None, keepdims=False):
  """The norm of x, or min_norm when it is smaller; its gradient is finite at 0."""
  norm = jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=True)
  x = jnp.where(norm <= min_norm, jnp.ones_like(x), x)
  norm = norm if keepdims else jnp.squeeze(norm, axis=axis)
  masked_norm = jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
  return jnp.where(norm <= min_norm, min_norm, masked_norm)


def safe_root_mean_squares(x, min_rms):
  """The root mean square of x, at least min_rms."""
  rms = jnp.sqrt(jnp.mean(abs_sq(x)))
  x = jnp.where(rms <= min_rms, jnp.ones_like(x), x)
  return jnp.where(rms <= min_rms, min_rms, jnp.sqrt(jnp.mean(abs_sq(x))))
