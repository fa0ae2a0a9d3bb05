"""Alembic migrations: an empty database upgraded to head has exactly the models' schema, on
SQLite and on PostgreSQL; downgrade to base empties it; a database made by ``create_all``
before migrations existed is stamped, not re-created."""
from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, pool, text

from app.core.migrate import (BASELINE, BASELINE_TABLES, alembic_config, current_revision, downgrade_database,
                              schema_differences, upgrade_database)
from app.core.models import Base


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def table_names(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names()) - {"spatial_ref_sys"}
    finally:
        engine.dispose()


def test_one_head_and_baseline_first():
    """Two engineers adding revisions on the same parent make two heads: merge them (alembic merge)."""
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, script.get_heads()
    assert [r.revision for r in script.walk_revisions()][-1] == BASELINE


def test_models_tables_are_the_baseline_or_later():
    assert BASELINE_TABLES <= set(Base.metadata.tables)


def check_upgrade_downgrade(url: str) -> None:
    upgrade_database(url)
    assert current_revision(url) == head()
    assert schema_differences(url) == []
    assert table_names(url) == set(Base.metadata.tables) | {"alembic_version"}
    upgrade_database(url)  # idempotent
    assert current_revision(url) == head()

    downgrade_database(url, "base")
    assert current_revision(url) is None
    assert table_names(url) == {"alembic_version"}

    upgrade_database(url)  # and back again
    assert schema_differences(url) == []


def test_sqlite_empty_file(tmp_path):
    check_upgrade_downgrade(f"sqlite:///{tmp_path / 'new-folder' / 'reperes.sqlite3'}")


def test_sqlite_migrated_equals_create_all(tmp_path):
    """Same check the other way round: the create_all database has no differences either."""
    url = f"sqlite:///{tmp_path / 'create_all.sqlite3'}"
    engine = create_engine(url, poolclass=pool.NullPool)
    Base.metadata.create_all(engine)
    engine.dispose()
    assert schema_differences(url) == []


def test_sqlite_database_made_by_create_all_is_stamped(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url, poolclass=pool.NullPool)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO source_runs (source, started_at, status, read, new, updated, unchanged, "
                          "retired, quarantined) VALUES ('x', '2026-01-01 00:00:00', 'ok', 1, 1, 0, 0, 0, 0)"))
    engine.dispose()
    assert current_revision(url) is None

    upgrade_database(url)

    assert current_revision(url) == head()
    assert schema_differences(url) == []
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:  # stamped, not re-created: the data is still there
        assert conn.execute(text("SELECT count(*) FROM source_runs")).scalar() == 1
    engine.dispose()


def test_partial_database_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'partial.sqlite3'}"
    engine = create_engine(url, poolclass=pool.NullPool)
    Base.metadata.tables["source_runs"].create(engine)
    engine.dispose()
    with pytest.raises(RuntimeError, match="not all of them"):
        upgrade_database(url)


@pytest.mark.postgres
def test_postgresql_fresh_database():
    from tests.postgres_server import scratch_database

    with scratch_database("mig") as url:
        check_upgrade_downgrade(url)


@pytest.mark.postgres
def test_postgresql_database_made_by_create_all_is_stamped():
    from tests.postgres_server import scratch_database

    with scratch_database("mig") as url:
        engine = create_engine(url, poolclass=pool.NullPool)
        Base.metadata.create_all(engine)
        engine.dispose()
        upgrade_database(url)
        assert current_revision(url) == head()
        assert schema_differences(url) == []


def test_differences_are_seen(tmp_path):
    """The comparison is not vacuous: a missing index and a changed column length show up."""
    url = f"sqlite:///{tmp_path / 'drift.sqlite3'}"
    upgrade_database(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_services_source"))
        conn.execute(text("ALTER TABLE source_runs ADD COLUMN surplus INTEGER"))
    engine.dispose()
    kinds = {d[0] if isinstance(d, tuple) else d[0][0] for d in schema_differences(url)}
    assert {"add_index", "remove_column"} <= kinds
