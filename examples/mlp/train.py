"""Train an MLP classifier on handwritten digits: the first thing to run.

    python examples/mlp/train.py                 # digits, ~97-98% test accuracy
    python examples/mlp/train.py --devices 2     # data-parallel with pmap
    python examples/mlp/train.py --resume        # continue from the last checkpoint
    python examples/mlp/train.py --data ~/mnist  # MNIST / Fashion-MNIST IDX files

morphax_nn defines the model, morphax_optim the optimizer, morphax_rng the
initial parameters and morphax_checkpoint saves and resumes training.
"""

import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import common  # noqa: E402  (examples/common.py)

parser = common.make_parser(__doc__.splitlines()[0], steps=1500, batch_size=128,
                            learning_rate=1e-3, eval_every=250)
parser.add_argument("--data", type=pathlib.Path, default=None,
                    help="folder with MNIST/Fashion-MNIST IDX files (default: digits)")
parser.add_argument("--weight-decay", type=float, default=1e-2,
                    help="AdamW's decoupled weight decay")
parser.add_argument("--hidden", type=int, nargs="+", default=[256, 128],
                    help="hidden layer widths")


def main(argv=None):
  args = common.parse_args(parser, "mlp", argv)
  import numpy as np

  import morphax
  import morphax.numpy as jnp
  import morphax_nn as nn
  import morphax_optim as optax
  import morphax_rng as random

  class MLP(nn.Module):
    """Flatten, then Dense + ReLU per hidden width, then the class logits."""
    hidden: tuple
    num_classes: int

    @nn.compact
    def __call__(self, x):
      x = x.reshape((x.shape[0], -1))
      for width in self.hidden:
        x = nn.relu(nn.Dense(width)(x))
      return nn.Dense(self.num_classes)(x)

  train, test, data_name = common.load_images(args.data, seed=args.seed)
  num_classes = int(train["y"].max()) + 1
  model = MLP(hidden=tuple(args.hidden), num_classes=num_classes)
  schedule = optax.cosine_decay_schedule(args.lr, args.steps, alpha=0.05)
  optimizer = optax.adamw(schedule, weight_decay=args.weight_decay)

  def init_state():
    params = model.init(random.PRNGKey(args.seed), jnp.asarray(train["x"][:1]))["params"]
    return {"params": params, "opt_state": optimizer.init(params)}

  def loss_fn(params, batch):
    logits = model.apply({"params": params}, batch["x"])
    labels = batch["y"]
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
    return loss, (jnp.argmax(logits, -1) == labels).mean()

  def train_step(state, batch, axis_name=None):
    (loss, accuracy), grads = morphax.value_and_grad(loss_fn, has_aux=True)(
        state["params"], batch)
    if axis_name is not None:  # data-parallel: average over the devices
      grads, loss, accuracy = morphax.lax.pmean((grads, loss, accuracy), axis_name)
    updates, opt_state = optimizer.update(grads, state["opt_state"], state["params"])
    params = optax.apply_updates(state["params"], updates)
    return {"params": params, "opt_state": opt_state}, loss, accuracy

  def predict(params, x):
    return jnp.argmax(model.apply({"params": params}, x), -1)

  predict = morphax.jit(predict)
  axis_name = "batch" if args.devices > 1 else None
  step_fn, to_device, from_device = common.data_parallel(
      lambda s, b: train_step(s, b, axis_name), args.devices)

  def evaluate(params):
    correct = 0
    for start in range(0, len(test["y"]), 512):
      x = jnp.asarray(test["x"][start:start + 512])
      correct += int((np.asarray(predict(params, x)) == test["y"][start:start + 512]).sum())
    return correct / len(test["y"])

  manager, state, start_step = common.open_checkpoints(args, init_state())
  metrics = common.MetricsLog(args.workdir / "metrics.csv",
                              ["train_loss", "train_accuracy", "test_accuracy"],
                              resume_step=start_step if args.resume else None)
  n_params = sum(x.size for x in morphax.tree_util.tree_leaves(state["params"]))
  print(f"data: {data_name}: {len(train['y'])} train / {len(test['y'])} test images, "
        f"{num_classes} classes")
  print(f"model: MLP {np.prod(train['x'].shape[1:])}-{'-'.join(map(str, args.hidden))}-"
        f"{num_classes}, {n_params:,} parameters; adamw lr {args.lr} (cosine), weight decay {args.weight_decay}, "
        f"batch {args.batch_size} on {args.devices} device(s), {morphax.default_backend()}")

  device_state = to_device(state)
  progress = common.Progress(start_step, args.stop_at, "img", enabled=not args.no_progress)
  t0 = time.perf_counter()
  test_accuracy = evaluate(state["params"]) if start_step else float("nan")
  for step in range(start_step, args.stop_at):
    idx = common.batch_indices(step, len(train["y"]), args.batch_size, args.seed)
    batch = common.shard({"x": train["x"][idx], "y": train["y"][idx]}, args.devices)
    device_state, loss, accuracy = step_fn(device_state, batch)
    done = step + 1
    if done % args.eval_every == 0 or done in (args.steps, args.stop_at):
      loss = float(np.mean(np.asarray(loss)))
      accuracy = float(np.mean(np.asarray(accuracy)))
      state = from_device(device_state)
      test_accuracy = evaluate(state["params"])
      metrics.log(done, train_loss=f"{loss:.5f}", train_accuracy=f"{accuracy:.4f}",
                  test_accuracy=f"{test_accuracy:.4f}")
      progress.write(f"step {done:5d}  loss {loss:.4f}  train acc {accuracy:.3f}  "
                     f"test acc {test_accuracy:.4f}")
      if done % args.checkpoint_every == 0 or done in (args.steps, args.stop_at):
        manager.save(done, state, metrics={"test_accuracy": test_accuracy})
      progress.update(args.batch_size, loss=loss)
    else:
      progress.update(args.batch_size)
  progress.close()
  manager.wait_until_finished()
  manager.close()
  elapsed = time.perf_counter() - t0
  png = None
  if args.plot:
    png = common.plot(args.workdir / "metrics.csv", args.workdir / "curves.png", "MLP")
  common.summary("MLP on " + data_name, [
      ("test accuracy", f"{test_accuracy:.2%}"),
      ("steps", f"{start_step} -> {args.stop_at} of {args.steps}"),
      ("training time", f"{elapsed:.1f} s ({progress.throughput:,.0f} images/s)"),
      ("checkpoints", args.workdir / "checkpoints"),
      ("metrics", args.workdir / "metrics.csv"),
      *([("plot", png)] if png else []),
  ])
  return test_accuracy


if __name__ == "__main__":
  main()
