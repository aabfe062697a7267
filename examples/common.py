"""What the examples share: the data sets (offline), the command line every
example takes, batches that are a pure function of the step (so a resumed
run sees exactly the batches the original would have), progress, the
metrics CSV, optional plots and the closing summary.

Nothing here imports morphax: `parse_args` must run first, because
`--devices N` sets MORPHAX_NUM_CPU_DEVICES before the backend starts.
"""

import argparse
import ast
import csv
import gzip
import os
import pathlib
import struct
import sys
import sysconfig
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


# --- command line ------------------------------------------------------------------

def make_parser(description, *, steps, batch_size, learning_rate, eval_every):
  """The flags every example takes; each example adds its own."""
  p = argparse.ArgumentParser(description=description,
                              formatter_class=argparse.ArgumentDefaultsHelpFormatter)
  p.add_argument("--steps", type=int, default=steps, help="training steps in all")
  p.add_argument("--batch-size", type=int, default=batch_size,
                 help="global batch (split over --devices)")
  p.add_argument("--lr", type=float, default=learning_rate, help="peak learning rate")
  p.add_argument("--seed", type=int, default=0)
  p.add_argument("--eval-every", type=int, default=eval_every,
                 help="steps between evaluations on the held-out split")
  p.add_argument("--devices", type=int, default=1,
                 help="data-parallel over N devices with pmap (CPU devices via "
                      "MORPHAX_NUM_CPU_DEVICES)")
  p.add_argument("--workdir", type=pathlib.Path, default=None,
                 help="checkpoints and metrics.csv (default runs/<example>)")
  p.add_argument("--stop-at", type=int, default=None,
                 help="stop (with a checkpoint) after this step of a --steps run; "
                      "--resume continues it as if it had never stopped")
  p.add_argument("--resume", action="store_true",
                 help="continue from the latest checkpoint in --workdir")
  p.add_argument("--checkpoint-every", type=int, default=None,
                 help="steps between checkpoints (default: at each evaluation)")
  p.add_argument("--plot", action="store_true",
                 help="write curves.png next to metrics.csv (needs matplotlib)")
  p.add_argument("--no-progress", action="store_true", help="no progress bar")
  return p


def parse_args(parser, name, argv=None):
  """Parse, check, fill defaults and set up the devices (before morphax
  starts its backend)."""
  args = parser.parse_args(argv)
  if args.devices < 1:
    parser.error(f"--devices must be at least 1, got {args.devices}")
  if args.batch_size % args.devices:
    parser.error(f"--batch-size {args.batch_size} is not divisible by "
                 f"--devices {args.devices}")
  if args.steps < 1:
    parser.error(f"--steps must be at least 1, got {args.steps}")
  if args.stop_at is None:
    args.stop_at = args.steps
  if not 1 <= args.stop_at <= args.steps:
    parser.error(f"--stop-at must be between 1 and --steps {args.steps}, got {args.stop_at}")
  if args.workdir is None:
    args.workdir = ROOT / "runs" / name
  if args.checkpoint_every is None:
    args.checkpoint_every = args.eval_every
  if args.devices > 1 and "MORPHAX_NUM_CPU_DEVICES" not in os.environ:
    os.environ["MORPHAX_NUM_CPU_DEVICES"] = str(args.devices)
  args.workdir.mkdir(parents=True, exist_ok=True)
  return args


# --- image data --------------------------------------------------------------------

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _read_idx(path):
  """An IDX file (MNIST's format), plain or gzipped, as a numpy array."""
  opener = gzip.open if path.suffix == ".gz" else open
  with opener(path, "rb") as f:
    data = f.read()
  if len(data) < 4 or data[0] != 0 or data[1] != 0:
    raise ValueError(f"{path} is not an IDX file (bad magic number)")
  dtype = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4",
           0x0D: ">f4", 0x0E: ">f8"}.get(data[2])
  if dtype is None:
    raise ValueError(f"{path}: unknown IDX element type 0x{data[2]:02x}")
  ndim = data[3]
  shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
  array = np.frombuffer(data, dtype, offset=4 + 4 * ndim)
  if array.size != int(np.prod(shape)):
    raise ValueError(f"{path}: header says shape {shape} but the file holds "
                     f"{array.size} values (truncated?)")
  return array.reshape(shape)


def _find_idx(directory, stem):
  for candidate in (directory / stem, directory / f"{stem}.gz",
                    directory / stem.replace("-idx", ".idx")):
    if candidate.exists():
      return candidate
  raise FileNotFoundError(
      f"--data {directory}: no {stem} or {stem}.gz there (MNIST / Fashion-MNIST "
      f"IDX files: train-images-idx3-ubyte, train-labels-idx1-ubyte, "
      f"t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte)")


