"""CheckpointManager: retention like Orbax's, async saves, locks, failures."""

import contextlib
import os
import resource
import subprocess

import numpy as np
import pytest

import morphax.numpy as jnp
import morphax_checkpoint as mc

# Known answers observed with orbax-checkpoint 0.x's CheckpointManager (reference
# env): per save, [saved?, all_steps(), latest_step(), best_step()].
ORBAX_HISTORIES = {
    "max2": (dict(max_to_keep=2), range(6), None, [
        [True, [0], 0, None], [True, [0, 1], 1, None], [True, [1, 2], 2, None],
        [True, [2, 3], 3, None], [True, [3, 4], 4, None], [True, [4, 5], 5, None]]),
    "interval3": (dict(save_interval_steps=3), range(8), None, [
        [True, [0], 0, None], [False, [0], 0, None], [False, [0], 0, None],
        [True, [0, 3], 3, None], [False, [0, 3], 3, None], [False, [0, 3], 3, None],
        [True, [0, 3, 6], 6, None], [False, [0, 3, 6], 6, None]]),
    "period": (dict(max_to_keep=2, keep_period=4), range(10), None, [
        [True, [0], 0, None], [True, [0, 1], 1, None], [True, [0, 1, 2], 2, None],
        [True, [0, 2, 3], 3, None], [True, [0, 3, 4], 4, None], [True, [0, 4, 5], 5, None],
        [True, [0, 4, 5, 6], 6, None], [True, [0, 4, 6, 7], 7, None],
        [True, [0, 4, 7, 8], 8, None], [True, [0, 4, 8, 9], 9, None]]),
    "best_min": (dict(max_to_keep=2, best_fn=lambda m: m["loss"], best_mode="min"),
                 range(6), [5., 3., 4., 1., 6., 2.], [
        [True, [0], 0, 0], [True, [0, 1], 1, 1], [True, [1, 2], 2, 1],
        [True, [1, 3], 3, 3], [True, [1, 3], 3, 3], [True, [3, 5], 5, 3]]),
    "best_max": (dict(max_to_keep=3, best_fn=lambda m: m["loss"], best_mode="max"),
                 range(6), [5., 3., 4., 1., 6., 2.], [
        [True, [0], 0, 0], [True, [0, 1], 1, 0], [True, [0, 1, 2], 2, 0],
        [True, [0, 1, 2], 2, 0], [True, [0, 2, 4], 4, 4], [True, [0, 2, 4], 4, 4]]),
}


@pytest.mark.parametrize("name", sorted(ORBAX_HISTORIES))
def test_retention_matches_orbax(tmp_path, name):
  options, steps, losses, want = ORBAX_HISTORIES[name]
  got = []
  with mc.CheckpointManager(tmp_path, mc.CheckpointManagerOptions(**options)) as mngr:
    for i, step in enumerate(steps):
      metrics = None if losses is None else {"loss": jnp.float32(losses[i])}
      saved = mngr.save(step, {"x": np.full(2, step)}, metrics=metrics)
      mngr.wait_until_finished()
      best = mngr.best_step() if "best_fn" in options else None
      got.append([saved, mngr.all_steps(), mngr.latest_step(), best])
  assert got == want
  on_disk = sorted(int(n) for n in os.listdir(tmp_path) if n.isdigit())
  assert on_disk == want[-1][1]
  reopened = mc.CheckpointManager(tmp_path, mc.CheckpointManagerOptions(**options))
  assert reopened.all_steps() == want[-1][1]
  if "best_fn" in options:
    assert reopened.best_step() == want[-1][3]
  reopened.close()


def test_async_save_and_restore_loop(tmp_path):
  state = {"w": jnp.arange(4.0), "n": np.arange(3), "step": 0}
  with mc.CheckpointManager(tmp_path, mc.CheckpointManagerOptions(max_to_keep=2)) as mngr:
    for step in range(1, 4):
      state = {"w": state["w"] + 1, "n": state["n"] * 2, "step": step}
      assert mngr.save(step, state)
      state["n"][:] = -7   # changing a numpy leaf after save() does not reach the disk
    assert mngr.restore()["step"] == 3   # waits for the background write
    out = mngr.restore(2, target={"w": jnp.zeros(4), "n": np.zeros(3, int), "step": 0})
  np.testing.assert_array_equal(out["w"], np.arange(4.0) + 2)
  np.testing.assert_array_equal(out["n"], [-14, -14, -14])   # saved as -7 * 2, not the -7 set later
  assert out["step"] == 2


