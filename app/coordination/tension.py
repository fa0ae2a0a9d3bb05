"""Métiers « en tension » of a territory: a coordinator loads a CSV of ROME codes, and sees per métier
the training and immersion offer within reach (docs/metiers.md, « Métiers en tension »).

**Within reach** of a territory: an offer given on site (``en-presentiel``, located) at most
``seuil`` km (the coverage threshold, ``REPERES_COVERAGE_THRESHOLD_KM``, 20 km by default) from the
centre of at least one of the territory's communes and eligible there, or an offer given remotely
(``a-distance``) that is eligible there. Offers of a neighbouring département count when they are
that close: people cross borders. The population share is that of
:meth:`app.core.coverage.Coverage.summary` (« part couverte »): the inhabitants of the communes whose
centre is within the threshold of such an on-site offer.

An offer is linked to a métier as on the métier pages: it declares (``extra["codes_rome"]``) a
code of :meth:`app.core.metiers.Referentiel.expand`; « formation » = type ``formation``,
« immersion et emploi » = the other types (SIAE, GEIQ).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree
from sqlalchemy import delete, select

from app.coordination import data
from app.core import coverage
from app.core.db import session_scope
from app.core.metiers import normalise_code, referentiel
from app.core.models import Service
from app.core.models_metiers import MetierTension

MAX_ROWS = 500
_CODE_HEADERS = ("code_rome", "code rome", "rome", "code", "code_metier", "code métier")


# -- the uploaded file -------------------------------------------------------------------------
@dataclass(frozen=True)
class RowError:
    ligne: int
    valeur: str
    message: str


@dataclass(frozen=True)
class Row:
    ligne: int
    code: str
    commentaire: str | None


@dataclass
class Parsed:
    rows: list[Row]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def parse(raw: bytes) -> Parsed:
    """Codes of a CSV (``;``, ``,`` or tab): a column ``code_rome`` (or ``rome``, ``code``) when there is a
    header, else the first column; another column (``libelle``, ``commentaire``…) is kept as a comment.
    Every problem is reported with its line, in French; the caller stores nothing if there is one."""
    errors: list[RowError] = []
    if not raw or not raw.strip():
        return Parsed([], [RowError(0, "", "Fichier vide : une ligne par code ROME (ex. K2204).")])
    if b"\x00" in raw[:4096]:
        return Parsed([], [RowError(0, "", "Ce n'est pas un fichier texte (CSV) : enregistrez la liste au format CSV.")])
    text = _decode(raw)
    first = text.splitlines()[0] if text.splitlines() else ""
    delimiter = max((";", ",", "\t"), key=first.count) if any(d in first for d in ";,\t") else ";"
    lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip().lower().lstrip("\ufeff") for h in lines[0]] if lines else []
    code_col, comment_col, start = 0, 1, 0
    if header and normalise_code(header[0]) is None and any(h for h in header):
        named = [i for i, h in enumerate(header) if h in _CODE_HEADERS]
        if not named:
            return Parsed([], [RowError(1, ", ".join(lines[0]),
                                        "En-tête sans colonne « code_rome » : nommez ainsi la colonne des codes "
                                        "ROME, ou donnez les codes dès la première ligne, sans en-tête.")])
        code_col = named[0]
        others = [i for i, h in enumerate(header) if i != code_col and h]
        comment_col = others[0] if others else None
        start = 1
    rows: list[Row] = []
    seen: dict[str, int] = {}
    rome = referentiel()
    for number, cells in enumerate(lines[start:], start=start + 1):
        if not any(c.strip() for c in cells):
            continue
        value = cells[code_col].strip() if code_col < len(cells) else ""
        comment = cells[comment_col].strip()[:300] if comment_col is not None and comment_col < len(cells) else ""
        code = normalise_code(value)
        if not value:
            errors.append(RowError(number, "", "Code ROME manquant dans la colonne des codes."))
        elif code is None:
            errors.append(RowError(number, value, f"« {value} » n'est pas un code ROME : une lettre de A à N suivie "
                                                  "de 4 chiffres (fiche, ex. K2204) ou de 2 chiffres (domaine, ex. K22)."))
        elif len(code) == 1:
            errors.append(RowError(number, value, f"« {code} » est un grand domaine entier : trop large, indiquez une "
                                                  "fiche métier (ex. K2204) ou un domaine (ex. K22)."))
        elif code not in rome:
            errors.append(RowError(number, value, f"Code ROME inconnu : {code} (absent du référentiel ROME v3)."))
        elif code in seen:
            errors.append(RowError(number, value, f"Code {code} en double (déjà ligne {seen[code]})."))
        else:
            seen[code] = number
            rows.append(Row(number, code, comment or None))
    if len(rows) + len(errors) > MAX_ROWS:
        errors.append(RowError(0, "", f"Trop de lignes : {MAX_ROWS} codes au plus."))
    if not rows and not errors:
        errors.append(RowError(0, "", "Aucun code ROME dans le fichier."))
    return Parsed(rows, errors)


# -- storage -----------------------------------------------------------------------------------
def save(database_url: str, territoire: str, rows: list[Row], user_id: int | None) -> int:
    """Replace the territory's list by ``rows``."""
    with session_scope(database_url) as session:
        session.execute(delete(MetierTension).where(MetierTension.territoire == territoire))
        for rang, row in enumerate(rows):
            session.add(MetierTension(territoire=territoire, code_rome=row.code, commentaire=row.commentaire,
                                      rang=rang, ajoute_par=user_id))
    return len(rows)


