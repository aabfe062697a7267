"""Pytrees <-> the JSON tree of a checkpoint's metadata, and target matching.

The metadata tree keeps containers (dicts, lists, tuples, named tuples,
registered nodes), None, Python scalars and strings inline; each array leaf
is a `{"t": "array", "i": n}` reference into the metadata's list of leaves.
"""

import numpy as np

import morphax
from morphax import tree_util

from . import errors


def _is_namedtuple(x):
  return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_array_leaf(x):
  """Whether `x` is saved as an array file (Arrays, numpy arrays and scalars)."""
  return isinstance(x, (morphax.Array, np.ndarray, np.generic))


def keystr(key):
  """A key path (list of entries) as JAX prints it: ['params'][0].field."""
  return "".join(key) if key else "<root>"


def _dict_key_entry(k):
  return f"[{k!r}]"


_SCALARS = {bool: "bool", int: "int", float: "float", complex: "complex"}


def encode(tree, leaves, key=()):
  """The JSON node of `tree`; array leaves are appended to `leaves` as (key, leaf)."""
  if tree is None:
    return {"t": "none"}
  if isinstance(tree, str):
    return {"t": "str", "v": tree}
  if type(tree) in _SCALARS:
    value = [tree.real, tree.imag] if isinstance(tree, complex) else tree
    return {"t": "scalar", "py": _SCALARS[type(tree)], "v": value}
  if is_array_leaf(tree):
    leaves.append((key, tree))
    return {"t": "array", "i": len(leaves) - 1}
  if _is_namedtuple(tree):
    fields = list(type(tree)._fields)
    return {"t": "namedtuple", "name": type(tree).__name__, "k": fields,
            "c": [encode(v, leaves, key + (f".{f}",)) for f, v in zip(fields, tree)]}
  if isinstance(tree, (list, tuple)):
    return {"t": type(tree).__name__ if type(tree) in (list, tuple) else "list",
            "c": [encode(v, leaves, key + (f"[{i}]",)) for i, v in enumerate(tree)]}
  if isinstance(tree, dict):
    keys = list(tree)
    for k in keys:
      if type(k) not in (str, int):
        raise TypeError(errors.UNSUPPORTED_KEY.format(
            key=keystr(key), dict_key=k, type=type(k).__name__))
    return {"t": "dict", "k": keys, "kt": ["s" if isinstance(k, str) else "i" for k in keys],
            "c": [encode(tree[k], leaves, key + (_dict_key_entry(k),)) for k in keys]}
  if tree_util.is_tree_node(type(tree)):
    children, _ = tree_util.flatten_one_level_with_keys(tree)
    names = [str(k) for k, _ in children]
    return {"t": "node", "name": type(tree).__name__, "k": names,
            "c": [encode(c, leaves, key + (n,)) for n, (_, c) in zip(names, children)]}
  raise TypeError(errors.UNSUPPORTED_LEAF.format(key=keystr(key), type=type(tree).__name__))


def _dict_keys(node):
  if node["t"] == "dict":
    return [k if t == "s" else int(k) for k, t in zip(node["k"], node["kt"])]
  return list(node["k"])


def decode_scalar(node):
  """The Python value of a `scalar` node."""
  value = node["v"]
  if node["py"] == "complex":
    return complex(value[0], value[1])
  return {"bool": bool, "int": int, "float": float}[node["py"]](value)


def decode(node, load, key=()):
  """Rebuilds a tree from its JSON node alone; `load(i, key)` gives leaf i.

  Named tuples and registered nodes come back as dicts (their types are not
  stored: nothing in a checkpoint names code to run).
  """
  t = node["t"]
  if t == "none":
    return None
  if t == "str":
    return node["v"]
  if t == "scalar":
    return decode_scalar(node)
  if t == "array":
    return load(node["i"], key)
  if t in ("list", "tuple"):
    children = [decode(c, load, key + (f"[{i}]",)) for i, c in enumerate(node["c"])]
    return children if t == "list" else tuple(children)
  keys = _dict_keys(node)
  entry = (lambda k: f".{k}") if t == "namedtuple" else _dict_key_entry
  return {k: decode(c, load, key + (entry(k),)) for k, c in zip(keys, node["c"])}


def _describe(node):
  t = node["t"]
  if t in ("dict", "namedtuple", "node"):
    return f"a {t} with keys {_dict_keys(node)}"
  if t in ("list", "tuple"):
    return f"a {t} of length {len(node['c'])}"
  if t == "array":
    return "an array"
  return f"a {t}"


def _target_kind(target):
  if _is_namedtuple(target):
    return f"a namedtuple with keys {list(type(target)._fields)}"
  if isinstance(target, dict):
    return f"a dict with keys {list(target)}"
  if isinstance(target, (list, tuple)):
    return f"a {type(target).__name__} of length {len(target)}"
  if isinstance(target, morphax.ShapeDtypeStruct) or is_array_leaf(target):
    return "an array"
  return f"a {type(target).__name__}"


def match(node, target, load, path, key=()):
  """Rebuilds `target`'s structure from checkpoint node `node`.

  Dicts (and named tuples) in the target may leave keys out: that restores a
  sub-tree. `load(i, target_leaf, key)` gives array leaf i.
  """
  def mismatch():
    return errors.TargetMismatchError(errors.TARGET_STRUCTURE.format(
        path=path, key=keystr(key), saved=_describe(node), given=_target_kind(target)))

  t = node["t"]
  if target is None:
    return None
  if isinstance(target, morphax.ShapeDtypeStruct) or is_array_leaf(target):
    if t != "array":
      raise mismatch()
    return load(node["i"], target, key)
  if isinstance(target, str) or type(target) in _SCALARS:
    if t == "scalar":
      return decode_scalar(node)
    if t == "str":
      return node["v"]
    raise mismatch()
  if isinstance(target, dict) or _is_namedtuple(target):
    if t not in ("dict", "namedtuple", "node"):
      raise mismatch()
    saved = dict(zip(_dict_keys(node), node["c"]))
    named = _is_namedtuple(target)
    items = zip(type(target)._fields, target) if named else target.items()
    out = {}
    for k, v in items:
      entry = f".{k}" if named else _dict_key_entry(k)
      if k not in saved:
        raise errors.TargetMismatchError(errors.TARGET_MISSING_KEY.format(
            key=keystr(key + (entry,)), path=path, available=list(saved)))
      out[k] = match(saved[k], v, load, path, key + (entry,))
    return type(target)(**out) if named else type(target)(out) if type(target) is not dict else out
  if isinstance(target, (list, tuple)):
    if t not in ("list", "tuple") or len(node["c"]) != len(target):
      raise mismatch()
    children = [match(c, v, load, path, key + (f"[{i}]",))
                for i, (c, v) in enumerate(zip(node["c"], target))]
    return type(target)(children)
  if tree_util.is_tree_node(type(target)):
    if t not in ("node", "dict", "namedtuple"):
      raise mismatch()
    saved = dict(zip([str(k) for k in _dict_keys(node)], node["c"]))
    children, _ = tree_util.flatten_one_level_with_keys(target)
    new = []
    for k, child in children:
      name = str(k)
      if name not in saved:
        raise errors.TargetMismatchError(errors.TARGET_MISSING_KEY.format(
            key=keystr(key + (name,)), path=path, available=list(saved)))
      new.append(match(saved[name], child, load, path, key + (name,)))
    treedef = tree_util.tree_structure(target, is_leaf=lambda x: x is not target)
    return tree_util.tree_unflatten(treedef, new)
  raise errors.TargetMismatchError(errors.BAD_TARGET_LEAF.format(
      key=keystr(key), type=type(target).__name__))
