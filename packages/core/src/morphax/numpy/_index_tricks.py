"""morphax.numpy: (being written)."""

__all__ = []
