"""Control flow (ops/cond.py, ops/loops.py): values against Python, and
every transformation (jit, jvp, grad, vmap) against a Python loop or finite
differences."""

import numpy as np
import pytest

import morphax as jax
import morphax.numpy as jnp
from morphax import lax
from morphax.core import ir
from morphax.test_util import check_grads

PRIMITIVES_COVERED = {"cond", "scan", "while", "checkpoint"}

X = np.array([0.5, 1.0, -0.3], np.float32)


def branchy(x):
  return lax.cond(jnp.sum(x) > 0, lambda x: jnp.sin(x) * 2.0, lambda x: jnp.cos(x) * x, x)


def np_branchy(x):
  return np.sin(x) * 2 if x.sum() > 0 else np.cos(x) * x


@pytest.mark.parametrize("x", [X, -X], ids=["true", "false"])
def test_cond_values_jit_and_grads(x):
  np.testing.assert_allclose(np.asarray(branchy(jnp.asarray(x))), np_branchy(x), rtol=1e-6)
  np.testing.assert_allclose(np.asarray(jax.jit(branchy)(jnp.asarray(x))), np_branchy(x), rtol=1e-6)
  check_grads(branchy, (jnp.asarray(x),), order=2)
  g = jax.jit(jax.grad(lambda x: jnp.sum(branchy(x))))(jnp.asarray(x))
  expected = 2 * np.cos(x) if x.sum() > 0 else np.cos(x) - x * np.sin(x)
  np.testing.assert_allclose(np.asarray(g), expected, rtol=1e-5)


def test_cond_vmap_batched_and_unbatched_predicate():
  xs = np.stack([X, -X, X * 2])
  out = jax.vmap(branchy)(jnp.asarray(xs))
  np.testing.assert_allclose(np.asarray(out), np.stack([np_branchy(x) for x in xs]), rtol=1e-6)
  # The predicate is unbatched when it depends only on an unbatched value.
  f = lambda p, x: lax.cond(p > 0, lambda x: x * 2.0, lambda x: x - 1.0, x)
  out = jax.vmap(f, in_axes=(None, 0))(1.0, jnp.asarray(xs))
  np.testing.assert_allclose(np.asarray(out), xs * 2, rtol=1e-6)
  grads = jax.vmap(jax.grad(lambda x: jnp.sum(branchy(x))))(jnp.asarray(xs))
  assert grads.shape == xs.shape


def test_cond_pytrees_integer_predicate_and_closures():
  c = jnp.asarray(3.0)
  out = lax.cond(2, lambda d: {"a": d["a"] + c}, lambda d: {"a": d["a"] - c}, {"a": jnp.ones(2)})
  np.testing.assert_array_equal(np.asarray(out["a"]), [4.0, 4.0])
  closed = jax.make_jaxpr(lambda x: lax.cond(x > 0, lambda: x * c, lambda: x, ))(1.0)
  assert ir.typecheck(closed)


def test_switch_clamps_the_index():
  branches = [lambda x: x, lambda x: x * 2.0, lambda x: x * 3.0]
  for i, k in [(-5, 1), (0, 1), (1, 2), (2, 3), (9, 3)]:
    assert float(lax.switch(i, branches, 1.0)) == k
  out = jax.vmap(lambda i, x: lax.switch(i, branches, x))(jnp.asarray([0, 2, 1]), jnp.ones(3))
  np.testing.assert_array_equal(np.asarray(out), [1.0, 3.0, 2.0])
  g = jax.grad(lambda x: lax.switch(1, branches, x))(1.0)
  assert float(g) == 2.0


@pytest.mark.parametrize("call, match", [
    (lambda: lax.cond(jnp.ones(2) > 0, lambda: 1.0, lambda: 2.0),
     r"cond: the predicate must be a scalar boolean \(or integer\), got bool\[2\]"),
    (lambda: lax.cond(True, lambda: jnp.ones(2), lambda: jnp.ones(3)),
     r"cond: true_fun returns f32\[2\] but false_fun returns f32\[3\]"),
    (lambda: lax.switch(0, [], 1.0), r"switch: branches must be a non-empty"),
])
def test_cond_errors(call, match):
  with pytest.raises((TypeError, ValueError), match=match):
    call()


# --- scan ---------------------------------------------------------------------------

XS = np.random.RandomState(0).randn(6, 3).astype(np.float32)


def rnn(w, xs, reverse=False):
  def step(h, x):
    h = jnp.tanh(w * h + x)
    return h, {"out": h * 2.0}
  return lax.scan(step, jnp.zeros(3), xs, reverse=reverse)


