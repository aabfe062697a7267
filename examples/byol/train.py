"""Self-supervised BYOL (Bootstrap Your Own Latent) on handwritten digits,
scored by linear probes.

    python examples/byol/train.py                 # digits; probes: BYOL vs random vs pixels
    python examples/byol/train.py --devices 2     # data-parallel with pmap
    python examples/byol/train.py --resume        # continue from the last checkpoint
    python examples/byol/train.py --data ~/mnist  # MNIST / Fashion-MNIST IDX files

An online network (CNN encoder, projector, predictor) learns to predict the
target network's projection of another augmented view of the same image; the
target is an exponential moving average of the online encoder and projector
(Grill et al., 2020, arXiv 2006.07733). No labels are used for training:
they only score the frozen encoder with a logistic-regression probe, next to
a randomly initialized encoder of the same architecture and the raw pixels.
"""

import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import common  # noqa: E402  (examples/common.py)

parser = common.make_parser(__doc__.splitlines()[0], steps=2000, batch_size=128,
                            learning_rate=2e-3, eval_every=250)
parser.add_argument("--data", type=pathlib.Path, default=None,
                    help="folder with MNIST/Fashion-MNIST IDX files (default: digits)")
parser.add_argument("--widths", type=int, nargs="+", default=[32, 64, 128],
                    help="encoder convolution widths (all but the first stride 2)")
parser.add_argument("--flatten", action="store_true",
                    help="representation: flatten the last feature map (default: average it)")
parser.add_argument("--hidden", type=int, default=256, help="projector/predictor hidden width")
parser.add_argument("--projection", type=int, default=64, help="projection size")
parser.add_argument("--tau", type=float, default=0.99,
                    help="target EMA rate at step 0 (cosine to 1 at the end)")
parser.add_argument("--weight-decay", type=float, default=1e-4, help="adamw weight decay")
parser.add_argument("--warmup", type=int, default=100, help="learning-rate warmup steps")


def check_args(args):
  """The BYOL-specific flags make sense (the shared ones are checked by common)."""
  if not 0.0 <= args.tau <= 1.0:
    parser.error(f"--tau is the target's EMA rate at step 0, in [0, 1] (the paper "
                 f"uses 0.99-0.996), got {args.tau}")
  if min(args.widths) < 1 or args.hidden < 1 or args.projection < 1:
    parser.error(f"--widths, --hidden and --projection must be positive, got "
                 f"{args.widths}, {args.hidden}, {args.projection}")


