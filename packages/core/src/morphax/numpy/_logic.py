"""Array comparisons and type predicates (isclose, allclose, array_equal,
iscomplexobj, ...) and bit packing.
"""

__all__ = []
