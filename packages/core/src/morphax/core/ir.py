"""The IR: jaxprs are typed SSA programs of primitive equations, with a
printer that reads like JAX's and a typechecker run by the tests.
"""

import itertools

import numpy as np

from .avals import ShapedArray


class Var:
  """A jaxpr variable: an SSA name with an aval (named when printed)."""
  __slots__ = ("aval",)

  def __init__(self, aval):
    self.aval = aval

  def __repr__(self):
    return f"Var({self.aval.str_short()})"


class Literal:
  """A constant scalar written inline in a jaxpr (e.g. a Python 2.0)."""
  __slots__ = ("val", "aval")

  def __init__(self, val, aval):
    self.val = val
    self.aval = aval

  def __repr__(self):
    return f"Literal({self.val!r})"


class DropVar(Var):
  """An output nobody reads (printed `_`)."""
  __slots__ = ()


class JaxprEqn:
  """`outvars = primitive[params] invars`; source_info is the user's frame."""
  __slots__ = ("invars", "outvars", "primitive", "params", "source_info")

  def __init__(self, invars, outvars, primitive, params, source_info=None):
    self.invars = invars
    self.outvars = outvars
    self.primitive = primitive
    self.params = params
    self.source_info = source_info

  def __repr__(self):
    return pp_eqn(self, _Names())


class Jaxpr:
  """A typed program: constvars and invars in, equations, outvars out."""
  __slots__ = ("constvars", "invars", "outvars", "eqns")

  def __init__(self, constvars, invars, outvars, eqns):
    self.constvars = list(constvars)
    self.invars = list(invars)
    self.outvars = list(outvars)
    self.eqns = list(eqns)

  @property
  def in_avals(self):
    return [v.aval for v in self.invars]

  @property
  def out_avals(self):
    return [v.aval for v in self.outvars]

  def __str__(self):
    return pp_jaxpr(self)

  __repr__ = __str__

  def pretty_print(self):
    return pp_jaxpr(self)


class ClosedJaxpr:
  """A jaxpr with its constants' values bound."""
  __slots__ = ("jaxpr", "consts")

  def __init__(self, jaxpr, consts):
    self.jaxpr = jaxpr
    self.consts = list(consts)

  in_avals = property(lambda self: self.jaxpr.in_avals)
  out_avals = property(lambda self: self.jaxpr.out_avals)
  eqns = property(lambda self: self.jaxpr.eqns)

  def __str__(self):
    return pp_jaxpr(self.jaxpr)

  __repr__ = __str__

  def pretty_print(self):
    return pp_jaxpr(self.jaxpr)


# --- Pretty printing ----------------------------------------------------------

def _name_for(n):
  # a..z, ba..bz, ca.. as JAX prints them.
  letters = "abcdefghijklmnopqrstuvwxyz"
  s = ""
  while True:
    s = letters[n % 26] + s
    n //= 26
    if n == 0:
      return s


class _Names:
  def __init__(self):
    self.names = {}
    self.counter = itertools.count()

  def __call__(self, v):
    if isinstance(v, Literal):
      return _pp_literal(v)
    if isinstance(v, DropVar):
      return "_"
    name = self.names.get(v)
    if name is None:
      name = self.names[v] = _name_for(next(self.counter))
    return name


def _pp_literal(lit):
  val = lit.val
  if isinstance(val, np.ndarray):
    val = val.item() if val.ndim == 0 else val
  if isinstance(val, (bool, np.bool_)):
    text = str(bool(val))
  elif isinstance(val, (float, np.floating)):
    text = repr(float(val))
  else:
    text = str(val)
  return f"{text}:{lit.aval.str_short()}"


def _pp_binder(v, names):
  return f"{names(v)}:{v.aval.str_short()}"


