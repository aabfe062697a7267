"""JVP, transpose and batch rules of the reduction, sort and window
primitives (ops/reduction.py, ops/sort.py, ops/window.py), one table row each.

Each row is checked three ways: derivatives against finite differences
(check_grads, both modes), vmap against a Python loop (batch axes first,
inner and last, some operands unbatched), and jit against eager.
"""

from typing import NamedTuple

import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.core import ir, tree
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {
    "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and",
    "reduce_or", "reduce_xor", "argmax", "argmin", "cumsum", "cumprod",
    "cummax", "cummin", "cumlogsumexp", "sort", "top_k", "reduce_window_sum",
    "reduce_window_max", "reduce_window_min",
}

RNG = np.random.RandomState(0)


def _f32(*shape):
  return RNG.randn(*shape).astype(np.float32)


def _distinct(*shape):
  """Well-separated values (no ties) in a random order, for max/sort rows."""
  n = int(np.prod(shape))
  return (RNG.permutation(n).reshape(shape) * 0.5 - n / 4).astype(np.float32)


def _ints(*shape):
  return RNG.randint(-8, 8, size=shape).astype(np.int32)


def _positive(*shape):
  return RNG.uniform(0.5, 1.5, size=shape).astype(np.float32)


class Row(NamedTuple):
  name: str          # the primitive the row exercises
  fn: object         # the function under test
  args: tuple        # example arguments
  order: int = 2     # derivative order; 0: no derivative (jvp must be zero)
  in_axes: tuple = ((0,), (1,))   # vmap in_axes to try (besides the last axis)


def _window(comp, init, **kw):
  return lambda x: lax.reduce_window(x, init, comp, **kw)


_W_POOL = dict(window_dimensions=(2, 2), window_strides=(2, 2), padding="VALID")
_W_SAME = dict(window_dimensions=(3, 2), window_strides=(1, 2), padding="SAME")
_W_DILATED = dict(window_dimensions=(2, 3), window_strides=(2, 1),
                  padding=((1, 0), (2, 1)), base_dilation=(2, 1),
                  window_dilation=(1, 2))
_W_NEG_PAD = dict(window_dimensions=(2, 1), window_strides=(3, 1),
                  padding=((-1, 2), (0, 0)))

_ZERO_PROD = np.array([[1.5, 0.0, -0.7], [0.0, 0.0, 2.0], [0.8, -1.2, 0.9],
                       [1.1, 0.6, 0.0]], np.float32)

