"""Factories for the common shapes of primitive and of their rules:
elementwise unary/binary ops, per-operand JVPs, linear ops, and batching
helpers (moving and broadcasting batch dimensions).
"""

from ..core.ad_util import Zero
from ..core.primitive import NOT_LINEAR, define_primitive
from . import shape
from ._ad import defjvp, defjvp_zero, deflinear, linear_ct  # noqa: F401
from ._checks import NUMERIC, aval_of, match_scalars, nary_abstract_eval

not_mapped = None


# --- JVP helpers ---------------------------------------------------------------

def instantiate(t):
  """A real zero array for a symbolic Zero; other tangents unchanged."""
  if type(t) is Zero:
    return shape.full(t.aval.shape, 0, t.aval.dtype)
  return t


# --- Batching rules -------------------------------------------------------------------

def moveaxis(x, src, dst):
  """`x` with axis `src` moved to position `dst` (both non-negative)."""
  if src == dst:
    return x
  ndim = aval_of(x).ndim
  perm = [i for i in range(ndim) if i != src]
  perm.insert(dst, src)
  return shape.transpose(x, tuple(perm))


def bdim_at_front(x, bdim, size):
  """`x` with its batch dim first, broadcasting it in if it is unmapped."""
  if bdim is not_mapped:
    aval = aval_of(x)
    return shape.broadcast_in_dim(
        x, (size,) + aval.shape, tuple(range(1, aval.ndim + 1)))
  return moveaxis(x, bdim, 0)


def matchaxis(x, src, dst, size):
  """`x` with its batch dim at `dst` (an unmapped `src` is broadcast)."""
  if dst is not_mapped:
    if src is not_mapped:
      return x
    raise ValueError("vmap: an output with a batch dimension was requested "
                     "unbatched (out_axes=None)")
  if src is not_mapped:
    return moveaxis(bdim_at_front(x, src, size), 0, dst)
  return moveaxis(x, src, dst)


def batch_size(vals, dims):
  for v, d in zip(vals, dims):
    if d is not not_mapped:
      return aval_of(v).shape[d]
  raise ValueError("batch_size: no operand is batched")


def vectorized_batch(prim):
  """The batching rule of an elementwise primitive: operands are aligned
  on one batch dim (unbatched ones broadcast), and the op applies as is."""
  def rule(vals, dims, **params):
    first = next(d for d in dims if d is not not_mapped)
    if all(d == first for d in dims):
      out = prim.bind(*vals, **params)
      return out, ([first] * len(out) if prim.multiple_results else first)
    size = batch_size(vals, dims)
    vals = [bdim_at_front(v, d, size) for v, d in zip(vals, dims)]
    out = prim.bind(*vals, **params)
    return out, ([0] * len(out) if prim.multiple_results else 0)
  return rule


# --- Elementwise primitives ---------------------------------------------------------

def _lower_with(lower):
  def rule(ctx, *args, **params):
    return lower(*args)
  return rule


def unop(name, lower, *, dtypes=NUMERIC, result_dtype=None, jvp=None,
         uses_ans=False, transpose=None):
  """An elementwise unary primitive. `lower(x)` builds its StableHLO op;
  `jvp(t, x)` (or `jvp(t, ans, x)` with uses_ans) its tangent; `transpose`
  only for linear ops."""
  prim = define_primitive(
      name, abstract_eval=nary_abstract_eval(name, dtypes, result_dtype),
      lower=_lower_with(lower),
      transpose=NOT_LINEAR if transpose is None else transpose)
  prim.batch = vectorized_batch(prim)
  if jvp is not None:
    defjvp(prim, jvp, uses_ans=uses_ans)
  return prim


def binop(name, lower, *, dtypes=NUMERIC, result_dtype=None, jvp=None,
          uses_ans=False, transpose=None):
  """An elementwise binary primitive. `lower(x, y)` builds its op; `jvp` is
  a pair of per-operand tangent functions (see defjvp)."""
  prim = define_primitive(
      name, abstract_eval=nary_abstract_eval(name, dtypes, result_dtype),
      lower=_lower_with(lower),
      transpose=NOT_LINEAR if transpose is None else transpose)
  prim.batch = vectorized_batch(prim)
  if jvp is not None:
    defjvp(prim, *jvp, uses_ans=uses_ans)
  return prim


def bind_binop(prim, x, y):
  """Binds an elementwise binary primitive, giving Python scalars the
  dtype of the array they meet."""
  x, y = match_scalars(prim.name, [x, y])
  return prim.bind(x, y)
