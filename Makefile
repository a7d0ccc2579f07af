# Two commands for a fresh machine: `make narrate` runs the pipeline, `make test` runs the tests.
# Both create .venv at the repo root first (torch on its own, so pip never pulls a second build).
VENV ?= .venv
PY := $(VENV)/bin/python
CORES ?= 1

.PHONY: narrate test lint setup config-readme

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements-dev.txt -e .
	touch $@

narrate: $(VENV)/.installed
	$(VENV)/bin/snakemake --cores $(CORES) --resources gpu=1

test: $(VENV)/.installed
	$(PY) -m pytest

# Every linter runs, and the target fails if any of them failed.
lint: $(VENV)/.installed
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/snakefmt --check Snakefile workflow/rules || status=1; \
	$(VENV)/bin/snakemake --lint || status=1; \
	exit $$status

# config/README.md from workflow/schemas/config.schema.yaml (tests/test_config_readme.py compares)
config-readme: $(VENV)/.installed
	$(PY) tools/config_readme.py
