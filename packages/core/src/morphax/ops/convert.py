"""Dtype and selection primitives: convert_element_type, bitcast_convert_type,
reduce_precision, select_n and clamp.
"""

__all__ = []
