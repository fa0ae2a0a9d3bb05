"""Writes normalised offers of one source: incremental upserts and retirement of vanished ones.

Writing is split in two so the costly half runs away from the session. :class:`TableWriter`
*prepares* a row — content hash, and each value already in the form the database driver takes
(the dialect's own bind processors: JSON text and ISO dates on SQLite, ``Json`` wrappers on
psycopg) — which needs no connection, so :func:`indexer.run.normalised` does it in its worker
processes. :class:`SourceWriter` then sends prepared tuples with one driver ``executemany`` per
batch, while the workers go on: SQLAlchemy's per-parameter processing was half of the write
time of a large source, and the stored values are what SQLAlchemy itself would have written.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Iterable

import orjson
from sqlalchemy import DateTime, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from app.core.models import Service, Structure, utcnow

CHUNK = 500  # ids per IN (...) of the bookkeeping updates

#: columns the store keeps itself; a connector's fields never set them (``cluster_id`` belongs to
#: the deduplication, which runs after ingestion and must survive an update of the row)
BOOKKEEPING = frozenset({"content_hash", "first_seen", "last_seen", "retired_at", "cluster_id"})

#: SQLite's page cache while a source is written (KiB, negative as PRAGMA cache_size wants it):
#: with the default 2 MiB, index inserts of a large source keep reading pages again (50,000 records:
#: 9.4 s → 8.3 s, median of three)
SQLITE_WRITE_CACHE_KIB = 262_144

#: one prepared row: (id, content hash, driver-ready values in :attr:`TableWriter.columns` order)
Prepared = tuple[str, str, tuple]


def content_hash(fields: dict[str, Any]) -> str:
    payload = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return hashlib.sha256(payload).hexdigest()


@dataclass
class StoreCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0


class TableWriter:
    """Rows of one table (structures or services) for one SQL dialect, as its driver takes them.

    Built before the workers are forked: they inherit it and send back :data:`Prepared` tuples.
    """

    def __init__(self, model, dialect: Dialect) -> None:
        self.model = model
        columns = [c for c in model.__table__.columns if c.key not in BOOKKEEPING]
        #: content columns, in the order of a prepared row's values
        self.columns = tuple(c.key for c in columns)
        processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        self._processed = tuple((i, process) for i, process in enumerate(processors) if process is not None)
        self._stamp = DateTime().dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)
        if dialect.paramstyle == "qmark":
            mark = "?"
        elif dialect.paramstyle in ("format", "pyformat"):
            mark = "%s"
        else:  # pragma: no cover - SQLite and psycopg are the drivers we ship with
            raise ValueError(f"paramstyle {dialect.paramstyle} non pris en charge pour l'écriture en masse")
        quote = dialect.identifier_preparer.quote
        names = [quote(c) for c in (*self.columns, "content_hash", "first_seen", "last_seen", "retired_at")]
        # ON CONFLICT (SQLite ≥ 3.24, PostgreSQL ≥ 9.5): a new row is inserted whole; a changed or
        # returning one gets its content, hash and last_seen, keeps first_seen and cluster_id, and
        # is live again.
        updates = [f"{n} = excluded.{n}" for n in names if n not in (quote("id"), quote("first_seen"),
                                                                      quote("retired_at"))]
        self.sql = (f"INSERT INTO {quote(model.__tablename__)} ({', '.join(names)}) "
                    f"VALUES ({', '.join([mark] * len(names))}) "
                    f"ON CONFLICT ({quote('id')}) DO UPDATE SET {', '.join(updates)}, {quote('retired_at')} = NULL")

    def prepare(self, fields: dict[str, Any]) -> Prepared:
        """The row's id, content hash and values (a field the dict lacks is written as NULL)."""
        get = fields.get
        values = [get(key) for key in self.columns]
        for i, process in self._processed:
            values[i] = process(values[i])
        return fields["id"], content_hash(fields), tuple(values)

    def stamp(self, moment) -> Any:
        """A timestamp as the driver takes it."""
        return self._stamp(moment)


