"""save/restore/metadata round trips: dtypes bit-exact, tree kinds, targets."""

import collections
import os
import shutil
import zlib

import ml_dtypes
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
import morphax_checkpoint as mc
from conftest import bits, random_bits

Pair = collections.namedtuple("Pair", ["a", "b"])

# (dtype, as a morphax Array too) : 64-bit types only as numpy leaves (x64 is off)
DTYPES = [
    ("bool", True), ("int8", True), ("int16", True), ("int32", True),
    ("uint8", True), ("uint16", True), ("uint32", True), ("bfloat16", True),
    ("float16", True), ("float32", True), ("complex64", True),
    ("int64", False), ("uint64", False), ("float64", False), ("complex128", False),
    ("float8_e4m3fn", False), ("float8_e5m2", False), ("int4", False),
]


def _dtype(name):
  return np.dtype(getattr(ml_dtypes, name, name))


@pytest.mark.parametrize("fast_read", [True, False])
def test_every_dtype_round_trips_bit_exactly(tmp_path, rng, monkeypatch, fast_read):
  monkeypatch.setattr(mc.storage, "FAST_READ", fast_read)
  tree = {}
  for name, as_array in DTYPES:
    dtype = _dtype(name)
    value = (random_bits(rng, (3, 5), dtype) if name != "int4"
             else rng.integers(-8, 8, (3, 5)).astype(dtype))
    tree[f"np_{name}"] = value
    if as_array:
      tree[f"mx_{name}"] = morphax.device_put(value)
  tree["scalar_f32"] = morphax.device_put(np.float32(-0.0))
  tree["empty"] = np.zeros((0, 4), np.float32)
  mc.save(tmp_path / "c", tree)
  out = mc.restore(tmp_path / "c")
  assert list(out) == list(tree)
  for key, value in tree.items():
    assert type(out[key]) is type(value), key
    assert bits(out[key]) == bits(value), key


def test_structure_round_trip_from_metadata_alone(tmp_path):
  tree = {"params": {"w": jnp.arange(6.0).reshape(2, 3), 1: np.int32(7)},
          "seq": [1, 2.5, True, None, "text", 3 - 2j, (np.ones(2), ())],
          "pair": Pair(a=jnp.zeros(()), b="b"), "empty": {}, "none": None}
  mc.save(tmp_path / "c", tree)
  out = mc.restore(tmp_path / "c")
  assert out["seq"][:6] == [1, 2.5, True, None, "text", 3 - 2j]
  assert [type(v) for v in out["seq"][:3]] == [int, float, bool]
  assert isinstance(out["seq"][6], tuple) and out["seq"][6][1] == ()
  np.testing.assert_array_equal(out["seq"][6][0], np.ones(2))
  assert out["pair"]["b"] == "b" and out["pair"]["a"].shape == ()   # named tuple -> dict
  assert out["params"][1] == np.int32(7) and isinstance(out["params"][1], np.int32)
  np.testing.assert_array_equal(out["params"]["w"], np.arange(6.0).reshape(2, 3))
  assert isinstance(out["params"]["w"], morphax.Array)
  assert out["empty"] == {} and out["none"] is None


def test_metadata_gives_shapes_and_dtypes_without_reading_data(tmp_path):
  mc.save(tmp_path / "c", {"w": jnp.ones((2, 3), jnp.bfloat16), "n": 3, "s": [np.zeros(4, np.int8)]})
  shutil.rmtree(tmp_path / "c" / "o")   # no array data is needed
  meta = mc.metadata(tmp_path / "c")
  assert meta == {"w": morphax.ShapeDtypeStruct((2, 3), jnp.bfloat16), "n": 3,
                  "s": [morphax.ShapeDtypeStruct((4,), np.int8)]}


