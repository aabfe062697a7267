"""Array's operators, methods and basic indexing against numpy."""

import operator

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp


def _check(out, expected, dtype=None, weak=False):
  expected = np.asarray(expected)
  dtype = np.dtype(dtype or expected.dtype)
  assert isinstance(out, morphax.Array)
  assert out.dtype == dtype, (out.dtype, dtype)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  assert out.weak_type == weak
  np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6)


X = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)
I = np.array([[7, -3, 2], [4, 9, -8]], np.int32)

BINARY_OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv,
                    operator.floordiv, operator.mod, operator.pow, operator.eq,
                    operator.ne, operator.lt, operator.le, operator.gt, operator.ge]
INT_OPERATORS = [operator.and_, operator.or_, operator.xor, operator.lshift,
                 operator.rshift]


@pytest.mark.parametrize("op", BINARY_OPERATORS, ids=lambda o: o.__name__)
@pytest.mark.parametrize("other", [2, 1.5, "array", "row", "numpy"])
def test_binary_operators(op, other):
  x = morphax.device_put(X)
  pos = np.abs(X) + 0.5
  xp = morphax.device_put(pos)
  if other == "array":
    y_np = pos[::-1].copy()
    y = morphax.device_put(y_np)
  elif other == "row":
    y_np = pos[0]
    y = morphax.device_put(y_np)
  elif other == "numpy":
    y_np = y = pos[1].copy()
  else:
    y_np = y = other
  a, a_np = (xp, pos) if op is operator.pow else (x, X)
  for out, expected in ((op(a, y), op(a_np, y_np)), (op(y, a), op(y_np, a_np))):
    expected = np.asarray(expected)
    if expected.dtype == np.float64:
      expected = expected.astype(np.float32)
    _check(out, expected)


@pytest.mark.parametrize("op", INT_OPERATORS + [operator.floordiv, operator.mod,
                                                operator.pow], ids=lambda o: o.__name__)
def test_integer_operators(op):
  x = morphax.device_put(I)
  y_np = np.array([1, 2, 3], np.int32)
  y = morphax.device_put(y_np)
  _check(op(x, y), op(I, y_np))
  _check(op(x, 2), op(I, 2).astype(np.int32))
  _check(op(5, y), op(5, y_np).astype(np.int32))


