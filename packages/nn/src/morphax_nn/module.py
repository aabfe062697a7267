"""Module: a dataclass of hyperparameters whose methods read variables
from the `Scope` that `init`/`apply`/`bind` hand it (linen's API).

How a module finds its parent: while a bound module runs `setup()` or a
`@compact` method it sits on `_CONTEXT.stack` (below); a submodule built
there takes the top of the stack as its parent, which is how `Dense(3)(x)`
inside a compact method gets the name `Dense_0` without being told. This is
the only implicit state; it is a plain list, pushed and popped by
`_call_method`.
"""

import dataclasses
import functools
import inspect
import re
import typing

import morphax

from . import scope as scope_lib
from . import summary
from .errors import (ApplyScopeInvalidVariablesStructureError,
                     CallCompactUnboundModuleError, NameInUseError,
                     ScopeParamShapeError, ScopeVariableNotFoundError,
                     SetAttributeFrozenModuleError)
from .scope import DenyList, Scope, Store, path_str

NAME_IN_USE = ('Could not create {kind} "{name}" in Module {module} at '
               '"{path}": Name in use. Give each param, variable and '
               'submodule of a module its own name.')
UNBOUND = (
    'Can\'t call "{method}" of the unbound module {module}: {what} needs '
    'variables. Use model.init(rngs, *args) / model.apply(variables, *args) '
    '(or model.bind(variables)) instead of calling the module directly.')
PARAM_SHAPE = (
    'For parameter "{name}" in "{path}", the given initializer is expected to '
    'generate shape {expected}, but the existing parameter it received has '
    'shape {got}. The input to {module} probably has a different shape than '
    'at init (shapes in the params tree: {got}; from this input: {expected}).')
FROZEN = ('Can\'t set {name}={value!r} on Module {module}: a module is '
          'frozen outside setup(). Use module.clone({name}=...) instead.')
BAD_VARIABLES = (
    'Expect the `variables` (first argument) passed to apply() to be a dict '
    'with the structure {{"params": ...}}, but got a dict with keys {keys}. '
    'If you passed variables["params"], pass the whole variables dict '
    '(or wrap it: {{"params": params}}).')
VARIABLE_NOT_FOUND = (
    'No variable "{name}" in collection "{col}" at "{path}", and the '
    'collection is immutable so it can\'t be created. Pass the variables '
    'from init() or mutable=["{col}"].')

_KNOWN_COLLECTIONS = ('params', 'batch_stats', 'cache', 'intermediates',
                      'losses', 'constants', 'perturbations')


_AUTO_NAME = re.compile(r'^[A-Z]\w*_\d+$')


class _Unspecified:
  def __repr__(self):
    return '_UNSPECIFIED'


_UNSPECIFIED = _Unspecified()


class _Context:
  """The modules now running setup() or a compact method, innermost last."""

  def __init__(self):
    self.stack = []

  def current_parent(self):
    return self.stack[-1] if self.stack else None


_CONTEXT = _Context()


def compact(fun):
  """Marks the one method of a module that defines submodules inline."""
  fun.compact = True
  return fun


def nowrap(fun):
  """Marks a method as a plain helper (no setup, no context push)."""
  fun.nowrap = True
  return fun


class _ModuleState:
  """Per-instance binding state (not a dataclass field)."""

  def __init__(self):
    self.scope = None
    self.setup_done = False
    self.in_setup = False
    self.compact_depth = 0
    self.autoname = {}        # class name -> next index, this compact call
    self.call_names = set()   # names used in this compact call
    self.setup_names = set()  # names used in setup()


_API_NAMES = frozenset((
    'setup', 'param', 'variable', 'make_rng', 'sow', 'put_variable',
    'get_variable', 'has_variable', 'has_rng', 'is_mutable_collection',
    'is_initializing', 'init', 'init_with_output', 'apply', 'bind', 'unbind',
    'clone', 'tabulate', 'lazy_init', 'perturb', 'copy'))


