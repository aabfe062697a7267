"""morphax.numpy's array-API aliases and small names (acos, concat,
bitwise_count, astype, isdtype, vecdot/matvec/vecmat, unstack, splits,
angle, cross, dtype names, host I/O, printing) and the linalg additions
(cross, diagonal, vecdot, tensorinv, tensorsolve) against numpy."""

import io

import ml_dtypes
import numpy as np
import pytest

import morphax
import morphax.numpy as jnp
from morphax.test_util import check_grads

from _oracle import R, check


def row(name, arrays, *static, np_fn=None, **kw):
  """A table row: jnp.name(*arrays, *static, **kw) against numpy's (or
  np_fn's) result for the same arguments; a list argument is the arrays."""
  def args(a):
    return ([list(a)] if name == "concat" else list(a)) + list(static)

  def f(*a):
    obj = jnp.linalg if name.startswith("linalg.") else jnp
    return getattr(obj, name.split(".")[-1])(*args(a), **kw)

  def g(*a):
    return (np_fn or getattr(np, name))(*args(a), **kw)
  return pytest.param(f, g, arrays, id=f"{name}{[np.shape(a) for a in arrays]}{static}{kw}")


def _np_vecdot(x1, x2, axis=-1):
  return np.sum(np.conj(np.moveaxis(x1, axis, -1)) * np.moveaxis(x2, axis, -1), -1)


def _np_bitwise_count(x):
  return np.array([bin(abs(int(v))).count("1") for v in x.ravel()],
                  np.uint8).reshape(x.shape)


CASES = [
    row("acos", [R(4) / 3], np_fn=np.arccos), row("acosh", [R(4) ** 2 + 1], np_fn=np.arccosh),
    row("asin", [R(4) / 3], np_fn=np.arcsin), row("asinh", [R(2, 2)], np_fn=np.arcsinh),
    row("atan", [R(3)], np_fn=np.arctan), row("atanh", [R(3) / 3], np_fn=np.arctanh),
    row("atan2", [R(3), R(2, 3)], np_fn=np.arctan2),
    row("pow", [np.abs(R(3)), R(3)], np_fn=np.power),
    row("pow", [R(3, dtype=np.int32), np.array([2, 0, 1], np.int32)], np_fn=np.power),
    row("concat", [R(2, 3), R(1, 3)], np_fn=np.concatenate),
    row("concat", [R(2, 3), R(2, 1)], axis=1, np_fn=np.concatenate),
    row("permute_dims", [R(2, 3, 4)], (2, 0, 1), np_fn=np.transpose),
    row("matrix_transpose", [R(2, 3, 4)], np_fn=lambda a: np.swapaxes(a, -1, -2)),
    row("bitwise_invert", [R(4, dtype=np.int32)], np_fn=np.invert),
    row("bitwise_left_shift", [R(4, dtype=np.uint8), np.array([0, 1, 2, 7], np.uint8)],
        np_fn=np.left_shift),
    row("bitwise_right_shift", [R(4, dtype=np.int32), np.array([0, 1, 2, 3], np.int32)],
        np_fn=np.right_shift),
    row("bitwise_count", [np.array([-128, -3, 0, 5, 127], np.int8)], np_fn=_np_bitwise_count),
    row("bitwise_count", [np.array([0, 7, 2**31 - 1, -1], np.int32)], np_fn=_np_bitwise_count),
    row("bitwise_count", [np.array([[255, 16]], np.uint8)], np_fn=_np_bitwise_count),
    row("vecdot", [R(2, 3), R(3)], np_fn=_np_vecdot),
    row("vecdot", [R(3, dtype=np.complex64), R(3, dtype=np.complex64)], np_fn=_np_vecdot),
    row("vecdot", [R(3, 2), R(3, 2)], axis=0, np_fn=_np_vecdot),
    row("linalg.vecdot", [R(4, 2), R(2)], np_fn=_np_vecdot),
    row("matvec", [R(2, 3, 4), R(4)], np_fn=lambda a, b: a @ b),
    row("matvec", [R(3, 4), R(2, 4)], np_fn=lambda a, b: np.einsum("mn,bn->bm", a, b)),
    row("vecmat", [R(3), R(2, 3, 4)], np_fn=lambda a, b: a @ b),
    row("vecmat", [R(3, dtype=np.complex64), R(3, 2, dtype=np.complex64)],
        np_fn=lambda a, b: np.conj(a) @ b),
    row("unstack", [R(2, 3)], np_fn=lambda a: list(a)),
    row("unstack", [R(2, 3)], axis=-1, np_fn=lambda a, axis: list(a.T)),
    row("unstack", [R(0, 3)], np_fn=lambda a: []),
    row("rollaxis", [R(2, 3, 4)], 2), row("rollaxis", [R(2, 3, 4)], 0, 3),
    row("rollaxis", [R(2, 3, 4)], 1, -1), row("rollaxis", [R(2, 3, 4)], -1, 1),
    row("vsplit", [R(4, 2)], 2), row("vsplit", [R(4, 2)], [1, 3]),
    row("hsplit", [R(6)], 3), row("hsplit", [R(2, 4)], [1]),
    row("dsplit", [R(1, 2, 4)], 2),
    row("angle", [R(4, dtype=np.complex64)]), row("angle", [R(4)]),
    row("angle", [R(2, 2, dtype=np.complex64)], deg=True),
    row("angle", [np.array([1, -2, 0], np.int32)]), row("angle", [R()]),
    row("cross", [R(3), R(3)]), row("cross", [R(2, 3), R(3)]),
    row("cross", [R(2), R(3)]), row("cross", [R(4, 2), R(2)]),
    row("cross", [R(3, 4), R(4, 3)], axisa=0, axisb=1, axisc=0),
    row("cross", [R(3, 2), R(3, 2)], axis=0),
    row("cross", [R(2, 3, dtype=np.int32), R(3, dtype=np.int32)]),
    row("linalg.cross", [R(2, 3), R(2, 3)], np_fn=np.cross),
    row("linalg.cross", [R(3, 2), R(3, 1)], axis=0, np_fn=np.cross),
    row("linalg.diagonal", [R(2, 3, 4)], np_fn=lambda a: np.diagonal(a, 0, -2, -1)),
    row("linalg.diagonal", [R(3, 3)], offset=1, np_fn=lambda a, offset: np.diagonal(a, offset, -2, -1)),
    row("linalg.diagonal", [R(3, 4)], offset=-2, np_fn=lambda a, offset: np.diagonal(a, offset, -2, -1)),
    row("linalg.tensorinv", [R(4, 2, 2) + 3 * np.eye(4).reshape(4, 2, 2)], ind=1,
        np_fn=np.linalg.tensorinv),
    row("linalg.tensorsolve", [R(2, 3, 6) + 3 * np.eye(6).reshape(2, 3, 6), R(2, 3)],
        np_fn=np.linalg.tensorsolve),
    row("linalg.tensorsolve", [R(6, 2, 3) + 3 * np.eye(6).reshape(6, 2, 3), R(2, 3)],
        axes=(0,), np_fn=np.linalg.tensorsolve),
]


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
@pytest.mark.parametrize("f, g, arrays", CASES)
def test_against_numpy(f, g, arrays):
  expected = g(*arrays)
  if isinstance(expected, tuple):
    expected = list(expected)
  out = f(*[morphax.device_put(a) for a in arrays])
  check(list(out) if isinstance(out, tuple) else out, expected, rtol=2e-4, atol=2e-4)


