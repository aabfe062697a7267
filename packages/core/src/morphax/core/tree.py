"""Pytrees on jaxlib's C++ registry: flatten, unflatten, map, key paths, registration.

morphax keeps its own registry so its node types never clash with another
framework loaded in the same process. `morphax.tree_util` and `morphax.tree`
re-export this module under JAX's public names.
"""

import collections
import dataclasses
import functools
import operator
from collections.abc import Hashable
from typing import TypeVar

from jaxlib import _jax

_pytree = _jax.pytree
PyTreeDef = _pytree.PyTreeDef

# Key entries of a key path: `keystr` prints them as ['a'], [0], .x, [<flat index 0>].
DictKey = _pytree.DictKey
SequenceKey = _pytree.SequenceKey
GetAttrKey = _pytree.GetAttrKey
FlattenedIndexKey = _pytree.FlattenedIndexKey
KeyEntry = TypeVar("KeyEntry", bound=Hashable)  # the four above, or a user's own
KeyPath = tuple[KeyEntry, ...]                   # root first

registry = _pytree.PyTreeRegistry(
    enable_none=True, enable_tuple=True, enable_namedtuple=True,
    enable_list=True, enable_dict=True)
# A name to pickle the registry by reference: a pickled PyTreeDef names it.
registry.__module__ = __name__
registry.__name__ = "registry"

TREE_MISMATCH_MESSAGE = (
    "{name}: pytree structure mismatch between {first} and {which} at key path "
    "{path}: {detail}.\n"
    "  {first} has structure {expected}\n"
    "  {which} has structure {got}\n"
    "Each tree after the first must have the first tree's structure, or have it "
    "as a prefix (a leaf of the first tree matches any subtree), e.g. "
    "tree_map(f, [1, 2], [x, {{'a': y}}]) but not tree_map(f, [1, 2], [x]).")

TRANSPOSE_MISMATCH_MESSAGE = (
    "tree_transpose: the tree to transpose has structure\n  {got}\n"
    "but outer_treedef composed with inner_treedef is\n  {expected}\n"
    "({outer} outer leaves x {inner} inner leaves = {want} leaves; got {have}).")

DATACLASS_FIELDS_BOTH_MESSAGE = (
    "register_dataclass: give both data_fields and meta_fields, or neither "
    "(then they come from a dataclass's fields); got data_fields={data!r}, "
    "meta_fields={meta!r}.")

DATACLASS_NOT_DATACLASS_MESSAGE = (
    "register_dataclass: data_fields and meta_fields are required when nodetype "
    "is not a dataclass; got nodetype={nodetype!r}. Decorate it with "
    "@dataclasses.dataclass first, or pass "
    "register_dataclass(nodetype, data_fields=[...], meta_fields=[...]).")

DATACLASS_FIELDS_MESSAGE = (
    "register_dataclass: data_fields and meta_fields must name every field of "
    "{nodetype} with init=True, and only those.{missing}{unexpected}")

DATACLASS_OVERLAP_MESSAGE = (
    "register_dataclass: data_fields and meta_fields overlap in {overlap}; a field "
    "is either data (a pytree of arrays) or meta (static, hashable), not both.")

REDUCE_EMPTY_MESSAGE = (
    "tree_reduce_associative: the tree has no leaves and no identity was given; "
    "pass identity=..., e.g. tree_reduce_associative(operator.add, tree, identity=0).")


class _Unspecified:
  """Default of an optional argument that may legitimately be None."""

  def __repr__(self):
    return "<unspecified>"


_UNSPECIFIED = _Unspecified()


# --- Flatten, unflatten, map -----------------------------------------------------

def tree_flatten(tree, is_leaf=None):
  """Flattens a pytree into its leaves and its structure.

  Args:
    tree: a pytree: nested tuples, lists, dicts, None (a node with no children)
      and registered nodes; anything else is a leaf.
    is_leaf: optional predicate; where it returns True the walk stops and the
      whole subtree is one leaf.

  Returns:
    `(leaves, treedef)`, e.g. `tree_flatten([1, (2, None)])` is
    `([1, 2], PyTreeDef([*, (*, None)]))`.
  """
  return registry.flatten(tree, is_leaf)


