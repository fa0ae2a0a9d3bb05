"""Cross-source deduplication of structures: clusters, never merges (data·inclusion's policy).

Two live structures of different sources are the same place when

* they share a SIRET and the same site: same commune or within 5 km, and addresses that do not
  contradict each other (a commune, a département or an agglomeration registers one SIRET for
  its town hall, its France Services desks and its social centres: the SIRET names the body,
  not the desk);
* or they share a phone number within 5 km, with the same address check;
* or their names are alike within 1.5 km — or anywhere in the same commune when one of them is
  only placed at its commune's centre (national lists without coordinates: the distance says
  nothing there). "Alike": rapidfuzz token-set ratio ≥ 90 once little words are removed and
  spaced acronyms joined ("C C A S" = "CCAS"), after dropping the place names both names carry
  ("EDS de Fontenay-sous-Bois" and "France Travail Fontenay-sous-Bois" share only their town);
  and when one name is the other plus words, those words must be generic ("Maison", "Agence",
  "Association"…) or the shared part must carry at least two distinctive words
  ("Carcassonne Agglo" is not "CIAS Carcassonne Agglo").

Every member keeps its source and its services; ``exclure_doublons`` shows the best one of each
cluster. Clusters are transitive (union-find). The rules are measured on a hand-checked set of
labelled pairs: ``python -m indexer.dedupe_eval``, ``tests/fixtures/dedupe/pairs.csv``.

Pairs are found by blocking, never by comparing everything: SIRET and phone by hash join, names
inside ~2 km grid cells and inside communes with rapidfuzz's vectorised ``cdist`` (many
structures of national lists sit on the same commune centre, which a pairwise loop would make
quadratic in Python); only the blocked candidates go through the pairwise checks.
"""
from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy import select, update
from sqlalchemy.orm import Session, lazyload

from app.core.geo import geography, haversine_km
from app.core.models import Structure
from app.core.text import fold

NAME_THRESHOLD = 90
NAME_KM = 1.5
PHONE_KM = 5.0
CELL_DEG = 0.02  # ≈ 2.2 km of latitude: with the 3×3 neighbourhood, covers NAME_KM everywhere in France
#: a group of records sharing one SIRET or phone larger than this is a network's switchboard or
#: head office, not a place
GROUP_MAX = 200
_GENERIC = re.compile(r"\b(la|le|les|de|du|des|d|l|et|a|au|aux|en|par|pour|sur)\b")
_LETTERS = re.compile(r"\b(?:[a-z] ){2,}[a-z]\b")  # "c c a s" (from "C.C.A.S" or "C C A S")
#: words that say what kind of body a structure is, not which one: a name that is another plus
#: only these words names the same body ("Agence France Travail X" = "France Travail X")
GENERIC_WORDS = frozenset("""
    association assoc asso ville mairie commune communale communal maison agence antenne centre ctre
    espace campus federation federale departementale departemental dep regionale regional intercommunale
    point bureau accueil siege site structure union ei aci ai etti sas sasu sarl scop scic eurl
    """.split())


@lru_cache(maxsize=1 << 17)
def name_key(name: str) -> str:
    text = fold(name or "")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = _LETTERS.sub(lambda m: m.group(0).replace(" ", ""), text)
    return re.sub(r"\s+", " ", _GENERIC.sub(" ", text)).strip()


@lru_cache(maxsize=None)
def place_words(code_insee: str | None) -> frozenset[str]:
    """Words of the commune, département and région names of a code INSEE, and the département code."""
    geo = geography()
    commune = geo.commune(code_insee) if code_insee else None
    if commune is None:
        return frozenset()
    names = [commune.nom, commune.nom_court or ""]
    if commune.code_parent and geo.commune(commune.code_parent):
        names.append(geo.commune(commune.code_parent).nom)
    dep = geo.departements.get(commune.code_departement)
    names += [dep.nom if dep else "", geo.regions.get(commune.code_region, "")]
    return frozenset(name_key(" ".join(names)).split()) | {commune.code_departement}


