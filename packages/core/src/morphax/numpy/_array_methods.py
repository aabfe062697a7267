"""Array's Python operators and NumPy-style methods, installed once (on
Array and on the Tracer base class) through `set_array_methods`.
"""

from .. import lax
from ..core.trace import Tracer
from ..runtime.array import Array, set_array_methods
from . import _indexing, _linalg, _reductions, _shape, _sorting, _ufuncs, _util


def _binary(fn, name, reflected=False):
  """An operator method: NotImplemented for operands it does not know,
  so Python can try the other operand's method."""
  if reflected:
    def op(self, other):
      if not _util.is_arraylike(other):
        return NotImplemented
      return fn(other, self)
  else:
    def op(self, other):
      if not _util.is_arraylike(other):
        return NotImplemented
      return fn(self, other)
  op.__name__ = op.__qualname__ = name
  op.__doc__ = f"Operator {name}: see morphax.numpy.{fn.__name__}."
  return op


def _pow(self, other, mod=None):
  if mod is not None:
    raise NotImplementedError("pow: the three-argument form is not supported")
  if not _util.is_arraylike(other):
    return NotImplemented
  return _ufuncs.power(self, other)


def _rpow(self, other, mod=None):
  if not _util.is_arraylike(other):
    return NotImplemented
  return _ufuncs.power(other, self)


def _astype(self, dtype, copy=False, device=None):
  """The array converted to `dtype` (a strong type)."""
  return lax.convert_element_type(self, _util.canonical_dtype("astype", dtype))


def _reshape(self, *args, order="C"):
  """`a.reshape(2, 3)` or `a.reshape((2, 3))`; see morphax.numpy.reshape."""
  shape = args[0] if len(args) == 1 else args
  return _shape.reshape(self, shape, order=order)


def _transpose(self, *axes):
  """`a.transpose()`, `a.transpose(1, 0)` or `a.transpose((1, 0))`."""
  if not axes or axes == (None,):
    axes = None
  elif len(axes) == 1 and isinstance(axes[0], (tuple, list)):
    axes = axes[0]
  return _shape.transpose(self, axes)


def _flatten(self, order="C"):
  """The array flattened to 1-d."""
  return _shape.ravel(self, order)


def _matrix_transpose(self):
  """The array with its last two axes swapped."""
  return _shape.swapaxes(self, -1, -2)


def _round_method(self, decimals=0, out=None):
  return _ufuncs.round(self, decimals, out)


def _python_round(self, ndigits=None):
  return _ufuncs.round(self, 0 if ndigits is None else ndigits)


_OPERATORS = {
    "add": _ufuncs.add, "sub": _ufuncs.subtract, "mul": _ufuncs.multiply,
    "truediv": _ufuncs.true_divide, "floordiv": _ufuncs.floor_divide,
    "mod": _ufuncs.remainder, "divmod": _ufuncs.divmod,
    "matmul": _linalg.matmul, "and": _ufuncs.bitwise_and,
    "or": _ufuncs.bitwise_or, "xor": _ufuncs.bitwise_xor,
    "lshift": _ufuncs.left_shift, "rshift": _ufuncs.right_shift,
}
_COMPARISONS = {
    "eq": _ufuncs.equal, "ne": _ufuncs.not_equal, "lt": _ufuncs.less,
    "le": _ufuncs.less_equal, "gt": _ufuncs.greater, "ge": _ufuncs.greater_equal,
}


def _methods():
  methods = {}
  for name, fn in _OPERATORS.items():
    methods[f"__{name}__"] = _binary(fn, f"__{name}__")
    methods[f"__r{name}__"] = _binary(fn, f"__r{name}__", reflected=True)
  for name, fn in _COMPARISONS.items():
    methods[f"__{name}__"] = _binary(fn, f"__{name}__")
  methods.update({
      "__pow__": _pow, "__rpow__": _rpow,
      "__neg__": _ufuncs.negative, "__pos__": _ufuncs.positive,
      "__abs__": _ufuncs.absolute, "__invert__": _ufuncs.invert,
      "__round__": _python_round,
      "__getitem__": _indexing.getitem, "at": property(_indexing.at),
      "astype": _astype, "reshape": _reshape, "transpose": _transpose,
      "T": property(_shape.transpose), "mT": property(_matrix_transpose),
      "ravel": _shape.ravel, "flatten": _flatten, "squeeze": _shape.squeeze,
      "swapaxes": _shape.swapaxes, "clip": _shape.clip,
      "nonzero": _sorting.nonzero,
      "sum": _reductions.sum, "prod": _reductions.prod,
      "max": _reductions.max, "min": _reductions.min,
      "all": _reductions.all, "any": _reductions.any,
      "mean": _reductions.mean, "var": _reductions.var, "std": _reductions.std,
      "argmax": _reductions.argmax, "argmin": _reductions.argmin,
      "round": _round_method, "conj": _ufuncs.conjugate,
      "conjugate": _ufuncs.conjugate,
      "real": property(_ufuncs.real), "imag": property(_ufuncs.imag),
      "dot": _linalg.dot,
  })
  return methods


def install():
  """Installs the operators and methods on Array and on tracers."""
  methods = _methods()
  set_array_methods(Array, methods)
  set_array_methods(Tracer, methods)
