"""custom_jvp and custom_vjp: functions carrying their own derivative rule,
as primitives that hold the function's jaxpr and the user's rule.
"""

import functools
import inspect

from ..core import tree
from ..core import trace as trace_lib
from ..core.ad_util import UndefinedPrimal, Zero
from ..core.avals import HostValue
from ..core.primitive import NOT_DIFFERENTIABLE, NOT_LINEAR, define_primitive
from ..interpreters import batching
from ..interpreters.lowering import lower_jaxpr_body
from ._checks import aval_of
from ._factories import instantiate, matchaxis
from ._jaxpr_util import batch_of, batched_aval, retrace, trace_flat
from .convert import _convert_element_type

__all__ = []

CUSTOM_VJP_FORWARD_MESSAGE = (
    "can't apply forward-mode autodiff (jvp) to a custom_vjp function: "
    "{name} defines only a reverse-mode rule (defvjp). Use grad/vjp, or "
    "define the function with custom_jvp instead.")

NO_RULE_MESSAGE = (
    "{kind} function {name} was called under differentiation but no rule "
    "was defined: call {name}.{method}(...) first.")

RULE_OUTPUT_MESSAGE = (
    "{name}: {what} must have the structure of the primal output, "
    "{expected}; got {got}")


def _resolve_args(fun, args, kwargs):
  """Keyword arguments bound to positions (custom rules see positions)."""
  if not kwargs:
    return tuple(args)
  bound = inspect.signature(fun).bind(*args, **kwargs)
  bound.apply_defaults()
  return tuple(bound.args) + tuple(bound.kwargs.values())


def _split_nondiff(args, nondiff_argnums):
  nondiff = {i: args[i] for i in nondiff_argnums}
  dyn = [a for i, a in enumerate(args) if i not in nondiff]
  return nondiff, dyn


def _merge(nondiff, dyn, n):
  it = iter(dyn)
  return [nondiff[i] if i in nondiff else next(it) for i in range(n)]


def _fun_name(fun):
  return getattr(fun, "__name__", type(fun).__name__)


# --- custom_jvp -------------------------------------------------------------------------

class custom_jvp:
  """A function with a custom JVP rule (JAX's API).

      @custom_jvp
      def f(x): ...
      @f.defjvp
      def f_jvp(primals, tangents): return f(*primals), tangent_out

  Reverse mode comes from transposing the rule's (linear) tangent
  computation. `nondiff_argnums` arguments are passed first to the rule.
  """

  def __init__(self, fun, nondiff_argnums=()):
    functools.update_wrapper(self, fun)
    self.fun = fun
    self.nondiff_argnums = tuple(nondiff_argnums)
    self.jvp = None

  def defjvp(self, jvp, symbolic_zeros=False):
    """Sets the rule `jvp(*nondiff_args, primals, tangents)`."""
    self.jvp = jvp
    return jvp

  def defjvps(self, *jvps):
    """Sets the rule from one function per argument:
    `jvps[i](g_i, primal_out, *primals)` is argument i's contribution."""
    def jvp(primals, tangents):
      out = self(*primals)
      total = None
      for rule, t in zip(jvps, tangents):
        if rule is None:
          continue
        c = rule(t, out, *primals)
        total = c if total is None else tree.tree_map(lambda a, b: a + b, total, c)
      if total is None:
        total = tree.tree_map(lambda o: o * 0, out)
      return out, total
    self.jvp = jvp
    return jvp

  def __call__(self, *args, **kwargs):
    args = _resolve_args(self.fun, args, kwargs)
    if trace_lib.current_trace() is trace_lib.default_trace():
      return self.fun(*args)  # nothing to differentiate: just run it
    name = _fun_name(self.fun)
    if self.jvp is None:
      raise AttributeError(NO_RULE_MESSAGE.format(
          kind="custom_jvp", name=name, method="defjvp"))
    nondiff, dyn = _split_nondiff(args, self.nondiff_argnums)
    leaves, in_tree = tree.tree_flatten(tuple(dyn))
    n = len(args)

    def fun_dyn(*d):
      return self.fun(*_merge(nondiff, d, n))

    jaxpr, consts, out_tree = trace_flat(fun_dyn, in_tree, [aval_of(x) for x in leaves],
                                         f"custom_jvp {name}")
    rule = self.jvp
    nondiff_first = [nondiff[i] for i in sorted(nondiff)]

    def jvp_flat(primals, tangents):
      p = tree.tree_unflatten(in_tree, primals)
      t = tree.tree_unflatten(in_tree, [instantiate(x) for x in tangents])
      out, t_out = rule(*nondiff_first, tuple(p), tuple(t))
      out_leaves, got = tree.tree_flatten(out)
      t_leaves, t_got = tree.tree_flatten(t_out)
      if got != out_tree or t_got != out_tree:
        raise TypeError(RULE_OUTPUT_MESSAGE.format(
            name=f"custom_jvp rule of {name}", what="its (primal_out, tangent_out)",
            expected=out_tree, got=f"{got} and {t_got}"))
      return out_leaves, t_leaves

    outs = custom_jvp_call_p.bind(*consts, *leaves, call_jaxpr=jaxpr, jvp=jvp_flat,
                                  num_consts=len(consts))
    return tree.tree_unflatten(out_tree, outs)


