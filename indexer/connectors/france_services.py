"""France Services: the official list of France Services sites (ANCT), one CSV row per site.

Each row becomes one structure (``id_fs``) with one service, the help with administrative
procedures every France Services site gives for the nine national partners. Opening hours
(``h_lundi`` … ``h_samedi``, e.g. ``"08:30 - 12:00 / 13:30 - 17:00"``) become OpenStreetMap
``opening_hours`` (``Mo-Fr 08:30-12:00,13:30-17:00``); a value that cannot be read keeps the raw
texts in ``extra["horaires_texte"]``. Coordinates use a decimal point in the ANCT file (a comma
is accepted too). The ``mail`` and ``telephone`` columns are the sites' own contacts.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Iterable

from indexer import normalise as norm
from indexer.connectors.base import Connector
from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, StructureRecord, UnreadableInput

REQUIRED_COLUMNS = ("id_fs", "lib_fs", "insee_com")
DAYS = (("h_lundi", "Mo", "Lundi"), ("h_mardi", "Tu", "Mardi"), ("h_mercredi", "We", "Mercredi"),
        ("h_jeudi", "Th", "Jeudi"), ("h_vendredi", "Fr", "Vendredi"), ("h_samedi", "Sa", "Samedi"),
        ("h_dimanche", "Su", "Dimanche"))
PARTENAIRES = ("France Travail, Caf, Assurance maladie (CPAM), MSA, Assurance retraite (CNAV), finances publiques "
               "(DGFiP), ministère de l'Intérieur (ANTS : carte d'identité, passeport, permis de conduire, "
               "carte grise), ministère de la Justice et La Poste")
FORMATS = {
    "fixe": ("Accueil dans un lieu fixe.", False),
    "fixe_antenne(s)": ("Accueil dans un lieu fixe, complété par une ou plusieurs antennes.", False),
    "multisites": ("Accueil réparti sur plusieurs sites.", False),
    "itinérante": ("France Services itinérante : permanences dans plusieurs communes, à des jours fixés.", True),
    "itinerante": ("France Services itinérante : permanences dans plusieurs communes, à des jours fixés.", True),
    "bus_équivalent": ("France Services itinérante (bus) : vérifier les lieux et jours de passage.", True),
    "bus_equivalent": ("France Services itinérante (bus) : vérifier les lieux et jours de passage.", True),
    "bus": ("France Services itinérante (bus) : vérifier les lieux et jours de passage.", True),
}
SERVICE_NOM = "Accompagnement aux démarches administratives — France Services"
THEMATIQUES = [
    "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
    "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
    "numerique--acceder-a-des-services-en-ligne",
]
_TIME = r"(\d{1,2})\s*[h:H.]\s*(\d{2})?"
_RANGE = re.compile(rf"^{_TIME}\s*(?:-|–|à|a)\s*{_TIME}$")


class FranceServicesConnector(Connector):
    name = "france-services"
    label = "France Services (ANCT)"
    licence = "Licence Ouverte 2.0 (ANCT)"
    format = "csv"
    origin = "https://www.data.gouv.fr — liste des France Services (ANCT), dépôt anct-carto/france_services"
    leviers = ("acces-aux-droits", "numerique")
    default_files = ("france-services/liste-fs-20240801.csv",)

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        text = self.decode(raw)
        delimiter = self.sniff_delimiter(text)
        header = [h.strip().lstrip("\ufeff") for h in next(csv.reader(io.StringIO(text), delimiter=delimiter), [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise UnreadableInput(f"colonnes attendues absentes : {', '.join(missing)} "
                                  "(ce n'est pas la liste des France Services)")
        return [RawRecord(line, row, raw_line) for line, row, raw_line in self.csv_rows(text, delimiter)]

    def to_offer(self, record: RawRecord) -> Offer:
        row = record.data
        if "__error__" in row:
            raise RecordError(row["__error__"])
        id_fs, nom = _text(row.get("id_fs")), _text(row.get("lib_fs"))
        if not id_fs:
            raise RecordError("id_fs manquant")
        if not nom:
            raise RecordError("nom manquant (lib_fs)")
        lat, lon, notes = _point(row.get("latitude"), row.get("longitude"))
        horaires, horaires_texte = opening_hours(row)
        format_fs = _text(row.get("format_fs"))
        format_text, itinerant = FORMATS.get((format_fs or "").lower(), (None, False))
        prise_rdv = _text(row.get("prise_rdv"))
        lien = norm.clean_url(prise_rdv) if prise_rdv and "." in prise_rdv else None
        rdv = lien is not None or (prise_rdv or "").lower() == "oui"
        reseaux = ["france-service"]
        if re.search(r"\bla poste\b", nom, re.I):
            reseaux.append("la-poste")
        if re.search(r"\bMSA\b", nom):
            reseaux.append("mutualite-sociale-agricole")
        facts = {
            "type_fs": _text(row.get("type_fs")), "format_fs": format_fs, "itinerant": itinerant,
            "groupe_fs": _text(row.get("groupe_fs")), "labellisation": _text(row.get("labellisation_fs")),
            "prise_rdv": rdv, "horaires_texte": horaires_texte,
        }
        structure = StructureRecord(
            local_id=id_fs, nom=nom, adresse=_text(row.get("adresse")),
            complement_adresse=_text(row.get("complement_adresse")), commune=_text(row.get("lib_com")),
            code_postal=_text(row.get("code_postal")), code_insee=_text(row.get("insee_com")),
            latitude=lat, longitude=lon, telephone=_text(row.get("telephone")),
            courriel=first_public_email(row.get("mail")),
            horaires_accueil=horaires, reseaux_porteurs=reseaux,
            extra=_compact({**facts, "departement": _text(row.get("insee_dep")), "corrections": notes}),
        )
        modes = (["se-presenter"] + (["telephoner"] if structure.telephone else [])
                 + (["utiliser-lien-mobilisation"] if lien else []))
        service = ServiceRecord(
            local_id=f"{id_fs}--demarches", nom=SERVICE_NOM, description=describe(row, format_text),
            type="accompagnement", thematiques=list(THEMATIQUES), frais="gratuit", publics=["tous-publics"],
            modes_accueil=["en-presentiel"], lien_mobilisation=lien, modes_mobilisation=modes,
            mobilisable_par=["professionnels", "usagers"],
            mobilisation_precisions="Accueil avec ou sans rendez-vous ; prise de rendez-vous possible." if rdv
            else "Accueil sans rendez-vous aux horaires d'ouverture.",
            extra=_compact(facts),
        )
        return Offer(structure, [service])


# -- texts ---------------------------------------------------------------------------------------
def describe(row: dict, format_text: str | None) -> str:
    """A description from the row's own facts (type, format, group, labelling date, comment)."""
    parts = [f"Les agents France Services aident gratuitement dans les démarches administratives et en ligne des "
             f"neuf partenaires nationaux : {PARTENAIRES}."]
    if (_text(row.get("type_fs")) or "").lower() == "antenne":
        parts.append("Ce lieu est une antenne d'un espace France Services principal.")
    if format_text:
        parts.append(format_text)
    if _text(row.get("groupe_fs")):
        parts.append(f"Fait partie du regroupement « {_text(row.get('groupe_fs'))} ».")
    label = _text(row.get("labellisation_fs"))
    if label:
        parts.append(label.rstrip(".") + ".")
    comment = _text(row.get("commentaire"))
    if comment:
        parts.append("Informations pratiques : " + re.sub(r"\s*\n\s*", " ", comment))
    return " ".join(parts)


