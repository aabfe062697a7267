"""Keys: threefry2x32 against Random123's answers, seeds, typed key arrays
through jit/vmap, and the errors for things that are not keys."""

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
import morphax_rng as random

# Random123 kat_vectors, threefry2x32 with 20 rounds: (ctr0, ctr1, key0, key1) -> out.
RANDOM123_KAT = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x6b200159, 0x99ba4efe)),
    ((0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), (0x1cb996fc, 0xbb002be7)),
    ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xc4923a9c, 0x483df7a0)),
]


@pytest.mark.parametrize("inputs,expected", RANDOM123_KAT)
def test_threefry2x32_matches_random123(inputs, expected):
  c0, c1, k0, k1 = (np.uint32(v) for v in inputs)
  y0, y1 = random.threefry2x32(k0, k1, np.array([c0]), np.array([c1]))
  assert (int(y0[0]), int(y1[0])) == expected


def test_threefry2x32_jits_and_vmaps_like_a_loop():
  ctr = np.arange(6, dtype=np.uint32)
  k = np.uint32(0x13198a2e), np.uint32(0x03707344)
  loop = [random.threefry2x32(*k, ctr[i:i + 1], ctr[i:i + 1] + 1) for i in range(6)]
  f = morphax.jit(lambda a, b: random.threefry2x32(*k, a, b))
  v = morphax.vmap(lambda a, b: random.threefry2x32(*k, a, b))
  for out in (f(ctr, ctr + 1), v(ctr[:, None], ctr[:, None] + 1)):
    np.testing.assert_array_equal(np.ravel(out[0]), [int(y[0][0]) for y in loop])
    np.testing.assert_array_equal(np.ravel(out[1]), [int(y[1][0]) for y in loop])


def test_threefry_2x32_hashes_odd_counts():
  key = random.PRNGKey(3)
  count = np.arange(5, dtype=np.uint32)
  out = np.asarray(random.threefry_2x32(key, count))
  padded = np.asarray(random.threefry_2x32(key, np.concatenate([count, [0]]).astype(np.uint32)))
  y0, _ = random.threefry2x32(key[0], key[1], np.array([0, 1, 2], np.uint32),
                              np.array([3, 4, 0], np.uint32))
  np.testing.assert_array_equal(out[:3], np.asarray(y0))
  assert out.shape == (5,) and padded.shape == (6,)


@pytest.mark.parametrize("seed,expected", [
    (0, [0, 0]), (-1, [0, 0xFFFFFFFF]), (2 ** 32 + 7, [0, 7]),
    (np.int64(2 ** 40 + 5), [0, 5]), (np.uint32(9), [0, 9])])
def test_seeds_wrap_like_jax_without_x64(seed, expected):
  np.testing.assert_array_equal(random.PRNGKey(seed), expected)
  np.testing.assert_array_equal(random.key_data(random.key(seed)), expected)


def test_seed_past_int64_overflows_like_jax():
  with pytest.raises(OverflowError):
    random.PRNGKey(2 ** 63)


def test_traced_seed_gives_the_same_key():
  np.testing.assert_array_equal(morphax.jit(random.PRNGKey)(jnp.int32(-5)), random.PRNGKey(-5))
  keys = morphax.vmap(random.PRNGKey)(jnp.arange(3))
  np.testing.assert_array_equal(keys[2], random.PRNGKey(2))


def test_typed_key_array_shape_indexing_and_data():
  k = random.key(1)
  assert k.shape == () and k.ndim == 0 and str(k.dtype) == "key<fry>"
  ks = random.split(k, 4)
  assert isinstance(ks, random.PRNGKeyArray) and ks.shape == (4,) and len(ks) == 4
  raw = random.split(random.PRNGKey(1), 4)
  np.testing.assert_array_equal(random.key_data(ks), raw)
  np.testing.assert_array_equal(random.key_data(ks[2]), raw[2])
  np.testing.assert_array_equal(random.key_data(ks[1:3]), raw[1:3])
  np.testing.assert_array_equal(random.key_data(list(ks)[3]), raw[3])
  grid = random.split(k, (2, 3))
  assert grid.shape == (2, 3) and grid[1].shape == (3,) and grid[..., 0].shape == (2,)
  np.testing.assert_array_equal(random.key_data(grid.reshape(6)), random.key_data(grid).reshape(6, 2))
  back = random.wrap_key_data(random.key_data(ks))
  np.testing.assert_array_equal(np.asarray(back == ks), [True] * 4)
  assert random.clone(k) is k and random.key_impl(k) == "threefry2x32"
  assert "key<fry>" in repr(k)


def test_typed_keys_pass_through_jit_and_vmap():
  ks = random.split(random.key(0), 3)
  out = morphax.vmap(lambda k: random.normal(k, (2,)))(ks)
  for i in range(3):
    np.testing.assert_array_equal(out[i], random.normal(random.split(random.PRNGKey(0), 3)[i], (2,)))
  split_jit = morphax.jit(lambda k: random.split(k))
  sub = split_jit(random.key(0))
  assert isinstance(sub, random.PRNGKeyArray) and sub.shape == (2,)
  np.testing.assert_array_equal(random.key_data(sub), random.split(random.PRNGKey(0)))
  sub2 = morphax.vmap(random.split)(ks)
  assert sub2.shape == (3, 2)
  leaves = morphax.tree_util.tree_leaves({"k": ks})
  assert leaves[0].shape == (3, 2) and leaves[0].dtype == np.uint32


