"""Collectives (ops/parallel.py) against numpy: values under vmap(axis_name)
and under pmap over 4 CPU devices, jvp against finite differences,
transposes by the dot-product test, nested axes, unbound-name errors.
"""

import os

os.environ.setdefault("MORPHAX_NUM_CPU_DEVICES", "4")  # before the backend starts

from typing import NamedTuple  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import morphax  # noqa: E402
from morphax import lax  # noqa: E402
from morphax.test_util import check_grads  # noqa: E402

PRIMITIVES_COVERED = {"psum", "pmax", "pmin", "all_gather", "psum_scatter",
                      "ppermute", "all_to_all", "axis_index"}

N = 4  # members of the named axis (devices under pmap)
F32 = np.float32


def rand(*shape, seed=0):
  return np.random.RandomState(seed + sum(shape)).standard_normal(shape).astype(F32)


def a2a_oracle(x, split, concat):
  """Member j gets x[k] block j of split (untiled), stacked by k at concat."""
  return np.stack([np.moveaxis(np.take(x, j, axis=split + 1), 0, concat)
                   for j in range(N)])


def a2a_tiled_oracle(x, split, concat):
  blocks = np.split(x, N, axis=split + 1)  # blocks[j][k] = member k's block j
  return np.stack([np.concatenate(list(blocks[j]), axis=concat) for j in range(N)])


def ppermute_oracle(x, perm):
  out = np.zeros_like(x)
  for src, dst in perm:
    out[dst] = x[src]
  return out


class Row(NamedTuple):
  name: str
  fun: object      # per-member function of one argument, over axis 'i'
  shape: tuple     # per-member shape
  oracle: object   # stacked input -> stacked output (numpy)
  linear: bool


def rep(v):
  return np.broadcast_to(v, (N,) + v.shape)


ROWS = [
    Row("psum", lambda a: lax.psum(a, "i"), (2, 3), lambda x: rep(x.sum(0)), True),
    Row("pmean", lambda a: lax.pmean(a, "i"), (2, 3), lambda x: rep(x.mean(0)), True),
    Row("pmax", lambda a: lax.pmax(a, "i"), (2, 3), lambda x: rep(x.max(0)), False),
    Row("pmin", lambda a: lax.pmin(a, "i"), (3,), lambda x: rep(x.min(0)), False),
    Row("all_gather", lambda a: lax.all_gather(a, "i"), (2, 3), lambda x: rep(x), True),
    Row("all_gather_axis1", lambda a: lax.all_gather(a, "i", axis=1), (2, 3),
        lambda x: rep(np.moveaxis(x, 0, 1)), True),
    Row("all_gather_tiled", lambda a: lax.all_gather(a, "i", axis=1, tiled=True), (2, 3),
        lambda x: rep(np.concatenate(list(x), axis=1)), True),
    Row("psum_scatter", lambda a: lax.psum_scatter(a, "i"), (N, 3),
        lambda x: x.sum(0), True),
    Row("psum_scatter_tiled",
        lambda a: lax.psum_scatter(a, "i", scatter_dimension=1, tiled=True), (2, 2 * N),
        lambda x: np.stack(np.split(x.sum(0), N, axis=1)), True),
    Row("ppermute", lambda a: lax.ppermute(a, "i", [(0, 1), (1, 2), (3, 0)]), (3,),
        lambda x: ppermute_oracle(x, [(0, 1), (1, 2), (3, 0)]), True),
    Row("pshuffle", lambda a: lax.pshuffle(a, "i", [1, 2, 3, 0]), (2,),
        lambda x: x[[1, 2, 3, 0]], True),
    Row("all_to_all", lambda a: lax.all_to_all(a, "i", 0, 1), (N, 3),
        lambda x: a2a_oracle(x, 0, 1), True),
    Row("all_to_all_tiled", lambda a: lax.all_to_all(a, "i", 1, 0, tiled=True), (2, 2 * N),
        lambda x: a2a_tiled_oracle(x, 1, 0), True),
    Row("axis_index", lambda a: lax.axis_index("i") + 0 * a.sum().astype(np.int32), (2,),
        lambda x: np.arange(N, dtype=np.int32), False),
]
IDS = [r.name for r in ROWS]
LINEAR = [r for r in ROWS if r.linear]


