"""morphax.nn: activation functions and helpers with jax.nn's names.
"""
