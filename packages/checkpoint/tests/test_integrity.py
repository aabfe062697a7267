"""Damaged checkpoints fail loudly, naming the leaf and the file."""

import json
import os

import numpy as np
import pytest

import morphax_checkpoint as mc
from morphax_checkpoint import storage

TREE = {"params": {"w": np.arange(12, dtype=np.float32).reshape(3, 4)},
        "b": np.ones(5, np.int32)}
W_CHUNK = os.path.join("d", "0", "c.0.0")


@pytest.fixture(autouse=True, params=["direct", "tensorstore"])
def reader(request, monkeypatch):
  """Every damage is detected by both readers (zarr_reader and tensorstore).
  The small test leaves get directories of their own here; damage to the
  OCDBT database of small leaves is tested at the end."""
  monkeypatch.setattr(storage, "FAST_READ", request.param == "direct")
  monkeypatch.setattr(storage, "SMALL_LEAF_BYTES", 0)


@pytest.fixture
def ckpt(tmp_path):
  path = tmp_path / "c"
  mc.save(path, TREE)
  return path


def _edit(file, change):
  with open(file, "rb") as f:
    data = f.read()
  with open(file, "wb") as f:
    f.write(change(data))


def test_flipped_byte_fails_the_checksum(ckpt):
  _edit(ckpt / W_CHUNK, lambda d: d[:5] + bytes([d[5] ^ 1]) + d[6:])
  with pytest.raises(mc.CorruptCheckpointError,
                     match=r"is corrupt: leaf \['params'\]\['w'\] read from .*d/0 does not "
                           r"match its checksum \(crc32 [0-9a-f]{8}, expected [0-9a-f]{8}\)"):
    mc.restore(ckpt)


def test_truncated_file_names_leaf_and_file(ckpt):
  _edit(ckpt / W_CHUNK, lambda d: d[:7])
  with pytest.raises(mc.CorruptCheckpointError,
                     match=r"reading leaf \['params'\]\['w'\] from .*c/d/0 failed"):
    mc.restore(ckpt)


def test_missing_chunk_fails_the_checksum(ckpt):
  os.remove(ckpt / W_CHUNK)
  with pytest.raises(mc.CorruptCheckpointError, match=r"leaf \['params'\]\['w'\] .* checksum"):
    mc.restore(ckpt)


def test_missing_array_metadata_names_leaf_and_file(ckpt):
  os.remove(ckpt / "d" / "1" / "zarr.json")
  with pytest.raises(mc.CorruptCheckpointError,
                     match=r"reading leaf \['b'\] from .*c/d/1 failed"):
    mc.restore(ckpt)


def test_array_file_that_disagrees_with_the_metadata(ckpt):
  _edit(ckpt / "d" / "1" / "zarr.json", lambda d: d.replace(b'"int32"', b'"uint32"'))
  with pytest.raises(mc.CorruptCheckpointError,
                     match=r"leaf \['b'\] .* the file holds uint32\[5\], the metadata says int32\[5\]"):
    mc.restore(ckpt)


@pytest.mark.parametrize("change, message", [
    (lambda d: d[:40], r"The metadata file .*_METADATA of checkpoint .* is unreadable \(JSONDecodeError"),
    (lambda d: d.replace(b"morphax_checkpoint", b"something_else"),
     r"unreadable \(ValueError: format is 'something_else'"),
    (lambda d: b"\xff\xfe", r"unreadable \(UnicodeDecodeError"),
])
def test_damaged_metadata(ckpt, change, message):
  _edit(ckpt / "_METADATA", change)
  with pytest.raises(mc.CorruptCheckpointError, match=message):
    mc.restore(ckpt)
  with pytest.raises(mc.CorruptCheckpointError, match=message):
    mc.metadata(ckpt)


def test_newer_format_version(ckpt):
  current = f'"version":{mc.layout.FORMAT_VERSION}'.encode()
  _edit(ckpt / "_METADATA", lambda d: d.replace(current, b'"version":99'))
  with pytest.raises(mc.CheckpointError, match=r"has format version 99, but this morphax_"
                                               rf"checkpoint reads versions up to {mc.layout.FORMAT_VERSION}"):
    mc.restore(ckpt)


def test_uncommitted_and_missing_checkpoints(ckpt, tmp_path):
  os.remove(ckpt / "_COMMIT_SUCCESS")
  with pytest.raises(mc.CorruptCheckpointError,
                     match=r"is not a committed morphax checkpoint: it has no _COMMIT_SUCCESS"):
    mc.restore(ckpt)
  with pytest.raises(FileNotFoundError, match=r"nope is not a committed .*: no such directory"):
    mc.restore(tmp_path / "nope")


def test_metadata_never_names_code_to_run(ckpt):
  meta = json.loads((ckpt / "_METADATA").read_text())
  meta["tree"]["c"][0] = {"t": "namedtuple", "name": "os.system", "k": ["w"],
                          "c": [{"t": "array", "i": 0}]}
  (ckpt / "_METADATA").write_text(json.dumps(meta))
  out = mc.restore(ckpt)   # type names are labels only: the node comes back as a dict
  assert isinstance(out["params"], dict)
  np.testing.assert_array_equal(out["params"]["w"], TREE["params"]["w"])


# --- the OCDBT database of small leaves ------------------------------------------

MARK = np.full(1000, 0x5A5A5A5A, np.uint32)   # a byte pattern to find in the data file


@pytest.fixture
def small_ckpt(tmp_path, monkeypatch):
  monkeypatch.setattr(storage, "SMALL_LEAF_BYTES", 1 << 20)
  path = tmp_path / "s"
  mc.save(path, {"mark": MARK, "other": np.arange(10.0)})
  assert sorted(os.listdir(path / "o")) == ["d", "manifest.ocdbt"]
  return path


def _data_files(path):
  return [path / "o" / "d" / name for name in os.listdir(path / "o" / "d")]


def test_small_leaves_round_trip_through_ocdbt(small_ckpt):
  out = mc.restore(small_ckpt)
  np.testing.assert_array_equal(out["mark"], MARK)
  np.testing.assert_array_equal(out["other"], np.arange(10.0))


def test_flipped_byte_in_ocdbt_data_fails_the_checksum(small_ckpt):
  [file] = [f for f in _data_files(small_ckpt) if MARK.tobytes() in f.read_bytes()]
  _edit(file, lambda d: d.replace(MARK.tobytes(), MARK.tobytes()[:7] + b"\0"
                                  + MARK.tobytes()[8:]))
  with pytest.raises(mc.CorruptCheckpointError,
                     match=r"leaf \['mark'\] read from .*o/0 does not match its checksum"):
    mc.restore(small_ckpt)


@pytest.mark.parametrize("damage", ["manifest", "truncate"])
def test_damaged_ocdbt_database_names_a_leaf_and_the_database(small_ckpt, damage):
  if damage == "manifest":
    os.remove(small_ckpt / "o" / "manifest.ocdbt")
  else:
    for file in _data_files(small_ckpt):
      _edit(file, lambda d: d[:len(d) // 3])
  with pytest.raises(mc.CorruptCheckpointError,
                     match=r"leaf \['(mark|other)'\] .*s/o/[01]"):
    mc.restore(small_ckpt)
