"""Tests for base.py and tree_utils.py: update helpers, tree arithmetic, errors."""
import numpy as np
import pytest

import morphax.numpy as jnp
import morphax_optim as optax
from morphax_optim import tree_utils as otu


def _tree(scale=1.0):
  return {"w": jnp.asarray(np.arange(6, dtype=np.float32).reshape(3, 2) * scale),
          "b": [jnp.asarray(np.array([1.0, -2.0], np.float32) * scale)]}


def test_apply_updates_adds_leafwise_and_keeps_dtype():
  params = {"a": jnp.ones(3, dtype=jnp.bfloat16), "b": jnp.zeros(2)}
  updates = {"a": jnp.full(3, 0.5), "b": jnp.ones(2)}
  new = optax.apply_updates(params, updates)
  assert new["a"].dtype == jnp.bfloat16
  np.testing.assert_allclose(np.asarray(new["a"], np.float32), [1.5] * 3)
  np.testing.assert_allclose(np.asarray(new["b"]), [1.0, 1.0])


def test_apply_updates_skips_none_updates():
  new = optax.apply_updates({"a": jnp.ones(2), "b": jnp.ones(2)},
                            {"a": None, "b": jnp.ones(2)})
  np.testing.assert_allclose(np.asarray(new["a"]), [1.0, 1.0])
  np.testing.assert_allclose(np.asarray(new["b"]), [2.0, 2.0])


def test_apply_updates_names_the_first_differing_key_path():
  params = {"layer": {"kernel": jnp.ones(2), "bias": jnp.ones(2)}}
  updates = {"layer": {"kernel": jnp.ones(2), "scale": jnp.ones(2)}}
  with pytest.raises(ValueError, match=r"apply_updates: .*differ at \['layer'\]\['bias'\]"):
    optax.apply_updates(params, updates)


def test_update_with_a_state_for_other_params_names_the_key_path():
  opt = optax.adam(0.1)
  state = opt.init({"w": jnp.ones(2), "b": jnp.ones(2)})
  with pytest.raises(ValueError, match=r"scale_by_adam: .*differ at \['c'\]"):
    opt.update({"w": jnp.ones(2), "c": jnp.ones(2)}, state)


def test_list_length_mismatch_is_named():
  with pytest.raises(ValueError, match=r"tree_add: .*\[1\]"):
    otu.tree_add([jnp.ones(1), jnp.ones(1)], [jnp.ones(1)])


def test_incremental_and_periodic_update():
  new, old = _tree(2.0), _tree(1.0)
  inc = optax.incremental_update(new, old, 0.25)
  np.testing.assert_allclose(np.asarray(inc["w"]), np.arange(6).reshape(3, 2) * 1.25)
  same = optax.periodic_update(new, old, jnp.asarray(3), 2)
  np.testing.assert_allclose(np.asarray(same["b"][0]), [1.0, -2.0])
  taken = optax.periodic_update(new, old, jnp.asarray(4), 2)
  np.testing.assert_allclose(np.asarray(taken["b"][0]), [2.0, -4.0])


def test_global_norm_and_tree_norms_match_numpy():
  t = _tree()
  flat = np.concatenate([np.arange(6.0), [1.0, -2.0]])
  np.testing.assert_allclose(float(optax.global_norm(t)), np.linalg.norm(flat), rtol=1e-6)
  np.testing.assert_allclose(float(otu.tree_l2_norm(t, squared=True)), flat @ flat, rtol=1e-6)
  np.testing.assert_allclose(float(otu.tree_l1_norm(t)), np.abs(flat).sum())
  np.testing.assert_allclose(float(otu.tree_linf_norm(t)), 5.0)
  np.testing.assert_allclose(float(otu.tree_vdot(t, t)), flat @ flat, rtol=1e-6)
  np.testing.assert_allclose(float(otu.tree_sum(t)), flat.sum())


@pytest.mark.parametrize("fn, op", [
    (otu.tree_add, np.add), (otu.tree_sub, np.subtract),
    (otu.tree_mul, np.multiply), (otu.tree_div, np.divide)])
def test_tree_binary_ops(fn, op):
  x, y = _tree(1.0), _tree(3.0)
  y = {"w": y["w"] + 1.0, "b": [y["b"][0] + 0.5]}
  got = fn(x, y)
  np.testing.assert_allclose(np.asarray(got["w"]), op(np.asarray(x["w"]), np.asarray(y["w"])),
                             rtol=1e-6)


def test_tree_constructors_and_casts():
  t = _tree()
  assert float(otu.tree_sum(otu.tree_zeros_like(t))) == 0.0
  assert float(otu.tree_sum(otu.tree_ones_like(t))) == 8.0
  assert float(otu.tree_sum(otu.tree_full_like(t, 2.0))) == 16.0
  assert otu.tree_cast(t, jnp.bfloat16)["w"].dtype == jnp.bfloat16
  np.testing.assert_allclose(np.asarray(otu.tree_scale(2.0, t)["b"][0]), [2.0, -4.0])
  np.testing.assert_allclose(np.asarray(otu.tree_add_scale(t, 0.5, t)["b"][0]), [1.5, -3.0])


def test_identity_set_to_zero_and_stateless():
  t = _tree()
  for tx, want in [(optax.identity(), 1.0), (optax.set_to_zero(), 0.0),
                   (optax.stateless(lambda u, p: otu.tree_scale(3.0, u)), 3.0),
                   (optax.stateless_with_tree_map(lambda g, p: g * p), None)]:
    state = tx.init(t)
    out, new_state = tx.update(t, state, t)
    assert new_state == optax.EmptyState()
    expected = np.arange(6.0).reshape(3, 2)
    expected = expected ** 2 if want is None else expected * want
    np.testing.assert_allclose(np.asarray(out["w"]), expected)


def test_transforms_that_need_params_say_so():
  for tx in [optax.add_decayed_weights(0.1), optax.scale_by_trust_ratio(),
             optax.keep_params_nonnegative(), optax.lamb(0.1)]:
    state = tx.init(_tree())
    with pytest.raises(ValueError, match="requires the current value of parameters"):
      tx.update(_tree(), state)
