"""Wrappers that change when or how an inner optimizer runs.

apply_if_finite, MultiSteps (gradient accumulation), inject_hyperparams, lookahead.
"""
import inspect
import numbers
from typing import Any, NamedTuple

import morphax.numpy as jnp
from morphax import lax
from morphax import tree_util as tu

from morphax_optim import _numerics
from morphax_optim import base
from morphax_optim import tree_utils as otu

SKIP_FN_RESULT = (
    "MultiSteps: should_skip_update_fn must return (a boolean scalar array, "
    "state); it returned an array of dtype {dtype} and shape {shape}. Return "
    "for example jnp.array(False) instead.")
LOOKAHEAD_PARAMS = (
    "lookahead: params must be a LookaheadParams(fast=..., slow=...), got "
    "{kind}. Create them with LookaheadParams.init_synced(params).")


BAD_SYNC_PERIOD = (
    "lookahead: sync_period must be an integer >= 1, got {value}. Use e.g. "
    "lookahead(sgd(0.1), sync_period=5, slow_step_size=0.5).")


class ApplyIfFiniteState(NamedTuple):
  """Counts of non-finite steps, whether the last was finite, the inner state."""
  notfinite_count: Any
  last_finite: Any
  total_notfinite: Any
  inner_state: Any


def _all_finite(tree):
  leaves = tu.tree_leaves(tree)
  if not leaves:
    return jnp.array(True)
  return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))


def apply_if_finite(inner, max_consecutive_errors):
  """Skips (zero updates, state kept) steps whose updates hold NaN or Inf.

  After more than max_consecutive_errors non-finite steps in a row, the
  update is applied anyway, as in optax.
  """
  inner = base.with_extra_args_support(inner)

  def init_fn(params):
    return ApplyIfFiniteState(jnp.zeros([], jnp.int32), jnp.array(True),
                              jnp.zeros([], jnp.int32), inner.init(params))

  def update_fn(updates, state, params=None, **extra_args):
    isfinite = _all_finite(updates)
    notfinite_count = jnp.where(isfinite, jnp.zeros([], jnp.int32),
                                _numerics.safe_increment(state.notfinite_count))
    new_updates, new_inner = inner.update(updates, state.inner_state, params,
                                          **extra_args)
    apply = jnp.logical_or(isfinite, notfinite_count > max_consecutive_errors)
    new_updates = tu.tree_map(lambda n: jnp.where(apply, n, jnp.zeros_like(n)),
                              new_updates)
    new_inner = tu.tree_map(lambda n, o: jnp.where(apply, n, o).astype(o.dtype),
                            new_inner, state.inner_state)
    total = jnp.where(isfinite, state.total_notfinite,
                      _numerics.safe_increment(state.total_notfinite))
    return new_updates, ApplyIfFiniteState(notfinite_count, isfinite, total, new_inner)
  return base.GradientTransformationExtraArgs(init_fn, update_fn)


class MultiStepsState(NamedTuple):
  """Micro-step in the cycle, optimizer step, inner state, the one accumulator."""
  mini_step: Any
  gradient_step: Any
  inner_opt_state: Any
  acc_grads: Any
  skip_state: Any = ()


def _no_skip(*unused_args, **unused_kwargs):
  return jnp.array(False), ()