def test_restore_with_target_follows_its_structure_and_types(tmp_path):
  saved = {"w": jnp.arange(4.0), "b": np.arange(3, dtype=np.int16),
           "opt": Pair(a=jnp.ones(2), b=np.float32(3)), "step": 10}
  mc.save(tmp_path / "c", saved)
  target = {"w": morphax.ShapeDtypeStruct((4,), np.float32), "b": np.zeros(3, np.int16),
            "opt": Pair(a=jnp.zeros(2), b=np.float32(0)), "step": 0}
  out = mc.restore(tmp_path / "c", target)
  assert isinstance(out["opt"], Pair) and isinstance(out["w"], morphax.Array)
  assert isinstance(out["b"], np.ndarray) and out["step"] == 10
  np.testing.assert_array_equal(out["w"], np.arange(4.0))
  np.testing.assert_array_equal(out["b"], np.arange(3))
  assert out["opt"].b == np.float32(3) and isinstance(out["opt"].b, np.float32)


def test_partial_restore_of_a_sub_tree_reads_only_its_leaves(tmp_path):
  mc.save(tmp_path / "c", {"params": {"w": np.arange(3.0), "b": np.ones(2)},
                           "opt": {"mu": np.full(5, 2.0)}})
  for root, _, files in os.walk(tmp_path / "c" / "d" / "2"):   # 'opt' data gone
    for f in files:
      os.remove(os.path.join(root, f))
  out = mc.restore(tmp_path / "c", {"params": {"w": np.zeros(3)}})
  assert list(out) == ["params"] and list(out["params"]) == ["w"]
  np.testing.assert_array_equal(out["params"]["w"], np.arange(3.0))
  out = mc.restore(tmp_path / "c", {"params": None, "opt": None})
  assert out == {"params": None, "opt": None}


def test_cast_on_request(tmp_path):
  mc.save(tmp_path / "c", {"w": np.array([1.5, -2.25, 3.0], np.float32)})
  out = mc.restore(tmp_path / "c", {"w": morphax.ShapeDtypeStruct((3,), jnp.bfloat16)},
                   cast=True)
  assert out["w"].dtype == jnp.bfloat16
  np.testing.assert_array_equal(np.asarray(out["w"], np.float32), [1.5, -2.25, 3.0])
  with pytest.raises(mc.TargetMismatchError,
                     match=r"dtype differs .* at \['w'\]: the checkpoint has float32, "
                           r"the target has bfloat16. Pass cast=True"):
    mc.restore(tmp_path / "c", {"w": morphax.ShapeDtypeStruct((3,), jnp.bfloat16)})


def test_restore_onto_the_targets_device(tmp_path):
  device = morphax.devices()[0]
  mc.save(tmp_path / "c", {"w": np.arange(3.0, dtype=np.float32)})
  out = mc.restore(tmp_path / "c", {"w": morphax.device_put(jnp.zeros(3), device)})
  assert out["w"].committed and out["w"].devices() == {device}
  out = mc.restore(tmp_path / "c", {"w": jnp.zeros(3)})
  assert not out["w"].committed


@pytest.mark.parametrize("target, message", [
    ({"w": np.zeros(4, np.float32)},
     r"shape differs from checkpoint .* at \['w'\]: the checkpoint has \(3,\), the target has \(4,\)"),
    ({"x": np.zeros(3)},
     r"the target has \['x'\], which checkpoint .* does not have. The checkpoint has at "
     r"that level: \['w', 'l'\]"),
    ({"l": [np.zeros(2)]},
     r"structure differs from checkpoint .* at \['l'\]: the checkpoint has a list of "
     r"length 2, the target has a list of length 1"),
    ({"l": [1, {"a": 1}]},
     r"at \['l'\]\[1\]: the checkpoint has an array, the target has a dict"),
    ([np.zeros(3)], r"at <root>: the checkpoint has a dict with keys \['w', 'l'\], "
                    r"the target has a list of length 1"),
    ({"w": object()}, r"the target leaf at \['w'\] has type object"),
    ({"l": [np.zeros(()), np.zeros(2)]},
     r"at \['l'\]\[0\]: the checkpoint has a scalar, the target has an array"),
])
def test_target_mismatch_names_the_first_key_path(tmp_path, target, message):
  mc.save(tmp_path / "c", {"w": np.zeros(3, np.float32), "l": [1, np.ones(2)]})
  with pytest.raises(mc.TargetMismatchError, match=message):
    mc.restore(tmp_path / "c", target)


