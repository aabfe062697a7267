"""Leaf arrays on disk: one zarr v3 tensorstore array per leaf, with crc32s.

Writes and reads of all leaves are issued together so tensorstore overlaps
them on its I/O threads; checksums are computed on the raw little-endian
bytes that the host holds.
"""

import concurrent.futures
import os
import time
import zlib

import numpy as np
import tensorstore as ts

from . import errors
from . import layout
from . import zarr_reader

_DTYPE_NAMES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
    "uint64", "bfloat16", "float16", "float32", "float64", "complex64",
    "complex128", "float8_e4m3fn", "float8_e5m2", "float8_e4m3b11fnuz",
    "float8_e4m3fnuz", "float8_e5m2fnuz", "int4",
]


def _supported_dtypes():
  table = {}
  for name in _DTYPE_NAMES:
    try:
      table[name] = ts.dtype(name)
    except (ValueError, TypeError):  # an older tensorstore without the type
      continue
  return table


SUPPORTED_DTYPES = _supported_dtypes()
CHUNK_BYTES = 64 << 20   # large leaves are split along axis 0 into ~64 MiB chunks
_LOG_EVERY_SECONDS = 2.0


_SUPPORTED_NUMPY = {np.dtype(t.numpy_dtype) for t in SUPPORTED_DTYPES.values()}


def is_supported(dtype):
  """Whether arrays of numpy `dtype` can be stored."""
  return dtype in _SUPPORTED_NUMPY


def dtype_name(dtype):
  """The on-disk name of numpy `dtype`, or None when it cannot be stored."""
  name = np.dtype(dtype).name
  return name if name in SUPPORTED_DTYPES else None


def numpy_dtype(name):
  """The numpy dtype stored under on-disk name `name`."""
  return SUPPORTED_DTYPES[name].numpy_dtype


def checksum(array):
  """crc32 of the bytes of C-contiguous host array `array`."""
  return zlib.crc32(array.reshape(-1).view(np.uint8)) if array.size else 0


# Chunk keys c.0.0 rather than c/0/0: no chunk directories, one file
# creation less per leaf (on this machine's ext4 a file or directory costs
# ~0.3 ms, more than writing 1 MB). Measured too: tensorstore skipping its
# per-file fsyncs with one syncfs of the tree at the end was slower.
SEPARATOR = "."


def new_context():
  """A tensorstore context for one save or restore (its I/O thread pool)."""
  # The cache keeps the OCDBT database's manifest and b-tree nodes between
  # the opens of its leaves (1000 small leaves: 0.14 s to read instead of 0.20 s).
  return ts.Context({"file_io_concurrency": {"limit": 16},
                     "cache_pool": {"total_bytes_limit": 64 << 20}})