def _commune_key(s: Structure) -> str | None:
    if not s.code_insee:
        return None
    commune = geography().commune(s.code_insee)
    return (commune.code_parent or commune.code_insee) if commune else s.code_insee


def _acronym(word: str, words: list[str]) -> bool:
    """``word`` stands for some of ``words`` ("cci" for "chambre commerce industrie aveyron")."""
    return len(word) > 1 and word in "".join(w[0] for w in words if not w.isdigit())


def names_alike(a: Structure, b: Structure) -> bool:
    """The name rule, pair by pair (see the module docstring)."""
    ka, kb = name_key(a.nom).split(), name_key(b.nom).split()
    places = place_words(a.code_insee) | place_words(b.code_insee)
    # in one commune its name says nothing; across communes it does, unless both names carry it
    same_commune = _commune_key(a) is not None and _commune_key(a) == _commune_key(b)
    strip = places if same_commune else places & set(ka) & set(kb)
    ca = [w for w in ka if w not in strip]
    cb = [w for w in kb if w not in strip]
    if not ca or not cb or fuzz.token_set_ratio(" ".join(ca), " ".join(cb)) < NAME_THRESHOLD:
        return False
    # distinctive words: not a kind of body, not a place, not the other name's acronym ("CCI")
    da = {w for w in ca if w not in GENERIC_WORDS and w not in places and not _acronym(w, cb)}
    db = {w for w in cb if w not in GENERIC_WORDS and w not in places and not _acronym(w, ca)}
    if da == db:
        return True
    if da and db:
        small, large = sorted((sorted(da), sorted(db)), key=len)
        if fuzz.token_sort_ratio(" ".join(small), " ".join(large)) >= NAME_THRESHOLD:
            return True  # the same words, spelt a little differently
        # one name is the other plus words: the shared part must be distinctive enough
        if len(small) >= 2 and 2 * len(small) >= len(large) \
                and fuzz.token_set_ratio(" ".join(small), " ".join(large)) >= NAME_THRESHOLD:
            return True
    # otherwise only at the same address ("La Poste X" and "France services La Poste X", 280 rue…),
    # and not for two legal bodies (Carcassonne Agglo and its CIAS, both 1 rue Pierre-Germain)
    return addresses_agree(a.adresse, b.adresse, strict=False) \
        and not (a.siret and b.siret and a.siret[:9] != b.siret[:9])


_STREET_TYPES = {
    "r": "rue", "rue": "rue", "av": "avenue", "ave": "avenue", "avenue": "avenue", "bd": "boulevard",
    "bld": "boulevard", "bvd": "boulevard", "boulevard": "boulevard", "pl": "place", "place": "place",
    "sq": "square", "square": "square", "rte": "route", "route": "route", "ch": "chemin", "chem": "chemin",
    "che": "chemin", "chemin": "chemin", "imp": "impasse", "impasse": "impasse", "all": "allee",
    "allee": "allee", "cours": "cours", "quai": "quai", "fg": "faubourg", "fbg": "faubourg",
    "faubourg": "faubourg", "lot": "lotissement", "lotissement": "lotissement", "res": "residence",
    "residence": "residence",
}
_STREET_WORDS = {"cd": "departementale", "rd": "departementale", "departemental": "departementale",
                 "rn": "nationale", "st": "saint", "ste": "sainte", "gal": "general", "gen": "general",
                 "mal": "marechal", "pdt": "president", "dr": "docteur"}
_NOT_STREET = {"bp", "cs", "cedex", "tsa", "bis", "ter", "eme", "er"}


