"""Pytrees on jaxlib's C++ registry: flatten, unflatten and map.

morphax keeps its own registry so its node types never clash with another
framework loaded in the same process.
"""

import collections

from jaxlib import _jax

_pytree = _jax.pytree
PyTreeDef = _pytree.PyTreeDef

registry = _pytree.PyTreeRegistry(
    enable_none=True, enable_tuple=True, enable_namedtuple=True,
    enable_list=True, enable_dict=True)

registry.register_node(
    collections.OrderedDict,
    lambda d: (tuple(d.values()), tuple(d.keys())),
    lambda keys, values: collections.OrderedDict(zip(keys, values)))
registry.register_node(
    collections.defaultdict,
    lambda d: (tuple(d[k] for k in sorted(d)), (d.default_factory, tuple(sorted(d)))),
    lambda aux, values: collections.defaultdict(aux[0], zip(aux[1], values)))


def tree_flatten(tree, is_leaf=None):
  """(leaves, treedef) of `tree`; `is_leaf(x)` stops the walk at x."""
  return registry.flatten(tree, is_leaf)


def tree_unflatten(treedef, leaves):
  return treedef.unflatten(leaves)


def tree_leaves(tree, is_leaf=None):
  return registry.flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
  return registry.flatten(tree, is_leaf)[1]


def tree_map(f, tree, *rest, is_leaf=None):
  """Applies `f` leafwise to `tree` and the trees in `rest` (same structure)."""
  leaves, treedef = registry.flatten(tree, is_leaf)
  all_leaves = [leaves] + [treedef.flatten_up_to(r) for r in rest]
  return treedef.unflatten(f(*xs) for xs in zip(*all_leaves))