def _custom_jvp_call_abstract_eval(*avals, call_jaxpr, jvp, num_consts):
  return call_jaxpr.out_avals


def _call_lower(ctx, *args, call_jaxpr, **params):
  return lower_jaxpr_body(ctx.module_context, call_jaxpr.jaxpr, list(args))


def _custom_jvp_call_jvp(primals, tangents, *, call_jaxpr, jvp, num_consts):
  # The user's rule sees the function's arguments, not the constants its
  # trace captured (their tangents are not part of the custom rule).
  return jvp(list(primals[num_consts:]), list(tangents[num_consts:]))


def _vmapped(fun, dims, size):
  """Flat fun(*args) -> list, vmapped with `dims`, outputs batched at 0."""
  def batched(*args):
    outs, out_dims = batching.vmap_flat(lambda *a: list(fun(*a)), list(args), dims, size)
    return [matchaxis(o, d, 0, size) for o, d in zip(outs, out_dims)]
  return batched


def _custom_jvp_call_batch(vals, dims, *, call_jaxpr, jvp, num_consts):
  size = next(aval_of(v).shape[d] for v, d in zip(vals, dims) if d is not None)
  avals = [batched_aval(a, d, size) for a, d in zip(call_jaxpr.in_avals, dims)]
  b_jaxpr, consts = retrace(batch_of(call_jaxpr, dims, size), avals)
  arg_dims = list(dims[num_consts:])

  def b_jvp(primals, tangents):
    n = len(primals)
    flat = _vmapped(lambda *a: [x for pair in jvp(list(a[:n]), list(a[n:])) for x in pair],
                    arg_dims + arg_dims, size)
    outs = flat(*primals, *tangents)
    half = len(outs) // 2
    return outs[:half], outs[half:]

  outs = custom_jvp_call_p.bind(*consts, *vals, call_jaxpr=b_jaxpr, jvp=b_jvp,
                                num_consts=len(consts) + num_consts)
  return outs, [0] * len(outs)


custom_jvp_call_p = define_primitive(
    "custom_jvp_call", abstract_eval=_custom_jvp_call_abstract_eval,
    lower=_call_lower, jvp=_custom_jvp_call_jvp, transpose=NOT_LINEAR,
    batch=_custom_jvp_call_batch, multiple_results=True)


# --- custom_vjp -------------------------------------------------------------------------

class custom_vjp:
  """A function with a custom reverse-mode rule (JAX's API).

      @custom_vjp
      def f(x): ...
      def f_fwd(x): return f(x), residuals
      def f_bwd(residuals, g): return (cotangent_x,)
      f.defvjp(f_fwd, f_bwd)

  Residuals may be any pytree. Forward mode (jvp) raises, as in JAX.
  """

  def __init__(self, fun, nondiff_argnums=()):
    functools.update_wrapper(self, fun)
    self.fun = fun
    self.nondiff_argnums = tuple(nondiff_argnums)
    self.fwd = None
    self.bwd = None

  def defvjp(self, fwd, bwd, symbolic_zeros=False):
    self.fwd = fwd
    self.bwd = bwd

  def __call__(self, *args, **kwargs):
    args = _resolve_args(self.fun, args, kwargs)
    if trace_lib.current_trace() is trace_lib.default_trace():
      return self.fun(*args)
    name = _fun_name(self.fun)
    if self.fwd is None:
      raise AttributeError(NO_RULE_MESSAGE.format(
          kind="custom_vjp", name=name, method="defvjp"))
    nondiff, dyn = _split_nondiff(args, self.nondiff_argnums)
    leaves, in_tree = tree.tree_flatten(tuple(dyn))
    n = len(args)
    nondiff_first = [nondiff[i] for i in sorted(nondiff)]

    def fun_dyn(*d):
      return self.fun(*_merge(nondiff, d, n))

    jaxpr, consts, out_tree = trace_flat(fun_dyn, in_tree, [aval_of(x) for x in leaves],
                                         f"custom_vjp {name}")
    fwd_rule, bwd_rule = self.fwd, self.bwd
    res_tree = {}

    def fwd_flat(*primals):
      out, res = fwd_rule(*_merge(nondiff, tree.tree_unflatten(in_tree, primals), n))
      out_leaves, got = tree.tree_flatten(out)
      if got != out_tree:
        raise TypeError(RULE_OUTPUT_MESSAGE.format(
            name=f"custom_vjp fwd of {name}", what="its primal output",
            expected=out_tree, got=got))
      res_leaves, res_tree["tree"] = tree.tree_flatten(res)
      return out_leaves, res_leaves

    def bwd_flat(res_leaves, cts):
      res = tree.tree_unflatten(res_tree["tree"], res_leaves)
      ct = tree.tree_unflatten(out_tree, cts)
      cts_in = bwd_rule(*nondiff_first, res, ct)
      if not isinstance(cts_in, tuple):
        raise TypeError(f"custom_vjp bwd of {name} must return a tuple with one "
                        f"cotangent per differentiable argument, got {type(cts_in).__name__}")
      flat = []
      for arg, c in zip(tree.tree_unflatten(in_tree, [0] * in_tree.num_leaves), cts_in):
        arg_tree = tree.tree_structure(arg)
        if c is None:
          flat.extend([None] * arg_tree.num_leaves)
        else:
          flat.extend(arg_tree.flatten_up_to(c))
      return flat

    outs = custom_vjp_call_p.bind(*consts, *leaves, call_jaxpr=jaxpr, fwd=fwd_flat,
                                  bwd=bwd_flat, num_consts=len(consts), name=name)
    return tree.tree_unflatten(out_tree, outs)


