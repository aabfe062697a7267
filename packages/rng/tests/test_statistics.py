"""Statistical checks: every sampler against scipy.stats (KS test) or exact
moments, plus gradients (reparameterisation and gamma's implicit gradient)."""

import numpy as np
import pytest
from scipy import stats

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads
import morphax_rng as random

N = 2000
KEY = random.PRNGKey(2024)
P_MIN = 1e-4  # fixed keys, so a pass is deterministic; this only guards the math

# One row per continuous sampler: (name, draw(key, n), scipy frozen distribution).
CONTINUOUS = [
    ("uniform", lambda k, n: random.uniform(k, (n,), minval=-2.0, maxval=3.0), stats.uniform(-2, 5)),
    ("uniform_f16", lambda k, n: random.uniform(k, (n,), jnp.float16).astype(jnp.float32), stats.uniform(0, 1)),
    ("normal", lambda k, n: random.normal(k, (n,)), stats.norm()),
    ("normal_bf16", lambda k, n: random.normal(k, (n,), jnp.bfloat16).astype(jnp.float32), stats.norm()),
    ("truncated_normal", lambda k, n: random.truncated_normal(k, -1.0, 2.0, (n,)), stats.truncnorm(-1, 2)),
    ("exponential", lambda k, n: random.exponential(k, (n,)), stats.expon()),
    ("laplace", lambda k, n: random.laplace(k, (n,)), stats.laplace()),
    ("logistic", lambda k, n: random.logistic(k, (n,)), stats.logistic()),
    ("gumbel", lambda k, n: random.gumbel(k, (n,)), stats.gumbel_r()),
    ("cauchy", lambda k, n: random.cauchy(k, (n,)), stats.cauchy()),
    ("gamma_small", lambda k, n: random.gamma(k, 0.4, (n,)), stats.gamma(0.4)),
    ("gamma", lambda k, n: random.gamma(k, 3.0, (n,)), stats.gamma(3.0)),
    ("loggamma", lambda k, n: jnp.exp(random.loggamma(k, 2.0, (n,))), stats.gamma(2.0)),
    ("beta", lambda k, n: random.beta(k, 2.0, 0.7, (n,)), stats.beta(2.0, 0.7)),
    ("dirichlet_marginal", lambda k, n: random.dirichlet(k, jnp.array([1.0, 2.0, 3.0]), (n,))[:, 1],
     stats.beta(2.0, 4.0)),
    ("t", lambda k, n: random.t(k, 4.0, (n,)), stats.t(4.0)),
    ("generalized_normal", lambda k, n: random.generalized_normal(k, 1.5, (n,)), stats.gennorm(1.5)),
    ("ball_radius", lambda k, n: jnp.linalg.norm(random.ball(k, 3, 2, (n,)), axis=-1),
     stats.powerlaw(3)),  # radius of a uniform point in the 3-ball: P(r < x) = x**3
    ("mvn_projection", lambda k, n: random.multivariate_normal(
        k, jnp.array([1.0, -1.0]), jnp.array([[2.0, 0.6], [0.6, 1.0]]), (n,)) @ jnp.array([1.0, 1.0]),
     stats.norm(0.0, np.sqrt(2.0 + 1.0 + 1.2))),
]


@pytest.mark.parametrize("name,draw,dist", CONTINUOUS, ids=[r[0] for r in CONTINUOUS])
def test_continuous_samplers_pass_ks(name, draw, dist):
  x = np.asarray(draw(KEY, N), np.float64)
  assert x.shape == (N,) and np.all(np.isfinite(x))
  assert stats.kstest(x, dist.cdf).pvalue > P_MIN
  # Mean within 5 standard errors where the mean exists.
  if np.isfinite(dist.var()):
    assert abs(x.mean() - dist.mean()) < 5 * np.sqrt(dist.var() / N)


def test_truncated_normal_stays_inside_bounds():
  x = np.asarray(random.truncated_normal(KEY, 0.5, 0.50001, (1000,)))
  assert np.all((x > 0.5) & (x < 0.50001))


def _chi2_pvalue(samples, probs):
  counts = np.bincount(np.asarray(samples).ravel(), minlength=len(probs))
  return stats.chisquare(counts, np.asarray(probs) * counts.sum()).pvalue


