"""Tests for combine.py and wrappers.py: masking, labels, accumulation, injection."""
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax import tree_util as tu
import morphax_optim as optax

PARAMS = {"w": jnp.ones((2, 2)), "b": jnp.ones(2)}
GRADS = {"w": jnp.full((2, 2), 2.0), "b": jnp.full(2, 3.0)}


def test_masked_with_callable_mask_leaves_other_updates_unchanged():
  tx = optax.masked(optax.scale(-1.0), lambda p: {"w": True, "b": False})
  out, _ = tx.update(GRADS, tx.init(PARAMS), PARAMS)
  np.testing.assert_allclose(np.asarray(out["w"]), -2.0)
  np.testing.assert_allclose(np.asarray(out["b"]), 3.0)


def test_multi_transform_applies_one_transformation_per_label():
  tx = optax.multi_transform({"a": optax.scale(10.0), "z": optax.set_to_zero()},
                             lambda p: {"w": "a", "b": "z"})
  out, state = tx.update(GRADS, tx.init(PARAMS), PARAMS)
  np.testing.assert_allclose(np.asarray(out["w"]), 20.0)
  np.testing.assert_allclose(np.asarray(out["b"]), 0.0)
  assert set(state.inner_states) == {"a", "z"}


def test_multi_transform_names_unknown_labels():
  tx = optax.multi_transform({"a": optax.sgd(0.1)}, {"w": "a", "b": "frozen"})
  with pytest.raises(ValueError, match=r"labels \['frozen'\], which have no transformation"):
    tx.init(PARAMS)


def test_chain_rejects_a_state_of_another_length():
  tx = optax.chain(optax.scale(1.0), optax.scale(2.0))
  with pytest.raises(ValueError, match="the state holds 1 inner states but the chain has 2"):
    tx.update(GRADS, (optax.EmptyState(),))


def test_multi_steps_holds_one_accumulator_and_steps_once_per_k():
  opt = optax.MultiSteps(optax.sgd(lambda step: 0.1 * (step + 1)), every_k_schedule=3)
  state = opt.init(PARAMS)
  n_param = sum(x.size for x in tu.tree_leaves(PARAMS))
  big = [x for x in tu.tree_leaves(state) if x.size > 1]
  assert sum(x.size for x in big) == n_param  # one parameter-sized accumulator
  outs = []
  update = morphax.jit(opt.update)
  for _ in range(6):
    out, state = update(GRADS, state, PARAMS)
    outs.append(float(out["b"][0]))
  # Mean of three equal gradients = 3; the schedule sees optimizer steps 0, 1.
  np.testing.assert_allclose(outs, [0, 0, -0.3, 0, 0, -0.6], rtol=1e-6, atol=1e-7)
  assert int(state.gradient_step) == 2 and bool(opt.has_updated(state))


def test_multi_steps_skip_function_must_return_a_boolean_scalar():
  opt = optax.MultiSteps(optax.sgd(0.1), 2,
                         should_skip_update_fn=lambda u, s, p: (jnp.zeros(2), ()))
  with pytest.raises(ValueError, match="must return \\(a boolean scalar array"):
    opt.update(GRADS, opt.init(PARAMS), PARAMS)


def test_inject_hyperparams_can_change_the_learning_rate_between_steps():
  opt = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1, momentum=None)
  state = opt.init(PARAMS)
  assert set(state.hyperparams) == {"learning_rate"}
  out, state = opt.update(GRADS, state, PARAMS)
  np.testing.assert_allclose(np.asarray(out["b"]), -0.3, rtol=1e-6)
  state.hyperparams["learning_rate"] = jnp.asarray(1.0)
  out, state = opt.update(GRADS, state, PARAMS)
  np.testing.assert_allclose(np.asarray(out["b"]), -3.0, rtol=1e-6)


def test_inject_hyperparams_static_args_stay_out_of_the_state():
  opt = optax.inject_hyperparams(optax.adam, static_args="b1")(0.1, b1=0.5)
  state = opt.init(PARAMS)
  assert "b1" not in state.hyperparams and "learning_rate" in state.hyperparams


