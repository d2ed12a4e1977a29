# The two commands of the README: `make run` and `make test` (and `make lock` to update the lock files).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export ORIENTATION_INSTANCE ?= $(CURDIR)/instance
# Installs take exactly the locked versions, checked against their hashes; the project itself is built with
# the locked setuptools (no build isolation), so an install needs nothing that is not in the lock.
PIP_LOCKED := $(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps
# uv only writes the lock files (fast, hashes for every wheel of a version, all platforms); pip installs them.
UV_VERSION := 0.13.9
LOCK_VENV := .venv-lock
UV := $(LOCK_VENV)/bin/uv
UV_COMPILE := $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade,)

.PHONY: run test install install-runtime lint unit bench lock clean

$(VENV)/pyvenv.cfg:
	$(PYTHON) -m venv $(VENV)

# Runtime dependencies only: what `make run` (and a server) needs.
$(BIN)/.runtime: requirements/runtime.txt pyproject.toml | $(VENV)/pyvenv.cfg
	$(PIP_LOCKED) -r requirements/runtime.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $@

# The development dependencies on top (pytest, playwright, ruff, mypy, schemathesis…): `make test`.
$(BIN)/.installed: $(BIN)/.runtime requirements/dev.txt
	$(PIP_LOCKED) -r requirements/dev.txt
	$(BIN)/pip check
	touch $@

install-runtime: $(BIN)/.runtime

install: $(BIN)/.installed

run: install-runtime
	$(BIN)/orientation db upgrade
	$(BIN)/orientation demo load
	$(BIN)/orientation run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Lint, then the whole suite on SQLite and on a PostgreSQL server this command starts itself; the browser
# tests in Debian's Chromium, the deployment tests behind Debian's nginx (both installed with apt if missing).
test: lint
	scripts/ensure-chromium.sh
	scripts/ensure-nginx.sh
	scripts/ensure-a11y-tools.sh
	@set -e; \
	TEST_DATABASE_URL="$$(scripts/test-postgres.sh | tail -1)"; \
	export TEST_DATABASE_URL ORIENTATION_REQUIRE_POSTGRES=1 ORIENTATION_REQUIRE_BROWSER=1 ORIENTATION_REQUIRE_NGINX=1; \
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

unit: install
	$(BIN)/pytest -q tests/unit

bench: install
	$(BIN)/python -m bench.run $(if $(FULL),--full,)

$(UV):
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Rewrite the lock files from pyproject.toml, keeping every pin that still fits (UPGRADE=1: newest versions).
# The development lock is constrained by the runtime one, so both install the same versions.
lock: $(UV)
	$(UV_COMPILE) -o requirements/runtime.txt pyproject.toml requirements/build.in
	$(UV_COMPILE) -o requirements/dev.txt --extra dev -c requirements/runtime.txt pyproject.toml requirements/build.in

clean:
	rm -rf $(VENV) $(LOCK_VENV) instance .mypy_cache .ruff_cache .pytest_cache