# Discrete samplers: (name, draw(key, n) -> ints in [0, k), probabilities).
DISCRETE = [
    ("randint", lambda k, n: random.randint(k, (n,), 0, 7), np.full(7, 1 / 7)),
    ("randint_uint8_full", lambda k, n: random.randint(k, (n,), 0, 256, jnp.uint8).astype(jnp.int32) // 64,
     np.full(4, 0.25)),
    ("bernoulli", lambda k, n: random.bernoulli(k, 0.3, (n,)).astype(jnp.int32), [0.7, 0.3]),
    ("bernoulli_high", lambda k, n: random.bernoulli(k, 0.3, (n,), mode="high").astype(jnp.int32), [0.7, 0.3]),
    ("rademacher", lambda k, n: (random.rademacher(k, (n,)) + 1) // 2, [0.5, 0.5]),
    ("categorical", lambda k, n: random.categorical(k, jnp.log(jnp.array([0.2, 0.5, 0.3])), shape=(n,)),
     [0.2, 0.5, 0.3]),
    ("choice_p", lambda k, n: random.choice(k, 3, (n,), p=jnp.array([0.6, 0.1, 0.3])), [0.6, 0.1, 0.3]),
    ("choice", lambda k, n: random.choice(k, 5, (n,)), np.full(5, 0.2)),
    ("poisson_small", lambda k, n: jnp.minimum(random.poisson(k, 2.0, (n,)), 6),
     list(stats.poisson(2.0).pmf(np.arange(6))) + [stats.poisson(2.0).sf(5)]),
    ("poisson_large", lambda k, n: jnp.clip(random.poisson(k, 30.0, (n,)) - 24, 0, 12),
     [stats.poisson(30.0).cdf(24), *stats.poisson(30.0).pmf(np.arange(25, 36)),
      stats.poisson(30.0).sf(35)]),
]


@pytest.mark.parametrize("name,draw,probs", DISCRETE, ids=[r[0] for r in DISCRETE])
def test_discrete_samplers_pass_chi_square(name, draw, probs):
  assert abs(sum(probs) - 1) < 1e-9
  assert _chi2_pvalue(draw(KEY, N), probs) > P_MIN


def test_permutation_and_choice_without_replacement_are_permutations():
  p = np.asarray(random.permutation(KEY, 50))
  assert sorted(p.tolist()) == list(range(50))
  c = np.asarray(random.choice(KEY, 20, (20,), replace=False))
  assert sorted(c.tolist()) == list(range(20))
  rows = np.asarray(random.permutation(KEY, jnp.arange(12).reshape(3, 4), axis=1, independent=True))
  for r, orig in zip(rows, np.arange(12).reshape(3, 4)):
    assert sorted(r.tolist()) == orig.tolist()
  assert len({tuple(r - r.min()) for r in rows}) > 1  # rows shuffled independently
  # Each position of a permutation is uniform: first elements over many keys.
  firsts = morphax.vmap(lambda k: random.permutation(k, 4)[0])(random.split(KEY, 2000))
  assert _chi2_pvalue(firsts, np.full(4, 0.25)) > P_MIN


def test_orthogonal_is_orthogonal_and_haar():
  q = np.asarray(random.orthogonal(KEY, 4, (500,)), np.float64)
  np.testing.assert_allclose(q @ np.swapaxes(q, -1, -2), np.broadcast_to(np.eye(4), q.shape), atol=1e-5)
  # Haar: each entry times sqrt(n) is asymptotically ~N(0,1); entries have mean 0 and var 1/n.
  assert abs(q[:, 0, 0].mean()) < 5 * np.sqrt(0.25 / 500)
  assert abs(q[:, 0, 0].var() - 0.25) < 0.05
  wide = np.asarray(random.orthogonal(KEY, 2, m=5))
  np.testing.assert_allclose(wide @ wide.T, np.eye(2), atol=1e-5)


def test_split_and_fold_in_keys_are_distinct():
  keys = np.asarray(random.split(KEY, 1000))
  assert len({tuple(k) for k in keys.tolist()}) == 1000
  folded = {tuple(np.asarray(random.fold_in(KEY, i)).tolist()) for i in range(50)}
  assert len(folded) == 50
  b = np.asarray(random.bits(KEY, (20000,)))
  assert abs(np.unpackbits(b.view(np.uint8)).mean() - 0.5) < 0.005


def test_grad_through_reparameterised_normal():
  def f(params):
    mu, sigma = params
    return jnp.sum(random.normal(KEY, (5,)) * sigma + mu)
  g = morphax.grad(f)((jnp.float32(0.5), jnp.float32(2.0)))
  np.testing.assert_allclose(g[0], 5.0)
  np.testing.assert_allclose(g[1], np.asarray(random.normal(KEY, (5,))).sum(), rtol=1e-6)
  check_grads(lambda s: random.normal(KEY, (3,)) * s + 1.0, (jnp.float32(1.5),), order=1)


def test_gamma_gradient_is_implicit_reparameterisation():
  a = jnp.array([0.7, 2.0, 5.0])
  x = np.asarray(random.gamma(KEY, a), np.float64)
  g = np.asarray(morphax.jacfwd(lambda a: random.gamma(KEY, a))(a)).diagonal()
  # dx/da = -(dF/da) / f(x) at fixed CDF level, by central differences in scipy.
  eps = 1e-5
  a64 = np.asarray(a, np.float64)
  dcdf = (stats.gamma(a64 + eps).cdf(x) - stats.gamma(a64 - eps).cdf(x)) / (2 * eps)
  np.testing.assert_allclose(g, -dcdf / stats.gamma(a64).pdf(x), rtol=2e-3)
  rev = morphax.grad(lambda a: random.gamma(KEY, a).sum())(a)
  np.testing.assert_allclose(rev, g, rtol=1e-5)
  # NB: the implicit gradient is the derivative at a fixed CDF level, not the
  # pathwise derivative of the rejection sampler, so finite differences of
  # the sampler itself are not the oracle; finite differences of scipy's
  # CDF above are.
  lg = np.asarray(morphax.grad(lambda a: random.loggamma(KEY, a).sum())(a))
  np.testing.assert_allclose(lg, g / x, rtol=2e-3)


def test_rejection_samplers_vmap_like_a_loop():
  keys = random.split(KEY, 3)
  g = morphax.vmap(lambda k: random.gamma(k, 2.0, (2,)))(keys)
  p = morphax.vmap(lambda k: random.poisson(k, 3.0, (2,)))(keys)
  for i in range(3):
    # NB: XLA may fuse the batched program differently: equal to the last ulp.
    np.testing.assert_allclose(g[i], random.gamma(keys[i], 2.0, (2,)), rtol=1e-6)
    np.testing.assert_array_equal(p[i], random.poisson(keys[i], 3.0, (2,)))