def _chunk_shape(shape, itemsize):
  if not shape:
    return []
  row = itemsize * int(np.prod(shape[1:], dtype=np.int64))
  rows = max(1, CHUNK_BYTES // max(row, 1))
  return [max(1, min(shape[0], rows))] + [max(1, d) for d in shape[1:]]


# Leaves under this many bytes share one OCDBT database (written in one
# atomic transaction); larger ones get a directory each. Measured for 1000
# leaves: 1 KB each, 0.12 s to write through OCDBT against 0.53 s as
# directories (a file or directory costs ~0.3 ms on this machine's ext4);
# 150 KB each, 0.47 s against 1.04 s; reading them back took about the same
# either way (0.24 s against 0.20 s), while large leaves read ~5x faster
# from their own files (see zarr_reader).
SMALL_LEAF_BYTES = 1 << 20


def is_small(array):
  """Whether host `array` is stored in the checkpoint's OCDBT database."""
  return array.nbytes < SMALL_LEAF_BYTES


def _ocdbt(directory, record):
  """(kvstore spec of the OCDBT database holding `record`'s leaf, the leaf's
  key prefix in it)."""
  head, key = record["file"].split("/")
  return {"driver": "ocdbt", "base": {
      "driver": "file", "path": os.path.join(directory, head) + "/"}}, key + "/"


def _spec(directory, record):
  """The tensorstore spec of the array that `record` describes."""
  if record.get("ocdbt"):
    kvstore, prefix = _ocdbt(directory, record)
    kvstore = dict(kvstore, path=prefix)
  else:
    kvstore = {"driver": "file", "path": os.path.join(directory, record["file"]) + "/"}
  return {"driver": "zarr3", "kvstore": kvstore}


class Progress:
  """Reports bytes done to an optional callback and logs long transfers."""

  def __init__(self, total, callback, logger, verb):
    self.total, self.callback, self.logger, self.verb = total, callback, logger, verb
    self.done = 0
    self.start = self.last_log = time.perf_counter()

  def add(self, nbytes):
    self.done += nbytes
    if self.callback is not None:
      self.callback(self.done, self.total)
    now = time.perf_counter()
    if now - self.last_log >= _LOG_EVERY_SECONDS:
      self.last_log = now
      self.logger.info("%s: %.0f%% (%.1f of %.1f MB)", self.verb,
                       100.0 * self.done / max(self.total, 1), self.done / 1e6,
                       self.total / 1e6)


def write_leaves(directory, arrays, records, path, progress, context):
  """Writes host `arrays` as the leaves `records` describe into the
  checkpoint being built in `directory`; returns their crc32s."""
  def failed(i, e):
    what = f"leaf {records[i]['key']} ({records[i]['file']})"
    return OSError(errors.WRITE_FAILED.format(path=path, what=what, why=e))

  small = [i for i, r in enumerate(records) if r.get("ocdbt")]
  transaction = ts.Transaction(atomic=True) if small else None
  opens = []
  for array, record in zip(arrays, records):
    spec = _spec(directory, record)
    spec["metadata"] = {
        "shape": list(array.shape), "data_type": array.dtype.name,
        "chunk_grid": {"name": "regular", "configuration": {
            "chunk_shape": _chunk_shape(array.shape, array.dtype.itemsize)}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": SEPARATOR}},
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}
    opens.append(ts.open(spec, create=True, context=context,
                         transaction=transaction if record.get("ocdbt") else None))
  writes = []
  for i, (future, array) in enumerate(zip(opens, arrays)):
    try:
      store = future.result()
      writes.append(store.write(array, can_reference_source_data_indefinitely=True))
    except Exception as e:  # tensorstore reports I/O failures as ValueError
      raise failed(i, e) from e
  with concurrent.futures.ThreadPoolExecutor(2) as pool:   # overlaps the writes
    crcs = list(pool.map(checksum, arrays))
  for i, (future, array) in enumerate(zip(writes, arrays)):
    try:
      future.result()
    except Exception as e:
      raise failed(i, e) from e
    if not records[i].get("ocdbt"):
      progress.add(array.nbytes)
  if transaction is not None:
    try:
      transaction.commit_sync()
    except Exception as e:
      keys = [records[i]["key"] for i in small]
      named = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
      raise OSError(errors.WRITE_FAILED.format(
          path=path, what=f"the small leaves {named} ({layout.OCDBT_DIR}/)", why=e)) from e
    progress.add(sum(arrays[i].nbytes for i in small))
  return crcs


FAST_READ = True   # read our own zarr layout directly (see zarr_reader); tests turn it off
_BATCH_BYTES = 4 << 20   # leaves go to the reader threads in batches of about this
_READ_THREADS = 4        # tensorstore's tasks mostly wait; zarr_reader's use the cores
_TS_TASKS = 2            # tensorstore reads split in this many tasks (their crc32s in parallel)


def _nbytes(record):
  return int(np.prod(record["shape"], dtype=np.int64)) * numpy_dtype(record["dtype"]).itemsize


def _batches(records, indices):
  """Groups of `indices` of about _BATCH_BYTES each (a large leaf alone)."""
  batches, current, size = [], [], 0
  for i in indices:
    current.append(i)
    size += _nbytes(records[i])
    if size >= _BATCH_BYTES or len(current) >= 256:
      batches.append(current)
      current, size = [], 0
  return batches + [current] if current else batches


def _waited(reads, records, failed):
  """(index, result) for each (index, future) of `reads`, in order; a failed
  read raises `failed` naming its leaf."""
  for i, future in reads:
    try:
      result = future.result()
    except Exception as e:
      raise failed(records[i], e) from e
    yield i, result


def _read_ocdbt_values(directory, records, batch, failed, context):
  """(value, crc32) per OCDBT leaf of `batch`, read as the raw value of its
  single chunk (no zarr array is opened: ~3x less CPU than tensorstore's
  array reads), or None where the chunk is not there in our layout (an
  all-zero chunk tensorstore left out, a foreign layout): those go through
  tensorstore's zarr driver."""
  def chunk_key(record):   # a single chunk: c.0.0 for a 2-d leaf, c for a scalar
    return _ocdbt(directory, record)[1] + "c" + "".join(SEPARATOR + "0" for _ in record["shape"])

  try:
    kvstore = ts.KvStore.open(_ocdbt(directory, records[batch[0]])[0],
                              context=context).result()
    reads = [(i, kvstore.read(chunk_key(records[i]))) for i in batch]
  except Exception as e:
    raise failed(records[batch[0]], e) from e
  out = []
  for i, result in _waited(reads, records, failed):
    value = zarr_reader.aligned_empty(tuple(records[i]["shape"]),
                                      numpy_dtype(records[i]["dtype"]))
    data = result.value if result.state == "value" else b""
    if not data or len(data) != value.nbytes:
      out.append(None)
      continue
    value.reshape(-1).view(np.uint8)[:] = np.frombuffer(data, np.uint8)
    out.append((value, zlib.crc32(data)))
  return out


def _read_pool(directory, records, direct, through_ts, failed, accept, context,
               raw_ocdbt=True):
  """Reads leaves on a few threads, calling `accept(i, (value, crc32))` on
  this thread as they finish; returns the indices it could not read (a
  layout other than ours: tensorstore's zarr driver reads those).

  `direct` leaves are read by zarr_reader (reads and crc32 release the
  GIL), largest first; `through_ts` leaves by tensorstore in batches whose
  reads it overlaps on its own threads (OCDBT leaves, with `raw_ocdbt`, as
  raw chunk values). Both run at once.
  """
  def one(record):
    try:
      return zarr_reader.read(os.path.join(directory, record["file"]),
                              tuple(record["shape"]), numpy_dtype(record["dtype"]))
    except (OSError, ValueError) as e:
      raise failed(record, e) from e

  def ts_batch(batch):
    if raw_ocdbt and all(records[i].get("ocdbt") for i in batch):
      return _read_ocdbt_values(directory, records, batch, failed, context)
    reads = _start_tensorstore(directory, records, batch, failed, context)
    return [(value, checksum(value)) for _, value in _waited(reads, records, failed)]

  parts = [through_ts[k::_TS_TASKS] for k in range(_TS_TASKS)]
  tasks = [(ts_batch, sorted(b)) for b in parts if b]
  tasks += [(lambda batch: [one(records[i]) for i in batch], b) for b in
            sorted(_batches(records, direct), key=lambda b: -_nbytes(records[b[0]]))]
  rest = []
  with concurrent.futures.ThreadPoolExecutor(min(_READ_THREADS, len(tasks) or 1)) as pool:
    futures = {pool.submit(read, batch): batch for read, batch in tasks}
    try:
      for future in concurrent.futures.as_completed(futures):
        for i, result in zip(futures[future], future.result()):
          if result is None:
            rest.append(i)
          else:
            accept(i, result)
    except BaseException:
      for future in futures:
        future.cancel()
      raise
  return sorted(rest)


def _start_tensorstore(directory, records, indices, failed, context):
  """Starts tensorstore reads of leaves `indices`; returns (index, future) pairs."""
  opens = [(i, ts.open(_spec(directory, records[i]), open=True, context=context))
           for i in indices]
  reads = []
  for i, future in opens:
    record = records[i]
    try:
      store = future.result()
      want = (list(record["shape"]), record["dtype"])
      got = (list(store.shape), store.dtype.name)
      if got != want:
        raise ValueError(f"the file holds {got[1]}{got[0]}, the metadata says "
                         f"{want[1]}{want[0]}")
      reads.append((i, store.read()))
    except Exception as e:
      raise failed(record, e) from e
  return reads


def read_leaves(directory, records, path, progress, context, finish=None):
  """Reads the leaves described by metadata `records`, verifying checksums.

  `finish(i, value)`, if given, turns each verified leaf into its result as
  soon as it is read (e.g. a device transfer that overlaps later reads).
  """
  def failed(record, e):
    return errors.CorruptCheckpointError(errors.LEAF_READ_FAILED.format(
        path=path, key=record["key"],
        file=os.path.join(directory, record["file"]), why=e))

  out = [None] * len(records)

  def accept(i, result):
    value, crc = result
    record = records[i]
    if crc != record["crc32"]:
      raise errors.CorruptCheckpointError(errors.CHECKSUM_MISMATCH.format(
          path=path, key=record["key"], file=os.path.join(directory, record["file"]),
          got=crc, want=record["crc32"]))
    progress.add(value.nbytes)
    out[i] = value if finish is None else finish(i, value)

  through_ts = [i for i, r in enumerate(records) if r.get("ocdbt") or not FAST_READ]
  direct = sorted(set(range(len(records))) - set(through_ts))
  rest = _read_pool(directory, records, direct, through_ts, failed, accept, context,
                    raw_ocdbt=FAST_READ)
  if rest:
    _read_pool(directory, records, [], rest, failed, accept, context, raw_ocdbt=False)
  return out
