"""More elementwise math with NumPy's names (logaddexp, hypot, copysign,
heaviside, nan_to_num, sinc, deg2rad, ...).
"""

__all__ = []
