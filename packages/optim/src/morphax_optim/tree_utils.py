"""Arithmetic on pytrees of arrays, and structure checks with clear errors.

Optax's `optax.tree` helpers (`tree_add`, `tree_scale`, `tree_l2_norm`, ...)
plus `check_same_structure`, which names the first key path that differs.
"""
import morphax.numpy as jnp
from morphax import tree_util as tu

from morphax_optim import _numerics

STRUCTURE_MISMATCH = (
    "{what}: the trees {a_name} and {b_name} differ at {where}: "
    "{a_name} has {a_desc} but {b_name} has {b_desc}. They must have the same "
    "structure (same dict keys, list lengths and node types); for example, "
    "initialise the optimizer with `opt.init(params)` on the same params you "
    "pass to `opt.update(grads, state, params)`, and return gradients for "
    "every leaf of params.")


def _describe(entries, i):
  if i >= len(entries):
    return "no leaf"
  return f"a leaf at {tu.keystr(entries[i][0]) or '<root>'}"


def check_same_structure(what, a_name, a, b_name, b, is_leaf=None):
  """Raises ValueError naming the first key path where trees a and b differ.

  Args:
    what: the operation, used as the error's prefix (e.g. "apply_updates").
    a_name, a: the first tree and how to call it in the message.
    b_name, b: the second tree and its name.
    is_leaf: optional leaf predicate, as in tree_map.

  Returns:
    None; raises ValueError when the structures differ.
  """
  if tu.tree_structure(a, is_leaf=is_leaf) == tu.tree_structure(b, is_leaf=is_leaf):
    return
  pa, _ = tu.tree_flatten_with_path(a, is_leaf=is_leaf)
  pb, _ = tu.tree_flatten_with_path(b, is_leaf=is_leaf)
  for i in range(max(len(pa), len(pb))):
    ka = pa[i][0] if i < len(pa) else None
    kb = pb[i][0] if i < len(pb) else None
    if ka != kb:
      where = tu.keystr(ka if ka is not None else kb) or "<root>"
      raise ValueError(STRUCTURE_MISMATCH.format(
          what=what, a_name=a_name, b_name=b_name, where=where,
          a_desc=_describe(pa, i), b_desc=_describe(pb, i)))
  raise ValueError(STRUCTURE_MISMATCH.format(
      what=what, a_name=a_name, b_name=b_name, where="<node types>",
      a_desc=str(tu.tree_structure(a)), b_desc=str(tu.tree_structure(b))))


def tree_map_checked(what, names, fn, tree, *rest, is_leaf=None):
  """tree_map over trees that must match; a mismatch names the key path."""
  for name, other in zip(names[1:], rest):
    check_same_structure(what, names[0], tree, name, other, is_leaf=is_leaf)
  return tu.tree_map(fn, tree, *rest, is_leaf=is_leaf)


def tree_add(tree_x, tree_y, *other_trees):
  """Leafwise sum of two or more trees."""
  trees = (tree_x, tree_y, *other_trees)
  return tree_map_checked("tree_add", [f"tree{i}" for i in range(len(trees))],
                          lambda *xs: sum(xs[1:], xs[0]), *trees)


def tree_sub(tree_x, tree_y):
  """Leafwise tree_x - tree_y."""
  return tree_map_checked("tree_sub", ["tree_x", "tree_y"],
                          lambda x, y: x - y, tree_x, tree_y)


def tree_mul(tree_x, tree_y):
  """Leafwise product."""
  return tree_map_checked("tree_mul", ["tree_x", "tree_y"],
                          lambda x, y: x * y, tree_x, tree_y)


def tree_div(tree_x, tree_y):
  """Leafwise quotient."""
  return tree_map_checked("tree_div", ["tree_x", "tree_y"],
                          lambda x, y: x / y, tree_x, tree_y)


def tree_scale(scalar, tree):
  """Multiplies every leaf by a scalar."""
  return tu.tree_map(lambda x: scalar * x, tree)


def tree_add_scale(tree_x, scalar, tree_y):
  """tree_x + scalar * tree_y, leafwise."""
  return tree_map_checked("tree_add_scale", ["tree_x", "tree_y"],
                          lambda x, y: x + scalar * y, tree_x, tree_y)


def tree_vdot(tree_x, tree_y):
  """Sum over leaves of vdot(x, y)."""
  vdots = tu.tree_leaves(tree_map_checked(
      "tree_vdot", ["tree_x", "tree_y"],
      lambda x, y: jnp.vdot(x, y), tree_x, tree_y))
  return sum(vdots[1:], vdots[0]) if vdots else jnp.asarray(0.0)


