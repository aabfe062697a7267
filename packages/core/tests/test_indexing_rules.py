"""Transformation rules of gather and the scatter family (ops/indexing.py):
derivatives against finite differences, vmap against a Python loop, jit.
"""

import itertools
from typing import NamedTuple

import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.core import ir
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {"gather", "scatter", "scatter-add", "scatter-sub", "scatter-mul",
                      "scatter-min", "scatter-max"}

GDN, SDN = lax.GatherDimensionNumbers, lax.ScatterDimensionNumbers
CLIP = lax.GatherScatterMode.CLIP
FILL = lax.GatherScatterMode.FILL_OR_DROP

ROWS_GATHER = GDN(offset_dims=(1,), collapsed_slice_dims=(0,),
                  start_index_map=(0,))
ROWS_SCATTER = SDN(update_window_dims=(1,), inserted_window_dims=(0,),
                   scatter_dims_to_operand_dims=(0,))
# A batching pair: operand (2, 5, 3) and indices (2, 4, 1), row b of the
# indices indexing operand[b].
BATCHED_GATHER = GDN(offset_dims=(2,), collapsed_slice_dims=(1,),
                     start_index_map=(1,), operand_batching_dims=(0,),
                     start_indices_batching_dims=(0,))
BATCHED_SCATTER = SDN(update_window_dims=(2,), inserted_window_dims=(1,),
                      scatter_dims_to_operand_dims=(1,),
                      operand_batching_dims=(0,),
                      scatter_indices_batching_dims=(0,))
# 2x2 windows of a (4, 5) matrix at 2-d points, not collapsed.
WINDOW_GATHER = GDN(offset_dims=(1, 2), collapsed_slice_dims=(),
                    start_index_map=(0, 1))
WINDOW_SCATTER = SDN(update_window_dims=(1, 2), inserted_window_dims=(),
                     scatter_dims_to_operand_dims=(0, 1))


def _floats(rng, shape):
  return rng.uniform(0.5, 1.5, shape).astype(np.float32)


def _rows(n, k, unique=False, oob=False):
  def make(rng):
    idx = (rng.permutation(n)[:k] if unique else rng.randint(0, n, k))
    if oob:
      idx[-1] = n + 2
    return idx.reshape(k, 1).astype(np.int32)
  return make


def _points(rng):
  return np.array([[0, 0], [2, 3], [3, 4], [1, 1]], np.int32)[
      rng.permutation(4)[:3]]


class Row(NamedTuple):
  name: str
  fn: object          # f(*args)
  makers: tuple       # one rng -> array per arg
  diff: tuple         # positions of the differentiable args
  order: int          # derivative order checked (0: none)
  unique: bool = True  # result well defined under any scatter order


def _gather_row(name, dnums, slice_sizes, makers, **kw):
  return Row(name, lambda x, i: lax.gather(x, i, dnums, slice_sizes, **kw),
             makers, (0,), 2)


def _scatter_row(name, op, dnums, makers, diff=(0, 2), order=2, unique=True,
                 **kw):
  return Row(name, lambda x, i, u: op(x, i, u, dnums, **kw), makers, diff,
             order, unique)


