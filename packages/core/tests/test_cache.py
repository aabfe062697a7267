"""The persistent compilation cache (runtime/cache.py): hits, keys, damaged
and untrusted entries, the directory's safety checks, atomic writes."""

import logging
import os
import types
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from jaxlib import _jax
from jaxlib import xla_client as xc

import morphax
from morphax.runtime import cache, dispatch

SIN = """func.func public @main(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.sine %a : tensor<3xf32>
  func.return %0 : tensor<3xf32>
}"""
COS = SIN.replace("sine", "cosine")
X = np.array([0.0, 1.0, 2.0], np.float32)


@pytest.fixture(autouse=True)
def cache_path(tmp_path, monkeypatch, caplog):
  """Each test gets its own (not yet created) cache directory and sees every
  compile in caplog."""
  path = tmp_path / "cache"
  monkeypatch.setenv("MORPHAX_CACHE_DIR", str(path))
  monkeypatch.setattr(cache, "_warned", set())
  caplog.set_level(logging.DEBUG, logger="morphax.compile")
  return path


def device():
  return morphax.devices()[0]


def compile_(module=SIN):
  return dispatch.compile_module(module, [device()])


def run(executable):
  x = morphax.device_put(X)
  out = executable.execute_sharded([x._buf]).disassemble_into_single_device_arrays()
  return np.asarray(out[0][0])


def entry(path, module=SIN):
  d = device()
  return path / (cache.cache_key(module, [d], dispatch.compile_options([d])) + ".xla")


def events(caplog):
  """'hit' or the miss reason of each compile logged so far; clears the log."""
  out = []
  for r in caplog.records:
    message = r.getMessage()
    if "persistent cache hit" in message:
      out.append("hit")
    elif "persistent cache miss: " in message:
      out.append(message.split("persistent cache miss: ")[1].split(";")[0])
    elif "persistent cache off" in message:
      out.append("off")
  caplog.clear()
  return out


# --- Hits ----------------------------------------------------------------------

def test_hit_returns_a_loaded_executable_with_the_same_results(cache_path, caplog):
  first = compile_()
  assert events(caplog) == ["no entry"]
  assert entry(cache_path).is_file()
  second = compile_()
  assert events(caplog) == ["hit"]
  assert isinstance(second, _jax.LoadedExecutable)
  np.testing.assert_array_equal(run(second), run(first))
  np.testing.assert_allclose(run(second), np.sin(X), rtol=1e-6)


def test_directory_is_created_private_and_entries_are_0600(cache_path):
  compile_()
  assert oct(cache_path.stat().st_mode & 0o777) == oct(0o700)
  assert [oct(p.stat().st_mode & 0o777) for p in cache_path.iterdir()] == [oct(0o600)]


def test_second_process_loads_from_the_cache(cache_path):
  code = textwrap.dedent("""
      import numpy as np, morphax
      from morphax import lax
      x = morphax.device_put(np.arange(3.0, dtype=np.float32))
      print(np.asarray(lax.tanh(x)).tolist())
  """)
  env = dict(os.environ, MORPHAX_CACHE_DIR=str(cache_path), MORPHAX_LOG_COMPILES="1")

  def python():
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result

  first, second = python(), python()
  assert "persistent cache miss: no entry; stored" in first.stderr
  assert "persistent cache hit" in second.stderr, second.stderr
  assert "persistent cache miss" not in second.stderr, second.stderr
  assert first.stdout == second.stdout


def test_log_compiles_flag_logs_at_warning(caplog, monkeypatch):
  monkeypatch.setattr(morphax.config, "jax_log_compiles", True)
  compile_()
  compile_()
  assert [r.levelno for r in caplog.records] == [logging.WARNING] * 2
  monkeypatch.setattr(morphax.config, "jax_log_compiles", False)
  caplog.clear()
  compile_()
  assert [r.levelno for r in caplog.records] == [logging.DEBUG]


# --- Keys ----------------------------------------------------------------------

def test_key_changes_with_program_options_and_device():
  client = xc.make_cpu_client(num_devices=2)
  d0, d1 = client.devices()
  opts = dispatch.compile_options
  key = cache.cache_key(SIN, [d0], opts([d0]))
  assert key == cache.cache_key(SIN, [d0], opts([d0]))
  assert key == cache.cache_key(SIN.encode(), [d0], opts([d0]))
  assert key != cache.cache_key(COS, [d0], opts([d0]))
  assert key != cache.cache_key(SIN, [d1], opts([d1]))
  replicated = opts([d0])
  replicated.num_replicas = 2
  assert key != cache.cache_key(SIN, [d0], replicated)


