"""Contractions: dot_general (with preferred_element_type) and
conv_general_dilated (strides, padding, dilations, dimension numbers, groups).
"""

__all__ = []
