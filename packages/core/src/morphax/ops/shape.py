"""Shape primitives: broadcast_in_dim, reshape, transpose, squeeze, expand_dims,
rev, pad, concatenate, slice, dynamic_slice, dynamic_update_slice, iota.
"""

__all__ = []
