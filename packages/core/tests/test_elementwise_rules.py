"""Transformation rules of the elementwise, bits and select primitives: one
table row per primitive, checked for derivatives (finite differences and the
dot-product test), vmap against a Python loop, and jit against eager."""

import dataclasses
from typing import Callable, Optional

import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.core import ir
from morphax.test_util import check_grads, check_jvp

PRIMITIVES_COVERED = {
    "add", "sub", "mul", "neg", "sin", "cos", "exp", "div", "rem", "pow", "integer_pow", "max", "min", "nextafter", "atan2",
    "abs", "sign", "floor", "ceil", "round", "is_finite", "exp2", "expm1",
    "log", "log1p", "logistic", "sqrt", "rsqrt", "cbrt", "square", "tan",
    "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "erf", "erfc", "erf_inv", "lgamma", "digamma", "real", "imag", "conj",
    "complex", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor", "not",
    "shift_left", "shift_right_arithmetic", "shift_right_logical",
    "population_count", "clz", "select_n", "clamp"}

N = 3  # elements per example
B = 2  # batch size


def uniform(lo, hi):
  return lambda rng, shape: rng.uniform(lo, hi, shape).astype(np.float32)


def away_from_int(rng, shape):  # floor/ceil/round: no jumps nearby
  return (rng.integers(-3, 3, shape) + rng.uniform(0.2, 0.4, shape)).astype(np.float32)


def ints(lo, hi, dtype=np.int32):
  return lambda rng, shape: rng.integers(lo, hi, shape).astype(dtype)


def bools(rng, shape):
  return rng.integers(0, 2, shape).astype(bool)


def cplx(rng, shape):
  return (rng.uniform(0.5, 1.5, shape) + 1j * rng.uniform(0.5, 1.5, shape)).astype(np.complex64)


@dataclasses.dataclass
class Row:
  name: str                 # the primitive
  f: Callable
  makers: tuple             # one (rng, shape) -> array per argument
  order: Optional[int] = 2  # derivative order to check; None: zero tangents
  modes: tuple = ("fwd", "rev")
  scalar_args: tuple = ()   # argument positions that stay scalar under vmap


U = uniform(-1.0, 1.0)
POS = uniform(0.5, 2.0)
IN = uniform(-0.8, 0.8)

