# The two commands of the README: `make book` and `make test`.
# Notebooks read SPINLAB_FAST; small systems by default, `make book SPINLAB_FAST=0` for full size.
export SPINLAB_FAST ?= 1

VENV := .venv
PY := $(VENV)/bin/python
# Written last by the install, so an interrupted install is redone rather than trusted.
# .ci/run writes the same marker into its cached venv.
STAMP := $(VENV)/.spinlab-installed
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: book test lab bench clean

$(STAMP):
	python3 -m venv $(VENV)
	$(PY) -m pip install -e ".[dev]"
	touch $@

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . --warningiserror --keep-going

# pytest exits 5 when it collects nothing; any non-zero status fails make, so that is a failure too.
test: $(STAMP)
	$(PY) -m pytest

lab: $(STAMP)
	$(VENV)/bin/jupyter lab $(ALLOW_ROOT)

# benchmarks/_*.py are helpers imported by the scripts, not scripts.
bench: $(STAMP)
	@set -e; for f in $(sort $(filter-out benchmarks/_%,$(wildcard benchmarks/*.py))); do echo "== $$f"; $(PY) $$f; done

clean:
	rm -rf _build .pytest_cache
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o \( -name '*.nbi' -o -name '*.nbc' \) -type f -exec rm -f {} +
