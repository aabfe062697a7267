"""JVP, transpose and batching rules of the shape and dtype primitives
(ops/shape.py, ops/convert.py): one table row per primitive.
"""

from typing import NamedTuple

import ml_dtypes
import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.core import ir
from morphax.ops import shape as shape_ops
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {
    "broadcast_in_dim", "reshape", "transpose", "squeeze", "rev", "pad",
    "concatenate", "slice", "dynamic_slice", "dynamic_update_slice", "iota",
    "convert_element_type", "bitcast_convert_type", "reduce_precision",
}

F32 = np.float32
BATCH = 3


def rand(*shape, dtype=F32, seed=0):
  return np.random.RandomState(seed + sum(shape)).standard_normal(shape).astype(dtype)


def _stack(f, args, in_axes, seed=7):
  """Batched arguments (BATCH versions of each mapped arg, stacked along its
  axis) and the result of f on each slice, stacked along axis 0."""
  rng = np.random.RandomState(seed)
  batched = []
  for a, axis in zip(args, in_axes):
    if axis is None:
      batched.append(a)
      continue
    a = np.asarray(a)
    if np.issubdtype(a.dtype, np.floating):
      versions = [a + rng.standard_normal(a.shape).astype(a.dtype)
                  for _ in range(BATCH)]
    else:
      versions = [a + i for i in range(BATCH)]
    batched.append(np.stack(versions, axis))
  loop = [f(*[a if axis is None else np.take(a, i, axis)
              for a, axis in zip(batched, in_axes)]) for i in range(BATCH)]
  return batched, np.stack([np.asarray(x) for x in loop])


class Row(NamedTuple):
  name: str
  fun: object
  args: tuple
  order: int            # 0: not differentiable (zero tangents checked)
  in_axes: tuple = ()   # a tuple of in_axes per vmap check


def dynamic_slice_fun(x):
  return lax.dynamic_slice(x, (np.int32(3), np.int32(-1)), (2, 2))


ROWS = [
    Row("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 3, 4), (0, 2)),
        (rand(2, 4),), 2, ((0,), (1,))),
    Row("broadcast_in_dim_expand", lambda x: lax.broadcast_in_dim(x, (2, 3), (0, 1)),
        (rand(1, 3),), 2, ((1,),)),
    Row("reshape", lambda x: lax.reshape(x, (3, 4)), (rand(2, 6),), 2, ((0,), (2,))),
    Row("reshape_dimensions", lambda x: lax.reshape(x, (3, 4), (1, 0)),
        (rand(2, 6),), 2, ((1,),)),
    Row("transpose", lambda x: lax.transpose(x, (2, 0, 1)), (rand(2, 3, 4),), 2,
        ((0,), (2,), (3,))),
    Row("squeeze", lambda x: lax.squeeze(x, (1, 3)), (rand(2, 1, 3, 1),), 2,
        ((0,), (2,))),
    Row("rev", lambda x: lax.rev(x, (1,)), (rand(2, 3),), 2, ((0,), (1,), (2,))),
    Row("pad", lambda x, v: lax.pad(x, v, [(1, 2, 1), (-1, 1, 0)]),
        (rand(3, 4), F32(0.5)), 2, ((0, None), (1, 0), (None, 0), (2, None))),
    Row("pad_negative_interior", lambda x, v: lax.pad(x, v, [(-2, -1, 2)]),
        (rand(4), F32(-1.5)), 1, ((0, 0),)),
    Row("concatenate", lambda a, b, c: lax.concatenate([a, b, c], 1),
        (rand(2, 3), rand(2, 1), rand(2, 2)), 2,
        ((0, None, 1), (None, 2, None), (1, 1, 1))),
    Row("slice", lambda x: lax.slice(x, (1, 0), (5, 6), (2, 4)), (rand(5, 6),), 2,
        ((0,), (1,), (2,))),
    Row("slice_unit", lambda x: lax.slice(x, (1, 2), (3, 4)), (rand(4, 5),), 1,
        ((1,),)),
    Row("dynamic_slice", dynamic_slice_fun, (rand(5, 4),), 2, ((0,), (2,))),
    Row("dynamic_update_slice",
        lambda x, u: lax.dynamic_update_slice(x, u, (np.int32(1), np.int32(2))),
        (rand(5, 4), rand(2, 3)), 2, ((0, None), (None, 1), (1, 0), (2, 2))),
    Row("convert_element_type",
        lambda x: shape_ops._convert_element_type(x, None, weak_type=True),
        (rand(2, 3),), 2, ((0,), (1,))),
    Row("convert_element_type_complex",
        lambda x: lax.convert_element_type(x, np.complex64), (rand(3),), 1, ((0,),)),
    Row("reduce_precision", lambda x: lax.reduce_precision(x, 8, 23),
        (rand(2, 3),), 2, ((0,), (1,))),
    Row("convert_float_to_int", lambda x: lax.convert_element_type(x, np.int32),
        (rand(2, 3) * 4,), 0, ((0,), (2,))),
    Row("convert_int_to_float", lambda x: lax.convert_element_type(x, F32),
        (np.arange(6, dtype=np.int32).reshape(2, 3),), 0, ((1,),)),
    Row("bitcast_same_width", lambda x: lax.bitcast_convert_type(x, np.int32),
        (rand(2, 3),), 0, ((0,), (2,))),
    Row("bitcast_narrow", lambda x: lax.bitcast_convert_type(x, np.int8),
        (rand(2, 3),), 0, ((1,), (2,))),
    Row("bitcast_wide", lambda x: lax.bitcast_convert_type(x, F32),
        (np.arange(24, dtype=np.int8).reshape(2, 3, 4),), 0, ((0,), (2,), (3,))),
]


