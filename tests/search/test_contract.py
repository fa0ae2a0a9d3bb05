"""The search contract (data·inclusion semantics), run unchanged against every backend."""
from __future__ import annotations

import pytest

from app.core.geo import geography
from app.search import Place, SearchQuery
from tests.search.factory import make_doc, with_duplicates

RODEZ = geography().commune("12202")
HERE = Place(RODEZ.lat, RODEZ.lon, RODEZ.zone_codes, RODEZ.code_insee)
NUM = "numerique--acceder-a-des-services-en-ligne"
NUM2 = "numerique--maitriser-les-fondamentaux-du-numerique"
GARDE = "famille--garde-denfants"
PERMIS = "mobilite--preparer-un-permis"


def ids(result):
    return [h.id for h in result.hits]


def all_ids(backend, **kwargs):
    out, page = [], 1
    while True:
        res = backend.search(SearchQuery(page=page, size=3, facets=False, **kwargs))
        out += ids(res)
        if page * 3 >= res.total:
            return out, res.total
        page += 1


@pytest.fixture
def corpus():
    return with_duplicates([
        make_doc("near", "Point numérique de Rodez", [NUM], dlat=0.01),                      # ~1 km
        make_doc("mid", "Atelier informatique", [NUM2], dlat=0.2),                            # ~22 km
        make_doc("far", "Cyberbase lointaine", [NUM], dlat=0.6),                              # ~67 km
        make_doc("remote", "Aide en ligne nationale", [NUM], located=False, modes=("a-distance",)),
        make_doc("remote-far", "Permanence téléphonique", [NUM], dlat=3.0, modes=("a-distance", "en-presentiel")),
        make_doc("nomode", "Service sans mode d'accueil", [NUM], dlat=0.05, modes=()),
        make_doc("zone-dep", "Réservé à l'Aveyron", [NUM], dlat=0.02, zone=["12"]),
        make_doc("zone-epci", "Réservé à l'agglomération", [NUM], dlat=0.03, zone=[RODEZ.siren_epci]),
        make_doc("zone-com", "Réservé à Rodez", [NUM], dlat=0.04, zone=["12202"]),
        make_doc("zone-fr", "National", [NUM], dlat=0.045, zone=["france"]),
        make_doc("zone-tarn", "Réservé au Tarn", [NUM], dlat=0.035, zone=["81"]),
        make_doc("creche", "Crèche Les Lutins", [GARDE], dlat=0.015, publics=("familles",),
                 description="Multi-accueil pour les enfants de 10 semaines à 4 ans"),
        make_doc("jeunes", "Garantie jeunes", ["trouver-un-emploi--repondre-a-des-offres-demploi"], dlat=0.016,
                 publics=("jeunes",), frais=("payant",), type_="atelier", source="autre"),
        make_doc("seniors", "Club seniors", ["remobilisation--lien-social"], dlat=0.017, publics=("seniors",)),
        make_doc("permis", "Auto-école sociale", [PERMIS], dlat=0.1, score=0.9,
                 description="Préparer le code de la route et la conduite"),
        make_doc("dup-a", "France Services Rodez", [NUM], dlat=0.005, score=0.9, source="a"),
        make_doc("dup-b", "Maison France Services de Rodez", [NUM], dlat=0.006, score=0.4, source="b"),
        make_doc("dup-c", "France services (Rodez)", [NUM], dlat=0.007, score=0.9, date_maj="2024-01-01", source="c"),
        make_doc("nowhere", "Sans lieu", [NUM], commune=None, located=False),
    ], {"a--sdup-a": ("c1", 0.9, "2025-06-01"), "b--sdup-b": ("c1", 0.4, "2025-06-01"),
        "c--sdup-c": ("c1", 0.9, "2024-01-01")})


@pytest.fixture
def backend(build_backend, corpus):
    return build_backend(corpus)