def rnn_unrolled(w, xs, reverse=False):
  h, outs = jnp.zeros(3), []
  order = range(len(xs))[::-1] if reverse else range(len(xs))
  for t in order:
    h = jnp.tanh(w * h + xs[t])
    outs.append(h * 2.0)
  if reverse:
    outs = outs[::-1]
  return h, {"out": jnp.stack(outs)}


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_matches_the_unrolled_loop(reverse):
  w, xs = jnp.asarray(np.float32(0.7)), jnp.asarray(XS)
  for got, want in zip(jax.tree.leaves(rnn(w, xs, reverse)),
                       jax.tree.leaves(rnn_unrolled(w, xs, reverse))):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
  loss = lambda f: (lambda w, xs: jnp.sum(f(w, xs, reverse)[1]["out"]) + jnp.sum(f(w, xs, reverse)[0]))
  g_scan = jax.grad(loss(rnn), argnums=(0, 1))(w, xs)
  g_loop = jax.grad(loss(rnn_unrolled), argnums=(0, 1))(w, xs)
  for a, b in zip(g_scan, g_loop):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(np.asarray(jax.jit(jax.grad(loss(rnn)))(w, xs)),
                             np.asarray(g_loop[0]), rtol=1e-4)
  check_grads(lambda w, xs: rnn(w, xs, reverse), (w, xs), order=2)


def test_scan_per_example_gradients_with_vmap():
  w = jnp.asarray(np.float32(0.7))
  batch = jnp.asarray(np.stack([XS, XS * 0.5, -XS]))
  loss = lambda w, xs: jnp.sum(rnn(w, xs)[0])
  per_example = jax.vmap(jax.grad(loss), in_axes=(None, 0))(w, batch)
  expected = [float(jax.grad(lambda w: jnp.sum(rnn_unrolled(w, xs)[0]))(w)) for xs in batch]
  np.testing.assert_allclose(np.asarray(per_example), expected, rtol=1e-4)


def test_scan_xs_none_length_and_consts():
  c = jnp.asarray([1.0, 2.0])
  carry, ys = lax.scan(lambda c_, _: (c_ * c, c_), jnp.ones(2), None, length=3)
  np.testing.assert_array_equal(np.asarray(carry), [1.0, 8.0])
  np.testing.assert_array_equal(np.asarray(ys), [[1, 1], [1, 2], [1, 4]])


@pytest.mark.parametrize("call, match", [
    (lambda: lax.scan(lambda c, x: (c + 1, x), 0, jnp.ones(3)), None),
    (lambda: lax.scan(lambda c, x: (jnp.ones(2), x), jnp.ones(3), jnp.ones(3)),
     r"scan: the carry output must match the carry input: carry goes in as f32\[3\] and comes out as f32\[2\]"),
    (lambda: lax.scan(lambda c, x: (c, x), 0.0, {"a": jnp.ones(3), "b": jnp.ones(4)}),
     r"scan: the leading axes of xs must all equal length; got \[3, 4\]"),
    (lambda: lax.scan(lambda c, x: (c, x), 0.0, None), r"scan: with xs=None, pass length="),
])
def test_scan_errors(call, match):
  if match is None:
    call()  # an int carry that stays int is fine
    return
  with pytest.raises((TypeError, ValueError), match=match):
    call()


# --- while_loop, fori_loop, map -------------------------------------------------------

def test_while_loop_eager_jit_vmap_and_jvp():
  count = lambda n: lax.while_loop(lambda s: s[0] < n, lambda s: (s[0] + 1, s[1] * 2.0), (0, 1.0))
  assert count(5)[1] == 32.0
  assert float(jax.jit(count)(4)[1]) == 16.0
  # A batched predicate: lanes stop independently.
  steps, values = jax.vmap(count)(jnp.asarray([1, 3, 5]))
  np.testing.assert_array_equal(np.asarray(steps), [1, 3, 5])
  np.testing.assert_array_equal(np.asarray(values), [2.0, 8.0, 32.0])
  f = lambda x: lax.while_loop(lambda s: s[0] < 3, lambda s: (s[0] + 1, s[1] * x), (0, 1.0))[1]
  _, t = jax.jvp(f, (2.0,), (1.0,))
  assert float(t) == 12.0  # d/dx x**3 at 2


def test_while_loop_reverse_mode_error_says_what_to_use():
  f = lambda x: lax.while_loop(lambda s: s[0] < 3, lambda s: (s[0] + 1, s[1] * x), (0, 1.0))[1]
  with pytest.raises(TypeError, match=r"Reverse-mode differentiation does not work for lax.while_loop.*fori_loop"):
    jax.grad(f)(2.0)


def test_while_loop_carry_and_cond_errors():
  with pytest.raises(TypeError, match=r"while_loop: the carry output must match.*f32\[\] and comes out as f32\[2\]"):
    lax.while_loop(lambda c: c < 3.0, lambda c: jnp.ones(2), 0.0)
  with pytest.raises(TypeError, match=r"while_loop: cond_fun must return a scalar boolean"):
    lax.while_loop(lambda c: c, lambda c: c + 1.0, 0.0)


