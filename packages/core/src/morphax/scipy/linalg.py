"""morphax.scipy.linalg: cho_factor/cho_solve, solve_triangular, lu, expm,
block_diag.
"""