def test_radius_and_remote(backend):
    found, total = all_ids(backend, place=HERE)
    assert "test--near" in found and "test--mid" in found
    assert "test--far" not in found, "67 km away is outside the default 50 km"
    assert "test--remote" in found and "test--remote-far" in found, "a-distance services are kept"
    assert "test--nowhere" not in found, "no point and not remote: cannot be near"
    narrow, _ = all_ids(backend, place=HERE, rayon_km=10)
    assert "test--mid" not in narrow and "test--near" in narrow


def test_distance_only_for_onsite_in_range(backend):
    res = backend.search(SearchQuery(place=HERE, size=100))
    by_id = {h.id: h for h in res.hits}
    assert 0.5 < by_id["test--near"].distance_km < 1.5
    assert 20 < by_id["test--mid"].distance_km < 24
    assert by_id["test--remote"].distance_km is None
    assert by_id["test--remote-far"].distance_km is None, "in the results only because remote"
    assert by_id["test--nomode"].distance_km is None, "no en-presentiel: no distance (data·inclusion)"


def test_order_is_distance_then_nulls_then_id(backend):
    found, _ = all_ids(backend, place=HERE)
    res = backend.search(SearchQuery(place=HERE, size=100))
    distances = [h.distance_km for h in res.hits]
    known = [d for d in distances if d is not None]
    assert known == sorted(known)
    first_null = distances.index(None)
    assert all(d is None for d in distances[first_null:]), "nulls last"
    nulls = [h.id for h in res.hits if h.distance_km is None]
    assert nulls == sorted(nulls), "ties broken by id"
    assert found == [h.id for h in res.hits], "pages partition the same order"


def test_eligibility_zones(backend):
    found, _ = all_ids(backend, place=HERE)
    for kept in ("zone-dep", "zone-epci", "zone-com", "zone-fr"):
        assert f"test--{kept}" in found
    assert "test--zone-tarn" not in found
    albi = geography().commune("81004")
    from_albi, _ = all_ids(backend, place=Place(albi.lat, albi.lon, albi.zone_codes, albi.code_insee), rayon_km=200)
    assert "test--zone-tarn" in from_albi and "test--zone-com" not in from_albi


def test_category_and_subtheme(backend):
    cat, _ = all_ids(backend, place=HERE, thematiques=("numerique",))
    sub, _ = all_ids(backend, place=HERE, thematiques=(NUM2,))
    assert "test--mid" in cat and "test--near" in cat
    assert sub == ["test--mid"]
    both, _ = all_ids(backend, place=HERE, thematiques=(NUM2, GARDE))
    assert set(both) == {"test--mid", "test--creche"}


def test_publics_match_tous_publics(backend):
    found, _ = all_ids(backend, place=HERE, publics=("jeunes",))
    assert "autre--jeunes" in found and "test--near" in found, "tous-publics matches any public"
    assert "test--seniors" not in found and "test--creche" not in found


def test_other_filters(backend):
    assert all_ids(backend, place=HERE, frais=("payant",))[0] == ["autre--jeunes"]
    assert all_ids(backend, place=HERE, types=("atelier",))[0] == ["autre--jeunes"]
    assert set(all_ids(backend, place=HERE, sources=("a", "b"))[0]) == {"a--dup-a", "b--dup-b"}
    assert all_ids(backend, place=HERE, modes_accueil=("a-distance",))[0] == ["test--remote-far", "test--remote"] \
        or set(all_ids(backend, place=HERE, modes_accueil=("a-distance",))[0]) == {"test--remote-far", "test--remote"}
    high, _ = all_ids(backend, place=HERE, score_qualite_minimum=0.85)
    assert set(high) == {"test--permis", "a--dup-a", "c--dup-c"}


def test_exclure_doublons_keeps_best_of_cluster(backend):
    found, total = all_ids(backend, place=HERE, thematiques=("numerique",), exclure_doublons=True)
    members = [i for i in found if i.endswith(("dup-a", "dup-b", "dup-c"))]
    assert members == ["a--dup-a"], "best score_qualite, then most recent date_maj"
    all_found, all_total = all_ids(backend, place=HERE, thematiques=("numerique",))
    assert total == all_total - 2


