"""``reperes ingest``: the summary table it ends with, and progress shown on a terminal only."""
from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.connectors import get
from indexer.console import COLUMNS, ingest_progress, print_summary
from indexer.run import RunReport

CSV_ROWS = 57  # data/offers/csv/exemple-aveyron.csv


@pytest.fixture
def env(tmp_path):
    return {"REPERES_INSTANCE_DIR": str(tmp_path / "instance"),
            "REPERES_DATABASE_URL": f"sqlite:///{tmp_path / 'reperes.sqlite3'}",
            "REPERES_INGEST_WORKERS": "1"}


def rows(output: str) -> dict[str, list[str]]:
    """The table's rows by source: the cells after the source name, split on runs of spaces."""
    header = next(i for i, line in enumerate(output.splitlines()) if line.split()[:2] == ["source", "statut"])
    out = {}
    for line in output.splitlines()[header + 1:]:
        cells = re.split(r"\s{2,}|\s(?=\d)", line.strip())
        if len(cells) == len(COLUMNS):
            out[cells[0]] = cells[1:]
    return out


def test_ingest_ends_with_a_summary_table(env, tmp_path):
    runner = CliRunner()
    first = runner.invoke(main, ["ingest", "csv", "--no-reindex"], env=env)
    assert first.exit_code == 0, first.output
    assert "Bilan de l'ingestion" in first.stdout
    for column in COLUMNS:
        assert column in first.stdout
    status, read, new, updated, unchanged, retired, quarantined, duration, rate = rows(first.stdout)["csv"]
    assert (status, read, new, updated, unchanged, retired, quarantined) == (
        "ok", str(CSV_ROWS), str(CSV_ROWS), "0", "0", "0", "0")
    assert float(duration) > 0 and int(rate) > 0
    # not a terminal: no progress bar, no colour codes
    assert "\x1b[" not in first.output and "━" not in first.output

    again = rows(runner.invoke(main, ["ingest", "csv", "--no-reindex"], env=env).stdout)["csv"]
    assert again[:6] == ["ok", str(CSV_ROWS), "0", "0", str(CSV_ROWS), "0"]

    shorter = tmp_path / "moins.csv"
    lines = get("csv").default_paths()[0].read_text(encoding="utf-8").splitlines(keepends=True)
    shorter.write_text("".join(lines[:-1]), encoding="utf-8")
    retired = rows(runner.invoke(main, ["ingest", "csv", "--file", str(shorter), "--no-reindex"], env=env).stdout)
    assert retired["csv"][:6] == ["ok", str(CSV_ROWS - 1), "0", "0", str(CSV_ROWS - 1), "1"]


def test_a_failed_source_is_in_the_table_and_the_command_fails(env, tmp_path):
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 8)
    result = CliRunner().invoke(main, ["ingest", "csv", "--file", str(garbage), "--no-reindex"], env=env)
    assert result.exit_code == 1
    assert "ÉCHEC" in result.stderr and "offres précédentes" in result.stderr
    assert rows(result.stdout)["csv"][0] == "ÉCHEC"


def test_several_sources_get_a_total_row():
    reports = [RunReport("a", status="ok", read=10, new=10, duration_s=0.5),
               RunReport("b", status="failed", read=3, quarantined=3, duration_s=0.25)]
    out = io.StringIO()
    print_summary(reports, out)
    table = rows(out.getvalue())
    assert table["a"][:3] == ["ok", "10", "10"] and table["b"][0] == "ÉCHEC"
    assert table["total"] == ["ÉCHEC", "13", "10", "0", "0", "0", "3", "0.75", "17"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_only():
    with ingest_progress("csv", io.StringIO()) as callback:
        assert callback is None
    terminal = Terminal()
    with ingest_progress("csv", terminal) as callback:
        callback(50, 100)
        callback(100, 100)
    assert "csv" in terminal.getvalue()


def test_ingest_reports_its_progress(tmp_path):
    from sqlalchemy.orm import Session

    from app.core.db import create_schema, engine_for
    from indexer.run import PROGRESS_EVERY, ingest

    engine = engine_for(f"sqlite:///{tmp_path}/t.sqlite3")
    create_schema(engine)
    calls = []
    with Session(engine) as session:
        report = ingest(get("aidants-connect"), session, instance_dir=tmp_path, workers=1,
                        progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (report.read, report.read)
    assert len(calls) == report.read // PROGRESS_EVERY + 1
    assert all(done <= total for done, total in calls) and calls == sorted(calls)
