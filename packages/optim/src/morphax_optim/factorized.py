"""Adafactor's factored second-moment estimate (Shazeer & Stern, 2018).

scale_by_factored_rms keeps row and column statistics for large matrices.
"""
from typing import Any, NamedTuple

import numpy as np
import morphax.numpy as jnp
from morphax import tree_util as tu

from morphax_optim import _numerics
from morphax_optim import base


class FactoredState(NamedTuple):
  """Step count, row/column statistics, and full statistics for small leaves."""
  count: Any
  v_row: Any
  v_col: Any
  v: Any


def _decay_rate_pow(i, exponent=0.8):
  """1 - (i + 1)**-exponent: Adafactor's default second-moment decay."""
  t = jnp.asarray(i + 1, jnp.float32)
  return 1.0 - t ** (-exponent)


def _factored_dims(shape, factored, min_dim_size_to_factor):
  if not factored or len(shape) < 2:
    return None
  sorted_dims = np.argsort(shape)
  if shape[sorted_dims[-2]] < min_dim_size_to_factor:
    return None
  return int(sorted_dims[-2]), int(sorted_dims[-1])


def scale_by_factored_rms(factored=True, decay_rate=0.8, step_offset=0,
                          min_dim_size_to_factor=128, epsilon=1e-30,
                          decay_rate_fn=_decay_rate_pow):
  """Rescales by a factored (row x column) estimate of the second moment."""
  def init_leaf(p):
    one = jnp.zeros((1,), p.dtype)
    dims = _factored_dims(p.shape, factored, min_dim_size_to_factor)
    if dims is not None:
      d1, d0 = dims
      return (jnp.zeros(np.delete(p.shape, d0), p.dtype),
              jnp.zeros(np.delete(p.shape, d1), p.dtype), one)
    return one, one, jnp.zeros_like(p)

  def init_fn(params):
    leaves, treedef = tu.tree_flatten(params)
    rows, cols, vs = zip(*[init_leaf(p) for p in leaves]) if leaves else ((), (), ())
    unflat = lambda xs: tu.tree_unflatten(treedef, list(xs))  # noqa: E731
    return FactoredState(jnp.zeros([], jnp.int32), unflat(rows), unflat(cols), unflat(vs))

  def update_leaf(grad, v_row, v_col, v, param, step):
    dtype = param.dtype
    decay_t = decay_rate_fn(step - step_offset, decay_rate)
    one = jnp.zeros((1,), dtype)
    grad_sqr = _numerics.abs_sq(grad) + epsilon
    dims = _factored_dims(param.shape, factored, min_dim_size_to_factor)
    if dims is None:
      new_v = (decay_t * v + (1.0 - decay_t) * grad_sqr).astype(dtype)
      return grad * new_v ** -0.5, one, one, new_v
    d1, d0 = dims
    new_row = (decay_t * v_row + (1.0 - decay_t) * jnp.mean(grad_sqr, axis=d0)).astype(dtype)
    new_col = (decay_t * v_col + (1.0 - decay_t) * jnp.mean(grad_sqr, axis=d1)).astype(dtype)
    reduced_d1 = d1 - 1 if d1 > d0 else d1
    row_col_mean = jnp.mean(new_row, axis=reduced_d1, keepdims=True)
    row_factor = (new_row / row_col_mean) ** -0.5
    col_factor = new_col ** -0.5
    update = (grad * jnp.expand_dims(row_factor, axis=d0)
              * jnp.expand_dims(col_factor, axis=d1))
    return update, new_row, new_col, one

  def update_fn(grads, state, params=None):
    if params is None:
      raise ValueError(base.NO_PARAMS_MSG)
    leaves, treedef = tu.tree_flatten(grads)
    rest = [tu.tree_leaves(t) for t in (state.v_row, state.v_col, state.v, params)]
    outs = [update_leaf(g, r, c, v, p, state.count)
            for g, r, c, v, p in zip(leaves, *rest)]
    unflat = lambda i: tu.tree_unflatten(treedef, [o[i] for o in outs])  # noqa: E731
    return unflat(0), FactoredState(_numerics.safe_increment(state.count),
                                    unflat(1), unflat(2), unflat(3))
  return base.GradientTransformation(init_fn, update_fn)
