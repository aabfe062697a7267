# Entry points that work on a fresh machine with only Python 3.11+:
#   make demo   sets up .venv with every package and trains the MLP example
#   make tour   a tour of what core does (examples/demo.py)
#   make test   sets up .venv with nox and runs the whole test matrix
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo tour test bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "morphax needs Python 3.11+, got " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

PACKAGES := core rng optim nn checkpoint

$(VENV)/.demo-ready: $(BIN)/python $(foreach p,$(PACKAGES),packages/$(p)/pyproject.toml)
	$(BIN)/python -m pip install -q $(foreach p,$(PACKAGES),-e packages/$(p)) scikit-learn tqdm
	touch $@

$(VENV)/.nox-ready: $(BIN)/python
	$(BIN)/python -m pip install -q "nox>=2024.4"
	touch $@

demo: $(VENV)/.demo-ready
	$(BIN)/python examples/mlp/train.py

tour: $(VENV)/.demo-ready
	$(BIN)/python examples/demo.py

test: $(VENV)/.nox-ready
	$(BIN)/nox --error-on-missing-interpreters

bench: $(VENV)/.nox-ready
	$(BIN)/nox -s bench

clean:
	rm -rf $(VENV) .nox
