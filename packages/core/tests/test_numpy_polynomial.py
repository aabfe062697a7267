"""morphax.numpy polynomials, interpolation and convolution against numpy:
polyval/add/sub/mul/der/int, polyfit, interp, convolve and correlate;
eagerly, under jit and vmap, and their grads."""

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads

from test_numpy_manipulation import R, check


def row(name, arrays, *static, **kw):
  def f(*a):
    return getattr(jnp, name)(*a, *static, **kw)

  def g(*a):
    return getattr(np, name)(*a, *static, **kw)
  return pytest.param(f, g, arrays, id=f"{name}{[np.shape(a) for a in arrays]}{static}{kw}")


XP = np.array([0., 1., 2.5, 3., 4.5], np.float32)
FP = np.array([1., 3., 2., 0., 5.], np.float32)
XS = np.array([-1., 0., 0.3, 1., 2.7, 4.5, 6.], np.float32)

CASES = [
    row("polyval", [R(4), R(5)]), row("polyval", [R(1), R(2, 3)]), row("polyval", [R(3), R()]),
    row("polyadd", [R(3), R(5)]), row("polyadd", [R(2, dtype=np.int32), R(2, dtype=np.int32)]),
    row("polysub", [R(4), R(2)]), row("polymul", [R(3), R(4)]), row("polymul", [R(1), R(2)]),
    row("polymul", [np.array([2, 0, -1], np.int32), np.array([3, 1], np.int32)]),
    row("polyder", [R(5)]), row("polyder", [R(5)], 3), row("polyder", [R(3)], 0),
    row("polyint", [R(3)]), row("polyint", [R(3)], 2), row("polyint", [R(3)], 2, [1.0, -2.0]),
    row("interp", [XS, XP, FP]), row("interp", [XS.reshape(7, 1), XP, FP]),
    row("interp", [XS, XP, FP], left=-1.0, right=9.0), row("interp", [XS, XP[:1], FP[:1]]),
    row("interp", [XS, XP, FP], period=3.0), row("interp", [XS * 3, XP, FP], period=4.5),
    row("interp", [np.float32(1.7), XP, FP]),
    row("interp", [XS, np.array([0., 1., 1., 2.], np.float32), np.array([0., 1., 3., 4.], np.float32)]),
]
for mode in ["full", "same", "valid"]:
  for name in ["convolve", "correlate"]:
    CASES += [row(name, [R(6), R(3)], mode), row(name, [R(3), R(6)], mode),
              row(name, [R(4), R(4)], mode), row(name, [R(5), R(2)], mode),
              row(name, [R(2), R(5)], mode), row(name, [R(1), R(1)], mode)]
CASES += [row("convolve", [R(5, dtype=np.int32), R(3, dtype=np.int32)]),
          row("correlate", [R(4, dtype=np.int32), R(2, dtype=np.int32)], "full")]


