"""Transformations that add to updates: weight decay and gradient noise.

add_decayed_weights (with a mask) and add_noise.
"""
from typing import Any, NamedTuple

import morphax.numpy as jnp
from morphax import tree_util as tu

from morphax_optim import _numerics
from morphax_optim import _prng
from morphax_optim import base
from morphax_optim import combine
from morphax_optim import tree_utils as otu


SEED_AND_KEY = (
    "add_noise: give only one of seed= or key= (seed is the deprecated "
    "name of key), e.g. add_noise(0.01, 0.55, key=0).")


class AddDecayedWeightsState(NamedTuple):
  """add_decayed_weights with a float is stateless."""


class WeightDecaySchedule(NamedTuple):
  """The step count a scheduled weight decay is evaluated at."""
  count: Any


class AddNoiseState(NamedTuple):
  """Step count and the raw PRNG key (uint32[2])."""
  count: Any
  rng_key: Any


def add_decayed_weights(weight_decay=0.0, mask=None):
  """Adds weight_decay * params to updates (decoupled weight decay).

  Args:
    weight_decay: a float or a schedule of the step count.
    mask: a tree of bools like params, or a callable params -> such a tree;
      decay is applied where it is True.

  Example:
    >>> tx = add_decayed_weights(1e-4, mask=lambda p: {k: k != 'b' for k in p})
  """
  def init_fn(params):
    del params
    if callable(weight_decay):
      return WeightDecaySchedule(count=jnp.zeros([], jnp.int32))
    return base.EmptyState()

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError(base.NO_PARAMS_MSG)
    if callable(weight_decay):
      new_state = WeightDecaySchedule(_numerics.safe_increment(state.count))
      s = weight_decay(state.count)
    else:
      new_state, s = state, weight_decay
      if isinstance(weight_decay, (int, float)) and weight_decay == 0.0:
        return updates, new_state
    updates = otu.tree_map_checked(
        "add_decayed_weights", ["updates", "params"],
        lambda g, p: None if g is None else g + s * p, updates, params,
        is_leaf=lambda x: x is None)
    return updates, new_state

  tx = base.GradientTransformation(init_fn, update_fn)
  if mask is not None:
    return combine.masked(tx, mask)
  return tx


def add_noise(eta, gamma, key=None, *, seed=None):
  """Adds Gaussian noise of variance eta / (1 + t)**gamma (Neelakantan et al., 2015).

  Args:
    eta: base variance.
    gamma: decay exponent of the variance.
    key: an int seed or a raw uint32[2] key (default 0).
    seed: deprecated alias of key.
  """
  if seed is not None:
    if key is not None:
      raise ValueError(SEED_AND_KEY)
    key = seed
  key = 0 if key is None else key

  def init_fn(params):
    del params
    return AddNoiseState(jnp.zeros([], jnp.int32), _prng.canonicalize_key(key))

  def update_fn(updates, state, params=None):
    del params
    count_inc = _numerics.safe_increment(state.count)
    stddev = jnp.sqrt(eta / count_inc ** gamma)
    keys = _prng.split(state.rng_key)
    new_key, sample_key = keys[0], keys[1]
    leaves, treedef = tu.tree_flatten(updates)
    leaf_keys = _prng.split(sample_key, max(len(leaves), 1))
    noisy = [g + stddev.astype(g.dtype) * _prng.normal(leaf_keys[i], g.shape, g.dtype)
             for i, g in enumerate(leaves)]
    return tu.tree_unflatten(treedef, noisy), AddNoiseState(count_inc, new_key)
  return base.GradientTransformation(init_fn, update_fn)