def _custom_vjp_call_abstract_eval(*avals, call_jaxpr, fwd, bwd, num_consts, name):
  return call_jaxpr.out_avals


def _custom_vjp_call_jvp(primals, tangents, *, call_jaxpr, fwd, bwd, num_consts, name):
  args, t_args = primals[num_consts:], tangents[num_consts:]
  outs, res = fwd(*args)
  t_args = [instantiate(t) for t in t_args]
  t_outs = custom_lin_p.bind(*res, *t_args, bwd=bwd, num_res=len(res),
                             out_avals=tuple(aval_of(o) for o in outs), name=name)
  return outs, t_outs


custom_vjp_call_p = define_primitive(
    "custom_vjp_call", abstract_eval=_custom_vjp_call_abstract_eval,
    lower=_call_lower, jvp=_custom_vjp_call_jvp, transpose=NOT_LINEAR,
    multiple_results=True)


def _custom_vjp_call_batch(vals, dims, *, call_jaxpr, fwd, bwd, num_consts, name):
  size = next(aval_of(v).shape[d] for v, d in zip(vals, dims) if d is not None)
  avals = [batched_aval(a, d, size) for a, d in zip(call_jaxpr.in_avals, dims)]
  b_jaxpr, consts = retrace(batch_of(call_jaxpr, dims, size), avals)
  arg_dims = list(dims[num_consts:])
  n_out = len(call_jaxpr.out_avals)

  def b_fwd(*args):
    def flat(*a):
      outs, res = fwd(*a)
      return list(outs) + list(res)
    both = _vmapped(flat, arg_dims, size)(*args)
    return both[:n_out], both[n_out:]

  arg_avals = call_jaxpr.in_avals[num_consts:]

  def b_bwd(res, cts):
    n_res = len(res)

    def flat(*a):
      got = bwd(list(a[:n_res]), list(a[n_res:]))
      return [instantiate(Zero(aval)) if g is None else g
              for g, aval in zip(got, arg_avals)]
    return _vmapped(flat, [0] * (n_res + len(cts)), size)(*res, *cts)

  outs = custom_vjp_call_p.bind(*consts, *vals, call_jaxpr=b_jaxpr, fwd=b_fwd, bwd=b_bwd,
                                num_consts=len(consts) + num_consts, name=name)
  return outs, [0] * len(outs)


custom_vjp_call_p.batch = _custom_vjp_call_batch


def _custom_lin_abstract_eval(*avals, bwd, num_res, out_avals, name):
  return list(out_avals)


def _custom_lin_lower(ctx, *args, bwd, num_res, out_avals, name):
  raise TypeError(CUSTOM_VJP_FORWARD_MESSAGE.format(name=name))


def _as_array(x):
  """Residuals that were literals in the jaxpr arrive as host values: the
  user's bwd does arithmetic on them, so make them arrays."""
  if type(x) is HostValue:
    return _convert_element_type(x, x.aval.dtype, x.aval.weak_type)
  return x


def _custom_lin_transpose(cts, *args, bwd, num_res, out_avals, name):
  res = [_as_array(r) for r in args[:num_res]]
  cts = [instantiate(ct) for ct in cts]
  cts_in = bwd(res, cts)
  t_args = args[num_res:]
  out = []
  for ct, arg in zip(cts_in, t_args):
    if ct is None:
      out.append(Zero(arg.aval) if type(arg) is UndefinedPrimal else None)
    else:
      out.append(ct)
  return [None] * num_res + out


custom_lin_p = define_primitive(
    "custom_lin", abstract_eval=_custom_lin_abstract_eval, lower=_custom_lin_lower,
    transpose=_custom_lin_transpose, multiple_results=True)
# custom_lin only appears in linear jaxprs, where it is transposed (calling
# bwd); it is never differentiated or vmapped itself.
custom_lin_p.jvp = NOT_DIFFERENTIABLE


def _custom_lin_batch(vals, dims, *, bwd, num_res, out_avals, name):
  raise NotImplementedError(
      f"vmap of the linearized custom_vjp function {name}: apply vmap outside "
      "grad/vjp (vmap(grad(f)) works) rather than to a linearized function")


custom_lin_p.batch = _custom_lin_batch
