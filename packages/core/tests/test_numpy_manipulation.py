"""morphax.numpy manipulation functions against numpy: triangles and
diagonals, kron, roll/flip/rot90, tile/repeat, grids, stacking, insert/
delete/resize and every pad mode; eagerly, under jit and vmap, and grads."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads

from _oracle import R, check


def row(name, arrays, *static, np_name=None, **kw):
  """A table row: jnp.name(*arrays, *static, **kw) against numpy's."""
  def f(*a):
    return getattr(jnp, name)(*a, *static, **kw)

  def g(*a):
    return getattr(np, np_name or name)(*a, *static, **kw)
  label = f"{name}{[np.shape(a) for a in arrays]}{static}{kw}"
  return pytest.param(f, g, arrays, id=label)


CASES = [
    row("tril", [R(3, 4)]), row("tril", [R(3, 4)], 1), row("tril", [R(2, 3, 3)], -1),
    row("tril", [R(3, 3, dtype=np.int32)]), row("triu", [R(4, 3)], -2),
    row("triu", [R(0, 3)]), row("triu", [R(2, 3, 4)], 1),
    row("tri", [], 3), row("tri", [], 3, 4, 1), row("tri", [], 2, dtype=np.int32),
    row("diagonal", [R(3, 4)]), row("diagonal", [R(3, 4)], 2), row("diagonal", [R(3, 4)], -1),
    row("diagonal", [R(3, 4)], 5), row("diagonal", [R(2, 3, 4)], 1, 2, 0),
    row("diagonal", [R(2, 3, 4)], 0, -1, -2), row("diagonal", [R(3, 3, dtype=np.int32)]),
    row("diag", [R(3)]), row("diag", [R(3)], 2), row("diag", [R(3)], -1), row("diag", [R(0)], 1),
    row("diag", [R(3, 4)]), row("diag", [R(3, 4)], -2), row("diag", [R(2, dtype=np.int32)]),
    row("diagflat", [R(2, 2)]), row("diagflat", [R(3)], -1),
    row("trace", [R(3, 4)]), row("trace", [R(3, 4)], 1), row("trace", [R(2, 3, 4)], 0, 1, 2),
    row("trace", [R(3, 3, dtype=np.int32)]), row("trace", [R(0, 0)]),
    row("kron", [R(2, 3), R(3, 2)]), row("kron", [R(2), R(2, 3)]), row("kron", [R(3), R(4)]),
    row("kron", [R(2, 2, dtype=np.int32), R(2, dtype=np.int32)]), row("kron", [R(), R(3)]),
    row("roll", [R(5)], 2), row("roll", [R(5)], -7), row("roll", [R(3, 4)], 1),
    row("roll", [R(3, 4)], 1, 0), row("roll", [R(3, 4)], (1, -2), (0, 1)),
    row("roll", [R(3, 4)], 2, (0, 1)), row("roll", [R(0, 3)], 2, 0),
    row("fliplr", [R(2, 3)]), row("flipud", [R(2, 3)]), row("flipud", [R(3)]),
    row("rot90", [R(2, 3)]), row("rot90", [R(2, 3)], 2), row("rot90", [R(2, 3)], 3),
    row("rot90", [R(2, 3)], -1), row("rot90", [R(2, 3, 4)], 1, (2, 0)),
    row("tile", [R(3)], 2), row("tile", [R(3)], (2, 2)), row("tile", [R(2, 3)], 2),
    row("tile", [R(2, 3)], (1, 0)), row("tile", [R()], 3), row("tile", [R(2, 1, 3)], (2, 1, 1)),
    row("repeat", [R(3)], 2), row("repeat", [R(2, 3)], 2), row("repeat", [R(2, 3)], 2, axis=1),
    row("repeat", [R(2, 3)], np.array([1, 0, 3]), axis=1), row("repeat", [R()], 3),
    row("repeat", [R(2, 3, dtype=np.int32)], [2, 1], axis=0),
    row("atleast_1d", [R()]), row("atleast_1d", [R(2, 3)]), row("atleast_2d", [R(3)]),
    row("atleast_2d", [R()]), row("atleast_3d", [R(3)]), row("atleast_3d", [R(2, 3)]),
    row("atleast_3d", [R(2, 3, 4, 5)]), row("atleast_2d", [R(3), R(2, 2)]),
    row("resize", [R(3)], (2, 4)), row("resize", [R(2, 3)], (2,)), row("resize", [R(2, 2)], (0,)),
    row("append", [R(3), R(2)]), row("append", [R(2, 3), R(1, 3)], axis=0),
    row("append", [R(2, 3), R(2, 3)]), row("append", [R(2, 3, dtype=np.int32), R(2, 1)], axis=1),
    row("delete", [R(5)], 1), row("delete", [R(5)], [0, -1]), row("delete", [R(3, 4)], 1, axis=1),
    row("delete", [R(3, 4)], slice(0, 2), axis=0), row("delete", [R(2, 3)], [True, False, True],
                                                        axis=1),
    row("pad", [R(3)], 2), row("pad", [R(2, 3)], ((1, 0), (2, 3))),
    row("pad", [R(2, 3)], 1, constant_values=7), row("pad", [R(2, 3)], 1, constant_values=((1, 2), (3, 4))),
    row("pad", [R(2, 3, dtype=np.int32)], (1, 2), constant_values=-1),
    row("pad", [R(0, 2)], 1), row("pad", [R()], 0),
]
for mode in ["edge", "reflect", "symmetric", "wrap"]:
  CASES += [row("pad", [R(4)], 2, mode), row("pad", [R(4)], (9, 6), mode),
            row("pad", [R(3, 4)], ((1, 2), (3, 0)), mode),
            row("pad", [R(1, 3)], (2, 1), mode)]
