"""Every SPIE lever has real offers within 50 km of Rodez, Albi, Carcassonne and Saint-Denis (974).

Counted with the search service on the bundled data ingested once per session (tests/conftest.py):
``SearchQuery(thematiques=<the lever's sub-themes>, place=<the commune>, rayon_km=50)``. A hit is

* **local**: a place within 50 km where the service is given (``en-presentiel``);
* **territorial**: offered at a distance with a zone that covers the town but is narrower than
  France (its commune, EPCI, département or région: an Occitanie mobility aid counts for the three
  towns of Occitanie);
* **national**: offered at a distance to all of France (Mobiville, national aids-jeunes aids).

Every cell must have a hit; every cell must have a local or territorial hit, except the cells
listed in ``NO_LOCAL_OFFER``, which the bundled data genuinely cannot fill.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core import vocabularies as voc
from app.core.db import session_scope
from app.core.geo import geography
from app.core.models import Service, Structure
from app.search import Place, SearchQuery, get_backend

TOWNS = {"12202": "Rodez", "81004": "Albi", "11069": "Carcassonne", "97411": "Saint-Denis"}
LEVERS = {lv.value: lv for lv in voc.leviers()}

#: (town, lever) cells without any local or territorial offer in the bundled data, checked by hand:
NO_LOCAL_OFFER = {
    # Emergency and temporary accommodation (CHRS, CHU, 115, SIAO): no bundled source lists any in
    # Aveyron or Aude. The annuaire 2019 has no such type, the 2022 data·inclusion structures of the
    # three départements hold only digital-mediation places (their 4 "siao" rows list no
    # accommodation), and the Soliguide file is test data. Only national remote aids remain
    # (domiciliation, Mobiville "Logement temporaire", bail mobilité). Albi is covered by the FJT of
    # "Habitat des jeunes en Albigeois"; Saint-Denis by the data·inclusion extract.
    ("12202", "hebergement"),
    ("11069", "hebergement"),
}


def place(code: str) -> Place:
    commune = geography().commune(code)
    return Place(commune.lat, commune.lon, commune.zone_codes, commune.code_insee)


@pytest.fixture(scope="module")
def backend(settings, ingested):
    return get_backend(settings)


@pytest.fixture(scope="module")
def coverage(settings, backend) -> dict[tuple[str, str], dict[str, int]]:
    """(town, lever) -> {"local": n, "territorial": n, "national": n}."""
    out = {}
    with session_scope(settings.database_url) as session:
        for code in TOWNS:
            for value, lever in LEVERS.items():
                result = backend.search(SearchQuery(thematiques=lever.thematiques, place=place(code), rayon_km=50,
                                                    size=5000, facets=False))
                assert len(result.hits) == result.total, "the page holds every hit"
                remote = [h.id for h in result.hits if h.distance_km is None]
                zones = dict(session.execute(select(Service.id, Service.zone_eligibilite)
                                             .where(Service.id.in_(remote))).all()) if remote else {}
                national = sum(1 for i in remote if "france" in (zones.get(i) or []))
                out[(code, value)] = {"local": result.total - len(remote), "territorial": len(remote) - national,
                                      "national": national}
    return out


def table(coverage) -> str:
    lines = [" " * 20 + "".join(f"{t:>22}" for t in TOWNS.values())]
    for value in LEVERS:
        cells = [coverage[(code, value)] for code in TOWNS]
        lines.append(f"{value:<20}" + "".join(f"{c['local']:>8}L {c['territorial']:>4}T {c['national']:>4}N"
                                               for c in cells))
    return "\n".join(lines)


def test_every_lever_has_an_offer_within_50_km_of_each_town(coverage):
    empty = [cell for cell, counts in coverage.items() if not sum(counts.values())]
    assert not empty, f"no offer at all:\n{table(coverage)}"


def test_every_lever_has_a_local_or_territorial_offer_where_the_data_has_one(coverage):
    missing = {cell for cell, counts in coverage.items() if not counts["local"] + counts["territorial"]}
    assert missing == NO_LOCAL_OFFER, f"expected gaps {sorted(NO_LOCAL_OFFER)}:\n{table(coverage)}"


@pytest.mark.parametrize("code,lever,expected", [
    # childcare: the PMI of each town (it approves and lists the assistants maternels), point info famille
    ("12202", "garde-enfants", "service-public--pmi-12202-01-accueil"),
    ("81004", "garde-enfants", "service-public--pif-81004-01-accueil"),
    # housing: the ADIL, an aid of the Occitanie region counts for the three towns of its départements
    ("81004", "logement", "service-public--adil-81004-01-accueil"),
    ("12202", "mobilite", "aides-jeunes--region-occitanie-aide-covoiturage"),
    ("11069", "mobilite", "aides-jeunes--carcassonne_aide_permis"),
    ("81004", "hebergement", "data-inclusion--conseiller-numerique--62ac6fd28255a806e299d717--rs-fjt-logement"),
])
def test_known_offers_are_found(backend, code, lever, expected):
    result = backend.search(SearchQuery(thematiques=LEVERS[lever].thematiques, place=place(code), rayon_km=50,
                                        size=5000, facets=False))
    assert expected in {h.id for h in result.hits}


def test_remote_services_of_la_reunion_do_not_reach_the_mainland(backend):
    """A La Réunion service offered at a distance is limited to 974, not eligible all over France."""
    result = backend.search(SearchQuery(place=place("12202"), rayon_km=50, size=5000, facets=False))
    assert not [h.id for h in result.hits if h.id.startswith("data-inclusion--") and h.distance_km is None]


def test_exclure_doublons_keeps_the_best_structure_of_each_cluster_around_rodez(settings, backend):
    """data·inclusion's rule: every service of a structure without cluster, and of the best live
    structure of each cluster (``score_qualite``, then latest ``date_maj``, then id), whatever the query."""
    everything = backend.search(SearchQuery(place=place("12202"), rayon_km=50, size=5000, facets=False))
    folded = backend.search(SearchQuery(place=place("12202"), rayon_km=50, size=5000, facets=False,
                                        exclure_doublons=True))
    assert 0 < folded.total < everything.total and len(folded.hits) == folded.total
    with session_scope(settings.database_url) as session:
        structure_of = dict(session.execute(select(Service.id, Service.structure_id)
                                            .where(Service.id.in_([h.id for h in everything.hits]))).all())
        live = session.execute(select(Structure.id, Structure.cluster_id, Structure.score_qualite,
                                      Structure.date_maj).where(Structure.retired_at.is_(None))).all()
    members: dict[str, list] = {}
    for row in live:
        if row.cluster_id:
            members.setdefault(row.cluster_id, []).append(row)
    best = {min(rows, key=lambda r: (-(r.score_qualite or 0.0), r.date_maj is None,
                                     -(r.date_maj.toordinal() if r.date_maj else 0), r.id)).id
            for rows in members.values()}
    clustered = {row.id for rows in members.values() for row in rows}
    expected = [h.id for h in everything.hits
                if structure_of[h.id] not in clustered or structure_of[h.id] in best]
    assert [h.id for h in folded.hits] == expected, "the ordinary order over the kept services"
    # the Insertion par l'activité économique structure (SIAE list) beats its conseiller numérique
    # record: both of its services stay, the other record's goes
    siae = {"siae--48048342900043-aci-012", "siae--48048342900043-ei-012"}
    other = "conseillers-numeriques--48048342900043-12000"
    assert siae | {other} <= {h.id for h in everything.hits}
    assert siae <= {h.id for h in folded.hits} and other not in {h.id for h in folded.hits}
    # France Services de Rodez is in the ANCT list (0.89) and in Aidants Connect (0.69)
    desks = {"france-services--2579--demarches", "aidants-connect--5140-aidants-connect"}
    assert desks <= {h.id for h in everything.hits}
    assert desks & {h.id for h in folded.hits} == {"france-services--2579--demarches"}