@pytest.mark.parametrize("f, g, arrays", CASES)
def test_against_numpy(f, g, arrays):
  check(f(*[morphax.device_put(a) for a in arrays]), g(*arrays), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("f, g, arrays", CASES[::3])
def test_jit_matches_eager(f, g, arrays):
  check(morphax.jit(f)(*arrays), np.asarray(f(*arrays)), rtol=1e-5, atol=1e-5)


def test_polyval_promotes_ints():
  out = jnp.polyval(np.array([1, 2], np.int32), np.int32(3))
  assert out.dtype == np.float32 and float(out) == 5.0


@pytest.mark.parametrize("deg, ny, weighted", [(0, 1, False), (2, 2, False), (3, 1, True),
                                               (5, 1, False)])
def test_polyfit(deg, ny, weighted):
  x = np.linspace(-1, 2, 25).astype(np.float32)
  coef = np.arange(1, deg + 2, dtype=np.float32)
  y = np.polyval(coef, x) + 0.01 * np.sin(7 * x)
  y = np.stack([y, 2 * y - 1], 1) if ny == 2 else y
  w = np.linspace(0.5, 2, 25).astype(np.float32) if weighted else None
  expected = np.polyfit(x.astype(np.float64), y, deg, w=w)
  check(jnp.polyfit(x, y.astype(np.float32), deg, w=w), expected, rtol=2e-3, atol=2e-3)
  f = morphax.jit(lambda x, y: jnp.polyfit(x, y, deg, w=w))
  check(f(x, y.astype(np.float32)), expected, rtol=2e-3, atol=2e-3)


def test_vmap_matches_loop():
  xs, ps = R(3, 5), R(3, 4)
  check(morphax.vmap(jnp.polyval)(ps, xs),
        np.stack([np.polyval(p, x) for p, x in zip(ps, xs)]), rtol=1e-4, atol=1e-4)
  a, v = R(3, 6), R(3, 3)
  check(morphax.vmap(lambda a, v: jnp.convolve(a, v, "same"))(a, v),
        np.stack([np.convolve(x, y, "same") for x, y in zip(a, v)]), rtol=1e-4, atol=1e-4)
  x = R(3, 4) * 2
  check(morphax.vmap(lambda x: jnp.interp(x, XP, FP))(x),
        np.stack([np.interp(r, XP, FP) for r in x]), rtol=1e-5, atol=1e-5)
  check(morphax.vmap(lambda fp: jnp.interp(XS, XP, fp))(np.stack([FP, 2 * FP])),
        np.stack([np.interp(XS, XP, FP), np.interp(XS, XP, 2 * FP)]), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("f, args", [
    (jnp.polyval, [R(4), R(3)]),
    (lambda x, fp: jnp.interp(x, XP, fp), [np.array([0.5, 1.7, 3.9], np.float32), FP]),
    (lambda xp: jnp.interp(np.float32(1.3), xp, FP), [XP]),
    (lambda a, v: jnp.convolve(a, v), [R(5), R(3)]),
    (lambda a, v: jnp.correlate(a, v, "same"), [R(5), R(3)]),
    (lambda a, b: jnp.polymul(a, b), [R(3), R(2)]),
    (lambda y: jnp.polyfit(np.linspace(0, 1, 6).astype(np.float32), y, 2), [R(6)]),
])
def test_grads(f, args):
  check_grads(f, args, order=1, modes=("fwd", "rev"), tol=2e-2)


@pytest.mark.parametrize("call, error, message", [
    (lambda: jnp.convolve(R(3), R(2), "bogus"), ValueError, "convolve: mode must be 'full', 'same' or 'valid'"),
    (lambda: jnp.correlate(R(0), R(2)), ValueError, "correlate: inputs cannot be empty"),
    (lambda: jnp.convolve(R(2, 2), R(2)), ValueError, r"convolve: input must be 1-d, got shape \(2, 2\)"),
    (lambda: jnp.interp(R(3), R(3), R(2)), ValueError, "interp: xp and fp must be 1-d of equal"),
    (lambda: jnp.interp(R(3), R(3), R(3), left=0.0, period=1.0), ValueError, "left and right are not allowed"),
    (lambda: jnp.polyfit(R(2), R(2), 3), ValueError, "polyfit: need at least deg"),
    (lambda: jnp.polyfit(R(5), R(4), 1), ValueError, "polyfit: y must be 1-d or 2-d"),
    (lambda: jnp.polyfit(R(5), R(5), 1, full=True), NotImplementedError, "full=True"),
    (lambda: jnp.polyder(R(3), -1), ValueError, "polyder: order of derivative"),
    (lambda: jnp.polyint(R(3), -1), ValueError, "polyint: order of integral"),
])
def test_errors(call, error, message):
  with pytest.raises(error, match=message):
    call()


def test_polymul_trim_leading_zeros():
  a, b = np.array([0., 0., 1., 2.], np.float32), np.array([0., 3.], np.float32)
  check(jnp.polymul(a, b, trim_leading_zeros=True), np.polymul(a, b))
  assert jnp.polymul(a, b).shape == (5,)   # as in JAX: kept by default
