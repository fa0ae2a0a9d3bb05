"""Search documents for contract tests, shaped exactly like app.search.documents produces them."""
from __future__ import annotations

from app.core import vocabularies as voc
from app.core.geo import geography
from app.search.documents import best_duplicates
from app.search.lexicon import document_stems


def make_doc(local_id: str, nom: str, thematiques=(), *, commune: str | None = "12202", dlat: float = 0.0,
             dlon: float = 0.0, located: bool = True, modes=("en-presentiel",), zone=None,
             publics=("tous-publics",), frais=("gratuit",), type_="accompagnement", source="test",
             structure: str | None = None, score=0.5, date_maj="2025-06-01", description="", codes_rome=(),
             best_duplicate: bool = True) -> dict:
    geo = geography()
    c = geo.commune(commune) if commune else None
    lat = (c.lat + dlat) if (c and located) else None
    lon = (c.lon + dlon) if (c and located) else None
    labels = [voc.label("thematiques", t) for t in thematiques] + [voc.label("publics", p) for p in publics]
    return {
        "id": f"{source}--{local_id}", "source": source, "structure_id": structure or f"{source}--s{local_id}",
        "nom": nom, "structure_nom": None, "type": type_, "thematiques": sorted(thematiques),
        "categories": sorted({voc.category_of(t) for t in thematiques}), "publics": sorted(publics),
        "frais": list(frais), "modes_accueil": sorted(modes), "zone_eligibilite": list(zone) if zone else None,
        "score_qualite": score, "best_duplicate": best_duplicate, "date_maj": date_maj,
        "lat": lat, "lon": lon, "code_insee": c.code_insee if c else None,
        "code_departement": c.code_departement if c else None, "codes_rome": sorted(codes_rome),
        "text_names": document_stems(nom), "text_labels": document_stems(" ".join(labels)),
        "text_body": document_stems(description), "names": nom, "labels": " ".join(labels), "body": description,
    }


def with_duplicates(docs: list[dict], structures: dict[str, tuple]) -> list[dict]:
    """Flag ``best_duplicate`` as the index build does (:func:`app.search.documents.best_duplicates`);
    ``structures``: structure id -> (cluster_id, score_qualite, date_maj); others have no cluster."""
    flags = best_duplicates((sid, *row) for sid, row in structures.items())
    return [{**doc, "best_duplicate": flags.get(doc["structure_id"], True)} for doc in docs]