@pytest.fixture
def clusters(build_backend):
    """Structures with several services, clusters of two structures (data·inclusion's
    ``_cluster_id IS NULL OR _is_best_duplicate``, decided per structure)."""
    def doc(local_id, structure, thematiques, dlat, **kwargs):
        return make_doc(local_id, kwargs.pop("nom", f"Service {local_id}"), thematiques, dlat=dlat,
                        structure=f"test--{structure}", source="test", **kwargs)

    docs = [
        doc("solo-1", "solo", [NUM], 0.010),                     # no cluster: every service stays
        doc("solo-2", "solo", [GARDE], 0.011),
        # k1: a beats b on score_qualite although b is more recent; b's services are closer,
        # score better as services and match the words better: they still go
        doc("k1a-1", "k1-a", [NUM], 0.050, score=0.3, nom="Point numérique"),
        doc("k1a-2", "k1-a", [PERMIS], 0.060, score=0.3),
        doc("k1b-1", "k1-b", [NUM], 0.001, score=0.99, nom="Espace numérique numérique"),
        doc("k1b-2", "k1-b", [GARDE], 0.002, score=0.99),
        # k2: same score, d has a date and c has none: d wins (nulls last)
        doc("k2c-1", "k2-c", [NUM], 0.003),
        doc("k2d-1", "k2-d", [NUM], 0.070),
        # k3: same score, same date: the smaller structure id wins
        doc("k3e-1", "k3-e", [NUM], 0.080),
        doc("k3f-1", "k3-f", [NUM], 0.004),
    ]
    return build_backend(with_duplicates(docs, {
        "test--solo": (None, 0.2, None),
        "test--k1-a": ("k1", 0.6, "2025-01-01"), "test--k1-b": ("k1", 0.5, "2025-06-01"),
        "test--k2-c": ("k2", 0.7, None), "test--k2-d": ("k2", 0.7, "2024-01-01"),
        "test--k3-e": ("k3", 0.5, "2025-01-01"), "test--k3-f": ("k3", 0.5, "2025-01-01"),
    }))


def test_exclure_doublons_keeps_every_service_of_the_best_structure(clusters):
    everything, total = all_ids(clusters, place=HERE)
    assert total == 10
    kept, kept_total = all_ids(clusters, place=HERE, exclure_doublons=True)
    assert kept == ["test--solo-1", "test--solo-2", "test--k1a-1", "test--k1a-2", "test--k2d-1", "test--k3e-1"], \
        "ordinary distance order over the services of structures without cluster or best of theirs"
    assert kept_total == 6
    res = clusters.search(SearchQuery(place=HERE, exclure_doublons=True, size=2))
    assert res.total == 6, "the total counts the filtered set, not the page"
    assert res.facets["thematiques"] == {NUM: 4, GARDE: 1, PERMIS: 1}
    assert res.facets["categories"] == {"numerique": 4, "famille": 1, "mobilite": 1}
    assert res.facets["sources"] == {"test": 6} and sum(res.facets["frais"].values()) == 6


def test_exclure_doublons_does_not_depend_on_the_query(clusters):
    """The best structure is chosen once: a filter that leaves out its services does not bring
    back the other structure's."""
    found, total = all_ids(clusters, place=HERE, thematiques=(GARDE,), exclure_doublons=True)
    assert found == ["test--solo-2"] and total == 1, "k1-b's childcare is not kept for k1-a's lack of one"
    assert all_ids(clusters, place=HERE, thematiques=(GARDE,))[1] == 2
    res = clusters.search(SearchQuery(place=HERE, thematiques=("numerique",), exclure_doublons=True))
    assert [h.id for h in res.hits] == ["test--solo-1", "test--k1a-1", "test--k2d-1", "test--k3e-1"]
    assert res.facets["thematiques"] == {NUM: 4}


