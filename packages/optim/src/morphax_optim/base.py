"""The optimizer type: a pair of pure functions (init, update) in a NamedTuple.

Also the stateless building blocks and parameter-update helpers.
"""
from typing import Any, Callable, NamedTuple, Union

import morphax.numpy as jnp
from morphax import tree_util as tu

from morphax_optim import tree_utils as otu

Params = Updates = OptState = Any  # pytrees of arrays
Schedule = Callable[[Any], Any]  # step count -> value
ScalarOrSchedule = Union[float, Any, Schedule]

NO_PARAMS_MSG = (
    "You are using a transformation that requires the current value of "
    "parameters, but you are not passing `params` when calling `update`. "
    "Call `tx.update(grads, state, params)`.")


class GradientTransformation(NamedTuple):
  """An optimizer: `init(params) -> state`, `update(updates, state, params=None)`.

  Example:
    >>> tx = GradientTransformation(lambda p: EmptyState(), lambda u, s, p=None: (u, s))
  """
  init: Callable
  update: Callable


class GradientTransformationExtraArgs(GradientTransformation):
  """A GradientTransformation whose update also accepts `**extra_args`."""


class EmptyState(NamedTuple):
  """The state of a stateless transformation (a pytree with no leaves)."""


def init_empty_state(params):
  """Returns EmptyState() for any params."""
  del params
  return EmptyState()


def identity():
  """The transformation that returns updates unchanged."""
  def update_fn(updates, state, params=None):
    del params
    return updates, state
  return GradientTransformation(init_empty_state, update_fn)


def set_to_zero():
  """Replaces every update by zeros (freezes the parameters it is applied to)."""
  def update_fn(updates, state, params=None):
    del params
    return otu.tree_zeros_like(updates), state
  return GradientTransformation(init_empty_state, update_fn)


def stateless(f):
  """A transformation from `f(updates, params) -> updates`."""
  def update_fn(updates, state, params=None):
    del state
    return f(updates, params), EmptyState()
  return GradientTransformation(init_empty_state, update_fn)


def stateless_with_tree_map(f):
  """A transformation applying `f(g, p)` (or `f(g, None)`) to each leaf."""
  def update_fn(updates, state, params=None):
    del state
    if params is not None:
      return otu.tree_map_checked("stateless_with_tree_map",
                                  ["updates", "params"], f, updates, params), EmptyState()
    return tu.tree_map(lambda g: f(g, None), updates), EmptyState()
  return GradientTransformation(init_empty_state, update_fn)


def with_extra_args_support(tx):
  """Wraps tx so that its update accepts and ignores `**extra_args`."""
  if isinstance(tx, GradientTransformationExtraArgs):
    return tx
  def update(updates, state, params=None, **extra_args):
    del extra_args
    return tx.update(updates, state, params)
  return GradientTransformationExtraArgs(tx.init, update)


def apply_updates(params, updates):
  """Returns params + updates, leafwise, in the params' dtypes.

  Args:
    params: a pytree of parameters.
    updates: a pytree of updates with the same structure.

  Returns:
    The updated parameters. None leaves of updates leave the parameter as is.

  Example:
    >>> new_params = apply_updates({'w': w}, {'w': -0.1 * g})
  """
  otu.check_same_structure("apply_updates", "params", params, "updates",
                           updates, is_leaf=lambda x: x is None)
  def add(p, u):
    if u is None:
      return p
    return jnp.asarray(p + u).astype(jnp.asarray(p).dtype)
  return tu.tree_map(add, params, updates, is_leaf=lambda x: x is None)


def incremental_update(new_tensors, old_tensors, step_size):
  """step_size * new + (1 - step_size) * old, leafwise (Polyak averaging)."""
  return otu.tree_map_checked(
      "incremental_update", ["new_tensors", "old_tensors"],
      lambda new, old: step_size * new + (1.0 - step_size) * old,
      new_tensors, old_tensors)


def periodic_update(new_tensors, old_tensors, steps, update_period):
  """new_tensors when steps is a multiple of update_period, else old_tensors."""
  otu.check_same_structure("periodic_update", "new_tensors", new_tensors,
                           "old_tensors", old_tensors)
  take_new = (steps % update_period) == 0
  return otu.tree_where(take_new, new_tensors, old_tensors)


def global_norm(updates):
  """The l2 norm of all leaves of updates together."""
  return otu.tree_l2_norm(updates)
