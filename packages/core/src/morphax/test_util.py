"""Numerical checks of derivative rules: JVPs against central finite
differences, VJPs against JVPs by the dot-product test <ct, J t> = <J^T ct, t>.
"""

import numpy as np

from . import api
from .core import avals as avals_lib
from .core import tree
from .ops._checks import aval_of

_EPS = {np.dtype(np.float16): 1e-1, avals_lib.bfloat16: 1e-1,
        np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-6,
        np.dtype(np.complex64): 1e-3, np.dtype(np.complex128): 1e-6}
_TOL = {np.dtype(np.float16): 1e-1, avals_lib.bfloat16: 1e-1,
        np.dtype(np.float32): 2e-2, np.dtype(np.float64): 1e-5,
        np.dtype(np.complex64): 2e-2, np.dtype(np.complex128): 1e-5}


def _dtype_of(leaves):
  dtypes = [aval_of(x).dtype for x in leaves if avals_lib.is_inexact(aval_of(x).dtype)]
  if not dtypes:
    return np.dtype(np.float32)
  return max(dtypes, key=lambda d: _EPS[d] * -1)


def _random_like(rng, x):
  aval = aval_of(x)
  value = rng.standard_normal(aval.shape)
  if avals_lib.is_complex(aval.dtype):
    value = value + 1j * rng.standard_normal(aval.shape)
  return np.asarray(value, aval.dtype)


def _inner(xs, ys):
  """Re <x, y> over all leaves (conjugating x)."""
  return sum(float(np.real(np.vdot(np.asarray(x, np.complex128),
                                   np.asarray(y, np.complex128))))
             for x, y in zip(xs, ys))


def _close(name, got, want, tol):
  got = [np.asarray(g, np.complex128) for g in got]
  want = [np.asarray(w, np.complex128) for w in want]
  for i, (g, w) in enumerate(zip(got, want)):
    scale = max(1.0, float(np.max(np.abs(w))) if w.size else 1.0)
    err = float(np.max(np.abs(g - w))) if g.size else 0.0
    if err > tol * scale:
      raise AssertionError(f"{name}: output {i} differs by {err:.3g} (tolerance "
                           f"{tol * scale:.3g})\n got: {g}\nwant: {w}")


def _numerical_jvp(f, leaves, treedef, tangents, eps):
  """Central finite differences of f along `tangents` (per output leaf)."""
  def shifted(sign):
    moved = [np.asarray(np.asarray(x) + sign * eps * t, aval_of(x).dtype)
             for x, t in zip(leaves, tangents)]
    return tree.tree_leaves(f(*tree.tree_unflatten(treedef, moved)))

  plus, minus = shifted(1), shifted(-1)
  return [(np.asarray(p, np.complex128) - np.asarray(m, np.complex128)) / (2 * eps)
          for p, m in zip(plus, minus)]


def check_jvp(f, args, *, eps=None, tol=None, seed=0):
  """Checks jvp(f) at `args` against central finite differences."""
  leaves, treedef = tree.tree_flatten(tuple(args))
  dtype = _dtype_of(leaves)
  eps = eps or _EPS[dtype]
  tol = tol or _TOL[dtype]
  rng = np.random.RandomState(seed)
  tangents = [_random_like(rng, x) for x in leaves]
  numeric = _numerical_jvp(f, leaves, treedef, tangents, eps)
  _, tout = api.jvp(f, tuple(args), tuple(tree.tree_unflatten(treedef, tangents)))
  _close("check_jvp", tree.tree_leaves(tout), numeric, tol)


def check_vjp(f, args, *, eps=None, tol=None, seed=0):
  """Checks vjp(f) with the dot-product test <ct, J t> = <J^T ct, t>, J t
  from finite differences (so reverse-only rules are checked too)."""
  leaves, treedef = tree.tree_flatten(tuple(args))
  dtype = _dtype_of(leaves)
  eps = eps or _EPS[dtype]
  tol = tol or _TOL[dtype]
  rng = np.random.RandomState(seed)
  tangents = [_random_like(rng, x) for x in leaves]
  out = f(*args)
  tout = _numerical_jvp(f, leaves, treedef, tangents, eps)
  out_leaves, out_tree = tree.tree_flatten(out)
  cts = [_random_like(rng, o) for o in out_leaves]
  _, vjp_fun = api.vjp(f, *args)
  # Transposes follow JAX's convention (the linear transpose, not the
  # adjoint): the adjoint is conj . vjp . conj, which the real inner
  # product then pairs correctly for real, complex and mixed maps.
  conj = lambda x: np.conj(x) if np.iscomplexobj(x) else x
  cts_in = [conj(np.asarray(c)) for c in tree.tree_leaves(
      vjp_fun(tree.tree_unflatten(out_tree, [conj(c) for c in cts])))]
  lhs = _inner(tout, cts)
  rhs = _inner(tangents, cts_in)
  scale = max(1.0, abs(lhs), abs(rhs))
  if abs(lhs - rhs) > tol * scale:
    raise AssertionError(f"check_vjp: <ct, J t> = {lhs:.6g} but <J^T ct, t> = "
                         f"{rhs:.6g} (tolerance {tol * scale:.3g})")


def check_grads(f, args, order, modes=("fwd", "rev"), *, eps=None, tol=None):
  """Checks f's derivatives up to `order` numerically, like JAX's helper:
  forward mode against finite differences, reverse mode against forward
  mode, and the same again on the derivative functions for higher orders."""
  args = tuple(args)
  for mode in modes:
    if mode not in ("fwd", "rev"):
      raise ValueError(f"check_grads: unknown mode {mode!r}; use 'fwd' or 'rev'")
  if "fwd" in modes:
    check_jvp(f, args, eps=eps, tol=tol)
  if "rev" in modes:
    check_vjp(f, args, eps=eps, tol=tol)
  if order > 1:
    leaves, treedef = tree.tree_flatten(args)
    rng = np.random.RandomState(1)
    tangents = tree.tree_unflatten(treedef, [_random_like(rng, x) for x in leaves])
    if "fwd" in modes:
      def f_jvp(*primals):
        return api.jvp(f, primals, tangents)[1]
      check_grads(f_jvp, args, order - 1, ("fwd",), eps=eps, tol=tol)
    if "rev" in modes:
      out = f(*args)
      cts = tree.tree_map(lambda o: _random_like(rng, o), out)

      def f_vjp(*primals):
        return api.vjp(f, *primals)[1](cts)
      check_grads(f_vjp, args, order - 1, ("rev",), eps=eps, tol=tol)
