# Repères — the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 2

include mk/*.mk

.PHONY: install assets run serve test test-fast bench docs-config clean migrate

install: $(VENV)/.installed
$(VENV)/.installed: setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

assets: app/static/vendor/.installed
app/static/vendor/.installed: package.json package-lock.json scripts/vendor_assets.sh
	npm ci --no-audit --no-fund --loglevel=error
	bash scripts/vendor_assets.sh
	@touch $@

## make run: set up, ingest the bundled data if needed, serve on 127.0.0.1:$(PORT)
run: install assets
	$(BIN)/reperes bootstrap
	$(BIN)/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --access-logfile - \
		--access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s' wsgi:app  # paths only: query strings hold search words and diagnostic answers

## make test: set up and run every test (the CI entry point), with a real OpenSearch node and
## PostgreSQL started here; under CI they are stopped afterwards.
test: install assets browser
	bash scripts/opensearch.sh start
	bash scripts/postgres.sh start
	status=0; $(BIN)/pytest $(PYTEST_ARGS) || status=$$?; \
	if [ -n "$$CI" ]; then bash scripts/opensearch.sh stop || true; bash scripts/postgres.sh stop || true; fi; \
	exit $$status

## make migrate: bring REPERES_DATABASE_URL's database to the latest schema
migrate: install
	$(BIN)/alembic upgrade head

bench: install
	$(BIN)/python -m benchmarks.run

docs-config: install
	@{ sed -n '1,/^<!-- settings -->/p' docs/configuration.md; $(BIN)/reperes settings --markdown; \
	   sed -n '/^<!-- \/settings -->/,$$p' docs/configuration.md; } > docs/configuration.md.new
	mv docs/configuration.md.new docs/configuration.md

clean:
	rm -rf instance app/static/vendor node_modules