def test_fori_loop_static_bounds_is_a_differentiable_scan():
  f = lambda x: lax.fori_loop(0, 3, lambda i, c: c * x + i, 1.0)
  assert float(f(2.0)) == ((1 * 2 + 0) * 2 + 1) * 2 + 2
  assert "scan" in str(jax.make_jaxpr(f)(2.0))
  np.testing.assert_allclose(float(jax.grad(f)(2.0)), 3 * 2.0**2 + 1, rtol=1e-6)  # x**3 + x + 2
  # Traced bounds: a while loop.
  g = jax.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c + i, 0))
  assert int(g(5)) == 10
  assert "while" in str(jax.make_jaxpr(lambda n: lax.fori_loop(0, n, lambda i, c: c + i, 0))(5))


@pytest.mark.parametrize("batch_size", [None, 2, 5])
def test_map(batch_size):
  xs = jnp.arange(10.0).reshape(5, 2)
  out = lax.map(lambda x: {"s": jnp.sum(x), "d": x * 2}, xs, batch_size=batch_size)
  np.testing.assert_array_equal(np.asarray(out["s"]), np.arange(10.0).reshape(5, 2).sum(1))
  np.testing.assert_array_equal(np.asarray(out["d"]), np.arange(10.0).reshape(5, 2) * 2)


# --- checkpoint (remat) -----------------------------------------------------------------

from morphax.interpreters.partial_eval import linearize_flat  # noqa: E402


def _residuals(f, *args):
  """What the backward pass of f keeps: the linearized jaxpr's constants."""
  _, linear = linearize_flat(lambda *a: [jnp.sum(f(*a))], list(args))
  return [tuple(c.shape) for c in linear.consts]


def sin3(x):
  return jnp.sin(jnp.sin(jnp.sin(x)))


def mlp(w, x):
  return jnp.tanh(jnp.tanh(x @ w) @ w)


@pytest.mark.parametrize("policy, expected", [
    (None, [(3,)] * 3),  # no checkpoint: one cosine per sin
    (jax.checkpoint_policies.everything_saveable, [(3,)] * 3),
    (jax.checkpoint_policies.nothing_saveable, [(3,)]),  # only x
])
def test_checkpoint_policies_decide_what_is_saved(policy, expected):
  f = sin3 if policy is None else jax.checkpoint(sin3, policy=policy)
  x = jnp.asarray(X)
  assert _residuals(f, x) == expected
  np.testing.assert_allclose(np.asarray(jax.grad(lambda x: jnp.sum(f(x)))(x)),
                             np.asarray(jax.grad(lambda x: jnp.sum(sin3(x)))(x)), rtol=1e-6)


def test_checkpoint_dots_saveable_keeps_matmul_outputs():
  w, x = jnp.ones((3, 3)) * 0.1, jnp.ones((2, 3))
  saved = _residuals(jax.checkpoint(mlp, policy=jax.checkpoint_policies.dots_saveable), w, x)
  nothing = _residuals(jax.checkpoint(mlp, policy=jax.checkpoint_policies.nothing_saveable), w, x)
  assert sorted(nothing) == [(2, 3), (3, 3)]  # the inputs only
  assert len(saved) > len(nothing)
  for f in (jax.checkpoint(mlp), jax.jit(jax.checkpoint(mlp, policy=jax.checkpoint_policies.dots_saveable))):
    np.testing.assert_allclose(np.asarray(jax.grad(lambda w: jnp.sum(f(w, x)))(w)),
                               np.asarray(jax.grad(lambda w: jnp.sum(mlp(w, x)))(w)), rtol=1e-5)


def test_checkpoint_under_vmap_scan_and_static_argnums():
  f = jax.checkpoint(lambda x, n: x * n, static_argnums=1)
  assert float(jax.grad(f)(2.0, 3)) == 3.0
  per_example = jax.vmap(jax.grad(lambda x: jnp.sum(jax.checkpoint(sin3)(x))))(jnp.asarray(np.stack([X, -X])))
  assert per_example.shape == (2, 3)
  step = jax.checkpoint(lambda c, x: (jnp.sin(c * x), None))
  g = jax.grad(lambda xs: lax.scan(step, 1.0, xs)[0])(jnp.asarray(X))
  g_ref = jax.grad(lambda xs: lax.scan(lambda c, x: (jnp.sin(c * x), None), 1.0, xs)[0])(jnp.asarray(X))
  np.testing.assert_allclose(np.asarray(g), np.asarray(g_ref), rtol=1e-6)
  assert "optimization_barrier" in jax.jit(jax.grad(lambda x: jnp.sum(jax.checkpoint(sin3)(x)))).lower(jnp.asarray(X)).as_text()


