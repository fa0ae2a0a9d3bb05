"""France Travail (ex-Pôle emploi) local agencies, from the 2019 list of Pôle emploi sites.

``pole_emploi_agencies.csv`` (kept by the "emplois de l'inclusion") lists 959 sites of three
kinds (``TYPE_SITE``): ``ALE`` — agence locale pour l'emploi, the agencies that receive job
seekers (852); ``DDA`` — directions territoriales (88) and ``DRA`` — directions régionales (19),
offices that do not receive the public (when a direction shares a building with an agency, the
agency has its own ALE row). Only ALE rows become offers; the others are skipped, not
quarantined. Coordinates are quoted strings with a decimal comma (``"43,201789"``).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Iterable

from app.core.geo import name_key
from indexer import normalise as norm
from indexer.connectors.base import Connector
from indexer.connectors.siae import cell, check_row, csv_records, place_or_quarantine, postcode_for
from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, StructureRecord

#: sites open to the public: agences locales pour l'emploi
PUBLIC_SITE_TYPES = frozenset({"ALE"})
#: offices of the network's management, not open to job seekers
MANAGEMENT_SITE_TYPES = frozenset({"DDA", "DRA"})
DATE_LISTE = dt.date(2019, 11, 13)

THEMATIQUES = (
    "trouver-un-emploi--repondre-a-des-offres-demploi",
    "trouver-un-emploi--faire-des-candidatures-spontanees",
    "trouver-un-emploi--convaincre-un-recruteur-en-entretien",
    "trouver-un-emploi--suivre-ses-candidatures-et-relancer-les-employeurs",
    "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
    "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
    "preparer-sa-candidature--valoriser-ses-competences",
    "preparer-sa-candidature--developper-son-reseau",
    "choisir-un-metier--connaitre-les-opportunites-demploi",
    "se-former--monter-son-dossier-de-formation",
)
DESCRIPTION = (
    "Agence locale de France Travail (Pôle emploi jusqu'au 1er janvier 2024) : inscription comme demandeur "
    "d'emploi, indemnisation, accompagnement personnalisé par un conseiller, offres d'emploi, ateliers (CV, "
    "entretien, recherche d'emploi), information sur les métiers qui recrutent et montage du financement d'une "
    "formation.")
VINTAGE = ("Adresse issue de la liste des sites Pôle emploi de 2019 (données antérieures au changement de nom en "
           "France Travail) : à vérifier sur francetravail.fr avant de se déplacer.")

_SMALL_WORDS = {"de", "du", "des", "la", "le", "les", "et", "en", "sur", "sous", "aux", "au", "d", "l"}


def titre(text: str) -> str:
    """'VILLEFRANCHE DE ROUERGUE' -> 'Villefranche de Rouergue'; mixed-case text is kept."""
    if not text or text != text.upper():
        return text
    words = re.split(r"(\s+|-|')", text.lower())
    out = []
    for i, w in enumerate(words):
        out.append(w if (w in _SMALL_WORDS and i) else w[:1].upper() + w[1:])
    return "".join(out)


def agency_name(nom: str, commune_nom: str | None = None) -> str:
    """'APE MILLAU' -> 'Millau', 'PE LEZIGNAN' -> 'Lézignan-Corbières' (its commune's own spelling),
    'Carcassonne La Conte' unchanged."""
    name = re.sub(r"^(?:A?PE|POLE EMPLOI|PÔLE EMPLOI)\s+", "", nom.strip(), flags=re.I) or nom.strip()
    if commune_nom and name_key(commune_nom).startswith(name_key(name)):
        return commune_nom
    return titre(name)


class FranceTravailConnector(Connector):
    name = "france-travail-agences"
    label = "Agences France Travail (ex-Pôle emploi, liste 2019)"
    licence = ("Liste des sites Pôle emploi publiée dans le dépôt AGPL-3.0 gip-inclusion/les-emplois "
               "(licence des données à confirmer)")
    format = "csv (,) — coordonnées entre guillemets avec virgule décimale"
    origin = ("https://github.com/gip-inclusion/les-emplois — itou/prescribers/management/commands/data/"
              "pole_emploi_agencies.csv @ 89b55ad26be29daf0dc7473af98eb18dda665880")
    leviers = ("emploi", "formation")
    default_files = ("france-travail/pole_emploi_agencies.csv",)

    COLUMNS = ("REFERENCE_PE", "NOM", "CODE_SAFIR", "TYPE_SITE", "ADRESSE", "CODE_POSTAL", "COMMUNE",
               "DN_LATITUDE", "DN_LONGITUDE")

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        return list(csv_records(self, raw, self.COLUMNS))

    def to_offer(self, record: RawRecord) -> Offer | None:
        row = check_row(record)
        site_type = cell(row, "TYPE_SITE").upper()
        if site_type in MANAGEMENT_SITE_TYPES:
            return None  # direction territoriale or régionale: not open to job seekers
        if site_type not in PUBLIC_SITE_TYPES:
            raise RecordError(f"type de site inconnu : {site_type!r} (attendu ALE, DDA ou DRA)")
        safir = re.sub(r"\D", "", cell(row, "CODE_SAFIR"))
        if not safir:
            raise RecordError("code SAFIR de l'agence absent")
        nom = cell(row, "NOM")
        if not nom:
            raise RecordError("nom de l'agence absent")
        cp, commune_nom = cell(row, "CODE_POSTAL"), cell(row, "COMMUNE")
        commune, note = place_or_quarantine(cp, commune_nom)
        lat, lon = norm.parse_decimal(cell(row, "DN_LATITUDE")), norm.parse_decimal(cell(row, "DN_LONGITUDE"))
        corrections = [note] if note else []
        if (cell(row, "DN_LATITUDE") and lat is None) or (cell(row, "DN_LONGITUDE") and lon is None):
            corrections.append(f"coordonnées illisibles ignorées : {cell(row, 'DN_LATITUDE')!r}, "
                               f"{cell(row, 'DN_LONGITUDE')!r}")
            lat = lon = None
        complement = "; ".join(x for x in (cell(row, "COMPLEMENT_ADRESSE"), cell(row, "DC_COMPLEMENTADRSITEPHYSIQUE"))
                               if x) or None
        extra = {"code_safir": safir, "reference_pole_emploi": cell(row, "REFERENCE_PE") or None,
                 "nom_2019": nom, "type_site": site_type}
        if corrections:
            extra["corrections"] = corrections
        structure = StructureRecord(
            local_id=safir, nom=f"France Travail {agency_name(nom, commune.nom)}", date_maj=DATE_LISTE,
            description=f"{DESCRIPTION}\n\n{VINTAGE}",
            adresse=cell(row, "ADRESSE") or None, complement_adresse=complement,
            commune=commune.nom, code_postal=postcode_for(cp, commune), code_insee=commune.code_insee,
            latitude=lat, longitude=lon, site_web="https://www.francetravail.fr",
            reseaux_porteurs=["france-travail"], extra={k: v for k, v in extra.items() if v},
        )
        service = ServiceRecord(
            local_id=f"{safir}-accompagnement",
            nom="Accompagnement vers l'emploi — France Travail",
            description=f"{DESCRIPTION}\n\n{VINTAGE}", date_maj=DATE_LISTE, type="accompagnement",
            thematiques=list(THEMATIQUES), frais="gratuit",
            publics=["demandeurs-emploi", "beneficiaires-des-minimas-sociaux"],
            publics_precisions="Toute personne qui cherche un emploi, qu'elle soit inscrite ou non ; les bénéficiaires "
                               "du RSA sont inscrits à France Travail depuis 2025.",
            modes_accueil=["en-presentiel"], modes_mobilisation=["se-presenter"],
            mobilisable_par=["usagers", "professionnels"],
            mobilisation_precisions="Inscription et rendez-vous sur francetravail.fr ou par téléphone au 3949.",
        )
        return Offer(structure, [service])