@pytest.mark.parametrize("row", [r for r in ROWS if r.order], ids=lambda r: r.name)
def test_grads(row):
  check_grads(row.fun, row.args, order=row.order, modes=("fwd", "rev"))


@pytest.mark.parametrize("row", [r for r in ROWS if not r.order], ids=lambda r: r.name)
def test_zero_tangent(row):
  # NB: morphax.jvp takes integer tangents of the primal's dtype (JAX: float0).
  tangents = tuple(np.ones_like(a) for a in row.args)
  out, t = morphax.jvp(row.fun, row.args, tangents)
  np.testing.assert_array_equal(np.asarray(out), np.asarray(row.fun(*row.args)))
  assert not np.any(np.asarray(t).astype(np.float64))


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_vmap_matches_loop(row):
  for in_axes in row.in_axes:
    batched, want = _stack(row.fun, row.args, in_axes)
    got = morphax.vmap(row.fun, in_axes=in_axes)(*batched)
    np.testing.assert_array_equal(np.asarray(got), want, err_msg=str(in_axes))


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_jit_matches_eager(row):
  np.testing.assert_array_equal(np.asarray(morphax.jit(row.fun)(*row.args)),
                                np.asarray(row.fun(*row.args)))


@pytest.mark.parametrize("name", ["pad", "concatenate", "slice", "dynamic_slice",
                                  "dynamic_update_slice", "reshape_dimensions"])
def test_grad_jaxpr_typechecks(name):
  row = next(r for r in ROWS if r.name == name)
  def loss(*args):
    out = row.fun(*args)
    return lax.reduce_sum(lax.mul(out, out), tuple(range(out.ndim)))
  argnums = tuple(range(len(row.args)))
  ir.typecheck(morphax.make_jaxpr(morphax.grad(loss, argnums))(*row.args))


# --- rules the table does not reach ------------------------------------------

