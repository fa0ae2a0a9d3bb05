# Development/test OpenSearch node (no Docker) — see docs/opensearch-node.md.
# Included by the main Makefile (include mk/*.mk).

.PHONY: opensearch opensearch-stop

## Start the local OpenSearch node (idempotent); prints its URL last.
opensearch:
	bash scripts/opensearch.sh start

## Stop the local OpenSearch node.
opensearch-stop:
	bash scripts/opensearch.sh stop
