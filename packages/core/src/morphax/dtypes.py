"""morphax.dtypes: dtype helpers with jax.dtypes' names."""

import numpy as np

from .core.avals import (bfloat16, canonicalize_dtype, finfo, iinfo,  # noqa: F401
                         promote_types, result_type)

# The tangent dtype of integer and bool values (a zero-size void), as JAX's.
float0 = np.dtype([("float0", np.void, 0)])


def is_weakly_typed(x):
  """True for Python scalars and for arrays that carry a weak type."""
  aval = getattr(x, "aval", None)
  if aval is not None:
    return aval.weak_type
  return type(x) in (int, float, complex)
