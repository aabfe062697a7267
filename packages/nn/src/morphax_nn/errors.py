"""Error types of morphax_nn, named like flax.errors' so handlers port.

Each is a plain exception class; messages are built where they are raised.
"""


class FlaxError(Exception):
  """Base of every morphax_nn error."""


class ScopeCollectionNotFound(FlaxError, KeyError):
  """A variable was read from a collection that apply() was not given."""

  def __str__(self):
    return self.args[0] if self.args else ''


class ScopeParamNotFoundError(FlaxError, KeyError):
  """A parameter is missing from the params tree given to apply()."""

  def __str__(self):
    return self.args[0] if self.args else ''


class ScopeParamShapeError(FlaxError, ValueError):
  """An existing parameter's shape differs from what the module expects."""


class ScopeVariableNotFoundError(FlaxError, KeyError):
  """A variable is missing and its collection is immutable."""

  def __str__(self):
    return self.args[0] if self.args else ''


class ModifyScopeVariableError(FlaxError, ValueError):
  """A variable of an immutable collection was written."""


class InvalidRngError(FlaxError, ValueError):
  """A module asked for an rng stream that init/apply was not given."""


class NameInUseError(FlaxError, ValueError):
  """Two params, variables or submodules of one module share a name."""


class CallCompactUnboundModuleError(FlaxError, RuntimeError):
  """A module's method that needs variables was called without init/apply."""


class SetAttributeFrozenModuleError(FlaxError, AttributeError):
  """An attribute of a module was set outside setup()."""


class ApplyScopeInvalidVariablesStructureError(FlaxError, TypeError):
  """apply() was given variables that are not {collection: tree}."""