def load_images(data_dir=None, test_fraction=0.2, seed=0):
  """(train, test, description): each split a dict with "x" float32[N, H, W, 1]
  in [0, 1] and "y" int32[N].

  Without `data_dir`: scikit-learn's bundled handwritten digits (1,797 8x8
  images), split `test_fraction` held out, stratified by class. With it:
  the MNIST / Fashion-MNIST IDX files there (their own train/test split).
  """
  if data_dir is not None:
    directory = pathlib.Path(data_dir)
    splits = {}
    for split, (images, labels) in IDX_FILES.items():
      x = _read_idx(_find_idx(directory, images)).astype(np.float32) / 255.0
      y = _read_idx(_find_idx(directory, labels)).astype(np.int32)
      splits[split] = {"x": x[..., None], "y": y}
    return splits["train"], splits["test"], f"IDX files in {directory}"
  try:
    from sklearn.datasets import load_digits
  except ImportError:
    sys.exit("the default data set is scikit-learn's digits: pip install scikit-learn "
             "(or pass --data DIR with MNIST IDX files)")
  digits = load_digits()
  x = (digits.images / 16.0).astype(np.float32)[..., None]
  y = digits.target.astype(np.int32)
  rng = np.random.default_rng(seed)
  test = np.zeros(len(y), bool)
  for label in np.unique(y):
    where = np.flatnonzero(y == label)
    test[rng.permutation(where)[:round(test_fraction * len(where))]] = True
  return ({"x": x[~test], "y": y[~test]}, {"x": x[test], "y": y[test]},
          "scikit-learn digits (8x8)")


# --- text data ---------------------------------------------------------------------

# Folders of the standard library that are tests, demos or vendored code,
# not documentation written by its authors.
_SKIP_STDLIB = {"site-packages", "dist-packages", "test", "tests", "idlelib",
                "lib2to3", "turtledemo", "__pycache__"}


def stdlib_docstrings(min_length=40):
  """The docstrings of the Python standard library (modules, classes,
  functions), read with `ast` (nothing is imported), in a fixed order:
  about 1.5 MB of English written by people, shipped with every Python."""
  root = pathlib.Path(sysconfig.get_paths()["stdlib"])
  docs = []
  for path in sorted(root.rglob("*.py")):
    if _SKIP_STDLIB & set(path.relative_to(root).parts):
      continue
    try:
      tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
      continue
    for node in ast.walk(tree):
      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                           ast.AsyncFunctionDef)):
        doc = ast.get_docstring(node)
        if doc and len(doc) >= min_length:
          docs.append(doc)
  return "\n\n".join(docs)


def load_text(path=None, cache_dir=None, val_fraction=0.1):
  """(train, val, description): uint8 byte arrays of a UTF-8 text.

  Without `path`: the standard library's docstrings (cached in `cache_dir`
  after the first read, which takes a few seconds). The last `val_fraction`
  of the bytes is held out.
  """
  if path is not None:
    data = pathlib.Path(path).read_bytes()
    try:
      data.decode("utf-8")
    except UnicodeDecodeError as e:
      raise ValueError(f"--text {path} is not UTF-8: {e}") from None
    description = f"{path}"
  else:
    cache = cache_dir and pathlib.Path(cache_dir) / "stdlib_docstrings.txt"
    if cache and cache.exists():
      data = cache.read_bytes()
    else:
      data = stdlib_docstrings().encode("utf-8")
      if cache:
        tmp = cache.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(cache)
    description = f"Python {sys.version.split()[0]} standard library docstrings"
  tokens = np.frombuffer(data, np.uint8)
  split = int(len(tokens) * (1 - val_fraction))
  return tokens[:split], tokens[split:], f"{description}: {len(tokens):,} bytes"


# --- batches -----------------------------------------------------------------------

def batch_indices(step, n, batch_size, seed):
  """The example indices of training step `step`: epochs are permutations
  seeded by (seed, epoch), so the batch is a pure function of the step."""
  per_epoch = n // batch_size
  if per_epoch == 0:
    raise ValueError(f"batch size {batch_size} exceeds the {n} training examples")
  epoch, k = divmod(step, per_epoch)
  order = np.random.default_rng([seed, epoch]).permutation(n)
  return order[k * batch_size:(k + 1) * batch_size]


