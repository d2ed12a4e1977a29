# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export ORIENTATION_INSTANCE ?= $(CURDIR)/instance

.PHONY: run test install lint unit bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/orientation db upgrade
	$(BIN)/orientation demo load
	$(BIN)/orientation run

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# Lint, then the whole suite on SQLite and on a PostgreSQL server this command starts itself.
test: lint
	scripts/ensure-chromium.sh
	scripts/ensure-a11y-tools.sh
	@set -e; \
	TEST_DATABASE_URL="$$(scripts/test-postgres.sh | tail -1)"; \
	export TEST_DATABASE_URL ORIENTATION_REQUIRE_POSTGRES=1 ORIENTATION_REQUIRE_BROWSER=1; \
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

unit: install
	$(BIN)/pytest -q tests/unit

bench: install
	$(BIN)/python -m bench.run $(if $(FULL),--full,)

clean:
	rm -rf $(VENV) instance .mypy_cache .ruff_cache .pytest_cache
