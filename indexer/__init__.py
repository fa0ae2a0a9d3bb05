"""Ingestion: connectors read sources, the run normalises, deduplicates, scores and stores offers."""