def _pp_param(value, names, indent):
  if isinstance(value, (Jaxpr, ClosedJaxpr)):
    inner = value.jaxpr if isinstance(value, ClosedJaxpr) else value
    return pp_jaxpr(inner, indent=indent + 2, names=names)
  if isinstance(value, np.dtype):
    return value.name
  if isinstance(value, tuple) and value and all(isinstance(v, (Jaxpr, ClosedJaxpr)) for v in value):
    return "(" + ", ".join(_pp_param(v, names, indent) for v in value) + ")"
  return str(value)


def pp_eqn(eqn, names, indent=0):
  lhs = " ".join(_pp_binder(v, names) for v in eqn.outvars)
  params = ""
  if eqn.params:
    parts = [f"{k}={_pp_param(v, names, indent)}" for k, v in eqn.params.items()]
    params = "[" + " ".join(parts) + "]"
  rhs = " ".join(names(v) for v in eqn.invars)
  return f"{lhs} = {eqn.primitive.name}{params} {rhs}".rstrip()


def pp_jaxpr(jaxpr, indent=0, names=None):
  """`{ lambda consts ; args. let eqns in (outs) }`, like JAX prints."""
  names = names or _Names()
  pad = " " * indent
  consts = " ".join(_pp_binder(v, names) for v in jaxpr.constvars)
  args = " ".join(_pp_binder(v, names) for v in jaxpr.invars)
  eqns = [pp_eqn(e, names, indent + 4) for e in jaxpr.eqns]
  outs = ", ".join(names(v) for v in jaxpr.outvars)
  outs = f"({outs},)" if len(jaxpr.outvars) == 1 else f"({outs})"
  head = f"{{ lambda {consts}; {args}. let"
  if not eqns:
    return f"{head} in {outs} }}"
  if len(eqns) == 1 and "\n" not in eqns[0]:
    line = f"{head} {eqns[0]} in {outs} }}"
    if len(line) + indent <= 80:
      return line
  body = "\n".join(f"{pad}    {e}" for e in eqns)
  return f"{head}\n{body}\n{pad}  in {outs} }}"


# --- Typechecking ---------------------------------------------------------------

class JaxprTypeError(TypeError):
  pass


def _same_type(a, b):
  return a.shape == b.shape and a.dtype == b.dtype


def typecheck(jaxpr):
  """Checks that every variable is defined before use and every equation's
  output types are what its primitive's abstract eval says."""
  if isinstance(jaxpr, ClosedJaxpr):
    for var, const in zip(jaxpr.jaxpr.constvars, jaxpr.consts):
      aval = getattr(const, "aval", None)
      if aval is not None and not _same_type(aval, var.aval):
        raise JaxprTypeError(f"const {const!r} does not match {var.aval}")
    jaxpr = jaxpr.jaxpr
  defined = set()

  def read(v, where):
    if isinstance(v, Literal):
      return v.aval
    if v not in defined:
      raise JaxprTypeError(f"{where}: variable {v} used before it is defined")
    return v.aval

  for v in list(jaxpr.constvars) + list(jaxpr.invars):
    if v in defined:
      raise JaxprTypeError(f"variable {v} bound twice")
    defined.add(v)
  for eqn in jaxpr.eqns:
    where = f"equation '{eqn.primitive.name}'"
    avals_in = [read(v, where) for v in eqn.invars]
    out = eqn.primitive.abstract_eval(*avals_in, **eqn.params)
    avals_out = list(out) if eqn.primitive.multiple_results else [out]
    if len(avals_out) != len(eqn.outvars):
      raise JaxprTypeError(f"{where}: {len(avals_out)} results but "
                           f"{len(eqn.outvars)} output variables")
    for var, aval in zip(eqn.outvars, avals_out):
      if not _same_type(var.aval, aval):
        raise JaxprTypeError(f"{where}: output declared {var.aval} but the "
                             f"primitive gives {aval}")
      if not isinstance(var, DropVar):
        defined.add(var)
  for v in jaxpr.outvars:
    read(v, "jaxpr output")
  return [v.aval for v in jaxpr.outvars]


def literal_aval(value):
  return ShapedArray(np.shape(value), np.asarray(value).dtype, False)