def test_save_refuses_to_overwrite_unless_forced(tmp_path):
  mc.save(tmp_path / "c", {"a": np.ones(2)})
  with pytest.raises(FileExistsError, match=r"c already exists. Pass force=True"):
    mc.save(tmp_path / "c", {"a": np.zeros(2)})
  mc.save(tmp_path / "c", {"a": np.full(2, 5.0)}, force=True)
  np.testing.assert_array_equal(mc.restore(tmp_path / "c")["a"], [5.0, 5.0])
  assert sorted(os.listdir(tmp_path)) == ["c"]   # the replaced one is gone


@pytest.mark.parametrize("tree, message", [
    ({"f": lambda: 0}, r"the leaf at \['f'\] has type function, which cannot be saved"),
    ({(1, 2): np.ones(1)}, r"the dict at <root> has the key \(1, 2\) of type tuple"),
    ({"o": np.array([object()])}, r"the leaf at \['o'\] has dtype object"),
])
def test_unsaveable_trees_name_the_leaf(tmp_path, tree, message):
  with pytest.raises(TypeError, match=message):
    mc.save(tmp_path / "c", tree)
  assert os.listdir(tmp_path) == []


def test_numpy_leaves_are_copied_at_save_time(tmp_path):
  value = np.arange(4.0)
  mc.save(tmp_path / "c", {"v": value})
  value[:] = -1
  np.testing.assert_array_equal(mc.restore(tmp_path / "c")["v"], np.arange(4.0))


def test_progress_callback_and_user_metadata(tmp_path, monkeypatch):
  monkeypatch.setattr(mc.storage, "SMALL_LEAF_BYTES", 1000)   # "a" large, "b" small
  seen = []
  tree = {"a": np.ones(1000, np.float32), "b": np.ones(10, np.int8)}
  mc.save(tmp_path / "c", tree, progress=lambda done, total: seen.append((done, total)),
          metadata={"run": "x", "lr": 0.1})
  assert seen == [(4000, 4010), (4010, 4010)]
  assert mc.checkpoint_info(tmp_path / "c")["user_metadata"] == {"run": "x", "lr": 0.1}
  seen.clear()
  mc.restore(tmp_path / "c", progress=lambda done, total: seen.append((done, total)))
  assert seen[-1] == (4010, 4010)


@pytest.mark.parametrize("fast_read", [True, False])
def test_large_leaf_is_chunked_and_restored(tmp_path, monkeypatch, fast_read):
  monkeypatch.setattr(mc.storage, "CHUNK_BYTES", 1000)
  monkeypatch.setattr(mc.storage, "SMALL_LEAF_BYTES", 0)
  monkeypatch.setattr(mc.storage, "FAST_READ", fast_read)
  value = np.arange(3000, dtype=np.float32).reshape(100, 30)
  mc.save(tmp_path / "c", {"v": value})
  chunks = [f for f in os.listdir(tmp_path / "c" / "d" / "0") if f.startswith("c.")]
  assert sorted(chunks) == sorted(f"c.{i}.0" for i in range(13))   # 8 rows per chunk
  np.testing.assert_array_equal(mc.restore(tmp_path / "c")["v"], value)


@pytest.mark.parametrize("separator", ["/", "."])
def test_direct_reader_reads_either_chunk_key_separator(tmp_path, monkeypatch, separator):
  monkeypatch.setattr(mc.storage, "CHUNK_BYTES", 1000)
  monkeypatch.setattr(mc.storage, "SMALL_LEAF_BYTES", 0)
  monkeypatch.setattr(mc.storage, "SEPARATOR", separator)   # "/": the first format's keys
  value = np.arange(3000, dtype=np.float32).reshape(100, 30)
  mc.save(tmp_path / "c", {"v": value, "s": np.float32(2.5)})
  [record] = [r for r in mc.layout.read_metadata(str(tmp_path / "c"))["leaves"]
              if r["key"] == "['v']"]
  got, crc = mc.zarr_reader.read(str(tmp_path / "c" / record["file"]), (100, 30), np.float32)
  np.testing.assert_array_equal(got, value)
  assert crc == zlib.crc32(value.tobytes()) and got.ctypes.data % 64 == 0
  restored = mc.restore(tmp_path / "c")
  np.testing.assert_array_equal(restored["v"], value)
  assert restored["s"] == np.float32(2.5)