ROWS = [
    _gather_row("gather_rows", ROWS_GATHER, (1, 3),
                (lambda r: _floats(r, (5, 3)), _rows(5, 4))),
    _gather_row("gather_fill", ROWS_GATHER, (1, 3),
                (lambda r: _floats(r, (5, 3)), _rows(5, 4, oob=True)),
                mode=FILL, fill_value=0.0),
    _gather_row("gather_windows_clip", WINDOW_GATHER, (2, 2),
                (lambda r: _floats(r, (4, 5)), _points), mode=CLIP),
    _gather_row("gather_batching_dims", BATCHED_GATHER, (1, 1, 3),
                (lambda r: _floats(r, (2, 5, 3)),
                 lambda r: r.randint(0, 5, (2, 4, 1)).astype(np.int32))),
    _scatter_row("scatter_add_rows", lax.scatter_add, ROWS_SCATTER,
                 (lambda r: _floats(r, (5, 3)), _rows(5, 4),
                  lambda r: _floats(r, (4, 3)))),
    _scatter_row("scatter_add_drop", lax.scatter_add, ROWS_SCATTER,
                 (lambda r: _floats(r, (5, 3)), _rows(5, 4, oob=True),
                  lambda r: _floats(r, (4, 3)))),
    _scatter_row("scatter_add_windows_clip", lax.scatter_add, WINDOW_SCATTER,
                 (lambda r: _floats(r, (4, 5)), _points,
                  lambda r: _floats(r, (3, 2, 2))), mode=CLIP),
    _scatter_row("scatter_add_batching_dims", lax.scatter_add, BATCHED_SCATTER,
                 (lambda r: _floats(r, (2, 5, 3)),
                  lambda r: r.randint(0, 5, (2, 4, 1)).astype(np.int32),
                  lambda r: _floats(r, (2, 4, 3)))),
    _scatter_row("scatter_sub_rows", lax.scatter_sub, ROWS_SCATTER,
                 (lambda r: _floats(r, (5, 3)), _rows(5, 4),
                  lambda r: _floats(r, (4, 3)))),
    _scatter_row("scatter_mul_operand", lax.scatter_mul, ROWS_SCATTER,
                 (lambda r: _floats(r, (5, 3)), _rows(5, 4),
                  lambda r: _floats(r, (4, 3))), diff=(0,)),
    _scatter_row("scatter_mul_unique", lax.scatter_mul, ROWS_SCATTER,
                 (lambda r: _floats(r, (5, 3)), _rows(5, 4, unique=True),
                  lambda r: _floats(r, (4, 3))), unique_indices=True),
    _scatter_row("scatter_unique", lax.scatter, ROWS_SCATTER,
                 (lambda r: _floats(r, (5, 3)), _rows(5, 4, unique=True),
                  lambda r: _floats(r, (4, 3))), unique_indices=True),
    _scatter_row("scatter_repeated", lax.scatter, ROWS_SCATTER,
                 (lambda r: _floats(r, (5, 3)), _rows(5, 4),
                  lambda r: _floats(r, (4, 3))), unique=False),
    _scatter_row("scatter_unique_batching_dims", lax.scatter, BATCHED_SCATTER,
                 (lambda r: _floats(r, (2, 5, 3)),
                  lambda r: np.stack([r.permutation(5)[:4] for _ in range(2)]
                                     )[..., None].astype(np.int32),
                  lambda r: _floats(r, (2, 4, 3))), unique_indices=True),
    _scatter_row("scatter_min", lax.scatter_min, ROWS_SCATTER,
                 (lambda r: _floats(r, (5, 3)), _rows(5, 4),
                  lambda r: _floats(r, (4, 3)))),
    _scatter_row("scatter_max", lax.scatter_max, ROWS_SCATTER,
                 (lambda r: _floats(r, (5, 3)), _rows(5, 4),
                  lambda r: _floats(r, (4, 3)))),
]
IDS = [r.name for r in ROWS]


def _args(row, seed=0):
  rng = np.random.RandomState(seed)
  return [make(rng) for make in row.makers]


def _only(row, args):
  """`row.fn` as a function of its differentiable args alone."""
  def f(*diff_args):
    full = list(args)
    for pos, a in zip(row.diff, diff_args):
      full[pos] = a
    return row.fn(*full)
  return f, [args[p] for p in row.diff]


@pytest.mark.parametrize("row", [r for r in ROWS if r.order], ids=[
    r.name for r in ROWS if r.order])
def test_grads(row):
  f, diff_args = _only(row, _args(row))
  check_grads(f, diff_args, order=row.order, modes=("fwd", "rev"),
              eps=1e-2, tol=2e-2)


@pytest.mark.parametrize("row", ROWS[::3], ids=IDS[::3])
def test_grad_jaxpr_typechecks(row):
  f, diff_args = _only(row, _args(row))
  loss = lambda *a: lax.reduce_sum(f(*a), tuple(range(f(*diff_args).ndim)))
  ir.typecheck(morphax.make_jaxpr(morphax.grad(loss))(*diff_args).jaxpr)


