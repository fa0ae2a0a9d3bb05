"""Coverage figures on a small known fixture: exact great-circle distances, eligibility zones,
remote offers, counts within radii; and the tree path agrees with a brute-force computation."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest

from app.core import coverage
from app.core.geo import EARTH_RADIUS_KM, Commune, haversine_km


def commune(code, lat, lon, dep="98", epci="200000001", population=1000) -> Commune:
    return Commune(code_insee=code, nom=f"Commune {code}", code_departement=dep, code_region="99",
                   siren_epci=epci, codes_postaux=(), population=population, lat=lat, lon=lon)


def north_of(c: Commune, km: float) -> tuple[float, float]:
    """The point ``km`` kilometres due north of a commune centre (along its meridian)."""
    return c.lat + math.degrees(km / EARTH_RADIUS_KM), c.lon


A = commune("98001", 45.0, 3.0, population=1200)
B = commune("98002", 45.0, 3.6, population=300)                    # ~47 km east of A
C = commune("97001", 45.5, 3.0, dep="97", epci="200000002", population=50)   # other département, other EPCI
COMMUNES = coverage.CommuneTable.from_communes([A, B, C])
MOB = "mobilite--acceder-a-un-vehicule"


def offer(lat, lon, thematiques=(MOB,), modes=("en-presentiel",), zone=None) -> dict:
    return {"lat": lat, "lon": lon, "thematiques": list(thematiques), "modes_accueil": list(modes) if modes else modes,
            "zone_eligibilite": zone}


def test_distance_is_the_great_circle_distance_to_the_nearest_offer():
    p1, p2 = (45.1, 3.05), (45.02, 3.58)
    offers = coverage.OfferTable.from_records([offer(*p1), offer(*p2)])
    cov = coverage.compute(COMMUNES, offers, [MOB])
    expected = [min(haversine_km(c.lat, c.lon, *p1), haversine_km(c.lat, c.lon, *p2)) for c in (A, B, C)]
    assert cov.distance_km == pytest.approx(expected, abs=1e-6)
    # A -> p1: 0.1° of latitude (11.12 km) and 0.05° of longitude at 45.05°N (3.93 km): ≈ 11.793 km
    assert cov.distance_km[0] == pytest.approx(11.793, abs=1e-3)


def test_counts_within_radii_exact_distances():
    # offers 5, 15, 25 and 35 km due north of A
    pts = [north_of(A, km) for km in (5, 15, 25, 35)]
    offers = coverage.OfferTable.from_records([offer(*p) for p in pts])
    cov = coverage.compute(COMMUNES, offers, [MOB], radii_km=(10, 20, 30))
    assert cov.distance_km[0] == pytest.approx(5.0, abs=1e-6)
    assert [int(cov.within[r][0]) for r in (10.0, 20.0, 30.0)] == [1, 2, 3]
    # C is 45.5°N, 55.6 km north of A: 20.6 km from the 35 km offer, 30.6 km from the 25 km one
    assert cov.distance_km[2] == pytest.approx(haversine_km(C.lat, C.lon, *pts[3]), abs=1e-6)
    assert [int(cov.within[r][2]) for r in (10.0, 20.0, 30.0)] == [0, 0, 1]


def test_need_filter_category_and_subtheme():
    offers = coverage.OfferTable.from_records([
        offer(45.0, 3.01, thematiques=[MOB]),
        offer(45.0, 3.02, thematiques=["numerique--acceder-a-du-materiel"]),
    ])
    assert coverage.compute(COMMUNES, offers, ["mobilite"]).within[10.0][0] == 1       # category
    assert coverage.compute(COMMUNES, offers, [MOB]).within[10.0][0] == 1              # sub-theme
    assert coverage.compute(COMMUNES, offers, ["sante"]).distance_km[0] == math.inf     # nothing


@pytest.mark.parametrize("zone, eligible", [
    (None, {"98001", "98002", "97001"}),
    ([], {"98001", "98002", "97001"}),
    (["france"], {"98001", "98002", "97001"}),
    (["98"], {"98001", "98002"}),                  # département
    (["200000002"], {"97001"}),                    # EPCI
    (["98002"], {"98002"}),                        # commune
    (["98002", "97"], {"98002", "97001"}),         # several codes, no double count
    (["98001", "98", "200000001"], {"98001", "98002"}),
    (["75056"], set()),
])
def test_zone_restriction(zone, eligible):
    point = (45.2, 3.3)
    offers = coverage.OfferTable.from_records([offer(*point, zone=zone)])
    cov = coverage.compute(COMMUNES, offers, [MOB], radii_km=(100,))
    for i, c in enumerate((A, B, C)):
        if c.code_insee in eligible:
            assert cov.distance_km[i] == pytest.approx(haversine_km(c.lat, c.lon, *point), abs=1e-6)
            assert cov.within[100.0][i] == 1
        else:
            assert cov.distance_km[i] == math.inf
            assert cov.within[100.0][i] == 0


def test_restricted_offer_nearer_than_unrestricted_one_only_where_eligible():
    near_b = (45.0, 3.59)
    offers = coverage.OfferTable.from_records([
        offer(45.0, 3.0, zone=None),            # at A, for everyone
        offer(*near_b, zone=["98002"]),         # at B, only for B
    ])
    cov = coverage.compute(COMMUNES, offers, [MOB], radii_km=(60,))
    assert cov.distance_km[0] == pytest.approx(0.0, abs=1e-6)
    assert cov.distance_km[1] == pytest.approx(haversine_km(B.lat, B.lon, *near_b), abs=1e-6)
    assert cov.within[60.0].tolist() == [1, 2, 1]   # A does not count B's restricted offer


def test_remote_offers_serve_without_counting_as_on_site():
    offers = coverage.OfferTable.from_records([
        offer(None, None, modes=["a-distance"], zone=["97"]),       # remote only, for dép. 97, no place
        offer(45.0, 3.0, modes=["a-distance"], zone=["98001"]),     # remote only, located at A
        offer(45.0, 3.6, modes=["a-distance", "en-presentiel"]),    # both, at B, for everyone
        offer(45.0, 3.0, modes=None),                               # no mode, located: on site
    ])
    cov = coverage.compute(COMMUNES, offers, [MOB])
    assert cov.remote.tolist() == [True, True, True]
    assert cov.remote_offers.tolist() == [2, 1, 2]
    assert cov.distance_km[0] == pytest.approx(0.0, abs=1e-6)                 # the no-mode offer
    assert cov.distance_km[1] == pytest.approx(0.0, abs=1e-6)                 # the hybrid one at B
    assert cov.offers == 2


def test_summary_headline_figures():
    offers = coverage.OfferTable.from_records([offer(*north_of(A, 5))])
    cov = coverage.compute(COMMUNES, offers, [MOB], radii_km=(20,))
    s = cov.summary(20)
    # A (1200 inhabitants) is covered; B (~47 km) and C (~50 km) are beyond 20 km
    assert s["communes_au_dela"] == 2
    assert s["population_au_dela"] == 350
    assert s["part_couverte"] == pytest.approx(1200 / 1550)
    assert s["communes_au_dela_sans_distance"] == 2


def brute_force(communes, records, need, radii):
    dist, counts, remote = [], {r: [] for r in radii}, []
    for c in communes:
        ds, rem = [], False
        for o in records:
            if not set(o["thematiques"]) & need:
                continue
            zone = o["zone_eligibilite"]
            if zone and not ({"france"} & set(zone)) and not set(zone) & set(c.zone_codes):
                continue
            if "a-distance" in (o["modes_accueil"] or []):
                rem = True
            if o["lat"] is not None and (not o["modes_accueil"] or "en-presentiel" in o["modes_accueil"]):
                ds.append(haversine_km(c.lat, c.lon, o["lat"], o["lon"]))
        dist.append(min(ds) if ds else math.inf)
        for r in radii:
            counts[r].append(sum(d <= r for d in ds))
        remote.append(rem)
    return dist, counts, remote


@pytest.mark.parametrize("dense_pairs", [0, 10**9], ids=["ckdtree", "dense"])
def test_tree_and_dense_paths_agree_with_brute_force(monkeypatch, dense_pairs):
    monkeypatch.setattr(coverage, "_DENSE_PAIRS", dense_pairs)
    rng = random.Random(3)
    communes = [commune(f"9{d}{i:03d}", 44 + rng.random() * 2, 2 + rng.random() * 3, dep=f"9{d}",
                        epci=f"20000000{d}") for d in (7, 8) for i in range(150)]
    themes = [MOB, "numerique--acceder-a-du-materiel"]
    records = []
    for _ in range(900):
        zone = rng.choice([None, None, None, ["97"], ["98"], ["200000008"], [communes[rng.randrange(300)].code_insee]])
        modes = rng.choice([["en-presentiel"], ["a-distance"], ["a-distance", "en-presentiel"], None])
        located = rng.random() < 0.95
        records.append(offer(44 + rng.random() * 2 if located else None, 2 + rng.random() * 3 if located else None,
                             thematiques=[rng.choice(themes)], modes=modes, zone=zone))
    table = coverage.CommuneTable.from_communes(communes)
    cov = coverage.compute(table, coverage.OfferTable.from_records(records), [MOB], radii_km=(10, 20, 30))
    dist, counts, remote = brute_force(communes, records, {MOB}, (10, 20, 30))
    assert np.allclose(cov.distance_km, dist, atol=1e-6)
    for r in (10, 20, 30):
        assert cov.within[float(r)].tolist() == counts[r]
    assert cov.remote.tolist() == remote
