"""The model workloads of the benchmark (an MLP train step, per-example
gradients, eager grad), written once against either library's API.

Every function takes `lib` (a _worker.Library) and uses only the names jax
and morphax share (`jit`, `grad`, `value_and_grad`, `vmap`, `numpy`,
`tree_util`), so both sides run the same program. Inputs come from numpy
with fixed seeds: the two libraries see identical values.
"""

import numpy as np

# The big train step: 784-512-512-10, batch 128, float32.
MLP_SIZES = (784, 512, 512, 10)
MLP_BATCH = 128
# The small MLP for per-example gradients and eager grad: 32-64-10, batch 64.
SMALL_SIZES = (32, 64, 10)
SMALL_BATCH = 64
LEARNING_RATE = 0.01
# The dict-of-arrays jit workload: DICT_LEAVES float32[DICT_SIZE] arrays.
DICT_LEAVES = 20
DICT_SIZE = 100


def init_mlp(lib, sizes, seed=0):
  """A list of {"w": float32[m, n], "b": float32[n]} layers (scaled normal)."""
  rng = np.random.default_rng(seed)
  params = []
  for m, n in zip(sizes[:-1], sizes[1:]):
    w = (rng.standard_normal((m, n)) / np.sqrt(m)).astype(np.float32)
    params.append({"w": lib.device_put(w),
                   "b": lib.device_put(np.zeros((n,), np.float32))})
  return params


def batch(lib, sizes, n, seed=1):
  """Inputs float32[n, sizes[0]] and one-hot labels float32[n, sizes[-1]]."""
  rng = np.random.default_rng(seed)
  x = rng.standard_normal((n, sizes[0])).astype(np.float32)
  labels = rng.integers(0, sizes[-1], n)
  y = np.eye(sizes[-1], dtype=np.float32)[labels]
  return lib.device_put(x), lib.device_put(y)


def make_loss(lib):
  """loss(params, x, y): mean softmax cross-entropy of the MLP's logits.

  relu is jnp.maximum(h, 0); log-softmax subtracts the row max before the
  log-sum-exp. Works on a batch (x: [n, d]) and on one example (x: [d]).
  """
  jnp = lib.numpy

  def predict(params, x):
    h = x
    for layer in params[:-1]:
      h = jnp.maximum(jnp.dot(h, layer["w"]) + layer["b"], 0)
    return jnp.dot(h, params[-1]["w"]) + params[-1]["b"]

  def loss(params, x, y):
    logits = predict(params, x)
    shifted = logits - jnp.max(logits, axis=-1, keepdims=True)
    log_probs = shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=-1, keepdims=True))
    return -jnp.mean(jnp.sum(y * log_probs, axis=-1))
  return loss


def make_train_step(lib):
  """jit(step): value_and_grad of the loss, then a plain SGD update of the
  params pytree. Returns (new_params, loss)."""
  loss = make_loss(lib)

  def step(params, x, y):
    value, grads = lib.module.value_and_grad(loss)(params, x, y)
    new = lib.tree_util.tree_map(lambda p, g: p - LEARNING_RATE * g, params, grads)
    return new, value
  return lib.jit(step)


def block(lib, tree):
  """Waits for every array in `tree`; returns it."""
  for leaf in lib.tree_util.tree_leaves(tree):
    leaf.block_until_ready()
  return tree


def mlp_step_inputs(lib):
  """(params, x, y) of the 784-512-512-10 train step."""
  return (init_mlp(lib, MLP_SIZES),) + batch(lib, MLP_SIZES, MLP_BATCH)


def mlp_step_call(lib):
  """A call running one steady-state train step (same inputs every call,
  so every call does identical work) and blocking on all its outputs."""
  step = make_train_step(lib)
  params, x, y = mlp_step_inputs(lib)
  return lambda: block(lib, step(params, x, y))


def per_example_grads_call(lib):
  """jit(vmap(grad(loss), in_axes=(None, 0, 0))) of the small MLP over a
  batch of SMALL_BATCH: one gradient pytree per example."""
  fn = lib.jit(lib.module.vmap(lib.module.grad(make_loss(lib)), in_axes=(None, 0, 0)))
  params = init_mlp(lib, SMALL_SIZES)
  x, y = batch(lib, SMALL_SIZES, SMALL_BATCH)
  return lambda: block(lib, fn(params, x, y))


def eager_grad_call(lib):
  """grad(loss) of the small MLP, not jitted: every primitive of the
  forward and backward pass is dispatched one by one."""
  fn = lib.module.grad(make_loss(lib))
  params = init_mlp(lib, SMALL_SIZES)
  x, y = batch(lib, SMALL_SIZES, SMALL_BATCH)
  return lambda: block(lib, fn(params, x, y))


def dict_sum_call(lib):
  """jit of a function summing a dict of DICT_LEAVES float32[DICT_SIZE]
  arrays with `+`: the cached jit call path with a 20-leaf pytree."""
  def total(arrays):
    values = [arrays[k] for k in sorted(arrays)]
    out = values[0]
    for v in values[1:]:
      out = out + v
    return out
  fn = lib.jit(total)
  arrays = {f"a{i:02d}": lib.device_put(np.full(DICT_SIZE, i, np.float32))
            for i in range(DICT_LEAVES)}
  return lambda: fn(arrays).block_until_ready()


# The recurrent workload: a tanh RNN, RNN_STEPS steps, hidden RNN_HIDDEN,
# batch RNN_BATCH, scanned with lax.scan; jit(grad) of its loss.
RNN_STEPS = 100
RNN_HIDDEN = 128
RNN_BATCH = 32


def rnn_grad_call(lib):
  """jit(grad) of a tanh RNN's loss over RNN_STEPS steps: the scan's
  forward pass, then its transpose running the body backwards."""
  jnp, lax = lib.module.numpy, lib.module.lax
  rng = np.random.default_rng(2)
  h = RNN_HIDDEN
  params = {
      "w_h": lib.device_put((rng.standard_normal((h, h)) / np.sqrt(h)).astype(np.float32)),
      "w_x": lib.device_put((rng.standard_normal((h, h)) / np.sqrt(h)).astype(np.float32)),
      "b": lib.device_put(np.zeros(h, np.float32)),
  }
  xs = lib.device_put(rng.standard_normal((RNN_STEPS, RNN_BATCH, h)).astype(np.float32))

  def loss(params, xs):
    def step(carry, x):
      carry = jnp.tanh(carry @ params["w_h"] + x @ params["w_x"] + params["b"])
      return carry, jnp.sum(carry * carry)
    final, per_step = lax.scan(step, jnp.zeros((RNN_BATCH, h), jnp.float32), xs)
    return jnp.mean(final) + jnp.mean(per_step)

  fn = lib.jit(lib.module.grad(loss))
  return lambda: block(lib, fn(params, xs))
