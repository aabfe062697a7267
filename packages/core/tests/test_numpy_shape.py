"""morphax.numpy shape functions against numpy: reshape and axis moves,
joining and splitting, broadcast_to, where/nonzero, clip, the shape
queries, and their error messages."""

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp


def _x(shape, dtype=np.float32):
  return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


def _check(out, expected):
  expected = np.asarray(expected)
  assert isinstance(out, morphax.Array)
  assert out.shape == expected.shape, (out.shape, expected.shape)
  assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
  np.testing.assert_array_equal(np.asarray(out), expected)


# (jnp function, numpy function, input shape, args, kwargs)
CASES = [
    ("reshape", (2, 3), ((3, 2),), {}),
    ("reshape", (2, 3), ((-1,),), {}),
    ("reshape", (2, 3, 4), ((4, -1),), {}),
    ("reshape", (), ((1, 1),), {}),
    ("reshape", (0, 3), ((3, -1),), {}),
    ("reshape", (2, 3), ((3, 2),), {"order": "F"}),
    ("reshape", (6,), (6,), {}),
    ("ravel", (2, 3), (), {}),
    ("ravel", (2, 3), (), {"order": "F"}),
    ("ravel", (), (), {}),
    ("transpose", (2, 3, 4), (), {}),
    ("transpose", (2, 3, 4), ((1, 0, 2),), {}),
    ("transpose", (2, 3, 4), ((-1, 0, 1),), {}),
    ("transpose", (), (), {}),
    ("moveaxis", (2, 3, 4), (0, -1), {}),
    ("moveaxis", (2, 3, 4), ((0, 1), (2, 0)), {}),
    ("swapaxes", (2, 3, 4), (0, 2), {}),
    ("swapaxes", (2, 3), (-1, -1), {}),
    ("squeeze", (1, 3, 1), (), {}),
    ("squeeze", (1, 3, 1), (), {"axis": 2}),
    ("squeeze", (1, 3, 1), (), {"axis": (0, -1)}),
    ("squeeze", (), (), {}),
    ("expand_dims", (2, 3), (0,), {}),
    ("expand_dims", (2, 3), (-1,), {}),
    ("expand_dims", (2, 3), ((0, 3),), {}),
    ("expand_dims", (), (0,), {}),
    ("broadcast_to", (3,), ((2, 3),), {}),
    ("broadcast_to", (), ((2, 2),), {}),
    ("broadcast_to", (2, 1), ((2, 4),), {}),
    ("broadcast_to", (1, 3), ((0, 3),), {}),
    ("broadcast_to", (3,), (3,), {}),
    ("flip", (2, 3), (), {}),
    ("flip", (2, 3), (1,), {}),
    ("clip", (2, 3), (1, 4), {}),
    ("clip", (2, 3), (None, 2), {}),
    ("clip", (6,), (2.5, None), {}),
]


@pytest.mark.parametrize("name, shape, args, kwargs", CASES)
def test_against_numpy(name, shape, args, kwargs):
  x = _x(shape)
  out = getattr(jnp, name)(morphax.device_put(x), *args, **kwargs)
  _check(out, getattr(np, name)(x, *args, **kwargs).astype(
      np.result_type(np.float32, *(a for a in args if isinstance(a, float)))
      if name == "clip" else x.dtype))


def test_clip_promotes_int_with_float_bounds():
  x = _x((4,), np.int32)
  _check(jnp.clip(x, 0.5, 2.5), np.clip(x, 0.5, 2.5).astype(np.float32))
  _check(jnp.clip(x, 1, 2), np.clip(x, 1, 2))
  _check(jnp.clip(x, min=1), np.clip(x, 1, None))


@pytest.mark.parametrize("shapes, dtypes, axis", [
    (((2, 3), (4, 3)), (np.float32, np.float32), 0),
    (((2, 3), (2, 1)), (np.float32, np.int32), 1),
    (((2, 3), (2, 3), (2, 3)), (np.int8, np.int8, np.int16), -1),
    (((2, 3), (3,)), (np.float32, np.float32), None),
    (((0, 3), (2, 3)), (np.float32, np.float32), 0),
    (((3,),), (np.float32,), 0),
])
def test_concatenate(shapes, dtypes, axis):
  xs = [_x(s, d) for s, d in zip(shapes, dtypes)]
  out = jnp.concatenate([morphax.device_put(x) for x in xs], axis=axis)
  _check(out, np.concatenate(xs, axis=axis).astype(jnp.result_type(*dtypes)))


