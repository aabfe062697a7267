"""Tests for ops/linalg.py: dot_general, dot and the convolutions against
numpy (np.einsum and a direct loop over output positions)."""

import itertools

import ml_dtypes
import numpy as np
import pytest

import morphax
from morphax import lax
from morphax.core.avals import ShapedArray
from morphax.interpreters import lowering
from morphax.lax import ConvDimensionNumbers, Precision
from morphax.ops import linalg

PRIMITIVES_COVERED = {"dot_general", "conv_general_dilated"}

bf16 = np.dtype(ml_dtypes.bfloat16)
RNG = np.random.default_rng(0)


def rand(shape, dtype):
  dtype = np.dtype(dtype)
  if dtype == np.bool_:
    return RNG.random(shape) < 0.5
  if dtype.kind in "iu":
    lo = 0 if dtype.kind == "u" else -100
    return RNG.integers(lo, 100, size=shape).astype(dtype)
  if dtype.kind == "c":
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)
  return RNG.standard_normal(shape).astype(dtype)


def tolerance(dtype):
  return {np.dtype(np.float16): 1e-2, bf16: 2e-2}.get(np.dtype(dtype), 1e-4)


def check(out, expected, dtype, shape):
  assert out.dtype == np.dtype(dtype)
  assert out.shape == tuple(shape)
  got = np.asarray(out)
  if np.dtype(dtype).kind in "biu":
    np.testing.assert_array_equal(got, expected.astype(dtype))
  else:
    tol = tolerance(dtype)
    np.testing.assert_allclose(got.astype(np.complex128 if got.dtype.kind == "c" else np.float64),
                               expected, rtol=tol, atol=tol)


# --- dot_general ---------------------------------------------------------------

def wide(x):
  """x in a wide numpy type, so references neither overflow nor round."""
  if x.dtype == np.bool_:
    return x
  if x.dtype.kind in "iu":
    return x.astype(np.int64)
  if x.dtype.kind == "c":
    return x.astype(np.complex128)
  return x.astype(np.float64)


MM = (((1,), (0,)), ((), ()))

DOT_GENERAL_ROWS = [
    # name, lhs shape, rhs shape, dtypes, dimension_numbers, einsum, kwargs
    ("matmul", (2, 3), (3, 4), ("float32", "float32"), MM, "ik,kj->ij", {}),
    ("batched matmul", (2, 3, 4), (2, 4, 5), ("float32", "float32"),
     (((2,), (1,)), ((0,), (0,))), "bik,bkj->bij", {}),
    ("vector dot", (5,), (5,), ("float32", "float32"),
     (((0,), (0,)), ((), ())), "i,i->", {}),
    ("outer product", (3,), (4,), ("float32", "float32"),
     (((), ()), ((), ())), "i,j->ij", {}),
    ("scalars", (), (), ("float32", "float32"),
     (((), ()), ((), ())), ",->", {}),
    ("several contracting dims", (2, 3, 4), (4, 3, 5), ("float32", "float32"),
     (((1, 2), (1, 0)), ((), ())), "ajk,kjb->ab", {}),
    ("batch dims not leading", (3, 2, 4), (4, 5, 2), ("float32", "float32"),
     (((2,), (0,)), ((1,), (2,))), "ibk,kjb->bij", {}),
    ("two batch dims, swapped", (2, 3, 4, 5), (5, 3, 2, 6), ("float32", "float32"),
     (((3,), (0,)), ((0, 1), (2, 1))), "abik,kbaj->abij", {}),
    ("empty contraction", (2, 0), (0, 3), ("float32", "float32"), MM, "ik,kj->ij", {}),
    ("empty free dim", (0, 3), (3, 4), ("float32", "float32"), MM, "ik,kj->ij", {}),
    ("int32", (3, 4), (4, 2), ("int32", "int32"), MM, "ik,kj->ij", {}),
    ("uint8", (3, 4), (4, 2), ("uint8", "uint8"), MM, "ik,kj->ij", {}),
    ("complex64", (3, 4), (4, 2), ("complex64", "complex64"), MM, "ik,kj->ij", {}),
    ("float16", (3, 4), (4, 2), ("float16", "float16"), MM, "ik,kj->ij", {}),
    ("bool", (3, 4), (4, 2), ("bool", "bool"), MM, "ik,kj->ij", {}),
    ("int8 -> int32", (4, 30), (30, 3), ("int8", "int8"), MM, "ik,kj->ij",
     dict(preferred_element_type=np.int32)),
    ("uint8 -> uint32", (4, 30), (30, 3), ("uint8", "uint8"), MM, "ik,kj->ij",
     dict(preferred_element_type=np.uint32)),
    ("int8 -> float32", (4, 30), (30, 3), ("int8", "int8"), MM, "ik,kj->ij",
     dict(preferred_element_type=np.float32)),
    ("bfloat16 -> float32", (3, 40), (40, 2), ("bfloat16", "bfloat16"), MM,
     "ik,kj->ij", dict(preferred_element_type=np.float32)),
    ("float32 -> bfloat16", (3, 4), (4, 2), ("float32", "float32"), MM,
     "ik,kj->ij", dict(preferred_element_type=bf16)),
    ("mixed bfloat16 x float32", (3, 4), (4, 2), ("bfloat16", "float32"), MM,
     "ik,kj->ij", {}),
    ("mixed int8 x int16", (3, 4), (4, 2), ("int8", "int16"), MM, "ik,kj->ij", {}),
    ("mixed float16 x float32", (3, 4), (4, 2), ("float16", "float32"), MM,
     "ik,kj->ij", {}),
    ("precision HIGHEST", (2, 3), (3, 4), ("float32", "float32"), MM, "ik,kj->ij",
     dict(precision=Precision.HIGHEST)),
    ("precision string", (2, 3), (3, 4), ("float32", "float32"), MM, "ik,kj->ij",
     dict(precision="tensorfloat32")),
    ("precision pair", (2, 3), (3, 4), ("float32", "float32"), MM, "ik,kj->ij",
     dict(precision=(Precision.DEFAULT, "highest"))),
]

