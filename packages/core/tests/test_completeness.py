"""Every registered primitive fills every rule slot (or says why not) and
has rows in the test tables.

Each test module lists the primitives its tables exercise in
`PRIMITIVES_COVERED`: the value tables (`test_<family>.py`, eager results
against numpy) and the rule tables (`test_<family>_rules.py`: check_grads,
vmap against a loop, jit against eager). A primitive added without rows in
both fails here.
"""

import importlib.util
import pathlib

import pytest

import morphax  # noqa: F401  (registers every primitive)
from morphax.core.primitive import NOT_DIFFERENTIABLE, NOT_LINEAR, REGISTRY

TESTS = pathlib.Path(__file__).parent
SLOTS = ("abstract_eval", "lower", "jvp", "transpose", "batch")
REASONS = (NOT_LINEAR, NOT_DIFFERENTIABLE)
# The transformations' own file covers the two primitives that exist for
# them (add_any sums cotangents; jit is the call primitive).
RULE_FILES = ("*_rules.py", "test_transformations.py", "test_control_flow.py",
              "test_custom_derivatives.py", "test_callbacks.py")


def _covered(patterns):
  covered = {}
  for pattern in patterns:
    for path in sorted(TESTS.glob(pattern)):
      if path.name == pathlib.Path(__file__).name or not path.name.startswith("test_"):
        continue
      spec = importlib.util.spec_from_file_location(f"_cover_{path.stem}", path)
      module = importlib.util.module_from_spec(spec)
      spec.loader.exec_module(module)
      for name in getattr(module, "PRIMITIVES_COVERED", ()):
        covered.setdefault(name, []).append(path.name)
  return covered


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_slot_is_filled_or_explained(name):
  prim = REGISTRY[name]
  for slot in SLOTS:
    rule = getattr(prim, slot)
    assert callable(rule) or rule in REASONS, (
        f"{name} has no {slot} rule and no NOT_LINEAR/NOT_DIFFERENTIABLE marker")


@pytest.mark.parametrize("kind, patterns", [
    ("value", ("test_*.py",)),
    ("rule", RULE_FILES),
])
def test_every_primitive_has_test_rows(kind, patterns):
  covered = _covered(patterns)
  missing = sorted(set(REGISTRY) - set(covered))
  assert not missing, f"primitives without a {kind} test row: {missing}"
  unknown = sorted(set(covered) - set(REGISTRY))
  assert not unknown, f"test tables name primitives that do not exist: {unknown}"
