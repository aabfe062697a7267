"""Transformation rules of dot_general and conv_general_dilated: jvp and
transpose against finite differences, batch against a Python loop, jit."""

import ml_dtypes
import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.core import ir
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {"dot_general", "conv_general_dilated"}

RNG = np.random.default_rng(0)


def rand(*shape):
  return RNG.standard_normal(shape).astype(np.float32)


def dot(dims):
  return lambda x, y: lax.dot_general(x, y, dims)


def conv(strides=(1,), padding="VALID", lhs_dilation=None, rhs_dilation=None,
         dnums=None, groups=1, batch_groups=1):
  return lambda x, y: lax.conv_general_dilated(
      x, y, strides, padding, lhs_dilation, rhs_dilation, dnums,
      feature_group_count=groups, batch_group_count=batch_groups)


# name, f, lhs shape, rhs shape, derivative order.
ROWS = [
    ("matmul", dot((((1,), (0,)), ((), ()))), (3, 4), (4, 5), 2),
    ("matvec", dot((((1,), (0,)), ((), ()))), (3, 4), (4,), 2),
    ("batched_matmul", dot((((2,), (1,)), ((0,), (0,)))), (2, 3, 4), (2, 4, 5), 2),
    ("two_contractions", dot((((2, 0), (0, 1)), ((1,), (2,)))),
     (3, 2, 4, 5), (4, 3, 2, 3), 2),
    ("outer_rhs_first", dot((((), ()), ((), ()))), (2,), (3, 2), 2),
    ("conv1d", conv(), (2, 3, 7), (4, 3, 3), 2),
    ("conv1d_stride_pad", conv((2,), ((1, 2),)), (2, 3, 8), (4, 3, 3), 2),
    ("conv1d_lhs_dilation", conv((1,), ((2, 1),), lhs_dilation=(2,)),
     (1, 2, 5), (3, 2, 3), 2),
    ("conv1d_rhs_dilation", conv((2,), "SAME", rhs_dilation=(2,)),
     (2, 2, 9), (3, 2, 3), 2),
    ("conv2d_nhwc", conv((2, 1), "SAME", dnums=("NHWC", "HWIO", "NHWC")),
     (2, 5, 4, 3), (3, 2, 3, 4), 2),
    ("conv2d_nchw_dilated", conv((1, 2), ((1, 0), (0, 1)), (1, 2), (2, 1),
                                 ("NCHW", "OIHW", "NCHW")),
     (1, 2, 4, 5), (3, 2, 2, 2), 2),
    ("conv2d_mixed_layout", conv((1, 1), "VALID", dnums=("NHWC", "OIHW", "NCHW")),
     (2, 4, 4, 2), (3, 2, 2, 2), 2),
    ("conv1d_groups", conv((2,), "SAME", groups=2), (2, 4, 7), (6, 2, 3), 2),
    ("conv2d_depthwise_nhwc", conv((1, 2), "SAME", dnums=("NHWC", "HWIO", "NHWC"),
                                   groups=3),
     (1, 4, 5, 3), (2, 2, 1, 6), 2),
    ("conv1d_batch_groups", conv((1,), "VALID", batch_groups=2),
     (4, 3, 6), (4, 3, 2), 2),
]
IDS = [r[0] for r in ROWS]


@pytest.mark.parametrize("name,f,lshape,rshape,order", ROWS, ids=IDS)
def test_grads(name, f, lshape, rshape, order):
  check_grads(f, (rand(*lshape), rand(*rshape)), order=order,
              modes=("fwd", "rev"))


def loop(f, xs, ys, x_axis, y_axis, size):
  take = lambda a, ax, i: a if ax is None else np.take(a, i, axis=ax)
  return np.stack([np.asarray(f(take(xs, x_axis, i), take(ys, y_axis, i)))
                   for i in range(size)])


def batched(shape, axis, size):
  if axis is None:
    return rand(*shape)
  shape = list(shape)
  shape.insert(axis, size)
  return rand(*shape)


@pytest.mark.parametrize("name,f,lshape,rshape,order", ROWS, ids=IDS)
@pytest.mark.parametrize("axes", [(0, None), (None, 1), (1, 0)],
                         ids=["lhs", "rhs", "both"])
def test_vmap(name, f, lshape, rshape, order, axes):
  size = 3
  x_axis, y_axis = axes
  y_axis = min(y_axis, len(rshape)) if y_axis is not None else None
  xs, ys = batched(lshape, x_axis, size), batched(rshape, y_axis, size)
  got = morphax.vmap(f, in_axes=(x_axis, y_axis))(xs, ys)
  want = loop(f, xs, ys, x_axis, y_axis, size)
  np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,f,lshape,rshape,order", ROWS, ids=IDS)
def test_jit(name, f, lshape, rshape, order):
  x, y = rand(*lshape), rand(*rshape)
  np.testing.assert_allclose(np.asarray(morphax.jit(f)(x, y)),
                             np.asarray(f(x, y)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("row", [0, 3, 6, 12, 14], ids=lambda i: IDS[i])
def test_grad_jaxpr_typechecks(row):
  name, f, lshape, rshape, _ = ROWS[row]
  loss = lambda x, y: lax.reduce_sum(lax.mul(f(x, y), f(x, y)),
                                     tuple(range(len(f(x, y).shape))))
  x, y = rand(*lshape), rand(*rshape)
  ir.typecheck(morphax.make_jaxpr(morphax.grad(loss, argnums=(0, 1)))(x, y))


@pytest.mark.parametrize("row", [2, 12], ids=lambda i: IDS[i])
def test_vmap_of_grad(row):
  name, f, lshape, rshape, _ = ROWS[row]
  loss = lambda x, y: lax.reduce_sum(f(x, y), tuple(range(len(f(x, y).shape))))
  grad = morphax.grad(loss, argnums=(0, 1))
  xs, ys = batched(lshape, 0, 2), batched(rshape, 0, 2)
  got = morphax.vmap(grad)(xs, ys)
  for i in range(2):
    want = grad(xs[i], ys[i])
    for g, w in zip(got, want):
      np.testing.assert_allclose(np.asarray(g)[i], np.asarray(w), rtol=1e-5,
                                 atol=1e-5)


def test_preferred_element_type_grad_keeps_operand_dtype():
  bf16 = np.dtype(ml_dtypes.bfloat16)
  x, y = rand(2, 3).astype(bf16), rand(3, 4).astype(bf16)
  f = lambda x, y: lax.reduce_sum(
      lax.dot_general(x, y, (((1,), (0,)), ((), ())),
                      preferred_element_type=np.float32), (0, 1))
  gx, gy = morphax.grad(f, argnums=(0, 1))(x, y)
  assert gx.dtype == bf16 and gy.dtype == bf16
  xs, ws = rand(1, 2, 5).astype(bf16), rand(3, 2, 2).astype(bf16)
  g = lambda x, w: lax.reduce_sum(lax.conv_general_dilated(
      x, w, (1,), "VALID", preferred_element_type=np.float32), (0, 1, 2))
  gx, gw = morphax.grad(g, argnums=(0, 1))(xs, ws)
  assert gx.dtype == bf16 and gw.dtype == bf16
  np.testing.assert_allclose(
      np.asarray(gw, np.float32),
      np.asarray(morphax.grad(g, argnums=1)(xs.astype(np.float32),
                                            ws.astype(np.float32))),
      rtol=5e-2, atol=5e-2)