def opening_hours(row: dict) -> tuple[str | None, str | None]:
    """(OSM opening_hours, None) from h_lundi…h_samedi; (None, raw texts) if a value is unreadable."""
    by_day: dict[str, str] = {}
    texts = []
    unreadable = False
    for column, day, label in DAYS:
        text = _text(row.get(column))
        if not text:
            continue
        texts.append(f"{label} : {text}")
        ranges = day_ranges(text)
        if ranges is None:
            unreadable = True
        else:
            by_day[day] = ranges
    if unreadable:
        return None, " ; ".join(texts)
    if not by_day:
        return None, None
    order = [d for _, d, _ in DAYS]
    groups: dict[str, list[str]] = {}
    for day in order:
        if day in by_day:
            groups.setdefault(by_day[day], []).append(day)
    rules = sorted(groups.items(), key=lambda item: order.index(item[1][0]))
    return "; ".join(f"{_day_spec(days, order)} {ranges}" for ranges, days in rules), None


def day_ranges(text: str) -> str | None:
    """'08:30 - 12:00 / 13:30 - 17:00' -> '08:30-12:00,13:30-17:00'; None if not a list of time ranges."""
    out = []
    for part in re.split(r"\s*(?:/|;|,|\bet\b)\s*", text.strip()):
        m = _RANGE.match(part.strip())
        if not m:
            return None
        h1, m1, h2, m2 = (int(g) if g else 0 for g in m.groups())
        if not (0 <= h1 <= 24 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2) or (h2 == 24 and m2):
            return None
        out.append(f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}")
    return ",".join(out) or None


def _day_spec(days: list[str], order: list[str]) -> str:
    """['Mo','Tu','We','Fr'] -> 'Mo-We,Fr'."""
    idx = [order.index(d) for d in days]
    runs: list[list[int]] = []
    for i in idx:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{order[run[0]]}-{order[run[-1]]}")
        else:
            parts.extend(order[i] for i in run)
    return ",".join(parts)


# -- small parsers ---------------------------------------------------------------------------------
def first_public_email(value: str | None) -> str | None:
    """The first shared (non-personal) address of a cell that may list several."""
    for part in re.split(r"\s+-\s+|[;,/\s]+", value or ""):
        email = norm.public_email(part)
        if email:
            return email
    return None


def _point(lat_raw: str | None, lon_raw: str | None) -> tuple[float | None, float | None, list[str]]:
    lat, lon = norm.parse_decimal(lat_raw), norm.parse_decimal(lon_raw)
    bad = [f"{name} illisible : {raw!r}"
           for name, raw, value in (("latitude", lat_raw, lat), ("longitude", lon_raw, lon))
           if _text(raw) and value is None]
    if bad:
        return None, None, [f"{'; '.join(bad)} : point ignoré, centre de la commune utilisé"]
    return lat, lon, []


def _text(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _compact(values: dict) -> dict | None:
    out = {k: v for k, v in values.items() if v not in (None, [], {}, "", False)}
    return out or None