@pytest.mark.parametrize("f, g, arrays", CASES[::4])
def test_jit_matches_eager(f, g, arrays):
  eager = f(*arrays)
  out = morphax.jit(f)(*arrays)
  if isinstance(eager, (tuple, list)):
    check(list(out), [np.asarray(e) for e in eager])
  else:
    check(out, np.asarray(eager))


@pytest.mark.parametrize("f, args", [
    (jnp.cross, (R(3), R(3, seed=1))),
    (lambda a, b: jnp.cross(a, b, axis=0), (R(2, 3), R(2, 1))),
    (jnp.vecdot, (R(2, 3), R(3, seed=1))),
    (jnp.matvec, (R(2, 3), R(3, seed=1))),
    (jnp.vecmat, (R(2), R(2, 3, seed=1))),
    (jnp.angle, (R(3, dtype=np.complex64),)),
    (lambda a: jnp.unstack(a, axis=1)[1], (R(2, 3),)),
    (jnp.linalg.tensorsolve, (R(2, 2, 4) + 3 * np.eye(4).reshape(2, 2, 4), R(2, 2, seed=2))),
])
def test_grads(f, args):
  check_grads(f, args, order=1, modes=("rev",), eps=1e-2, tol=2e-2)


def test_vmap_matches_loop():
  a, b = R(4, 3), R(4, 3, seed=1)
  for fn in (jnp.cross, jnp.vecdot, lambda x, y: jnp.angle(x + 1j * y)):
    out = morphax.vmap(fn)(a, b)
    check(out, np.stack([np.asarray(fn(x, y)) for x, y in zip(a, b)]))


def test_astype():
  check(jnp.astype(np.array([1.7, -2.5], np.float32), jnp.int32), np.array([1, -2], np.int32))
  check(jnp.astype(np.array([1, 0], np.int32), bool), np.array([True, False]))
  check(jnp.astype(np.array([1 + 2j], np.complex64), np.float32), np.array([1.0], np.float32))
  check(jnp.astype(3, np.float64), np.array(3.0, np.float32))
  check(morphax.jit(lambda x: jnp.astype(x, jnp.float16))(np.arange(3)),
        np.arange(3).astype(np.float16))


