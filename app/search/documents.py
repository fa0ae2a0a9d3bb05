"""The one document serialiser: a stored service (and its structure) -> a search document.

Both backends index exactly these documents, so they search the same words, the same
filter values and the same points.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, object_session

from app.core import vocabularies as voc
from app.core.facts import searchable_words
from app.core.geo import geography
from app.core.models import Service, Structure
from app.search.lexicon import document_stems


#: (structure id, cluster_id, score_qualite, date_maj) of one structure
StructureRow = tuple[str, str | None, float | None, dt.date | str | None]


def best_duplicates(structures: Iterable[StructureRow]) -> dict[str, bool]:
    """Structure id -> whether ``exclure_doublons`` keeps its services (data·inclusion's
    ``_cluster_id IS NULL OR _is_best_duplicate``).

    True for a structure without ``cluster_id``; in a cluster, True for its best structure only:
    highest ``score_qualite`` (missing = 0), then the latest ``date_maj`` (missing last), then the
    smallest id. Decided per structure, whatever the query; pass live structures only.
    """
    best: dict[str, tuple[tuple, str]] = {}
    flags: dict[str, bool] = {}
    for sid, cluster, score, date_maj in structures:
        flags[sid] = not cluster
        if not cluster:
            continue
        if isinstance(date_maj, str):
            date_maj = dt.date.fromisoformat(date_maj[:10])
        key = (-(score or 0.0), date_maj is None, -date_maj.toordinal() if date_maj else 0, sid)
        if cluster not in best or key < best[cluster][0]:
            best[cluster] = (key, sid)
    for _key, sid in best.values():
        flags[sid] = True
    return flags


def live_best_duplicates(session: Session) -> dict[str, bool]:
    """:func:`best_duplicates` of the live structures, in one query."""
    return best_duplicates(session.execute(
        select(Structure.id, Structure.cluster_id, Structure.score_qualite, Structure.date_maj)
        .where(Structure.retired_at.is_(None))).all())


def service_document(service: Service, structure: Structure | None, best_duplicate: bool = True) -> dict:
    """``best_duplicate``: kept by ``exclure_doublons`` (see :func:`best_duplicates`)."""
    geo = geography()
    commune = geo.commune(service.code_insee) if service.code_insee else None
    lat, lon = service.latitude, service.longitude
    if (lat is None or lon is None) and structure is not None:
        lat, lon = structure.latitude, structure.longitude
    thematiques = sorted(service.thematiques or [])
    publics = sorted(service.publics or [])
    modes = sorted(service.modes_accueil or [])
    extra = service.extra or {}
    labels = [voc.label("thematiques", t) for t in thematiques]
    labels += sorted({voc.label("categories", voc.category_of(t)) for t in thematiques})
    labels += [voc.label("publics", p) for p in publics]
    if service.type:
        labels.append(voc.label("types-services", service.type))
    if structure is not None and structure.reseaux_porteurs:
        labels += [voc.label("reseaux-porteurs", r) for r in structure.reseaux_porteurs]
    body = [service.description or "", service.publics_precisions or "", service.conditions_acces or "",
            service.frais_precisions or "", " ".join(extra.get("mots_cles") or [])]
    if structure is not None and structure.description:
        body.append(structure.description)
    # kind-specific facts (certification, IAE measure, jobs, funders…: app/core/facts.py) are words too
    body.append(" ".join(searchable_words(service)))
    names = [service.nom, structure.nom if structure is not None else ""]
    return {
        "id": service.id,
        "source": service.source,
        "structure_id": service.structure_id,
        "nom": service.nom,
        "structure_nom": structure.nom if structure is not None else None,
        "type": service.type,
        "thematiques": thematiques,
        "categories": sorted({voc.category_of(t) for t in thematiques}),
        "publics": publics,
        "frais": [service.frais] if service.frais else [],
        "modes_accueil": modes,
        "zone_eligibilite": list(service.zone_eligibilite) if service.zone_eligibilite else None,
        "score_qualite": service.score_qualite,
        # data·inclusion's ``exclure_doublons`` keeps every service of the structures flagged here
        "best_duplicate": bool(best_duplicate),
        "date_maj": service.date_maj.isoformat() if service.date_maj else None,
        "lat": lat,
        "lon": lon,
        "code_insee": service.code_insee,
        "code_departement": commune.code_departement if commune else None,
        # the métiers the service leads to, as its source declared them (docs/metiers.md)
        "codes_rome": sorted(set(extra.get("codes_rome") or [])),
        "text_names": document_stems(" ".join(names)),
        "text_labels": document_stems(" ".join(labels)),
        "text_body": document_stems(" ".join(body)),
        # the same fields unstemmed, for engines that analyse text themselves (OpenSearch)
        "names": " ".join(n for n in names if n),
        "labels": " ".join(labels),
        "body": " ".join(b for b in body if b),
    }


def iter_documents(session: Session, batch: int = 2000) -> Iterator[dict]:
    """Every live (not retired) service, as search documents, in id order."""
    best = live_best_duplicates(session)
    stmt = (select(Service).where(Service.retired_at.is_(None)).order_by(Service.id)
            .options(joinedload(Service.structure)).execution_options(yield_per=batch))
    for service in session.scalars(stmt):
        # a structure that is not live (not in ``best``) has no live cluster: its services stay
        yield service_document(service, service.structure, best.get(service.structure_id, True))


def documents_from(services: Iterable[Service]) -> list[dict]:
    """These services as documents; duplicates are flagged from their session's live structures."""
    services = list(services)
    session = object_session(services[0]) if services else None
    best = live_best_duplicates(session) if session is not None else {}
    return [service_document(s, s.structure, best.get(s.structure_id, True)) for s in services]