for mode in ["reflect", "symmetric"]:
  CASES += [row("pad", [R(4)], 2, mode, reflect_type="odd"),
            row("pad", [R(4)], (11, 5), mode, reflect_type="odd"),
            row("pad", [R(3, 3)], 3, mode, reflect_type="odd"),
            row("pad", [R(4, dtype=np.int32)], (5, 3), mode, reflect_type="odd")]
for mode in ["maximum", "minimum", "mean", "median"]:
  CASES += [row("pad", [R(5)], 2, mode), row("pad", [R(6)], (2, 3), mode, stat_length=(2, 3)),
            row("pad", [R(6, dtype=np.int32)], 3, mode)]
CASES += [row("pad", [R(3, 4)], 1, "median", stat_length=((1, 2), (2, 1))),
          row("pad", [R(3, 4)], ((1, 2), (0, 2)), "mean")]
CASES += [row("pad", [R(4)], (3, 2), "linear_ramp"),
          row("pad", [R(3, 4)], ((1, 2), (2, 1)), "linear_ramp", end_values=((1, 2), (-1, 5))),
          row("pad", [R(4) * 10], (3, 2), "linear_ramp", end_values=4),
          ]


@pytest.mark.parametrize("f, g, arrays", CASES)
def test_against_numpy(f, g, arrays):
  expected = g(*arrays)
  if isinstance(expected, tuple):
    expected = list(expected)
  check(f(*[morphax.device_put(a) for a in arrays]), expected)


@pytest.mark.parametrize("f, g, arrays", CASES[::4])
def test_jit_matches_eager(f, g, arrays):
  out = morphax.jit(f)(*arrays)
  check(out, [np.asarray(o) for o in f(*arrays)] if isinstance(out, list)
        else np.asarray(f(*arrays)))


def _fill_diagonal_np(a, val, wrap=False):
  a = a.copy()
  np.fill_diagonal(a, val, wrap=wrap)
  return a


@pytest.mark.parametrize("shape, val, wrap", [
    ((3, 3), 5.0, False), ((5, 3), np.array([1., 2.]), False), ((5, 3), 2.0, True),
    ((3, 5), np.array([1., 2., 3., 4.]), False), ((3, 3, 3), 4.0, False), ((0, 0), 1.0, False),
])
def test_fill_diagonal(shape, val, wrap):
  a = R(*shape)
  check(jnp.fill_diagonal(a, val, wrap, inplace=False), _fill_diagonal_np(a, val, wrap))
  f = morphax.jit(lambda a, v: jnp.fill_diagonal(a, v, wrap, inplace=False))
  check(f(a, np.asarray(val, np.float32)), _fill_diagonal_np(a, val, wrap))