def address_parts(adresse: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """(house numbers, street words) of an address; postal boxes (BP, CS) are not house numbers."""
    tokens = re.sub(r"[^a-z0-9]+", " ", fold(adresse or "")).split()
    numbers, words, skip = set(), set(), False
    for token in tokens:
        if skip:
            skip = False
            if token.isdigit():
                continue
        if token in ("bp", "cs", "tsa"):
            skip = True
            continue
        digits = re.match(r"\d+", token)
        if digits:
            numbers.add(digits.group(0).lstrip("0") or "0")
            continue
        word = _STREET_WORDS.get(token, token)
        if len(word) > 1 and word not in _NOT_STREET and word not in _STREET_TYPES \
                and not _GENERIC.fullmatch(word):
            words.add(word)
    return frozenset(numbers), frozenset(words)


def _vague(numbers: frozenset[str], words: frozenset[str], adresse: str | None) -> bool:
    """An address without street nor house number ("Hôtel de ville", "Maison du parc")."""
    kinds = {_STREET_TYPES.get(t) for t in re.sub(r"[^a-z0-9]+", " ", fold(adresse or "")).split()}
    return not words or (not numbers and not kinds - {None})


def addresses_differ(a: str | None, b: str | None) -> bool:
    """True when two addresses clearly name different places (other street, other house number);
    False when they agree or when one is missing or too vague to tell."""
    na, wa = address_parts(a)
    nb, wb = address_parts(b)
    if _vague(na, wa, a) or _vague(nb, wb, b):
        return False
    if fuzz.token_set_ratio(" ".join(sorted(wa)), " ".join(sorted(wb))) < 60:
        return True
    return bool(na and nb and not na & nb)


def addresses_agree(a: str | None, b: str | None, strict: bool = True) -> bool:
    """True when both addresses give the same house number in the same street; not ``strict``:
    the same street and no contradicting number (one of them may lack it)."""
    na, wa = address_parts(a)
    nb, wb = address_parts(b)
    if not wa or not wb or fuzz.token_set_ratio(" ".join(sorted(wa)), " ".join(sorted(wb))) < NAME_THRESHOLD:
        return False
    if strict:
        return bool(na & nb)
    if na and nb:
        return bool(na & nb)
    return bool(na or nb) or min(len(wa), len(wb)) >= 2


def _same_site(a: Structure, b: Structure, km: float) -> bool:
    """Same commune or within ``km``, and addresses that do not contradict each other; or the same
    street address within 10 km (a record placed in the neighbouring commune)."""
    close = _commune_key(a) is not None and _commune_key(a) == _commune_key(b)
    if not close and a.latitude is not None and b.latitude is not None:
        distance = haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)
        close = distance <= km or (distance <= 10.0 and addresses_agree(a.adresse, b.adresse))
    return close and not addresses_differ(a.adresse, b.adresse)


def _name_near(a: Structure, b: Structure) -> bool:
    """Close enough for the name rule: 1.5 km, or the same commune when a point is only its centre."""
    if a.latitude is None or b.latitude is None:
        return False
    if haversine_km(a.latitude, a.longitude, b.latitude, b.longitude) <= NAME_KM:
        return True
    return ("commune" in (a.geo_precision, b.geo_precision)
            and _commune_key(a) is not None and _commune_key(a) == _commune_key(b))


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def same_place(a: Structure, b: Structure) -> str | None:
    """Why two structures are the same place, or None (the rules, pair by pair)."""
    if a.source == b.source:
        return None
    if a.siret and a.siret == b.siret and _same_site(a, b, PHONE_KM):
        return "siret"
    if a.telephone and a.telephone == b.telephone and a.latitude is not None and b.latitude is not None \
            and _same_site(a, b, PHONE_KM):
        return "telephone"
    if _name_near(a, b) and names_alike(a, b):
        return "nom"
    return None


