"""PJRT clients and devices: the CPU client built into jaxlib, accelerators
through their PJRT plugin packages, and the platform choice like JAX's.
"""

import importlib.util
import os
import pathlib
import threading

from jaxlib import xla_client as xc

from .._config import config

# Accelerator plugins: (platform, python package holding the .so, .so name,
# the pip package a user installs to get it).
_PLUGINS = {
    "cuda": [("jax_plugins.xla_cuda13", "xla_cuda_plugin.so", "jax-cuda13-plugin[with-cuda]"),
             ("jax_plugins.xla_cuda12", "xla_cuda_plugin.so", "jax-cuda12-plugin[with-cuda]")],
    "rocm": [("jax_plugins.xla_rocm7", "xla_rocm_plugin.so", "jax-rocm7-plugin"),
             ("jax_plugins.xla_rocm60", "xla_rocm_plugin.so", "jax-rocm60-plugin")],
    "tpu": [("libtpu", "libtpu.so", "libtpu")],
}
_ALIASES = {"gpu": ("cuda", "rocm")}
# Best first, as JAX picks its default backend.
_PRIORITY = ("tpu", "cuda", "rocm", "cpu")

NO_PLUGIN_MESSAGE = """\
No {platform} backend: none of the PJRT plugin packages for it is installed.
Install one, for example:
    pip install {package}
or run on the CPU with MORPHAX_PLATFORMS=cpu (or jax_platforms="cpu")."""

UNKNOWN_PLATFORM_MESSAGE = """\
Unknown platform {name!r} in MORPHAX_PLATFORMS / jax_platforms.
Known platforms: cpu, gpu, cuda, rocm, tpu."""

_lock = threading.Lock()
_clients = {}
_default_client = None
# Keyword arguments for the CPU client of a distributed run (set by
# morphax.distributed.initialize before the backend starts).
_cpu_client_options = {}

STARTED_MESSAGE = (
    "{what} must be called before morphax starts its backend (before the "
    "first array, computation or devices() call of this process).")


def started():
  """True once a PJRT client exists (the device layout is then fixed)."""
  return bool(_clients)


def set_cpu_client_options(**options):
  """Options for the CPU client not made yet (distributed.initialize)."""
  if started():
    raise RuntimeError(STARTED_MESSAGE.format(what="morphax.distributed.initialize"))
  _cpu_client_options.clear()
  _cpu_client_options.update(options)


def num_cpu_devices():
  value = os.environ.get("MORPHAX_NUM_CPU_DEVICES", "1")
  try:
    n = int(value)
  except ValueError:
    n = 0
  if n < 1:
    raise ValueError(
        f"MORPHAX_NUM_CPU_DEVICES must be a positive integer, got {value!r}")
  return n


def _find_plugin_library(platform):
  """Path of the first installed plugin .so for `platform`, or None."""
  for module, lib_name, _ in _PLUGINS[platform]:
    try:
      # find_spec locates the package without running its __init__ (which
      # imports jax); we only need the shared library beside it.
      spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
      spec = None
    if spec is None or not spec.submodule_search_locations:
      continue
    for location in spec.submodule_search_locations:
      path = pathlib.Path(location) / lib_name
      if path.exists():
        return str(path)
  return None


def _make_plugin_client(platform):
  path = _find_plugin_library(platform)
  if path is None:
    raise RuntimeError(NO_PLUGIN_MESSAGE.format(
        platform=platform, package=_PLUGINS[platform][0][2]))
  if not xc.pjrt_plugin_loaded(platform):
    xc.load_pjrt_plugin_dynamically(platform, path)
  if not xc.pjrt_plugin_initialized(platform):
    xc.initialize_pjrt_plugin(platform)
  return xc.make_c_api_client(platform, {})


def _make_client(platform):
  if platform == "cpu":
    options = dict(_cpu_client_options)
    options.setdefault("num_devices", num_cpu_devices())
    return xc.make_cpu_client(**options)
  return _make_plugin_client(platform)


def _requested_platforms():
  """The platforms to try, in order: from config/env, else every platform."""
  names = config.jax_platforms
  if not names:
    return None
  out = []
  for name in str(names).split(","):
    name = name.strip().lower()
    if not name:
      continue
    if name in _ALIASES:
      out.extend(_ALIASES[name])
    elif name in _PRIORITY:
      out.append(name)
    else:
      raise ValueError(UNKNOWN_PLATFORM_MESSAGE.format(name=name))
  return out


def get_client(platform=None):
  """The PJRT client for `platform` (created once), or the default one."""
  global _default_client
  if platform is None:
    if _default_client is None:
      _default_client = _choose_default_client()
    return _default_client
  platform = platform.lower()
  if platform in _ALIASES:
    errors = []
    for p in _ALIASES[platform]:
      try:
        return get_client(p)
      except RuntimeError as e:
        errors.append(str(e))
    raise RuntimeError(NO_PLUGIN_MESSAGE.format(
        platform=platform, package=_PLUGINS["cuda"][0][2]))
  if platform not in _PRIORITY:
    raise ValueError(UNKNOWN_PLATFORM_MESSAGE.format(name=platform))
  with _lock:
    client = _clients.get(platform)
    if client is None:
      client = _clients[platform] = _make_client(platform)
  return client


def _choose_default_client():
  requested = _requested_platforms()
  if requested is not None:
    # Explicitly requested platforms must work; the first that does wins,
    # and if none does, the error of the first is the one users need.
    first_error = None
    for platform in requested:
      try:
        return get_client(platform)
      except RuntimeError as e:
        first_error = first_error or e
    raise first_error
  for platform in _PRIORITY:
    if platform != "cpu" and _find_plugin_library(platform) is None:
      continue
    try:
      return get_client(platform)
    except RuntimeError:
      continue
  return get_client("cpu")


def default_backend():
  """The platform name of the default backend: 'cpu', 'gpu' or 'tpu'."""
  platform = get_client().platform
  return "gpu" if platform in ("cuda", "rocm") else platform


def devices(backend=None):
  """All devices of `backend` (default: the default backend)."""
  return get_client(backend).devices()


def local_devices(process_index=None, backend=None):
  """The devices attached to this process (or to `process_index`)."""
  client = get_client(backend)
  if process_index is None:
    return client.local_devices()
  return [d for d in client.devices() if d.process_index == process_index]


def device_count(backend=None):
  return len(devices(backend))


def local_device_count(backend=None):
  return len(local_devices(backend=backend))


def default_device():
  device = config.jax_default_device
  if device is not None:
    return device
  return get_client().local_devices()[0]


def process_index(backend=None):
  """This process's index among the processes of a distributed run (0
  when there is one process)."""
  return get_client(backend).process_index()


def process_count(backend=None):
  """How many processes share the devices (1 unless distributed.initialize
  ran)."""
  return len({d.process_index for d in devices(backend)})
