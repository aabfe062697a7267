"""Lifted transformations: scan, vmap, remat (checkpoint) and jit of modules.

A lifted module runs its target as a pure function
`body(variables, rngs, *args) -> (out, mutated_variables)` (a fresh root
`Store` per call), transforms that function with morphax.lax.scan /
morphax.vmap / morphax.checkpoint / morphax.jit, and writes the mutated
collections back into its own scope.
"""

import dataclasses

import morphax
import morphax.numpy as jnp
from morphax import lax
import morphax_rng as random

from .scope import Scope, Store, in_filter

SCAN_LENGTH = ('scan: can\'t tell how many steps to run: the scanned inputs '
               'are empty; pass length=... to nn.scan.')
SCAN_CARRY_VARS = ('scan: variable_carry is not supported; carry the state '
                   'explicitly through the scan carry.')
SCAN_MUTABLE_COL = (
    'scan of {module}: collection "{col}" is written inside the loop but is '
    'neither in variable_axes nor variable_broadcast; add it to '
    'variable_axes, e.g. variable_axes={{"{col}": 0}}.')
VMAP_SIZE = ('vmap: can\'t tell the mapped axis size: no input is mapped; '
             'pass axis_size=... to nn.vmap.')


class _Broadcast:
  """Marks a scan input that is passed whole to every step."""

  def __repr__(self):
    return 'broadcast'


broadcast = _Broadcast()


def _fields(module):
  return {f.name: getattr(module, f.name) for f in dataclasses.fields(module)
          if f.init and f.name not in ('parent', 'name')}


def _make_body(module, method):
  """The pure function running `method` of `module`'s target class."""
  target = type(module).lift_target
  fields = _fields(module)
  store = module.scope.store
  mutable, initializing, capture = (store.mutable, store.initializing,
                                    store.capture)

  def body(variables, rngs, *args, **kwargs):
    inner_store = Store(variables, rngs, mutable, initializing, capture,
                        prefix=module.scope.full_path)
    inner = target(**fields, parent=Scope(inner_store))
    out = getattr(inner, method)(*args, **kwargs)
    return out, inner_store.mutated()
  return body


def _inputs(module):
  """This module's variables and its own derived key per rng stream."""
  scope = module.scope
  variables = {col: scope.collection(col) for col in scope.store.variables}
  rngs = {name: scope.make_rng(name) for name in scope.store.rngs}
  return variables, rngs


def _write_back(module, new_vars):
  for col, tree in new_vars.items():
    if module.scope.is_mutable(col):
      module.scope.replace_collection(col, tree)


def _lift(target, prefix, run, methods=None):
  """A subclass of `target` (named prefix + its name, like linen's) whose
  `methods` go through `run(module, body, variables, rngs, args, kwargs)`
  and write the mutated collections back."""
  methods = methods or ('__call__',)
  if isinstance(methods, str):
    methods = (methods,)
  namespace = {'lift_target': target}

  def _try_setup(self):
    # NB: setup runs inside the transformed body (on the target class),
    # never in the lifted module's own scope.
    self._state.setup_done = True
  namespace['_try_setup'] = _try_setup

  for name in methods:
    def lifted(self, *args, __name=name, **kwargs):
      variables, rngs = _inputs(self)
      body = _make_body(self, __name)
      out, new_vars = run(self, body, variables, rngs, args, kwargs)
      _write_back(self, new_vars)
      return out
    lifted.__name__ = name
    lifted.__doc__ = getattr(target, name).__doc__
    namespace[name] = lifted
  return type(prefix + target.__name__, (target,), namespace)


def _split_keys(rngs, split_rngs, n):
  return {name: (random.split(key, n) if _splits(split_rngs, name) else key)
          for name, key in rngs.items()}


def _splits(split_rngs, name):
  for flt, value in split_rngs.items():
    if in_filter(flt, name):
      return value
  return False


def _axis_of(variable_axes, col):
  for flt, axis in variable_axes.items():
    if in_filter(flt, col):
      return axis
  return None