DOT_RESULT_DTYPES = {
    "mixed bfloat16 x float32": np.float32, "mixed int8 x int16": np.int16,
    "mixed float16 x float32": np.float32,
}


@pytest.mark.parametrize("row", DOT_GENERAL_ROWS, ids=[r[0] for r in DOT_GENERAL_ROWS])
def test_dot_general(row):
  name, lhs_shape, rhs_shape, (lhs_dtype, rhs_dtype), dims, spec, kwargs = row
  lhs, rhs = rand(lhs_shape, lhs_dtype), rand(rhs_shape, rhs_dtype)
  out = lax.dot_general(morphax.device_put(lhs), morphax.device_put(rhs), dims, **kwargs)
  expected = np.einsum(spec, wide(lhs), wide(rhs))
  dtype = kwargs.get("preferred_element_type") or DOT_RESULT_DTYPES.get(name, lhs_dtype)
  check(out, expected, dtype, expected.shape)
  assert not out.weak_type


def test_dot_general_weak_type_of_python_scalars():
  out = lax.dot_general(2.0, 3.0, (((), ()), ((), ())))
  assert out.weak_type and out.dtype == np.float32 and float(np.asarray(out)) == 6.0


def test_dot_general_accepts_numpy_operands_and_list_dims():
  lhs, rhs = rand((2, 3), np.float32), rand((3, 4), np.float32)
  out = lax.dot_general(lhs, rhs, [[[1], [0]], [[], []]])
  np.testing.assert_allclose(np.asarray(out), lhs @ rhs, rtol=1e-5, atol=1e-6)


DOT_ROWS = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4))]


@pytest.mark.parametrize("lhs_shape,rhs_shape", DOT_ROWS)
def test_dot(lhs_shape, rhs_shape):
  lhs, rhs = rand(lhs_shape, np.float32), rand(rhs_shape, np.float32)
  out = lax.dot(morphax.device_put(lhs), morphax.device_put(rhs))
  expected = np.dot(wide(lhs), wide(rhs))
  check(out, expected, np.float32, expected.shape)


def test_dot_preferred_element_type_and_dimension_numbers():
  lhs, rhs = rand((2, 30), np.int8), rand((30,), np.int8)
  out = lax.dot(lhs, rhs, preferred_element_type=np.int32)
  check(out, wide(lhs) @ wide(rhs), np.int32, (2,))
  x = rand((2, 3, 4), np.float32)
  out = lax.dot(x, x, dimension_numbers=(((2,), (2,)), ((0,), (0,))))
  check(out, np.einsum("bik,bjk->bij", wide(x), wide(x)), np.float32, (2, 3, 3))


