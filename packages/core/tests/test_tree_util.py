"""Pytrees (core/tree.py) through morphax.tree_util and morphax.tree, as tables."""

import collections
import dataclasses
import functools
import operator
import pickle

import numpy as np
import pytest

import morphax
import morphax.tree as mt
import morphax.tree_util as tu
from morphax.tree_util import DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey

Point = collections.namedtuple("Point", "x y")


class Box:
  """A custom node registered without keys: children get FlattenedIndexKey."""

  def __init__(self, a, b, tag="t"):
    self.a, self.b, self.tag = a, b, tag

  def __eq__(self, other):
    return (type(other) is Box and self.tag == other.tag
            and (self.a, self.b) == (other.a, other.b))


tu.register_pytree_node(Box, lambda b: ((b.a, b.b), b.tag),
                        lambda tag, ch: Box(*ch, tag=tag))


class Named:
  """A custom node registered with keys."""

  def __init__(self, w, b):
    self.w, self.b = w, b

  def __eq__(self, other):
    return type(other) is Named and (self.w, self.b) == (other.w, other.b)


tu.register_pytree_with_keys(
    Named, lambda n: (((GetAttrKey("w"), n.w), (GetAttrKey("b"), n.b)), None),
    lambda _, ch: Named(*ch))


@tu.register_pytree_node_class
class Pair:
  def __init__(self, first, second):
    self.first, self.second = first, second

  def __eq__(self, other):
    return type(other) is Pair and (self.first, self.second) == (other.first, other.second)

  def tree_flatten(self):
    return (self.first, self.second), None

  @classmethod
  def tree_unflatten(cls, aux, children):
    return cls(*children)


@tu.register_pytree_with_keys_class
class Keyed:
  def __init__(self, v):
    self.v = v

  def __eq__(self, other):
    return type(other) is Keyed and self.v == other.v

  def tree_flatten_with_keys(self):
    return ((DictKey("v"), self.v),), "aux"

  @classmethod
  def tree_unflatten(cls, aux, children):
    return cls(*children)


@tu.register_dataclass
@dataclasses.dataclass
class Layer:
  w: object
  b: object
  act: str = mt.static(default="relu")


@functools.partial(tu.register_dataclass, data_fields=["x"], meta_fields=["n"])
@dataclasses.dataclass
class Explicit:
  x: object
  n: int


@tu.register_static
@dataclasses.dataclass(frozen=True)
class Config:
  name: str


defaults = collections.defaultdict(list, {"b": 2, "a": 1})

# (tree, leaves, str(treedef)): dicts flatten by sorted key, OrderedDict in its
# order, None is a node with no children.
FLATTEN_CASES = [
    (1, [1], "PyTreeDef(*)"),
    (None, [], "PyTreeDef(None)"),
    ((), [], "PyTreeDef(())"),
    ([], [], "PyTreeDef([])"),
    ({}, [], "PyTreeDef({})"),
    ([1, None, (2, 3)], [1, 2, 3], "PyTreeDef([*, None, (*, *)])"),
    ({"b": 2, "a": [1, None]}, [1, 2], "PyTreeDef({'a': [*, None], 'b': *})"),
    (Point(1, (2, 3)), [1, 2, 3], "PyTreeDef(CustomNode(namedtuple[Point], [*, (*, *)]))"),
    (collections.OrderedDict([("z", 1), ("a", 2)]), [1, 2],
     "PyTreeDef(CustomNode(OrderedDict[('z', 'a')], [*, *]))"),
    (defaults, [1, 2], "PyTreeDef(CustomNode(defaultdict[(<class 'list'>, ('a', 'b'))], [*, *]))"),
    (Box(1, Box([2], None, "in"), "out"), [1, 2],
     "PyTreeDef(CustomNode(Box[out], [*, CustomNode(Box[in], [[*], None])]))"),
    (Named(1, {"k": 2}), [1, 2], "PyTreeDef(CustomNode(Named[None], [*, {'k': *}]))"),
    (Pair(1, [2]), [1, 2], "PyTreeDef(CustomNode(Pair[None], [*, [*]]))"),
    (Keyed(5), [5], "PyTreeDef(CustomNode(Keyed[aux], [*]))"),
    (Layer(1, 2), [1, 2], "PyTreeDef(CustomNode(Layer[('relu',)], [*, *]))"),
    (Explicit([1, 2], 3), [1, 2], "PyTreeDef(CustomNode(Explicit[(3,)], [[*, *]]))"),
    ([Config("c"), 1], [1], "PyTreeDef([CustomNode(Config[Config(name='c')], []), *])"),
]


