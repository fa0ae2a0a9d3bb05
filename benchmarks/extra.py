"""Further benchmark sections (ingestion, OpenSearch, PostGIS reference, HTTP, web, gaps)."""