@pytest.mark.parametrize("shape, obj, values, axis", [
    ((3,), 1, 9.0, None), ((3,), -1, [7.0, 8.0], None), ((2, 3), 1, 5.0, 1),
    ((2, 3), [0, 2], [[1.0, 2.0]], 1), ((2, 3), [2, 0, 0], 4.0, 1), ((2, 3), 2, [1.0, 2.0, 3.0], 0),
    ((2, 3), slice(0, 2), 0.5, 0), ((2, 3), [1], [[6.0], [7.0]], 1), ((4,), 4, 1.0, 0),
])
def test_insert(shape, obj, values, axis):
  a = R(*shape)
  check(jnp.insert(a, obj, np.asarray(values, np.float32), axis),
        np.insert(a, obj, np.asarray(values, np.float32), axis))


@pytest.mark.parametrize("xi, kw", [
    ((3, 2), {}), ((3, 2), {"indexing": "ij"}), ((3, 2, 4), {}), ((3, 2, 4), {"indexing": "ij"}),
    ((3, 2), {"sparse": True}), ((3, 2, 4), {"sparse": True, "indexing": "ij"}), ((3,), {}), ((), {}),
])
def test_meshgrid(xi, kw):
  arrays = [R(n, seed=i) for i, n in enumerate(xi)]
  check(jnp.meshgrid(*arrays, **kw), list(np.meshgrid(*arrays, **kw)))


@pytest.mark.parametrize("dims, kw", [
    ((2, 3), {}), ((2, 3, 4), {"sparse": True}), ((3,), {}), ((), {}), ((2, 0), {}),
    ((2, 3), {"dtype": np.float32}),
])
def test_indices(dims, kw):
  out = jnp.indices(dims, **kw)
  expected = np.indices(dims, **kw)
  check(list(out) if kw.get("sparse") else out, list(expected) if kw.get("sparse") else expected)


@pytest.mark.parametrize("key", [
    (slice(0, 3),), (slice(0, 2), slice(0, 3)), (slice(-1, 1, 0.5),), (slice(0, 1, 5j),),
    (slice(0, 1, 3j), slice(1, 4)), (slice(3),), (slice(5, 0, -2),),
])
def test_mgrid_ogrid(key):
  k = key[0] if len(key) == 1 else key
  check(jnp.mgrid[k], np.mgrid[k])
  expected = np.ogrid[k]
  check(jnp.ogrid[k], list(expected) if isinstance(expected, (list, tuple)) else expected)


@pytest.mark.parametrize("name, arrays", [
    ("vstack", [R(3), R(3)]), ("vstack", [R(2, 3), R(1, 3)]), ("vstack", [R(), R()]),
    ("hstack", [R(3), R(2)]), ("hstack", [R(2, 3), R(2, 1)]), ("hstack", [R(), R()]),
    ("dstack", [R(3), R(3)]), ("dstack", [R(2, 3), R(2, 3)]),
    ("column_stack", [R(3), R(3)]), ("column_stack", [R(3, 2), R(3)]),
    ("hstack", [R(2, dtype=np.int32), R(2)]),
])
def test_stacking(name, arrays):
  check(getattr(jnp, name)(arrays), getattr(np, name)(arrays))
  check(getattr(jnp, name)(tuple(morphax.device_put(a) for a in arrays)), getattr(np, name)(arrays))


def test_block():
  a, b, c, d = R(2, 2), R(2, 3), R(1, 2), R(1, 3, dtype=np.int32)
  check(jnp.block([[a, b], [c, d]]), np.block([[a, b], [c, d]]))
  check(jnp.block([R(2), R(3)]), np.block([R(2), R(3)]))
  check(jnp.block([[R(2)], [R(2)]]), np.block([[R(2)], [R(2)]]))
  check(jnp.block(R(3)), np.block(R(3)))
  with pytest.raises(ValueError, match="block: list depths are mismatched"):
    jnp.block([[a], b])