def tree_unflatten(treedef, leaves):
  """Rebuilds a pytree of structure `treedef` from an iterable of `leaves`.

  Example: `tree_unflatten(tree_structure([1, (2, 3)]), 'abc')` is
  `['a', ('b', 'c')]`.
  """
  return treedef.unflatten(leaves)


def tree_leaves(tree, is_leaf=None):
  """The leaves of `tree`, in flattening order (dicts by sorted key)."""
  return registry.flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
  """The PyTreeDef of `tree`, e.g. `PyTreeDef({'a': *, 'b': [*, None]})`."""
  return registry.flatten(tree, is_leaf)[1]


def tree_map(f, tree, *rest, is_leaf=None):
  """Applies `f` leafwise to `tree` and the trees in `rest`.

  Args:
    f: a function of `1 + len(rest)` arguments.
    tree: the pytree whose structure the result takes.
    *rest: pytrees with `tree`'s structure, or with `tree` as a prefix: where
      `tree` has a leaf, the matching subtree of each of `rest` is passed whole.
    is_leaf: optional predicate marking subtrees of `tree` as leaves.

  Returns:
    A pytree like `tree` with `f(x, *xs)` at each leaf, e.g.
    `tree_map(lambda x, y: x + y, {'a': 1}, {'a': 10})` is `{'a': 11}`.

  Raises:
    ValueError: a tree in `rest` does not have `tree`'s structure; the
      message gives the key path of the first difference and both structures.
  """
  leaves, treedef = registry.flatten(tree, is_leaf)
  rest_leaves = _flatten_rest("tree_map", tree, treedef, rest, _with_path(is_leaf))
  return treedef.unflatten(f(*xs) for xs in zip(leaves, *rest_leaves))


def _with_path(is_leaf):
  """`is_leaf(x)` as a predicate `(path, x) -> bool`, as flatten_with_path takes."""
  return None if is_leaf is None else (lambda _, x: is_leaf(x))


def _flatten_rest(name, tree, treedef, rest, is_leaf_with_path, first="tree",
                  which="rest[{}]"):
  """Each of `rest` flattened up to `treedef`, or a ValueError naming the difference."""
  out = []
  for i, other in enumerate(rest):
    try:
      out.append(treedef.flatten_up_to(other))
    except Exception as e:  # the C++ message lacks the key path: find it
      found = _first_difference((), tree, other, is_leaf_with_path)
      if found is None:
        raise
      path, detail = found
      raise ValueError(TREE_MISMATCH_MESSAGE.format(
          name=name, first=first, which=which.format(i), path=keystr(path) or "() (the root)",
          detail=detail, expected=treedef, got=registry.flatten(other)[1])) from e
  return out


def _first_difference(path, prefix, full, is_leaf):
  """(key path, description) of the first place `prefix` is no prefix of `full`."""
  if is_leaf is not None and is_leaf(path, prefix):
    return None
  if registry.flatten_one_level(prefix) is None:  # a leaf matches any subtree
    return None
  if type(prefix) is not type(full):
    return path, f"{_describe(prefix)} vs {_describe(full)}"
  p_children, p_meta = registry.flatten_one_level_with_keys(prefix)
  f_children, f_meta = registry.flatten_one_level_with_keys(full)
  p_children, f_children = list(p_children), list(f_children)
  p_keys = [k for k, _ in p_children]
  f_keys = [k for k, _ in f_children]
  if len(p_children) != len(f_children) or p_keys != f_keys:
    return path, f"{_describe(prefix)} vs {_describe(full)}"
  if p_meta != f_meta:
    return path, (f"{type(prefix).__name__} nodes with different metadata: "
                  f"{p_meta!r} vs {f_meta!r}")
  for (key, p_child), (_, f_child) in zip(p_children, f_children):
    found = _first_difference((*path, key), p_child, f_child, is_leaf)
    if found is not None:
      return found
  return None