@pytest.mark.parametrize("tree, leaves, treedef_str", FLATTEN_CASES)
def test_flatten_leaves_structure_roundtrip(tree, leaves, treedef_str):
  flat, treedef = tu.tree_flatten(tree)
  assert flat == leaves
  assert str(treedef) == treedef_str
  assert tu.tree_leaves(tree) == leaves == mt.leaves(tree)
  assert tu.tree_structure(tree) == treedef == mt.structure(tree)
  assert treedef.num_leaves == len(leaves)
  rebuilt = tu.tree_unflatten(treedef, flat)
  assert rebuilt == tree and type(rebuilt) is type(tree)
  assert mt.unflatten(*mt.flatten(tree)[::-1]) == tree


# (tree, keystr of each leaf's path)
PATH_CASES = [
    (1, [""]),
    ({"a": [1, (2, None)], "b": 3}, ["['a'][0]", "['a'][1][0]", "['b']"]),
    ({"a": [Point(1, 2)]}, ["['a'][0].x", "['a'][0].y"]),
    (collections.OrderedDict([("z", 1), ("a", 2)]), ["['z']", "['a']"]),
    (defaults, ["['a']", "['b']"]),
    (Box(1, [2]), ["[<flat index 0>]", "[<flat index 1>][0]"]),
    (Named(1, {"k": 2}), [".w", ".b['k']"]),
    (Keyed([7]), ["['v'][0]"]),
    (Layer(1, (2,)), [".w", ".b[0]"]),
    (tu.Partial(operator.add, 1, k=2), ["[<flat index 0>][0]", "[<flat index 1>]['k']"]),
]


@pytest.mark.parametrize("tree, paths", PATH_CASES)
def test_key_paths(tree, paths):
  pairs, treedef = tu.tree_flatten_with_path(tree)
  assert [tu.keystr(p) for p, _ in pairs] == paths
  assert [x for _, x in pairs] == tu.tree_leaves(tree)
  assert treedef == tu.tree_structure(tree)
  assert tu.tree_leaves_with_path(tree) == pairs == mt.leaves_with_path(tree)
  assert mt.flatten_with_path(tree) == (pairs, treedef)
  out = tu.tree_map_with_path(lambda p, x: tu.keystr(p), tree)
  assert tu.tree_leaves(out) == paths


def test_key_types_and_keystr():
  path = (DictKey("a"), SequenceKey(0), GetAttrKey("x"), FlattenedIndexKey(2))
  assert tu.keystr(path) == "['a'][0].x[<flat index 2>]"
  assert tu.keystr(path, simple=True, separator="/") == "a/0/x/2"
  assert tu.keystr(("p", 3)) == "p3"
  assert DictKey("a") == DictKey("a") and hash(SequenceKey(1)) == hash(SequenceKey(1))
  assert (DictKey("a").key, SequenceKey(1).idx, GetAttrKey("n").name,
          FlattenedIndexKey(4).key) == ("a", 1, "n", 4)
  params = {"foo": {"bar": {"baz": 1, "bat": [2, 3]}}}
  assert [tu.keystr(p, simple=True, separator="/")
          for p, _ in tu.tree_leaves_with_path(params)] == [
              "foo/bar/bat/0", "foo/bar/bat/1", "foo/bar/baz"]


