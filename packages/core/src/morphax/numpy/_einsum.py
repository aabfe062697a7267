"""einsum: Einstein-summation strings parsed into diagonals, sums and
pairwise lax.dot_general contractions, in a greedy cheapest-first order.
"""

import string

from .. import lax
from . import _linalg, _manipulation, _util

__all__ = ["einsum"]

RANK_MESSAGE = (
    "einsum: operand {i} has rank {ndim} but its subscripts {term!r} name "
    "{n} axes")
SIZE_MESSAGE = (
    "einsum: index {label!r} has size {a} in one operand and {b} in another "
    "(operand {i})")
ELLIPSIS_OUTPUT_MESSAGE = (
    "einsum: the inputs have broadcast ('...') axes but the output "
    "subscripts {out!r} have no '...' to put them in")


def _parse(subscripts, ndims):
  """(input label lists, output label list) with '...' spelled out."""
  subscripts = subscripts.replace(" ", "")
  if "->" in subscripts:
    lhs, out = subscripts.split("->", 1)
    if "->" in out:
      raise ValueError(f"einsum: subscripts {subscripts!r} have more than one '->'")
  else:
    lhs, out = subscripts, None
  terms = lhs.split(",")
  if len(terms) != len(ndims):
    raise ValueError(f"einsum: the subscripts {subscripts!r} name {len(terms)} "
                     f"operands but {len(ndims)} were given")
  for term in terms + ([out] if out is not None else []):
    for c in term.replace("...", ""):
      if c not in string.ascii_letters:
        raise ValueError(f"einsum: invalid subscript character {c!r} in {subscripts!r}")
    if term.count("...") > 1:
      raise ValueError(f"einsum: more than one '...' in {term!r}")
  used = set(subscripts)
  pool = [c for c in string.ascii_letters if c not in used]
  ellipsis_ranks = []
  for i, (term, ndim) in enumerate(zip(terms, ndims)):
    n = len(term.replace("...", ""))
    r = ndim - n if "..." in term else 0
    if r < 0 or ("..." not in term and n != ndim):
      raise ValueError(RANK_MESSAGE.format(i=i, ndim=ndim, term=term, n=n))
    ellipsis_ranks.append(r)
  rank = max(ellipsis_ranks, default=0)
  if rank > len(pool):
    raise ValueError("einsum: too many axes for the available index letters")
  ell = pool[:rank]
  inputs = []
  for i, (term, r) in enumerate(zip(terms, ellipsis_ranks)):
    labels = list(term.replace("...", "\0"))
    if "\0" in labels:
      k = labels.index("\0")
      labels[k:k + 1] = ell[rank - r:]
    inputs.append(labels)
  if out is None:
    counts = {}
    for labels in inputs:
      for c in labels:
        counts[c] = counts.get(c, 0) + 1
    output = ell + sorted(c for c, n in counts.items() if n == 1 and c not in ell)
  else:
    if rank and "..." not in out:
      raise ValueError(ELLIPSIS_OUTPUT_MESSAGE.format(out=out))
    output = list(out.replace("...", "\0"))
    if "\0" in output:
      k = output.index("\0")
      output[k:k + 1] = ell
    seen = set()
    all_inputs = set().union(*inputs) if inputs else set()
    for c in output:
      if c in seen:
        raise ValueError(f"einsum: output index {c!r} appears more than once in {out!r}")
      if c not in all_inputs:
        raise ValueError(f"einsum: output index {c!r} does not appear in the inputs")
      seen.add(c)
  return inputs, output


def _check_sizes(operands, inputs):
  """Each label's size agrees across operands (size 1 broadcasts)."""
  sizes = {}
  for i, (x, labels) in enumerate(zip(operands, inputs)):
    for c, d in zip(labels, x.aval.shape):
      known = sizes.get(c)
      if known is None or known == 1:
        sizes[c] = d
      elif d != 1 and d != known:
        raise ValueError(SIZE_MESSAGE.format(label=c, a=known, b=d, i=i))
  return sizes


def _take_diagonals(x, labels):
  """A label repeated within one operand ('ii') selects its diagonal."""
  labels = list(labels)
  while True:
    repeated = next((c for c in labels if labels.count(c) > 1), None)
    if repeated is None:
      return x, labels
    first = labels.index(repeated)
    second = labels.index(repeated, first + 1)
    x = _manipulation.diagonal(x, 0, first, second)
    labels = [c for k, c in enumerate(labels) if k not in (first, second)] + [repeated]


def _greedy_pair(ops, keep_out, sizes):
  """The pair of operands whose contraction leaves the smallest result
  (then: costs the fewest multiply-adds): opt_einsum's greedy rule."""
  best = None
  for i in range(len(ops)):
    for j in range(i + 1, len(ops)):
      others = set(keep_out).union(*(set(l) for k, (_, l) in enumerate(ops) if k not in (i, j)))
      li, lj = set(ops[i][1]), set(ops[j][1])
      result = (li | lj) & others
      size = 1
      for c in result:
        size *= sizes[c]
      flops = 1
      for c in li | lj:
        flops *= sizes[c]
      key = (size, flops, i, j)
      if best is None or key < best:
        best = key
  return best[2], best[3]


