"""Process-wide configuration flags, read from the environment at import.

`morphax.config.update("jax_enable_x64", True)` works as in JAX.
"""

import os

# jaxlib's C++ side logs `I...` lines at client creation. Keep the user's
# terminal clean unless they asked otherwise; this must run before jaxlib
# loads, which is why morphax/__init__.py imports this module first.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

_TRUE = ("1", "true", "yes", "on")


def _env_flag(name, default=False):
  value = os.environ.get(name)
  if value is None:
    return default
  return value.strip().lower() in _TRUE


class Config:
  """Holds the flags users may change. Reads are plain attribute loads."""

  _NAMES = ("jax_enable_x64", "jax_platforms", "jax_default_device",
            "jax_explain_cache_misses", "jax_log_compiles", "jax_debug_nans",
            "jax_debug_infs", "jax_disable_jit")
  _BOOLS = ("jax_enable_x64", "jax_explain_cache_misses", "jax_log_compiles",
            "jax_debug_nans", "jax_debug_infs", "jax_disable_jit")

  def __init__(self):
    self.jax_enable_x64 = _env_flag("MORPHAX_ENABLE_X64")
    self.jax_explain_cache_misses = _env_flag("MORPHAX_EXPLAIN_CACHE_MISSES")
    self.jax_log_compiles = _env_flag("MORPHAX_LOG_COMPILES")
    self.jax_debug_nans = _env_flag("MORPHAX_DEBUG_NANS")
    self.jax_debug_infs = _env_flag("MORPHAX_DEBUG_INFS")
    self.jax_disable_jit = _env_flag("MORPHAX_DISABLE_JIT")
    self.jax_platforms = os.environ.get("MORPHAX_PLATFORMS") or None
    self.jax_default_device = None

  def update(self, name, value):
    """Sets flag `name` (JAX's flag names) to `value`."""
    if name not in self._NAMES:
      raise ValueError(
          f"config.update: unknown flag {name!r}; known flags are "
          f"{', '.join(self._NAMES)}")
    if name in self._BOOLS:
      value = bool(value)
    setattr(self, name, value)

  def read(self, name):
    if name not in self._NAMES:
      raise ValueError(f"config.read: unknown flag {name!r}")
    return getattr(self, name)

  @property
  def x64_enabled(self):
    return self.jax_enable_x64


config = Config()