ROWS = [
    Row("add", lax.add, (U, U)),
    Row("sub", lax.sub, (U, U)),
    Row("mul", lax.mul, (U, U)),
    Row("neg", lax.neg, (U,)),
    Row("sin", lax.sin, (U,)),
    Row("cos", lax.cos, (U,)),
    Row("exp", lax.exp, (U,)),
    Row("div", lax.div, (U, POS)),
    Row("rem", lax.rem, (uniform(2.1, 2.9), uniform(0.9, 1.0))),
    Row("pow", lax.pow, (POS, U)),
    Row("pow", lambda x: lax.pow(x, np.full(N, 3, np.int32)), (U,)),
    Row("integer_pow", lambda x: lax.integer_pow(x, 3), (U,)),
    Row("integer_pow", lambda x: lax.integer_pow(x, -2), (POS,)),
    Row("integer_pow", lambda x: lax.integer_pow(x, 1), (U,)),
    Row("integer_pow", lambda x: lax.integer_pow(x, 0), (U,)),
    Row("max", lax.max, (U, U)),
    Row("min", lax.min, (U, U)),
    Row("atan2", lax.atan2, (U, POS)),
    Row("abs", lax.abs, (POS,)),
    Row("abs", lambda x: lax.abs(lax.neg(x)), (POS,)),
    Row("exp2", lax.exp2, (U,)),
    Row("expm1", lax.expm1, (U,)),
    Row("log", lax.log, (POS,)),
    Row("log1p", lax.log1p, (IN,)),
    Row("logistic", lax.logistic, (U,)),
    Row("sqrt", lax.sqrt, (POS,)),
    Row("rsqrt", lax.rsqrt, (POS,)),
    Row("cbrt", lax.cbrt, (POS,)),
    Row("square", lax.square, (U,)),
    Row("tan", lax.tan, (U,)),
    Row("asin", lax.asin, (IN,)),
    Row("acos", lax.acos, (IN,)),
    Row("atan", lax.atan, (U,)),
    Row("sinh", lax.sinh, (U,)),
    Row("cosh", lax.cosh, (U,)),
    Row("tanh", lax.tanh, (U,)),
    Row("asinh", lax.asinh, (U,)),
    Row("acosh", lax.acosh, (uniform(1.5, 2.5),)),
    Row("atanh", lax.atanh, (IN,)),
    Row("erf", lax.erf, (U,)),
    Row("erfc", lax.erfc, (U,)),
    Row("erf_inv", lax.erf_inv, (IN,)),
    Row("lgamma", lax.lgamma, (POS,), order=1),
    # Complex parts: first order, both modes (check_vjp pairs cotangents in
    # JAX's convention); test_complex_transposes checks them by hand too.
    Row("real", lax.real, (cplx,), order=1),
    Row("imag", lax.imag, (cplx,), order=1),
    Row("conj", lax.conj, (cplx,), order=1),
    Row("conj", lax.conj, (U,), order=1),
    Row("complex", lax.complex, (U, U), order=1),
    Row("abs", lax.abs, (cplx,), order=1),
    Row("mul", lax.mul, (cplx, cplx), order=1),
    Row("select_n", lambda w, a, b: lax.select_n(w, a, b), (bools, U, U)),
    Row("select_n", lambda w, a, b, c: lax.select_n(w, a, b, c),
        (ints(0, 3), U, U, U)),
    Row("select_n", lambda w, a, b: lax.select_n(w, a, b), (bools, U, U),
        scalar_args=(0,)),
    Row("clamp", lax.clamp, (uniform(-0.6, -0.4), U, uniform(0.4, 0.6))),
    Row("clamp", lax.clamp, (uniform(-0.6, -0.4), U, uniform(0.4, 0.6)),
        scalar_args=(0, 2)),
    # Zero derivatives.
    Row("digamma", lax.digamma, (POS,), order=1),
    Row("nextafter", lax.nextafter, (U, U), order=None),
    Row("sign", lax.sign, (U,), order=None),
    Row("floor", lax.floor, (away_from_int,), order=None),
    Row("ceil", lax.ceil, (away_from_int,), order=None),
    Row("round", lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN),
        (away_from_int,), order=None),
    Row("is_finite", lax.is_finite, (U,), order=None),
    Row("eq", lax.eq, (ints(0, 2), ints(0, 2)), order=None),
    Row("ne", lax.ne, (U, U), order=None),
    Row("lt", lax.lt, (U, U), order=None),
    Row("le", lax.le, (U, U), order=None),
    Row("gt", lax.gt, (U, U), order=None),
    Row("ge", lax.ge, (U, U), order=None),
    Row("and", lax.bitwise_and, (ints(0, 16), ints(0, 16)), order=None),
    Row("or", lax.bitwise_or, (bools, bools), order=None),
    Row("xor", lax.bitwise_xor, (ints(0, 16), ints(0, 16)), order=None),
    Row("not", lax.bitwise_not, (ints(0, 16),), order=None),
    Row("shift_left", lax.shift_left, (ints(0, 16), ints(0, 4)), order=None),
    Row("shift_right_arithmetic", lax.shift_right_arithmetic,
        (ints(-16, 16), ints(0, 4)), order=None),
    Row("shift_right_logical", lax.shift_right_logical,
        (ints(0, 16), ints(0, 4)), order=None),
    Row("population_count", lax.population_count, (ints(0, 64),), order=None),
    Row("clz", lax.clz, (ints(0, 64),), order=None),
]