def _sum_labels(x, labels, drop):
  """Sums `x` over the axes whose labels are in `drop`."""
  axes = tuple(i for i, c in enumerate(labels) if c in drop)
  if not axes:
    return x, labels
  return lax.reduce_sum(x, axes), [c for c in labels if c not in drop]


def _squeeze_label(x, labels, label):
  axis = labels.index(label)
  return lax.squeeze(x, (axis,)), labels[:axis] + labels[axis + 1:]


def _contract_pair(a, la, b, lb, keep, precision, preferred):
  """a and b contracted over their shared labels not in `keep`; shared
  labels in `keep` become batch axes. Returns (array, labels)."""
  a, la = _sum_labels(a, la, set(la) - set(lb) - keep)
  b, lb = _sum_labels(b, lb, set(lb) - set(la) - keep)
  # A shared label of size 1 on one side broadcasts against the other.
  for c in [c for c in la if c in lb]:
    da, db = a.aval.shape[la.index(c)], b.aval.shape[lb.index(c)]
    if da == db:
      continue
    if c in keep:
      if da == 1:
        shape = list(a.aval.shape)
        shape[la.index(c)] = db
        a = lax.broadcast_in_dim(a, tuple(shape), tuple(range(len(shape))))
      else:
        shape = list(b.aval.shape)
        shape[lb.index(c)] = da
        b = lax.broadcast_in_dim(b, tuple(shape), tuple(range(len(shape))))
    elif da == 1:
      a, la = _squeeze_label(a, la, c)
      b, lb = _sum_labels(b, lb, {c})
    else:
      b, lb = _squeeze_label(b, lb, c)
      a, la = _sum_labels(a, la, {c})
  shared = [c for c in la if c in lb]
  batch = [c for c in shared if c in keep]
  contract = [c for c in shared if c not in keep]
  dims = ((tuple(la.index(c) for c in contract), tuple(lb.index(c) for c in contract)),
          (tuple(la.index(c) for c in batch), tuple(lb.index(c) for c in batch)))
  out = _linalg.dot_general("einsum", a, b, dims, precision, preferred)
  labels = batch + [c for c in la if c not in shared] + [c for c in lb if c not in shared]
  return out, labels


def einsum(subscripts, /, *operands, out=None, optimize="auto", precision=None,
           preferred_element_type=None):
  """Einstein summation over `operands` as `subscripts` describe.

  Supports explicit ('ij,jk->ik') and implicit ('ij,jk') outputs, '...'
  for broadcast axes, repeated indices within an operand (traces and
  diagonals, 'ii->i'), and any number of operands. With `optimize` (the
  default 'auto', or True/'greedy') operands are contracted pairwise in a
  greedy order, each step taking the pair with the smallest result, as
  opt_einsum's greedy path does; `optimize=False` contracts left to right.

  >>> jnp.einsum('bij,bjk->bik', x, y)      # batched matmul
  """
  if out is not None:
    raise NotImplementedError("einsum: the out argument is not supported")
  if not isinstance(subscripts, str):
    raise NotImplementedError(
        "einsum: only the subscripts-string form is supported, e.g. "
        "einsum('ij,jk->ik', a, b); the interleaved (operand, sublist) form "
        "is not")
  if not operands:
    raise ValueError("einsum: at least one operand is required")
  operands = _util.promote_dtypes("einsum", *operands)
  inputs, output = _parse(subscripts, [x.aval.ndim for x in operands])
  _check_sizes(operands, inputs)
  diagonals = [_take_diagonals(x, labels) for x, labels in zip(operands, inputs)]
  operands = [x for x, _ in diagonals]
  inputs = [labels for _, labels in diagonals]
  sizes = _check_sizes(operands, inputs)
  preferred = _linalg._preferred(preferred_element_type)
  keep_out = set(output)
  # Labels only one operand has, and the output lacks, are summed first.
  ops = []
  for i, (x, labels) in enumerate(zip(operands, inputs)):
    others = set(keep_out).union(*(set(l) for j, l in enumerate(inputs) if j != i))
    ops.append(_sum_labels(x, labels, set(labels) - others))
  greedy = optimize not in (False, None, "none")
  while len(ops) > 1:
    i, j = _greedy_pair(ops, keep_out, sizes) if greedy else (0, 1)
    rest = [op for k, op in enumerate(ops) if k not in (i, j)]
    keep = set(keep_out).union(*(set(l) for _, l in rest))
    pair = _contract_pair(*ops[i], *ops[j], keep, precision, preferred)
    ops = ([pair] + rest) if not greedy else (rest + [pair])
  acc, acc_labels = ops[0]
  acc, acc_labels = _sum_labels(acc, acc_labels, set(acc_labels) - keep_out)
  perm = tuple(acc_labels.index(c) for c in output)
  if perm != tuple(range(len(perm))):
    acc = lax.transpose(acc, perm)
  if preferred is not None and acc.aval.dtype != preferred:
    acc = _util.convert(acc, preferred, False, "einsum")
  return acc