class MultiSteps:
  """Accumulates gradients over k micro-steps, then runs the inner optimizer once.

  Holds one parameter-sized accumulator. every_k_schedule (an int or a
  function of the optimizer step) and the inner optimizer's own schedules
  see the optimizer step, which advances once per k micro-steps.

  Example:
    >>> opt = MultiSteps(adam(1e-3), every_k_schedule=4)
    >>> state = opt.init(params); updates, state = opt.update(grads, state, params)
  """

  def __init__(self, opt, every_k_schedule, use_grad_mean=True,
               should_skip_update_fn=None, accumulator_dtype=jnp.float32):
    self._opt = base.with_extra_args_support(opt)
    if isinstance(every_k_schedule, int):
      self._every_k_schedule = lambda step: every_k_schedule
    else:
      self._every_k_schedule = every_k_schedule
    self._use_grad_mean = use_grad_mean
    self._should_skip_update_fn = should_skip_update_fn or _no_skip
    self._accumulator_dtype = jnp.dtype(accumulator_dtype)

  @property
  def inner_opt(self):
    """The wrapped optimizer."""
    return self._opt

  def init(self, params):
    """The state: counters, the inner state and a zero accumulator."""
    gradient_step = jnp.zeros([], jnp.int32)
    _, skip_state = self._should_skip_update_fn(
        otu.tree_zeros_like(params), gradient_step, params)
    return MultiStepsState(
        mini_step=jnp.zeros([], jnp.int32), gradient_step=gradient_step,
        inner_opt_state=self._opt.init(params),
        acc_grads=otu.tree_zeros_like(params, dtype=self._accumulator_dtype),
        skip_state=skip_state)

  def _accumulate(self, grad, acc, mini_step):
    if self._use_grad_mean:
      return acc + (grad - acc) / (mini_step + 1)
    return acc + grad

  def update(self, updates, state, params=None, **extra_args):
    """One micro-step: zeros except on every k-th call, which applies the inner update."""
    otu.check_same_structure("MultiSteps.update", "updates", updates,
                             "state.acc_grads", state.acc_grads)
    k_steps = self._every_k_schedule(state.gradient_step)
    skip, skip_state = self._should_skip_update_fn(updates, state.gradient_step, params)
    skip = jnp.asarray(skip)
    if (skip.dtype, skip.shape) != (jnp.dtype(bool), ()):
      raise ValueError(SKIP_FN_RESULT.format(dtype=skip.dtype, shape=skip.shape))
    acc = tu.tree_map(
        lambda g, a: self._accumulate(g, a, state.mini_step).astype(self._accumulator_dtype),
        updates, state.acc_grads)
    emit = jnp.logical_and(state.mini_step == k_steps - 1, jnp.logical_not(skip))

    def apply_inner(operands):
      acc, inner_state = operands
      new_updates, new_inner = self._opt.update(
          otu.tree_cast_like(acc, updates), inner_state, params, **extra_args)
      new_updates = otu.tree_cast_like(new_updates, updates)
      new_inner = tu.tree_map(lambda n, o: jnp.asarray(n).astype(o.dtype),
                              new_inner, inner_state)
      return new_updates, new_inner

    def hold(operands):
      _, inner_state = operands
      return otu.tree_zeros_like(updates), inner_state

    new_updates, new_inner = lax.cond(emit, apply_inner, hold,
                                      (acc, state.inner_opt_state))
    acc = tu.tree_map(lambda new, old: jnp.where(skip, old, jnp.where(emit, 0, new))
                      .astype(self._accumulator_dtype), acc, state.acc_grads)
    mini_step = jnp.where(skip, state.mini_step,
                          _numerics.safe_increment(state.mini_step) % k_steps)
    gradient_step = jnp.where(emit, _numerics.safe_increment(state.gradient_step),
                              state.gradient_step)
    return new_updates, MultiStepsState(
        mini_step.astype(jnp.int32), gradient_step.astype(jnp.int32),
        new_inner, acc, skip_state)

  def has_updated(self, state):
    """True after a micro-step that applied the inner optimizer."""
    return jnp.logical_and(state.mini_step == 0, state.gradient_step > 0)

  def gradient_transformation(self):
    """This optimizer as a GradientTransformationExtraArgs."""
    return base.GradientTransformationExtraArgs(self.init, self.update)


class InjectHyperparamsState(NamedTuple):
  """Step count, the current hyperparameters (a dict of arrays), inner state."""
  count: Any
  hyperparams: Any
  inner_state: Any


InjectStatefulHyperparamsState = InjectHyperparamsState


def _is_numeric(value):
  return (isinstance(value, numbers.Number) and not isinstance(value, bool)) or (
      hasattr(value, "dtype") and hasattr(value, "shape"))