def test_path_is_leaf_takes_path():
  tree = {"a": [1, 2], "b": [3, 4]}
  pairs, _ = tu.tree_flatten_with_path(
      tree, is_leaf=lambda p, x: p == (DictKey("a"),), is_leaf_takes_path=True)
  assert [(tu.keystr(p), x) for p, x in pairs] == [
      ("['a']", [1, 2]), ("['b'][0]", 3), ("['b'][1]", 4)]
  out = tu.tree_map_with_path(lambda p, x, y: (tu.keystr(p), x, y), tree,
                              {"a": 0, "b": [5, 6]}, is_leaf=lambda x: x == [1, 2])
  assert out == {"a": ("['a']", [1, 2], 0), "b": [("['b'][0]", 3, 5), ("['b'][1]", 4, 6)]}


# (f, trees, is_leaf, expected): rest trees may have the first as a prefix
MAP_CASES = [
    (lambda x: x * 2, ([1, (2, None)],), None, [2, (4, None)]),
    (lambda x: x, (None,), None, None),
    (lambda x, y: x + y, ({"a": 1, "b": [2]}, {"a": 10, "b": [20]}), None,
     {"a": 11, "b": [22]}),
    (lambda x, y, z: x + y + z, ((1, 2), (10, 20), (100, 200)), None, (111, 222)),
    (lambda x, y: (x, y), ([1, 2], [{"k": 3}, None]), None, [(1, {"k": 3}), (2, None)]),
    (lambda x: x is None, ([None, 1],), lambda x: x is None, [True, False]),
    (lambda x: len(x), ({"a": [1, 2], "b": ([3],)},), lambda x: isinstance(x, list),
     {"a": 2, "b": (1,)}),
    (lambda x: -x, (Point(1, 2),), None, Point(-1, -2)),
    (lambda x: -x, (collections.OrderedDict(b=1, a=2),), None,
     collections.OrderedDict(b=-1, a=-2)),
    (lambda x: -x, (Box(1, Box(2, 3, "i")),), None, Box(-1, Box(-2, -3, "i"))),
    (lambda x, y: x * y, (Layer(1, 2, "gelu"), Layer(3, 4, "gelu")), None,
     Layer(3, 8, "gelu")),
]


@pytest.mark.parametrize("f, trees, is_leaf, expected", MAP_CASES)
def test_tree_map(f, trees, is_leaf, expected):
  out = tu.tree_map(f, *trees, is_leaf=is_leaf)
  assert out == expected and type(out) is type(expected)
  assert mt.map(f, *trees, is_leaf=is_leaf) == expected


# (tree, other, regex the ValueError must match): key path and both structures
MISMATCH_CASES = [
    ([1, 2], [1, 2, 3], r"at key path \(\) \(the root\): list of length 2 vs list of "
     r"length 3\.\n  tree has structure PyTreeDef\(\[\*, \*\]\)\n  rest\[0\] has "
     r"structure PyTreeDef\(\[\*, \*, \*\]\)"),
    ({"a": [1, (2,)]}, {"a": [1, [2]]},
     r"at key path \['a'\]\[1\]: tuple of length 1 vs list of length 1"),
    ({"a": 1, "b": 2}, {"a": 1, "c": 2},
     r"dict with keys \['a', 'b'\] vs dict with keys \['a', 'c'\]"),
    ([None], [1], r"at key path \[0\]: None vs leaf of type int"),
    (Point(1, 2), (1, 2), r"Point of length 2 vs tuple of length 2"),
    (Layer(1, 2), Layer(1, 2, "tanh"),
     r"Layer nodes with different metadata: \('relu',\) vs \('tanh',\)"),
    ({"x": Box(1, 2, "p")}, {"x": Box(1, 2, "q")},
     r"at key path \['x'\]: Box nodes with different metadata: 'p' vs 'q'"),
]