ROWS = [
    Row("reduce_sum", lambda x: lax.reduce_sum(x, (1,)), (_f32(3, 4),)),
    Row("reduce_sum", lambda x: lax.reduce_sum(x, (0, 1)), (_f32(3, 4),)),
    Row("reduce_max", lambda x: lax.reduce_max(x, (1,)), (_distinct(3, 4),)),
    Row("reduce_max", lambda x: lax.reduce_max(x, (0, 1)), (_distinct(3, 4),)),
    Row("reduce_min", lambda x: lax.reduce_min(x, (0,)), (_distinct(3, 4),)),
    Row("reduce_prod", lambda x: lax.reduce_prod(x, (1,)), (_positive(3, 4),)),
    Row("reduce_prod", lambda x: lax.reduce_prod(x, (0, 1)),
        (_positive(2, 3),)),
    # One and two zeros in a reduced row: the rule must not divide by x.
    Row("reduce_prod", lambda x: lax.reduce_prod(x, (1,)), (_ZERO_PROD,)),
    Row("reduce_and", lambda x: lax.reduce_and(x, (1,)), (_ints(3, 4),), 0),
    Row("reduce_or", lambda x: lax.reduce_or(x, (0,)), (_ints(3, 4),), 0),
    Row("reduce_xor", lambda x: lax.reduce_xor(x, (1,)), (_ints(3, 4),), 0),
    Row("argmax", lambda x: lax.argmax(x, 1, np.int32), (_distinct(3, 4),), 0),
    Row("argmin", lambda x: lax.argmin(x, 0, np.int32), (_distinct(3, 4),), 0),
    Row("cumsum", lambda x: lax.cumsum(x, 1), (_f32(3, 5),)),
    Row("cumsum", lambda x: lax.cumsum(x, 0, reverse=True), (_f32(3, 5),)),
    Row("cumprod", lambda x: lax.cumprod(x, 1), (_f32(3, 5),)),
    Row("cumprod", lambda x: lax.cumprod(x, 1, reverse=True), (_ZERO_PROD,)),
    Row("cummax", lambda x: lax.cummax(x, 1), (_distinct(3, 5),)),
    Row("cummax", lambda x: lax.cummax(x, 0, reverse=True), (_distinct(3, 5),)),
    Row("cummin", lambda x: lax.cummin(x, 1), (_distinct(3, 5),)),
    Row("cumlogsumexp", lambda x: lax.cumlogsumexp(x, 1), (_f32(3, 5),)),
    Row("cumlogsumexp", lambda x: lax.cumlogsumexp(x, 0, reverse=True),
        (_f32(3, 5) * 30,), 1),
    Row("sort", lambda x: lax.sort(x, 1), (_distinct(3, 4),)),
    Row("sort", lambda x: lax.sort(x, 0), (_distinct(3, 4),)),
    Row("sort", lambda k, v: lax.sort_key_val(k, v, 0),
        (_distinct(3, 4), _f32(3, 4)), 2, ((0, 0), (1, None), (None, 1))),
    Row("sort", lambda k1, k2, v: lax.sort((k1, k2, v), 1, num_keys=2),
        (_ints(3, 4), _distinct(3, 4), _f32(3, 4)), 1,
        ((0, 0, 0), (None, 1, 0))),
    Row("top_k", lambda x: lax.top_k(x, 2), (_distinct(3, 4),)),
    Row("top_k", lambda x: lax.top_k(x, 2, axis=0), (_distinct(3, 4),)),
    Row("reduce_window_sum", _window(lax.add, 0., **_W_POOL), (_f32(4, 6),)),
    Row("reduce_window_sum", _window(lax.add, 0., **_W_SAME), (_f32(5, 6),)),
    Row("reduce_window_sum", _window(lax.add, 0., **_W_DILATED), (_f32(5, 6),)),
    Row("reduce_window_sum", _window(lax.add, 0., **_W_NEG_PAD), (_f32(5, 3),)),
    Row("reduce_window_max", _window(lax.max, -np.inf, **_W_POOL),
        (_distinct(4, 6),)),
    Row("reduce_window_max", _window(lax.max, -np.inf, **_W_SAME),
        (_distinct(5, 6),)),
    Row("reduce_window_max", _window(lax.max, -np.inf, **_W_DILATED),
        (_distinct(5, 6),)),
    Row("reduce_window_min", _window(lax.min, np.inf, **_W_SAME),
        (_distinct(5, 6),)),
    Row("reduce_window_min", _window(lax.min, np.inf, **_W_NEG_PAD),
        (_distinct(5, 3),)),
]

_IDS = [f"{i}-{r.name}" for i, r in enumerate(ROWS)]


def _allclose(got, want, **kw):
  got_leaves, got_tree = tree.tree_flatten(got)
  want_leaves, want_tree = tree.tree_flatten(want)
  assert got_tree == want_tree
  for g, w in zip(got_leaves, want_leaves):
    np.testing.assert_allclose(np.asarray(g), np.asarray(w), **kw)


@pytest.mark.parametrize("row", [r for r in ROWS if r.order], ids=[
    i for i, r in zip(_IDS, ROWS) if r.order])
def test_grads(row):
  # Integer operands (sort keys) are held fixed.
  float_args = [i for i, a in enumerate(row.args) if a.dtype == np.float32]

  def f(*xs):
    args = list(row.args)
    for i, x in zip(float_args, xs):
      args[i] = x
    out = row.fn(*args)
    return out[0] if row.name == "top_k" else out

  check_grads(f, [row.args[i] for i in float_args], order=row.order,
              modes=("fwd", "rev"), tol=2e-2)


@pytest.mark.parametrize("row", [r for r in ROWS if not r.order], ids=[
    i for i, r in zip(_IDS, ROWS) if not r.order])
