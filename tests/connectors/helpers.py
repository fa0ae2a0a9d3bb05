"""Helpers shared by the connector tests: one ingestion into a fresh SQLite database, as plain data."""
from __future__ import annotations

import collections
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.core import vocabularies as voc
from app.core.db import create_schema, engine_for
from app.core.models import QuarantinedRow, Service, Structure
from indexer.connectors.base import Connector
from indexer.run import ingest

DEPARTEMENTS = ("11", "12", "81")


def _plain(row, model) -> dict:
    return {attr.key: getattr(row, attr.key) for attr in inspect(model).column_attrs}


def run(connector: Connector, folder: Path, paths: list[Path] | None = None, **options) -> dict:
    """Ingest into the SQLite database of ``folder`` (created if needed; a second call on the same
    folder is an incremental run). Returns plain data: ``report``; ``services`` (live ones) and
    ``structures``, id -> every column; ``quarantine`` (reasons) and ``quarantine_rows`` ((row number,
    reason)) of every run of that database."""
    folder.mkdir(parents=True, exist_ok=True)
    engine = engine_for(f"sqlite:///{folder}/t.sqlite3")
    create_schema(engine)
    with Session(engine) as s:
        report = ingest(connector, s, instance_dir=folder, paths=paths, **options)
        services = {sv.id: _plain(sv, Service)
                    for sv in s.scalars(select(Service).where(Service.retired_at.is_(None)))}
        structures = {st.id: _plain(st, Structure) for st in s.scalars(select(Structure))}
        rows = [(q.row_number, q.reason) for q in s.scalars(select(QuarantinedRow).order_by(QuarantinedRow.id))]
    return {"report": report, "services": services, "structures": structures,
            "quarantine": [reason for _, reason in rows], "quarantine_rows": rows}


def per_departement(services: dict, departements: tuple[str, ...] = DEPARTEMENTS) -> dict[str, int]:
    """Number of services per département (first two digits of their code INSEE)."""
    counts = collections.Counter((sv["code_insee"] or "")[:2] for sv in services.values())
    return {d: counts[d] for d in departements}


def fed_levers(services: dict) -> set[str]:
    """The SPIE levers (data/vocabularies/leviers.json) the services feed."""
    return {lv.value for lv in voc.leviers() for sv in services.values()
            if set(lv.thematiques) & set(sv["thematiques"] or [])}


def stored(folder: Path) -> dict[str, bool]:
    """Service id -> still live, as stored in the database of ``folder``."""
    with Session(engine_for(f"sqlite:///{folder}/t.sqlite3")) as s:
        return {sv.id: sv.retired_at is None for sv in s.scalars(select(Service))}


def rewrite_lines(source: Path, target: Path, changes: dict, *, newline: str = "\n", contains: bool = False) -> None:
    """Copy ``source`` to ``target`` (UTF-8), each ``change(line)`` applied to the first line that
    starts with its key (or contains it, with ``contains``): a damaged copy of a real file."""
    lines = source.read_bytes().decode("utf-8").split(newline)
    for key, change in changes.items():
        index = next(i for i, line in enumerate(lines) if (key in line if contains else line.startswith(key)))
        lines[index] = change(lines[index])
    target.write_bytes(newline.join(lines).encode("utf-8"))