def test_roll_traced_shift():
  x = R(3, 5)
  f = morphax.jit(lambda x, s: jnp.roll(x, s, axis=1))
  for s in [0, 2, -3, 7]:
    check(f(x, np.int32(s)), np.roll(x, s, axis=1))
  check(morphax.jit(lambda x, s: jnp.roll(x, s))(x, np.int32(4)), np.roll(x, 4))


def test_repeat_traced_repeats():
  x = R(4)
  f = morphax.jit(lambda x, r: jnp.repeat(x, r, total_repeat_length=7))
  check(f(x, np.array([2, 0, 3, 2], np.int32)), np.repeat(x, [2, 0, 3, 2]))
  check(f(x, np.array([1, 1, 1, 1], np.int32)), np.repeat(x, [1, 1, 1, 4]))
  check(f(x, np.array([3, 3, 3, 3], np.int32)), np.repeat(x, [3, 3, 3, 3])[:7])
  check(jnp.repeat(x, 2, total_repeat_length=5), np.repeat(x, 2)[:5])
  with pytest.raises(ValueError, match="repeat: `repeats` is a traced array"):
    morphax.jit(lambda x, r: jnp.repeat(x, r))(x, np.array([1, 1, 1, 1], np.int32))


def test_pad_empty_mode_shape():
  out = jnp.pad(R(2, 3), ((1, 0), (2, 1)), "empty")
  assert out.shape == (3, 6) and out.dtype == np.float32


def test_pad_traced_constant_values():
  f = morphax.jit(lambda x, c: jnp.pad(x, 1, constant_values=c))
  check(f(R(2, 2), np.float32(3)), np.pad(R(2, 2), 1, constant_values=3))


@pytest.mark.parametrize("f, shape", [
    (lambda x: jnp.tril(x, 1), (2, 3, 4)), (lambda x: jnp.diagonal(x, 1), (2, 3, 4)),
    (lambda x: jnp.roll(x, 2, 0), (2, 5)), (lambda x: jnp.tile(x, (2, 1)), (2, 3)),
    (lambda x: jnp.pad(x, (1, 2), "reflect"), (2, 4)),
    (lambda x: jnp.pad(x, 2, "median"), (3, 4)),
    (lambda x: jnp.kron(x, jnp.ones((2,))), (2, 3)),
    (lambda x: jnp.repeat(x, jnp.array([1, 2, 0, 1]), total_repeat_length=4), (3, 4)),
])
def test_vmap_matches_loop(f, shape):
  x = R(*shape)
  out = morphax.vmap(f)(x)
  check(out, np.stack([np.asarray(f(x[i])) for i in range(shape[0])]))


@pytest.mark.parametrize("f, shapes", [
    (lambda x: jnp.pad(x, ((1, 2), (0, 1))), [(2, 3)]),
    (lambda x: jnp.pad(x, 2, "reflect", reflect_type="odd"), [(3,)]),
    (lambda x: jnp.pad(x, (3, 1), "symmetric"), [(2, 3)]),
    (lambda x: jnp.pad(x, 2, "wrap"), [(3,)]), (lambda x: jnp.pad(x, 2, "edge"), [(3,)]),
    (lambda x: jnp.pad(x, 2, "mean"), [(4,)]), (lambda x: jnp.pad(x, 2, "linear_ramp"), [(4,)]),
    (lambda x, c: jnp.pad(x, 1, constant_values=c), [(2,), ()]),
    (lambda x: jnp.roll(x, (1, -1), (0, 1)), [(3, 2)]),
    (lambda x: jnp.tile(x, (2, 2)), [(2, 3)]), (lambda x: jnp.repeat(x, 2, axis=0), [(2, 3)]),
    (lambda x: jnp.repeat(x, jnp.array([2, 0, 1])), [(3,)]),
    (lambda x: jnp.diagonal(x, -1), [(3, 4)]), (lambda x: jnp.trace(x, 1), [(3, 4)]),
    (lambda x: jnp.diag(x, 1), [(3,)]), (jnp.kron, [(2, 2), (2, 3)]),
    (lambda x: jnp.tril(x), [(3, 3)]), (lambda x: jnp.rot90(x), [(2, 3)]),
    (lambda x, v: jnp.insert(x, 1, v), [(3,), ()]), (lambda x: jnp.delete(x, 1), [(3,)]),
])
def test_grads(f, shapes):
  args = [R(*s, seed=i).astype(np.float32) for i, s in enumerate(shapes)]
  check_grads(f, args, order=1, modes=("fwd", "rev"))