@pytest.mark.parametrize("tree, other, match", MISMATCH_CASES)
def test_tree_map_mismatch_names_both_structures(tree, other, match):
  with pytest.raises(ValueError, match=r"tree_map: pytree structure mismatch") as info:
    tu.tree_map(lambda *xs: None, tree, other)
  assert info.match(match)
  assert str(tu.tree_structure(tree)) in str(info.value)
  assert str(tu.tree_structure(other)) in str(info.value)


def test_mismatch_in_later_tree_and_with_path():
  with pytest.raises(ValueError, match=r"between tree and rest\[1\] at key path \[1\]"):
    tu.tree_map(lambda *xs: None, [1, (2,)], [1, (2,)], [1, (2, 3)])
  with pytest.raises(ValueError, match=r"tree_map_with_path: .* key path \['b'\]"):
    tu.tree_map_with_path(lambda *xs: None, {"b": [1]}, {"b": (1,)})


def test_register_twice_raises():
  with pytest.raises(ValueError, match="Duplicate custom PyTreeDef type registration"):
    tu.register_pytree_node(Box, lambda b: ((), None), lambda a, c: Box(0, 0))
  with pytest.raises(ValueError, match="Duplicate custom PyTreeDef type registration"):
    tu.register_pytree_node(collections.OrderedDict, lambda d: ((), None),
                            lambda a, c: None)


@dataclasses.dataclass
class _Unregistered:
  x: object
  y: object = dataclasses.field(default=0, metadata={"static": True})


class _Plain:
  pass


# (args to register_dataclass after nodetype, error type, regex)
DATACLASS_ERRORS = [
    (_Unregistered, dict(data_fields=["x"]), TypeError, "give both data_fields and meta_fields"),
    (_Plain, {}, TypeError, "data_fields and meta_fields are required when nodetype is not"),
    (_Unregistered, dict(data_fields=["x"], meta_fields=[]), ValueError,
     r"must name every field of _Unregistered .* Missing fields: \['y'\]"),
    (_Unregistered, dict(data_fields=["x", "y", "z"], meta_fields=[]), ValueError,
     r"Unexpected fields: \['z'\]"),
    (_Plain, dict(data_fields=["x", "y"], meta_fields=["y"]), ValueError,
     r"overlap in \['y'\]"),
]


@pytest.mark.parametrize("nodetype, kwargs, error, match", DATACLASS_ERRORS)
def test_register_dataclass_errors(nodetype, kwargs, error, match):
  with pytest.raises(error, match=match):
    tu.register_dataclass(nodetype, **kwargs)


def test_register_dataclass_fields_drop_and_infer():
  @dataclasses.dataclass
  class Dropped:
    x: object
    cache: object = None

  tu.register_dataclass(Dropped, drop_fields=["cache"])
  assert str(tu.tree_structure(Dropped([1, 2], cache="c"))) == (
      "PyTreeDef(CustomNode(Dropped[()], [[*, *]]))")
  assert tu.tree_map(lambda x: x + 1, Dropped([1, 2])) == Dropped([2, 3])
  assert Layer.__dataclass_fields__["act"].metadata["static"] is True
  assert mt.static(default=1, metadata={"doc": "d"}).metadata == {"doc": "d", "static": True}


def test_register_static_is_static():
  assert tu.tree_leaves(Config("c")) == []
  assert tu.tree_structure(Config("a")) != tu.tree_structure(Config("b"))
  assert tu.tree_unflatten(tu.tree_structure(Config("a")), []) == Config("a")


