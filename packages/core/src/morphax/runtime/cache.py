"""The persistent compilation cache: compiled executables kept on disk between
processes, keyed by everything that changes them, private to their user.

On by default in `$XDG_CACHE_HOME/morphax` (else `~/.cache/morphax`);
`MORPHAX_CACHE_DIR=/path` moves it, `MORPHAX_CACHE_DIR=` (empty) turns it off.

Loading a serialized executable can run arbitrary code (jaxlib says so), so
an entry is only loaded from a directory owned by the current user and not
writable by group or others, from a regular file (never through a symlink)
with the same owner and permissions, whose header names the expected key and
whose payload matches the sha256 in that header. Anything else is ignored and
recompiled; the cache never fails a compile and never loads a wrong program.

One entry is one file `<key>.xla`:

    magic (16 bytes) | format version (u32) | key (32 bytes) |
    sha256 of payload (32 bytes) | payload length (u64) | payload

written to a temporary file in the same directory, fsync'ed, then renamed
over the entry (atomic: readers see the old entry, the new one, or none).
"""

import errno
import hashlib
import logging
import os
import platform
import secrets
import stat
import struct
import time
import warnings

import jaxlib.version
from jaxlib import xla_client as xc

from .._config import config

FORMAT_VERSION = 1
MAGIC = b"morphax-xla-exe\n"
_HEADER = struct.Struct("<16sI32s32sQ")
_SUFFIX = ".xla"

# Programs that compile faster than this are not written: a cache load costs
# ~1 ms (read, hash, deserialize) and a write ~0.5-3 ms, while even a one-op
# program compiles in 30-70 ms on CPU, so nearly everything is worth keeping;
# the floor only spares the disk programs that gain nothing from it.
MIN_COMPILE_SECONDS = 0.01

log = logging.getLogger("morphax.compile")

INSECURE_DIR_MESSAGE = (
    "morphax: not using the compilation cache in {path}: it is {problem}. "
    "Loading a cached executable can run arbitrary code, so the directory must "
    "belong to you and be writable only by you (chmod 700 {path}), or set "
    "MORPHAX_CACHE_DIR to another directory (empty to turn the cache off).")

UNUSABLE_DIR_MESSAGE = (
    "morphax: not using the compilation cache in {path}: {error}. Set "
    "MORPHAX_CACHE_DIR to a writable directory (empty to turn the cache off).")

WRITE_FAILED_MESSAGE = (
    "morphax: could not write to the compilation cache in {path}: {error}. "
    "Compiling without storing the result.")

UNSUPPORTED_MESSAGE = (
    "morphax: the compilation cache needs POSIX file operations (dir_fd, "
    "O_NOFOLLOW) that this platform lacks; it is off. Unset MORPHAX_CACHE_DIR "
    "to silence this warning.")

# Platforms without these (Windows) cannot open entries safely: cache off.
_SUPPORTED = (hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY")
              and hasattr(os, "geteuid") and os.open in os.supports_dir_fd)