@settings(max_examples=10)
@given(shape=st.lists(st.integers(0, 3), min_size=1, max_size=3),
       reps=st.lists(st.integers(0, 2), min_size=1, max_size=3))
def test_tile_property(shape, reps):
  x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
  check(jnp.tile(x, tuple(reps)), np.tile(x, tuple(reps)))


@settings(max_examples=12)
@given(n=st.integers(1, 5), lo=st.integers(0, 12), hi=st.integers(0, 12),
       mode=st.sampled_from(["reflect", "symmetric", "wrap", "edge"]),
       odd=st.booleans())
def test_pad_property(n, lo, hi, mode, odd):
  x = (np.arange(n, dtype=np.float32) ** 2) - 3
  kw = {"reflect_type": "odd"} if odd and mode in ("reflect", "symmetric") else {}
  check(jnp.pad(x, (lo, hi), mode, **kw), np.pad(x, (lo, hi), mode, **kw), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("call, error, message", [
    (lambda: jnp.tril(R(3)), ValueError, r"tril: needs an array of at least 2 dimensions, got shape \(3,\)"),
    (lambda: jnp.diagonal(R(3, 3), 0, 1, 1), ValueError, "diagonal: axis1 and axis2 cannot be the same"),
    (lambda: jnp.diag(R(2, 2, 2)), ValueError, r"diag: input must be 1-d or 2-d, got shape \(2, 2, 2\)"),
    (lambda: jnp.fill_diagonal(R(3, 3), 1.0), ValueError, "inplace=False"),
    (lambda: jnp.fill_diagonal(R(3, 4, 3), 1.0, inplace=False), ValueError, "all dimensions of input"),
    (lambda: jnp.roll(R(3), (1, 2), (0, 0, 0)), ValueError, "roll: shift"),
    (lambda: jnp.rot90(R(3, 3), axes=(0, 0)), ValueError, "rot90: axes must be different"),
    (lambda: jnp.tile(R(3), -1), ValueError, "tile: reps must be non-negative"),
    (lambda: jnp.repeat(R(3), [1, 2]), ValueError, r"repeat: repeats of shape \(2,\)"),
    (lambda: jnp.repeat(R(3), -1), ValueError, "repeat: repeats may not contain negative"),
    (lambda: jnp.insert(R(3), 5, 1.0), IndexError, "insert: index 5 is out of bounds"),
    (lambda: jnp.delete(R(3), 3), IndexError, "delete: index 3 is out of bounds"),
    (lambda: jnp.pad(R(3), -1), ValueError, "pad: pad_width must be"),
    (lambda: jnp.pad(R(3), ((1, 2), (3, 4), (5, 6))), ValueError, "pad: pad_width must be"),
    (lambda: jnp.pad(R(3), 1, "bogus"), ValueError, "pad: mode 'bogus' is not supported"),
    (lambda: jnp.pad(R(3), 1, "edge", constant_values=1), ValueError, "unsupported keyword"),
    (lambda: jnp.pad(R(0), 1, "edge"), ValueError, "can't extend empty axis 0"),
    (lambda: jnp.pad(R(3), 1, "reflect", reflect_type="x"), ValueError, "reflect_type"),
    (lambda: jnp.meshgrid(R(2, 2)), ValueError, "meshgrid: arguments must be 1-d"),
    (lambda: jnp.meshgrid(R(2), indexing="q"), ValueError, "meshgrid: indexing must be"),
    (lambda: jnp.mgrid[1], TypeError, "mgrid: indices must be slices"),
    (lambda: jnp.fliplr(R(3)), ValueError, "fliplr: needs an array of at least 2"),
])
def test_errors(call, error, message):
  with pytest.raises(error, match=message):
    call()