def test_apply_if_finite_skips_non_finite_steps():
  opt = optax.apply_if_finite(optax.sgd(1.0), max_consecutive_errors=1)
  state = opt.init(PARAMS)
  bad = {"w": jnp.full((2, 2), np.nan), "b": jnp.ones(2)}
  out, state = opt.update(bad, state, PARAMS)
  np.testing.assert_allclose(np.asarray(out["b"]), 0.0)
  assert int(state.notfinite_count) == 1 and not bool(state.last_finite)
  out, state = opt.update(bad, state, PARAMS)  # over the limit: applied anyway
  assert np.isnan(np.asarray(out["w"])).all() and int(state.total_notfinite) == 2
  out, state = opt.update(GRADS, state, PARAMS)
  np.testing.assert_allclose(np.asarray(out["b"]), -3.0)
  assert int(state.notfinite_count) == 0


def test_lookahead_matches_a_python_loop():
  opt = optax.lookahead(optax.sgd(0.1), sync_period=2, slow_step_size=0.5)
  params = optax.LookaheadParams.init_synced({"x": jnp.asarray([1.0, -2.0])})
  state = opt.init(params)
  fast = slow = np.array([1.0, -2.0])
  for t in range(4):
    g = np.array([0.5, 1.0]) * (t + 1)
    updates, state = opt.update({"x": jnp.asarray(g, jnp.float32)}, state, params)
    params = optax.apply_updates(params, updates)
    fast = fast - 0.1 * g
    if t % 2 == 1:
      slow = slow + 0.5 * (fast - slow)
      fast = slow
    np.testing.assert_allclose(np.asarray(params.fast["x"]), fast, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(params.slow["x"]), slow, rtol=1e-6)


def test_lookahead_requires_lookahead_params():
  opt = optax.lookahead(optax.sgd(0.1), 2, 0.5)
  with pytest.raises(TypeError, match="LookaheadParams.init_synced"):
    opt.init(PARAMS)


def test_flatten_matches_the_unflattened_optimizer():
  a, b = optax.flatten(optax.adam(0.1)), optax.adam(0.1)
  out_a, _ = a.update(GRADS, a.init(PARAMS), PARAMS)
  out_b, _ = b.update(GRADS, b.init(PARAMS), PARAMS)
  for k in PARAMS:
    np.testing.assert_allclose(np.asarray(out_a[k]), np.asarray(out_b[k]), rtol=1e-6)


def test_extra_args_reach_transformations_that_accept_them():
  seen = {}
  def update(updates, state, params=None, **extra):
    seen.update(extra)
    return updates, state
  inner = optax.GradientTransformationExtraArgs(optax.init_empty_state, update)
  tx = optax.chain(optax.scale(1.0), inner)
  tx.update(GRADS, tx.init(PARAMS), PARAMS, loss=jnp.asarray(1.5))
  assert float(seen["loss"]) == 1.5


def test_schedules_validate_their_arguments():
  with pytest.raises(ValueError, match="negative scales"):
    optax.piecewise_constant_schedule(1.0, {3: -0.5})
  with pytest.raises(ValueError, match="interpolate_type='cubic'"):
    optax.piecewise_interpolate_schedule("cubic", 1.0, {3: 2.0})
  with pytest.raises(ValueError, match="one boundary fewer than schedules"):
    optax.join_schedules([optax.constant_schedule(1.0)], [3])


def test_losses_reject_integer_inputs_with_a_hint():
  with pytest.raises(TypeError, match="logits must have a floating dtype, got int32"):
    optax.softmax_cross_entropy(jnp.asarray([[1, 2]]), jnp.asarray([[0.0, 1.0]]))
  with pytest.raises(TypeError, match="labels must be integers"):
    optax.softmax_cross_entropy_with_integer_labels(jnp.ones((2, 3)), jnp.ones(2))


def test_grad_of_a_loss_is_finite_at_large_logits():
  f = lambda x: jnp.sum(optax.sigmoid_binary_cross_entropy(x, jnp.asarray([1.0, 0.0])))
  g = morphax.grad(f)(jnp.asarray([100.0, -100.0]))
  np.testing.assert_allclose(np.asarray(g), [0.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("make, match", [
    (lambda: optax.cosine_decay_schedule(1.0, 0), "cosine_decay_schedule: decay_steps must be > 0, got 0"),
    (lambda: optax.cosine_onecycle_schedule(0, 1.0), "cosine_onecycle_schedule: transition_steps must be > 0"),
    (lambda: optax.linear_onecycle_schedule(-1, 1.0), "linear_onecycle_schedule: transition_steps must be > 0, got -1"),
    (lambda: optax.lookahead(optax.sgd(0.1), 0, 0.5), "lookahead: sync_period must be an integer >= 1, got 0"),
])
def test_bad_step_counts_are_named(make, match):
  with pytest.raises(ValueError, match=match):
    make()
