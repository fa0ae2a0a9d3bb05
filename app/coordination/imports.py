"""Producer files uploaded by an admin: kept aside, checked (``indexer.validate``), then ingested.

An upload is stored in ``<instance>/uploads/<token>/`` (the file, its mapping, ``meta.json``)
and nothing reaches the offer before an admin, having read the validation report, asks for the
ingestion — through the generic spreadsheet connector
(:class:`indexer.connectors.csv_mapping.CsvMappingConnector`) and the ordinary ingestion run
(:func:`indexer.run.ingest`: raw input stored, quarantine, retirement of the source's offers
absent from the file), followed by the duplicates pass and a rebuild of the search index.
Uploads older than a day are deleted.
"""
from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from werkzeug.utils import secure_filename

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "data" / "mappings"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEEP_SECONDS = 24 * 3600


class ImportError_(ValueError):
    """An upload that cannot be used (message in French)."""


def bundled_mappings() -> list[tuple[str, str]]:
    """(file name, label) of the mappings shipped in data/mappings/."""
    import yaml

    out = []
    for path in sorted(MAPPINGS_DIR.glob("*.y*ml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            label = raw.get("label") or raw.get("source") or path.stem
        except Exception:  # noqa: BLE001
            label = path.stem
        out.append((path.name, f"{path.name} — {label}"))
    return out


def uploads_dir(instance_dir: Path) -> Path:
    return Path(instance_dir) / "uploads"


def cleanup(instance_dir: Path, now: float | None = None) -> None:
    now = now or time.time()
    root = uploads_dir(instance_dir)
    if not root.exists():
        return
    for folder in root.iterdir():
        if folder.is_dir() and now - folder.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Upload:
    token: str
    folder: Path
    filename: str
    mapping_name: str
    uploaded_by: str

    @property
    def path(self) -> Path:
        return self.folder / self.filename

    @property
    def mapping_path(self) -> Path:
        return self.folder / "mapping.yaml"


def save(instance_dir: Path, filename: str, data: bytes, mapping_name: str | None, mapping_data: bytes | None,
         uploaded_by: str) -> Upload:
    cleanup(instance_dir)
    name = secure_filename(filename or "") or "fichier.csv"
    if not name.lower().endswith((".csv", ".xlsx", ".txt")):
        raise ImportError_("formats acceptés : CSV ou XLSX")
    if mapping_data:
        mapping_bytes, mapping_label = mapping_data, "correspondance déposée"
    else:
        choices = dict(bundled_mappings())
        if mapping_name not in choices:
            raise ImportError_("choisissez une correspondance fournie ou déposez la vôtre")
        mapping_bytes, mapping_label = (MAPPINGS_DIR / mapping_name).read_bytes(), mapping_name
    token = secrets.token_urlsafe(18)
    folder = uploads_dir(instance_dir) / token
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    (folder / "mapping.yaml").write_bytes(mapping_bytes)
    upload = Upload(token, folder, name, mapping_label, uploaded_by)
    (folder / "meta.json").write_text(json.dumps({"filename": name, "mapping": mapping_label,
                                                  "uploaded_by": uploaded_by}), encoding="utf-8")
    return upload


def load(instance_dir: Path, token: str) -> Upload | None:
    if not _TOKEN.match(token or ""):
        return None
    folder = uploads_dir(instance_dir) / token
    meta = folder / "meta.json"
    if not meta.exists():
        return None
    raw = json.loads(meta.read_text(encoding="utf-8"))
    return Upload(token, folder, raw["filename"], raw["mapping"], raw.get("uploaded_by", ""))


def validate(upload: Upload):
    """The validation report of an upload (``indexer.validate.validate_file``)."""
    from indexer.validate import validate_file

    return validate_file(upload.path, upload.mapping_path)


def mapping_source(upload: Upload) -> str:
    from indexer.connectors.csv_mapping import Mapping, MappingError

    try:
        return Mapping.load(upload.mapping_path).source
    except MappingError as exc:
        raise ImportError_(f"correspondance invalide : {exc}") from None


def refuse_reserved_source(source: str) -> None:
    """A file must not replace the offer of a source read by another connector (data·inclusion…)."""
    from indexer.connectors import registry
    from indexer.connectors.csv_mapping import CsvMappingConnector

    try:
        cls = registry().get(source)
    except Exception:  # noqa: BLE001
        cls = None
    if cls is not None and not issubclass(cls, CsvMappingConnector):
        raise ImportError_(f"la source « {source} » est alimentée par un autre connecteur : "
                           "changez « source: » dans la correspondance")


def ingest(upload: Upload, settings) -> dict:
    """Ingest an upload as its mapping's source; returns the run's figures."""
    import fcntl

    from app.core.db import session_scope
    from app.search import get_backend
    from app.search.documents import iter_documents
    from indexer.connectors.csv_mapping import CsvMappingConnector
    from indexer.dedupe import cluster_structures
    from indexer.run import ingest as run_ingest

    source = mapping_source(upload)
    refuse_reserved_source(source)
    connector = CsvMappingConnector(mapping=upload.mapping_path)
    with session_scope(settings.database_url) as session:
        # in the web worker itself: no process pool forked from a web server
        report = run_ingest(connector, session, settings.instance_dir, paths=[upload.path], workers=1)
    with session_scope(settings.database_url) as session:
        cluster_structures(session)
    # same lock as `reperes reindex`: concurrent rebuilds would race on the swap
    with open(Path(settings.instance_dir) / "reindex.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with session_scope(settings.database_url) as session:
            indexed = get_backend(settings).rebuild(iter_documents(session))
    shutil.rmtree(upload.folder, ignore_errors=True)
    return {"source": source, "summary": report.summary(), "quarantined": report.quarantined,
            "indexed": indexed}
