# The two commands a new machine needs (only Python 3.11+ and the package registries):
#   make demo   — install, build the demo warehouse, serve the dashboard on 127.0.0.1:8501
#   make test   — install, lint, check the Dagster definitions load, run the test suite
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

.PHONY: setup browser demo test lint defs bench schema-docs

setup:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --all-extras --compile-bytecode
	$(UV) run python -m compileall -q pipelines assets dashboards bench >/dev/null

# Debian's Chromium for the real-browser dashboard tests (Playwright drives /usr/bin/chromium).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

demo: setup
	$(UV) run pathlens demo $(ARGS)

lint: setup
	$(UV) run ruff check .

defs: setup
	DAGSTER_HOME= $(UV) run dagster definitions validate -m pipelines.definitions

test: setup browser lint defs
	$(UV) run pytest -q $(ARGS)

bench: setup
	$(UV) run python bench/bench_pipeline.py

# docs/schema.md's marts sections from sql/marts/schema.yml (the descriptions' one source)
schema-docs: setup
	$(UV) run python -m pipelines.descriptions