DOT_ERROR_ROWS = [
    # lhs shape, rhs shape, dimension_numbers, kwargs, error, message
    ((2, 3), (4, 5), MM, {}, TypeError,
     r"dot_general: .*contracting dimensions must have the same sizes, got "
     r"lhs_contracting \(1,\) of lhs shape \(2, 3\) \(sizes \(3,\)\) and "
     r"rhs_contracting \(0,\) of rhs shape \(4, 5\)"),
    ((2, 3, 4), (3, 4, 5), (((2,), (1,)), ((0,), (0,))), {}, TypeError,
     r"dot_general: lhs and rhs batch dimensions must have the same sizes, got "
     r"lhs_batch \(0,\) of lhs shape \(2, 3, 4\) \(sizes \(2,\)\) and rhs_batch "
     r"\(0,\) of rhs shape \(3, 4, 5\) \(sizes \(3,\)\)"),
    ((2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), ())), {}, TypeError,
     r"dot_general: lhs and rhs batch dimensions must have the same sizes, got "
     r"lhs_batch \(0,\) .* and rhs_batch \(\) "),
    ((2, 3), (3, 4), (((2,), (0,)), ((), ())), {}, TypeError,
     r"dot_general: lhs dimension numbers must be in \[0, 2\) for lhs of shape "
     r"\(2, 3\), got lhs_contracting \(2,\) and lhs_batch \(\)"),
    ((2, 3), (3, 4), (((1,), (-1,)), ((), ())), {}, TypeError,
     r"dot_general: rhs dimension numbers must be in \[0, 2\) for rhs of shape "
     r"\(3, 4\), got rhs_contracting \(-1,\)"),
    ((3, 3), (3, 3), (((0,), (0,)), ((0,), (1,))), {}, TypeError,
     r"dot_general: lhs dimension numbers must be distinct, got lhs_contracting "
     r"\(0,\) and lhs_batch \(0,\) for lhs of shape \(3, 3\)"),
    ((2, 3), (3, 4), ((1, 0), ((), ())), {}, TypeError,
     r"dot_general: dimension_numbers must be \(\(lhs_contracting, "
     r"rhs_contracting\), \(lhs_batch, rhs_batch\)\).*got \(\(1, 0\)"),
    ((2, 3), (3, 4), (((1.0,), (0,)), ((), ())), {}, TypeError,
     r"dot_general: dimension_numbers must be"),
    ((2, 3), (3, 4), MM, dict(preferred_element_type=np.int8), TypeError,
     r"dot_general: preferred_element_type int8 must not be narrower than the "
     r"operands' type int32"),
    ((2, 3), (3, 4), MM, dict(precision="fast"), TypeError,
     r"dot_general: precision must be None, a Precision .*got 'fast'"),
    ((2, 3), (3, 4), MM, dict(precision=(Precision.HIGH,)), TypeError,
     r"dot_general: precision must be .*got \(Precision.HIGH,\)"),
]


@pytest.mark.parametrize("row", DOT_ERROR_ROWS)
def test_dot_general_errors(row):
  lhs_shape, rhs_shape, dims, kwargs, error, message = row
  lhs, rhs = np.zeros(lhs_shape, np.int32), np.zeros(rhs_shape, np.int32)
  with pytest.raises(error, match=message):
    lax.dot_general(lhs, rhs, dims, **kwargs)


@pytest.mark.parametrize("lhs_shape,rhs_shape", [((2, 3), (4,)), ((2, 3, 4), (4,)), ((), (3,))])
def test_dot_errors(lhs_shape, rhs_shape):
  lhs, rhs = np.zeros(lhs_shape, np.float32), np.zeros(rhs_shape, np.float32)
  message = (rf"dot: incompatible shapes {tuple(lhs_shape)} and {tuple(rhs_shape)}"
             .replace("(", r"\(").replace(")", r"\)"))
  with pytest.raises(TypeError, match=message):
    lax.dot(lhs, rhs)


def test_precision_reaches_precision_config():
  f32 = np.dtype(np.float32)
  avals = [ShapedArray((2, 3), f32), ShapedArray((3, 4), f32)]
  params = dict(dimension_numbers=MM, preferred_element_type=None,
                precision=(Precision.HIGH, Precision.HIGHEST))
  module, _, _ = lowering.lower_primitive_module(linalg.dot_general_p, avals, params)
  assert "precision_config = [#stablehlo<precision HIGH>, #stablehlo<precision HIGHEST>]" in str(module)
  avals = [ShapedArray((1, 2, 5), f32), ShapedArray((3, 2, 2), f32)]
  params = dict(window_strides=(1,), padding=((1, 0),), lhs_dilation=(1,),
                rhs_dilation=(2,), feature_group_count=1, batch_group_count=1,
                dimension_numbers=lax.conv_dimension_numbers((1, 2, 5), (3, 2, 2), None),
                precision=(Precision.DEFAULT, Precision.DEFAULT),
                preferred_element_type=None)
  module, _, _ = lowering.lower_primitive_module(linalg.conv_general_dilated_p, avals, params)
  text = str(module)
  assert "precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision DEFAULT>]" in text
  assert "padding = dense<[[1, 0]]>" in text and "rhs_dilation = array<i64: 2>" in text


def test_precision_enum():
  assert Precision("highest") is Precision.HIGHEST
  assert Precision("bfloat16") is Precision.DEFAULT
  assert Precision(1) is Precision.HIGH
  assert str(Precision.HIGH) == "HIGH" and repr(Precision.HIGH) == "Precision.HIGH"


# --- Convolution reference ---------------------------------------------------------