def tree_sum(tree):
  """Sum of every element of every leaf."""
  sums = [jnp.sum(x) for x in tu.tree_leaves(tree)]
  return sum(sums[1:], sums[0]) if sums else jnp.asarray(0.0)


def tree_max(tree):
  """Largest element over every leaf."""
  maxes = [jnp.max(x) for x in tu.tree_leaves(tree)]
  out = maxes[0]
  for m in maxes[1:]:
    out = jnp.maximum(out, m)
  return out


def tree_l2_norm(tree, squared=False):
  """The l2 norm of the tree seen as one flat vector."""
  sq = [jnp.sum(_numerics.abs_sq(x)) for x in tu.tree_leaves(tree)]
  total = sum(sq[1:], sq[0]) if sq else jnp.asarray(0.0)
  return total if squared else jnp.sqrt(total)


def tree_l1_norm(tree):
  """The l1 norm of the tree seen as one flat vector."""
  return tree_sum(tu.tree_map(jnp.abs, tree))


def tree_linf_norm(tree):
  """The max-abs norm of the tree seen as one flat vector."""
  return tree_max(tu.tree_map(jnp.abs, tree))


def tree_zeros_like(tree, dtype=None):
  """A tree of zeros shaped like tree (optionally of another dtype)."""
  return tu.tree_map(lambda x: jnp.zeros_like(x, dtype=dtype), tree)


def tree_ones_like(tree, dtype=None):
  """A tree of ones shaped like tree."""
  return tu.tree_map(lambda x: jnp.ones_like(x, dtype=dtype), tree)


def tree_full_like(tree, fill_value, dtype=None):
  """A tree filled with fill_value, shaped like tree."""
  return tu.tree_map(lambda x: jnp.full_like(x, fill_value, dtype=dtype), tree)


def tree_cast(tree, dtype):
  """Casts every leaf to dtype (no-op when dtype is None)."""
  if dtype is None:
    return tree
  return tu.tree_map(lambda x: x.astype(dtype), tree)


def tree_cast_like(tree, other_tree):
  """Casts every leaf of tree to the dtype of the matching leaf of other_tree."""
  return tree_map_checked("tree_cast_like", ["tree", "other_tree"],
                          lambda x, y: x.astype(y.dtype), tree, other_tree)


def tree_where(condition, tree_x, tree_y):
  """Leafwise where(condition, x, y) with a scalar condition."""
  return tree_map_checked("tree_where", ["tree_x", "tree_y"],
                          lambda x, y: jnp.where(condition, x, y), tree_x, tree_y)


def tree_update_moment(updates, moments, decay, order):
  """(1 - decay) * g**order + decay * m, leafwise: an EMA of the order-th power."""
  return tree_map_checked(
      "update_moment", ["updates", "moments"],
      lambda g, t: None if g is None else (1 - decay) * (g ** order) + decay * t,
      updates, moments, is_leaf=lambda x: x is None)


def tree_update_moment_per_elem_norm(updates, moments, decay, order):
  """EMA of |g|**order, leafwise (|g|^2 computed as g * conj(g))."""
  def moment(g, t):
    if g is None:
      return None
    if order == 2:
      g_norm = _numerics.abs_sq(g)
    else:
      g_norm = jnp.abs(g) ** order
    return (1 - decay) * g_norm + decay * t
  return tree_map_checked("update_moment_per_elem_norm", ["updates", "moments"],
                          moment, updates, moments, is_leaf=lambda x: x is None)


def tree_bias_correction(moment, decay, count):
  """Divides by 1 - decay**count (Adam's bias correction)."""
  correction = 1 - decay ** count
  return tu.tree_map(lambda t: t / correction.astype(t.dtype), moment)


def tree_norm(tree, ord=2, squared=False):
  """The norm of the tree as one flat vector: ord 1, 2 (default) or inf."""
  if ord in (None, 2, "fro"):
    return tree_l2_norm(tree, squared=squared)
  value = tree_l1_norm(tree) if ord == 1 else tree_linf_norm(tree)
  return value ** 2 if squared else value


# optax.tree's short names (optax >= 0.2.4 spells tree_add as optax.tree.add).
add, sub, mul, div, scale = tree_add, tree_sub, tree_mul, tree_div, tree_scale
add_scale, vdot, norm, cast, cast_like = (tree_add_scale, tree_vdot, tree_norm,
                                          tree_cast, tree_cast_like)
zeros_like, ones_like, full_like, where = (tree_zeros_like, tree_ones_like,
                                           tree_full_like, tree_where)
update_moment, update_moment_per_elem_norm, bias_correction = (
    tree_update_moment, tree_update_moment_per_elem_norm, tree_bias_correction)
