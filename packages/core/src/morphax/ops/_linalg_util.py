"""Helpers the decompositions share: argument checks, batched matrix
algebra on lax ops, and the LAPACK custom-call plumbing for lowerings.
"""

import numpy as np
from jaxlib import xla_client
from jaxlib.cpu import _lapack
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo as hlo

from ..core import avals as avals_lib
from ..interpreters.lowering import compare, constant, i64_array, tensor_type
from ._checks import aval_of
from ._factories import bdim_at_front, batch_size
from .bits import eq, ge, le
from .convert import convert_element_type
from .elementwise import add, conj, mul
from .linalg import dot_general
from .reduction import reduce_sum
from .select import select_n
from .shape import broadcast_in_dim, broadcasted_iota, full
from .shape import transpose as lax_transpose

_LAPACK_DTYPES = (avals_lib.float32, avals_lib.float64, avals_lib.complex64,
                  avals_lib.complex128)
_LAPACK_PREFIX = {avals_lib.float32: "s", avals_lib.float64: "d",
                  avals_lib.complex64: "c", avals_lib.complex128: "z"}

DTYPE_MESSAGE = (
    "{name}: expected a float32, float64, complex64 or complex128 array, got "
    "{dtype}. Convert it first, e.g. x.astype(jnp.float32).")
MATRIX_MESSAGE = (
    "{name}: expected {what} with shape (..., m, n) (rank >= 2), got shape "
    "{shape}")
SQUARE_MESSAGE = (
    "{name}: expected square matrices (..., n, n), got shape {shape}")
PLATFORM_MESSAGE = (
    "{name} is not implemented on platform {platform!r}: morphax lowers it to "
    "a LAPACK call, which exists on CPU only. Run it on a CPU device (for "
    "example with MORPHAX_PLATFORMS=cpu).")


# --- Shared checks and matrix helpers -----------------------------------------

def check_matrix(name, aval, square=False, what="a matrix"):
  if aval.ndim < 2:
    raise ValueError(MATRIX_MESSAGE.format(name=name, what=what, shape=aval.shape))
  if square and aval.shape[-1] != aval.shape[-2]:
    raise ValueError(SQUARE_MESSAGE.format(name=name, shape=aval.shape))
  if aval.dtype not in _LAPACK_DTYPES:
    raise TypeError(DTYPE_MESSAGE.format(name=name, dtype=aval.dtype.name))


def real_dtype(dtype):
  return np.dtype(np.finfo(dtype).dtype)


def mT(x):
  nd = aval_of(x).ndim
  return lax_transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def H(x):
  return conj_if_complex(mT(x))


def conj_if_complex(x):
  return conj(x) if avals_lib.is_complex(aval_of(x).dtype) else x


def matmul(a, b):
  """Batched matrix product of (..., m, k) and (..., k, n)."""
  nd = aval_of(a).ndim
  batch = tuple(range(nd - 2))
  return dot_general(a, b, (((nd - 1,), (nd - 2,)), (batch, batch)))


def tri_mask(shape, lower, k=0):
  """Boolean mask of (..., m, n): True on and below (lower) or on and above
  the k-th diagonal."""
  nd = len(shape)
  rows = broadcasted_iota(np.int32, shape, nd - 2)
  cols = broadcasted_iota(np.int32, shape, nd - 1)
  return ge(add(rows, k), cols) if lower else le(add(rows, k), cols)


def tril(x, k=0):
  aval = aval_of(x)
  return select_n(tri_mask(aval.shape, True, k), full(aval.shape, 0, aval.dtype), x)


def triu(x, k=0):
  aval = aval_of(x)
  return select_n(tri_mask(aval.shape, False, k), full(aval.shape, 0, aval.dtype), x)


def identity(shape, dtype):
  nd = len(shape)
  same = eq(broadcasted_iota(np.int32, shape, nd - 2),
            broadcasted_iota(np.int32, shape, nd - 1))
  return convert_element_type(same, dtype)


def as_dtype(x, dtype):
  return x if aval_of(x).dtype == dtype else convert_element_type(x, dtype)


def rows_of(v, m=None):
  """(..., n) -> (..., m, n) with [i, j] = v_j (m defaults to n)."""
  aval = aval_of(v)
  nd, n = aval.ndim, aval.shape[-1]
  return broadcast_in_dim(v, aval.shape[:-1] + (n if m is None else m, n),
                          tuple(range(nd - 1)) + (nd,))


def cols_of(v):
  """(..., n) -> (..., n, n) with [i, j] = v_i."""
  aval = aval_of(v)
  nd, n = aval.ndim, aval.shape[-1]
  return broadcast_in_dim(v, aval.shape + (n,), tuple(range(nd)))


