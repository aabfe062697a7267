"""The on-disk layout of a checkpoint and the atomic directory operations.

A checkpoint is a directory: `_METADATA` (JSON), `d/<i>/` (one zarr v3 array
per leaf) and `_COMMIT_SUCCESS`. It is built under a temporary name beside
its final path and renamed into place only when complete.
"""

import json
import os
import re
import shutil
import uuid

from . import errors

FORMAT_NAME = "morphax_checkpoint"
FORMAT_VERSION = 2   # 2: small leaves in one OCDBT database (1 is read too)
METADATA_FILE = "_METADATA"
COMMIT_FILE = "_COMMIT_SUCCESS"
DATA_DIR = "d"
OCDBT_DIR = "o"
LOCK_FILE = ".morphax_checkpoint.lock"

_TMP_TAG = ".morphax-tmp-"
_OLD_TAG = ".morphax-old-"
_PARTIAL = re.compile(r"^\.(?P<name>.+)(?P<tag>\.morphax-(?:tmp|old)-)(?P<pid>\d+)-[0-9a-f]+$")


def leaf_dir(index, small=False):
  """Where leaf number `index` lives, relative to the checkpoint: its own
  directory, or (a `small` leaf) key `index/` of the OCDBT database."""
  return f"{OCDBT_DIR if small else DATA_DIR}/{index}"


def temp_path(path, tag=_TMP_TAG):
  """A fresh hidden sibling of `path` that names this process."""
  parent, name = os.path.split(os.path.abspath(path))
  return os.path.join(parent, f".{name}{tag}{os.getpid()}-{uuid.uuid4().hex[:12]}")


def is_committed(path):
  """Whether `path` is a complete checkpoint (its commit marker exists)."""
  return os.path.isfile(os.path.join(path, COMMIT_FILE))


def fsync_path(path):
  """fsync a file or directory by path (directories make renames durable)."""
  fd = os.open(path, os.O_RDONLY)
  try:
    os.fsync(fd)
  finally:
    os.close(fd)


def write_file_durably(path, data):
  """Writes bytes `data` to `path` and fsyncs it."""
  with open(path, "wb") as f:
    f.write(data)
    f.flush()
    os.fsync(f.fileno())


def write_metadata(directory, metadata):
  """Writes the JSON metadata file of a checkpoint under construction."""
  text = json.dumps(metadata, separators=(",", ":"), allow_nan=True)
  write_file_durably(os.path.join(directory, METADATA_FILE), text.encode())


def read_metadata(path):
  """Reads and checks the metadata of the committed checkpoint at `path`."""
  if not os.path.isdir(path):
    raise FileNotFoundError(errors.NOT_A_CHECKPOINT.format(
        path=path, why="no such directory", commit=COMMIT_FILE))
  if not is_committed(path):
    raise errors.CorruptCheckpointError(errors.NOT_A_CHECKPOINT.format(
        path=path, why=f"it has no {COMMIT_FILE} file", commit=COMMIT_FILE))
  file = os.path.join(path, METADATA_FILE)
  try:
    with open(file, "rb") as f:
      metadata = json.loads(f.read().decode())
    if metadata.get("format") != FORMAT_NAME:
      raise ValueError(f"format is {metadata.get('format')!r}, not {FORMAT_NAME!r}")
    version = metadata["version"]
    metadata["tree"], metadata["leaves"]  # noqa: B018 (presence check)
  except (OSError, ValueError, KeyError, AttributeError, TypeError) as e:
    raise errors.CorruptCheckpointError(errors.BAD_METADATA.format(
        file=file, path=path, why=f"{type(e).__name__}: {e}")) from e
  if version > FORMAT_VERSION:
    raise errors.CheckpointError(errors.NEWER_FORMAT.format(
        path=path, version=version, supported=FORMAT_VERSION))
  return metadata


def commit(tmp, path, force):
  """Marks the finished checkpoint at `tmp` complete and renames it to `path`.

  With `force`, an existing `path` is first renamed aside and deleted only
  after the new checkpoint is in place, so some complete checkpoint always
  exists under `path` or beside it (see `clean_partial`).
  """
  write_file_durably(os.path.join(tmp, COMMIT_FILE), b"")
  fsync_path(tmp)
  parent = os.path.dirname(os.path.abspath(path))
  old = None
  if os.path.exists(path):
    if not force:
      raise FileExistsError(errors.ALREADY_EXISTS.format(path=path))
    old = temp_path(path, _OLD_TAG)
    os.rename(path, old)
  os.rename(tmp, path)
  fsync_path(parent)
  if old is not None:
    shutil.rmtree(old, ignore_errors=True)


def _pid_alive(pid):
  if pid == os.getpid():
    return True
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    return True
  return True


def clean_partial(directory, all_pids=False):
  """Removes interrupted saves in `directory`; returns the names removed.

  A temporary checkpoint whose writer is gone (or any, with `all_pids`, when
  the caller holds the directory's lock) is deleted. A replaced checkpoint
  set aside by `commit` is put back if the crash came before its successor
  was renamed into place.
  """
  removed = []
  try:
    names = os.listdir(directory)
  except FileNotFoundError:
    return removed
  for name in sorted(names):
    match = _PARTIAL.match(name)
    if not match:
      continue
    if not all_pids and _pid_alive(int(match["pid"])):
      continue
    full = os.path.join(directory, name)
    final = os.path.join(directory, match["name"])
    if (match["tag"] == _OLD_TAG and not os.path.exists(final)
        and is_committed(full)):
      os.rename(full, final)
      continue
    shutil.rmtree(full, ignore_errors=True)
    removed.append(name)
  return removed