def layout_perms(layouts, ndim):
  """(lhs, rhs, out) axis orders that bring each operand to N C spatial...,
  with the spatial axes in the kernel layout's order."""
  if layouts is None:
    iota = tuple(range(ndim))
    return iota, iota, iota
  lhs, rhs, out = layouts
  spatial = [c for c in rhs if c not in "OI"]
  perm = lambda spec, a, b: [spec.index(c) for c in [a, b] + spatial]
  return perm(lhs, "N", "C"), perm(rhs, "O", "I"), perm(out, "N", "C")


def dilate(x, factors):
  """Inserts factor - 1 zeros between elements along the spatial axes."""
  shape = x.shape[:2] + tuple(0 if s == 0 else (s - 1) * f + 1
                              for s, f in zip(x.shape[2:], factors))
  out = np.zeros(shape, x.dtype)
  out[(slice(None), slice(None)) + tuple(slice(None, None, f) for f in factors)] = x
  return out


def pad_or_crop(x, pads):
  for axis, (lo, hi) in enumerate(pads, start=2):
    widths = [(0, 0)] * x.ndim
    widths[axis] = (max(lo, 0), max(hi, 0))
    x = np.pad(x, widths)
    index = [slice(None)] * x.ndim
    index[axis] = slice(max(-lo, 0), x.shape[axis] - max(-hi, 0))
    x = x[tuple(index)]
  return x


