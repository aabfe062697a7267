"""The test matrix: one session per package, each in its own environment
holding only that package and what it declares (so an undeclared import of
a sibling fails), plus the cross-package integration tests.

    nox                 every test session (what `make test` and CI run)
    nox -s bench        the benchmark suite against real JAX (not in CI)
"""

import nox

nox.options.sessions = ["core", "rng", "optim", "nn", "checkpoint", "integration"]
nox.options.reuse_existing_virtualenvs = True

# Oldest numpy jaxlib supports, and the newest release.
NUMPY_VERSIONS = ["2.0.2", "latest"]
# pytest-xdist spreads the compile-bound tests over both cores.
TEST_TOOLS = ["pytest>=8", "pytest-xdist>=3", "hypothesis>=6.100", "scipy>=1.13"]
PYTEST = ["pytest", "-q", "-n", "2", "-p", "no:cacheprovider"]
# Dependencies first: pip then resolves each sibling from its local folder.
ALL_PACKAGES = ["core", "rng", "optim", "nn", "checkpoint"]
# What the examples may add: scikit-learn for its bundled digits data, a
# progress bar, matplotlib for --plot.
EXAMPLE_TOOLS = ["scikit-learn", "tqdm", "matplotlib"]


def _install_numpy(session, version):
  if version == "latest":
    session.install("--upgrade", "numpy")
  else:
    session.install(f"numpy=={version}")


@nox.session
@nox.parametrize("numpy", NUMPY_VERSIONS)
def core(session, numpy):
  """morphax alone, under the oldest and the newest supported numpy."""
  session.install("./packages/core", *TEST_TOOLS)
  _install_numpy(session, numpy)
  session.run("python", "-c", "import numpy, jaxlib; print('numpy', numpy.__version__, 'jaxlib', jaxlib.__version__)")
  session.run(*PYTEST, "packages/core/tests", *session.posargs)


def _package_session(session, *packages):
  """Install `packages` (paths under packages/, dependencies first) alone
  with the test tools and run the tests of the last one."""
  session.install(*(f"./packages/{p}" for p in packages), *TEST_TOOLS)
  session.run(*PYTEST, f"packages/{packages[-1]}/tests", *session.posargs)


@nox.session
def rng(session):
  """morphax_rng with core only."""
  _package_session(session, "core", "rng")


@nox.session
def optim(session):
  """morphax_optim with core only."""
  _package_session(session, "core", "optim")


@nox.session
def nn(session):
  """morphax_nn with core and rng."""
  _package_session(session, "core", "rng", "nn")


@nox.session
def checkpoint(session):
  """morphax_checkpoint with core and tensorstore."""
  _package_session(session, "core", "checkpoint")


@nox.session
def integration(session):
  """Cross-package tests and the examples' smoke runs with every package installed."""
  session.install(*(f"./packages/{p}" for p in ALL_PACKAGES), *TEST_TOOLS, *EXAMPLE_TOOLS)
  session.run(*PYTEST, "tests", *session.posargs)


@nox.session
def bench(session):
  """morphax side by side with real JAX at the version of the pinned jaxlib."""
  session.install(*(f"./packages/{p}" for p in ALL_PACKAGES), "jax==0.10.2", "optax", "flax")
  session.run("python", "benchmarks/run.py", *session.posargs)
  for script in ("bench_pmap.py", "bench_rng.py", "bench_transformer.py",
                 "bench_checkpoint.py"):
    session.run("python", f"benchmarks/{script}")