# --- associative_scan ----------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 5, 8, 13])
def test_associative_scan_matches_cumulative_ops(n):
  x = np.arange(1.0, n + 1, dtype=np.float32)
  np.testing.assert_allclose(np.asarray(lax.associative_scan(lax.add, jnp.asarray(x))), np.cumsum(x))
  np.testing.assert_allclose(np.asarray(lax.associative_scan(lax.mul, jnp.asarray(x), reverse=True)),
                             np.cumprod(x[::-1])[::-1], rtol=1e-6)


def test_associative_scan_pytrees_axis_and_grad():
  m = np.arange(12.0, dtype=np.float32).reshape(3, 4)[:, ::-1]
  out = lax.associative_scan(lax.max, jnp.asarray(m), axis=1)
  np.testing.assert_array_equal(np.asarray(out), np.maximum.accumulate(m, axis=1))
  # A pytree element: (a, b) pairs composing affine maps x -> a x + b.
  compose = lambda f, g: (f[0] * g[0], g[0] * f[1] + g[1])
  a, b = lax.associative_scan(compose, (jnp.asarray([2.0, 3.0, 0.5]), jnp.asarray([1.0, -1.0, 2.0])))
  np.testing.assert_allclose(np.asarray(a), [2.0, 6.0, 3.0])
  np.testing.assert_allclose(np.asarray(b), [1.0, 2.0, 3.0])
  g = jax.grad(lambda x: jnp.sum(lax.associative_scan(lax.mul, x)))(jnp.asarray([1.0, 2.0, 3.0]))
  np.testing.assert_allclose(np.asarray(g), [9.0, 4.0, 2.0])


# --- while_loop(max_steps=...): reverse-differentiable, O(sqrt(N)) memory ---------------

def test_bounded_while_loop_gradient_matches_the_unrolled_loop():
  def f(x, n_max=20):
    return lax.while_loop(lambda s: s[1] < 10.0, lambda s: (s[0] + 1, s[1] * x),
                          (0, 1.0), max_steps=n_max)[1]
  # 1.5**k first reaches 10 at k = 6, so f(x) = x**6 near 1.5.
  np.testing.assert_allclose(float(f(1.5)), 1.5 ** 6, rtol=1e-6)
  np.testing.assert_allclose(float(jax.grad(f)(1.5)), 6 * 1.5 ** 5, rtol=1e-5)
  np.testing.assert_allclose(float(jax.jit(jax.grad(f))(1.5)), 6 * 1.5 ** 5, rtol=1e-5)
  per_lane = jax.vmap(jax.grad(f))(jnp.asarray([1.5, 2.0]))
  np.testing.assert_allclose(np.asarray(per_lane), [6 * 1.5 ** 5, 4 * 2.0 ** 3], rtol=1e-5)
  # The step bound cuts the loop short: x**3.
  np.testing.assert_allclose(float(jax.grad(lambda x: f(x, 3))(1.5)), 3 * 1.5 ** 2, rtol=1e-5)


def test_bounded_while_loop_saves_sqrt_n_carries():
  def f(x):
    return lax.while_loop(lambda s: s[0] < 1000, lambda s: (s[0] + 1, jnp.sin(s[1]) * 0.99 + x),
                          (0, jnp.zeros(8)), max_steps=100)[1]
  # Against a Python loop of the same 100 steps.
  def loop(x):
    h = jnp.zeros(8)
    for _ in range(100):
      h = jnp.sin(h) * 0.99 + x
    return h
  x = jnp.asarray(np.linspace(0, 1, 8, dtype=np.float32))
  np.testing.assert_allclose(np.asarray(jax.grad(lambda x: jnp.sum(f(x)))(x)),
                             np.asarray(jax.grad(lambda x: jnp.sum(loop(x)))(x)), rtol=1e-4)
  stored = set(_residuals(f, x))
  assert (10, 8) in stored and not any(s[:1] == (100,) for s in stored)


@pytest.mark.parametrize("unroll", [1, 2, 3, 6, 10, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_unroll_gives_the_same_results(unroll, reverse):
  step = lambda c, x: (c * 0.5 + x, c * x)
  xs = jnp.arange(1.0, 7.0)
  want = lax.scan(step, 1.0, xs, reverse=reverse)
  got = jax.jit(lambda xs: lax.scan(step, 1.0, xs, reverse=reverse, unroll=unroll))(xs)
  for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)
  g = jax.grad(lambda xs: jnp.sum(lax.scan(step, 1.0, xs, reverse=reverse, unroll=unroll)[1]))(xs)
  g_ref = jax.grad(lambda xs: jnp.sum(lax.scan(step, 1.0, xs, reverse=reverse)[1]))(xs)
  np.testing.assert_allclose(np.asarray(g), np.asarray(g_ref), rtol=1e-5)
