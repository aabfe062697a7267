"""Each package imports only the standard library, what its pyproject
declares, and itself: the static half of what the per-package nox
sessions check by installing each package alone."""

import ast
import pathlib
import sys
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = sorted(p.parent for p in ROOT.glob("packages/*/pyproject.toml"))
# Distribution names whose import name differs.
IMPORT_NAMES = {"morphax-rng": "morphax_rng", "morphax-optim": "morphax_optim",
                "morphax-nn": "morphax_nn", "morphax-checkpoint": "morphax_checkpoint"}
PEERS = {"jax", "flax", "optax", "orbax"}


def _requirement_name(req):
  for sep in "<>=!~;[ ":
    req = req.split(sep)[0]
  return req.strip().lower().replace("_", "-")


def _imports(path):
  tree = ast.parse(path.read_text(), filename=str(path))
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      for alias in node.names:
        yield alias.name.split(".")[0]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
      yield node.module.split(".")[0]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_imports_are_declared(package):
  meta = tomllib.loads((package / "pyproject.toml").read_text())["project"]
  allowed = {IMPORT_NAMES.get(_requirement_name(r), _requirement_name(r)).replace("-", "_")
             for r in meta.get("dependencies", [])}
  own = IMPORT_NAMES.get(meta["name"], meta["name"]).replace("-", "_")
  allowed |= {own} | set(sys.stdlib_module_names)
  bad = {}
  for path in (package / "src").rglob("*.py"):
    for name in _imports(path):
      if name not in allowed:
        bad.setdefault(name, []).append(str(path.relative_to(ROOT)))
  assert not bad, f"undeclared imports in {package.name}: {bad}"


def test_no_package_imports_the_peers():
  offenders = []
  for folder in ("packages", "examples", "tests"):
    for path in (ROOT / folder).rglob("*.py"):
      if ".nox" in path.parts or ".venv" in path.parts:
        continue
      if PEERS & set(_imports(path)):
        offenders.append(str(path.relative_to(ROOT)))
  assert not offenders, f"these import jax/flax/optax/orbax: {offenders}"