def test_partial_is_a_pytree():
  p = tu.Partial(operator.add, 1)
  assert isinstance(p, functools.partial) and p(2) == 3
  leaves, treedef = tu.tree_flatten(p)
  assert leaves == [1]
  assert str(treedef) == "PyTreeDef(CustomNode(Partial[<built-in function add>], [(*,), {}]))"
  q = tu.tree_map(lambda x: x * 10, tu.Partial(lambda a, b: a - b, 5, b=1))
  assert type(q) is tu.Partial and q() == 40
  assert tu.tree_leaves(tu.Partial(operator.neg)) == []
  # A functools.partial (or Partial) given as func stays static: only the outer
  # arguments are leaves.
  inner = functools.partial(operator.add, 1)
  for func in (inner, tu.Partial(operator.add, 1)):
    outer = tu.Partial(func, 2)
    assert outer() == 3 and tu.tree_leaves(outer) == [2]
    assert tu.tree_unflatten(tu.tree_structure(outer), [5])() == 6
  assert tu.tree_structure(tu.Partial(inner)) == tu.tree_structure(tu.Partial(inner))


def test_partial_through_jit():
  call = morphax.jit(lambda f, x: f(x))
  out = call(tu.Partial(operator.mul, np.float32(3)), np.arange(3, dtype=np.float32))
  np.testing.assert_array_equal(np.asarray(out), [0, 3, 6])
  out = call(tu.Partial(lambda layer, x: layer.w * x + layer.b, Layer(2.0, 1.0)),
             np.float32(4))
  assert float(out) == 9.0


# (function, args, expected)
REDUCTION_CASES = [
    (tu.tree_reduce, (operator.add, [1, (2, 3), {"a": 4}]), 10),
    (tu.tree_reduce, (operator.add, [], 7), 7),
    (tu.tree_reduce, (operator.add, [1, [2]], 10), 13),
    (tu.tree_reduce, (lambda a, b: a + len(b), {"a": [1, 2], "b": [3]}, 0,
                      lambda x: isinstance(x, list)), 3),
    (functools.partial(tu.tree_reduce_associative, lambda a, b: f"({a}{b})"),
     ([1, 2, 3, 4],), "((12)(34))"),
    (functools.partial(tu.tree_reduce_associative, operator.add, identity=0), ([],), 0),
    (tu.tree_all, ([1, (True, {"a": 2})],), True),
    (tu.tree_all, ([1, (0,)],), False),
    (tu.tree_all, (None,), True),
    (functools.partial(tu.tree_all, is_leaf=lambda x: x == []), ([[], 1],), False),
]


@pytest.mark.parametrize("fn, args, expected", REDUCTION_CASES)
def test_reductions(fn, args, expected):
  assert fn(*args) == expected


def test_reduction_errors_and_aliases():
  with pytest.raises(TypeError, match="tree_reduce_associative: the tree has no leaves"):
    tu.tree_reduce_associative(operator.add, [None])
  with pytest.raises(TypeError, match="empty"):
    tu.tree_reduce(operator.add, {})
  assert mt.reduce(operator.mul, (2, [3])) == 6
  assert mt.reduce_associative(operator.add, [1, 2, 3]) == 6
  assert mt.all([True, 1]) and not mt.all({"a": 0})


# (outer, inner or None, tree, expected)
TRANSPOSE_CASES = [
    ([0, 0], (0, 0), [(1, 2), (3, 4)], ([1, 3], [2, 4])),
    ([0, 0], None, [(1, 2), (3, 4)], ([1, 3], [2, 4])),
    ({"a": 0, "b": 0}, [0, 0, 0], {"a": [1, 2, 3], "b": [4, 5, 6]},
     [{"a": 1, "b": 4}, {"a": 2, "b": 5}, {"a": 3, "b": 6}]),
    ((0,), Point(0, 0), (Point(1, 2),), Point((1,), (2,))),
    ([0, 0], (), [(), ()], ()),
    ([], (0, 0), [], ([], [])),
]


@pytest.mark.parametrize("outer, inner, tree, expected", TRANSPOSE_CASES)
def test_tree_transpose(outer, inner, tree, expected):
  inner_def = None if inner is None else tu.tree_structure(inner)
  out = tu.tree_transpose(tu.tree_structure(outer), inner_def, tree)
  assert out == expected and type(out) is type(expected)
  assert mt.transpose(tu.tree_structure(outer), inner_def, tree) == expected