def diagonal(x):
  """The diagonal (..., n) of (..., n, n)."""
  aval = aval_of(x)
  return reduce_sum(mul(x, identity(aval.shape, aval.dtype)), (aval.ndim - 1,))


def batch_at_front(prim):
  """Batch rule for ops whose leading dims are batch dims already."""
  def rule(vals, dims, **params):
    size = batch_size(vals, dims)
    vals = [bdim_at_front(v, d, size) for v, d in zip(vals, dims)]
    out = prim.bind(*vals, **params)
    return out, ([0] * len(out) if prim.multiple_results else 0)
  return rule


# --- Lowering helpers -----------------------------------------------------------

_LAPACK_REGISTERED = False


def register_lapack():
  """Registers jaxlib's LAPACK kernels with XLA:CPU, once, on first use."""
  global _LAPACK_REGISTERED
  if _LAPACK_REGISTERED:
    return
  for name, capsule in _lapack.registrations().items():
    xla_client.register_custom_call_target(
        name, capsule, platform="cpu",
        api_version=1 if name.endswith("_ffi") else 0)
  _lapack.initialize()
  _LAPACK_REGISTERED = True


def layout(ndim, matrix):
  """Minor-to-major layout: column-major for matrices, row-major else."""
  if matrix and ndim >= 2:
    order = [ndim - 2, ndim - 1] + list(range(ndim - 3, -1, -1))
  else:
    order = list(range(ndim - 1, -1, -1))
  return ir.DenseIntElementsAttr.get(np.asarray(order, np.int64),
                                     type=ir.IndexType.get())


def u8_attr(c):
  return ir.IntegerAttr.get(ir.IntegerType.get_unsigned(8), ord(c))


def lapack_call(ctx, name, kind, operands, operand_specs, result_specs,
                 attrs=None):
  """A typed-FFI LAPACK custom call. `*_specs` are (shape, dtype, matrix)
  triples; matrices are passed column-major as LAPACK expects."""
  platform = ctx.module_context.platform
  if platform != "cpu":
    raise NotImplementedError(PLATFORM_MESSAGE.format(name=name, platform=platform))
  register_lapack()
  dtype = operand_specs[0][1]
  target = f"lapack_{_LAPACK_PREFIX[np.dtype(dtype)]}{kind}_ffi"
  op = hlo.CustomCallOp(
      [tensor_type(s, d) for s, d, _ in result_specs], list(operands), target,
      has_side_effect=False,
      backend_config=ir.DictAttr.get(attrs or {}),
      api_version=ir.IntegerAttr.get(ir.IntegerType.get_signless(32), 4),
      called_computations=ir.ArrayAttr.get([]),
      operand_layouts=ir.ArrayAttr.get(
          [layout(len(s), m) for s, _, m in operand_specs]),
      result_layouts=ir.ArrayAttr.get(
          [layout(len(s), m) for s, _, m in result_specs]))
  return list(op.results)


def ok_mask(info, shape, batch_ndim):
  """info == 0 broadcast to `shape` (whose leading dims are the batch)."""
  zero = constant(0, np.int32, tuple(info.type.shape))
  ok = compare(info, zero, "EQ", np.int32)
  return hlo.broadcast_in_dim(
      ir.RankedTensorType.get(shape, ir.IntegerType.get_signless(1)), ok,
      i64_array(range(batch_ndim)))


def nan_unless(ok, x, shape, dtype):
  """x where ok, NaN elsewhere (a failed factorization gives NaNs, as JAX)."""
  return hlo.select(ok, x, constant(np.nan, dtype, shape))


def hlo_slice(x, shape, starts, limits):
  return hlo.slice(x, i64_array(starts), i64_array(limits),
                   i64_array([1] * len(shape)))


def hlo_tri(x, shape, dtype, lower, k=0):
  """Zeroes the other triangle of (..., m, n) `x` in a lowering."""
  nd = len(shape)
  i32 = lambda d: hlo.iota(tensor_type(shape, np.int32), ir.IntegerAttr.get(
      ir.IntegerType.get_signless(64), d))
  rows = hlo.add(i32(nd - 2), constant(k, np.int32, shape))
  keep = compare(rows, i32(nd - 1), "GE" if lower else "LE", np.int32)
  return hlo.select(keep, x, constant(0, dtype, shape))


def symmetrize(x):
  return mul(add(x, H(x)), 0.5)


def hlo_eye(shape, dtype):
  nd = len(shape)
  i32 = lambda d: hlo.iota(tensor_type(shape, np.int32), ir.IntegerAttr.get(
      ir.IntegerType.get_signless(64), d))
  same = compare(i32(nd - 2), i32(nd - 1), "EQ", np.int32)
  return hlo.convert(tensor_type(shape, dtype), same)
