"""CheckpointManager: numbered checkpoints in one directory, saved in the background.

Each step is a checkpoint directory `<directory>/<step>` written by
`save.write_snapshot`. The manager holds a lock file on the directory,
cleans interrupted saves when it starts, and applies the retention options
(max_to_keep, keep_period, best_fn) after every save.
"""

import concurrent.futures
import dataclasses
import errno
import fcntl
import os
import shutil
import socket
import threading
from typing import Any, Callable, Optional

import numpy as np

from . import errors
from . import layout
from . import restore as restore_lib
from . import save as save_lib


class AsyncSaveError(errors.CheckpointError):
  """A background save failed; raised by the manager's next call."""


class StepAlreadyExistsError(errors.CheckpointError, FileExistsError):
  """`save(step, ..., force=True)` for a step that is already saved."""


@dataclasses.dataclass
class CheckpointManagerOptions:
  """What a CheckpointManager saves and keeps (Orbax's names and defaults).

  Attributes:
    save_interval_steps: `save(step, ...)` writes only when step is a multiple.
    max_to_keep: how many checkpoints to keep (None: all); with `best_fn`, the
      best ones by metric are kept.
    keep_period: steps that are multiples of it are never deleted.
    best_fn: `metrics -> float` ranking checkpoints saved with metrics.
    best_mode: 'max' or 'min': which end of `best_fn` is best.
    keep_checkpoints_without_metrics: with `best_fn`, never delete checkpoints
      that were saved without metrics.
    create: create the directory if missing.
    enable_async_checkpointing: write in a background thread (save returns
      once the arrays are copied to host memory).
  """
  save_interval_steps: int = 1
  max_to_keep: Optional[int] = None
  keep_period: Optional[int] = None
  best_fn: Optional[Callable[[Any], float]] = None
  best_mode: str = "max"
  keep_checkpoints_without_metrics: bool = True
  create: bool = True
  enable_async_checkpointing: bool = True

  def __post_init__(self):
    if self.best_mode not in ("max", "min"):
      raise ValueError(errors.BAD_BEST_MODE.format(mode=self.best_mode))


def _plain(x):
  """Metrics as JSON values (Arrays and numpy scalars become Python numbers)."""
  if isinstance(x, dict):
    return {str(k): _plain(v) for k, v in x.items()}
  if isinstance(x, (list, tuple)):
    return [_plain(v) for v in x]
  if x is None or isinstance(x, (bool, int, float, str)):
    return x
  return np.asarray(x).item()


class _DirectoryLock:
  """An exclusive flock on `<directory>/.morphax_checkpoint.lock` (freed on exit)."""

  def __init__(self, directory):
    self.file = None
    path = os.path.join(directory, layout.LOCK_FILE)
    try:
      f = open(path, "a+")
    except OSError as e:
      if e.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        self.read_only_reason = e.strerror
        return
      raise
    try:
      fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      f.seek(0)
      holder = f.read().strip() or "an unknown process"
      f.close()
      raise errors.CheckpointLockedError(
          errors.LOCKED.format(directory=directory, holder=holder)) from None
    f.seek(0)
    f.truncate()
    f.write(f"pid {os.getpid()} on {socket.gethostname()}")
    f.flush()
    self.file = f
    self.read_only_reason = None

  def release(self):
    if self.file is not None:
      fcntl.flock(self.file.fileno(), fcntl.LOCK_UN)
      self.file.close()
      self.file = None