@pytest.fixture(scope="module", autouse=True)
def four_devices():
  assert morphax.device_count() >= N, (
      "these tests need MORPHAX_NUM_CPU_DEVICES>=4 set before morphax starts")


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_vmap_matches_numpy(row):
  x = rand(N, *row.shape)
  out = morphax.vmap(row.fun, axis_name="i")(x)
  np.testing.assert_allclose(np.asarray(out), row.oracle(x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_vmap_over_a_middle_axis(row):
  x = rand(row.shape[0], N, *row.shape[1:], seed=5)
  out = morphax.vmap(row.fun, in_axes=1, axis_name="i")(x)
  np.testing.assert_allclose(np.asarray(out), row.oracle(np.moveaxis(x, 1, 0)),
                             rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_pmap_matches_numpy(row):
  x = rand(N, *row.shape, seed=1)
  out = morphax.pmap(row.fun, axis_name="i")(x)
  assert out.is_sharded and len(out.devices()) == N
  np.testing.assert_allclose(np.asarray(out), row.oracle(x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("row", LINEAR, ids=[r.name for r in LINEAR])
def test_transpose_dot_product(row):
  """<ct, F v> == <F^T ct, v> for the global linear map F = pmap(fun)."""
  v = rand(N, *row.shape, seed=2)
  ct = rand(*row.oracle(v).shape, seed=3)

  def transposed(a, c):
    return morphax.vjp(row.fun, a)[1](c)[0]
  fv = np.asarray(morphax.pmap(row.fun, axis_name="i")(v))
  ftc = np.asarray(morphax.pmap(transposed, axis_name="i")(v, ct))
  np.testing.assert_allclose(np.vdot(ct, fv), np.vdot(ftc, v), rtol=1e-5)
  # The same transpose under vmap (batch rules of the transposed ops).
  ftc_v = morphax.vmap(transposed, axis_name="i")(v, ct)
  np.testing.assert_allclose(np.asarray(ftc_v), ftc, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("row", LINEAR, ids=[r.name for r in LINEAR])
def test_jvp_against_finite_differences(row):
  check_grads(morphax.vmap(row.fun, axis_name="i"), (rand(N, *row.shape, seed=4),),
              order=1, modes=("fwd", "rev"))


def test_pmax_is_not_differentiable_like_jax():
  with pytest.raises(NotImplementedError, match="pmax"):
    morphax.vmap(morphax.grad(lambda a: lax.pmax(a, "i").sum()), axis_name="i")(rand(N, 3))


def test_psum_of_python_scalar_is_the_axis_size():
  out = morphax.vmap(lambda a: a * lax.psum(1, "i"), axis_name="i")(np.ones(N, F32))
  np.testing.assert_array_equal(np.asarray(out), np.full(N, N, F32))
  assert morphax.vmap(lambda a: a + lax.axis_size("i"), axis_name="i")(
      np.zeros(N, F32)).tolist() == [4.0] * N


def test_pmean_of_integers_divides_truly():
  out = morphax.vmap(lambda a: lax.pmean(a, "i"), axis_name="i")(np.arange(N, dtype=np.int32))
  assert out.dtype == np.float32
  np.testing.assert_allclose(np.asarray(out), np.full(N, 1.5))


def test_jit_retraces_under_another_axis_size():
  mean = morphax.jit(lambda a: lax.pmean(a, "i"))
  for n in (2, 4):
    x = np.arange(n, dtype=F32)
    out = morphax.vmap(mean, axis_name="i")(x)
    np.testing.assert_allclose(np.asarray(out), np.full(n, x.mean()))


def test_collectives_inside_scan_under_vmap_and_pmap():
  def f(a):
    carry, _ = lax.scan(lambda c, _: (c + lax.psum(c, "i"), None), a, None, length=2)
    return carry
  x = rand(N, 3, seed=6)
  expected = x
  for _ in range(2):
    expected = expected + expected.sum(0)
  np.testing.assert_allclose(np.asarray(morphax.vmap(f, axis_name="i")(x)), expected, rtol=1e-5)
  np.testing.assert_allclose(np.asarray(morphax.pmap(f, axis_name="i")(x)), expected, rtol=1e-5)


def test_unbatched_operand_under_vmap():
  # The same value on every member: psum multiplies, all_gather copies.
  out = morphax.vmap(lambda a, w: lax.psum(w, "i") + 0 * a, in_axes=(0, None),
                     axis_name="i")(np.zeros(N, F32), F32(2.5))
  np.testing.assert_allclose(np.asarray(out), np.full(N, 10.0))


def test_tuple_axis_names_over_nested_vmaps():
  x = rand(2, 3, 5)
  f = morphax.vmap(morphax.vmap(lambda a: lax.psum(a, ("i", "j")), axis_name="j"),
                   axis_name="i")
  np.testing.assert_allclose(np.asarray(f(x)), np.broadcast_to(x.sum((0, 1)), x.shape),
                             rtol=1e-5)
  g = morphax.vmap(morphax.vmap(lambda a: lax.all_gather(a, "i"), axis_name="j"),
                   axis_name="i")
  # member (i, j) gathers x[:, j] over i
  np.testing.assert_allclose(np.asarray(g(x)),
                             np.broadcast_to(x.transpose(1, 0, 2)[None], (2, 3, 2, 5)))


def test_unbound_axis_name_names_the_axes_in_scope():
  with pytest.raises(NameError, match=r"psum: unbound axis name 'k'. Names in scope: \['i'\]"):
    morphax.vmap(lambda a: lax.psum(a, "k"), axis_name="i")(rand(N, 2))
  with pytest.raises(NameError, match="all_gather: unbound axis name 'i'. Names in scope: none"):
    lax.all_gather(rand(2), "i")


def test_bad_arguments_raise_clear_errors():
  with pytest.raises(ValueError, match=r"psum_scatter: dimension 0 .*shape \(3,\).* equal to "
                                       r"the size of axis 'i', 4 \(or pass tiled=True\)"):
    morphax.vmap(lambda a: lax.psum_scatter(a, "i"), axis_name="i")(rand(N, 3))
  with pytest.raises(ValueError, match="ppermute: perm"):
    morphax.vmap(lambda a: lax.ppermute(a, "i", [(0, 1), (2, 1)]), axis_name="i")(rand(N))
  with pytest.raises(ValueError, match="not a permutation"):
    morphax.vmap(lambda a: lax.pshuffle(a, "i", [0, 0, 1, 2]), axis_name="i")(rand(N))
  with pytest.raises(NotImplementedError, match="axis_index_groups"):
    morphax.vmap(lambda a: lax.psum(a, "i", axis_index_groups=[[0, 1], [2, 3]]),
                 axis_name="i")(rand(N))