def test_concatenate_scalars_promote_and_dtype():
  out = jnp.concatenate([np.ones(2, np.int32), np.ones(1, np.float16)])
  assert out.dtype == np.float16
  out = jnp.concatenate([np.ones(2, np.int32), np.ones(1, np.int32)], dtype=jnp.float32)
  assert out.dtype == np.float32
  _check(jnp.concatenate(jnp.ones((2, 3)), axis=0), np.ones(6, np.float32))


@pytest.mark.parametrize("shape, n, axis", [
    ((3,), 2, 0), ((2, 3), 3, 1), ((2, 3), 1, -1), ((), 2, 0), ((2, 0), 2, 2),
])
def test_stack(shape, n, axis):
  xs = [_x(shape) + i for i in range(n)]
  _check(jnp.stack([morphax.device_put(x) for x in xs], axis=axis), np.stack(xs, axis=axis))


@pytest.mark.parametrize("name, shape, sections, axis", [
    ("split", (6,), 3, 0),
    ("split", (2, 6), 2, 1),
    ("split", (7,), [2, 5], 0),
    ("split", (7,), [3, 10], 0),
    ("split", (7,), [-2], 0),
    ("split", (4, 3), [1, 1], 0),
    ("split", (0, 2), 2, 0),
    ("array_split", (7,), 3, 0),
    ("array_split", (2, 5), 4, -1),
])
def test_split(name, shape, sections, axis):
  x = _x(shape)
  outs = getattr(jnp, name)(morphax.device_put(x), sections, axis=axis)
  expected = getattr(np, name)(x, sections, axis=axis)
  assert len(outs) == len(expected)
  for out, e in zip(outs, expected):
    _check(out, e)


@pytest.mark.parametrize("c_shape, x_shape, y_shape, x_dtype, y_dtype", [
    ((3,), (3,), (3,), np.float32, np.float32),
    ((2, 3), (3,), (), np.float32, np.int32),
    ((), (2,), (2,), np.int8, np.int8),
    ((2, 1), (1, 3), (2, 3), np.int32, np.float16),
    ((0,), (0,), (), np.float32, np.float32),
])
def test_where(c_shape, x_shape, y_shape, x_dtype, y_dtype):
  rng = np.random.default_rng(0)
  c = rng.random(c_shape) < 0.5
  x, y = _x(x_shape, x_dtype), -_x(y_shape, y_dtype) - 1
  out = jnp.where(morphax.device_put(c), x, y)
  # JAX's promotion, not NumPy's: i32 with f16 is f16, with f32 is f32.
  _check(out, np.where(c, x, y).astype(jnp.result_type(x_dtype, y_dtype)))


def test_where_scalars_and_nonbool_condition():
  out = jnp.where(np.array([1, 0, 2]), 1.0, 0)
  assert out.dtype == np.float32 and out.weak_type
  _check(out, np.array([1.0, 0.0, 1.0], np.float32))
  _check(jnp.where(np.array([True, False]), np.int8(1), 2), np.array([1, 2], np.int8))


@pytest.mark.parametrize("x, kwargs", [
    (np.array([0, 3, 0, 4]), {}),
    (np.array([[1, 0], [0, 2]], bool), {}),
    (np.zeros((2, 2)), {}),
    (np.array([0, 3, 0, 4, 5]), {"size": 2}),
    (np.array([0, 3, 0, 4]), {"size": 4, "fill_value": -1}),
])
def test_nonzero_and_where_one_argument(x, kwargs):
  expected = np.nonzero(x)
  if "size" in kwargs:
    size, fill = kwargs["size"], kwargs.get("fill_value", 0)
    expected = [np.concatenate([e[:size], np.full(max(0, size - len(e)), fill)])
                for e in expected]
  for fn in (jnp.nonzero, jnp.where):
    out = fn(x, **kwargs)
    assert len(out) == len(expected)
    for o, e in zip(out, expected):
      _check(o, np.asarray(e, np.int32))


def test_shape_queries():
  x = jnp.zeros((2, 3))
  assert jnp.ndim(x) == 2 and jnp.shape(x) == (2, 3) and jnp.size(x) == 6
  assert jnp.size(x, 1) == 3 and jnp.size(x, -2) == 2
  assert jnp.ndim(3.0) == 0 and jnp.shape(np.ones((4, 1))) == (4, 1)
  assert jnp.shape([[1, 2, 3]]) == (1, 3) and jnp.size([1, 2]) == 2
  assert jnp.broadcast_shapes((2, 1), (3,)) == (2, 3)
  a, b = jnp.broadcast_arrays(np.ones((2, 1), np.int8), np.ones(3, np.float32))
  assert a.shape == b.shape == (2, 3) and a.dtype == np.int8