def scan(target, variable_axes={}, variable_broadcast=False,
         variable_carry=False, split_rngs={}, in_axes=0, out_axes=0,
         length=None, reverse=False, unroll=1, data_transform=None,
         metadata_params={}, methods=None):
  """A module class that runs `target` over a loop with lax.scan.

  The target's method takes `(carry, *xs)` and returns `(carry, ys)`.
  Collections in `variable_axes` get a leading axis (one slice per step,
  e.g. a layer stack's params); those in `variable_broadcast` are shared;
  rng streams in `split_rngs` differ per step.

  Example:
    >>> Stack = nn.scan(Block, variable_axes={'params': 0},
    ...                 split_rngs={'params': True}, length=4)
  """
  del data_transform, metadata_params
  if variable_carry:
    raise NotImplementedError(SCAN_CARRY_VARS)

  def run(module, body, variables, rngs, args, kwargs):
    carry, xs = args[0], args[1:]
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(xs)
    scanned = tuple(x for x, a in zip(xs, axes) if a is not broadcast)
    n = length
    if n is None:
      leaves = morphax.tree_util.tree_leaves(scanned)
      if not leaves:
        raise ValueError(SCAN_LENGTH)
      n = leaves[0].shape[0]
    axis_cols = [c for c in variables if _axis_of(variable_axes, c)
                 is not None]
    bcast_cols = [c for c in variables if variable_broadcast and
                  in_filter(variable_broadcast, c)]
    slices = {c: _move_to_front(variables[c], _axis_of(variable_axes, c))
              for c in axis_cols}
    shared = {c: variables[c] for c in bcast_cols}
    if variable_broadcast and module.scope.store.initializing:
      shared = _init_broadcast(body, variables, rngs, carry, xs, axes,
                               variable_broadcast)
    per_step = {k: _splits(split_rngs, k) for k in rngs}

    def step(c, x):
      carry_c, i = c
      var_slice, x_args = x
      keys = {k: (random.fold_in(key, i) if per_step[k] else key)
              for k, key in rngs.items()}
      it = iter(x_args)
      call_args = [next(it) if a is not broadcast else full
                   for full, a in zip(xs, axes)]
      out, new_vars = body({**shared, **var_slice}, keys, carry_c,
                           *call_args, **kwargs)
      new_carry, y = out
      stepped = {}
      for col, tree in new_vars.items():
        if _axis_of(variable_axes, col) is not None:
          stepped[col] = tree
        elif not (variable_broadcast and in_filter(variable_broadcast, col)) \
            and col not in var_slice and tree:
          raise ValueError(SCAN_MUTABLE_COL.format(
              module=type(module).__name__, col=col))
      return (new_carry, i + 1), (y, stepped)

    (carry_out, _), (ys, stepped) = lax.scan(
        step, (carry, jnp.array(0, jnp.int32)), (slices, scanned),
        length=n, reverse=reverse, unroll=unroll)
    new_vars = {c: _move_from_front(t, _axis_of(variable_axes, c))
                for c, t in stepped.items()}
    new_vars.update({c: t for c, t in shared.items()
                     if module.scope.is_mutable(c)})
    if out_axes != 0:
      ys = morphax.tree_util.tree_map(lambda y: jnp.moveaxis(y, 0, out_axes),
                                      ys)
    return (carry_out, ys), new_vars

  return _lift(target, 'Scan', run, methods)


def _init_broadcast(body, variables, rngs, carry, xs, axes, flt):
  """Creates the broadcast collections with one step outside the loop."""
  first = [x if a is broadcast else
           morphax.tree_util.tree_map(lambda v: v[0], x)
           for x, a in zip(xs, axes)]
  _, new_vars = body(variables, rngs, carry, *first)
  return {c: t for c, t in new_vars.items() if in_filter(flt, c)}


def _move_to_front(tree, axis):
  if not axis:
    return tree
  return morphax.tree_util.tree_map(lambda v: jnp.moveaxis(v, axis, 0), tree)


