"""Further benchmark sections, registered by import (see benchmarks/run.py)."""
import benchmarks.postgis_reference  # noqa: F401  (search.postgis_reference)
import benchmarks.sections  # noqa: F401,E402  (search.opensearch, ingest, http)
import benchmarks.web_results  # noqa: F401,E402  (web.results)
import benchmarks.gaps  # noqa: F401,E402  (gaps)
import benchmarks.relevance.section  # noqa: F401,E402  (relevance)
import benchmarks.dedupe  # noqa: F401,E402  (dedupe)