def test_restore_errors_and_step_rules(tmp_path):
  with mc.CheckpointManager(tmp_path) as mngr:
    with pytest.raises(FileNotFoundError, match=r"has no committed checkpoint to restore"):
      mngr.restore()
    mngr.save(5, {"a": 1})
    assert not mngr.save(5, {"a": 2}) and not mngr.save(4, {"a": 2})
    with pytest.raises(mc.StepAlreadyExistsError, match=r"step 5 already exists in .*; a saved step"):
      mngr.save(5, {"a": 3}, force=True)
    assert mngr.save(3, {"a": 3}, force=True)   # force saves an older step
    with pytest.raises(FileNotFoundError, match=r"step 7 is not in .*; the steps there are \[3, 5\]"):
      mngr.restore(7)
    assert mngr.restore(3) == {"a": 3} and mngr.metrics(5) is None
    assert mngr.item_metadata(5) == {"a": 1}
  with pytest.raises(RuntimeError, match=r"this manager is closed"):
    mngr.save(6, {})
  with pytest.raises(ValueError, match=r"best_mode must be 'max' or 'min', got 'best'"):
    mc.CheckpointManagerOptions(best_mode="best")


def test_two_managers_on_one_directory(tmp_path):
  first = mc.CheckpointManager(tmp_path)
  with pytest.raises(mc.CheckpointLockedError,
                     match=rf"{tmp_path} is in use by another CheckpointManager \(pid {os.getpid()}"):
    mc.CheckpointManager(tmp_path)
  first.save(1, {"a": np.ones(2)})
  first.close()
  second = mc.CheckpointManager(tmp_path)
  assert second.all_steps() == [1]
  second.close()


def test_interrupted_saves_are_ignored_and_cleaned(tmp_path):
  with mc.CheckpointManager(tmp_path) as mngr:
    mngr.save(1, {"a": np.ones(2)})
  mc.save(tmp_path / "2", {"a": np.ones(2)})
  os.remove(tmp_path / "2" / "_COMMIT_SUCCESS")             # a step that never committed
  os.makedirs(tmp_path / ".3.morphax-tmp-4000000-abc123/d")  # a crashed writer's temp dir
  with mc.CheckpointManager(tmp_path) as mngr:
    assert mngr.all_steps() == [1]
    assert mngr.save(2, {"a": np.zeros(2)})
  assert sorted(os.listdir(tmp_path)) == [".morphax_checkpoint.lock", "1", "2"]


@contextlib.contextmanager
def _file_size_limit(nbytes):
  """Writes past `nbytes` fail with EFBIG in this process, as on a full disk."""
  old = resource.getrlimit(resource.RLIMIT_FSIZE)
  resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, old[1]))
  try:
    yield
  finally:
    resource.setrlimit(resource.RLIMIT_FSIZE, old)


@pytest.mark.parametrize("small_leaf_bytes, where", [
    (0, r"leaf \['a'\] \(d/0\)"), (1 << 20, r"the small leaves \['a'\] \(o/\)")])
def test_full_disk_surfaces_at_the_next_call_and_loses_nothing(tmp_path, monkeypatch,
                                                              small_leaf_bytes, where):
  monkeypatch.setattr(mc.storage, "SMALL_LEAF_BYTES", small_leaf_bytes)
  mngr = mc.CheckpointManager(tmp_path)
  mngr.save(1, {"a": np.ones(10)})
  mngr.wait_until_finished()
  with _file_size_limit(100_000):
    assert mngr.save(2, {"a": np.ones(100_000)})   # the write fails in the background
    with pytest.raises(mc.AsyncSaveError,
                       match=r"background save of step 2 failed: Saving checkpoint .*2 failed "
                             rf"while writing {where}: .*Is the disk full"):
      mngr.wait_until_finished()
    with pytest.raises(OSError, match=r"Is the disk full or the directory read-only\? The "
                                      r"partial checkpoint was removed"):
      mc.save(tmp_path / "x", {"a": np.ones(100_000)})
  assert sorted(os.listdir(tmp_path)) == [".morphax_checkpoint.lock", "1"]
  assert mngr.all_steps() == [1]
  np.testing.assert_array_equal(mngr.restore()["a"], np.ones(10))
  mngr.close()


@contextlib.contextmanager
def _read_only(directory):
  """Makes `directory` read-only, also for root (a read-only bind mount)."""
  if os.geteuid() != 0:
    os.chmod(directory, 0o555)
    try:
      yield
    finally:
      os.chmod(directory, 0o755)
    return
  subprocess.run(["mount", "--bind", directory, directory], check=True)
  try:
    subprocess.run(["mount", "-o", "remount,bind,ro", directory], check=True)
    yield
  finally:
    subprocess.run(["umount", directory], check=True)


def test_read_only_directory_restores_but_cannot_save(tmp_path):
  with mc.CheckpointManager(tmp_path) as mngr:
    mngr.save(1, {"a": jnp.arange(3.0)})
  os.remove(tmp_path / ".morphax_checkpoint.lock")
  with _read_only(str(tmp_path)):
    with mc.CheckpointManager(tmp_path) as mngr:
      np.testing.assert_array_equal(mngr.restore()["a"], np.arange(3.0))
      with pytest.raises(PermissionError,
                         match=r"cannot save step 2: directory .* is not writable"):
        mngr.save(2, {"a": 1})
    with pytest.raises(OSError, match=r"Saving checkpoint .*y failed while writing the "
                                      r"temporary directory .*(Read-only|Permission)"):
      mc.save(tmp_path / "y", {"a": 1})
  assert sorted(os.listdir(tmp_path)) == ["1"]
