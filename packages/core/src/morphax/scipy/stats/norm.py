"""morphax.scipy.stats.norm: pdf, logpdf, cdf, ppf of the normal
distribution.
"""
