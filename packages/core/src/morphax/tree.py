"""morphax.tree: the short pytree names of `jax.tree` (map, leaves, flatten, ...).

Aliases of morphax.tree_util's `tree_*` functions, which live in core/tree.py.
"""

from .core.tree import static
from .core.tree import tree_all as all  # noqa: A001 (JAX's public name)
from .core.tree import tree_broadcast as broadcast
from .core.tree import tree_flatten as flatten
from .core.tree import tree_flatten_with_path as flatten_with_path
from .core.tree import tree_leaves as leaves
from .core.tree import tree_leaves_with_path as leaves_with_path
from .core.tree import tree_map as map  # noqa: A001
from .core.tree import tree_map_with_path as map_with_path
from .core.tree import tree_reduce as reduce
from .core.tree import tree_reduce_associative as reduce_associative
from .core.tree import tree_structure as structure
from .core.tree import tree_transpose as transpose
from .core.tree import tree_unflatten as unflatten

__all__ = [
    "all", "broadcast", "flatten", "flatten_with_path", "leaves",
    "leaves_with_path", "map", "map_with_path", "reduce", "reduce_associative",
    "static", "structure", "transpose", "unflatten",
]