@pytest.mark.parametrize("fn, args, kwargs, error, match", [
    (jnp.reshape, (np.ones(6), (4,)), {}, ValueError,
     r"reshape: cannot reshape array of size 6 into shape \(4,\)"),
    (jnp.reshape, (np.ones(6), (4, -1)), {}, ValueError,
     r"reshape: cannot reshape array of size 6 into shape \(4, -1\)"),
    (jnp.reshape, (np.ones(6), (-1, -1)), {}, ValueError,
     "reshape: can only specify one unknown dimension"),
    (jnp.reshape, (np.ones(6), (6,)), {"order": "A"}, NotImplementedError,
     "reshape: order='A' is not supported"),
    (jnp.transpose, (np.ones((2, 3)), (0,)), {}, ValueError,
     r"transpose: axes \(0,\) don't match an array of rank 2"),
    (jnp.transpose, (np.ones((2, 3)), (0, 0)), {}, ValueError,
     "transpose: repeated axis in axes"),
    (jnp.transpose, (np.ones((2, 3)), (0, 2)), {}, ValueError,
     "transpose: axis 2 is out of bounds for an array of rank 2"),
    (jnp.moveaxis, (np.ones((2, 3)), 0, 5), {}, ValueError,
     "moveaxis: axis 5 is out of bounds for an array of rank 2"),
    (jnp.swapaxes, (np.ones((2, 3)), 0, -3), {}, ValueError,
     "swapaxes: axis -3 is out of bounds for an array of rank 2"),
    (jnp.squeeze, (np.ones((2, 1)),), {"axis": 0}, ValueError,
     r"squeeze: cannot select an axis to squeeze out which has size not equal "
     r"to one, got shape \(2, 1\) and axis 0"),
    (jnp.expand_dims, (np.ones((2, 3)), 4), {}, ValueError,
     "expand_dims: axis 4 is out of bounds for an array of rank 3"),
    (jnp.concatenate, ([np.ones(2), np.ones((2, 2))],), {}, ValueError,
     "concatenate: all the input arrays must have the same number of dimensions"),
    (jnp.concatenate, ([np.ones((2, 3)), np.ones((2, 4))],), {}, (ValueError, TypeError),
     r"concatenate: .*\(2, 3\) and \(2, 4\)"),
    (jnp.concatenate, ([np.float32(1), np.float32(2)],), {}, ValueError,
     "concatenate: zero-dimensional arrays cannot be concatenated"),
    (jnp.concatenate, ([],), {}, ValueError, "concatenate: need at least one array to concatenate"),
    (jnp.concatenate, ([np.ones(2), "a"],), {}, TypeError,
     "concatenate requires ndarray or scalar arguments, got str at position 1"),
    (jnp.concatenate, ([np.ones((2, 2))], 3), {}, ValueError,
     "concatenate: axis 3 is out of bounds for an array of rank 2"),
    (jnp.stack, ([np.ones(2), np.ones(3)],), {}, ValueError,
     r"stack: all input arrays must have the same shape, got \(2,\) and \(3,\)"),
    (jnp.split, (np.ones(7), 3), {}, ValueError,
     "split: array split does not result in an equal division"),
    (jnp.broadcast_to, (np.ones(3), (4,)), {}, ValueError,
     r"broadcast_to: cannot broadcast an array of shape \(3,\) to shape \(4,\)"),
    (jnp.broadcast_to, (np.ones((2, 3)), (3,)), {}, ValueError,
     r"broadcast_to: cannot broadcast an array of shape \(2, 3\) to shape \(3,\)"),
    (jnp.where, (np.ones(3, bool), 1.0), {}, ValueError,
     "where: either both or neither of x and y should be given"),
    (jnp.where, (np.ones(3, bool), np.ones(2), 0), {}, ValueError,
     r"where: shapes \(3,\), \(2,\) and \(\) cannot be broadcast together"),
    (jnp.nonzero, (np.float32(1),), {}, ValueError,
     "nonzero: calling nonzero on 0-d arrays is not allowed"),
    (jnp.reshape, ({"a": 1}, (1,)), {}, TypeError,
     "reshape requires ndarray or scalar arguments, got dict at position 0"),
    (jnp.transpose, ("abc",), {}, TypeError,
     "transpose requires ndarray or scalar arguments, got str at position 0"),
])
def test_errors(fn, args, kwargs, error, match):
  with pytest.raises(error, match=match):
    fn(*args, **kwargs)
