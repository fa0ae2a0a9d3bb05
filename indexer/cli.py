"""The ``reperes`` command: ingest sources, list them, rebuild the search index."""
from __future__ import annotations

import hashlib
import logging
import sys
from pathlib import Path

import click
from sqlalchemy import func, select

from app.core.db import create_schema, engine_for, session_scope
from app.core.models import QuarantinedRow, Service, SourceRun
from config import load_settings
from config.settings import settings_markdown


def _settings():
    return load_settings()


def _prepare(settings) -> None:
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    create_schema(engine_for(settings.database_url))


@click.group()
def main() -> None:
    """Repères — ingestion et index de l'offre d'insertion."""
    logging.basicConfig(level=_settings().log_level, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("source", required=False)
@click.option("--all", "all_sources", is_flag=True, help="Toutes les sources déclarées.")
@click.option("--file", "files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Fichier à lire à la place des fichiers fournis (répétable).")
@click.option("--replay", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Rejouer une entrée brute déjà stockée (dossier instance/raw/<source>/<empreinte>).")
@click.option("--no-reindex", is_flag=True, help="Ne pas reconstruire l'index de recherche.")
def ingest(source: str | None, all_sources: bool, files: tuple[Path, ...], replay: Path | None,
           no_reindex: bool) -> None:
    """Ingérer une source (ou toutes), puis dédoublonner et réindexer."""
    from indexer.connectors import get, registry
    from indexer.console import ingest_progress, print_summary, step
    from indexer.dedupe import cluster_structures
    from indexer.geocode import geocoder_from_settings
    from indexer.run import RunFailed, ingest as run_ingest

    settings = _settings()
    _prepare(settings)
    geocoder = geocoder_from_settings(settings)
    if all_sources == bool(source):
        raise click.UsageError("donner une SOURCE ou --all")
    names = sorted(registry()) if all_sources else [source]
    failed, reports = [], []
    for name in names:
        try:
            connector = get(name)
        except KeyError as exc:
            raise click.UsageError(str(exc)) from None
        with session_scope(settings.database_url) as session, ingest_progress(name) as progress:
            try:
                report = run_ingest(connector, session, settings.instance_dir, paths=list(files) or None,
                                    replay=replay, geocoder=geocoder, workers=settings.ingest_workers,
                                    progress=progress)
            except RunFailed as exc:
                click.echo(f"{name}: ÉCHEC — {exc} (les offres précédentes de la source sont conservées)", err=True)
                failed.append(name)
                if exc.report is not None:
                    reports.append(exc.report)
                continue
        reports.append(report)
        click.echo(report.summary())
        if report.quarantined:
            click.echo(f"  {report.quarantined} ligne(s) en quarantaine — `reperes quarantine {name}` pour les voir")
    with session_scope(settings.database_url) as session, step("dédoublonnage…"):
        rules = cluster_structures(session)
    click.echo(f"dédoublonnage : {rules.get('clusters', 0)} groupes ({', '.join(f'{k} {v}' for k, v in rules.items() if k != 'clusters')})")
    if not no_reindex:
        with step("réindexation…"):
            _reindex(settings)
    print_summary(reports)
    if failed:
        sys.exit(1)


def _reindex(settings) -> int:
    """Rebuild the index; a file lock serialises concurrent rebuilds (the last swap would win)."""
    import fcntl

    from app.search import get_backend
    from app.search.documents import iter_documents

    with open(settings.instance_dir / "reindex.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with session_scope(settings.database_url) as session:
            count = get_backend(settings).rebuild(iter_documents(session))
    click.echo(f"index {settings.search_url}: {count} services")
    return count


@main.command()
def reindex() -> None:
    """Reconstruire l'index de recherche depuis la base (bascule atomique)."""
    settings = _settings()
    _prepare(settings)
    _reindex(settings)


@main.command()
def sources() -> None:
    """Une ligne par source : offres, dernière exécution, statut."""
    from indexer.connectors import registry

    settings = _settings()
    _prepare(settings)
    with session_scope(settings.database_url) as session:
        counts = dict(session.execute(select(Service.source, func.count()).where(
            Service.retired_at.is_(None)).group_by(Service.source)).all())
        runs = {r.source: r for r in session.scalars(select(SourceRun).order_by(SourceRun.id))}
        for name in sorted(registry()):
            run = runs.get(name)
            last = "never" if run is None else \
                f"{(run.finished_at or run.started_at):%Y-%m-%d %H:%M} {run.status}"
            click.echo(f"{name:<24} {counts.get(name, 0):>6} offers  last run {last}")


@main.command()
@click.argument("source")
@click.option("--limit", default=50, show_default=True)
def quarantine(source: str, limit: int) -> None:
    """Lignes en quarantaine de la dernière exécution d'une source."""
    settings = _settings()
    _prepare(settings)
    with session_scope(settings.database_url) as session:
        run = session.scalars(select(SourceRun).where(SourceRun.source == source)
                              .order_by(SourceRun.id.desc())).first()
        if run is None:
            raise click.ClickException(f"aucune exécution pour {source}")
        rows = session.scalars(select(QuarantinedRow).where(QuarantinedRow.run_id == run.id)
                               .order_by(QuarantinedRow.id).limit(limit)).all()
        click.echo(f"{source}: exécution {run.id} ({run.status}), {run.quarantined} ligne(s) en quarantaine")
        for row in rows:
            click.echo(f"  ligne {row.row_number}: {row.reason}\n    {(row.raw or '')[:160]}")


@main.command()
@click.option("--markdown", is_flag=True, help="Tableau Markdown (docs/configuration.md).")
def settings(markdown: bool) -> None:
    """Les réglages REPERES_* et leur valeur courante."""
    if markdown:
        click.echo(settings_markdown(), nl=False)
        return
    current = _settings()
    for key, value in sorted(current.values.items()):
        click.echo(f"REPERES_{key.upper()}={value if value is not None else ''}")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", "mapping_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Correspondance YAML du tableur (ex. data/mappings/exemple-departement.yaml).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Rapport lisible (text) ou JSON (une entrée par problème : ligne, colonne, valeur, message).")
def validate(file: Path, mapping_path: Path, fmt: str) -> None:
    """Valider un tableur CSV ou XLSX ligne par ligne avant de l'ingérer (messages en français)."""
    import json

    from indexer.validate import validate_file

    report = validate_file(file, mapping_path)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(report.as_text())
    sys.exit(1 if report.erreurs else 0)


@main.command("export-hsds")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", "sources", multiple=True, help="Limiter à ces sources (répétable).")
@click.option("--departement", "departements", multiple=True, help="Limiter à ces départements (répétable).")
def export_hsds_command(output: Path, sources: tuple[str, ...], departements: tuple[str, ...]) -> None:
    """Exporter les services non retirés au format Open Referral HSDS 3.0 (JSON)."""
    from indexer.exporters.hsds import export_hsds, write_package

    settings = _settings()
    _prepare(settings)
    with session_scope(settings.database_url) as session:
        package = export_hsds(session, list(sources) or None, list(departements) or None)
    write_package(package, output)
    click.echo(", ".join(f"{r['name']} {len(r['data'])}" for r in package["resources"]))


def data_fingerprint(data_dir: Path) -> str:
    """Content hash of the bundled data and of the code that shapes stored offers."""
    digest = hashlib.sha256()
    root = data_dir.parent
    roots = [data_dir / "offers", data_dir / "vocabularies", root / "indexer"]
    for folder in roots:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@main.command()
def bootstrap() -> None:
    """Ingérer les données fournies si la base manque ou est plus ancienne qu'elles (make run),
    et construire l'index de recherche s'il manque."""
    from app.search import SearchUnavailable, get_backend

    settings = _settings()
    _prepare(settings)
    stamp = settings.instance_dir / "data-fingerprint.txt"
    current = data_fingerprint(settings.data_dir)
    with session_scope(settings.database_url) as session:
        live = session.scalar(select(func.count()).select_from(Service).where(Service.retired_at.is_(None))) or 0
    if live and stamp.exists() and stamp.read_text().strip() == current:
        try:
            indexed = get_backend(settings).count()
        except SearchUnavailable:
            indexed = -1
        if indexed == live:
            click.echo(f"données à jour ({live} services indexés), rien à ingérer")
            return
        click.echo(f"index de recherche à reconstruire ({indexed} documents pour {live} services)")
        _reindex(settings)
        return
    ctx = click.get_current_context()
    try:
        ctx.invoke(ingest, source=None, all_sources=True, files=(), replay=None, no_reindex=False)
    except SystemExit as exc:
        if exc.code:
            click.echo("attention : une source au moins a échoué ; le service démarre avec les autres, "
                       "l'ingestion sera retentée au prochain démarrage", err=True)
            return
    stamp.write_text(current)


# -- coordinators' space: `reperes users create|list|disable|enable|role|password` (app/coordination/cli.py)
from app.coordination.cli import users as _users  # noqa: E402

main.add_command(_users)


if __name__ == "__main__":
    main()
