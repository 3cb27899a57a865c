# Agentic RL Atlas: every entry point in one place. `make help` lists them.
# The two commands a newcomer needs:
#   make serve   set up on a fresh machine, validate the catalog, build the site and serve it on http://127.0.0.1:8000
#   make test    set up everything (catalog, site, reference implementations, browser) and run the whole test suite

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
ATLAS  := $(VENV)/bin/rl-atlas
HOST   ?= 127.0.0.1
PORT   ?= 8000
# torch is pinned to the CPU wheel CI has on disk; the project itself asks only for a range (see pyproject.toml).
TORCH_CPU ?= torch==2.13.0
# Material for MkDocs prints an end-of-life banner on every build; the project has read it.
export NO_MKDOCS_2_WARNING := 1

.DEFAULT_GOAL := help
.PHONY: help setup setup-site setup-all validate serve site test test-fast bench schemas export clean

help: ## list every target
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'
	@echo "  rl-atlas --help   the command line (validate, query, export, stats, graph, related, add, schema, run)"

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

setup: $(VENV)/bin/activate ## install the catalog tools (no torch)
	$(PIP) install -q -e .

setup-site: $(VENV)/bin/activate ## install the catalog tools and the site builder
	$(PIP) install -q -e '.[site]'

setup-all: $(VENV)/bin/activate ## install everything: site, reference implementations (CPU torch), LLM tier, tests, browser
	@$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q "$(TORCH_CPU)"
	$(PIP) install -q -e '.[site,rl,llm,bench,test]'
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "could not install chromium (not root?): browser tests will be skipped locally"; }

validate: setup ## check the catalog (exit 1 on errors)
	$(ATLAS) validate

site: setup-site validate ## build the site into site/
	$(VENV)/bin/mkdocs build --strict

serve: setup-site validate ## THE MAIN COMMAND: build the site and serve it on http://$(HOST):$(PORT)
	$(VENV)/bin/mkdocs serve --strict --dev-addr $(HOST):$(PORT)

test: setup-all validate ## THE TEST COMMAND: validate the catalog and run every test (CPU, under 15 minutes)
	$(PY) -m pytest -q -n auto --maxprocesses 4 --dist loadgroup --durations 10

test-fast: setup-all ## the tests without the browser and the learning runs
	$(PY) -m pytest -q -m "not browser and not slow"

bench: setup-all ## run the benchmark scripts (catalog, hostile input, site, sampler, CartPole vs SB3, capabilities) and print ratios
	$(PY) benchmarks/catalog_speed.py
	$(PY) benchmarks/hostile_input.py
	$(PY) benchmarks/site_build.py
	$(PY) benchmarks/sampler_speed.py
	$(PY) benchmarks/cartpole_vs_sb3.py
	$(PY) benchmarks/gpu_capabilities.py --tiny
	$(PY) benchmarks/hf_vs_trl.py

schemas: setup ## regenerate the JSON Schemas in schemas/ from the Pydantic models
	$(ATLAS) schema --write schemas

export: setup ## export the whole catalog to exports/ (BibTeX, JSON, CSV)
	$(ATLAS) export --format bibtex -o exports/atlas.bib
	$(ATLAS) export --format json -o exports/atlas.json
	$(ATLAS) export --format csv -o exports/atlas.csv

clean: ## remove build output (keeps .venv)
	rm -rf site docs/generated exports .pytest_cache
