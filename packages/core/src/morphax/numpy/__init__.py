"""morphax.numpy: NumPy's API on morphax arrays, written on morphax.lax."""