def test_tree_transpose_mismatch():
  with pytest.raises(TypeError, match=r"tree_transpose: the tree to transpose has "
                     r"structure\n  PyTreeDef\(\[\(\*, \*\), \(\*,\)\]\)\n.*\n  "
                     r"PyTreeDef\(\[\(\*, \*\), \(\*, \*\)\]\)\n\(2 outer leaves x 2 "
                     r"inner leaves = 4 leaves; got 3\)"):
    tu.tree_transpose(tu.tree_structure([0, 0]), tu.tree_structure((0, 0)),
                      [(1, 2), (3,)])


# (prefix, full, expected)
BROADCAST_CASES = [
    (1, [1, (2, 3)], [1, (1, 1)]),
    ([1, 2], [(0, 0), {"a": 0}], [(1, 1), {"a": 2}]),
    ({"a": None, "b": 3}, {"a": None, "b": [0, 0]}, {"a": None, "b": [3, 3]}),
]


@pytest.mark.parametrize("prefix, full, expected", BROADCAST_CASES)
def test_tree_broadcast(prefix, full, expected):
  assert tu.tree_broadcast(prefix, full) == expected == mt.broadcast(prefix, full)


def test_tree_broadcast_mismatch():
  with pytest.raises(ValueError, match=r"tree_broadcast: .* between prefix_tree and "
                     r"full_tree at key path \(\) \(the root\): list of length 2 vs "
                     r"list of length 3"):
    tu.tree_broadcast([1, 2], [0, 0, 0])


def test_structure_helpers():
  treedef = tu.tree_structure([(1, 2), {"a": 3}])
  assert tu.build_tree(treedef, [[10, 11], [12]]) == [(10, 11), {"a": 12}]
  assert tu.treedef_children(treedef) == [tu.tree_structure((1, 2)),
                                          tu.tree_structure({"a": 3})]
  assert tu.treedef_tuple([tu.tree_structure(1), treedef]) == tu.tree_structure(
      (1, [(1, 2), {"a": 3}]))
  for tree, is_leaf in [(1, True), (None, True), ((), True), ([1], False),
                        (Config("c"), True), (Box(1, 2), False)]:
    assert tu.treedef_is_leaf(tu.tree_structure(tree)) is is_leaf
  assert tu.all_leaves([1, "a", np.zeros(2)])
  assert not tu.all_leaves([1, [2]]) and not tu.all_leaves([None])
  assert tu.all_leaves([[1], 2], is_leaf=lambda x: x == [1])
  assert tu.is_tree_node(Box) and tu.is_tree_node(Point) and not tu.is_tree_node(int)
  children, aux = tu.flatten_one_level({"b": [1], "a": 2})
  assert (list(children), list(aux)) == ([2, [1]], ["a", "b"])
  children, aux = tu.flatten_one_level_with_keys(Named(1, 2))
  assert list(children) == [(GetAttrKey("w"), 1), (GetAttrKey("b"), 2)] and aux is None
  with pytest.raises(ValueError, match="flatten_one_level: can't tree-flatten type"):
    tu.flatten_one_level(3)
  assert isinstance(treedef, tu.PyTreeDef)
  assert pickle.loads(pickle.dumps(treedef)) == treedef


def test_public_names():
  expected_tree = {"all", "broadcast", "flatten", "flatten_with_path", "leaves",
                   "leaves_with_path", "map", "map_with_path", "reduce",
                   "reduce_associative", "static", "structure", "transpose",
                   "unflatten"}
  assert set(mt.__all__) == expected_tree
  assert all(hasattr(mt, n) for n in mt.__all__)
  assert all(hasattr(tu, n) for n in tu.__all__)
  assert mt.map is tu.tree_map and mt.leaves is tu.tree_leaves
  # the registry the transformations use is the one tree_util registers into
  from morphax.core import tree as core_tree
  assert core_tree.registry.flatten(Box(1, 2))[0] == [1, 2]
