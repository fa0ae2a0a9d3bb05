"""What ``reperes ingest`` shows: progress bars on a terminal only, and a summary table at the end.

Progress goes to stderr and only when stderr is a terminal (``rich``, see
docs/decisions/0004-other-dependencies.md): logs, cron mails and CI output stay plain. The summary
table goes to stdout in every case, as text without colours when stdout is not a terminal.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from indexer.run import RunReport

#: width of the table when stdout is not a terminal (rich would otherwise assume 80 columns)
PLAIN_WIDTH = 132
COLUMNS = ("source", "statut", "lus", "nouveaux", "mis à jour", "inchangés", "retirés", "quarantaine",
           "durée (s)", "enr./s")


def interactive(stream=None) -> bool:
    stream = sys.stderr if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def ingest_progress(label: str, stream=None) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback drawing a bar on a terminal, or None elsewhere."""
    stream = sys.stderr if stream is None else stream
    if not interactive(stream):
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@contextmanager
def step(message: str, stream=None) -> Iterator[None]:
    """A spinner for a step without a count (deduplication, reindexing), on a terminal only."""
    stream = sys.stderr if stream is None else stream
    if not interactive(stream):
        yield
        return
    with Progress(SpinnerColumn(), TextColumn(message), TimeElapsedColumn(), console=Console(file=stream),
                  transient=True) as bar:
        bar.add_task(message, total=None)
        yield


def _row(report: RunReport) -> list[str]:
    status = "ok" if report.status == "ok" else "ÉCHEC"
    return [report.source, status, str(report.read), str(report.new), str(report.updated), str(report.unchanged),
            str(report.retired), str(report.quarantined), f"{report.duration_s:.2f}", f"{report.records_per_s:.0f}"]


def summary_table(reports: list[RunReport]) -> Table:
    table = Table(title="Bilan de l'ingestion", box=box.SIMPLE_HEAD, title_justify="left")
    for i, name in enumerate(COLUMNS):
        table.add_column(name, justify="left" if i < 2 else "right", no_wrap=True)
    for report in reports:
        table.add_row(*_row(report))
    if len(reports) > 1:
        total = RunReport("total", status="ok" if all(r.status == "ok" for r in reports) else "failed")
        for key in ("read", "new", "updated", "unchanged", "retired", "quarantined", "duration_s"):
            setattr(total, key, sum(getattr(r, key) for r in reports))
        table.add_section()
        table.add_row(*_row(total))
    return table


def print_summary(reports: list[RunReport], stream=None) -> None:
    stream = sys.stdout if stream is None else stream
    terminal = interactive(stream)
    console = Console(file=stream, width=None if terminal else PLAIN_WIDTH, no_color=not terminal,
                      highlight=False, emoji=False)
    console.print(summary_table(reports))