def _describe(x):
  """A short description of a subtree's root for mismatch messages."""
  if x is None:
    return "None"
  if isinstance(x, (list, tuple)):
    return f"{type(x).__name__} of length {len(x)}"
  if isinstance(x, dict):
    return f"{type(x).__name__} with keys {sorted(x, key=repr)!r}"
  flat = registry.flatten_one_level(x)
  if flat is None:
    return f"leaf of type {type(x).__name__}"
  return f"{type(x).__name__} with {len(list(flat[0]))} children"


def tree_reduce(function, tree, initializer=_UNSPECIFIED, is_leaf=None):
  """`functools.reduce(function, leaves[, initializer])` over the leaves of `tree`.

  Example: `tree_reduce(operator.add, [1, (2, 3)])` is 6.
  """
  leaves = registry.flatten(tree, is_leaf)[0]
  if initializer is _UNSPECIFIED:
    return functools.reduce(function, leaves)
  return functools.reduce(function, leaves, initializer)


def tree_reduce_associative(operation, tree, *, identity=_UNSPECIFIED, is_leaf=None):
  """Reduces the leaves of `tree` with an associative `operation`, as a balanced tree.

  The pairing has logarithmic depth, e.g. `op(op(a, b), op(c, d))`;
  `identity` is returned for a tree with no leaves.
  """
  leaves = registry.flatten(tree, is_leaf)[0]
  if not leaves:
    if identity is _UNSPECIFIED:
      raise TypeError(REDUCE_EMPTY_MESSAGE)
    return identity

  def reduce(lo, hi):
    if hi - lo == 1:
      return leaves[lo]
    mid = (lo + hi) // 2
    return operation(reduce(lo, mid), reduce(mid, hi))
  return reduce(0, len(leaves))


def tree_all(tree, *, is_leaf=None):
  """`all(leaves)`: True when every leaf of `tree` is truthy."""
  return all(registry.flatten(tree, is_leaf)[0])


def tree_broadcast(prefix_tree, full_tree, is_leaf=None):
  """Repeats each leaf of `prefix_tree` over the matching subtree of `full_tree`.

  Example: `tree_broadcast([1, 2], [(0, 0), 0])` is `[(1, 1), 2]`.
  """
  leaves, prefix_def = registry.flatten(prefix_tree, is_leaf)
  full_def = registry.flatten(full_tree)[1]
  subtrees = _flatten_rest("tree_broadcast", prefix_tree, prefix_def, [full_tree],
                           _with_path(is_leaf), "prefix_tree", "full_tree")[0]
  out = []
  for leaf, sub in zip(leaves, subtrees):
    out.extend([leaf] * registry.flatten(sub)[1].num_leaves)
  return full_def.unflatten(out)


def tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose):
  """Turns a tree of structure outer(inner) into one of structure inner(outer).

  Args:
    outer_treedef: the structure of the outer level.
    inner_treedef: the structure of each inner subtree; None infers it from the
      first one.
    pytree_to_transpose: a pytree of structure `outer_treedef.compose(inner_treedef)`.

  Example: `tree_transpose(tree_structure([0, 0]), tree_structure((0, 0)),
  [(1, 2), (3, 4)])` is `([1, 3], [2, 4])`.
  """
  leaves, treedef = registry.flatten(pytree_to_transpose)
  if inner_treedef is None:
    inner_treedef = registry.flatten(
        outer_treedef.flatten_up_to(pytree_to_transpose)[0])[1]
  n_inner, n_outer = inner_treedef.num_leaves, outer_treedef.num_leaves
  # NB: like JAX, only the leaf count is checked: inner subtrees of other
  # structures with as many leaves are accepted.
  if treedef.num_leaves != n_inner * n_outer:
    raise TypeError(TRANSPOSE_MISMATCH_MESSAGE.format(
        got=treedef, expected=outer_treedef.compose(inner_treedef), outer=n_outer,
        inner=n_inner, want=n_inner * n_outer, have=treedef.num_leaves))
  columns = [outer_treedef.unflatten(leaves[j::n_inner]) for j in range(n_inner)]
  return inner_treedef.unflatten(columns)


