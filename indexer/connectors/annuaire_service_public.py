"""Local public services from the Service-Public.fr « Annuaire de l'administration » (DILA, 2019).

``annuaire-2019-insertion.csv`` keeps the insertion-related types of the annuaire (Missions
locales, points information jeunesse, MSAP, CLIC, CIO, PMI, points info famille, Greta, CIDFF,
maisons de justice et du droit, points d'accès au droit, ADIL, Anah, chambres consulaires, MDPH…).
What each type offers — service name, v1 type, sub-themes, publics, réseaux porteurs — is a data
file, ``data/vocabularies/annuaire-types.json``, checked against the v1 vocabularies when loaded;
a type mapped to ``null`` (DDCS, DDCSPP: back offices) is skipped.

Quirks handled: names with CP1252 punctuation read as Latin-1 (``Centre d\\x92information``),
CEDEX postal codes, an ``id`` whose code INSEE contradicts the address (the address wins, as the
source advises), 4-digit postal codes padded upstream into the wrong département (``01140 Axat``:
the id's code INSEE, whose name agrees, wins). No coordinates: commune centres.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from app.core import vocabularies as voc
from app.core.geo import geography
from indexer.connectors.base import Connector
from indexer.connectors.siae import (cell, check_row, csv_records, institutional_email, place_or_quarantine,
                                     postcode_for)
from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, StructureRecord

TYPES_FILE = Path(__file__).resolve().parents[2] / "data" / "vocabularies" / "annuaire-types.json"
DATE_ANNUAIRE = dt.date(2019, 9, 23)
VINTAGE = ("Fiche de l'Annuaire de l'administration (Service-Public.fr, DILA) dans son état de 2019 : adresse, "
           "horaires et contacts à vérifier sur service-public.fr avant de se déplacer.")


@lru_cache(maxsize=1)
def annuaire_types() -> dict[str, dict | None]:
    """The type mapping, every value checked against the v1 vocabularies (ValueError if not)."""
    raw = json.loads(TYPES_FILE.read_text(encoding="utf-8"))["types"]
    for tag, spec in raw.items():
        if spec is None:
            continue
        problems = [f"thématique {t}" for t in spec["thematiques"] if t not in voc.THEMATIQUES]
        problems += [f"public {p}" for p in spec["publics"] if p not in voc.PUBLICS]
        problems += [f"réseau {r}" for r in spec.get("reseaux_porteurs") or [] if r not in voc.RESEAUX_PORTEURS]
        if spec["type"] not in voc.TYPES:
            problems.append(f"type {spec['type']}")
        if spec.get("frais", "gratuit") not in voc.FRAIS | {None}:
            problems.append(f"frais {spec['frais']}")
        if len(spec["nom"]) > 150:
            problems.append("nom de plus de 150 caractères")
        if problems:
            raise ValueError(f"{TYPES_FILE.name}: {tag}: valeurs hors du schéma v1 : {', '.join(problems)}")
    return raw


class ServicePublicConnector(Connector):
    name = "service-public"
    label = "Annuaire de l'administration (Service-Public.fr, 2019) — services locaux de l'insertion"
    licence = "Licence Ouverte 2.0 (DILA, base de données locales de Service-Public.fr)"
    format = "csv (,) — champs d'origine de l'annuaire + colonnes d'adresse dérivées"
    origin = ("https://github.com/okfnfr/dada-france-authorities — emails_valide*.csv "
              "@ 6811933f508e4a97988d6a32a57c05b35edd0a49, filtré sur 32 types")
    leviers = ("emploi", "formation", "immersion", "creation-entreprise", "logement", "sante", "mobilite",
               "garde-enfants", "numerique", "acces-aux-droits")
    default_files = ("annuaire-administration-2019/annuaire-2019-insertion.csv",)

    COLUMNS = ("id", "name", "request_email", "tag_string", "code_insee", "adresse", "code_postal", "commune",
               "telephone")

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        return list(csv_records(self, raw, self.COLUMNS, delimiters=",;"))

    @staticmethod
    def mail_context(row: dict) -> tuple[str, ...]:
        """What the structure's mailbox may be named after (see ``siae.email_kind``)."""
        return cell(row, "name"), cell(row, "commune"), cell(row, "adresse")

    def to_offer(self, record: RawRecord) -> Offer | None:
        row = check_row(record)
        rid = cell(row, "id")
        tag = cell(row, "tag_string") or (rid.rsplit("-", 2)[0] if rid.count("-") >= 2 else "")
        types = annuaire_types()
        if tag not in types:
            raise RecordError(f"type d'annuaire inconnu : {tag!r}")
        spec = types[tag]
        if spec is None:
            return None  # administration without a public desk (DDCS, DDCSPP)
        if not re.fullmatch(r"[a-z_]+-[0-9AB]{5}-\d{2}", rid):
            raise RecordError(f"identifiant d'annuaire invalide : {rid!r}")
        nom = cell(row, "name")
        if len(nom) < 3:
            raise RecordError("nom absent")
        code_insee = cell(row, "code_insee") or rid.split("-")[1]
        cp, commune_nom, adresse = cell(row, "code_postal"), cell(row, "commune"), cell(row, "adresse")
        telephone = cell(row, "telephone") or None
        if not (cp or commune_nom):
            adresse, cp, commune_nom, telephone = _from_notes(cell(row, "notes"), adresse, telephone)
        commune, note = place_or_quarantine(cp, commune_nom, code_insee)
        corrections = [note] if note else []
        of_id = geography().commune(code_insee.zfill(5))
        if of_id is not None and commune.code_insee != of_id.code_insee and commune.code_parent != of_id.code_insee:
            corrections.append(f"code INSEE de l'identifiant ({code_insee}, {of_id.nom}) différent de l'adresse : "
                               f"{commune.nom} ({commune.code_insee}) retenue")
        code_postal = postcode_for(cp, commune)
        if cp and code_postal != cp.zfill(5) and not note:
            corrections.append(f"code postal {cp} hors de {commune.nom} (CEDEX ou erreur) : {code_postal} retenu")
        courriel = institutional_email(cell(row, "request_email"), *self.mail_context(row))
        description = "\n\n".join(p for p in (spec["description"], spec.get("note"), VINTAGE) if p)
        extra: dict = {"type_annuaire": tag, "id_annuaire": rid}
        if corrections:
            extra["corrections"] = corrections
        structure = StructureRecord(
            local_id=rid, nom=nom, date_maj=DATE_ANNUAIRE, description=f"{spec['libelle']}.",
            adresse=adresse or None, commune=commune.nom, code_postal=code_postal,
            code_insee=commune.code_insee, telephone=telephone, courriel=courriel,
            site_web=cell(row, "home_page") or None, reseaux_porteurs=list(spec.get("reseaux_porteurs") or []),
            extra=extra,
        )
        modes = [m for m, ok in (("telephoner", telephone), ("envoyer-un-courriel", courriel), ("se-presenter", True))
                 if ok]
        service = ServiceRecord(
            local_id=f"{rid}-accueil", nom=spec["nom"], description=description, date_maj=DATE_ANNUAIRE,
            type=spec["type"], thematiques=list(spec["thematiques"]), frais=spec.get("frais", "gratuit"),
            publics=list(spec["publics"]), publics_precisions=spec.get("publics_precisions"),
            modes_accueil=["en-presentiel"], modes_mobilisation=modes, mobilisable_par=["usagers", "professionnels"],
            extra={"type_annuaire": tag, "mots_cles": [spec["libelle"]]},
        )
        return Offer(structure, [service])


_NOTES = re.compile(r"Adresse\s*:\s*(?P<adresse>.*?),\s*(?P<cp>\d{4,5})\s*,\s*(?P<commune>[^|]+?)\s*(?:[-|]\s*Tél\s*:\s*"
                    r"(?P<tel>[\d .]*))?(?:[-|]\s*Fax.*)?$")


def _from_notes(notes: str, adresse: str, telephone: str | None) -> tuple[str, str, str, str | None]:
    """Address parts from ``notes`` ("Adresse : 11 boulevard…, CS 70146,92000,Nanterre- Tél : 01…") when
    the derived columns are empty (the one row the source could not split)."""
    m = _NOTES.search(notes or "")
    if not m:
        return adresse, "", "", telephone
    return (m["adresse"].strip() or adresse, m["cp"], m["commune"].strip(" -"),
            telephone or (m["tel"] or "").strip() or None)