def test_exclure_doublons_with_words(clusters):
    everything = clusters.search(SearchQuery(place=HERE, q="numérique"))
    assert everything.hits[0].id == "test--k1b-1", "the best text match, left out below"
    res = clusters.search(SearchQuery(place=HERE, q="numérique", exclure_doublons=True))
    found = [h.id for h in res.hits]
    assert "test--k1a-1" in found and not {"test--k1b-1", "test--k1b-2", "test--k2c-1", "test--k3f-1"} & set(found)
    assert res.total == len(found) < everything.total
    assert res.hits[0].id == "test--k1a-1" and res.hits[0].score >= 0.45, \
        "text scores are normalised by the best one of the filtered set"


def test_facets_count_the_result_set(backend):
    res = backend.search(SearchQuery(place=HERE, size=1))
    assert res.facets["categories"]["numerique"] == sum(
        1 for i in all_ids(backend, place=HERE, thematiques=("numerique",))[0])
    assert res.facets["publics"]["jeunes"] == 1
    assert res.facets["sources"]["a"] == 1
    assert "test--far" not in all_ids(backend, place=HERE)[0]
    assert sum(res.facets["frais"].values()) == res.total


def test_lay_words_find_the_right_offer(backend):
    res = backend.search(SearchQuery(place=HERE, q="faire garder mon enfant"))
    assert res.hits[0].id == "test--creche"
    assert res.hits[0].explanation
    res = backend.search(SearchQuery(place=HERE, q="passer le permis"))
    assert res.hits[0].id == "test--permis"
    assert all(h.score is not None for h in res.hits)


def test_without_place_everything_is_eligible(backend):
    found, total = all_ids(backend)
    assert total == 19 and len(found) == 19 and found == sorted(found)


def test_codes_rome_filter(build_backend):
    """``codes_rome``: services declaring any of the codes, combined with the other filters and the place."""
    backend = build_backend([
        make_doc("proprete", "Entreprise d'insertion propreté", ["trouver-un-emploi--repondre-a-des-offres-demploi"],
                 dlat=0.01, codes_rome=("K2204",)),
        make_doc("geiq", "GEIQ propreté", ["trouver-un-emploi--repondre-a-des-offres-demploi"], dlat=0.02,
                 codes_rome=("K22",)),
        make_doc("btp", "GEIQ BTP", ["trouver-un-emploi--repondre-a-des-offres-demploi"], dlat=0.03,
                 codes_rome=("F16", "F17")),
        make_doc("formation", "Titre professionnel agent de propreté", ["se-former--trouver-sa-formation"],
                 dlat=0.04, type_="formation", codes_rome=("K2204", "K2203")),
        make_doc("loin", "Agent de propreté loin", ["trouver-un-emploi--repondre-a-des-offres-demploi"], dlat=1.0,
                 codes_rome=("K2204",)),
        make_doc("aucun", "Sans métier", ["trouver-un-emploi--repondre-a-des-offres-demploi"], dlat=0.01),
    ])
    found, total = all_ids(backend, codes_rome=("K2204",))
    assert sorted(found) == ["test--formation", "test--loin", "test--proprete"] and total == 3
    found, _ = all_ids(backend, codes_rome=("K2204", "K22"))
    assert sorted(found) == ["test--formation", "test--geiq", "test--loin", "test--proprete"]
    found, _ = all_ids(backend, codes_rome=("K2204", "K22"), place=HERE, rayon_km=20)
    assert found == ["test--proprete", "test--geiq", "test--formation"], "distance order, 'loin' out of range"
    found, _ = all_ids(backend, codes_rome=("K2204",), types=("formation",))
    assert found == ["test--formation"]
    found, _ = all_ids(backend, codes_rome=("F1703", "F17", "F"))
    assert found == ["test--btp"]
    assert backend.search(SearchQuery(codes_rome=("Z9999",))).total == 0
    res = backend.search(SearchQuery(q="propreté", codes_rome=("K22",), place=HERE))
    assert [h.id for h in res.hits] == ["test--geiq"], "words and codes both apply"
