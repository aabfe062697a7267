"""The rest of jax.lax's public helpers (being written)."""

__all__ = []
