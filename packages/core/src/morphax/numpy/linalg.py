"""morphax.numpy.linalg: NumPy's linear algebra (norm, solve, cholesky,
eigh, svd, ...), on lax.linalg's decompositions.
"""