def shard(batch, devices):
  """Reshape each array's leading axis (global batch) to [devices, batch /
  devices, ...] for pmap; unchanged when `devices` is 1."""
  if devices == 1:
    return batch
  return {k: v.reshape(devices, v.shape[0] // devices, *v.shape[1:])
          for k, v in batch.items()}


# --- training plumbing shared by the examples (imports morphax lazily) ---------

def data_parallel(train_step, num_devices, axis_name="batch"):
  """(step_fn, to_device, from_device): `train_step(state, batch)` jitted on
  one device, or pmapped over the first `num_devices` local devices with
  the state replicated (`train_step` then averages its gradients over
  `axis_name` itself)."""
  import morphax
  if num_devices == 1:
    identity = lambda state: state  # noqa: E731
    return morphax.jit(train_step), identity, identity
  devices = morphax.local_devices()[:num_devices]
  if len(devices) < num_devices:
    sys.exit(f"--devices {num_devices}: only {len(devices)} devices available")
  step_fn = morphax.pmap(train_step, axis_name=axis_name, devices=devices)
  to_device = lambda state: morphax.device_put_replicated(state, devices)  # noqa: E731
  from_device = lambda state: morphax.tree_util.tree_map(lambda x: x[0], state)  # noqa: E731
  return step_fn, to_device, from_device


def open_checkpoints(args, state):
  """(manager, state, start_step): a CheckpointManager in --workdir keeping
  the last two checkpoints; with --resume, `state` restored from the latest
  one (its structure and dtypes from the given `state`)."""
  import morphax_checkpoint as ocp
  directory = args.workdir / "checkpoints"
  manager = ocp.CheckpointManager(directory, ocp.CheckpointManagerOptions(max_to_keep=2))
  start_step = 0
  if args.resume and manager.latest_step() is not None:
    start_step = manager.latest_step()
    state = manager.restore(start_step, target=state)
    print(f"resumed from step {start_step} ({directory})")
  elif args.resume:
    print(f"--resume: no checkpoint in {directory}, starting fresh")
  return manager, state, start_step


# --- progress, metrics, summary ----------------------------------------------------

class Progress:
  """A progress bar over steps showing the latest metrics and throughput
  (tqdm when installed, else a line every few seconds)."""

  def __init__(self, start, total, unit, enabled=True):
    self.total, self.unit, self.enabled = total, unit, enabled
    self.step = start
    self._last_print = 0.0
    self._bar = None
    if enabled:
      try:
        from tqdm import tqdm
        self._bar = tqdm(initial=start, total=total, unit="step", dynamic_ncols=True,
                         file=sys.stdout, mininterval=0.5)
      except ImportError:
        pass
    self._t0 = time.perf_counter()
    self._items = 0

  def update(self, items, **metrics):
    """One step done, covering `items` examples (or tokens)."""
    self.step += 1
    self._items += items
    rate = self._items / max(time.perf_counter() - self._t0, 1e-9)
    fields = {k: f"{v:.4f}" if isinstance(v, float) else str(v)
              for k, v in metrics.items()}
    fields[f"{self.unit}/s"] = f"{rate:,.0f}"
    if self._bar is not None:
      self._bar.update(1)
      self._bar.set_postfix(fields, refresh=False)
    elif self.enabled and (time.perf_counter() - self._last_print > 5
                           or self.step == self.total):
      self._last_print = time.perf_counter()
      print(f"step {self.step}/{self.total} " +
            " ".join(f"{k} {v}" for k, v in fields.items()), flush=True)

  def write(self, line):
    """Print a line without breaking the bar."""
    if self._bar is not None:
      self._bar.write(line)
    else:
      print(line, flush=True)

  @property
  def throughput(self):
    return self._items / max(time.perf_counter() - self._t0, 1e-9)

  def close(self):
    if self._bar is not None:
      self._bar.close()


class MetricsLog:
  """metrics.csv: one row per logged step. A resumed run drops the rows
  past its checkpoint, so the file shows one continuous curve."""

  def __init__(self, path, fields, resume_step=None):
    self.path = pathlib.Path(path)
    self.fields = ["step", *fields]
    rows = []
    if resume_step is not None and self.path.exists():
      with open(self.path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if int(r["step"]) <= resume_step]
    with open(self.path, "w", newline="") as f:
      writer = csv.DictWriter(f, self.fields)
      writer.writeheader()
      writer.writerows(rows)

  def log(self, step, **values):
    with open(self.path, "a", newline="") as f:
      csv.DictWriter(f, self.fields).writerow({"step": step, **values})

  def rows(self):
    with open(self.path, newline="") as f:
      return list(csv.DictReader(f))


def plot(metrics_path, png_path, title):
  """Every metric column of the CSV against the step, one panel each."""
  try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
  except ImportError:
    print("--plot needs matplotlib (pip install matplotlib): no PNG written")
    return None
  with open(metrics_path, newline="") as f:
    rows = list(csv.DictReader(f))
  columns = [c for c in (rows[0].keys() if rows else ()) if c != "step"]
  fig, axes = plt.subplots(1, max(len(columns), 1), figsize=(4 * max(len(columns), 1), 3))
  axes = np.atleast_1d(axes)
  for ax, column in zip(axes, columns):
    points = [(int(r["step"]), float(r[column])) for r in rows if r[column] not in ("", None)]
    if points:
      ax.plot(*zip(*points), marker=".")
    ax.set_xlabel("step")
    ax.set_title(column)
  fig.suptitle(title)
  fig.tight_layout()
  fig.savefig(png_path, dpi=100)
  plt.close(fig)
  return png_path


def summary(title, rows):
  """A boxed table of (label, value) lines: what a person reads at the end."""
  rows = [(str(k), str(v)) for k, v in rows]
  width = max(len(k) for k, _ in rows)
  lines = [f"  {k.ljust(width)}  {v}" for k, v in rows]
  rule = "=" * max(len(title), *(len(line) for line in lines))
  print(f"\n{rule}\n{title}\n{rule}")
  print("\n".join(lines))
  print(rule)
