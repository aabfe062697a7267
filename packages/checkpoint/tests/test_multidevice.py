"""pmap-sharded Arrays: gathered on save, restored onto the same or other devices."""

import numpy as np
import pytest

import morphax
import morphax_checkpoint as mc


@pytest.fixture
def devices():
  devices = morphax.devices()
  assert len(devices) == 4   # conftest.py asks for 4 CPU devices
  return devices


@pytest.fixture
def saved(tmp_path, devices):
  sharded = morphax.device_put_sharded(
      [np.full((2, 3), i, np.float32) for i in range(4)], devices)
  replicated = morphax.device_put_replicated(np.arange(3, dtype=np.int32), devices)
  doubled = morphax.pmap(lambda a: a * 2)(sharded)   # a pmap result
  tree = {"s": sharded, "r": replicated, "p": doubled}
  mc.save(tmp_path / "c", tree)
  return tmp_path / "c", tree


def _shards(x):
  return [np.asarray(s) for s in x.addressable_shards]


def test_restore_onto_the_same_devices(saved, devices):
  path, tree = saved
  out = mc.restore(path, target=tree)
  for key in tree:
    assert out[key].sharding._device_assignment == tuple(devices), key
    assert out[key].devices() == set(devices)
    np.testing.assert_array_equal(_shards(out[key]), _shards(tree[key]))
  np.testing.assert_array_equal(np.asarray(out["p"])[:, 0, 0], [0, 2, 4, 6])


def test_restore_onto_devices_in_another_order(saved, devices):
  path, tree = saved
  order = devices[::-1]
  target = morphax.device_put_sharded([np.zeros((2, 3), np.float32)] * 4, order)
  out = mc.restore(path, target={"s": target})["s"]
  assert out.sharding._device_assignment == tuple(order)
  assert [s.devices() for s in out.addressable_shards] == [{d} for d in order]
  np.testing.assert_array_equal(np.asarray(out)[:, 0, 0], [0, 1, 2, 3])


def test_restore_onto_the_host_or_one_device(saved):
  path, _ = saved
  out = mc.restore(path)   # no target: gathered, shape (devices, ...)
  np.testing.assert_array_equal(out["s"][:, 0, 0], [0, 1, 2, 3])
  assert len(out["s"].devices()) == 1
  out = mc.restore(path, target={"s": np.zeros((4, 2, 3), np.float32),
                                 "r": np.zeros(3, np.int32)})   # replicated -> one copy
  np.testing.assert_array_equal(out["r"], [0, 1, 2])
  assert out["s"].shape == (4, 2, 3)
  meta = mc.metadata(path)
  assert meta["s"] == morphax.ShapeDtypeStruct((4, 2, 3), np.float32)


def test_restore_onto_another_device_count(saved, devices):
  path, _ = saved
  two = morphax.device_put_replicated(np.zeros(3, np.int32), devices[:2])
  target = morphax.ShapeDtypeStruct((2, 3), np.int32, sharding=two.sharding)
  out = mc.restore(path, target={"r": target})["r"]
  assert out.devices() == set(devices[:2])
  np.testing.assert_array_equal(np.asarray(out), [[0, 1, 2], [0, 1, 2]])
  with pytest.raises(mc.TargetMismatchError,
                     match=r"leaf \['s'\] of checkpoint .* was saved from 4 devices along "
                           r"axis 0 \(shape \(4, 2, 3\)\); the target wants 2 devices with "
                           r"shape \(2, 2, 3\). Only a replicated leaf"):
    mc.restore(path, target={"s": morphax.device_put_sharded(
        [np.zeros((2, 3), np.float32)] * 2, devices[:2])})
