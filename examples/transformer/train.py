"""Train a byte-level transformer language model on English text.

    python examples/transformer/train.py                    # stdlib docstrings, ~6 min
    python examples/transformer/train.py --sample 400       # ...then print 400 sampled bytes
    python examples/transformer/train.py --devices 2        # data-parallel with pmap
    python examples/transformer/train.py --resume           # continue from the last checkpoint
    python examples/transformer/train.py --text FILE        # any UTF-8 file

A decoder-only transformer over bytes (vocabulary 256): token and learned
position embeddings, pre-LayerNorm blocks of causal multi-head attention and
a GELU MLP, optional weight tying; AdamW with a warmup-cosine schedule and
global-norm clipping. It reports validation bits per byte against the
unigram baseline. morphax_nn defines the model, morphax_optim the optimizer,
morphax_rng the initial parameters and the sampling, morphax_checkpoint
saves and resumes training.
"""

import math
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
import common  # noqa: E402  (examples/common.py)

parser = common.make_parser(__doc__.splitlines()[0], steps=1500, batch_size=16,
                            learning_rate=2e-3, eval_every=250)
parser.add_argument("--text", type=pathlib.Path, default=None,
                    help="a UTF-8 text file (default: the stdlib's docstrings)")
parser.add_argument("--seq-len", type=int, default=128, help="context length in bytes")
parser.add_argument("--d-model", type=int, default=128, help="embedding width")
parser.add_argument("--num-heads", type=int, default=4, help="attention heads")
parser.add_argument("--num-layers", type=int, default=4, help="transformer blocks")
parser.add_argument("--tie-embeddings", action="store_true",
                    help="output logits from the token embedding (Embed.attend)")
parser.add_argument("--warmup", type=int, default=100, help="learning-rate warmup steps")
parser.add_argument("--weight-decay", type=float, default=0.1, help="AdamW weight decay")
parser.add_argument("--clip", type=float, default=1.0, help="global gradient-norm clip")
parser.add_argument("--eval-batches", type=int, default=16,
                    help="validation batches per evaluation (of --batch-size windows)")
parser.add_argument("--sample", type=int, default=0, metavar="N",
                    help="after training, print N bytes sampled from the model")
parser.add_argument("--prompt", default="Return the ", help="text the sample continues")
parser.add_argument("--temperature", type=float, default=0.8, help="sampling temperature")


def check_args(args):
  """The model's flags make sense together (argparse checked their types)."""
  if args.seq_len < 2:
    parser.error(f"--seq-len must be at least 2, got {args.seq_len}")
  if args.d_model % args.num_heads:
    parser.error(f"--d-model {args.d_model} is not divisible by --num-heads "
                 f"{args.num_heads}: each head gets d_model / num_heads features")
  if args.sample < 0:
    parser.error(f"--sample must be >= 0 bytes, got {args.sample}")
  if args.temperature <= 0:
    parser.error(f"--temperature must be > 0, got {args.temperature} "
                 "(lower is greedier)")
  if args.warmup < 0:
    parser.error(f"--warmup must be >= 0, got {args.warmup}")
  if args.eval_batches < 1:
    parser.error(f"--eval-batches must be at least 1, got {args.eval_batches}")


