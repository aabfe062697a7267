"""Collectives over named axes: psum, all_gather, ppermute, ... (being written)."""

__all__ = []