IDS = [f"{i}-{row.name}" for i, row in enumerate(ROWS)]


def make_args(row, seed, batch=None):
  """One example's arguments, or `batch` stacked along axis 0."""
  rng = np.random.default_rng(seed)
  args = []
  for i, make in enumerate(row.makers):
    shape = () if i in row.scalar_args else (N,)
    args.append(make(rng, shape if batch is None else (batch,) + shape))
  return args


def loop(f, args, in_axes):
  """f mapped over the batch by a Python loop, stacked on axis 0."""
  size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
  outs = []
  for b in range(size):
    sliced = [a if ax is None else np.take(a, b, axis=ax) for a, ax in zip(args, in_axes)]
    outs.append(np.asarray(f(*sliced)))
  return np.stack(outs)


def assert_close(got, want, row):
  got, want = np.asarray(got), np.asarray(want)
  assert got.dtype == want.dtype and got.shape == want.shape, row.name
  if np.issubdtype(got.dtype, np.inexact):
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6)
  else:
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_derivatives(row):
  args = make_args(row, 0)
  if row.order is None:
    # Zero tangents (integer and bool operands have no tangent at all).
    tangents = tuple(np.ones_like(a) if np.issubdtype(a.dtype, np.floating)
                     else np.zeros_like(a) for a in args)
    out, t_out = morphax.jvp(row.f, tuple(args), tangents)
    assert_close(out, row.f(*args), row)
    assert not np.any(np.asarray(t_out, np.float64))
    return
  diff = [i for i, a in enumerate(args) if np.issubdtype(a.dtype, np.inexact)]

  def f(*diff_args):  # integer and bool operands stay fixed
    full = list(args)
    for i, a in zip(diff, diff_args):
      full[i] = a
    return row.f(*full)
  check_grads(f, [args[i] for i in diff], order=row.order, modes=row.modes)


def in_axes_cases(row):
  """All operands batched on axis 0; the first on axis 1 and the others
  unbatched; and (for several operands) only the last batched."""
  n = len(row.makers)
  cases = [(0,) * n, (1,) + (None,) * (n - 1)]
  if n > 1:
    cases.append((None,) * (n - 1) + (0,))
  return cases


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_vmap_matches_loop(row):
  example = make_args(row, 1)
  stacked = make_args(row, 2, batch=B)
  for in_axes in in_axes_cases(row):
    args = []
    for a, e, ax in zip(stacked, example, in_axes):
      if ax is None:
        args.append(e)
      elif ax == 1 and a.ndim < 2:  # a scalar operand has no axis 1
        in_axes = (0,) + in_axes[1:]
        args.append(a)
      else:
        args.append(np.moveaxis(a, 0, ax))
    got = morphax.vmap(row.f, in_axes=in_axes)(*args)
    assert_close(got, loop(row.f, args, in_axes), row)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_jit_matches_eager(row):
  args = make_args(row, 3)
  assert_close(morphax.jit(row.f)(*args), row.f(*args), row)


@pytest.mark.parametrize("row", [r for r in ROWS if r.name in
                                 ("div", "pow", "max", "clamp", "select_n", "tanh")],
                         ids=lambda r: r.name)
def test_grad_jaxprs_typecheck(row):
  args = make_args(row, 4)
  diff = [i for i, a in enumerate(args) if np.issubdtype(a.dtype, np.inexact)]
  f = lambda *a: morphax.numpy.sum(row.f(*a))
  g = morphax.grad(f, argnums=tuple(diff))
  ir.typecheck(morphax.make_jaxpr(g)(*args))
  ir.typecheck(morphax.make_jaxpr(morphax.vmap(g))(*make_args(row, 4, batch=B)))


# --- Edge cases ----------------------------------------------------------------