_OPEN_FLAGS = (getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block a read

_warned = set()


def _warn_once(tag, message):
  if tag not in _warned:
    _warned.add(tag)
    warnings.warn(message, RuntimeWarning, stacklevel=4)


# --- Where the cache lives -------------------------------------------------

def cache_dir():
  """The cache directory the environment asks for (an absolute path), or None
  when `MORPHAX_CACHE_DIR` is set and empty. Read on every compile, so
  changing the variable takes effect at once."""
  value = os.environ.get("MORPHAX_CACHE_DIR")
  if value is not None:
    value = value.strip()
    return os.path.abspath(os.path.expanduser(value)) if value else None
  base = os.environ.get("XDG_CACHE_HOME", "")
  if not os.path.isabs(base):  # the XDG spec says relative paths are invalid
    base = os.path.join(os.path.expanduser("~"), ".cache")
  return os.path.join(base, "morphax")


def _open_dir():
  """(path, fd) of the cache directory, created 0700 if missing, or None when
  the cache is off, or the directory is unsafe (one warning) or unusable (one
  warning when MORPHAX_CACHE_DIR names it, none for the default place).
  Entries are opened relative to the fd, so a directory swapped for another
  after the check is never read."""
  path = cache_dir()
  if path is None:
    return None
  if not _SUPPORTED:
    if os.environ.get("MORPHAX_CACHE_DIR"):  # silent unless asked for
      _warn_once(("unsupported",), UNSUPPORTED_MESSAGE)
    return None
  try:
    os.makedirs(path, mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
  except OSError as e:
    message = UNUSABLE_DIR_MESSAGE.format(path=path, error=e.strerror or e)
    if "MORPHAX_CACHE_DIR" in os.environ:
      _warn_once(("unusable", path), message)
    else:  # a read-only or missing home (containers): quietly no cache
      log.debug("%s", message)
    return None
  problem = _unsafe(os.fstat(fd), "directory")
  if problem:
    os.close(fd)
    _warn_once(("insecure", path), INSECURE_DIR_MESSAGE.format(
        path=path, problem=problem))
    return None
  return path, fd


def _unsafe(st, what):
  """Why a file with stat `st` must not be trusted, or None."""
  if st.st_uid != os.geteuid():
    return f"owned by uid {st.st_uid}, not by you (uid {os.geteuid()})"
  if st.st_mode & 0o022:
    return f"writable by group or others (mode {stat.S_IMODE(st.st_mode):o})"
  kind_ok = stat.S_ISDIR if what == "directory" else stat.S_ISREG
  if not kind_ok(st.st_mode):
    return f"not a {what}"
  return None


# --- Keys --------------------------------------------------------------------

_host = None


def _host_fingerprint():
  """The host CPU's architecture, model and feature flags: XLA:CPU compiles
  for the features of the CPU it runs on, so a cache shared between machines
  (an NFS home) must not hand an AVX-512 program to a CPU without AVX-512.
  (Not platform.processor(): on Linux it runs a subprocess.)"""
  global _host
  if _host is None:
    parts = [platform.machine()]
    for source, prefixes in (("/sys/devices/system/cpu/modalias", ("cpu:",)),
                             ("/proc/cpuinfo", ("flags", "Features"))):
      try:
        with open(source, encoding="utf-8", errors="replace") as f:
          line = next((l for l in f if l.startswith(prefixes)), None)
      except OSError:
        continue
      if line:
        parts.append(line.strip())
        break
    _host = "\n".join(parts)
  return _host


def cache_key(module, devices, options):
  """Hex sha256 of everything that changes the executable: the program text
  or bytecode, the serialized compile options, jaxlib's version, the
  platform and its version, the devices (kind and id), the host CPU, XLA_FLAGS
  and this cache's format version."""
  client = devices[0].client
  h = hashlib.sha256()

  def add(label, value):
    value = value if isinstance(value, bytes) else str(value).encode()
    h.update(label + b"\0" + len(value).to_bytes(8, "little") + value)

  add(b"format", FORMAT_VERSION)
  add(b"jaxlib", jaxlib.version.__version__)
  add(b"platform", client.platform)
  add(b"platform_version", client.platform_version)
  add(b"devices", repr([(d.platform, d.device_kind, d.id) for d in devices]))
  add(b"host", _host_fingerprint())
  add(b"xla_flags", os.environ.get("XLA_FLAGS", ""))
  add(b"options", options.SerializeAsString())
  add(b"module", module)
  return h.hexdigest()


# --- Entries -------------------------------------------------------------------

def _pack(key, payload):
  return _HEADER.pack(MAGIC, FORMAT_VERSION, bytes.fromhex(key),
                      hashlib.sha256(payload).digest(), len(payload)) + payload


def _unpack(data, key):
  """(payload, None) when `data` is a whole, intact entry for `key`, else
  (None, why not)."""
  if len(data) < _HEADER.size:
    return None, "truncated header"
  magic, version, entry_key, digest, length = _HEADER.unpack_from(data)
  if magic != MAGIC:
    return None, "not a morphax cache entry"
  if version != FORMAT_VERSION:
    return None, f"format version {version}, expected {FORMAT_VERSION}"
  if entry_key != bytes.fromhex(key):
    return None, "entry is for another key"
  payload = data[_HEADER.size:]
  if len(payload) != length:
    return None, f"payload is {len(payload)} bytes, header says {length}"
  if hashlib.sha256(payload).digest() != digest:
    return None, "payload checksum mismatch"
  return payload, None


def _read(dir_fd, key):
  """The payload of entry `key`, or (None, why not)."""
  try:
    fd = os.open(key + _SUFFIX, os.O_RDONLY | _OPEN_FLAGS, dir_fd=dir_fd)
  except FileNotFoundError:
    return None, "no entry"
  except OSError as e:
    return None, ("entry is a symlink" if e.errno == errno.ELOOP
                  else f"cannot open entry: {e.strerror}")
  with open(fd, "rb") as f:
    problem = _unsafe(os.fstat(fd), "regular file")
    if problem:
      return None, f"entry is {problem}"
    return _unpack(f.read(), key)


def _write(dir_fd, key, payload):
  """Writes entry `key` atomically; a failure leaves no temporary file."""
  tmp = f".{key}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
  fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, 0o600,
               dir_fd=dir_fd)
  try:
    with open(fd, "wb") as f:
      f.write(_pack(key, payload))
      f.flush()
      os.fsync(f.fileno())
    # NB: the directory is not fsync'ed: losing a fresh entry in a crash
    # costs one recompile, not a wrong program.
    os.replace(tmp, key + _SUFFIX, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
  except BaseException:
    try:
      os.unlink(tmp, dir_fd=dir_fd)
    except OSError:
      pass
    raise


# --- Compiling through the cache ----------------------------------------------

def _log(message, *args):
  # With MORPHAX_LOG_COMPILES=1 (config.jax_log_compiles) every compile is
  # logged at WARNING, which Python prints to stderr even when logging is not
  # configured; otherwise at DEBUG, for those who configure logging.
  level = logging.WARNING if config.jax_log_compiles else logging.DEBUG
  if log.isEnabledFor(level):
    log.log(level, message, *args)


def compile_or_load(module, devices, options, name="main"):
  """A loaded executable of `module` (StableHLO text, bytecode or an
  `ir.Module`) on `devices` with `options`: from the persistent cache when it
  holds an intact entry for exactly this program and setup, else compiled by
  XLA (and stored when compiling took at least MIN_COMPILE_SECONDS).

  Returns a `LoadedExecutable` either way (`execute_sharded` works on both).
  """
  if not isinstance(module, (str, bytes)):
    module = str(module)
  client = devices[0].client
  device_list = xc._xla.DeviceList(tuple(devices))
  start = time.perf_counter()
  opened = _open_dir()
  if opened is None:
    executable = client.compile_and_load(module, device_list, options)
    _log("Compiled %s in %.1f ms (persistent cache off)", name,
         1e3 * (time.perf_counter() - start))
    return executable
  path, dir_fd = opened
  try:
    key = cache_key(module, devices, options)
    payload, why = _read(dir_fd, key)
    if payload is not None:
      try:
        executable = client.deserialize_executable(payload, device_list, options)
      except Exception as e:  # an intact entry jaxlib rejects: recompile
        why = f"jaxlib could not load it: {e}"
      else:
        _log("Loaded %s in %.1f ms (persistent cache hit, key %s)", name,
             1e3 * (time.perf_counter() - start), key[:16])
        return executable
    compile_start = time.perf_counter()
    executable = client.compile_and_load(module, device_list, options)
    seconds = time.perf_counter() - compile_start
    if seconds < MIN_COMPILE_SECONDS:
      stored = "not stored: compiled faster than MIN_COMPILE_SECONDS"
    else:
      try:
        payload = client.serialize_executable(executable)
      except Exception as e:  # a backend without serialization: no entry
        payload, stored = None, f"not stored: jaxlib cannot serialize it: {e}"
      try:
        if payload is not None:
          _write(dir_fd, key, payload)
          stored = "stored"
      except OSError as e:
        _warn_once(("write", path), WRITE_FAILED_MESSAGE.format(
            path=path, error=e.strerror or e))
        stored = f"not stored: {e}"
    _log("Compiled %s in %.1f ms (persistent cache miss: %s; %s, key %s)", name,
         1e3 * seconds, why, stored, key[:16])
    return executable
  finally:
    os.close(dir_fd)
