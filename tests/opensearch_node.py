"""The real OpenSearch node for tests (no Docker): ``opensearch_url()`` starts it once per process.

``scripts/opensearch.sh start`` is idempotent (an already running node is reused) and prints the
URL as its last stdout line. The node is detached and outlives the test session: stop it with
``bash scripts/opensearch.sh stop`` (or ``make``'s target) when done.
"""
from __future__ import annotations

import functools
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def opensearch_url() -> str:
    try:
        result = subprocess.run(["bash", "scripts/opensearch.sh", "start"], capture_output=True, text=True,
                                check=True, cwd=ROOT)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"could not start the OpenSearch node:\n{exc.stderr}") from exc
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if not lines or not lines[-1].startswith("http"):
        raise RuntimeError(f"scripts/opensearch.sh start printed no URL:\n{result.stdout}\n{result.stderr}")
    return lines[-1]
