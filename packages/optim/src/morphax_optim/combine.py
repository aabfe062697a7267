"""Combinators that build one optimizer out of others.

chain, named_chain, masked, multi_transform, flatten.
"""
from typing import Any, NamedTuple

import numpy as np
import morphax.numpy as jnp
from morphax import tree_util as tu

from morphax_optim import base

UNKNOWN_LABELS = (
    "multi_transform: param_labels use the labels {missing}, which have no "
    "transformation in `transforms` (whose keys are {known}). Add an entry for "
    "each label, e.g. multi_transform({{'adam': adam(1e-3), 'sgd': sgd(0.1)}}, labels).")


CHAIN_STATE_LENGTH = (
    "chain: the state holds {n_state} inner states but the chain has "
    "{n_tx} transformations; create the state with this optimizer's "
    "init(params).")


class MaskedNode(NamedTuple):
  """Stands in for a masked-out leaf: a pytree node with no leaves."""


class MaskedState(NamedTuple):
  """The inner transformation's state on the masked params."""
  inner_state: Any


class MultiTransformState(NamedTuple):
  """One MaskedState per label."""
  inner_states: Any


def _update_with_extra_args(tx, updates, state, params, extra_args):
  if isinstance(tx, base.GradientTransformationExtraArgs):
    return tx.update(updates, state, params, **extra_args)
  return tx.update(updates, state, params)


def chain(*transforms):
  """Applies transforms one after the other; the state is a tuple of their states.

  Example:
    >>> tx = chain(clip_by_global_norm(1.0), scale_by_adam(), scale(-1e-3))
  """
  def init_fn(params):
    return tuple(t.init(params) for t in transforms)

  def update_fn(updates, state, params=None, **extra_args):
    if len(state) != len(transforms):
      raise ValueError(CHAIN_STATE_LENGTH.format(n_state=len(state),
                                                 n_tx=len(transforms)))
    new_state = []
    for t, s in zip(transforms, state):
      updates, s = _update_with_extra_args(t, updates, s, params, extra_args)
      new_state.append(s)
    return updates, tuple(new_state)
  return base.GradientTransformationExtraArgs(init_fn, update_fn)


def named_chain(*transforms):
  """Like chain, over (name, transformation) pairs; the state is a dict by name."""
  def init_fn(params):
    return {name: t.init(params) for name, t in transforms}

  def update_fn(updates, state, params=None, **extra_args):
    new_state = {}
    for name, t in transforms:
      updates, new_state[name] = _update_with_extra_args(
          t, updates, state[name], params, extra_args)
    return updates, new_state
  return base.GradientTransformationExtraArgs(init_fn, update_fn)


def _is_masked(x):
  return isinstance(x, MaskedNode)


def _mask_tree(tree, mask_tree):
  return tu.tree_map(lambda m, t: t if m else MaskedNode(), mask_tree, tree)


def masked(inner, mask, *, mask_compatible_extra_args=False):
  """Applies inner only where mask is True; other updates pass unchanged.

  Args:
    inner: the transformation to apply to the selected leaves.
    mask: a tree of bools with the structure (or a prefix) of params, or a
      callable params -> such a tree.

  Example:
    >>> tx = masked(add_decayed_weights(1e-4), {'w': True, 'b': False})
  """
  def mask_for(tree):
    return mask(tree) if callable(mask) else mask

  def init_fn(params):
    return MaskedState(inner.init(_mask_tree(params, mask_for(params))))

  def update_fn(updates, state, params=None, **extra_args):
    mask_tree = mask_for(updates if params is None else params)
    masked_updates = _mask_tree(updates, mask_tree)
    masked_params = None if params is None else _mask_tree(params, mask_tree)
    if mask_compatible_extra_args:
      extra_args = {k: _mask_tree(v, mask_tree) for k, v in extra_args.items()}
    new_masked, new_inner = _update_with_extra_args(
        inner, masked_updates, state.inner_state, masked_params, extra_args)
    new_updates = tu.tree_map(lambda m, new, old: new if m else old,
                              mask_tree, new_masked, updates, is_leaf=_is_masked)
    return new_updates, MaskedState(new_inner)
  return base.GradientTransformationExtraArgs(init_fn, update_fn)


def multi_transform(transforms, param_labels, *, mask_compatible_extra_args=False):
  """Applies a different transformation to each group of parameters.

  Args:
    transforms: a mapping label -> GradientTransformation.
    param_labels: a tree of labels like params, or a callable params -> labels.

  Example:
    >>> tx = multi_transform({'a': adam(1e-3), 'z': set_to_zero()}, {'w': 'a', 'b': 'z'})
  """
  def labels_for(tree):
    return param_labels(tree) if callable(param_labels) else param_labels

  def check_labels(labels):
    used = set(tu.tree_leaves(labels))
    missing = used - set(transforms)
    if missing:
      raise ValueError(UNKNOWN_LABELS.format(
          missing=sorted(map(str, missing)), known=sorted(map(str, transforms))))

  def mask_for(label):
    return lambda tree: tu.tree_map(lambda l: l == label, labels_for(tree))

  masked_txs = {label: masked(tx, mask_for(label),
                              mask_compatible_extra_args=mask_compatible_extra_args)
                for label, tx in transforms.items()}

  def init_fn(params):
    check_labels(labels_for(params))
    return MultiTransformState({k: t.init(params) for k, t in masked_txs.items()})

  def update_fn(updates, state, params=None, **extra_args):
    check_labels(labels_for(updates if params is None else params))
    new_states = {}
    for label, tx in masked_txs.items():
      updates, new_states[label] = tx.update(
          updates, state.inner_states[label], params, **extra_args)
    return updates, MultiTransformState(new_states)
  return base.GradientTransformationExtraArgs(init_fn, update_fn)


def _ravel(tree):
  leaves = tu.tree_leaves(tree)
  if not leaves:
    return jnp.zeros((0,), jnp.float32)
  return jnp.concatenate([jnp.ravel(x) for x in leaves])


def _unravel_like(flat, tree):
  leaves, treedef = tu.tree_flatten(tree)
  out, offset = [], 0
  for x in leaves:
    n = int(np.prod(x.shape))
    out.append(flat[offset:offset + n].reshape(x.shape).astype(x.dtype))
    offset += n
  return tu.tree_unflatten(treedef, out)


def flatten(inner):
  """Runs inner on one flat vector holding all leaves (fewer, larger kernels)."""
  def init_fn(params):
    return inner.init(_ravel(params))

  def update_fn(updates, state, params=None, **extra_args):
    flat_params = None if params is None else _ravel(params)
    new_flat, state = _update_with_extra_args(
        inner, _ravel(updates), state, flat_params, extra_args)
    return _unravel_like(new_flat, updates), state
  return base.GradientTransformationExtraArgs(init_fn, update_fn)
