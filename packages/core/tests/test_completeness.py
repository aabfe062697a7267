"""Every registered primitive has its rules and a row in some test table.

Each test module lists the primitives its tables exercise in
`PRIMITIVES_COVERED`; a primitive added without a row fails here.
"""

import importlib.util
import pathlib

import pytest

import morphax  # noqa: F401  (registers every primitive)
from morphax.core.primitive import REGISTRY

# Slots filled by this rules; jvp/transpose/batch arrive with the
# transformations and get their own rows then.
REQUIRED_SLOTS = ("abstract_eval", "lower")


def _covered():
  covered = {}
  for path in sorted(pathlib.Path(__file__).parent.glob("test_*.py")):
    if path.name == pathlib.Path(__file__).name:
      continue
    spec = importlib.util.spec_from_file_location(f"_cover_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in getattr(module, "PRIMITIVES_COVERED", ()):
      covered.setdefault(name, []).append(path.name)
  return covered


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_rules_present(name):
  prim = REGISTRY[name]
  for slot in REQUIRED_SLOTS:
    assert callable(getattr(prim, slot)), f"{name} has no {slot} rule"


def test_every_primitive_has_a_test_row():
  covered = _covered()
  missing = sorted(set(REGISTRY) - set(covered))
  assert not missing, f"primitives without a test row: {missing}"
  unknown = sorted(set(covered) - set(REGISTRY))
  assert not unknown, f"test tables name primitives that do not exist: {unknown}"
