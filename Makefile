# Two entry points that work on a fresh machine with only Python 3.11+:
#   make demo   sets up .venv and runs the project's main job
#   make test   sets up .venv with nox and runs the whole test matrix
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "morphax needs Python 3.11+, got " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.demo-ready: $(BIN)/python packages/core/pyproject.toml
	$(BIN)/python -m pip install -q -e packages/core
	touch $@

$(VENV)/.nox-ready: $(BIN)/python
	$(BIN)/python -m pip install -q "nox>=2024.4"
	touch $@

demo: $(VENV)/.demo-ready
	$(BIN)/python examples/demo.py

test: $(VENV)/.nox-ready
	$(BIN)/nox --error-on-missing-interpreters

bench: $(VENV)/.nox-ready
	$(BIN)/nox -s bench

clean:
	rm -rf $(VENV) .nox