def test_fold_in_bounds():
  k = random.PRNGKey(0)
  np.testing.assert_array_equal(random.fold_in(k, np.uint32(7)), random.fold_in(k, 7))
  with pytest.raises(OverflowError, match=r"fold_in: Python integer -1 out of bounds for uint32"):
    random.fold_in(k, -1)
  with pytest.raises(TypeError, match=r"fold_in accepts a scalar integer"):
    random.fold_in(k, np.arange(2))


@pytest.mark.parametrize("bad,pattern", [
    (0, r"normal: expected a PRNG key as `key`, got int 0\. A key is what morphax_rng\.PRNGKey"),
    (np.zeros(2, np.float32), r"got an array of dtype float32 and shape \(2,\)\. .*PRNGKey\(0\)"),
    (np.zeros(3, np.uint32), r"got an array of dtype uint32 and shape \(3,\)\. .*split it"),
])
def test_non_keys_are_rejected_with_how_to_make_one(bad, pattern):
  with pytest.raises(TypeError, match=pattern):
    random.normal(bad, (2,))


def test_batched_key_asks_for_vmap():
  with pytest.raises(ValueError, match=r"split accepts a single key, but was given a key "
                                       r"array of shape \(2,\) != \(\)\. Use morphax\.vmap"):
    random.split(random.split(random.PRNGKey(0)))


@pytest.mark.parametrize("call,exc,pattern", [
    (lambda: random.PRNGKey(np.arange(2)), TypeError, r"PRNGKey accepts a scalar integer seed.*shape \(2,\)"),
    (lambda: random.key(1.5), TypeError, r"key accepts an integer seed, but was given float"),
    (lambda: random.key(random.key(0)), TypeError, r"key accepts a scalar seed, but was given a PRNG key"),
    (lambda: random.wrap_key_data(np.zeros(3, np.uint32)), TypeError, r"wrap_key_data: expected uint32 key data of shape \(\.\.\., 2\)"),
    (lambda: random.bits(random.PRNGKey(0), (2,), np.int32), ValueError, r"must be an unsigned int dtype, got int32"),
    (lambda: random.uniform(random.PRNGKey(0), (2,), np.int32), ValueError, r"dtype argument to `uniform` must be a float dtype, got int32"),
    (lambda: random.randint(random.PRNGKey(0), (2,), 0, 3, np.float32), TypeError, r"randint only accepts integer dtypes, got float32"),
    (lambda: random.uniform(random.PRNGKey(0), (2,), minval=np.zeros(3)), ValueError, r"uniform: the shape \(2,\) must be broadcast-compatible"),
    (lambda: random.bernoulli(random.PRNGKey(0), 1), TypeError, r"bernoulli probability `p` must have a floating dtype"),
    (lambda: random.bernoulli(random.PRNGKey(0), 0.5, mode="mid"), ValueError, r"expected 'high' or 'low'"),
    (lambda: random.choice(random.PRNGKey(0), 3, (5,), replace=False), ValueError, r"Cannot take a larger sample"),
    (lambda: random.choice(random.PRNGKey(0), 3, (2,), p=np.ones(4) / 4), ValueError, r"p must be None or a 1D vector"),
    (lambda: random.categorical(random.PRNGKey(0), np.zeros(3), shape=(5,), replace=False), ValueError, r"cannot exceed number of categories"),
    (lambda: random.permutation(random.PRNGKey(0), 2.5), TypeError, r"x must be an integer"),
    (lambda: random.multivariate_normal(random.PRNGKey(0), np.zeros(2), np.eye(3)), ValueError, r"cov.shape == \(\.\.\., n, n\) for n=2"),
    (lambda: random.multivariate_normal(random.PRNGKey(0), np.zeros(2), np.eye(2), method="qr"), ValueError, r"method must be one of"),
    (lambda: random.dirichlet(random.PRNGKey(0), 1.0), ValueError, r"dirichlet requires alpha.ndim >= 1"),
    (lambda: random.gumbel(random.PRNGKey(0), mode="x"), ValueError, r"gumbel: mode must be"),
])
def test_argument_errors(call, exc, pattern):
  with pytest.raises(exc, match=pattern):
    call()


def test_unrolled_and_looped_rounds_agree():
  # Draws of UNROLL_MIN_SIZE or more use straight-line rounds, smaller ones a
  # loop; counters are linear indices, so a prefix of a big draw is a small draw.
  big = random.bits(random.PRNGKey(5), (random.threefry.UNROLL_MIN_SIZE + 3,))
  np.testing.assert_array_equal(big[:11], random.bits(random.PRNGKey(5), (11,)))