# --- Structures --------------------------------------------------------------------

def treedef_is_leaf(treedef):
  """True when `treedef` has a single node: a leaf, or an empty node such as None."""
  return treedef.num_nodes == 1


def treedef_children(treedef):
  """The treedefs of the root's children, e.g. `[PyTreeDef(*), PyTreeDef([*])]`."""
  return treedef.children()


def treedef_tuple(treedefs):
  """The treedef of a tuple whose children have structures `treedefs`."""
  return _pytree.treedef_tuple(registry, list(treedefs))


def build_tree(treedef, xs):
  """Builds a tree of structure `treedef` from nested iterables `xs` (one per node).

  Example: for `treedef = tree_structure([(1, 2), {'a': 3}])`,
  `build_tree(treedef, [[10, 11], [12]])` is `[(10, 11), {'a': 12}]`.
  """
  return treedef.from_iterable_tree(xs)


def all_leaves(iterable, is_leaf=None):
  """True when every element of `iterable` is a leaf (flattens to itself)."""
  if is_leaf is None:
    return _pytree.all_leaves(registry, iterable)
  items = list(iterable)
  leaves = registry.flatten(items, is_leaf)[0]
  return len(leaves) == len(items) and all(a is b for a, b in zip(items, leaves))


def is_tree_node(typ):
  """True when instances of `typ` are pytree nodes (built in, registered or namedtuple)."""
  return registry.is_node(typ)


def flatten_one_level(tree):
  """(children, aux data) of a pytree node, one level deep; ValueError for a leaf."""
  out = registry.flatten_one_level(tree)
  if out is None:
    raise ValueError(f"flatten_one_level: can't tree-flatten type {type(tree)}: "
                     "it is a leaf, not a pytree node.")
  return out


def flatten_one_level_with_keys(tree):
  """([(key, child), ...], aux data) of a pytree node; ValueError for a leaf."""
  out = registry.flatten_one_level_with_keys(tree)
  if out is None:
    raise ValueError(f"flatten_one_level_with_keys: can't tree-flatten type "
                     f"{type(tree)}: it is a leaf, not a pytree node.")
  return out


# --- Key paths ----------------------------------------------------------------------

def tree_flatten_with_path(tree, is_leaf=None, is_leaf_takes_path=False):
  """Flattens like `tree_flatten`, pairing each leaf with its key path.

  Args:
    tree: a pytree; custom nodes registered without keys give FlattenedIndexKey.
    is_leaf: optional predicate `is_leaf(x)`, or `is_leaf(path, x)` when
      `is_leaf_takes_path`.

  Returns:
    `([(path, leaf), ...], treedef)`, e.g. for `[1, {'x': 3}]`:
    `[((SequenceKey(idx=0),), 1), ((SequenceKey(idx=1), DictKey(key='x')), 3)]`.
  """
  predicate = is_leaf if is_leaf_takes_path else _with_path(is_leaf)
  return registry.flatten_with_path(tree, predicate)


def tree_leaves_with_path(tree, is_leaf=None, is_leaf_takes_path=False):
  """The `(key path, leaf)` pairs of `tree`, in flattening order."""
  return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def tree_map_with_path(f, tree, *rest, is_leaf=None, is_leaf_takes_path=False):
  """Like `tree_map`, but calls `f(path, x, *xs)` with each leaf's key path.

  Example: `tree_map_with_path(lambda p, x: keystr(p), {'a': [1]})` is
  `{'a': ["['a'][0]"]}`.
  """
  predicate = is_leaf if is_leaf_takes_path else _with_path(is_leaf)
  pairs, treedef = registry.flatten_with_path(tree, predicate)
  paths = [p for p, _ in pairs]
  leaves = [x for _, x in pairs]
  rest_leaves = _flatten_rest("tree_map_with_path", tree, treedef, rest, predicate)
  return treedef.unflatten(f(*xs) for xs in zip(paths, leaves, *rest_leaves))