def windows(tokens, seq_len):
  """Start offsets of the non-overlapping windows of seq_len + 1 bytes
  (inputs and their next-byte targets) that fit in `tokens`."""
  return seq_len * np.arange(max((len(tokens) - 1) // seq_len, 0))


def gather(tokens, starts, seq_len):
  """int32[len(starts), seq_len + 1]: the windows starting at `starts`."""
  return tokens[starts[:, None] + np.arange(seq_len + 1)].astype(np.int32)


def unigram_bits(train, val):
  """Bits per byte of `val` under the byte frequencies of `train` (add-one
  smoothed): what a model that ignores context can reach."""
  counts = np.bincount(train, minlength=256).astype(np.float64) + 1
  log_p = np.log2(counts / counts.sum())
  return float(-log_p[val].mean())


def main(argv=None):
  """Train (or resume), evaluate, optionally sample; returns the final
  validation bits per byte."""
  args = common.parse_args(parser, "transformer", argv)
  check_args(args)

  import morphax
  import morphax.numpy as jnp
  import morphax_optim as optax
  import morphax_rng as random
  from model import ByteLM, count_parameters, decay_mask

  train, val, data_name = common.load_text(args.text, cache_dir=args.workdir.parent)
  seq = args.seq_len
  train_starts, val_starts = windows(train, seq), windows(val, seq)
  if len(val_starts) == 0:
    sys.exit(f"the validation split ({len(val)} bytes) is shorter than one window "
             f"of --seq-len {seq} + 1 bytes: use a longer text or a smaller --seq-len")
  val_windows = gather(val, val_starts[:args.eval_batches * args.batch_size], seq)
  baseline = unigram_bits(train, val)

  model = ByteLM(d_model=args.d_model, num_heads=args.num_heads,
                 num_layers=args.num_layers, max_len=seq,
                 tie_embeddings=args.tie_embeddings)
  warmup = min(args.warmup, args.steps - 1)
  schedule = optax.warmup_cosine_decay_schedule(
      0.0, args.lr, warmup, args.steps,
      end_value=args.lr / 10)
  optimizer = optax.chain(
      optax.clip_by_global_norm(args.clip),
      optax.adamw(schedule, b1=0.9, b2=0.99, weight_decay=args.weight_decay,
                  mask=decay_mask))

  def init_state():
    params = model.init(random.PRNGKey(args.seed), jnp.zeros((1, seq), jnp.int32))["params"]
    return {"params": params, "opt_state": optimizer.init(params)}

  def loss_fn(params, tokens):
    logits = model.apply({"params": params}, tokens[:, :-1])
    return optax.softmax_cross_entropy_with_integer_labels(logits, tokens[:, 1:]).mean()

  def train_step(state, batch, axis_name=None):
    loss, grads = morphax.value_and_grad(loss_fn)(state["params"], batch["tokens"])
    if axis_name is not None:  # data-parallel: average over the devices
      grads, loss = morphax.lax.pmean((grads, loss), axis_name)
    updates, opt_state = optimizer.update(grads, state["opt_state"], state["params"])
    params = optax.apply_updates(state["params"], updates)
    return {"params": params, "opt_state": opt_state}, loss

  eval_loss = morphax.jit(loss_fn)

  def next_byte(params, context, position, key, temperature):
    """A byte drawn from the model's distribution after context[0, :position+1]."""
    logits = model.apply({"params": params}, context)[0, position]
    return random.categorical(key, logits / temperature)

  next_byte = morphax.jit(next_byte)

  axis_name = "batch" if args.devices > 1 else None
  step_fn, to_device, from_device = common.data_parallel(
      lambda s, b: train_step(s, b, axis_name), args.devices)

  def evaluate(params):
    """Mean next-byte loss (nats) over the held-out windows."""
    total = 0.0
    for start in range(0, len(val_windows), args.batch_size):
      chunk = val_windows[start:start + args.batch_size]
      total += float(eval_loss(params, jnp.asarray(chunk))) * len(chunk)
    return total / len(val_windows)

  def sample(params, n):
    """`n` bytes continuing --prompt, one jit'd call per byte over a sliding
    window of the last seq_len bytes."""
    prompt = list(args.prompt.encode("utf-8")) or [ord("\n")]
    out = list(prompt)
    key = random.PRNGKey(args.seed + 1)
    temperature = jnp.float32(args.temperature)
    for i in range(n):
      context = out[-seq:]
      position = len(context) - 1
      context = np.array([context + [0] * (seq - len(context))], np.int32)
      byte = next_byte(params, context, position, random.fold_in(key, i), temperature)
      out.append(int(byte))
    return bytes(out).decode("utf-8", errors="replace")

  manager, state, start_step = common.open_checkpoints(args, init_state())
  metrics = common.MetricsLog(args.workdir / "metrics.csv",
                              ["train_loss", "val_loss", "val_bits_per_byte", "lr"],
                              resume_step=start_step if args.resume else None)
  print(f"data: {data_name}: {len(train):,} train / {len(val):,} validation bytes; "
        f"evaluating on {val_windows.size - len(val_windows):,} of them")
  print(f"model: byte transformer, {args.num_layers} layers, d_model {args.d_model}, "
        f"{args.num_heads} heads, context {seq}"
        f"{', tied embeddings' if args.tie_embeddings else ''}, "
        f"{count_parameters(state['params']):,} parameters; adamw lr {args.lr} "
        f"(warmup {warmup}, cosine over {args.steps}), batch {args.batch_size} on {args.devices} "
        f"device(s), {morphax.default_backend()}")
  print(f"unigram baseline: {baseline:.3f} bits/byte on validation")

  device_state = to_device(state)
  tokens_per_step = args.batch_size * seq
  progress = common.Progress(start_step, args.stop_at, "tok", enabled=not args.no_progress)
  t0 = time.perf_counter()
  val_loss = evaluate(state["params"]) if start_step else float("nan")
  for step in range(start_step, args.stop_at):
    idx = common.batch_indices(step, len(train_starts), args.batch_size, args.seed)
    batch = common.shard({"tokens": gather(train, train_starts[idx], seq)}, args.devices)
    device_state, loss = step_fn(device_state, batch)
    done = step + 1
    if done % args.eval_every == 0 or done in (args.steps, args.stop_at):
      loss = float(np.mean(np.asarray(loss)))
      state = from_device(device_state)
      val_loss = evaluate(state["params"])
      bits = val_loss / math.log(2)
      metrics.log(done, train_loss=f"{loss:.5f}", val_loss=f"{val_loss:.5f}",
                  val_bits_per_byte=f"{bits:.4f}", lr=f"{float(schedule(step)):.6g}")
      progress.write(f"step {done:5d}  loss {loss:.4f}  val loss {val_loss:.4f}  "
                     f"val {bits:.3f} bits/byte (unigram {baseline:.3f})")
      if done % args.checkpoint_every == 0 or done in (args.steps, args.stop_at):
        manager.save(done, state, metrics={"val_loss": val_loss})
      progress.update(tokens_per_step, loss=loss)
    else:
      progress.update(tokens_per_step)
  progress.close()
  manager.wait_until_finished()
  manager.close()
  elapsed = time.perf_counter() - t0
  bits = val_loss / math.log(2)
  text = None
  if args.sample:
    state = from_device(device_state)
    text = sample(state["params"], args.sample)
    print(f"\n--- sample ({args.sample} bytes, temperature {args.temperature}) ---")
    print(text)
  png = None
  if args.plot:
    png = common.plot(args.workdir / "metrics.csv", args.workdir / "curves.png",
                      "byte transformer")
  common.summary("Byte transformer on " + data_name, [
      ("validation", f"{bits:.3f} bits/byte (loss {val_loss:.4f} nats)"),
      ("unigram baseline", f"{baseline:.3f} bits/byte "
                           f"({baseline - bits:+.3f} better)" if bits == bits else
                           f"{baseline:.3f} bits/byte"),
      ("steps", f"{start_step} -> {args.stop_at} of {args.steps}"),
      ("training time", f"{elapsed:.1f} s ({progress.throughput:,.0f} tokens/s)"),
      ("checkpoints", args.workdir / "checkpoints"),
      ("metrics", args.workdir / "metrics.csv"),
      *([("plot", png)] if png else []),
  ])
  return bits


if __name__ == "__main__":
  main()
