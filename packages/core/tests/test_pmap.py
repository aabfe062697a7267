"""pmap over 4 CPU devices: sharded results that stay on device, caching,
grad + pmean against the single-device gradient, composition with jit,
grad and vmap, device_put_sharded/replicated, and the error messages.
"""

import os

os.environ.setdefault("MORPHAX_NUM_CPU_DEVICES", "4")  # before the backend starts

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import morphax  # noqa: E402
import morphax.numpy as jnp  # noqa: E402
from morphax import lax  # noqa: E402
from morphax.runtime import array as array_lib  # noqa: E402
from morphax.runtime import sharded  # noqa: E402

N = 4
F32 = np.float32


def rand(*shape, seed=0):
  return np.random.RandomState(seed).standard_normal(shape).astype(F32)


@pytest.fixture(scope="module", autouse=True)
def four_devices():
  assert morphax.device_count() >= N, (
      "these tests need MORPHAX_NUM_CPU_DEVICES>=4 set before morphax starts")


def no_host_transfers(monkeypatch):
  """Makes any host -> device or device -> host copy of pmap fail."""
  def fail(*args, **kwargs):
    raise AssertionError("unexpected host transfer")
  monkeypatch.setattr(sharded, "shard_host_value", fail)
  monkeypatch.setattr(array_lib.Array, "_gather", fail)


DOUBLE = morphax.pmap(lambda a: a * 2 + lax.axis_index("i").astype(F32), axis_name="i")


def test_results_are_sharded_and_stay_on_device(monkeypatch):
  x = rand(N, 3)
  y = DOUBLE(x)
  assert y.is_sharded and y.shape == (N, 3)
  assert y.devices() == set(morphax.devices()[:N])
  shard_pointers = [s.unsafe_buffer_pointer() for s in y._shards()]
  with monkeypatch.context() as m:
    no_host_transfers(m)
    z = DOUBLE(y)                  # y's per-device buffers are the operands
    row = z[2]                     # one shard, fetched alone
  assert [s.unsafe_buffer_pointer() for s in y._shards()] == shard_pointers
  expected = (x * 2 + np.arange(N)[:, None]) * 2 + np.arange(N)[:, None]
  np.testing.assert_allclose(np.asarray(row), expected[2], rtol=1e-6)
  assert row.device == morphax.devices()[2]
  np.testing.assert_allclose(np.asarray(z), expected, rtol=1e-6)
  np.testing.assert_allclose(np.stack([np.asarray(s) for s in z.addressable_shards]),
                             expected, rtol=1e-6)


def test_compiles_once_per_signature():
  f = morphax.pmap(lambda a: lax.psum(a, "i"), axis_name="i")
  for seed in range(3):
    x = rand(N, 2, seed=seed)
    np.testing.assert_allclose(np.asarray(f(x)), np.broadcast_to(x.sum(0), x.shape),
                               rtol=1e-6)
  assert f.stats() == {"calls": 3, "cache_hits": 2, "cache_misses": 1}


def test_sharded_results_work_in_eager_ops_and_jit():
  y = DOUBLE(np.ones((N, 2), F32))
  expected = 2 + np.arange(N, dtype=F32)[:, None] * np.ones((1, 2), F32)
  np.testing.assert_allclose(np.asarray(y + 1), expected + 1)
  np.testing.assert_allclose(np.asarray(morphax.jit(jnp.sum)(y)), expected.sum())


def loss(w, x, y):
  return jnp.mean((x @ w - y) ** 2)


def test_pmap_grad_pmean_equals_global_gradient():
  w, x, y = rand(3, seed=1), rand(N * 5, 3, seed=2), rand(N * 5, seed=3)

  def step(w, xs, ys):
    return lax.pmean(morphax.grad(loss)(w, xs, ys), "batch")
  g = morphax.pmap(step, axis_name="batch", in_axes=(None, 0, 0))(
      w, x.reshape(N, 5, 3), y.reshape(N, 5))
  expected = morphax.grad(loss)(w, x, y)
  for i in range(N):
    np.testing.assert_allclose(np.asarray(g[i]), np.asarray(expected), rtol=1e-5)


def test_jit_inside_and_outside():
  x = rand(N, 3)
  inner = morphax.pmap(morphax.jit(lambda a: lax.psum(jnp.sin(a), "i")), axis_name="i")
  expected = np.broadcast_to(np.sin(x).sum(0), x.shape)
  np.testing.assert_allclose(np.asarray(inner(x)), expected, rtol=1e-5)
  outer = morphax.jit(morphax.pmap(lambda a: lax.psum(jnp.sin(a), "i"), axis_name="i"))
  np.testing.assert_allclose(np.asarray(outer(x)), expected, rtol=1e-5)


def test_grad_of_pmap_and_vmap_of_pmap():
  x = rand(N, 3)
  f = morphax.pmap(lambda a: lax.psum(a ** 2, "i"), axis_name="i")
  np.testing.assert_allclose(np.asarray(morphax.grad(lambda v: f(v).sum())(x)),
                             2 * N * x, rtol=1e-5)
  xs = rand(2, N, 3)
  np.testing.assert_allclose(np.asarray(morphax.vmap(f)(xs)),
                             np.broadcast_to((xs ** 2).sum(1, keepdims=True), xs.shape),
                             rtol=1e-5)


