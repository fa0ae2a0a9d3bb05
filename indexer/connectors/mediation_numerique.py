"""Digital inclusion and help with online administration: Aidants Connect and conseillers numériques.

Two connectors over the ANCT lists kept by ``inclusion-numerique/stack``:

* ``aidants-connect`` — ``20240212-aidants_connect_structures.csv``: structures whose staff are
  habilités Aidants Connect (they may carry out an online procedure *for* a person, under a
  mandate). Only ``Is Active`` rows are offers. Usage counts per kind of démarche (argent,
  étranger, famille, justice, loisirs, papier, social, transport, travail, logement) are kept in
  ``extra["demarches"]`` and the most frequent kinds add the matching v1 sub-themes;
* ``conseillers-numeriques`` — ``20230405-3925-cnfs.csv``: structures hosting *conseillers
  numériques France Services*, one row per selection-committee decision (several per SIRET);
  rows of the same SIRET and declared postal code are merged into one service.

Neither file has coordinates: places are commune centres (see ``siae.locate``).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Iterable

from app.core.geo import geography
from indexer.connectors.base import Connector
from indexer.connectors.siae import (cell, check_row, csv_records, locate, place_or_quarantine,
                                     postcode_for, siret_of, unplaceable)
from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, StructureRecord

# ---------------------------------------------------------------------------------------------
# Aidants Connect

AIDANTS_CONNECT_DATE = dt.date(2024, 2, 12)
AIDANTS_CONNECT_THEMATIQUES = (
    "numerique--acceder-a-des-services-en-ligne",
    "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
)
#: kind of démarche (Aidants Connect's own categories) -> (label, v1 sub-themes it stands for)
DEMARCHES: dict[str, tuple[str, tuple[str, ...]]] = {
    "papier": ("papiers et citoyenneté (état civil, carte d'identité, passeport)", ()),
    "famille": ("famille (allocations familiales, naissance, scolarité)",
                ("difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",)),
    "social": ("social et santé (RSA, sécurité sociale, handicap, retraite)",
               ("difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
                "sante--acces-aux-soins")),
    "travail": ("travail (inscription et actualisation France Travail, formation)",
                ("preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",)),
    "logement": ("logement (aides au logement, demande de logement social, énergie)",
                 ("logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",)),
    "transport": ("transports (carte grise, permis de conduire)",
                  ("mobilite--etre-accompagne-dans-son-parcours-mobilite",)),
    "argent": ("argent (impôts, banque, surendettement)",
               ("difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere",)),
    "justice": ("justice (casier judiciaire, plainte, litiges)",
                ("difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire",)),
    "etranger": ("étrangers (titre de séjour, naturalisation)",
                 ("difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-a-la-citoyennete",)),
    "loisirs": ("loisirs (sport, culture, vacances)", ()),
}
#: a kind of démarche adds its sub-themes when it is at least this share of the structure's
#: démarches, and at least MIN_DEMARCHES of them (one démarche says nothing about a place)
MIN_SHARE = 0.10
MIN_DEMARCHES = 3


def _count(value: str) -> int:
    text = re.sub(r"\.0+$", "", (value or "").strip())
    return int(text) if text.isdigit() else 0


def _street(address: str, code_postal: str, city: str) -> str | None:
    """'20 Avenue de Ségur, 75007 Paris' -> '20 Avenue de Ségur' (the postal code and city are fields)."""
    text = re.sub(r"\s*\n\s*", ", ", address or "").strip(" ,")
    if code_postal and code_postal.strip("0"):
        text = re.sub(rf"[,\s]+0?{re.escape(code_postal.lstrip('0'))}\b[^,\d]*$", "", text).strip(" ,")
    return text or None


class AidantsConnectConnector(Connector):
    name = "aidants-connect"
    label = "Aidants Connect — structures habilitées (février 2024)"
    licence = ("Données ANCT publiées dans le dépôt AGPL-3.0 inclusion-numerique/stack "
               "(licence des données à confirmer)")
    format = "csv (,)"
    origin = ("https://github.com/inclusion-numerique/stack — apps/web/public/data/"
              "20240212-aidants_connect_structures.csv @ 77faa350c8bcb31b4caefcfbc7598f0736f8be00")
    leviers = ("numerique", "acces-aux-droits", "emploi", "logement", "sante", "mobilite")
    default_files = ("mediation-numerique/20240212-aidants_connect_structures.csv",)

    COLUMNS = ("Name", "ID", "Is Active", "City Insee Code", "Address", "Zip Code", "Siret",
               "France Services Label", "City")

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        return list(csv_records(self, raw, self.COLUMNS, delimiters=",;"))

    @staticmethod
    def demarches(row: dict) -> dict[str, int]:
        """Usage counts per kind of démarche, whatever the 'Question NNN →' prefix of the column."""
        out = {}
        for key, value in row.items():
            m = re.search(r"nombre demarche (\w+)$", key)
            if m and m.group(1) in DEMARCHES and _count(value):
                out[m.group(1)] = _count(value)
        return out

    def to_offer(self, record: RawRecord) -> Offer | None:
        row = check_row(record)
        active = cell(row, "Is Active").lower()
        if active in {"false", "0", "non", "faux"}:
            return None  # structure no longer habilitée
        if active not in {"true", "1", "oui", "vrai"}:
            raise RecordError(f"valeur « Is Active » illisible : {cell(row, 'Is Active')!r}")
        local_id = re.sub(r"\.0+$", "", cell(row, "ID"))
        if not local_id.isdigit():
            raise RecordError(f"identifiant Aidants Connect invalide : {cell(row, 'ID')!r}")
        nom = cell(row, "Name")
        if len(nom) < 3:
            raise RecordError("nom de la structure absent")
        cp, city, insee = cell(row, "Zip Code"), cell(row, "City"), cell(row, "City Insee Code")
        commune, note = place_or_quarantine(cp, city, insee)
        label_fs = cell(row, "France Services Label").lower() in {"true", "1", "oui", "vrai"}
        counts = self.demarches(row)
        total = sum(counts.values())
        thematiques = list(AIDANTS_CONNECT_THEMATIQUES)
        principales = [k for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
                       if v >= MIN_DEMARCHES and v >= MIN_SHARE * total]
        for kind in principales:
            thematiques += [t for t in DEMARCHES[kind][1] if t not in thematiques]
        aidants = _count(cell(row, "Nombre d'aidants"))
        usagers = next((_count(v) for k, v in row.items() if k.endswith("nombre d usagers uniques")), 0)
        extra: dict = {"nombre_aidants": aidants}
        if counts:
            extra["demarches"] = dict(sorted(counts.items(), key=lambda kv: -kv[1]))
            extra["demarche_principale"] = next(iter(extra["demarches"]))
        if usagers:
            extra["usagers_uniques"] = usagers
        extra["mots_cles"] = ["Aidants Connect", "mandat", "démarches en ligne"] + [
            DEMARCHES[k][0].split(" (")[0] for k in principales]
        parts = [
            "Des aidants professionnels habilités Aidants Connect (agents d'accueil, travailleurs sociaux, "
            "médiateurs numériques…) réalisent les démarches administratives en ligne à la place d'une personne "
            "qui ne peut pas les faire seule, de façon sécurisée et avec son accord (mandat).",
            f"{aidants} aidant{'s' if aidants > 1 else ''} habilité{'s' if aidants > 1 else ''} dans la structure."
            if aidants else "",
        ]
        if counts:
            parts.append("Démarches les plus accompagnées (nombre de démarches réalisées) : " + ", ".join(
                f"{DEMARCHES[k][0].split(' (')[0]} ({v})" for k, v in list(extra["demarches"].items())[:4]) + ".")
        if label_fs:
            parts.append("Structure labellisée France Services.")
        parts.append("Source : liste des structures Aidants Connect du 12 février 2024 (ANCT).")
        structure = StructureRecord(
            local_id=local_id, nom=nom, siret=siret_of(cell(row, "Siret")), date_maj=AIDANTS_CONNECT_DATE,
            adresse=_street(cell(row, "Address"), cp, city), commune=commune.nom,
            code_postal=postcode_for(cp, commune), code_insee=commune.code_insee,
            reseaux_porteurs=["aidants-connect"] + (["france-service"] if label_fs else []),
            extra={k: v for k, v in (("uuid", cell(row, "UUID")), ("corrections", [note] if note else None)) if v}
            or None,
        )
        service = ServiceRecord(
            local_id=f"{local_id}-aidants-connect",
            nom="Démarches administratives en ligne avec un aidant habilité (Aidants Connect)",
            description="\n\n".join(p for p in parts if p), date_maj=AIDANTS_CONNECT_DATE, type="accompagnement",
            thematiques=thematiques, frais="gratuit", publics=["tous-publics"],
            publics_precisions="Personnes qui ne peuvent pas faire seules leurs démarches en ligne.",
            modes_accueil=["en-presentiel"], mobilisable_par=["usagers", "professionnels"], extra=extra,
        )
        return Offer(structure, [service])


# ---------------------------------------------------------------------------------------------
# Conseillers numériques France Services

CNFS_DATE = dt.date(2023, 4, 5)
CNFS_THEMATIQUES = (
    "numerique--maitriser-les-fondamentaux-du-numerique",
    "numerique--acceder-a-des-services-en-ligne",
)
CNFS_DESCRIPTION = (
    "Des conseillers numériques France Services, formés et financés par l'État, accompagnent gratuitement les "
    "habitants dans leurs usages du numérique : prendre en main un ordinateur, une tablette ou un smartphone, "
    "naviguer sur internet, utiliser une messagerie, faire ses démarches en ligne en autonomie, protéger ses "
    "données, vérifier une information, en ateliers collectifs ou en rendez-vous individuel.")


class ConseillersNumeriquesConnector(Connector):
    name = "conseillers-numeriques"
    label = "Conseillers numériques France Services — structures d'accueil (avril 2023)"
    licence = ("Données ANCT publiées dans le dépôt AGPL-3.0 inclusion-numerique/stack "
               "(licence des données à confirmer)")
    format = "csv (;) — une ligne par décision du comité de sélection"
    origin = ("https://github.com/inclusion-numerique/stack — apps/web/public/data/20230405-3925-cnfs.csv "
              "@ 77faa350c8bcb31b4caefcfbc7598f0736f8be00")
    leviers = ("numerique",)
    default_files = ("mediation-numerique/20230405-3925-cnfs.csv",)

    COLUMNS = ("Raison sociale", "Commune INSEE", "Nombre de conseillers validés par le COSELEC", "SIRET",
               "Code département", "Adresse", "Code commune INSEE", "Code postal")

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        """One record per SIRET and declared postal code: the decisions of a structure merged."""
        groups: dict[tuple[str, str], RawRecord] = {}
        out: list[RawRecord] = []
        for record in csv_records(self, raw, self.COLUMNS, delimiters=";,"):
            row = record.data
            if "__error__" in row:
                out.append(record)
                continue
            key = (re.sub(r"\D", "", cell(row, "SIRET")), re.sub(r"\D", "", cell(row, "Code postal")).zfill(5))
            if key in groups:
                first = groups[key]
                first.data["__decisions__"].append(row)
                first.raw_text = f"{first.raw_text}\n{record.raw_text}"
                continue
            merged = RawRecord(record.row_number, {"__decisions__": [row]}, record.raw_text)
            groups[key] = merged
            out.append(merged)
        return out

    def to_offer(self, record: RawRecord) -> Offer:
        data = check_row(record)
        rows = data["__decisions__"]
        row = rows[0]
        siret = siret_of(cell(row, "SIRET"))
        if not siret:
            raise RecordError(f"SIRET absent ou invalide : {cell(row, 'SIRET')!r}")
        nom = cell(row, "Raison sociale")
        if len(nom) < 3:
            raise RecordError("raison sociale absente")
        adresse_brute = cell(row, "Adresse")
        # "1 AV LEVEZOU 12430 VILLEFRANCHE-DE-PANAT", "143 RUE BLOMET 75015 PARIS 15": the last postal code
        m = None
        for m in re.finditer(r"\b(\d{5})\s+([A-Za-zÀ-ÿ][^,]*)$", adresse_brute):
            pass
        cp_adresse, ville_adresse = (m.group(1), m.group(2).strip()) if m else ("", "")
        street = adresse_brute[: m.start()].strip(" ,") if m else adresse_brute
        insee = re.sub(r"[^0-9AB]", "", cell(row, "Code commune INSEE").upper())
        cp_declare = re.sub(r"\D", "", cell(row, "Code postal")).zfill(5) if cell(row, "Code postal") else ""
        dep_declare = cell(row, "Code département").upper()
        dep_declare = dep_declare.zfill(2) if dep_declare.isdigit() else dep_declare
        registered, note = locate(cp_adresse, cell(row, "Commune INSEE") or ville_adresse, insee)
        declared, declared_note = locate(cp_declare, None) if cp_declare else (None, None)
        corrections = [n for n in (note,) if n]
        service_place = {}
        if registered is None and declared is None:
            unplaceable(cp_declare or cp_adresse, cell(row, "Commune INSEE") or ville_adresse, insee)
        if registered is None:
            registered, street = declared, None
            corrections.append(f"adresse SIRENE introuvable : structure placée au centre de {declared.nom}")
        elif dep_declare and declared is not None and registered.code_departement != dep_declare \
                and declared.code_departement == dep_declare:
            # The SIRENE address is elsewhere (head office, or a homonym commune picked by the SIRET
            # match): the conseiller works where the structure declared, at that commune's centre.
            service_place = {"code_postal": declared.codes_postaux[0] if cp_declare not in declared.codes_postaux
                             else cp_declare, "code_insee": declared.code_insee, "commune": declared.nom}
            corrections.append(f"adresse SIRENE à {registered.nom} ({registered.code_departement}), hors du "
                               f"département déclaré {dep_declare} : accueil placé au centre de {declared.nom}")
        conseillers = sum(int(re.sub(r"\D", "", cell(r, "Nombre de conseillers validés par le COSELEC")) or 0)
                          for r in rows)
        dates = sorted({d for d in (_date(cell(r, "Date de validation en comité de sélection")) for r in rows) if d})
        france_services = any(cell(r, "France services").lower() == "oui" for r in rows)
        geo = geography()
        dep_nom = geo.departements[dep_declare].nom if dep_declare in geo.departements else cell(row, "Département")
        extra = {
            "nombre_conseillers": conseillers,
            "dates_validation": [d.isoformat() for d in dates],
            "type_structure": cell(row, "Type") or None,
            "zrr": cell(row, "ZRR") or None, "qpv": cell(row, "QPV") or None,
            "departement_declare": dep_declare or None,
            "mots_cles": ["conseiller numérique", "médiation numérique", "ordinateur", "smartphone", "internet"],
        }
        if corrections:
            extra["corrections"] = corrections
        parts = [CNFS_DESCRIPTION,
                 f"{conseillers} poste{'s' if conseillers > 1 else ''} de conseiller numérique "
                 f"accordé{'s' if conseillers > 1 else ''} à cette structure"
                 + (f" ({dep_nom})" if service_place else "")
                 + (f", validé{'s' if conseillers > 1 else ''} le " + ", ".join(d.strftime('%d/%m/%Y') for d in dates)
                    if dates else "") + "."]
        if france_services:
            parts.append("Structure labellisée France Services.")
        parts.append("Source : liste des structures retenues au 5 avril 2023 (ANCT) — les postes ont pu évoluer "
                     "depuis.")
        kind = {"publique": "structure publique", "privée": "structure privée"}.get(cell(row, "Type").lower())
        structure = StructureRecord(
            local_id=siret, nom=nom, siret=siret, date_maj=CNFS_DATE, adresse=street or None,
            description="Structure d'accueil de conseillers numériques France Services"
                        + (f" ({kind})." if kind else "."),
            commune=registered.nom, code_postal=postcode_for(cp_adresse, registered),
            code_insee=registered.code_insee,
            reseaux_porteurs=["conseillers-numeriques"] + (["france-service"] if france_services else []),
        )
        service = ServiceRecord(
            local_id=f"{siret}-{cp_declare or registered.codes_postaux[0]}",
            nom="Accompagnement aux usages du numérique — conseiller numérique",
            description="\n\n".join(parts), date_maj=CNFS_DATE, type="accompagnement",
            thematiques=list(CNFS_THEMATIQUES), frais="gratuit", publics=["tous-publics"],
            modes_accueil=["en-presentiel"], mobilisable_par=["usagers", "professionnels"],
            extra={k: v for k, v in extra.items() if v is not None}, **service_place,
        )
        return Offer(structure, [service])


def _date(text: str) -> dt.date | None:
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", (text or "").strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None

