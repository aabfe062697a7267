"""The variable store and rng streams of one init/apply call.

`init`/`apply` build one `Store` (variables, mutability, rngs) and hand each
bound module a `Scope`: a path into that store. Nothing here is global.
"""

import zlib

import numpy as np

import morphax
import morphax_rng

from .errors import (InvalidRngError, ModifyScopeVariableError,
                     ScopeCollectionNotFound, ScopeParamNotFoundError)

MISSING_RNG = (
    'Module "{path}" needs a PRNG key for the rng stream "{name}", but the '
    'rngs given to init()/apply() hold only {have}. Pass it, e.g. '
    'model.apply(variables, x, rngs={{"{name}": key}}).')
COLLECTION_EMPTY = (
    'Tried to access "{name}" from collection "{col}" in "{path}" but the '
    'collection is empty. Did you pass the variables returned by init() '
    '(a dict like {{"params": ...}}) to apply()?')
PARAM_NOT_FOUND = (
    'Could not find parameter named "{name}" in scope "{path}". The params '
    'tree given to apply() has, here, only: {have}. Is the params tree the '
    'one this model\'s init() produced?')
IMMUTABLE = (
    'Cannot update variable "{name}" in "{path}" because collection "{col}" '
    'is immutable. Pass mutable=["{col}"] to apply() to allow it.')
BAD_RNG = (
    'rngs must be a PRNG key (uint32[2], from morphax_rng.PRNGKey) or a dict '
    'of them keyed by stream name; got {what}.')


class DenyList:
  """A mutability filter matching every collection except `deny`."""

  def __init__(self, deny):
    self.deny = deny

  def __repr__(self):
    return f'DenyList(deny={self.deny!r})'


def in_filter(filter_, col):
  """Whether collection `col` matches a filter (bool, str, list or DenyList)."""
  if isinstance(filter_, bool):
    return filter_
  if isinstance(filter_, str):
    return col == filter_
  if isinstance(filter_, DenyList):
    return not in_filter(filter_.deny, col)
  return col in filter_


def path_str(path):
  """'/a/b' for the path ('a', 'b'); '/' for the root."""
  return '/' + '/'.join(path)


def copy_tree(tree):
  """A copy of the nested dicts of `tree` (leaves are shared)."""
  if isinstance(tree, dict) or type(tree).__name__ == 'FrozenDict':
    return {k: copy_tree(v) for k, v in tree.items()}
  return tree


def _is_key(x):
  shape = getattr(x, 'shape', None)
  return shape is not None and (tuple(shape)[-1:] == (2,) or
                                'key' in str(getattr(x, 'dtype', '')))


def normalize_rngs(rngs):
  """A dict of named streams from a key or a dict of keys."""
  if rngs is None:
    return {}
  if isinstance(rngs, dict):
    for name, key in rngs.items():
      if not _is_key(key):
        raise TypeError(BAD_RNG.format(what=f'rngs[{name!r}] = {key!r}'))
    return dict(rngs)
  if _is_key(rngs):
    return {'params': rngs}
  raise TypeError(BAD_RNG.format(what=repr(rngs)))


def _name_hash(name):
  return zlib.crc32(name.encode()) & 0x7fffffff


class Store:
  """Everything one init/apply shares: variables, mutability, rngs, hooks."""

  def __init__(self, variables, rngs, mutable, initializing=False,
               capture=False, prefix=()):
    self.variables = copy_tree(variables)
    self.prefix = tuple(prefix)     # where a lifted transform's body sits
    self.rngs = normalize_rngs(rngs)
    self.mutable = mutable
    self.initializing = initializing
    self.capture = capture          # capture_intermediates filter
    self.rng_counters = {}
    self.call_log = None            # a list when tabulate() records calls

  def is_mutable(self, col):
    return in_filter(self.mutable, col)

  def mutated(self):
    """The collections that are mutable, as returned by apply(mutable=...)."""
    return {col: tree for col, tree in self.variables.items()
            if self.is_mutable(col)}


class Scope:
  """A path into a `Store`: where one module keeps its variables."""

  def __init__(self, store, path=()):
    self.store = store
    self.path = tuple(path)

  def child(self, name):
    return Scope(self.store, self.path + (name,))

  @property
  def full_path(self):
    """The path from the model's root (through lifted transforms)."""
    return self.store.prefix + self.path

  def __repr__(self):
    return f'Scope({path_str(self.full_path)})'

  # variables
  def _node(self, col, create=False):
    tree = self.store.variables.get(col)
    if tree is None:
      if not create:
        return None
      tree = self.store.variables[col] = {}
    for name in self.path:
      sub = tree.get(name)
      if sub is None:
        if not create:
          return None
        sub = tree[name] = {}
      elif not isinstance(sub, dict):
        sub = tree[name] = copy_tree(sub)
      tree = sub
    return tree

  def collection(self, col):
    """This scope's subtree of collection `col` ({} when absent)."""
    return self._node(col) or {}

  def has(self, col, name):
    node = self._node(col)
    return node is not None and name in node

  def get(self, col, name):
    node = self._node(col)
    if node is None or name not in node:
      if not self.store.variables.get(col):
        raise ScopeCollectionNotFound(COLLECTION_EMPTY.format(
            name=name, col=col, path=path_str(self.full_path)))
      have = sorted(node) if node else []
      raise ScopeParamNotFoundError(PARAM_NOT_FOUND.format(
          name=name, path=path_str(self.full_path), have=have))
    return node[name]

  def put(self, col, name, value):
    if not self.store.is_mutable(col):
      raise ModifyScopeVariableError(IMMUTABLE.format(
          name=name, col=col, path=path_str(self.full_path)))
    self._node(col, create=True)[name] = value

  def is_mutable(self, col):
    return self.store.is_mutable(col)

  def replace_collection(self, col, tree):
    """Sets this scope's whole subtree of `col` (used by lifted transforms)."""
    if not self.path:
      self.store.variables[col] = tree
      return
    parent = Scope(self.store, self.path[:-1])._node(col, create=True)
    parent[self.path[-1]] = tree

  # rngs
  def has_rng(self, name):
    return name in self.store.rngs

  def make_rng(self, name):
    """A fresh key for stream `name`: the stream's key folded with this
    scope's path and a per-(path, stream) call counter."""
    if name not in self.store.rngs:
      raise InvalidRngError(MISSING_RNG.format(
          path=path_str(self.full_path), name=name,
          have=sorted(self.store.rngs) or 'no streams'))
    counter_key = (self.path, name)
    count = self.store.rng_counters.get(counter_key, 0)
    self.store.rng_counters[counter_key] = count + 1
    key = self.store.rngs[name]
    for part in self.path:
      key = morphax_rng.fold_in(key, _name_hash(part))
    return morphax_rng.fold_in(key, count)


def dummy_key_struct():
  """The shape/dtype of a raw key, for eval_shape of an initializer."""
  return morphax.ShapeDtypeStruct((2,), np.uint32)


__all__ = ['DenyList', 'Scope', 'Store', 'in_filter', 'path_str']
