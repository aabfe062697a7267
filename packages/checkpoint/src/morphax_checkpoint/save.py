"""save(): a pytree to a checkpoint directory, atomically.

Saving is two phases: `snapshot` copies every leaf to host memory (the only
part that must block the caller) and `write_snapshot` writes the host copy
to a temporary directory that `layout.commit` renames into place.
"""

import logging
import os
import shutil
import time

import numpy as np

import morphax

from . import devices
from . import errors
from . import layout
from . import storage
from . import structure

logger = logging.getLogger("morphax_checkpoint")


class Snapshot:
  """A host copy of a pytree: its JSON tree, host arrays and (built on first
  use, by the background writer of an async save) the leaf records."""
  __slots__ = ("tree", "leaves", "arrays", "_records")

  def __init__(self, tree, leaves, arrays):
    self.tree, self.leaves, self.arrays = tree, leaves, arrays
    self._records = None

  @property
  def nbytes(self):
    return sum(a.nbytes for a in self.arrays)

  @property
  def records(self):
    """One metadata record per leaf (key path, file, shape, dtype, kind, devices)."""
    if self._records is None:
      self._records = []
      for i, ((key, kind, count), host) in enumerate(zip(self.leaves, self.arrays)):
        small = storage.is_small(host)
        record = {"key": structure.keystr(key), "file": layout.leaf_dir(i, small),
                  "shape": list(host.shape), "dtype": storage.dtype_name(host.dtype),
                  "kind": kind}
        if small:
          record["ocdbt"] = True
        record.update(devices.shard_record(count, host))
        self._records.append(record)
    return self._records


def _leaf_kind(x):
  if isinstance(x, morphax.Array):
    return "array"
  return "numpy_scalar" if isinstance(x, np.generic) else "numpy"


def _to_host(x):
  if isinstance(x, morphax.Array):
    return np.asarray(x, order="C")   # Arrays are immutable: no copy needed
  return np.array(x, copy=True, order="C")       # numpy leaves may change after save


def snapshot(tree):
  """Copies the leaves of `tree` to host memory (device->host).

  This is all an async save makes its caller wait for: per leaf, the host
  copy plus a dtype check and its kind; the records are built later.
  """
  leaves = []
  node = structure.encode(tree, leaves)
  placed = [x.devices() if isinstance(x, morphax.Array) else () for _, x in leaves]
  for (_, x), devs in zip(leaves, placed):
    # Start every transfer before waiting for any. NB: not on CPU, where the
    # copy is a memcpy anyway and jaxlib's copy_to_host_async costs ~0.3 ms a
    # call (it tries to `import jax` each time).
    if any(d.platform != "cpu" for d in devs):
      x.copy_to_host_async()
  described, arrays = [], []
  for (key, x), devs in zip(leaves, placed):
    if not storage.is_supported(x.dtype):
      raise TypeError(errors.UNSUPPORTED_DTYPE.format(
          key=structure.keystr(key), dtype=x.dtype,
          supported=", ".join(storage.SUPPORTED_DTYPES)))
    described.append((key, _leaf_kind(x), max(1, len(devs))))
    arrays.append(_to_host(x))
  return Snapshot(node, described, arrays)


def write_snapshot(snap, path, *, force=False, step=None, metrics=None,
                   user_metadata=None, progress=None):
  """Writes `snap` to `path` atomically (temp dir, checksums, commit, rename)."""
  path = os.path.abspath(path)
  if os.path.exists(path) and not force:
    raise FileExistsError(errors.ALREADY_EXISTS.format(path=path))
  tmp = layout.temp_path(path)
  start = time.perf_counter()
  tracker = storage.Progress(snap.nbytes, progress, logger, f"saving {path}")
  try:
    try:
      try:
        os.makedirs(tmp)
      except OSError as e:
        raise OSError(errors.WRITE_FAILED.format(
            path=path, what=f"the temporary directory {tmp}", why=e)) from e
      crcs = storage.write_leaves(tmp, snap.arrays, snap.records, path, tracker,
                                  storage.new_context())
      records = [dict(r, crc32=c) for r, c in zip(snap.records, crcs)]
      layout.write_metadata(tmp, {
          "format": layout.FORMAT_NAME, "version": layout.FORMAT_VERSION,
          "step": step, "metrics": metrics, "user_metadata": user_metadata,
          "tree": snap.tree, "leaves": records})
      layout.commit(tmp, path, force)
    except OSError as e:
      if errors.WRITE_FAILED.split("{")[0] in str(e) or isinstance(e, FileExistsError):
        raise
      raise OSError(errors.WRITE_FAILED.format(
          path=path, what="the metadata", why=e)) from e
  except BaseException:
    shutil.rmtree(tmp, ignore_errors=True)
    raise
  seconds = time.perf_counter() - start
  logger.info("saved %s: %.1f MB in %.2f s", path, snap.nbytes / 1e6, seconds)
  return path


def save(path, tree, *, force=False, progress=None, metadata=None):
  """Saves pytree `tree` to directory `path` as one atomic checkpoint.

  Args:
    path: the checkpoint directory to create (its parent must exist).
    tree: a pytree of morphax Arrays, numpy arrays and scalars, Python
      scalars, strings and None (dicts, lists, tuples, named tuples and
      registered pytree nodes).
    force: replace an existing checkpoint at `path` (the old one is deleted
      only after the new one is complete).
    progress: optional `callback(bytes_written, bytes_total)`.
    metadata: optional JSON-serializable user metadata, kept in `_METADATA`.

  Returns:
    The absolute path written.

  Example:
    >>> save("/tmp/ckpt", {"w": jnp.ones(3), "step": 10})
  """
  layout.clean_partial(os.path.dirname(os.path.abspath(path)))
  if os.path.exists(path) and not force:
    raise FileExistsError(errors.ALREADY_EXISTS.format(path=os.path.abspath(path)))
  return write_snapshot(snapshot(tree), path, force=force, progress=progress,
                        user_metadata=metadata)
