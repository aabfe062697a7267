"""Array manipulation beyond the basics: triangles and diagonals, tiling,
rolling, padding modes, stacking helpers, grids.
"""

__all__ = []
