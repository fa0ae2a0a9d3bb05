"""The one document serialiser: a stored service (and its structure) -> a search document.

Both backends index exactly these documents, so they search the same words, the same
filter values and the same points.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.core import vocabularies as voc
from app.core.geo import geography
from app.core.models import Service, Structure
from app.search.lexicon import document_stems


def service_document(service: Service, structure: Structure | None) -> dict:
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
        "cluster_id": (structure.cluster_id if structure is not None and structure.cluster_id
                       else service.structure_id),
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
    stmt = (select(Service).where(Service.retired_at.is_(None)).order_by(Service.id)
            .options(joinedload(Service.structure)).execution_options(yield_per=batch))
    for service in session.scalars(stmt):
        yield service_document(service, service.structure)


def documents_from(services: Iterable[Service]) -> list[dict]:
    return [service_document(s, s.structure) for s in services]
