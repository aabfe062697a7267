"""Transformations that clip, centre, sanitise or constrain updates.

clip, clip_by_global_norm, clip_by_block_rms, centralize, zero_nans,
keep_params_nonnegative.
"""
from typing import Any, NamedTuple

import morphax.numpy as jnp

from morphax import tree_util as tu

from morphax_optim import _numerics
from morphax_optim import base
from morphax_optim import tree_utils as otu


class ZeroNansState(NamedTuple):
  """Per leaf, whether the last update held a NaN."""
  found_nan: Any


class NonNegativeParamsState(NamedTuple):
  """keep_params_nonnegative is stateless."""


def clip(max_delta):
  """Clips every update element to [-max_delta, max_delta]."""
  def update_fn(updates, state, params=None):
    del params
    return tu.tree_map(lambda g: jnp.clip(g, -max_delta, max_delta), updates), state
  return base.GradientTransformation(base.init_empty_state, update_fn)


def clip_by_global_norm(max_norm):
  """Rescales updates so that their global l2 norm is at most max_norm.

  Reference: Pascanu et al., On the difficulty of training RNNs, 2012.
  """
  def update_fn(updates, state, params=None):
    del params
    g_norm = otu.tree_l2_norm(updates)
    trigger = jnp.squeeze(g_norm < max_norm)
    def clip_leaf(t):
      return jnp.where(trigger, t, (t / g_norm.astype(t.dtype)) * max_norm)
    return tu.tree_map(clip_leaf, updates), state
  return base.GradientTransformation(base.init_empty_state, update_fn)


def clip_by_block_rms(threshold):
  """Rescales each leaf so that its root mean square is at most threshold."""
  def update_fn(updates, state, params=None):
    del params
    def clip_leaf(u):
      denom = jnp.maximum(1.0, jnp.sqrt(jnp.mean(_numerics.abs_sq(u))) / threshold)
      return u / denom
    return tu.tree_map(clip_leaf, updates), state
  return base.GradientTransformation(base.init_empty_state, update_fn)


def centralize():
  """Subtracts from each leaf of rank > 1 its mean over all axes but the first.

  Reference: Yong et al., Gradient Centralization, 2020.
  """
  def centre(x):
    if x.ndim <= 1:
      return x
    return x - jnp.mean(x, axis=tuple(range(1, x.ndim)), keepdims=True)

  def update_fn(updates, state, params=None):
    del params
    return tu.tree_map(centre, updates), state
  return base.GradientTransformation(base.init_empty_state, update_fn)


def zero_nans():
  """Replaces NaNs in updates by zeros and records, per leaf, whether any were found."""
  def init_fn(params):
    return ZeroNansState(tu.tree_map(lambda p: jnp.array(False), params))

  def update_fn(updates, state, params=None):
    del params
    found = tu.tree_map(lambda u: jnp.any(jnp.isnan(u)), updates)
    updates = tu.tree_map(lambda u: jnp.where(jnp.isnan(u), jnp.zeros_like(u), u),
                          updates)
    return updates, ZeroNansState(found)
  return base.GradientTransformation(init_fn, update_fn)


def keep_params_nonnegative():
  """Changes updates so that params + updates stays >= 0."""
  def init_fn(params):
    del params
    return NonNegativeParamsState()

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError(base.NO_PARAMS_MSG)
    updates = otu.tree_map_checked(
        "keep_params_nonnegative", ["updates", "params"],
        lambda u, p: jnp.where((p + u) < 0.0, -p, u), updates, params)
    return updates, state
  return base.GradientTransformation(init_fn, update_fn)