def test_pad_transpose_by_hand():
  # Every operand element appears once; the padding value fills the rest.
  config = [(1, -1, 2), (-1, 2, 0)]
  x, v = rand(3, 3), F32(2.0)
  out_shape = lax.pad(x, v, config).shape
  gx, gv = morphax.grad(
      lambda x, v: lax.reduce_sum(lax.pad(x, v, config), (0, 1)), (0, 1))(x, v)
  kept = np.zeros((3, 3), F32)
  kept[:2, 1:] = 1  # the last row is cut by high=-1, the first column by low=-1
  np.testing.assert_array_equal(np.asarray(gx), kept)
  assert float(gv) == np.prod(out_shape) - kept.sum()


def test_dynamic_slice_traced_index_grad():
  # The index is an argument of jit; its gradient is not asked for.
  def f(x, i):
    return lax.reduce_sum(lax.dynamic_slice(x, (i, np.int32(0)), (2, 4)), (0, 1))
  g = morphax.jit(morphax.grad(f))(rand(5, 4), np.int32(4))
  want = np.zeros((5, 4), F32)
  want[3:] = 1  # clamped start 3
  np.testing.assert_array_equal(np.asarray(g), want)


def test_dynamic_update_slice_transpose_by_hand():
  def f(x, u):
    return lax.reduce_sum(lax.dynamic_update_slice(x, u, (np.int32(-1),)), (0,))
  gx, gu = morphax.grad(f, (0, 1))(rand(5), rand(2))
  np.testing.assert_array_equal(np.asarray(gx), [1, 1, 1, 0, 0])
  np.testing.assert_array_equal(np.asarray(gu), [1, 1])


@pytest.mark.parametrize("in_axes", [(0, 0), (None, 0), (1, 0)])
def test_batched_start_indices_match_a_loop(in_axes):
  """vmap over start indices: gather/scatter in CLIP mode, with negative
  starts wrapped and windows clamped into bounds like the unbatched op."""
  x = {0: rand(3, 5), None: rand(5), 1: rand(5, 3)}[in_axes[0]]
  i = np.array([0, 4, -1], np.int32)
  take = lambda x, i: lax.dynamic_slice(x, (i,), (2,))
  put = lambda x, i: lax.dynamic_update_slice(x, lax.full((2,), -7.0), (i,))
  for f in (take, put):
    out = morphax.vmap(f, in_axes=in_axes)(x, i)
    slices = [x if in_axes[0] is None else np.take(x, b, axis=in_axes[0])
              for b in range(3)]
    expected = np.stack([np.asarray(f(s, np.int32(j))) for s, j in zip(slices, i)])
    np.testing.assert_array_equal(np.asarray(out), expected)
  check_grads(lambda x: morphax.vmap(take)(x, i), (rand(3, 5),), order=1)


def test_iota_under_vmap_and_jvp():
  def iota(x):
    return lax.add(x, lax.convert_element_type(lax.iota(np.int32, 3), F32))
  xs = rand(2, 3)
  np.testing.assert_array_equal(np.asarray(morphax.vmap(iota)(xs)),
                                xs + np.arange(3, dtype=F32))
  _, t = morphax.jvp(lambda x: lax.mul(x, lax.convert_element_type(
      lax.broadcasted_iota(np.int32, (3,), 0), F32)), (rand(3),), (np.ones(3, F32),))
  np.testing.assert_array_equal(np.asarray(t), [0, 1, 2])
  out, dim = shape_ops.iota_p.batch(
      (), (), dtype=np.dtype(np.int32), shape=(3,), dimension=0)
  assert dim is None and np.asarray(out).tolist() == [0, 1, 2]


def test_reduce_precision_rounds_the_tangent():
  x, t = rand(4), np.array([1.0 + 2 ** -12, 3.0, -0.1, 7.0], F32)
  _, got = morphax.jvp(lambda x: lax.reduce_precision(x, 8, 7), (x,), (t,))
  want = t.astype(ml_dtypes.bfloat16).astype(F32)
  np.testing.assert_array_equal(np.asarray(got), want)
