"""Known-answer tests: trajectories, schedules and losses against real Optax.

The numbers in data/*.json come from tools/reference/gen_optax_trajectories.py.
"""
import json
import os

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
import morphax_optim as optax

import cases

DATA = os.path.join(os.path.dirname(__file__), "data")


def _load(name):
  with open(os.path.join(DATA, name + ".json")) as f:
    return json.load(f)


TRAJECTORIES = _load("trajectories")
SCHEDULES = _load("schedules")
LOSSES = _load("losses")


def test_every_row_has_reference_data():
  assert sorted(TRAJECTORIES) == sorted(cases.OPTIMIZERS)
  assert sorted(SCHEDULES) == sorted(cases.SCHEDULES)
  assert sorted(LOSSES) == sorted(cases.LOSSES)
  assert all(TRAJECTORIES[k]["expr"] == v for k, v in cases.OPTIMIZERS.items())


def _run(expr):
  opt = eval(expr, {"optax": optax, "jnp": jnp})  # noqa: S307
  params = {k: jnp.asarray(v) for k, v in cases.initial_params(np).items()}
  state = opt.init(params)

  @morphax.jit
  def step(params, state, grads):
    updates, state = opt.update(grads, state, params)
    return optax.apply_updates(params, updates), state

  out = []
  for k in range(cases.NUM_STEPS):
    host = {key: np.asarray(v) for key, v in params.items()}
    grads = {key: jnp.asarray(v) for key, v in cases.gradients(np, host, k).items()}
    params, state = step(params, state, grads)
    out.append({key: np.asarray(v) for key, v in params.items()})
  return out


@pytest.mark.parametrize("name", sorted(cases.OPTIMIZERS))
def test_trajectory_matches_optax(name):
  got = _run(cases.OPTIMIZERS[name])
  want = TRAJECTORIES[name]["params"]
  for k, (g, w) in enumerate(zip(got, want)):
    for key in ("w", "b"):
      np.testing.assert_allclose(g[key], np.asarray(w[key], np.float32), rtol=1e-6,
                                 atol=1e-7, err_msg=f"{name} step {k} {key}")


@pytest.mark.parametrize("name", sorted(cases.SCHEDULES))
def test_schedule_matches_optax(name):
  fn = eval(cases.SCHEDULES[name], {"optax": optax, "jnp": jnp})  # noqa: S307
  got = [float(fn(jnp.asarray(s, jnp.int32))) for s in cases.SCHEDULE_STEPS]
  np.testing.assert_allclose(got, SCHEDULES[name]["values"], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(cases.LOSSES))
def test_loss_matches_optax(name):
  inputs = {k: jnp.asarray(v) for k, v in cases.loss_inputs(np).items()}
  got = eval(cases.LOSSES[name], {"optax": optax, "jnp": jnp, **inputs})  # noqa: S307
  np.testing.assert_allclose(np.asarray(got), np.asarray(LOSSES[name]["value"], np.float32),
                             rtol=2e-6, atol=1e-6)
