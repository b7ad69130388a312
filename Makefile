# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint dev clean

TEST_STAMP := $(VENV)/.installed-test

# `make demo` installs what runs; `make test` adds the test tools (pytest, ruff, Playwright, ...)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,postgres]'
	touch $(TEST_STAMP)

demo: $(STAMP)
	$(BIN)/safetynet demo

# one xdist worker per core; a module's tests stay on one worker (module fixtures built once)
PYTEST_WORKERS ?= auto
test: $(TEST_STAMP) lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi; exit $$rc

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

dev: $(STAMP)
	$(BIN)/safetynet db upgrade
	mkdir -p -m 0700 var var/dagster_home
	umask 077 && DAGSTER_HOME=$(CURDIR)/var/dagster_home $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf var landing
