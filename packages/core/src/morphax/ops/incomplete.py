"""Incomplete gamma/beta functions and friends as primitives (being written)."""

__all__ = []