def main(argv=None):
  """Train, probe, summarize; returns the BYOL linear-probe test accuracy."""
  args = common.parse_args(parser, "byol", argv)
  check_args(args)
  import numpy as np

  import morphax
  import morphax.numpy as jnp
  import morphax_optim as optax
  import morphax_rng as random
  from byol import augment, model, probe

  train, test, data_name = common.load_images(args.data, seed=args.seed)
  num_classes = int(train["y"].max()) + 1
  axis_name = "batch" if args.devices > 1 else None
  net = model.Online(tuple(args.widths), args.hidden, args.projection, axis_name,
                     not args.flatten)
  single = model.Online(tuple(args.widths), args.hidden, args.projection,  # init, probe
                        pool=not args.flatten)
  schedule = optax.warmup_cosine_decay_schedule(0.0, args.lr, min(args.warmup, args.steps // 2),
                                                args.steps)
  optimizer = optax.adamw(schedule, weight_decay=args.weight_decay)
  base_key = random.PRNGKey(args.seed)
  init_key, random_key, augment_key = random.split(base_key, 3)

  def init_state(key):
    """Online and target (= online encoder + projector) parameters, BatchNorm
    statistics, optimizer state and the step: everything a checkpoint holds."""
    variables = single.init(key, jnp.asarray(train["x"][:2]))
    params = variables["params"]
    target = {k: params[k] for k in ("encoder", "projector")}
    return {"params": params, "target": target, "batch_stats": variables["batch_stats"],
            "opt_state": optimizer.init(params), "step": jnp.zeros((), jnp.int32)}

  def loss_fn(params, state, views):
    """The BYOL loss of the online `params` on both views stacked."""
    online, stats = net.apply({"params": params, "batch_stats": state["batch_stats"]},
                              views, mutable=["batch_stats"])
    target_params = dict(params, **state["target"])  # the predictor is unused
    target, _ = net.apply({"params": target_params, "batch_stats": state["batch_stats"]},
                          views, predict=False, mutable=["batch_stats"])
    return model.byol_loss(online, target), stats["batch_stats"]

  def train_step(state, images, key):
    """Two augmented views, one adamw step of the online network, then the
    target's EMA update; returns (state, loss, tau)."""
    k1, k2 = random.split(key)
    views = jnp.concatenate([augment.augment(k1, images), augment.augment(k2, images)])
    (loss, batch_stats), grads = morphax.value_and_grad(loss_fn, has_aux=True)(
        state["params"], state, views)
    if axis_name is not None:  # data-parallel: average over the devices
      grads, loss = morphax.lax.pmean((grads, loss), axis_name)
    updates, opt_state = optimizer.update(grads, state["opt_state"], state["params"])
    params = optax.apply_updates(state["params"], updates)
    tau = model.target_decay(state["step"], args.steps, args.tau)
    online = {k: params[k] for k in ("encoder", "projector")}
    target = optax.incremental_update(online, state["target"], 1.0 - tau)
    return {"params": params, "target": target, "batch_stats": batch_stats,
            "opt_state": opt_state, "step": state["step"] + 1}, loss, tau

  represent = morphax.jit(lambda params, x: single.apply({"params": params}, x,
                                                         method=model.Online.represent))

  def features(encoder_params, split):
    """The frozen encoder's representation of a split, in chunks of 512."""
    params = {"encoder": encoder_params}
    return np.concatenate([np.asarray(represent(params, jnp.asarray(split["x"][i:i + 512])))
                           for i in range(0, len(split["y"]), 512)])

  def probe_accuracy(encoder_params):
    """Held-out accuracy of a linear probe on this encoder's features."""
    return probe.linear_probe(features(encoder_params, train), train["y"],
                              features(encoder_params, test), test["y"], num_classes)

  step_fn, to_device, from_device = common.data_parallel(train_step, args.devices)
  if args.devices > 1:
    step_keys = lambda key: random.split(key, args.devices)  # noqa: E731
  else:
    step_keys = lambda key: key  # noqa: E731

  manager, state, start_step = common.open_checkpoints(args, init_state(init_key))
  metrics = common.MetricsLog(args.workdir / "metrics.csv",
                              ["train_loss", "tau", "probe_accuracy"],
                              resume_step=start_step if args.resume else None)
  n_params = sum(x.size for x in morphax.tree_util.tree_leaves(state["params"]))
  print(f"data: {data_name}: {len(train['y'])} train / {len(test['y'])} test images "
        f"(labels used only by the probes)")
  print(f"model: CNN encoder {args.widths} + projector/predictor {args.hidden}-"
        f"{args.projection}, {n_params:,} parameters; adamw lr {args.lr} (warmup-cosine), "
        f"tau {args.tau} -> 1, batch {args.batch_size} x 2 views on {args.devices} "
        f"device(s), {morphax.default_backend()}")

  device_state = to_device(state)
  progress = common.Progress(start_step, args.steps, "view", enabled=not args.no_progress)
  t0 = time.perf_counter()
  stop = args.stop_at
  for step in range(start_step, stop):
    idx = common.batch_indices(step, len(train["y"]), args.batch_size, args.seed)
    images = common.shard({"x": train["x"][idx]}, args.devices)["x"]
    key = step_keys(random.fold_in(augment_key, step))
    device_state, loss, tau = step_fn(device_state, images, key)
    done = step + 1
    if done % args.eval_every == 0 or done == args.steps:
      loss = float(np.mean(np.asarray(loss)))
      tau = float(np.asarray(tau).reshape(-1)[0])
      state = from_device(device_state)
      accuracy = probe_accuracy(state["params"]["encoder"])
      metrics.log(done, train_loss=f"{loss:.5f}", tau=f"{tau:.6f}",
                  probe_accuracy=f"{accuracy:.4f}")
      progress.write(f"step {done:5d}  loss {loss:.4f}  tau {tau:.5f}  "
                     f"probe acc {accuracy:.4f}")
      if done % args.checkpoint_every == 0 or done == args.steps:
        manager.save(done, state, metrics={"probe_accuracy": accuracy})
      progress.update(2 * args.batch_size, loss=loss)
    else:
      progress.update(2 * args.batch_size)
  progress.close()
  manager.wait_until_finished()
  manager.close()
  elapsed = time.perf_counter() - t0
  state = from_device(device_state)

  byol_accuracy = probe_accuracy(state["params"]["encoder"])
  random_encoder = single.init(random_key, jnp.asarray(train["x"][:2]))["params"]["encoder"]
  random_accuracy = probe_accuracy(random_encoder)
  flat = lambda split: split["x"].reshape(len(split["y"]), -1)
  pixel_accuracy = probe.linear_probe(flat(train), train["y"], flat(test), test["y"],
                                      num_classes)
  png = None
  if args.plot:
    png = common.plot(args.workdir / "metrics.csv", args.workdir / "curves.png", "BYOL")
  common.summary("BYOL on " + data_name, [
      ("linear probe, BYOL encoder", f"{byol_accuracy:.2%} test accuracy"),
      ("linear probe, random encoder", f"{random_accuracy:.2%} test accuracy"),
      ("linear probe, raw pixels", f"{pixel_accuracy:.2%} test accuracy"),
      ("final BYOL loss", f"{float(np.mean(np.asarray(loss))):.4f}"
       if start_step < stop else "-"),
      ("steps", f"{start_step} -> {max(stop, start_step)} of {args.steps}"),
      ("training time", f"{elapsed:.1f} s ({progress.throughput:,.0f} views/s)"),
      ("checkpoints", args.workdir / "checkpoints"),
      ("metrics", args.workdir / "metrics.csv"),
      *([("plot", png)] if png else []),
  ])
  return byol_accuracy


if __name__ == "__main__":
  main()