def test_unary_operators():
  x = morphax.device_put(X)
  _check(-x, -X)
  _check(+x, X)
  _check(abs(x), np.abs(X))
  _check(~morphax.device_put(I), ~I)
  b = np.array([True, False])
  _check(~morphax.device_put(b), ~b)
  q, r = divmod(morphax.device_put(I), 3)
  _check(q, I // 3)
  _check(r, I % 3)
  q, r = divmod(17, morphax.device_put(np.int32(5)))
  assert (int(q), int(r)) == (3, 2)


def test_matmul_operator():
  a, b = X, X.T.copy()
  _check(morphax.device_put(a) @ morphax.device_put(b), a @ b)
  _check(a @ morphax.device_put(b), a @ b)
  _check(morphax.device_put(a) @ b, a @ b)


def test_operators_on_weak_and_python_scalars():
  out = jnp.asarray(2) * 3
  assert out.dtype == np.int32 and out.weak_type
  out = morphax.device_put(np.ones(2, np.float16)) * 2.5
  assert out.dtype == np.float16 and not out.weak_type
  out = 2 ** morphax.device_put(np.arange(3, dtype=np.int32))
  _check(out, 2 ** np.arange(3, dtype=np.int32))


def test_numpy_array_on_the_left_defers_to_array():
  out = np.ones(3, np.float32) + jnp.ones(3)
  assert isinstance(out, morphax.Array)
  out = np.float32(2) * jnp.ones(3)
  assert isinstance(out, morphax.Array)


class _Other:
  """A type that knows how to combine with arrays from either side."""

  def __radd__(self, other):
    return "radd"

  def __add__(self, other):
    return "add"


def test_unsupported_operands_return_not_implemented():
  x = jnp.ones(3)
  assert x.__add__("a") is NotImplemented
  assert x.__radd__({}) is NotImplemented
  assert x.__eq__([1, 2]) is NotImplemented
  assert x + _Other() == "radd"
  assert _Other() + x == "add"
  with pytest.raises(TypeError):
    x + "a"
  with pytest.raises(TypeError):
    x * {}
  with pytest.raises(TypeError):
    x @ None


# --- Methods -------------------------------------------------------------------

@pytest.mark.parametrize("method, args, kwargs", [
    ("sum", (), {}), ("sum", (0,), {}), ("sum", (), {"axis": 1, "keepdims": True}),
    ("prod", (), {"axis": 1}), ("mean", (), {}), ("mean", (0,), {}),
    ("max", (), {}), ("min", (), {"axis": 0}), ("all", (), {}), ("any", (), {"axis": 1}),
    ("argmax", (), {}), ("argmin", (), {"axis": 1}), ("var", (), {}),
    ("std", (), {"ddof": 1}), ("ravel", (), {}), ("flatten", (), {}),
    ("transpose", (), {}), ("transpose", (1, 0), {}), ("transpose", ((1, 0),), {}),
    ("reshape", (3, 2), {}), ("reshape", ((3, 2),), {}), ("reshape", (-1,), {}),
("reshape", ((3, 2),), {"order": "F"}),
    ("swapaxes", (0, 1), {}), ("round", (), {}), ("round", (1,), {}),
    ("clip", (0, 2), {}), ("clip", (), {"min": 0}), ("conj", (), {}),
    ("conjugate", (), {}), ("dot", (np.ones(3, np.float32),), {}),
    ("nonzero", (), {}),
])
def test_methods(method, args, kwargs):
  x = morphax.device_put(X)
  out = getattr(x, method)(*args, **kwargs)
  expected = getattr(X, method)(*args, **kwargs)
  if method == "nonzero":
    for o, e in zip(out, expected):
      _check(o, e.astype(np.int32))
    return
  expected = np.asarray(expected)
  if expected.dtype == np.int64:
    expected = expected.astype(np.int32)
  _check(out, expected)


def test_squeeze_astype_and_properties():
  x = morphax.device_put(np.ones((1, 3, 1), np.float32))
  _check(x.squeeze(), np.ones(3, np.float32))
  _check(x.squeeze(0), np.ones((3, 1), np.float32))
  _check(x.astype(jnp.int8), np.ones((1, 3, 1), np.int8))
  _check(x.astype("float16"), np.ones((1, 3, 1), np.float16))
  w = jnp.asarray(1.0)
  assert w.weak_type and not w.astype(jnp.float32).weak_type
  _check(morphax.device_put(X).T, X.T)
  _check(morphax.device_put(np.ones((2, 3, 4), np.float32)).mT, np.ones((2, 4, 3), np.float32))
  z = np.array([1 + 2j, 3 - 4j], np.complex64)
  zj = morphax.device_put(z)
  _check(zj.real, z.real)
  _check(zj.imag, z.imag)
  _check(zj.conj(), z.conj())
  _check(morphax.device_put(X).real, X)
  _check(morphax.device_put(X).imag, np.zeros_like(X))
  assert round(jnp.asarray(2.6)) == 3.0


def test_iteration_and_len():
  x = morphax.device_put(X)
  rows = list(x)
  assert len(rows) == 2
  _check(rows[1], X[1])
  _check(list(reversed(x))[0], X[1])


# --- Indexing ------------------------------------------------------------------

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("index", [
    0, -1, 1, (1, 2), (1, -1, 3), (0, 0, 0),
    slice(None), slice(1, None), slice(None, None, -1), slice(None, 1),
    (slice(None), 1), (slice(None), slice(None, None, 2)),
    (slice(None), slice(None, None, -2), slice(3, 0, -1)),
    (slice(None), slice(5, 10)), (slice(None), slice(2, 1)),
    (slice(None), slice(-10, -1, 2)), (slice(None), slice(2, None, -1)),
    None, (None, 0), (0, None, slice(None), None),
    Ellipsis, (Ellipsis, 1), (0, Ellipsis), (0, Ellipsis, 2), (Ellipsis, None),
    (1, slice(None), Ellipsis, -2),
    np.int32(1), (np.int64(-1), np.int8(2)), np.array(1),
    (), (slice(None), slice(None), slice(None)),
])
def test_getitem(index):
  _check(morphax.device_put(A)[index], A[index])


def test_getitem_empty_and_scalar():
  e = np.zeros((0, 3), np.float32)
  _check(morphax.device_put(e)[:, 1], e[:, 1])
  _check(morphax.device_put(e)[::-1], e[::-1])
  s = np.float32(3.0)
  _check(jnp.asarray(s)[()], s)
  _check(jnp.asarray(s)[None], np.asarray(s)[None])
  _check(jnp.asarray(s)[...], np.asarray(s)[...])


def test_getitem_dynamic_integer_index():
  x = morphax.device_put(A)
  _check(x[jnp.asarray(1)], A[1])
  _check(x[:, jnp.asarray(-1)], A[:, -1])
  _check(x[0, jnp.asarray(2), 1:], A[0, 2, 1:])


@pytest.mark.parametrize("index, error, match", [
    (5, IndexError, "index 5 is out of bounds for axis 0 with size 2"),
    (-3, IndexError, "index -3 is out of bounds for axis 0 with size 2"),
    ((0, 3), IndexError, "index 3 is out of bounds for axis 1 with size 3"),
    ((0, 0, 0, 0), IndexError,
     "too many indices for array: array is 3-dimensional, but 4 were indexed"),
    ((Ellipsis, Ellipsis), IndexError, "an index can only have a single ellipsis"),
    (1.5, IndexError, "only integers, slices .* are valid indices, got float"),
    ("a", IndexError, "only integers, slices .* are valid indices, got str"),
    (np.array([0.5]), IndexError, "valid indices, got an array of dtype float64"),
])
def test_getitem_errors(index, error, match):
  with pytest.raises(error, match=match):
    morphax.device_put(A)[index]


def test_setitem_is_refused():
  with pytest.raises(TypeError, match="immutable"):
    x = jnp.ones(3)
    x[0] = 1
