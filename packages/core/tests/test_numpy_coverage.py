"""NUMPY_COVERAGE.md (written by tools/coverage.py) is up to date with the
morphax under test, and a few names it counts are really there.
"""

import importlib.util
import json
import pathlib

import morphax
import morphax.lax
import morphax.nn
import morphax.numpy as jnp
import morphax.numpy.fft
import morphax.numpy.linalg

TOOLS = pathlib.Path(__file__).resolve().parent.parent / "tools"


def _coverage_module():
  spec = importlib.util.spec_from_file_location("_coverage_tool", TOOLS / "coverage.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def test_generated_file_is_up_to_date():
  tool = _coverage_module()
  committed = tool.OUTPUT.read_text() if tool.OUTPUT.exists() else ""
  assert committed == tool.render(), (
      "NUMPY_COVERAGE.md is out of date: run `python tools/coverage.py` from "
      "packages/core and commit the result")


def test_names_file_lists_every_mirrored_module():
  tool = _coverage_module()
  data = json.loads(tool.NAMES_FILE.read_text())
  assert set(data["modules"]) == set(tool.MODULES)
  for names in data["modules"].values():
    assert names == sorted(set(names)) and all(not n.startswith("_") for n in names)


def test_some_names_exist():
  for module, names in [
      (jnp, ("sum", "where", "einsum", "matmul", "float32")),
      (morphax.numpy.linalg, ("solve", "inv", "norm")),
      (morphax.numpy.fft, ("fft", "ifft", "rfft")),
      (morphax.lax, ("add", "dot_general", "reduce", "full_like")),
      (morphax.nn, ("relu", "softmax")),
  ]:
    for name in names:
      assert callable(getattr(module, name)), (module, name)