def _move_from_front(tree, axis):
  if not axis:
    return tree
  return morphax.tree_util.tree_map(lambda v: jnp.moveaxis(v, 0, axis), tree)


def vmap(target, variable_axes={}, split_rngs={}, in_axes=0, out_axes=0,
         axis_size=None, axis_name=None, spmd_axis_name=None,
         metadata_params={}, methods=None):
  """A module class that maps `target` over an axis with morphax.vmap.

  Collections in `variable_axes` are mapped (a separate set of variables
  per element); others are shared. Streams in `split_rngs` differ per
  element.
  """
  del spmd_axis_name, metadata_params

  def run(module, body, variables, rngs, args, kwargs):
    axes = in_axes if isinstance(in_axes, (tuple, list)) else \
        (in_axes,) * len(args)
    size = axis_size
    if size is None:
      for x, a in zip(args, axes):
        leaves = morphax.tree_util.tree_leaves(x)
        if a is not None and leaves:
          size = leaves[0].shape[a]
          break
    if size is None:
      raise ValueError(VMAP_SIZE)
    keys = _split_keys(rngs, split_rngs, size)
    key_axes = {k: (0 if _splits(split_rngs, k) else None) for k in rngs}
    store = module.scope.store
    cols = sorted(set(variables) | {c for c in variable_axes
                                    if isinstance(c, str)})
    var_in = {c: variables.get(c, {}) for c in cols}
    var_axes = {c: _axis_of(variable_axes, c) for c in cols}
    out_cols = [c for c in cols if store.is_mutable(c)]

    def mapped(var_in, keys, *args):
      out, new_vars = body(var_in, keys, *args, **kwargs)
      return out, {c: new_vars.get(c, {}) for c in out_cols}

    fn = morphax.vmap(mapped, in_axes=(var_axes, key_axes, *axes),
                      out_axes=(out_axes, {c: var_axes[c] for c in out_cols}),
                      axis_name=axis_name, axis_size=size)
    return fn(var_in, keys, *args)

  return _lift(target, 'Vmap', run, methods)


def remat(target, variables=True, rngs=True, concrete=False, prevent_cse=True,
          static_argnums=(), policy=None, methods=None):
  """A module class whose calls are rematerialized (morphax.checkpoint):
  under grad, activations inside are recomputed instead of stored."""
  del variables, rngs, concrete
  # the body's positions 0 and 1 are (variables, rngs)
  static = tuple(i + 2 for i in ((static_argnums,) if isinstance(
      static_argnums, int) else static_argnums))

  def run(module, body, variables, rngs, args, kwargs):
    def pure(variables, rngs, *args):
      return body(variables, rngs, *args, **kwargs)
    fn = morphax.checkpoint(pure, prevent_cse=prevent_cse, policy=policy,
                            static_argnums=static)
    return fn(variables, rngs, *args)

  return _lift(target, 'Checkpoint', run, methods)


checkpoint = remat


def jit(target, variables=True, rngs=True, static_argnums=(),
        static_argnames=(), donate_argnums=(), device=None, backend=None,
        methods=None):
  """A module class whose calls are compiled with morphax.jit (one
  compiled program per module configuration and input signature)."""
  del variables, rngs, device, backend, donate_argnums
  static = tuple(i + 2 for i in ((static_argnums,) if isinstance(
      static_argnums, int) else static_argnums))
  cache = {}

  def run(module, body, variables, rngs, args, kwargs):
    store = module.scope.store
    key = (type(module), repr(_fields(module)), repr(store.mutable),
           store.initializing, bool(store.capture), tuple(sorted(kwargs)))
    fn = cache.get(key)
    if fn is None:
      fn = cache[key] = morphax.jit(
          lambda variables, rngs, *args, **kw: body(variables, rngs, *args,
                                                    **kw),
          static_argnums=static, static_argnames=static_argnames)
    return fn(variables, rngs, *args, **kwargs)

  return _lift(target, 'Jit', run, methods)

