"""tabulate: a text table of a model's submodules, shapes and parameters.

It records the module calls of one shape-only init (morphax.eval_shape).
"""

import math

import numpy as np

import morphax

from .scope import DenyList, Scope, Store, path_str


def _shape_str(x):
  """'float32[2,3]' for arrays; nested for tuples/dicts; repr otherwise."""
  if hasattr(x, 'shape') and hasattr(x, 'dtype'):
    return f'{np.dtype(x.dtype).name}[{",".join(map(str, x.shape))}]'
  if isinstance(x, (tuple, list)):
    return ', '.join(_shape_str(v) for v in x)
  if isinstance(x, dict):
    return ', '.join(f'{k}: {_shape_str(v)}' for k, v in x.items())
  return repr(x)


def _count(tree):
  leaves = morphax.tree_util.tree_leaves(tree)
  size = sum(math.prod(leaf.shape) for leaf in leaves)
  nbytes = sum(math.prod(leaf.shape) * np.dtype(leaf.dtype).itemsize
               for leaf in leaves)
  return size, nbytes


def _bytes_str(n):
  for unit, scale in (('GB', 1e9), ('MB', 1e6), ('KB', 1e3)):
    if n >= scale:
      return f'{n / scale:.1f} {unit}'
  return f'{n} B'


def _own(tree):
  """The leaves directly in this module's dict (not its submodules')."""
  return {k: v for k, v in tree.items() if not isinstance(v, dict)}


def _subtree(variables, col, path):
  node = variables.get(col, {})
  for name in path:
    node = node.get(name, {}) if isinstance(node, dict) else {}
  return node if isinstance(node, dict) else {}


def _table(header, rows):
  widths = [max(len(line) for r in [header] + rows for line in
                r[i].split('\n')) for i in range(len(header))]
  sep = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'

  def fmt(row):
    lines = [cell.split('\n') for cell in row]
    height = max(len(c) for c in lines)
    out = []
    for j in range(height):
      out.append('| ' + ' | '.join(
          (c[j] if j < len(c) else '').ljust(w)
          for c, w in zip(lines, widths)) + ' |')
    return '\n'.join(out)
  body = [sep, fmt(header), sep.replace('-', '=')]
  for row in rows:
    body += [fmt(row), sep]
  return '\n'.join(body)


def tabulate(module, rngs, depth=None, mutable=DenyList('intermediates')):
  """A function `(*args, **kwargs) -> str`: a table with one row per module
  call (path, module class, inputs, outputs, its variables with counts and
  bytes) and the total parameter count, from an init with `rngs`.

  Example:
    >>> print(nn.tabulate(model, key)(x))
  """
  def run(*args, **kwargs):
    calls = []

    def traced(*args):
      # Under eval_shape: shapes only, nothing is computed or compiled.
      store = Store({}, rngs, mutable, initializing=True)
      store.call_log = []
      module.clone(parent=Scope(store))(*args, **kwargs)
      calls.extend((path, mod, method, _shape_str(call_args), _shape_str(out))
                   for path, mod, method, call_args, _, out in store.call_log)
      return store.variables
    variables = morphax.eval_shape(traced, *args)
    cols = sorted(variables, key=lambda c: (c != 'params', c))
    header = ['path', 'module', 'inputs', 'outputs'] + cols
    rows, seen = [], set()
    for path, mod, method, inputs, outputs in calls:
      if (path, method) in seen or (depth is not None and len(path) > depth):
        continue
      seen.add((path, method))
      name = type(mod).__name__ + ('' if method == '__call__' else
                                   f'.{method}')
      cells = [path_str(path)[1:], name, inputs, outputs]
      for col in cols:
        own = _own(_subtree(variables, col, path))
        if not own:
          cells.append('')
          continue
        lines = [f'{k}: {_shape_str(v)}' for k, v in sorted(own.items())]
        size, nbytes = _count(own)
        lines.append(f'{size:,} ({_bytes_str(nbytes)})')
        cells.append('\n'.join(lines))
      rows.append(cells)
    totals = ['', '', '', 'Total']
    for col in cols:
      size, nbytes = _count(variables[col])
      totals.append(f'{size:,} ({_bytes_str(nbytes)})')
    rows.append(totals)
    size, nbytes = _count(variables.get('params', {}))
    title = f'{type(module).__name__} Summary'
    return (f'{title}\n{_table(header, rows)}\n\n'
            f'Total Parameters: {size:,} ({_bytes_str(nbytes)})\n')
  return run