def candidate_pairs(rows: list[Structure]) -> dict[tuple[str, str], str]:
    """(id, id) -> rule, for every pair of structures of different sources that match a rule."""
    found: dict[tuple[str, str], str] = {}

    def check(a: Structure, b: Structure) -> None:
        if a.source == b.source:
            return
        key = (a.id, b.id) if a.id < b.id else (b.id, a.id)
        if key not in found:
            rule = same_place(a, b)
            if rule:
                found[key] = rule

    for field in ("siret", "telephone"):
        groups: dict[str, list[Structure]] = defaultdict(list)
        for s in rows:
            value = getattr(s, field)
            if value:
                groups[value].append(s)
        for group in groups.values():
            if len(group) > GROUP_MAX:
                continue
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    check(a, b)

    # names: blocked by the token-set ratio of whole keys (a superset of what ``names_alike`` accepts)
    located = [s for s in rows if s.latitude is not None and s.longitude is not None]
    keys = [name_key(s.nom) for s in located]

    def block(left: list[int], right: list[int]) -> None:
        scores = process.cdist([keys[i] for i in left], [keys[j] for j in right],
                               scorer=fuzz.token_set_ratio, score_cutoff=NAME_THRESHOLD, dtype=np.uint8)
        for li, ri in zip(*np.nonzero(scores)):
            a, b = located[left[li]], located[right[ri]]
            if a.id != b.id:
                check(a, b)

    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    communes: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(located):
        cells[(int(s.latitude // CELL_DEG), int(s.longitude // CELL_DEG))].append(i)
        commune = _commune_key(s)
        if commune:
            communes[commune].append(i)
    for (cy, cx), members in cells.items():
        block(members, [j for dy in (-1, 0, 1) for dx in (-1, 0, 1) for j in cells.get((cy + dy, cx + dx), [])])
    for members in communes.values():
        at_centre = [i for i in members if located[i].geo_precision == "commune"]
        if at_centre and len(members) > 1:
            block(at_centre, members)
    return _without_ambiguous_names(found, {s.id: s for s in located})


def _without_ambiguous_names(found: dict[tuple[str, str], str], by_id: dict[str, Structure]) \
        -> dict[tuple[str, str], str]:
    """Drop the name links of a record that matches, by name only, several records of one other
    source that are not alike themselves ("France services de Saint-Louis" would otherwise join the
    town's two France Services into one cluster)."""
    links: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (a, b), rule in found.items():
        if rule == "nom":
            links[(a, by_id[b].source)].append(b)
            links[(b, by_id[a].source)].append(a)
    drop = set()
    for (one, _), others in links.items():
        if len(others) > 1 and any(not names_alike(by_id[x], by_id[y])
                                   for i, x in enumerate(others) for y in others[i + 1:]):
            drop.update((min(one, x), max(one, x)) for x in others)
    return {pair: rule for pair, rule in found.items() if pair not in drop}


def cluster_ids(rows: list[Structure], rules: dict[str, int] | None = None) -> dict[str, str]:
    """id -> cluster root (the smallest id of its cluster) for ``rows``; pure, nothing written.
    ``rules``, when given, receives the number of matched pairs per rule."""
    uf = _UnionFind()
    for (a_id, b_id), rule in candidate_pairs(rows).items():
        if rules is not None:
            rules[rule] = rules.get(rule, 0) + 1
        uf.union(a_id, b_id)
    return {s.id: uf.find(s.id) for s in rows}


def cluster_structures(session: Session) -> dict[str, int]:
    """Recompute ``cluster_id`` for every live structure; returns counts per matching rule."""
    rows = list(session.scalars(select(Structure).where(Structure.retired_at.is_(None))
                                .options(lazyload(Structure.services))))
    rules: dict[str, int] = defaultdict(int)
    roots = cluster_ids(rows, rules)
    clusters: dict[str, list[str]] = defaultdict(list)
    for s in rows:
        clusters[roots[s.id]].append(s.id)
    # no identity-map synchronisation: with thousands of loaded rows it would cost minutes
    plain = {"synchronize_session": False}
    session.execute(update(Structure).values(cluster_id=None), execution_options=plain)
    for root, members in clusters.items():
        if len(members) > 1:
            for i in range(0, len(members), 500):
                session.execute(update(Structure).where(Structure.id.in_(members[i:i + 500]))
                                .values(cluster_id=root), execution_options=plain)
    session.commit()
    rules["clusters"] = sum(1 for m in clusters.values() if len(m) > 1)
    return dict(rules)