def keystr(keys, *, simple=False, separator=""):
  """Prints a key path, e.g. `"['a'][0].x"`; `simple=True` gives `a0x` (ambiguous).

  Args:
    keys: a tuple of key entries (anything with a str).
    simple: print a bare key/index/name for the four built-in key types.
    separator: put between entries, e.g. `keystr(p, simple=True, separator='/')`
      gives `"a/0/x"`.
  """
  entry = _simple_entry if simple else str
  return separator.join(entry(k) for k in keys)


def _simple_entry(key):
  if isinstance(key, SequenceKey):
    return str(key.idx)
  if isinstance(key, (DictKey, FlattenedIndexKey)):
    return str(key.key)
  if isinstance(key, GetAttrKey):
    return str(key.name)
  return str(key)


# --- Registration -------------------------------------------------------------------

def register_pytree_node(nodetype, flatten_func, unflatten_func,
                         flatten_with_keys_func=None):
  """Makes instances of `nodetype` pytree nodes.

  Args:
    nodetype: the type to register (exactly this type; subclasses are leaves).
    flatten_func: `x -> (children, aux_data)`; aux_data must be hashable and
      comparable, it becomes part of the treedef.
    unflatten_func: `(aux_data, children) -> x`.
    flatten_with_keys_func: optional `x -> ([(key, child), ...], aux_data)` for
      key paths; without it children get FlattenedIndexKey(i).

  Raises:
    ValueError: `nodetype` is already registered.
  """
  registry.register_node(nodetype, flatten_func, unflatten_func,
                         flatten_with_keys_func)


def register_pytree_with_keys(nodetype, flatten_with_keys, unflatten_func,
                              flatten_func=None):
  """Registers `nodetype` with a flatten that names each child's key.

  Args:
    nodetype: the type to register.
    flatten_with_keys: `x -> ([(key, child), ...], aux_data)`.
    unflatten_func: `(aux_data, children) -> x`.
    flatten_func: optional faster `x -> (children, aux_data)` with the same
      order and aux data, used when no keys are needed.
  """
  if flatten_func is None:
    def flatten_func(x):
      pairs, aux = flatten_with_keys(x)
      return [child for _, child in pairs], aux
  register_pytree_node(nodetype, flatten_func, unflatten_func, flatten_with_keys)


def register_pytree_node_class(cls):
  """Class decorator: registers `cls` through its `tree_flatten` method and
  `tree_unflatten(aux_data, children)` classmethod. Returns `cls`."""
  register_pytree_node(cls, operator.methodcaller("tree_flatten"), cls.tree_unflatten)
  return cls


def register_pytree_with_keys_class(cls):
  """Class decorator: registers `cls` through `tree_flatten_with_keys` (and
  `tree_flatten` when defined) and `tree_unflatten`. Returns `cls`."""
  flatten = (operator.methodcaller("tree_flatten")
             if hasattr(cls, "tree_flatten") else None)
  register_pytree_with_keys(cls, operator.methodcaller("tree_flatten_with_keys"),
                            cls.tree_unflatten, flatten)
  return cls


