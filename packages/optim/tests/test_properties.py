"""Properties every optimizer has: array-only pytree states, jit, vmap, any tree shape."""
import dataclasses

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax import tree_util as tu
import morphax_optim as optax


@dataclasses.dataclass
class Layer:
  """A registered dataclass holding parameters."""
  kernel: object
  bias: object


tu.register_dataclass(Layer, data_fields=["kernel", "bias"], meta_fields=[])

ALIASES = {
    "sgd": lambda: optax.sgd(0.1, momentum=0.9), "adam": lambda: optax.adam(0.1),
    "adamw": lambda: optax.adamw(0.1), "adamax": lambda: optax.adamax(0.1),
    "adamaxw": lambda: optax.adamaxw(0.1), "amsgrad": lambda: optax.amsgrad(0.1),
    "nadam": lambda: optax.nadam(0.1), "nadamw": lambda: optax.nadamw(0.1),
    "radam": lambda: optax.radam(0.1), "rmsprop": lambda: optax.rmsprop(0.1, centered=True),
    "adagrad": lambda: optax.adagrad(0.1), "adadelta": lambda: optax.adadelta(),
    "adafactor": lambda: optax.adafactor(min_dim_size_to_factor=2),
    "lamb": lambda: optax.lamb(0.1), "lars": lambda: optax.lars(0.1),
    "lion": lambda: optax.lion(0.1), "novograd": lambda: optax.novograd(0.1),
    "yogi": lambda: optax.yogi(0.1), "noisy_sgd": lambda: optax.noisy_sgd(0.1, key=0),
    "fromage": lambda: optax.fromage(0.1), "adabelief": lambda: optax.adabelief(0.1),
}


def _params():
  return {"layers": [Layer(jnp.ones((2, 3)), jnp.zeros(3)),
                     Layer(jnp.full((3, 1), 0.5), jnp.zeros(1))],
          "scale": {"s": jnp.asarray(2.0)}}


def _grads(params, factor=1.0):
  return tu.tree_map(lambda p: jnp.full_like(p, 0.3 * factor), params)


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_state_is_a_pytree_of_arrays_and_tree_shape_does_not_matter(name):
  opt = ALIASES[name]()
  params = _params()
  state = opt.init(params)
  assert all(isinstance(x, morphax.Array) for x in tu.tree_leaves(state))

  @morphax.jit
  def nested_and_flat(params, state):
    # The same leaves as a flat list must give the same updates (leafwise rules).
    flat = tu.tree_leaves(params)
    nested = opt.update(_grads(params), state, params)
    flat_out = opt.update(_grads(flat), opt.init(flat), flat)
    return nested, flat_out

  (updates, new_state), (flat_updates, _) = nested_and_flat(params, state)
  assert tu.tree_structure(new_state) == tu.tree_structure(state)
  assert isinstance(updates["layers"][1], Layer)
  assert all(isinstance(x, morphax.Array) for x in tu.tree_leaves(new_state))
  for a, b in zip(tu.tree_leaves(updates), flat_updates):
    assert float(jnp.max(jnp.abs(a))) > 0
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)


def test_vmap_over_a_batch_of_problems_matches_a_python_loop():
  opt = optax.adam(0.1)
  batch = {"w": jnp.asarray(np.arange(12, dtype=np.float32).reshape(4, 3))}
  grads = {"w": jnp.asarray(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))}
  states = morphax.vmap(opt.init)(batch)
  updates, _ = morphax.vmap(opt.update)(grads, states, batch)
  for i in range(4):
    p_i = {"w": batch["w"][i]}
    u_i, _ = opt.update({"w": grads["w"][i]}, opt.init(p_i), p_i)
    np.testing.assert_allclose(np.asarray(updates["w"][i]), np.asarray(u_i["w"]), rtol=1e-6)


def test_quickstart_trains_a_tiny_linear_model():
  x = jnp.asarray(np.random.RandomState(0).normal(size=(8, 2)).astype(np.float32))
  y = x @ jnp.asarray([[2.0], [-3.0]]) + 0.5
  params = {"w": jnp.zeros((2, 1)), "b": jnp.zeros(1)}
  loss = lambda p: jnp.mean(optax.l2_loss(x @ p["w"] + p["b"], y))  # noqa: E731
  opt = optax.adam(0.1)
  state = opt.init(params)

  @morphax.jit
  def step(params, state):
    grads = morphax.grad(loss)(params)
    updates, state = opt.update(grads, state, params)
    return optax.apply_updates(params, updates), state

  for _ in range(300):
    params, state = step(params, state)
  np.testing.assert_allclose(np.asarray(params["w"])[:, 0], [2.0, -3.0], atol=1e-2)
  assert float(loss(params)) < 1e-4


def test_update_inside_pmap_with_pmeaned_grads_matches_one_device():
  # Data-parallel: each device takes the gradient of its quarter of the
  # batch, pmean averages them, and every replica applies the same update.
  devices = morphax.devices()[:4]
  assert len(devices) == 4, "tests/conftest.py asks for four CPU devices"
  rng = np.random.default_rng(0)
  x = rng.normal(size=(16, 3)).astype(np.float32)
  y = rng.normal(size=(16,)).astype(np.float32)
  params = {"w": jnp.asarray([0.5, -0.2, 0.1]), "b": jnp.asarray(0.3)}
  opt = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(0.05))

  def loss(p, x, y):
    return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

  def step(p, s, x, y, axis_name=None):
    g = morphax.grad(loss)(p, x, y)
    if axis_name:
      g = morphax.lax.pmean(g, axis_name)
    u, s = opt.update(g, s, p)
    return optax.apply_updates(p, u), s

  single = (params, opt.init(params))
  replicated = morphax.device_put_replicated(single, devices)
  pstep = morphax.pmap(lambda p, s, x, y: step(p, s, x, y, "batch"), axis_name="batch")
  for _ in range(3):
    single = morphax.jit(step)(*single, x, y)
    replicated = pstep(*replicated, x.reshape(4, 4, 3), y.reshape(4, 4))
  for a, b in zip(tu.tree_leaves(single), tu.tree_leaves(replicated)):
    for replica in np.asarray(b):
      np.testing.assert_allclose(replica, np.asarray(a), rtol=1e-5, atol=1e-6)