@pytest.mark.parametrize("dtype, kind, expected", [
    (np.float32, "real floating", True), (jnp.bfloat16, "real floating", True),
    (jnp.bfloat16, ("integral", "real floating"), True), (np.int8, "signed integer", True),
    (np.uint8, "signed integer", False), (np.uint16, "integral", True),
    (np.complex64, "numeric", True), (np.complex64, "real floating", False),
    (np.bool_, "numeric", False), (np.bool_, "bool", True), (jnp.int32, np.int32, True),
    (np.int32, (np.int16, np.int64), False), (jnp.float8_e4m3fn, "real floating", True),
    (jnp.int4, "signed integer", True), (jnp.uint4, "unsigned integer", True),
])
def test_isdtype(dtype, kind, expected):
  assert jnp.isdtype(dtype, kind) is expected


def test_isdtype_bad_kind():
  with pytest.raises(ValueError, match="isdtype: kind must be a dtype, one of"):
    jnp.isdtype(np.float32, "floating point")


def test_dtype_names_and_classes():
  for name in ("float8_e4m3fn", "float8_e5m2", "float4_e2m1fn", "float6_e2m3fn", "int4",
               "uint4", "int2", "uint2"):
    assert np.dtype(getattr(jnp, name)) == np.dtype(getattr(ml_dtypes, name))
  assert jnp.object_ is np.object_ and jnp.flexible is np.flexible
  assert jnp.character is np.character
  assert issubclass(jnp.ComplexWarning, RuntimeWarning)
  assert jnp.iterable(jnp.ones(3)) and not jnp.iterable(jnp.ones(())) and not jnp.iterable(3)


@pytest.mark.parametrize("call, error, match", [
    (lambda: jnp.bitwise_count(np.ones(2, np.float32)), TypeError,
     "bitwise_count: needs an integer array, got dtype float32"),
    (lambda: jnp.vsplit(np.ones(3), 3), ValueError, "vsplit: needs an array of at least 2"),
    (lambda: jnp.dsplit(np.ones((2, 2)), 2), ValueError, "dsplit: needs an array of at least 3"),
    (lambda: jnp.unstack(np.float32(1)), ValueError, "unstack: needs an array of at least 1"),
    (lambda: jnp.rollaxis(np.ones((2, 3)), 0, 3), ValueError, r"rollaxis: start=3 must be in \[-2, 2\]"),
    (lambda: jnp.cross(np.ones(4), np.ones(3)), ValueError, "vector axis must have length 2 or 3"),
    (lambda: jnp.linalg.cross(np.ones(2), np.ones(2)), ValueError, "vector axis must have length 3,"),
    (lambda: jnp.linalg.vecdot(np.ones(2), np.ones(3)), ValueError,
     r"vecdot: the contracted axis -1 has length 2 in x1 \(shape \(2,\)\) but 3"),
    (lambda: jnp.linalg.tensorinv(np.ones((2, 3))), ValueError, "tensorinv: ind=2 splits shape"),
    (lambda: jnp.linalg.tensorinv(np.ones((2, 3)), ind=1), ValueError, r"products \(2 and 3\)"),
    (lambda: jnp.linalg.tensorsolve(np.ones((2, 3)), np.ones(3)), ValueError,
     r"tensorsolve: a of shape \(2, 3\) must start with b's shape \(3,\)"),
    (lambda: jnp.matvec(np.ones(3), np.ones(3)), ValueError, "matvec: needs an array of at least 2"),
    (lambda: jnp.fromiter(iter([1, 2]), np.float32), NotImplementedError, "jnp.fromiter is not"),
    (lambda: jnp.fromfile("x"), NotImplementedError, "jnp.fromfile is not"),
])
def test_errors(call, error, match):
  with pytest.raises(error, match=match):
    call()


def test_host_constructors():
  check(jnp.frombuffer(b"\x01\x02\x03", dtype=np.uint8), np.array([1, 2, 3], np.uint8))
  check(jnp.frombuffer(np.arange(4, dtype=np.float32).tobytes(), dtype=np.float32, count=2,
                       offset=4), np.array([1.0, 2.0], np.float32))
  check(jnp.fromstring("1 2 3.5", sep=" "), np.array([1, 2, 3.5], np.float32))
  check(jnp.from_dlpack(np.arange(3, dtype=np.int32)), np.arange(3, dtype=np.int32))
  check(jnp.fromfunction(lambda i, j: i + 2 * j, (2, 3)), np.fromfunction(lambda i, j: i + 2 * j, (2, 3)))
  check(jnp.fromfunction(lambda i, j, k: i * j - k, (2, 3, 2), dtype=int),
        np.fromfunction(lambda i, j, k: i * j - k, (2, 3, 2), dtype=int))