def _wrap_method(name, fun):
  """Runs `fun` as a module method: lazy setup, context push, hooks."""
  is_compact = getattr(fun, 'compact', False)

  @functools.wraps(fun)
  def wrapped(self, *args, **kwargs):
    return self._call_method(name, fun, is_compact, args, kwargs)
  wrapped.method_handler_wrapped = True
  return wrapped


def _should_wrap(name, value):
  if not inspect.isfunction(value) or name in _API_NAMES:
    return False
  if getattr(value, 'nowrap', False):
    return False
  if getattr(value, 'method_handler_wrapped', False):
    return False
  return name == '__call__' or not name.startswith('_')


@dataclasses.dataclass(eq=False, repr=False)
class Module:
  """Base class of all layers: subclasses are dataclasses of
  hyperparameters; variables come from `init`/`apply`.

  Example:
    >>> class MLP(Module):
    ...   features: int
    ...   @compact
    ...   def __call__(self, x):
    ...     return Dense(self.features)(relu(Dense(16)(x)))
    >>> variables = MLP(3).init(morphax_rng.PRNGKey(0), x)
    >>> y = MLP(3).apply(variables, x)
  """

  parent: typing.Any = dataclasses.field(default=_UNSPECIFIED, kw_only=True,
                                         repr=False)
  name: typing.Optional[str] = dataclasses.field(default=None, kw_only=True)

  def __init_subclass__(cls, **kwargs):
    super().__init_subclass__(**kwargs)
    fields = cls.__dict__.get('__annotations__', {})
    for attr, value in list(cls.__dict__.items()):
      if attr not in fields and _should_wrap(attr, value):
        setattr(cls, attr, _wrap_method(attr, value))
    dataclasses.dataclass(cls, eq=False, repr=False)

  def __post_init__(self):
    object.__setattr__(self, '_state', _ModuleState())
    parent = self.parent
    if parent is _UNSPECIFIED:
      parent = _CONTEXT.current_parent()
    object.__setattr__(self, 'parent', parent)
    if isinstance(parent, Scope):
      self._state.scope = parent
    elif isinstance(parent, Module) and parent._state.scope is not None:
      if parent._state.in_setup:
        if self.name is not None:    # otherwise named by setup's assignment
          parent._register_child(self, self.name)
      else:
        name = self.name
        if name is None:
          name = parent._next_autoname(type(self).__name__)
        parent._register_child(self, name)

  def __repr__(self):
    fields = ', '.join(f'{f.name}={getattr(self, f.name)!r}'
                       for f in dataclasses.fields(self)
                       if f.repr and f.name != 'name')
    return f'{type(self).__name__}({fields})'

  # --- binding -------------------------------------------------------------
  def _next_autoname(self, cls_name):
    index = self._state.autoname.get(cls_name, 0)
    self._state.autoname[cls_name] = index + 1
    return f'{cls_name}_{index}'

  def _reserve(self, name, kind):
    state = self._state
    names = state.setup_names if state.in_setup else state.call_names
    if name in state.setup_names or name in state.call_names:
      raise NameInUseError(NAME_IN_USE.format(
          kind=kind, name=name, module=type(self).__name__,
          path=path_str(state.scope.full_path)))
    names.add(name)

  def _register_child(self, child, name):
    self._reserve(name, 'submodule')
    object.__setattr__(child, 'name', name)
    object.__setattr__(child, 'parent', self)
    child._state.scope = self._state.scope.child(name)

  def _adopt(self, attr, value):
    """Binds submodules assigned in setup (or given as fields) by name."""
    if isinstance(value, Module):
      if value.parent in (self, None) and value._state.scope is None:
        if value.name is None:
          self._register_child(value, attr)
        else:
          self._register_child(value, value.name)
    elif isinstance(value, (list, tuple)):
      for i, item in enumerate(value):
        self._adopt(f'{attr}_{i}', item)
    elif isinstance(value, dict):
      for key, item in value.items():
        self._adopt(f'{attr}_{key}', item)

  def __setattr__(self, name, value):
    state = self.__dict__.get('_state')
    if state is None:          # dataclass __init__
      object.__setattr__(self, name, value)
      return
    if not state.in_setup:
      raise SetAttributeFrozenModuleError(FROZEN.format(
          name=name, value=value, module=type(self).__name__))
    self._adopt(name, value)
    object.__setattr__(self, name, value)

  def __getattr__(self, name):
    # Lazy setup (why: linen runs setup() on first use, so submodules built
    # there only create variables when some method actually runs).
    state = self.__dict__.get('_state')
    if (state is not None and state.scope is not None and
        not state.setup_done):
      self._try_setup()
      if name in self.__dict__:
        return self.__dict__[name]
    raise AttributeError(
        f'"{type(self).__name__}" object has no attribute "{name}"')

  def _try_setup(self):
    state = self._state
    if state.setup_done or state.scope is None:
      return
    state.setup_done = True
    state.in_setup = True
    _CONTEXT.stack.append(self)
    try:
      for field in dataclasses.fields(self):
        if field.name not in ('parent', 'name'):
          self._adopt(field.name, getattr(self, field.name))
      self.setup()
    finally:
      _CONTEXT.stack.pop()
      state.in_setup = False

  def setup(self):
    """Defines submodules and variables; runs lazily, once per binding."""

  def _call_method(self, name, fun, is_compact, args, kwargs):
    state = self._state
    if state.scope is None:
      if is_compact:
        raise CallCompactUnboundModuleError(UNBOUND.format(
            method=name, module=type(self).__name__,
            what='this compact method'))
      return fun(self, *args, **kwargs)
    self._try_setup()
    if is_compact and state.compact_depth == 0:
      state.autoname = {}
      state.call_names = set()
    state.compact_depth += is_compact
    store = state.scope.store
    entry = None
    if store.call_log is not None:     # tabulate(): calls in pre-order
      entry = [state.scope.path, self, name, args, kwargs, None]
      store.call_log.append(entry)
    _CONTEXT.stack.append(self)
    try:
      out = fun(self, *args, **kwargs)
    finally:
      _CONTEXT.stack.pop()
      state.compact_depth -= is_compact
    if entry is not None:
      entry[5] = out
    if store.capture and name == '__call__' and (
        store.capture is True or store.capture(self, name)):
      self.sow('intermediates', name, out)
    return out

  def clone(self, *, parent=None, **updates):
    """A copy with some fields replaced (unbound unless `parent` is given)."""
    values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
              if f.init}
    values.update(updates)
    values['parent'] = parent
    return type(self)(**values)

  copy = clone

  @property
  def path(self):
    """The tuple of names from the root to this bound module."""
    return self._require_scope('path').path

  @property
  def scope(self):
    return self._state.scope

  def _require_scope(self, what):
    scope = self._state.scope
    if scope is None:
      raise CallCompactUnboundModuleError(UNBOUND.format(
          method=what, module=type(self).__name__, what=f'"{what}"'))
    return scope

  # --- variables -----------------------------------------------------------
  def param(self, name, init_fn, *init_args, unbox=True, **init_kwargs):
    """Declares (at init) or reads (at apply) parameter `name`.

    Args:
      name: the parameter's name in this module's 'params' dict.
      init_fn: `init_fn(key, *init_args)` builds its value at init.
    Returns:
      the parameter's value.
    """
    del unbox
    scope = self._require_scope('param')
    self._reserve(name, 'param')
    if scope.has('params', name):
      value = scope.get('params', name)
      if not scope.store.initializing:
        self._check_param_shape(name, value, init_fn, init_args, init_kwargs)
      return value
    if not scope.is_mutable('params'):
      return scope.get('params', name)        # raises the not-found error
    value = init_fn(self.make_rng('params'), *init_args, **init_kwargs)
    scope.put('params', name, value)
    return value

  def _check_param_shape(self, name, value, init_fn, init_args, init_kwargs):
    got = getattr(value, 'shape', None)
    if got is None:
      return
    try:
      expected = morphax.eval_shape(
          lambda key: init_fn(key, *init_args, **init_kwargs),
          scope_lib.dummy_key_struct())
    except Exception:   # an initializer that can't be traced: no check
      return
    exp_shapes = [tuple(leaf.shape) for leaf in
                  morphax.tree_util.tree_leaves(expected)]
    if len(exp_shapes) == 1 and exp_shapes[0] != tuple(got):
      raise ScopeParamShapeError(PARAM_SHAPE.format(
          name=name, path=path_str(self._state.scope.full_path),
          expected=exp_shapes[0], got=tuple(got),
          module=type(self).__name__))

  def variable(self, col, name, init_fn=None, *init_args, unbox=True,
               **init_kwargs):
    """Declares or reads variable `name` of collection `col`.

    Returns:
      a `Variable` whose `.value` reads and (when `col` is mutable) writes it.
    """
    del unbox
    scope = self._require_scope('variable')
    self._reserve(name, 'variable')
    if not scope.has(col, name):
      if not scope.is_mutable(col) or init_fn is None:
        raise ScopeVariableNotFoundError(VARIABLE_NOT_FOUND.format(
            name=name, col=col, path=path_str(scope.full_path)))
      scope.put(col, name, init_fn(*init_args, **init_kwargs))
    return Variable(scope, col, name)

  def has_variable(self, col, name):
    """Whether variable `name` exists in collection `col` here."""
    return self._require_scope('has_variable').has(col, name)

  def get_variable(self, col, name, default=None):
    """The value of variable `name` in `col`, or `default`."""
    scope = self._require_scope('get_variable')
    return scope.get(col, name) if scope.has(col, name) else default

  def put_variable(self, col, name, value):
    """Sets variable `name` of the mutable collection `col`."""
    self._require_scope('put_variable').put(col, name, value)

  def sow(self, col, name, value, reduce_fn=lambda xs, x: xs + (x,),
          init_fn=lambda: ()):
    """Appends `value` to variable `name` of `col` if `col` is mutable.

    Returns:
      True if it was stored, False if `col` is immutable.
    """
    scope = self._require_scope('sow')
    if not scope.is_mutable(col):
      return False
    xs = scope.get(col, name) if scope.has(col, name) else init_fn()
    scope.put(col, name, reduce_fn(xs, value))
    return True

  def make_rng(self, name='params'):
    """A fresh PRNG key from stream `name`, unique to this module and call."""
    return self._require_scope('make_rng').make_rng(name)

  def has_rng(self, name):
    """Whether init/apply was given rng stream `name`."""
    return self._require_scope('has_rng').has_rng(name)

  def is_mutable_collection(self, col):
    """Whether collection `col` may be written in this init/apply."""
    return self._require_scope('is_mutable_collection').is_mutable(col)

  def is_initializing(self):
    """True inside `init`/`init_with_output`."""
    return self._require_scope('is_initializing').store.initializing

  @property
  def variables(self):
    """This module's variables: {collection: subtree}."""
    scope = self._require_scope('variables')
    out = {}
    for col in scope.store.variables:
      tree = scope.collection(col)
      if tree:
        out[col] = tree
    return out

  # --- init / apply ----------------------------------------------------------
  def _run(self, store, method, args, kwargs):
    root = self.clone(parent=Scope(store))
    fun = _resolve_method(root, method)
    return fun(*args, **kwargs)

  def init_with_output(self, rngs, *args, method=None,
                       mutable=DenyList('intermediates'),
                       capture_intermediates=False, **kwargs):
    """Runs `method` (default `__call__`) creating variables.

    Returns:
      `(output, variables)`.
    """
    store = Store({}, rngs, mutable, initializing=True,
                  capture=capture_intermediates)
    out = self._run(store, method, args, kwargs)
    return out, store.mutated()

  def init(self, rngs, *args, method=None, mutable=DenyList('intermediates'),
           capture_intermediates=False, **kwargs):
    """Creates the variables of this module for inputs `args`.

    Args:
      rngs: a PRNG key (the 'params' stream) or a dict {stream: key}.
      *args: example inputs.
    Returns:
      the variables, a dict like {'params': {...}, 'batch_stats': {...}}.
    """
    return self.init_with_output(
        rngs, *args, method=method, mutable=mutable,
        capture_intermediates=capture_intermediates, **kwargs)[1]

  def apply(self, variables, *args, rngs=None, method=None, mutable=False,
            capture_intermediates=False, **kwargs):
    """Runs `method` (default `__call__`) with the given variables.

    Args:
      variables: {collection: tree}, as returned by `init`.
      rngs: a key or {stream: key} for `make_rng` (e.g. 'dropout').
      mutable: collections that may change (bool, name, list, DenyList).
    Returns:
      the output, or `(output, updated_collections)` when `mutable`.
    """
    _check_variables(variables)
    store = Store(variables, rngs, mutable, capture=capture_intermediates)
    out = self._run(store, method, args, kwargs)
    if mutable is False:
      return out
    return out, store.mutated()

  def bind(self, variables, *args, rngs=None, mutable=False):
    """A copy of this module bound to `variables`, for interactive use."""
    del args
    _check_variables(variables)
    return self.clone(parent=Scope(Store(variables, rngs, mutable)))

  def unbind(self):
    """`(unbound_module, variables)` of a bound module."""
    scope = self._require_scope('unbind')
    variables = {col: scope.collection(col) for col in scope.store.variables}
    return self.clone(), {k: v for k, v in variables.items() if v}

  def tabulate(self, rngs, *args, depth=None, **kwargs):
    """A text table of submodules, shapes and parameter counts (see
    `morphax_nn.tabulate`)."""
    return summary.tabulate(self, rngs, depth=depth)(*args, **kwargs)


