"""Matrix decompositions and solves: cholesky, triangular_solve, eigh, svd,
qr, lu, eig (StableHLO ops where they exist, LAPACK custom calls on CPU).
"""

__all__ = []