def test_key_changes_with_xla_flags_and_format(monkeypatch):
  d = device()
  key = cache.cache_key(SIN, [d], dispatch.compile_options([d]))
  monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=true")
  assert key != cache.cache_key(SIN, [d], dispatch.compile_options([d]))
  monkeypatch.delenv("XLA_FLAGS")
  monkeypatch.setattr(cache, "FORMAT_VERSION", cache.FORMAT_VERSION + 1)
  assert key != cache.cache_key(SIN, [d], dispatch.compile_options([d]))


def test_hit_on_another_device_of_the_client_runs_there():
  client = xc.make_cpu_client(num_devices=2)
  d1 = client.devices()[1]
  cache.compile_or_load(SIN, [d1], dispatch.compile_options([d1]))
  executable = cache.compile_or_load(SIN, [d1], dispatch.compile_options([d1]))
  assert executable.local_devices() == [d1]
  x = _jax.dlpack_managed_tensor_to_buffer(X.__dlpack__(), d1, None)
  out = executable.execute_sharded([x]).disassemble_into_single_device_arrays()
  np.testing.assert_allclose(np.asarray(out[0][0]), np.sin(X), rtol=1e-6)


# --- Damaged and untrusted entries -------------------------------------------------
# Each row damages the entry of SIN; the next compile must ignore it (with the
# reason logged), compile SIN afresh, and rewrite a good entry.

def flip_payload_byte(path):
  data = bytearray(path.read_bytes())
  data[-100] ^= 0xFF
  path.write_bytes(bytes(data))