class CheckpointManager:
  """Saves and restores numbered checkpoints of a training state in one directory.

  Example:
    >>> mngr = CheckpointManager("/tmp/run", CheckpointManagerOptions(max_to_keep=3))
    >>> for step in range(100):
    ...   state = train_step(state)
    ...   mngr.save(step, state, metrics={"loss": float(loss)})
    >>> mngr.wait_until_finished()
    >>> state = mngr.restore(mngr.latest_step(), target=state)
  """

  def __init__(self, directory, options=None):
    self.directory = os.path.abspath(os.fspath(directory))
    self.options = options if options is not None else CheckpointManagerOptions()
    if self.options.create and not os.path.isdir(self.directory):
      os.makedirs(self.directory, exist_ok=True)
    self._lock = _DirectoryLock(self.directory)
    self._read_only = self._lock.read_only_reason
    if self._read_only is None and not os.access(self.directory, os.W_OK):
      self._read_only = "no write permission"   # the lock file itself was writable
    if self._read_only is None:
      layout.clean_partial(self.directory, all_pids=True)
    self._state = threading.Lock()
    self._metrics = {}
    for name in os.listdir(self.directory):
      full = os.path.join(self.directory, name)
      if not name.isdigit() or not os.path.isdir(full):
        continue
      if layout.is_committed(full):
        self._metrics[int(name)] = self._read_metrics(full)
      elif self._read_only is None:   # never committed: the lock says no one writes it
        shutil.rmtree(full, ignore_errors=True)
    self._executor = concurrent.futures.ThreadPoolExecutor(
        1, thread_name_prefix="morphax_checkpoint")
    self._pending = None
    self._closed = False

  @staticmethod
  def _read_metrics(path):
    try:
      return restore_lib.checkpoint_info(path)["metrics"]
    except errors.CheckpointError:
      return None

  # --- queries ---------------------------------------------------------------
  def all_steps(self):
    """The steps of the committed checkpoints, ascending."""
    with self._state:
      return sorted(self._metrics)

  def latest_step(self):
    """The newest committed step, or None."""
    steps = self.all_steps()
    return steps[-1] if steps else None

  def best_step(self):
    """The step whose metrics `best_fn` ranks best (None without best_fn or metrics)."""
    ranked = self._ranked()
    return ranked[0] if ranked else None

  def _ranked(self):
    if self.options.best_fn is None:
      return []
    with self._state:
      scored = [(self.options.best_fn(m), s) for s, m in self._metrics.items()
                if m is not None]
    scored.sort(key=lambda p: (p[0], p[1]), reverse=self.options.best_mode == "max")
    return [s for _, s in scored]

  def should_save(self, step):
    """Whether `save(step, ...)` would write (interval and newer than the latest)."""
    latest = self.latest_step()
    if latest is not None and step <= latest:
      return False
    return step % self.options.save_interval_steps == 0

  def step_path(self, step):
    """The checkpoint directory of `step`."""
    return os.path.join(self.directory, str(step))

  # --- saving ----------------------------------------------------------------
  def _check_open(self):
    if self._closed:
      raise RuntimeError(errors.CLOSED)

  def save(self, step, tree, metrics=None, force=False):
    """Saves `tree` as `step`; returns whether it saved.

    Returns after the leaves are copied to host memory; the write goes on in
    a background thread (see `wait_until_finished`). An error of a
    background write is raised by the next call.

    Args:
      step: the int step number.
      tree: the pytree to save (see `morphax_checkpoint.save`).
      metrics: optional JSON-like dict, stored with the step, for `best_fn`.
      force: save even if `should_save(step)` is False (a step that exists
        raises StepAlreadyExistsError, as in Orbax).
    """
    self._check_open()
    self.wait_until_finished()
    if self._read_only is not None:
      raise PermissionError(errors.READ_ONLY.format(
          step=step, directory=self.directory, why=self._read_only))
    if force and step in self.all_steps():
      raise StepAlreadyExistsError(errors.STEP_EXISTS.format(
          step=step, directory=self.directory))
    if not force and not self.should_save(step):
      return False
    snap = save_lib.snapshot(tree)
    metrics = _plain(metrics) if metrics is not None else None
    if self.options.enable_async_checkpointing:
      self._pending = (step, self._executor.submit(self._write, step, snap, metrics))
    else:
      self._write(step, snap, metrics)
    return True

  def _write(self, step, snap, metrics):
    save_lib.write_snapshot(snap, self.step_path(step), step=step, metrics=metrics)
    with self._state:
      self._metrics[step] = metrics
    self._apply_retention()

  def _apply_retention(self):
    keep_max = self.options.max_to_keep
    if keep_max is None:
      return
    steps = self.all_steps()
    if self.options.best_fn is None:
      candidates = steps[:-keep_max] if keep_max else steps
    else:
      ranked = self._ranked()
      candidates = ranked[keep_max:]
      if not self.options.keep_checkpoints_without_metrics:
        unscored = [s for s in steps if s not in ranked]
        candidates += unscored[:max(0, len(unscored) - keep_max)]
    period = self.options.keep_period
    for step in candidates:
      if period and step % period == 0:
        continue
      self._delete(step)

  def _delete(self, step):
    path = self.step_path(step)
    doomed = layout.temp_path(path)
    os.rename(path, doomed)   # the step disappears atomically, then its files go
    with self._state:
      self._metrics.pop(step, None)
    shutil.rmtree(doomed, ignore_errors=True)

  def wait_until_finished(self):
    """Blocks until the background save is written; raises its error if it failed."""
    pending, self._pending = self._pending, None
    if pending is None:
      return
    step, future = pending
    try:
      future.result()
    except Exception as e:
      raise AsyncSaveError(errors.BACKGROUND_SAVE_FAILED.format(step=step, why=e)) from e

  # --- restoring -------------------------------------------------------------
  def restore(self, step=None, target=None, *, cast=False):
    """Restores `step` (the latest when None); see `morphax_checkpoint.restore`."""
    self._check_open()
    self.wait_until_finished()
    steps = self.all_steps()
    if step is None:
      if not steps:
        raise FileNotFoundError(errors.NO_CHECKPOINTS.format(directory=self.directory))
      step = steps[-1]
    elif step not in steps:
      raise FileNotFoundError(errors.NO_SUCH_STEP.format(
          step=step, directory=self.directory, steps=steps))
    return restore_lib.restore(self.step_path(step), target, cast=cast)

  def metrics(self, step):
    """The metrics saved with `step` (None if none)."""
    with self._state:
      return self._metrics.get(step)

  def item_metadata(self, step):
    """The tree of shapes and dtypes of `step` (no array data read)."""
    return restore_lib.metadata(self.step_path(step))

  # --- lifetime ---------------------------------------------------------------
  def close(self):
    """Finishes the pending save, then releases the directory lock."""
    if self._closed:
      return
    try:
      self.wait_until_finished()
    finally:
      self._closed = True
      self._executor.shutdown(wait=True)
      self._lock.release()

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    self.close()
