"""Benchmark of morphax_checkpoint: save/restore throughput against numpy.save/load,
and how long an async CheckpointManager.save blocks the caller.

Run: /tmp/venv/bin/python benchmarks/bench_checkpoint.py [--gb 1.0] [--dir /tmp]
The pytree mixes large leaves with many small ones; everything is written
under a fresh directory in --dir, which is deleted at the end.
"""

import argparse
import os
import shutil
import tempfile
import time

import numpy as np

import morphax
import morphax_checkpoint as mc


def make_tree(total_bytes, rng):
  """~total_bytes of float32: 60% in 6 large leaves, 25% in 100 medium, 15% in 1000 small."""
  def leaves(count, share):
    n = max(1, int(total_bytes * share) // (4 * count))
    return [rng.standard_normal(n, dtype=np.float32) for _ in range(count)]
  return {"large": leaves(6, 0.60), "medium": leaves(100, 0.25),
          "small": {f"p{i}": v for i, v in enumerate(leaves(1000, 0.15))}}


def flat(tree):
  return morphax.tree_util.tree_leaves(tree)


def fsync_dir_files(directory):
  for name in os.listdir(directory):
    fd = os.open(os.path.join(directory, name), os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def _seconds(fn):
  start = time.perf_counter()
  fn()
  return time.perf_counter() - start


def _numpy_save(arrays, directory, fsync):
  os.makedirs(directory)
  for i, a in enumerate(arrays):
    np.save(os.path.join(directory, f"{i}.npy"), a)
  if fsync:
    fsync_dir_files(directory)


def bench_saves(arrays, device_tree, root):
  """(numpy.save, numpy.save + fsync, mc.save) seconds, each to a fresh directory."""
  times = []
  for name, save in [("np", lambda d: _numpy_save(arrays, d, fsync=False)),
                     ("np_sync", lambda d: _numpy_save(arrays, d, fsync=True)),
                     ("mc", lambda d: mc.save(d, device_tree))]:
    directory = os.path.join(root, name)
    os.sync()   # no writeback of an earlier run competes
    times.append(_seconds(lambda: save(directory)))
    shutil.rmtree(directory)
  return times


def bench_loads(arrays, host_tree, np_dir, mc_dir):
  """(numpy.load, mc.restore -> numpy, mc.restore -> Arrays) seconds, from
  the page cache; each result is kept until its clock stops, then dropped."""
  def numpy_load():
    out = [np.load(os.path.join(np_dir, f"{i}.npy")) for i in range(len(arrays))]
    assert all(np.array_equal(a, b) for a, b in zip(arrays[:3], out[:3]))

  def to_host():
    out = mc.restore(mc_dir, target=host_tree)
    assert np.array_equal(flat(out)[0], flat(host_tree)[0])

  def to_arrays():
    out = mc.restore(mc_dir)
    assert np.array_equal(np.asarray(flat(out)[-1]), flat(host_tree)[-1])
  return [_seconds(fn) for fn in (numpy_load, to_host, to_arrays)]


def bench_async(host_tree, directory):
  """(D2H copy seconds, seconds an async save blocks) on fresh device arrays."""
  fresh = morphax.device_put(host_tree)               # np.asarray caches per Array:
  morphax.tree_util.tree_map(lambda x: x.block_until_ready(), fresh)
  start = time.perf_counter()                         # time the copy on one set...
  morphax.device_get(fresh)
  d2h = time.perf_counter() - start
  fresh = morphax.device_put(host_tree)               # ...and the save on another
  morphax.tree_util.tree_map(lambda x: x.block_until_ready(), fresh)
  mngr = mc.CheckpointManager(directory)
  start = time.perf_counter()
  mngr.save(1, fresh)
  blocked = time.perf_counter() - start
  start = time.perf_counter()
  mngr.wait_until_finished()
  background = time.perf_counter() - start
  mngr.close()
  shutil.rmtree(directory)
  return d2h, blocked, background


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--gb", type=float, default=1.0, help="pytree size in GB")
  parser.add_argument("--dir", default="/tmp", help="where to write (same disk for both)")
  parser.add_argument("--repeats", type=int, default=5, help="runs of each; the best counts")
  args = parser.parse_args()
  rng = np.random.default_rng(0)
  host_tree = make_tree(int(args.gb * 1e9), rng)
  arrays = flat(host_tree)
  nbytes = sum(a.nbytes for a in arrays)
  device_tree = morphax.device_put(host_tree)
  root = tempfile.mkdtemp(prefix="bench_ckpt_", dir=args.dir)
  print(f"pytree: {len(arrays)} leaves, {nbytes / 1e9:.2f} GB; directory {root}")
  try:
    best = lambda runs: [min(column) for column in zip(*runs)]
    np_save, np_save_sync, save = best(
        bench_saves(arrays, device_tree, root) for _ in range(args.repeats))
    np_dir, mc_dir = os.path.join(root, "np_files"), os.path.join(root, "mc_files")
    _numpy_save(arrays, np_dir, fsync=False)
    mc.save(mc_dir, device_tree)
    os.sync()
    np_load, load_host, load_dev = best(   # alternating, so load changes hit all three
        bench_loads(arrays, host_tree, np_dir, mc_dir) for _ in range(args.repeats))
    d2h, blocked, background = best(   # ~25 ms figures: three times the rounds
        bench_async(host_tree, os.path.join(root, "mgr")) for _ in range(3 * args.repeats))
  finally:
    shutil.rmtree(root, ignore_errors=True)
  gbs = lambda s: nbytes / 1e9 / s
  rows = [
      ("numpy.save (no fsync)", np_save, None),
      ("numpy.save + fsync", np_save_sync, None),
      ("mc.save (fsync'ed, crc32)", save, np_save / save),
      ("numpy.load", np_load, None),
      ("mc.restore -> numpy", load_host, np_load / load_host),
      ("mc.restore -> Arrays", load_dev, np_load / load_dev),
  ]
  print(f"\n{'operation':30s} {'seconds':>8s} {'GB/s':>7s} {'vs numpy':>9s}")
  for name, seconds, ratio in rows:
    rel = f"{ratio:8.2f}x" if ratio is not None else ""
    print(f"{name:30s} {seconds:8.3f} {gbs(seconds):7.2f} {rel:>9s}")
  print(f"  save vs numpy.save + fsync: {np_save_sync / save:.2f}x (target >= 0.7x)")
  print(f"\n{'async save':30s} {'seconds':>8s}")
  print(f"{'device->host copy':30s} {d2h:8.3f}")
  print(f"{'CheckpointManager.save blocks':30s} {blocked:8.3f}   "
        f"({blocked / max(d2h, 1e-9):.2f}x the copy; target < 1.10x)")
  print(f"{'background write after that':30s} {background:8.3f}")


if __name__ == "__main__":
  main()