@dataclass
class Writers:
    """The two writers of a run, built from the session's dialect before workers are forked."""

    structures: TableWriter
    services: TableWriter

    @classmethod
    def for_session(cls, session: Session) -> "Writers":
        dialect = session.get_bind().dialect
        return cls(TableWriter(Structure, dialect), TableWriter(Service, dialect))


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def upsert_source(session: Session, source: str, structures: list[dict], services: list[dict]) -> StoreCounts:
    """Bring the source's rows to exactly these structures and services (dicts of model fields)."""
    writers = Writers.for_session(session)
    services_of: dict[str, list[Prepared]] = {}
    for fields in services:
        services_of.setdefault(fields["structure_id"], []).append(writers.services.prepare(fields))
    with SourceWriter(session, source, writers) as writer:
        for fields in structures:
            writer.add(writers.structures.prepare(fields), services_of.pop(fields["id"], []))
        for rows in services_of.values():  # services of a structure written earlier
            writer.add(None, rows)
    return writer.counts


class SourceWriter:
    """Brings one source's rows to exactly the offers given to :meth:`add`, as they come.

    Rows are written in batches while the run goes on — in a large run, while worker processes
    still normalise the rest — all in the session's transaction, so a failed run rolls back
    whole. A row whose content hash did not change is not rewritten (only ``last_seen`` moves,
    at the end); a row the source no longer has is retired (``retired_at`` set) when the writer
    closes, never silently kept nor deleted. A structure given twice keeps its first version, a
    service its last. Counts (:attr:`counts`) are of services (what people search for).
    """

    def __init__(self, session: Session, source: str, writers: Writers, batch: int = 2000) -> None:
        self.session, self.source, self.writers, self.batch = session, source, writers, batch
        self.counts = StoreCounts()
        self._now = utcnow()
        self._tables = [_TableState(session, source, writer, writer.stamp(self._now))
                        for writer in (writers.structures, writers.services)]
        self._connection = session.connection()
        self._sqlite = self._connection.dialect.name == "sqlite"
        self._previous_cache = None

    def __enter__(self) -> "SourceWriter":
        if self._sqlite:
            self._previous_cache = self._connection.exec_driver_sql("PRAGMA cache_size").scalar()
            self._connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_WRITE_CACHE_KIB}")
        return self

    def add(self, structure: Prepared | None, services: list[Prepared]) -> None:
        """One offer: its structure (None: written earlier in this run) and its services."""
        structures, services_state = self._tables
        if structure is not None and structure[0] not in structures.seen:
            structures.take(structure)
        for row in services:
            services_state.take(row)
        if len(services_state.pending) >= self.batch or len(structures.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        for table in self._tables:  # structures first: services refer to them
            table.flush(self._connection)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.flush()
                for table in self._tables:
                    table.finish(self.session, self._now)
                structures, services = self._tables
                self.counts = StoreCounts(new=services.new, updated=len(services.written) - services.new,
                                          unchanged=len(services.unchanged), retired=services.retired)
        finally:
            if self._sqlite and self._previous_cache is not None:
                self._connection.exec_driver_sql(f"PRAGMA cache_size = {int(self._previous_cache)}")
        if exc_type is None:
            self.session.flush()


class _TableState:
    """What a :class:`SourceWriter` knows of one table during a run."""

    def __init__(self, session: Session, source: str, writer: TableWriter, stamp) -> None:
        model = writer.model
        self.writer, self.model, self.stamp = writer, model, stamp
        self.existing = {rid: (digest, retired) for rid, digest, retired in session.execute(
            select(model.id, model.content_hash, model.retired_at).where(model.source == source))}
        self.seen: set[str] = set()
        self.written: set[str] = set()
        self.unchanged: set[str] = set()
        self.pending: list[tuple] = []
        self.new = 0
        self.retired = 0

    def take(self, row: Prepared) -> None:
        rid, digest, values = row
        first = rid not in self.seen
        self.seen.add(rid)
        known = self.existing.get(rid)
        if known is None:
            self.new += first
        elif known[0] == digest and known[1] is None and rid not in self.written:
            self.unchanged.add(rid)
            return
        self.unchanged.discard(rid)
        self.written.add(rid)
        self.pending.append((*values, digest, self.stamp, self.stamp, None))

    def flush(self, connection) -> None:
        if self.pending:
            connection.exec_driver_sql(self.writer.sql, self.pending)
            self.pending = []

    def finish(self, session: Session, now) -> None:
        model, plain = self.model, {"synchronize_session": False}
        for chunk in _chunks(sorted(self.unchanged)):
            session.execute(update(model).where(model.id.in_(chunk)).values(last_seen=now), execution_options=plain)
        gone = [rid for rid, (_, retired) in self.existing.items() if rid not in self.seen and retired is None]
        for chunk in _chunks(gone):
            session.execute(update(model).where(model.id.in_(chunk)).values(retired_at=now), execution_options=plain)
        self.retired = len(gone)