def test_pow_derivatives_at_zero_base():
  x = np.zeros(N, np.float32)
  gx = morphax.grad(lambda x: morphax.numpy.sum(lax.pow(x, np.full(N, 2., np.float32))))(x)
  np.testing.assert_array_equal(gx, 0.)
  gx0 = morphax.grad(lambda x: morphax.numpy.sum(lax.pow(x, np.zeros(N, np.float32))))(x)
  np.testing.assert_array_equal(gx0, 0.)  # 0 ** 0 is constant 1, not NaN
  gy = morphax.grad(lambda y: morphax.numpy.sum(lax.pow(x, y)))(np.full(N, 2., np.float32))
  np.testing.assert_array_equal(gy, 0.)


def test_integer_pow_zero_and_max_ties():
  x = np.array([0., 1., -2.], np.float32)
  np.testing.assert_array_equal(
      morphax.grad(lambda x: morphax.numpy.sum(lax.integer_pow(x, 0)))(x), 0.)
  gx, gy = morphax.grad(lambda x, y: morphax.numpy.sum(lax.max(x, y)),
                        argnums=(0, 1))(x, np.array([0., 2., -2.], np.float32))
  np.testing.assert_array_equal(gx, [0.5, 0., 0.5])
  np.testing.assert_array_equal(gy, [0.5, 1., 0.5])


def test_clamp_passes_tangent_strictly_inside():
  x = np.array([-2., 0., 0.5, 2.], np.float32)
  g = morphax.grad(lambda x: morphax.numpy.sum(lax.clamp(-1., x, 1.)))(x)
  np.testing.assert_array_equal(g, [0., 1., 1., 0.])
  glo, ghi = morphax.grad(lambda lo, hi: morphax.numpy.sum(lax.clamp(lo, x, hi)),
                          argnums=(0, 1))(np.float32(-1.), np.float32(1.))
  assert (float(glo), float(ghi)) == (1., 1.)


def test_div_transposes_in_numerator():
  y = np.array([2., 4., -0.5], np.float32)
  ct = np.array([1., 2., 3.], np.float32)
  _, vjp = morphax.vjp(lambda x: lax.div(x, y), np.ones(N, np.float32))
  np.testing.assert_allclose(vjp(ct)[0], ct / y)


def test_select_n_transposes_into_the_picked_case():
  which = np.array([0, 2, 1], np.int32)
  cases = [np.ones(N, np.float32)] * 3
  _, vjp = morphax.vjp(lambda *c: lax.select_n(which, *c), *cases)
  got = vjp(np.array([1., 2., 3.], np.float32))
  np.testing.assert_array_equal(np.stack(got), [[1, 0, 0], [0, 0, 3], [0, 2, 0]])


def test_complex_transposes():
  """<ct, J t> = <vjp(ct), t> in JAX's convention, which pairs cotangents
  with tangents as Re(sum(ct * t)) without conjugation."""
  rng = np.random.default_rng(5)
  z = cplx(rng, (N,))
  r1, r2 = uniform(-1, 1)(rng, (N,)), uniform(-1, 1)(rng, (N,))
  def pair(a, b):
    return sum(float(np.real(np.sum(np.asarray(x) * np.asarray(y)))) for x, y in zip(a, b))
  for f, args in [(lax.real, [z]), (lax.imag, [z]), (lax.conj, [z]),
                  (lax.conj, [r1]), (lax.complex, [r1, r2])]:
    tangents = [cplx(rng, (N,)) if np.iscomplexobj(a) else uniform(-1, 1)(rng, (N,))
                for a in args]
    out, t_out = morphax.jvp(f, tuple(args), tuple(tangents))
    ct = cplx(rng, (N,)) if np.iscomplexobj(out) else uniform(-1, 1)(rng, (N,))
    cts = morphax.vjp(f, *args)[1](ct)
    np.testing.assert_allclose(pair([ct], [t_out]), pair(cts, tangents), rtol=1e-5)


def test_complex_log_is_holomorphic():
  check_jvp(lax.log, (cplx(np.random.default_rng(6), (N,)),))