def test_direct_reader_leaves_foreign_layouts_to_tensorstore(tmp_path):
  import tensorstore as ts
  value = np.arange(24, dtype=np.int16).reshape(4, 6)
  mc.save(tmp_path / "c", {"v": value})
  store = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(
      tmp_path / "c" / "d" / "0") + "/"}, "metadata": {
          "shape": [4, 6], "data_type": "int16",
          "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [3, 4]}},
          "codecs": [{"name": "bytes", "configuration": {"endian": "big"}}]}},
      create=True, delete_existing=True).result()
  store.write(value).result()   # same values, another chunking and byte order
  assert mc.zarr_reader.read(str(tmp_path / "c" / "d" / "0"), (4, 6), np.int16) is None
  np.testing.assert_array_equal(mc.restore(tmp_path / "c")["v"], value)


def test_crash_during_forced_replace_puts_the_old_checkpoint_back(tmp_path):
  mc.save(tmp_path / "c", {"a": np.ones(2)})
  # what a kill between commit's two renames leaves: the old one set aside, no "c"
  os.rename(tmp_path / "c", tmp_path / ".c.morphax-old-99999999-abc123")
  os.makedirs(tmp_path / ".c.morphax-tmp-99999999-def456" / "d")
  mc.save(tmp_path / "other", {"b": 1})   # the next save in the directory cleans up
  assert sorted(os.listdir(tmp_path)) == ["c", "other"]
  np.testing.assert_array_equal(mc.restore(tmp_path / "c")["a"], np.ones(2))


def test_long_transfers_log_their_progress(tmp_path, monkeypatch, caplog):
  monkeypatch.setattr(mc.storage, "_LOG_EVERY_SECONDS", 0.0)   # every leaf counts as long
  monkeypatch.setattr(mc.storage, "SMALL_LEAF_BYTES", 0)        # reported leaf by leaf
  caplog.set_level("INFO", logger="morphax_checkpoint")
  mc.save(tmp_path / "c", {"a": np.ones(250_000, np.float32), "b": np.ones(250_000, np.float32)})
  mc.restore(tmp_path / "c")
  messages = [r.getMessage() for r in caplog.records]
  assert any(m.endswith("c: 50% (1.0 of 2.0 MB)") and m.startswith("saving ") for m in messages)
  assert any(m.startswith("saved ") and ": 2.0 MB in " in m for m in messages)
  assert any(m.endswith("c: 100% (2.0 of 2.0 MB)") and m.startswith("restoring ")
             for m in messages)


def test_small_leaves_read_as_raw_ocdbt_values_with_tensorstore_as_fallback(tmp_path, monkeypatch):
  opened = []
  start = mc.storage._start_tensorstore
  monkeypatch.setattr(mc.storage, "_start_tensorstore", lambda d, records, indices, *rest: (
      opened.extend(records[i]["key"] for i in indices), start(d, records, indices, *rest))[1])
  tree = {"w": np.arange(12, dtype=np.int16).reshape(3, 4), "s": np.float64(1.5),
          "z": np.zeros(5, np.float32)}   # an all-zero chunk: tensorstore stores none
  mc.save(tmp_path / "c", tree)
  out = mc.restore(tmp_path / "c")
  for k in tree:
    np.testing.assert_array_equal(out[k], tree[k])
    assert out[k].dtype == tree[k].dtype
  assert opened == ["['z']"]   # only the leaf with no stored chunk went through zarr