def test_save_load_roundtrip(tmp_path):
  x = jnp.arange(6.0).reshape(2, 3)
  buf = io.BytesIO()
  jnp.save(buf, x)
  buf.seek(0)
  check(jnp.load(buf), np.arange(6.0).reshape(2, 3))
  path = tmp_path / "b.npy"
  np.save(path, np.array([1.5, -2], ml_dtypes.bfloat16).view("V2"))
  check(jnp.load(path), np.array([1.5, -2], ml_dtypes.bfloat16))
  jnp.savez(tmp_path / "z.npz", a=x, b=jnp.ones(2, jnp.int32))
  with jnp.load(tmp_path / "z.npz") as z:
    np.testing.assert_array_equal(z["b"], np.ones(2, np.int32))


def test_printing():
  assert jnp.array_repr(jnp.array([1.0, 2.0])) == "Array([1., 2.], dtype=float32)"
  assert jnp.array_str(jnp.array([[1, 2]])) == "[[1 2]]"
  assert jnp.array_repr(jnp.array([0.123456]), precision=2) == "Array([0.12], dtype=float32)"
  with jnp.printoptions(precision=1):
    assert jnp.get_printoptions()["precision"] == 1
    assert jnp.array_str(jnp.array([0.25, 1.5])) == "[0.2 1.5]"
  assert jnp.get_printoptions()["precision"] == 8


def test_ufunc_methods():
  # Known answers from jax.numpy.frompyfunc (jax 0.10.2): reduce starts at
  # the identity when there is one.
  u = jnp.frompyfunc(lambda x, y: x * y + 1, 2, 1, identity=1)
  x = np.arange(1.0, 5.0, dtype=np.float32)
  assert (u.nin, u.nout, u.nargs, u.identity) == (2, 1, 2, 1)
  assert repr(u) == "<jnp.ufunc '<lambda>'>"
  check(u(x, np.float32(2)), x * 2 + 1)
  check(u.reduce(x), np.float32(65))
  check(u.reduce(x.reshape(2, 2), axis=1, keepdims=True), np.array([[5.0], [17.0]], np.float32))
  check(u.reduce(x.reshape(2, 2), axis=None), np.float32(65))
  check(u.reduce(np.zeros(0, np.float32)), np.float32(1))
  check(u.accumulate(x), np.array([1, 3, 10, 41], np.float32))
  check(u.outer(x[:2], x[:3]), np.multiply.outer(x[:2], x[:3]) + 1)
  check(u.at(x, np.array([0, 0, 2], np.int32), np.float32(3), inplace=False),
        np.array([13, 2, 10, 4], np.float32))
  add = jnp.frompyfunc(jnp.add, 2, 1, identity=0)
  a = np.arange(6, dtype=np.int32).reshape(2, 3)
  check(add.reduce(a, axis=0), np.add.reduce(a, axis=0))
  check(add.reduce(x, initial=np.float32(10)), np.add.reduce(x, initial=10))
  check(add.reduce(x, where=np.array([True, False, True, False])),
        np.add.reduce(x, where=np.array([True, False, True, False])))
  check(add.accumulate(a, axis=1), np.add.accumulate(a, axis=1))
  sub = jnp.frompyfunc(lambda p, q: p - q, 2, 1)
  check(sub.reduce(x), np.subtract.reduce(x))
  check(morphax.jit(lambda v: sub.accumulate(v))(x), np.subtract.accumulate(x))
  neg = jnp.ufunc(lambda v: -v, 1, 1, name="neg")
  check(neg.at(x, np.array([1, 1], np.int32), inplace=False), np.array([1, 2, 3, 4], np.float32))
  assert neg.__name__ == "neg"


@pytest.mark.parametrize("call, error, match", [
    (lambda u: u.reduce(np.zeros(0, np.float32)), ValueError, "zero-size array to a reduction"),
    (lambda u: u.reduce(np.ones(2), where=np.ones(2, bool)), ValueError, "where= needs an identity"),
    (lambda u: u.at(np.ones(2), np.array([0]), 1.0), ValueError, "pass inplace=False"),
    (lambda u: u(1.0), TypeError, "takes 2 arguments, got 1"),
    (lambda u: u.reduceat(np.ones(2), [0]), NotImplementedError, "pass reduceat="),
    (lambda u: jnp.ufunc(abs, 1, 1).outer(1, 2), ValueError,
     r"outer: only defined for binary ufuncs with one output \(nin=2, nout=1\), got nin=1"),
])
def test_ufunc_errors(call, error, match):
  with pytest.raises(error, match=match):
    call(jnp.frompyfunc(lambda p, q: p - q, 2, 1))