def _resolve_method(module, method):
  if method is None:
    return module.__call__
  if isinstance(method, str):
    return getattr(module, method)
  if inspect.ismethod(method):        # model.apply(v, x, method=model.encode)
    method = method.__func__
  return functools.partial(method, module)


def _check_variables(variables):
  if not isinstance(variables, dict) and type(variables).__name__ != \
      'FrozenDict':
    raise ApplyScopeInvalidVariablesStructureError(BAD_VARIABLES.format(
        keys=type(variables).__name__))
  # Collections map names to dicts; a params tree passed without its
  # {'params': ...} wrapper shows leaves or auto-named submodules at the top.
  not_dicts = [k for k, v in variables.items() if not _is_dict(v)]
  auto_named = [k for k in variables if _AUTO_NAME.match(str(k))]
  extra_layer = 'params' in variables and _is_dict(variables['params']) and \
      'params' in variables['params']
  if not_dicts or extra_layer or (auto_named and not any(
      col in _KNOWN_COLLECTIONS for col in variables)):
    raise ApplyScopeInvalidVariablesStructureError(BAD_VARIABLES.format(
        keys=sorted(variables)))


def _is_dict(x):
  return isinstance(x, dict) or type(x).__name__ == 'FrozenDict'


class Variable:
  """A handle on one variable: `.value` reads it, assigning writes it."""

  def __init__(self, scope, col, name):
    self.scope = scope
    self.collection = col
    self.name = name

  @property
  def value(self):
    return self.scope.get(self.collection, self.name)

  @value.setter
  def value(self, new):
    self.scope.put(self.collection, self.name, new)

  def is_mutable(self):
    return self.scope.is_mutable(self.collection)

  def __repr__(self):
    return f'Variable({self.collection}/{self.name})'