def string_pads(padding, in_shape, window, strides):
  if padding == "VALID":
    return [(0, 0)] * len(in_shape)
  pads = []
  for size, k, s in zip(in_shape, window, strides):
    total = max((-(-size // s) - 1) * s + k - size, 0)
    pads.append((total // 2, total - total // 2) if padding == "SAME"
                else (total - total // 2, total // 2))
  return pads


def contract(patch, kernel):
  """(b, c, *window) with (o, c, *window) -> (b, o), summing c and window."""
  window = int(np.prod(kernel.shape[2:]))
  return np.einsum("bck,ock->bo", patch.reshape(patch.shape[:2] + (window,)),
                   kernel.reshape(kernel.shape[:2] + (window,)))


def conv_reference(lhs, rhs, strides, padding, lhs_dilation=None,
                   rhs_dilation=None, layouts=None, feature_group_count=1,
                   batch_group_count=1):
  """A direct convolution: a loop over output positions, each one an einsum
  of the window of the dilated, padded input with the dilated kernel."""
  lhs_perm, rhs_perm, out_perm = layout_perms(layouts, lhs.ndim)
  x, w = wide(lhs).transpose(lhs_perm), wide(rhs).transpose(rhs_perm)
  n = x.ndim - 2
  x = dilate(x, lhs_dilation or (1,) * n)
  w = dilate(w, rhs_dilation or (1,) * n)
  if isinstance(padding, str):
    padding = string_pads(padding, x.shape[2:], w.shape[2:], strides)
  x = pad_or_crop(x, padding)
  window = w.shape[2:]
  out_spatial = [max(0, (size - k) // s + 1)
                 for size, k, s in zip(x.shape[2:], window, strides)]
  batch, features = x.shape[:2]
  out_features = w.shape[0]
  out = np.zeros((batch // batch_group_count, out_features) + tuple(out_spatial),
                 np.result_type(x, w))
  fg, bg = feature_group_count, batch_group_count
  for pos in itertools.product(*map(range, out_spatial)):
    patch = x[(slice(None), slice(None)) + tuple(
        slice(p * s, p * s + k) for p, s, k in zip(pos, strides, window))]
    if bg == 1:              # feature groups: lhs features x rhs out features
      c, o = features // fg, out_features // fg
      for g in range(fg):
        out[(slice(None), slice(g * o, (g + 1) * o)) + pos] = contract(
            patch[:, g * c:(g + 1) * c], w[g * o:(g + 1) * o])
    else:                    # batch groups: lhs batch x rhs out features
      b, o = batch // bg, out_features // bg
      for g in range(bg):
        out[(slice(None), slice(g * o, (g + 1) * o)) + pos] = contract(
            patch[g * b:(g + 1) * b], w[g * o:(g + 1) * o])
  return out.transpose(np.argsort(out_perm))


# --- conv_general_dilated --------------------------------------------------------

NHWC = ("NHWC", "HWIO", "NHWC")

CONV_ROWS = [
    # name, lhs shape, rhs shape, dtype, params, preferred
    ("1d valid", (2, 3, 9), (4, 3, 3), "float32",
     dict(window_strides=(1,), padding="VALID"), None),
    ("1d same strided rhs dilated", (2, 3, 10), (4, 3, 3), "float32",
     dict(window_strides=(2,), padding="SAME", rhs_dilation=(2,)), None),
    ("1d NHC explicit pads lhs dilated", (2, 7, 3), (3, 3, 4), "float32",
     dict(window_strides=(1,), padding=((2, 1),), lhs_dilation=(2,),
          dimension_numbers=("NHC", "HIO", "NHC")), None),
    ("2d NCHW valid", (2, 3, 6, 5), (4, 3, 3, 2), "float32",
     dict(window_strides=(1, 1), padding="VALID"), None),
    ("2d NHWC same strided", (2, 7, 6, 3), (3, 3, 3, 4), "float32",
     dict(window_strides=(2, 1), padding="SAME", dimension_numbers=NHWC), None),
    ("2d NHWC same_lower strided", (1, 6, 7, 2), (2, 4, 2, 3), "float32",
     dict(window_strides=(1, 3), padding="same_lower", dimension_numbers=NHWC), None),
    ("2d negative pads and dilations", (2, 2, 5, 6), (3, 2, 2, 3), "float32",
     dict(window_strides=(1, 2), padding=((1, -1), (0, 2)), lhs_dilation=(2, 1),
          rhs_dilation=(1, 2)), None),
    ("2d kernel spatial order WH", (1, 2, 5, 7), (3, 2, 2, 3), "float32",
     dict(window_strides=(1, 2), padding=((0, 0), (1, 1)),
          dimension_numbers=("NCHW", "OIWH", "NCHW")), None),
    ("2d NHWC depthwise", (2, 6, 6, 4), (3, 3, 1, 8), "float32",
     dict(window_strides=(1, 1), padding="SAME", dimension_numbers=NHWC,
          feature_group_count=4), None),
    ("2d NCHW feature groups", (2, 4, 5, 5), (6, 2, 3, 3), "float32",
     dict(window_strides=(1, 1), padding="VALID", feature_group_count=2), None),
    ("2d NCHW batch groups", (4, 3, 5, 5), (6, 3, 2, 2), "float32",
     dict(window_strides=(1, 1), padding="VALID", batch_group_count=2), None),
    ("2d NHWC batch groups", (4, 5, 5, 3), (2, 2, 3, 4), "float32",
     dict(window_strides=(2, 1), padding="SAME", dimension_numbers=NHWC,
          batch_group_count=4), None),
    ("3d NCDHW", (1, 2, 4, 5, 3), (3, 2, 2, 3, 2), "float32",
     dict(window_strides=(1, 2, 1), padding="SAME"), None),
    ("3d NDHWC dilated", (2, 5, 4, 4, 2), (2, 2, 2, 2, 3), "float32",
     dict(window_strides=(1, 1, 1), padding=((1, 0), (0, 1), (1, 1)),
          rhs_dilation=(2, 1, 1), dimension_numbers=("NDHWC", "DHWIO", "NDHWC")),
     None),
    ("no spatial dims", (2, 3), (4, 3), "float32",
     dict(window_strides=(), padding="SAME"), None),
    ("window larger than input", (1, 2, 3), (2, 2, 5), "float32",
     dict(window_strides=(1,), padding="VALID"), None),
    ("empty batch", (0, 2, 5, 5), (3, 2, 3, 3), "float32",
     dict(window_strides=(1, 1), padding="SAME"), None),
    ("int32", (2, 3, 6), (2, 3, 3), "int32",
     dict(window_strides=(1,), padding="SAME"), None),
    ("complex64", (2, 3, 6), (2, 3, 3), "complex64",
     dict(window_strides=(2,), padding="SAME"), None),
    ("float16", (2, 3, 6), (2, 3, 3), "float16",
     dict(window_strides=(1,), padding="VALID"), None),
    ("int8 -> int32", (2, 8, 5, 5), (4, 8, 3, 3), "int8",
     dict(window_strides=(1, 1), padding="SAME"), np.int32),
    ("bfloat16 -> float32", (2, 8, 5, 5), (4, 8, 3, 3), "bfloat16",
     dict(window_strides=(1, 1), padding="SAME", dimension_numbers=None), np.float32),
    ("precision", (1, 2, 5), (2, 2, 2), "float32",
     dict(window_strides=(1,), padding="VALID", precision=Precision.HIGHEST), None),
]


@pytest.mark.parametrize("row", CONV_ROWS, ids=[r[0] for r in CONV_ROWS])
def test_conv_general_dilated(row):
  name, lhs_shape, rhs_shape, dtype, params, preferred = row
  lhs, rhs = rand(lhs_shape, dtype), rand(rhs_shape, dtype)
  out = lax.conv_general_dilated(morphax.device_put(lhs), morphax.device_put(rhs),
                                 preferred_element_type=preferred, **params)
  ref_params = {k: v for k, v in params.items() if k != "precision"}
  ref_params["layouts"] = ref_params.pop("dimension_numbers", None)
  padding = ref_params["padding"]
  ref_params["padding"] = padding.upper() if isinstance(padding, str) else padding
  ref_params["strides"] = ref_params.pop("window_strides")
  expected = conv_reference(lhs, rhs, **ref_params)
  check(out, expected, preferred or dtype, expected.shape)


def test_conv_and_conv_with_general_padding():
  lhs, rhs = rand((2, 3, 6, 5), np.float32), rand((4, 3, 2, 2), np.float32)
  out = lax.conv(lhs, rhs, (2, 1), "SAME")
  check(out, conv_reference(lhs, rhs, (2, 1), "SAME"), np.float32, (2, 4, 3, 5))
  out = lax.conv_with_general_padding(lhs, rhs, (1, 1), ((1, 0), (2, 1)), (1, 2), (2, 1))
  expected = conv_reference(lhs, rhs, (1, 1), ((1, 0), (2, 1)), (1, 2), (2, 1))
  check(out, expected, np.float32, expected.shape)


CONV_TRANSPOSE_ROWS = [
    # lhs shape (NHWC), rhs shape (HWIO), strides, padding, pads, out shape
    ((1, 4, 5, 2), (3, 3, 2, 3), (2, 2), "SAME", ((2, 1), (2, 1)), (1, 8, 10, 3)),
    ((1, 4, 5, 2), (3, 3, 2, 3), (2, 1), "VALID", ((2, 2), (2, 2)), (1, 9, 7, 3)),
    ((1, 4, 5, 2), (3, 3, 2, 3), (2, 2), ((1, 1), (0, 2)), ((1, 1), (0, 2)),
     (1, 7, 9, 3)),
]


@pytest.mark.parametrize("row", CONV_TRANSPOSE_ROWS)
def test_conv_transpose(row):
  lhs_shape, rhs_shape, strides, padding, pads, out_shape = row
  lhs, rhs = rand(lhs_shape, np.float32), rand(rhs_shape, np.float32)
  out = lax.conv_transpose(lhs, rhs, strides, padding)
  expected = conv_reference(lhs, rhs, (1, 1), pads, lhs_dilation=strides,
                            layouts=NHWC)
  check(out, expected, np.float32, out_shape)


def test_conv_transpose_1d_default_layout():
  lhs, rhs = rand((2, 5, 3), np.float32), rand((3, 3, 4), np.float32)
  out = lax.conv_transpose(lhs, rhs, (3,), "SAME")
  expected = conv_reference(lhs, rhs, (1,), ((2, 2),), lhs_dilation=(3,),
                            layouts=("NHC", "HIO", "NHC"))
  check(out, expected, np.float32, (2, 15, 4))


CONV_DNUMS_ROWS = [
    ((2, 3, 4, 5), (6, 3, 1, 1), None, ((0, 1, 2, 3),) * 3),
    ((2, 4, 5, 3), (1, 1, 3, 6), NHWC, ((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))),
    ((2, 3, 4, 5), (6, 3, 1, 1), ["NCHW", "OIWH", "NCHW"],
     ((0, 1, 3, 2), (0, 1, 2, 3), (0, 1, 3, 2))),
    ((2, 3, 4), (6, 3, 1), ("NCW", "WIO", "NWC"), ((0, 1, 2), (2, 1, 0), (0, 2, 1))),
    ((2, 3), (6, 3), ConvDimensionNumbers([0, 1], (1, 0), (0, 1)),
     ((0, 1), (1, 0), (0, 1))),
]


@pytest.mark.parametrize("lhs_shape,rhs_shape,dnums,expected", CONV_DNUMS_ROWS)
def test_conv_dimension_numbers(lhs_shape, rhs_shape, dnums, expected):
  out = lax.conv_dimension_numbers(lhs_shape, rhs_shape, dnums)
  assert isinstance(out, ConvDimensionNumbers)
  assert out == ConvDimensionNumbers(*expected)
  hash(out)


def _shape_re(shape):
  return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


CONV_ERROR_ROWS = [
    # lhs shape, rhs shape, kwargs, error, message
    ((2, 4, 5, 5), (3, 3, 2, 2), {}, ValueError,
     r"conv_general_dilated: lhs feature size 4 \(axis 1 of lhs shape \(2, 4, 5, 5\)\) "
     r"must equal the rhs input feature size 3 \(axis 1 of rhs shape \(3, 3, 2, 2\)\) "
     r"times feature_group_count=1"),
    ((2, 4, 5, 5), (3, 4, 2, 2), dict(feature_group_count=2), ValueError,
     r"lhs feature size 4 .* rhs input feature size 4 .* times feature_group_count=2"),
    ((2, 4, 5, 5), (3, 2, 2, 2), dict(feature_group_count=2), ValueError,
     r"conv_general_dilated: rhs output feature size 3 \(axis 0 of rhs shape "
     r"\(3, 2, 2, 2\)\) must be a multiple of feature_group_count=2"),
    ((3, 4, 5, 5), (4, 4, 2, 2), dict(batch_group_count=2), ValueError,
     r"conv_general_dilated: lhs batch size 3 \(axis 0 of lhs shape \(3, 4, 5, 5\)\) "
     r"must be a multiple of batch_group_count=2"),
    ((4, 4, 5, 5), (3, 4, 2, 2), dict(batch_group_count=2), ValueError,
     r"rhs output feature size 3 .* must be a multiple of batch_group_count=2"),
    ((4, 4, 5, 5), (4, 2, 2, 2), dict(batch_group_count=2, feature_group_count=2),
     ValueError, r"conv_general_dilated: at most one of feature_group_count and "
     r"batch_group_count may exceed 1, got 2 and 2"),
    ((2, 4, 5, 5), (3, 4, 2, 2), dict(window_strides=(1,)), ValueError,
     r"conv_general_dilated: window_strides must have one entry per spatial "
     r"dimension \(2 for lhs shape \(2, 4, 5, 5\) and rhs shape \(3, 4, 2, 2\)\), "
     r"got \(1,\)"),
    ((2, 4, 5, 5), (3, 4, 2, 2), dict(rhs_dilation=(1, 1, 1)), ValueError,
     r"conv_general_dilated: rhs_dilation must have one entry per spatial dimension"),
    ((2, 4, 5, 5), (3, 4, 2, 2), dict(padding=((0, 0),)), ValueError,
     r"conv_general_dilated: padding must have one entry per spatial dimension"),
    ((2, 4, 5, 5), (3, 4, 2, 2), dict(window_strides=(0, 1)), ValueError,
     r"conv_general_dilated: window_strides must be positive, got \(0, 1\) for lhs "
     r"shape \(2, 4, 5, 5\)"),
    ((2, 4, 5, 5), (3, 4, 2, 2), dict(feature_group_count=0), ValueError,
     r"conv_general_dilated: feature_group_count must be positive"),
    ((2, 4, 5, 5), (3, 4, 2, 2), dict(window_strides=(1, "a")), TypeError,
     r"conv_general_dilated: window_strides must be a sequence of ints, got \(1, 'a'\)"),
    ((2, 4, 5, 5), (3, 4, 2), {}, TypeError,
     r"conv_general_dilated: lhs and rhs must have the same rank, at least 2 .*"
     r"got lhs shape \(2, 4, 5, 5\) and rhs shape \(3, 4, 2\)"),
    ((4,), (4,), dict(window_strides=()), TypeError,
     r"conv_general_dilated: lhs and rhs must have the same rank, at least 2"),
    ((2, 5, 5, 4), (2, 2, 4, 3), dict(dimension_numbers=("NHWC", "HWIO", "NHW")),
     TypeError, r"conv_general_dilated: dimension_numbers\[2\] = 'NHW' must have "
     r"one letter per axis \(4 for lhs shape \(2, 5, 5, 4\) and rhs shape "
     r"\(2, 2, 4, 3\)\)"),
    ((2, 5, 5, 4), (2, 2, 4, 3), dict(dimension_numbers=("NHWC", "HWIX", "NHWC")),
     TypeError, r"conv_general_dilated: dimension_numbers \('NHWC', 'HWIX', "
     r"'NHWC'\) must hold 'N' and 'C' once"),
    ((2, 5, 5, 4), (2, 2, 4, 3), dict(dimension_numbers=("NHWC", "HWIO", "NHXC")),
     TypeError, r"must hold 'N' and 'C' once .* same distinct spatial letters"),
    ((2, 5, 5, 4), (2, 2, 4, 3), dict(dimension_numbers=("NHHC", "HHIO", "NHHC")),
     TypeError, r"must hold 'N' and 'C' once"),
    ((2, 5, 5, 4), (2, 2, 4, 3), dict(dimension_numbers="NHWC"), TypeError,
     r"conv_general_dilated: dimension_numbers must be None, a "
     r"ConvDimensionNumbers, or three layout strings .*got 'NHWC'"),
    ((2, 5, 5, 4), (2, 2, 4, 3),
     dict(dimension_numbers=ConvDimensionNumbers((0, 3, 1, 1), (3, 2, 0, 1), (0, 3, 1, 2))),
     TypeError, r"conv_general_dilated: ConvDimensionNumbers specs must each be a "
     r"permutation of range\(4\)"),
    ((2, 4, 5, 5), (3, 4, 2, 2), dict(padding="FULL"), ValueError,
     r"conv_general_dilated: unrecognized padding|conv_general_dilated: padding must be 'SAME', 'SAME_LOWER', 'VALID' or a "
     r"sequence of \(low, high\) integer pairs, one per spatial dimension, got 'FULL'"),
    ((2, 4, 5, 5), (3, 4, 2, 2), dict(padding=(1, 1)), ValueError,
     r"conv_general_dilated: padding must be 'SAME'.*got \(1, 1\)"),
    ((2, 4, 5, 5), (3, 4, 2, 2), dict(padding="SAME", lhs_dilation=(2, 1)), ValueError,
     r"conv_general_dilated: string padding 'SAME' is not supported with "
     r"lhs_dilation \(2, 1\)"),
    ((2, 4, 5, 5), (3, 4, 2, 2), dict(padding=((0, 0), (-4, -2))), ValueError,
     r"conv_general_dilated: padding \(\(0, 0\), \(-4, -2\)\) removes more than the "
     r"whole spatial dimension 1 \(size 5 after lhs_dilation\) of lhs shape "
     r"\(2, 4, 5, 5\)"),
]


@pytest.mark.parametrize("row", CONV_ERROR_ROWS)
def test_conv_general_dilated_errors(row):
  lhs_shape, rhs_shape, kwargs, error, message = row
  n = max(len(lhs_shape) - 2, 0)
  kwargs = dict(dict(window_strides=(1,) * n, padding="VALID"), **kwargs)
  lhs, rhs = np.zeros(lhs_shape, np.float32), np.zeros(rhs_shape, np.float32)
  with pytest.raises(error, match=message):
    lax.conv_general_dilated(lhs, rhs, **kwargs)


CONV_DTYPE_ERROR_ROWS = [
    (np.float32, np.int32, None,
     r"conv_general_dilated: lhs and rhs must have the same dtype, got float32 and int32"),
    (np.bool_, np.bool_, None,
     r"conv_general_dilated does not accept argument dtype bool"),
    (np.float32, np.float32, np.int32,
     r"conv_general_dilated: preferred_element_type int32 does not suit operands "
     r"of type float32"),
    (np.int32, np.int32, np.int16, r"preferred_element_type int16 does not suit"),
    (np.int8, np.int8, np.uint32, r"preferred_element_type uint32 does not suit"),
    (np.float32, np.float32, bf16, r"preferred_element_type bfloat16 does not suit"),
]


@pytest.mark.parametrize("lhs_dtype,rhs_dtype,preferred,message", CONV_DTYPE_ERROR_ROWS)
def test_conv_general_dilated_dtype_errors(lhs_dtype, rhs_dtype, preferred, message):
  lhs, rhs = np.zeros((1, 2, 4), lhs_dtype), np.zeros((3, 2, 2), rhs_dtype)
  with pytest.raises(TypeError, match=message):
    lax.conv_general_dilated(lhs, rhs, (1,), "VALID", preferred_element_type=preferred)


def test_conv_dimension_numbers_errors():
  with pytest.raises(TypeError, match=r"conv_dimension_numbers: lhs and rhs must "
                     r"have the same rank, at least 2 .*got lhs shape \(1, 2, 3\) "
                     r"and rhs shape \(1, 2\)"):
    lax.conv_dimension_numbers((1, 2, 3), (1, 2), None)
  with pytest.raises(TypeError, match=r"conv_dimension_numbers: dimension_numbers "
                     r"must be None, a ConvDimensionNumbers"):
    lax.conv_dimension_numbers((1, 2, 3), (1, 2, 3), ("NCH", "OIH"))
  with pytest.raises(TypeError, match=r"conv_dimension_numbers: dimension_numbers "
                     r"must be None.*got ConvDimensionNumbers\(lhs_spec='ab'"):
    lax.conv_dimension_numbers((1, 2), (1, 2), ConvDimensionNumbers("ab", (0, 1), (0, 1)))


def test_conv_transpose_kernel():
  lhs, rhs = rand((1, 4, 5, 3), np.float32), rand((3, 2, 2, 3), np.float32)
  out = lax.conv_transpose(lhs, rhs, (2, 1), "SAME", transpose_kernel=True)
  flipped = np.flip(rhs, (0, 1)).swapaxes(2, 3)
  expected = conv_reference(lhs, flipped, (1, 1), ((2, 1), (1, 0)),
                            lhs_dilation=(2, 1), layouts=NHWC)
  check(out, expected, np.float32, (1, 8, 5, 2))


def test_conv_transpose_errors():
  lhs, rhs = np.zeros((1, 4, 2), np.float32), np.zeros((3, 2, 3), np.float32)
  with pytest.raises(TypeError, match=r"conv_transpose: lhs and rhs must have the "
                     r"same rank, 2 to 5, .*got lhs shape \(1, 4, 2\) and rhs shape \(2, 3\)"):
    lax.conv_transpose(lhs, rhs[0], (2,), "SAME")
