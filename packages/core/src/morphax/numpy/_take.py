"""take, take_along_axis, put_along_axis, choose, select, compress, extract.
"""

__all__ = []
