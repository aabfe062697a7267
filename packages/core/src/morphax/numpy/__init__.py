"""morphax.numpy: NumPy's API on morphax arrays, written on morphax.lax.

Semantics follow jax.numpy: float32 by default, JAX's promotion lattice
with weak types for Python scalars, immutable arrays.
"""

import numpy as _np

from ..runtime.array import Array
from . import _array_methods
from ._creation import (arange, array, asarray, empty, empty_like, eye, full,
                        full_like, identity, linspace, ones, ones_like, zeros,
                        zeros_like)
from ._dtypes import (can_cast, complexfloating, dtype, finfo, floating,
                      generic, iinfo, inexact, integer, issubdtype, number,
                      promote_types, result_type, signedinteger,
                      unsignedinteger)
from ._einsum import einsum
from ._linalg import dot, inner, matmul, outer, tensordot, vdot
from ._reductions import (all, amax, amin, any, argmax, argmin, max, mean,
                          min, prod, std, sum, var)
from ._scalar_types import (bfloat16, bool_, cdouble, complex64, complex128,
                            complex_, csingle, double, float16, float32,
                            float64, float_, int8, int16, int32, int64, int_,
                            single, uint, uint8, uint16, uint32, uint64)
from ._shape import (array_split, broadcast_arrays, broadcast_shapes,
                     broadcast_to, clip, concatenate, expand_dims, flip,
                     moveaxis, ndim, ravel, reshape, shape, size,
                     split, squeeze, stack, swapaxes, transpose, where)
from ._ufuncs import (abs, absolute, add, arccos, arccosh, arcsin, arcsinh,
                      arctan, arctan2, arctanh, around, bitwise_and,
                      bitwise_not, bitwise_or, bitwise_xor, cbrt, ceil, conj,
                      conjugate, cos, cosh, divide, divmod, equal, exp, exp2,
                      expm1, floor, floor_divide, fmod, greater,
                      greater_equal, imag, invert, isfinite, isinf, isnan,
                      left_shift, less, less_equal, log, log1p, log2, log10,
                      logical_and, logical_not, logical_or, logical_xor,
                      maximum, minimum, mod, multiply, negative, not_equal,
                      positive, power, real, reciprocal, remainder, right_shift,
                      rint, round, sign, sin, sinh, sqrt, square, subtract,
                      tan, tanh, true_divide, trunc)

# The breadth modules list their public names in __all__.
from ._math import *  # noqa: E402,F401,F403
from ._statistics import *  # noqa: E402,F401,F403
from ._logic import *  # noqa: E402,F401,F403
from ._manipulation import *  # noqa: E402,F401,F403
from ._polynomial import *  # noqa: E402,F401,F403
from ._histogram import *  # noqa: E402,F401,F403
from ._sorting import *  # noqa: E402,F401,F403
from ._setops import *  # noqa: E402,F401,F403
from ._take import *  # noqa: E402,F401,F403
from ._aliases import *  # noqa: E402,F401,F403
from ._index_tricks import *  # noqa: E402,F401,F403
from ._windows import *  # noqa: E402,F401,F403
from ._calculus import *  # noqa: E402,F401,F403
from ._functional import *  # noqa: E402,F401,F403
from . import fft, linalg  # noqa: E402,F401

ndarray = Array
bool = bool_  # noqa: A001  (NumPy 2's name)
newaxis = None
pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
euler_gamma = _np.euler_gamma

_array_methods.install()