def test_zero_derivative(row):
  x, = row.args
  out, t = morphax.jvp(row.fn, (x,), (np.ones_like(x),))
  np.testing.assert_array_equal(np.asarray(t), np.zeros_like(np.asarray(out)))


def _batch(x, axis, size=2):
  """`size` different copies of `x` stacked along `axis`."""
  copies = [x if i == 0 else (x + i if x.dtype != np.float32 else
                              x * (1 + 0.25 * i) - 0.1 * i)
            for i in range(size)]
  return np.stack(copies, axis)


@pytest.mark.parametrize("row", ROWS, ids=_IDS)
def test_vmap_matches_loop(row):
  last = tuple(a.ndim for a in row.args)
  for in_axes in row.in_axes + (last,):
    batched = [a if ax is None else _batch(a, ax)
               for a, ax in zip(row.args, in_axes)]
    got = morphax.vmap(row.fn, in_axes=in_axes)(*batched)
    slices = [[a if ax is None else np.take(a, i, ax)
               for a, ax in zip(batched, in_axes)] for i in range(2)]
    outs = [row.fn(*s) for s in slices]
    want = tree.tree_map(lambda *o: np.stack([np.asarray(v) for v in o]), *outs)
    _allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("row", ROWS, ids=_IDS)
def test_jit_matches_eager(row):
  _allclose(morphax.jit(row.fn)(*row.args), row.fn(*row.args),
            rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("fn, x", [
    (lambda x: lax.reduce_max(x, (1,)), _distinct(3, 4)),
    (lambda x: lax.reduce_prod(x, (0,)), _positive(3, 4)),
    (lambda x: lax.cumlogsumexp(x, 1), _f32(3, 4)),
    (lambda x: lax.cummax(x, 0, reverse=True), _distinct(3, 4)),
    (lambda x: lax.sort(x, 0), _distinct(3, 4)),
    (lambda x: lax.top_k(x, 2)[0], _distinct(3, 4)),
    (_window(lax.add, 0., **_W_DILATED), _f32(5, 6)),
    (_window(lax.max, -np.inf, **_W_SAME), _distinct(5, 6)),
])
def test_grad_jaxpr_typechecks(fn, x):
  def loss(x):
    y = fn(x)
    return lax.reduce_sum(lax.mul(y, y), tuple(range(y.ndim)))
  ir.typecheck(morphax.make_jaxpr(morphax.grad(loss))(x))
  batched_grad = morphax.vmap(morphax.grad(loss))
  ir.typecheck(morphax.make_jaxpr(batched_grad)(_batch(x, 0)))


def test_reduce_max_ties_average():
  x = np.array([1., 3., 3., 2.], np.float32)
  g = morphax.grad(lambda x: lax.reduce_max(x, (0,)))(x)
  np.testing.assert_allclose(np.asarray(g), [0., 0.5, 0.5, 0.])


def test_reduce_prod_grad_with_zeros():
  x = np.array([[2., 0., 3.], [0., 0., 5.]], np.float32)
  g = morphax.grad(lambda x: lax.reduce_sum(lax.reduce_prod(x, (1,)), (0,)))(x)
  np.testing.assert_allclose(np.asarray(g), [[0., 6., 0.], [0., 0., 0.]])


def test_cummax_tangent_follows_running_argmax():
  x = np.array([1., 4., 2., 5., 3.], np.float32)
  t = np.array([10., 20., 30., 40., 50.], np.float32)
  _, dt = morphax.jvp(lambda x: lax.cummax(x), (x,), (t,))
  np.testing.assert_allclose(np.asarray(dt), [10., 20., 20., 40., 40.])


def test_cumlogsumexp_jvp_is_finite_for_large_inputs():
  x = np.array([-1000., 0., 1000., 1000.5], np.float32)
  _, dt = morphax.jvp(lambda x: lax.cumlogsumexp(x), (x,), (np.ones_like(x),))
  np.testing.assert_allclose(np.asarray(dt), np.ones(4), rtol=1e-4)


def test_top_k_index_tangent_is_zero():
  x = _distinct(3, 4)
  _, (_, t_idx) = morphax.jvp(lambda x: lax.top_k(x, 2), (x,), (x,))
  np.testing.assert_array_equal(np.asarray(t_idx), 0)