def truncate(path):
  data = path.read_bytes()
  path.write_bytes(data[:len(data) // 2])


def truncate_header(path):
  path.write_bytes(path.read_bytes()[:20])


def foreign_file(path):
  path.write_bytes(b"\x7fELF" + os.urandom(4000))


def other_format_version(path):
  data = bytearray(path.read_bytes())
  data[16] += 1
  path.write_bytes(bytes(data))


def entry_of_another_program(path):
  # A valid entry (for COS) under SIN's name: its header names COS's key.
  path.write_bytes(entry(path.parent, COS).read_bytes())


def intact_entry_jaxlib_rejects(path):
  key = path.name[:-len(".xla")]
  path.write_bytes(cache._pack(key, b"not an executable"))


def too_permissive(path):
  path.chmod(0o666)


def symlink_to_valid_entry(path):
  target = path.parent.parent / "elsewhere.xla"
  target.write_bytes(path.read_bytes())
  target.chmod(0o600)
  path.unlink()
  path.symlink_to(target)


def owned_by_another_user(path, monkeypatch):
  """Makes `path` belong to uid 65534: a real chown as root; otherwise the
  cache's trust check is shown that uid for this file (same inode), which
  exercises the same refusal without privileges."""
  if os.geteuid() == 0:
    os.chown(path, 65534, 65534)
    return
  inode = os.stat(path).st_ino
  real_unsafe = cache._unsafe

  def unsafe(st, what):
    if st.st_ino == inode:
      st = types.SimpleNamespace(st_uid=65534, st_mode=st.st_mode, st_ino=st.st_ino)
    return real_unsafe(st, what)
  monkeypatch.setattr(cache, "_unsafe", unsafe)


def foreign_owner(path):
  """Replaced per test by owned_by_another_user (it needs monkeypatch)."""


def fifo(path):
  path.unlink()
  os.mkfifo(path, 0o600)


DAMAGE = [
    (flip_payload_byte, "payload checksum mismatch"),
    (truncate, "payload is"),
    (truncate_header, "truncated header"),
    (foreign_file, "not a morphax cache entry"),
    (other_format_version, "format version"),
    (entry_of_another_program, "entry is for another key"),
    (intact_entry_jaxlib_rejects, "jaxlib could not load it"),
    (too_permissive, "entry is writable by group or others"),
    (symlink_to_valid_entry, "entry is a symlink"),
    (foreign_owner, "entry is owned by uid 65534"),
    (fifo, "entry is not a regular file"),
]


@pytest.mark.parametrize("damage, reason", DAMAGE, ids=[d.__name__ for d, _ in DAMAGE])
def test_damaged_or_untrusted_entry_is_ignored_and_rewritten(cache_path, caplog,
                                                             monkeypatch, damage, reason):
  compile_(COS)
  compile_(SIN)
  path = entry(cache_path)
  if damage is foreign_owner:
    owned_by_another_user(path, monkeypatch)
  else:
    damage(path)
  caplog.clear()
  np.testing.assert_allclose(run(compile_(SIN)), np.sin(X), rtol=1e-6)
  [event] = events(caplog)
  assert event.startswith(reason), event
  assert not path.is_symlink() and path.stat().st_uid == os.geteuid()
  assert path.stat().st_mode & 0o777 == 0o600
  compile_(SIN)
  assert events(caplog) == ["hit"]


# --- The directory -----------------------------------------------------------------

def test_permissive_directory_warns_once_and_is_not_used(cache_path, caplog):
  cache_path.mkdir(mode=0o700)
  cache_path.chmod(0o777)
  with pytest.warns(RuntimeWarning, match=r"writable by group or others \(mode 777\)"):
    compile_()
  assert events(caplog) == ["off"]
  assert list(cache_path.iterdir()) == []
  with warnings.catch_warnings():
    warnings.simplefilter("error")
    np.testing.assert_allclose(run(compile_()), np.sin(X), rtol=1e-6)
  assert events(caplog) == ["off"]


def test_directory_of_another_user_is_not_used(cache_path, caplog, monkeypatch):
  cache_path.mkdir(mode=0o700)
  owned_by_another_user(cache_path, monkeypatch)
  with pytest.warns(RuntimeWarning, match="owned by uid 65534, not by you"):
    compile_()
  assert events(caplog) == ["off"]
  assert list(cache_path.iterdir()) == []


def test_unusable_directory_warns(tmp_path, monkeypatch, caplog):
  (tmp_path / "file").write_text("")
  monkeypatch.setenv("MORPHAX_CACHE_DIR", str(tmp_path / "file" / "cache"))
  with pytest.warns(RuntimeWarning, match="not using the compilation cache"):
    compile_()
  assert events(caplog) == ["off"]


def test_unusable_default_directory_is_quietly_skipped(tmp_path, monkeypatch,
                                                       caplog):
  (tmp_path / "file").write_text("")
  monkeypatch.delenv("MORPHAX_CACHE_DIR")
  monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
  with warnings.catch_warnings():
    warnings.simplefilter("error")
    compile_()
  assert events(caplog) == ["off"]


def test_empty_variable_turns_the_cache_off(tmp_path, monkeypatch, caplog):
  monkeypatch.setenv("MORPHAX_CACHE_DIR", "")
  monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
  monkeypatch.setenv("HOME", str(tmp_path))
  assert cache.cache_dir() is None
  compile_()
  compile_()
  assert events(caplog) == ["off", "off"]
  assert list(tmp_path.iterdir()) == []


def test_default_directory(tmp_path, monkeypatch):
  monkeypatch.delenv("MORPHAX_CACHE_DIR")
  monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
  assert cache.cache_dir() == str(tmp_path / "xdg" / "morphax")
  monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
  monkeypatch.setenv("HOME", str(tmp_path))
  assert cache.cache_dir() == str(tmp_path / ".cache" / "morphax")
  monkeypatch.setenv("MORPHAX_CACHE_DIR", "~/elsewhere")
  assert cache.cache_dir() == str(tmp_path / "elsewhere")


# --- Writes --------------------------------------------------------------------------

def test_fast_compiles_are_not_stored(cache_path, caplog, monkeypatch):
  monkeypatch.setattr(cache, "MIN_COMPILE_SECONDS", 1e9)
  compile_()
  compile_()
  assert events(caplog) == ["no entry", "no entry"]
  assert list(cache_path.iterdir()) == []


def test_backend_that_cannot_serialize_still_compiles(cache_path, caplog,
                                                      monkeypatch):
  def unimplemented(client, executable):
    raise _jax.JaxRuntimeError("UNIMPLEMENTED: serialization")
  monkeypatch.setattr(type(device().client), "serialize_executable", unimplemented)
  np.testing.assert_allclose(run(compile_()), np.sin(X), rtol=1e-6)
  assert "jaxlib cannot serialize it: UNIMPLEMENTED" in caplog.text
  assert list(cache_path.iterdir()) == []


def test_failed_write_leaves_nothing_and_still_compiles(cache_path, monkeypatch):
  def disk_full(fd):
    raise OSError(28, "No space left on device")
  monkeypatch.setattr(os, "fsync", disk_full)
  with pytest.warns(RuntimeWarning, match="could not write .* No space left"):
    executable = compile_()
  np.testing.assert_allclose(run(executable), np.sin(X), rtol=1e-6)
  assert list(cache_path.iterdir()) == []


def test_interrupted_write_leaves_nothing(cache_path, monkeypatch):
  class Interrupted(BaseException):
    pass

  def interrupted_replace(*args, **kwargs):
    raise Interrupted
  monkeypatch.setattr(os, "replace", interrupted_replace)
  with pytest.raises(Interrupted):
    compile_()
  assert list(cache_path.iterdir()) == []