def inject_hyperparams(inner_factory, static_args=(), hyperparam_dtype=None):
  """Makes an optimizer's numeric hyperparameters part of its state.

  Returns a factory with inner_factory's signature. Numeric arguments (and
  schedules, evaluated at the step count) live in `state.hyperparams`, so
  they can be read and changed between steps:

    >>> opt = inject_hyperparams(adam)(learning_rate=1e-3)
    >>> state = opt.init(params)
    >>> state.hyperparams['learning_rate'] = jnp.array(1e-4)
  """
  static_args = {static_args} if isinstance(static_args, str) else set(static_args)
  signature = inspect.signature(inner_factory)

  def wrapped_transform(*args, **kwargs):
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    schedules = {k: v for k, v in arguments.items()
                 if callable(v) and k not in static_args}
    numeric = {k: v for k, v in arguments.items()
               if k not in static_args and k not in schedules and _is_numeric(v)}
    others = {k: v for k, v in arguments.items()
              if k not in schedules and k not in numeric}

    def as_array(v):
      dtype = hyperparam_dtype
      if dtype is None and isinstance(v, float):
        dtype = jnp.float32
      return jnp.asarray(v, dtype=dtype)

    def current(count, hyperparams):
      values = dict(hyperparams)
      values.update({k: as_array(f(count)) for k, f in schedules.items()})
      return values

    def init_fn(params):
      count = jnp.zeros([], jnp.int32)
      hyperparams = {k: as_array(v) for k, v in numeric.items()}
      hyperparams = current(count, hyperparams)
      inner = inner_factory(**others, **hyperparams)
      return InjectHyperparamsState(count, hyperparams, inner.init(params))

    def update_fn(updates, state, params=None, **extra_args):
      hyperparams = current(state.count, state.hyperparams)
      inner = base.with_extra_args_support(inner_factory(**others, **hyperparams))
      updates, inner_state = inner.update(updates, state.inner_state, params,
                                          **extra_args)
      return updates, InjectHyperparamsState(
          _numerics.safe_increment(state.count), hyperparams, inner_state)
    return base.GradientTransformationExtraArgs(init_fn, update_fn)
  return wrapped_transform


class LookaheadState(NamedTuple):
  """The fast optimizer's state and the steps since the last synchronisation."""
  fast_state: Any
  steps_since_sync: Any


class LookaheadParams(NamedTuple):
  """The fast and slow copies of the parameters."""
  fast: Any
  slow: Any

  @classmethod
  def init_synced(cls, params):
    """Fast and slow both start at params."""
    return cls(fast=params, slow=params)


def lookahead(fast_optimizer, sync_period, slow_step_size, reset_state=False):
  """Lookahead (Zhang et al., 2019): every sync_period steps, slow moves toward fast.

  params and updates are LookaheadParams(fast, slow).
  """
  if sync_period < 1:
    raise ValueError(BAD_SYNC_PERIOD.format(value=sync_period))

  def init_fn(params):
    if not isinstance(params, LookaheadParams):
      raise TypeError(LOOKAHEAD_PARAMS.format(kind=type(params).__name__))
    return LookaheadState(fast_optimizer.init(params.fast), jnp.zeros([], jnp.int32))

  def update_fn(updates, state, params=None):
    if not isinstance(params, LookaheadParams):
      raise TypeError(LOOKAHEAD_PARAMS.format(kind=type(params).__name__))
    fast_updates, fast_state = fast_optimizer.update(
        updates.fast if isinstance(updates, LookaheadParams) else updates,
        state.fast_state, params.fast)
    sync_next = (state.steps_since_sync == sync_period - 1)
    sync = sync_next.astype(jnp.float32)
    diff = tu.tree_map(lambda f, u, s: f + u - s, params.fast, fast_updates, params.slow)
    slow_updates = tu.tree_map(lambda d: (slow_step_size * sync * d).astype(d.dtype), diff)
    new_fast = tu.tree_map(
        lambda s, su, f, u: jnp.where(sync_next, s + su - f, u),
        params.slow, slow_updates, params.fast, fast_updates)
    if reset_state:
      fresh = fast_optimizer.init(params.fast)
      fast_state = tu.tree_map(lambda c, i: jnp.where(sync_next, i, c), fast_state, fresh)
    steps = (state.steps_since_sync + 1) % sync_period
    return LookaheadParams(new_fast, slow_updates), LookaheadState(fast_state, steps)
  return base.GradientTransformation(init_fn, update_fn)
