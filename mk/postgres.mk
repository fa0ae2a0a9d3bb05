# Throw-away PostgreSQL + PostGIS cluster on 127.0.0.1 for tests/benchmarks.
# Included by the main Makefile (include mk/*.mk). Port: REPERES_PG_PORT (default 54329).
POSTGRES_SH := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))../scripts/postgres.sh

.PHONY: postgres postgres-stop

## Start (idempotently) the test PostgreSQL cluster; prints its SQLAlchemy URL
postgres:
	@bash "$(POSTGRES_SH)" start

## Stop the test PostgreSQL cluster
postgres-stop:
	@bash "$(POSTGRES_SH)" stop