def register_dataclass(nodetype, data_fields=None, meta_fields=None, drop_fields=()):
  """Registers a dataclass-like type: `data_fields` are children, `meta_fields` static.

  Args:
    nodetype: a type rebuilt by `nodetype(**fields)`.
    data_fields: names of the child fields (pytrees of arrays).
    meta_fields: names of the static fields (hashable; part of the treedef).
      Leave both None for a dataclass: fields marked
      `dataclasses.field(metadata=dict(static=True))` (see `morphax.tree.static`)
      are meta, the others data.
    drop_fields: dataclass fields left out of the pytree.

  Returns:
    `nodetype`, so it works as a decorator. Key paths name fields with GetAttrKey.
  """
  if data_fields is None or meta_fields is None:
    if (data_fields is None) != (meta_fields is None):
      raise TypeError(DATACLASS_FIELDS_BOTH_MESSAGE.format(data=data_fields,
                                                           meta=meta_fields))
    if not dataclasses.is_dataclass(nodetype):
      raise TypeError(DATACLASS_NOT_DATACLASS_MESSAGE.format(nodetype=nodetype))
    fields = [f for f in dataclasses.fields(nodetype) if f.name not in drop_fields]
    data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
    meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
  data_fields, meta_fields = tuple(data_fields), tuple(meta_fields)
  if dataclasses.is_dataclass(nodetype):
    init_fields = {f.name for f in dataclasses.fields(nodetype) if f.init}
    init_fields -= set(drop_fields)
    given = {*data_fields, *meta_fields}
    if given != init_fields:
      missing = init_fields - given
      unexpected = given - init_fields
      raise ValueError(DATACLASS_FIELDS_MESSAGE.format(
          nodetype=nodetype.__name__,
          missing=(f" Missing fields: {sorted(missing)} (list them in drop_fields "
                   "to leave them out)." if missing else ""),
          unexpected=f" Unexpected fields: {sorted(unexpected)}." if unexpected else ""))
  if overlap := set(data_fields) & set(meta_fields):
    raise ValueError(DATACLASS_OVERLAP_MESSAGE.format(overlap=sorted(overlap)))
  registry.register_dataclass_node(nodetype, list(data_fields), list(meta_fields))
  return nodetype


def register_static(cls):
  """Registers `cls` as a pytree with no leaves: instances live in the treedef,
  so `jit` treats them as static. Instances must be hashable. Returns `cls`."""
  register_pytree_with_keys(cls, lambda x: ((), x), lambda x, _: x)
  return cls


def static(**kwargs):
  """A `dataclasses.field(**kwargs)` marked static for `register_dataclass`."""
  metadata = dict(kwargs.pop("metadata", None) or {})
  metadata["static"] = True
  return dataclasses.field(metadata=metadata, **kwargs)


register_pytree_with_keys(
    collections.OrderedDict,
    lambda d: (tuple((DictKey(k), v) for k, v in d.items()), tuple(d)),
    lambda keys, values: collections.OrderedDict(zip(keys, values)))


def _defaultdict_flatten_with_keys(d):
  keys = tuple(sorted(d))
  return tuple((DictKey(k), d[k]) for k in keys), (d.default_factory, keys)


register_pytree_with_keys(
    collections.defaultdict, _defaultdict_flatten_with_keys,
    lambda aux, values: collections.defaultdict(aux[0], zip(aux[1], values)))


# --- Partial ---------------------------------------------------------------------------

class _StaticCallable:
  """Holds a functools.partial given to Partial, hashing and comparing as it does.

  NB: functools.partial(partial(f, a), b) merges into partial(f, a, b); for
  Partial that would turn the inner static arguments into leaves, so the inner
  partial is boxed and kept whole as Partial's static `func`.
  """
  __slots__ = ("fn",)

  def __init__(self, fn):
    self.fn = fn

  def __call__(self, *args, **kwargs):
    return self.fn(*args, **kwargs)

  def __hash__(self):
    return hash(self.fn)

  def __eq__(self, other):
    return self.fn == (other.fn if isinstance(other, _StaticCallable) else other)

  def __repr__(self):
    return repr(self.fn)


class Partial(functools.partial):
  """A functools.partial that is a pytree: its arguments are leaves, `func` is static.

  Pass a partially applied function through `jit`, `vmap` or `grad` as an
  argument: `Partial(jnp.add, 1)` flattens to the leaf 1 and a treedef holding
  `jnp.add`; `Partial(f)` with no arguments makes any function a valid argument.

  Example: `Partial(operator.add, 1)(2)` is 3, and
  `tree_leaves(Partial(f, x, scale=y))` is `[x, y]`.
  """

  def __new__(cls, func, *args, **kwargs):
    if isinstance(func, functools.partial):
      func = _StaticCallable(func)
    return super().__new__(cls, func, *args, **kwargs)


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, children: Partial(func, *children[0], **children[1]))