def load(database_url: str, territoire: str) -> list[MetierTension]:
    with session_scope(database_url) as session:
        rows = list(session.scalars(select(MetierTension).where(MetierTension.territoire == territoire)
                                    .order_by(MetierTension.rang, MetierTension.code_rome)))
        session.expunge_all()
        return rows


# -- the offer of each métier within reach ---------------------------------------------------------
@dataclass
class MetierOffers:
    """The live services that declare ROME codes, as a coverage table plus their codes and types."""

    table: coverage.OfferTable
    codes: list[frozenset[str]]
    formation: np.ndarray  # bool

    def mask(self, codes: set[str], formation: bool) -> np.ndarray:
        linked = np.fromiter((bool(c & codes) for c in self.codes), dtype=bool, count=len(self.codes))
        return linked & (self.formation if formation else ~self.formation)


def _metier_offers(session) -> MetierOffers:
    rows = session.execute(select(
        Service.latitude, Service.longitude, Service.modes_accueil, Service.zone_eligibilite,
        Service.type, Service.extra).where(Service.retired_at.is_(None))).all()
    records, codes, formation = [], [], []
    for la, lo, modes, zone, type_, extra in rows:
        declared = frozenset((extra or {}).get("codes_rome") or ())
        if not declared:
            continue
        records.append({"lat": la, "lon": lo, "modes_accueil": modes, "zone_eligibilite": zone,
                        "thematiques": ()})
        codes.append(declared)
        formation.append(type_ == "formation")
    return MetierOffers(coverage.OfferTable.from_records(records), codes, np.array(formation, dtype=bool))


_metier_offers_cache = data.PerDataVersion(_metier_offers)


def metier_offers(database_url: str) -> MetierOffers:
    return _metier_offers_cache.get(database_url)


@dataclass
class Reach:
    """One kind of offer (trainings, or immersions and employers) of one métier for a territory."""

    sur_place: int           # distinct on-site offers within the threshold of a commune, eligible there
    a_distance: int          # remote offers eligible in the territory
    part_population: float | None
    distance_mediane_km: float | None


@dataclass
class TensionRow:
    code: str
    libelle: str
    commentaire: str | None
    formations: Reach
    immersions: Reach

    @property
    def sans_formation(self) -> bool:
        return self.formations.sur_place + self.formations.a_distance == 0


def _reach(communes: coverage.CommuneTable, tree: cKDTree, offers: MetierOffers, mask: np.ndarray,
           threshold_km: float) -> Reach:
    cov = coverage.compute(communes, offers.table, mask, (threshold_km,))
    summary = cov.summary(threshold_km)
    zone_codes = {z for codes in communes.zone_codes for z in codes}
    onsite = np.flatnonzero(mask & offers.table.onsite)
    near = 0
    if len(onsite):
        chord, _ = tree.query(offers.table.xyz[onsite], k=1)
        close = coverage.km_for_chord(chord) <= threshold_km
        for row, ok in zip(onsite, close):
            p = offers.table.pattern[row]
            if ok and (p < 0 or zone_codes.intersection(offers.table.patterns[p])):
                near += 1
    remote = np.flatnonzero(mask & offers.table.remote)
    remote_ok = sum(1 for row in remote if offers.table.pattern[row] < 0
                    or zone_codes.intersection(offers.table.patterns[offers.table.pattern[row]]))
    return Reach(near, remote_ok, summary["part_couverte"] if summary["population"] else None,
                 summary["distance_mediane_km"])


def table(database_url: str, terr: data.Territory, entries: list[MetierTension], threshold_km: float) -> list[TensionRow]:
    """Per métier of the list, the trainings and the immersions/employers within reach of the territory."""
    rome = referentiel()
    communes = data.commune_table(terr.kind, terr.code)
    tree = cKDTree(communes.xyz)
    offers = metier_offers(database_url)
    out = []
    for entry in entries:
        m = rome.get(entry.code_rome)
        if m is None:  # a code withdrawn from the referential since the upload
            continue
        codes = set(rome.expand(m.code))
        out.append(TensionRow(
            m.code, m.libelle, entry.commentaire,
            formations=_reach(communes, tree, offers, offers.mask(codes, True), threshold_km),
            immersions=_reach(communes, tree, offers, offers.mask(codes, False), threshold_km)))
    return out


def csv_text(rows: list[TensionRow], threshold_km: float) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";")
    w.writerow(["code_rome", "libelle", "commentaire", f"formations_sur_place_{threshold_km:g}km",
                "formations_a_distance", "part_population_formation", f"immersions_employeurs_{threshold_km:g}km",
                "part_population_immersion"])
    for r in rows:
        w.writerow([r.code, r.libelle, r.commentaire or "", r.formations.sur_place, r.formations.a_distance,
                    "" if r.formations.part_population is None else f"{r.formations.part_population:.3f}",
                    r.immersions.sur_place,
                    "" if r.immersions.part_population is None else f"{r.immersions.part_population:.3f}"])
    return buf.getvalue()
