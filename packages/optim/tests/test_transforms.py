"""Tests for transforms.py, clipping.py, adding.py, factorized.py against numpy."""
import numpy as np
import pytest

import morphax.numpy as jnp
import morphax_optim as optax

G = np.array([[3.0, -4.0, 0.5], [1.0, 2.0, -6.0]], np.float32)
P = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]], np.float32)


def _step(tx, g=G, p=P):
  state = tx.init({"x": jnp.asarray(p)})
  out, state = tx.update({"x": jnp.asarray(g)}, state, {"x": jnp.asarray(p)})
  return np.asarray(out["x"]), state


# One row per stateless transformation: (transformation, numpy oracle of (g, p)).
STATELESS_ROWS = [
    ("scale", optax.scale(-0.5), lambda g, p: -0.5 * g),
    ("clip", optax.clip(2.0), lambda g, p: np.clip(g, -2, 2)),
    ("clip_by_global_norm", optax.clip_by_global_norm(2.0),
     lambda g, p: g * 2.0 / np.linalg.norm(g)),
    ("clip_by_global_norm_noop", optax.clip_by_global_norm(100.0), lambda g, p: g),
    ("clip_by_block_rms", optax.clip_by_block_rms(1.0),
     lambda g, p: g / max(1.0, np.sqrt(np.mean(g ** 2)))),
    ("centralize", optax.centralize(), lambda g, p: g - g.mean(axis=1, keepdims=True)),
    ("add_decayed_weights", optax.add_decayed_weights(0.1), lambda g, p: g + 0.1 * p),
    ("trust_ratio", optax.scale_by_trust_ratio(),
     lambda g, p: g * np.linalg.norm(p) / np.linalg.norm(g)),
    ("param_block_norm", optax.scale_by_param_block_norm(), lambda g, p: g * np.linalg.norm(p)),
    ("param_block_rms", optax.scale_by_param_block_rms(),
     lambda g, p: g * np.sqrt(np.mean(p ** 2))),
    ("nonnegative", optax.keep_params_nonnegative(), lambda g, p: np.where(p + g < 0, -p, g)),
    ("learning_rate", optax.scale_by_learning_rate(0.1), lambda g, p: -0.1 * g),
    ("learning_rate_no_flip", optax.scale_by_learning_rate(0.1, flip_sign=False),
     lambda g, p: 0.1 * g),
]


@pytest.mark.parametrize("name, tx, oracle", STATELESS_ROWS, ids=[r[0] for r in STATELESS_ROWS])
def test_stateless_transform_matches_numpy(name, tx, oracle):
  got, _ = _step(tx)
  np.testing.assert_allclose(got, oracle(G.astype(np.float64), P.astype(np.float64)),
                             rtol=1e-6, atol=1e-6)


def test_adam_three_steps_match_a_python_loop():
  tx = optax.scale_by_adam(b1=0.8, b2=0.9, eps=1e-3)
  state = tx.init({"x": jnp.asarray(P)})
  m = v = np.zeros_like(G, np.float64)
  for t in range(1, 4):
    g = G * t
    out, state = tx.update({"x": jnp.asarray(g)}, state)
    m = 0.8 * m + 0.2 * g
    v = 0.9 * v + 0.1 * g ** 2
    want = (m / (1 - 0.8 ** t)) / (np.sqrt(v / (1 - 0.9 ** t)) + 1e-3)
    np.testing.assert_allclose(np.asarray(out["x"]), want, rtol=1e-5)
  assert int(state.count) == 3


def test_trace_and_ema_match_python_loops():
  tr, em = optax.trace(0.5, nesterov=True), optax.ema(0.5, debias=True)
  ts, es = tr.init({"x": jnp.asarray(P)}), em.init({"x": jnp.asarray(P)})
  acc = ema = np.zeros_like(G, np.float64)
  for t in range(1, 4):
    g = G + t
    out_t, ts = tr.update({"x": jnp.asarray(g)}, ts)
    out_e, es = em.update({"x": jnp.asarray(g)}, es)
    acc = g + 0.5 * acc
    ema = 0.5 * ema + 0.5 * g
    np.testing.assert_allclose(np.asarray(out_t["x"]), g + 0.5 * acc, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(out_e["x"]), ema / (1 - 0.5 ** t), rtol=1e-6)


def test_zero_nans_replaces_nans_and_reports_per_leaf():
  tx = optax.zero_nans()
  state = tx.init({"a": jnp.ones(2), "b": jnp.ones(2)})
  out, state = tx.update({"a": jnp.asarray([np.nan, 1.0]), "b": jnp.asarray([1.0, 2.0])}, state)
  np.testing.assert_allclose(np.asarray(out["a"]), [0.0, 1.0])
  assert bool(state.found_nan["a"]) and not bool(state.found_nan["b"])


def test_add_decayed_weights_mask_and_schedule():
  params = {"w": jnp.ones(2), "b": jnp.ones(2)}
  grads = {"w": jnp.zeros(2), "b": jnp.zeros(2)}
  tx = optax.add_decayed_weights(lambda c: 0.1 * (c + 1), mask=lambda p: {"w": True, "b": False})
  state = tx.init(params)
  for step in range(2):
    out, state = tx.update(grads, state, params)
    np.testing.assert_allclose(np.asarray(out["w"]), [0.1 * (step + 1)] * 2, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(out["b"]), [0.0, 0.0])


def test_add_noise_has_the_annealed_variance():
  tx = optax.add_noise(eta=4.0, gamma=1.0, key=3)
  params = {"x": jnp.zeros((100, 50))}
  state = tx.init(params)
  first, state = tx.update(params, state)
  second, state = tx.update(params, state)
  a, b = np.asarray(first["x"]), np.asarray(second["x"])
  assert abs(a.mean()) < 0.1 and abs(a.std() - 2.0) < 0.1  # variance 4 / 1
  assert abs(b.std() - np.sqrt(2.0)) < 0.07  # variance 4 / 2
  assert not np.allclose(a / 2.0, b / np.sqrt(2.0))  # a fresh key each step
  again, _ = tx.update(params, tx.init(params))
  np.testing.assert_array_equal(np.asarray(again["x"]), a)  # same key, same noise


def test_add_noise_rejects_seed_and_key_together():
  with pytest.raises(ValueError, match="only one of seed= or key="):
    optax.add_noise(0.1, 0.5, key=1, seed=2)


def test_lion_rejects_unknown_mode():
  with pytest.raises(ValueError, match="mode='soft' is not one of"):
    optax.scale_by_lion(mode="soft")


def test_factored_rms_keeps_row_and_column_statistics():
  tx = optax.scale_by_factored_rms(min_dim_size_to_factor=2, decay_rate=0.8)
  p = {"m": jnp.ones((4, 3)), "v": jnp.ones(3)}
  state = tx.init(p)
  # As in optax, v_row drops the largest axis (here 0) and v_col the other one.
  assert state.v_row["m"].shape == (3,) and state.v_col["m"].shape == (4,)
  assert state.v["v"].shape == (3,) and state.v["m"].shape == (1,)
  g = np.arange(12, dtype=np.float32).reshape(4, 3) + 1
  out, state = tx.update({"m": jnp.asarray(g), "v": jnp.ones(3)}, state, p)
  # First step: decay 1 - 1**-0.8 = 0, so the statistics are plain means of g^2.
  row, col = (g ** 2).mean(0), (g ** 2).mean(1)
  want = g * (row / row.mean())[None, :] ** -0.5 * col[:, None] ** -0.5
  np.testing.assert_allclose(np.asarray(out["m"]), want, rtol=1e-5)