def _axes_cases(row):
  n = len(row.makers)
  cases = [c for c in itertools.product((None, 0), repeat=n)
           if any(a is not None for a in c)]
  return cases + [(1,) * n]


VMAP_CASES = [(row, axes) for row in ROWS for axes in _axes_cases(row)
              if row.unique or axes.count(None) == len(axes) - 1]


@pytest.mark.parametrize("row,in_axes", VMAP_CASES, ids=[
    f"{r.name}-{a}" for r, a in VMAP_CASES])
def test_vmap_matches_loop(row, in_axes):
  size = 3
  per_example = [_args(row, seed) for seed in range(size)]
  batched = []
  for k, ax in enumerate(in_axes):
    if ax is None:
      batched.append(per_example[0][k])
    else:
      batched.append(np.stack([ex[k] for ex in per_example], axis=ax))
  out = morphax.vmap(row.fn, in_axes=in_axes)(*batched)
  expected = np.stack([
      np.asarray(row.fn(*[per_example[0][k] if ax is None else ex[k]
                          for k, ax in enumerate(in_axes)]))
      for ex in per_example])
  np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_jit_matches_eager(row):
  args = _args(row)
  np.testing.assert_allclose(np.asarray(morphax.jit(row.fn)(*args)),
                             np.asarray(row.fn(*args)), rtol=1e-6)


GRAD_ROWS = [r for r in ROWS if r.order and r.unique][::2]


@pytest.mark.parametrize("row", GRAD_ROWS, ids=[r.name for r in GRAD_ROWS])
def test_jit_vmap_of_grad_matches_loop(row):
  args = _args(row)
  f, diff_args = _only(row, args)
  x = diff_args[0]
  def g(x):
    out = f(x, *diff_args[1:])
    return morphax.grad(lambda x: lax.reduce_sum(
        lax.mul(f(x, *diff_args[1:]), out), tuple(range(out.ndim))))(x)
  xs = np.stack([x, 2 * x])
  expected = np.stack([np.asarray(g(x)) for x in xs])
  np.testing.assert_allclose(np.asarray(morphax.jit(morphax.vmap(g))(xs)),
                             expected, rtol=1e-5)


def test_gather_transpose_drops_out_of_bounds_slices():
  row = ROWS[1]  # FILL_OR_DROP with the last index out of bounds
  x, i = _args(row)
  g = morphax.grad(lambda x: lax.reduce_sum(row.fn(x, i), (0, 1)))(x)
  counts = np.zeros(5)
  np.add.at(counts, i[:-1, 0], 1)
  np.testing.assert_allclose(np.asarray(g), np.repeat(counts[:, None], 3, 1))


def test_indices_get_no_tangent():
  row = ROWS[0]
  x, i = _args(row)
  out, t = morphax.jvp(lambda x: row.fn(x, i), (x,), (np.zeros_like(x),))
  np.testing.assert_array_equal(np.asarray(t), 0)


@pytest.mark.parametrize("op,pick", [(lax.scatter_min, np.minimum),
                                     (lax.scatter_max, np.maximum)])
def test_extremal_scatter_ties_share_the_tangent(op, pick):
  x = np.array([[1.0], [2.0]], np.float32)
  i = np.array([[0], [0]], np.int32)
  u = np.array([[1.0], [1.0]], np.float32)  # ties with x[0] for min and max
  _, t = morphax.jvp(lambda x, u: op(x, i, u, ROWS_SCATTER), (x, u),
                     (np.array([[3.0], [5.0]], np.float32),
                      np.array([[6.0], [0.0]], np.float32)))
  np.testing.assert_allclose(np.asarray(t), [[3.0], [5.0]])


def test_scatter_mul_updates_needs_unique_indices():
  x, i, u = _args(ROWS[-1])
  with pytest.raises(NotImplementedError, match="unique_indices=True"):
    morphax.grad(lambda u: lax.reduce_sum(
        lax.scatter_mul(x, i, u, ROWS_SCATTER), (0, 1)))(u)
