"""Generates morphax_optim's known-answer data with the real Optax.

Run with an environment that has jax + optax (never imported by the repo):
    /tmp/benchvenv/bin/python tools/reference/gen_optax_trajectories.py
Writes packages/optim/tests/data/{trajectories,schedules,losses}.json.
The rows (Python expressions over `optax`) live in packages/optim/tests/cases.py
and are evaluated with `optax` bound to the real Optax here and to
morphax_optim in the tests.
"""
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(ROOT, "packages", "optim", "tests")
sys.path.insert(0, TESTS)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

import cases  # noqa: E402


def to_lists(tree):
  """numpy arrays -> nested lists of floats for JSON."""
  return jax.tree.map(lambda x: np.asarray(x, np.float64).tolist(), tree)


def trajectory(expr):
  """Runs 10 jitted steps of the optimizer built by expr; returns params per step."""
  opt = eval(expr, {"optax": optax, "jnp": jnp})  # noqa: S307
  params = cases.initial_params(np)
  params = jax.tree.map(jnp.asarray, params)
  state = opt.init(params)

  @jax.jit
  def step(params, state, grads):
    updates, state = opt.update(grads, state, params)
    return optax.apply_updates(params, updates), state

  out = []
  for k in range(cases.NUM_STEPS):
    host = jax.tree.map(np.asarray, params)
    grads = jax.tree.map(jnp.asarray, cases.gradients(np, host, k))
    params, state = step(params, state, grads)
    out.append(to_lists(jax.tree.map(np.asarray, params)))
  return out


def main():
  os.makedirs(os.path.join(TESTS, "data"), exist_ok=True)
  traj = {}
  for name, expr in cases.OPTIMIZERS.items():
    print(f"trajectory {name}: {expr}", flush=True)
    traj[name] = {"expr": expr, "params": trajectory(expr)}
  sched = {}
  for name, expr in cases.SCHEDULES.items():
    fn = eval(expr, {"optax": optax, "jnp": jnp})  # noqa: S307
    sched[name] = {"expr": expr,
                   "values": [float(fn(jnp.asarray(s, jnp.int32))) for s in cases.SCHEDULE_STEPS]}
  loss = {}
  inputs = cases.loss_inputs(np)
  for name, expr in cases.LOSSES.items():
    value = eval(expr, {"optax": optax, "jnp": jnp, **{k: jnp.asarray(v) for k, v in inputs.items()}})  # noqa: S307
    loss[name] = {"expr": expr, "value": np.asarray(value, np.float64).tolist()}
  for fname, data in (("trajectories", traj), ("schedules", sched), ("losses", loss)):
    with open(os.path.join(TESTS, "data", fname + ".json"), "w") as f:
      json.dump(data, f, indent=1)
    print("wrote", fname, len(data), flush=True)


if __name__ == "__main__":
  main()