def test_nested_pmap_and_vmap_with_two_axis_names():
  x = rand(N, 3, 2)
  f = morphax.pmap(morphax.vmap(
      lambda a: (lax.psum(a, ("i", "j")), lax.psum(a, "j"), lax.all_gather(a, "i")),
      axis_name="j"), axis_name="i")
  both, over_j, gathered = f(x)
  np.testing.assert_allclose(np.asarray(both), np.broadcast_to(x.sum((0, 1)), x.shape),
                             rtol=1e-5)
  np.testing.assert_allclose(np.asarray(over_j),
                             np.broadcast_to(x.sum(1, keepdims=True), x.shape), rtol=1e-5)
  np.testing.assert_allclose(np.asarray(gathered),
                             np.broadcast_to(x.transpose(1, 0, 2)[None], (N, 3, N, 2)))
  nested = morphax.pmap(morphax.pmap(lambda a: lax.psum(a, "i") * lax.axis_index("j"),
                                     axis_name="j"), axis_name="i")
  y = rand(2, 2, 3)
  np.testing.assert_allclose(np.asarray(nested(y)),
                             np.broadcast_to(y.sum(0, keepdims=True), y.shape)
                             * np.arange(2)[None, :, None], rtol=1e-5)


def test_in_axes_out_axes_statics_and_donation():
  x, b = rand(3, N), rand(3)
  f = morphax.pmap(lambda a, bias, scale: a * scale + bias, in_axes=(1, None, None),
                   static_broadcasted_argnums=(2,), out_axes=1)
  np.testing.assert_allclose(np.asarray(f(x, b, 3.0)), x * 3.0 + b[:, None], rtol=1e-6)
  g = morphax.pmap(lambda a: lax.psum(a, "i"), axis_name="i", out_axes=None)
  np.testing.assert_allclose(np.asarray(g(x.T)), x.sum(1), rtol=1e-5)
  h = morphax.pmap(lambda a: a + 1, donate_argnums=0)
  y = morphax.device_put_sharded([np.ones(2, F32)] * N, morphax.devices()[:N])
  np.testing.assert_allclose(np.asarray(h(y)), np.full((N, 2), 2.0))
  assert y.is_deleted()
  k = morphax.pmap(lambda: lax.axis_index("i"), axis_name="i", axis_size=N)
  assert np.asarray(k()).tolist() == list(range(N))


def test_device_put_sharded_and_replicated():
  devices = morphax.devices()[:N]
  shards = [{"w": np.full(2, i, F32), "n": np.int32(i)} for i in range(N)]
  tree = morphax.device_put_sharded(shards, devices)
  assert tree["w"].shape == (N, 2) and tree["w"].is_sharded
  assert np.asarray(tree["n"]).tolist() == list(range(N))
  rep = morphax.device_put_replicated({"b": np.arange(3, dtype=F32)}, devices)
  assert rep["b"].shape == (N, 3)
  f = morphax.pmap(lambda t, r: t["w"].sum() + r["b"] * t["n"])
  np.testing.assert_allclose(np.asarray(f(tree, rep)),
                             np.arange(N)[:, None] * (2 + np.arange(3))[None, :])
  with pytest.raises(ValueError, match="got 3 shards for 4 devices"):
    morphax.device_put_sharded(shards[:3], devices)
  with pytest.raises(ValueError, match="same tree structure and leaf shapes"):
    morphax.device_put_sharded([np.ones(2)] * 3 + [np.ones(3)], devices)


def test_errors_name_sizes_arguments_and_devices():
  with pytest.raises(ValueError, match=r"mapped axis has size 5 but only 4 devices are "
                                       r"available \(\[CpuDevice\(id=0\)"):
    morphax.pmap(lambda a: a)(np.ones((5, 2)))

  def two(first, second):
    return first + second
  with pytest.raises(ValueError, match=r"(?s)first has size 4 along axis 0 \(shape \(4, 2\)\)"
                                       r".*second has size 3 along axis 0.*devices available"):
    morphax.pmap(two)(np.ones((4, 2)), np.ones((3, 2)))
  with pytest.raises(ValueError, match="devices= lists 2 devices"):
    morphax.pmap(lambda a: a, devices=morphax.devices()[:2])(np.ones((3, 2)))
  with pytest.raises(ValueError, match="every in_axes is None, so axis_size must be given"):
    morphax.pmap(lambda a: a, in_axes=None)(np.ones(2))
  with pytest.raises(NameError, match=r"unbound axis name 'j'. Names in scope: \['i'\]"):
    morphax.pmap(lambda a: lax.psum(a, "j"), axis_name="i")(np.ones((2, 2)))
  with pytest.raises(ValueError, match="is sharded over 4 devices, so it has no single"):
    DOUBLE(np.ones((N, 1), F32)).device
