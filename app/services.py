"""Application services: what views call. They speak domain words and know no HTTP."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.coordination.demand import record_search
from app.core.db import session_scope
from app.core.geo import Commune, geography
from app.core.models import Service, SourceRun, Structure
from app.search import Place, SearchQuery, SearchResult


def settings():
    return current_app.config["REPERES"]


def backend():
    return current_app.extensions["reperes.search"]


def place_for(code_commune: str | None, lat: float | None, lon: float | None) -> Place | None:
    """The search origin: lat/lon when given (eligibility still from the commune), else the commune centre."""
    commune: Commune | None = geography().commune(code_commune) if code_commune else None
    if commune is None and lat is None:
        return None
    zone = commune.zone_codes if commune else ()
    if lat is not None and lon is not None:
        return Place(lat, lon, zone, commune.code_insee if commune else None)
    return Place(commune.lat, commune.lon, zone, commune.code_insee)


@dataclass
class Page:
    items: list
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.size) if self.size else 0


def run_search(query: SearchQuery) -> SearchResult:
    """Run a search and log it as a demand signal (no personal data, app/coordination/demand.py)."""
    result = backend().search(query)
    record_search(query, result)
    return result


def search(query: SearchQuery) -> tuple[SearchResult, dict[str, Service]]:
    """Run a search and load the services of the page (with their structures)."""
    result = run_search(query)
    ids = [h.id for h in result.hits]
    with session_scope(settings().database_url) as session:
        rows = session.scalars(select(Service).where(Service.id.in_(ids))).unique().all() if ids else []
        services = {s.id: s for s in rows}
        for s in rows:
            session.expunge(s)
    return result, services


def get_service(service_id: str) -> Service | None:
    with session_scope(settings().database_url) as session:
        service = session.get(Service, service_id)
        if service is not None:
            _ = service.structure.services
            session.expunge_all()
        return service


def get_structure(structure_id: str) -> tuple[Structure | None, list[Structure]]:
    """A structure with its services, and the other structures of its duplicate cluster."""
    with session_scope(settings().database_url) as session:
        structure = session.get(Structure, structure_id)
        doublons: list[Structure] = []
        if structure is not None:
            _ = structure.services
            if structure.cluster_id:
                doublons = list(session.scalars(select(Structure).where(
                    Structure.cluster_id == structure.cluster_id, Structure.id != structure.id,
                    Structure.retired_at.is_(None))))
            session.expunge_all()
        return structure, doublons


def list_structures(*, sources=(), reseaux_porteurs=(), departements=(), code_commune=None,
                    exclure_doublons=False, page=1, size=50) -> Page:
    with session_scope(settings().database_url) as session:
        stmt = select(Structure).where(Structure.retired_at.is_(None)).order_by(Structure.id)
        if sources:
            stmt = stmt.where(Structure.source.in_(sources))
        if code_commune:
            stmt = stmt.where(Structure.code_insee == code_commune)
        rows = list(session.scalars(stmt.execution_options(populate_existing=False)).unique())
        if departements:
            geo = geography()
            rows = [s for s in rows if s.code_insee and (c := geo.commune(s.code_insee))
                    and c.code_departement in departements]
        if reseaux_porteurs:
            wanted = set(reseaux_porteurs)
            rows = [s for s in rows if wanted & set(s.reseaux_porteurs or [])]
        if exclure_doublons:
            best: dict[str, Structure] = {}
            for s in rows:
                key = s.cluster_id or s.id
                cur = best.get(key)
                if cur is None or _representative_key(s) > _representative_key(cur):
                    best[key] = s
            rows = sorted(best.values(), key=lambda s: s.id)
        total = len(rows)
        items = rows[(page - 1) * size: page * size]
        session.expunge_all()
        return Page(items, total, page, size)


def _representative_key(structure: Structure) -> tuple:
    """Best of a duplicate cluster: highest ``score_qualite``, then the most recent ``date_maj``."""
    return (structure.score_qualite or 0.0, structure.date_maj or dt.date.min)


def sources_overview() -> list[dict]:
    """Every declared source with its licence, live offer count and last run."""
    from indexer.connectors import registry

    with session_scope(settings().database_url) as session:
        counts = dict(session.execute(select(Service.source, func.count()).where(
            Service.retired_at.is_(None)).group_by(Service.source)).all())
        last_runs = {}
        for run in session.scalars(select(SourceRun).order_by(SourceRun.id)):
            last_runs[run.source] = run
        out = []
        for name, cls in sorted(registry().items()):
            run = last_runs.get(name)
            out.append({
                "slug": name, "nom": cls.label, "licence": cls.licence, "format": cls.format,
                "origine": cls.origin, "leviers": list(cls.leviers), "services": counts.get(name, 0),
                "derniere_execution": None if run is None else {
                    "date": run.finished_at or run.started_at, "statut": run.status, "lus": run.read,
                    "quarantaine": run.quarantined, "message": run.message},
            })
        return out


def count_services(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Service).where(Service.retired_at.is_(None))) or 0
