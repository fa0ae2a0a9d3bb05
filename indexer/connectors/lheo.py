"""Training offers in LHEO 2.2 XML, the Carif-Oref exchange format (Intercarif, ONISEP exports).

Shape of the input: ``lheo/offres/formation`` → ``action`` (where, when, for whom, who pays) →
``session`` (dates, recruitment state), with the training body in ``organisme-formation-responsable``.

Decisions:

* **one record and one service per action**. In LHEO the action is the unit that carries the place,
  the sessions, the public, the funders, the hours and the price: two actions of one formation
  are two different offers even at the same address (the AFPA sample has one action paid by the
  trainee or the employer and one funded by the Région for job seekers). The service id is
  ``<formation numero>--<action numero>``; an action without any usable place is quarantined on
  its own, the other actions of the formation still go in.
* **one structure per organisme de formation responsable**, id ``of-<SIRET>`` (the LHEO
  ``numero`` when the SIRET is missing), placed at the organisme's own address.
* the service is placed at the action's ``lieu-de-formation`` (LHEO 2.3 also allows one per
  session), falling back to the session's ``adresse-inscription``.
* contacts of people (``contact-formation``, ``contact-organisme``, ``contact-formateur``) are
  never read: only the organisme's and the place's own coordinates are used.
* Formacode and ROME codes become searchable words through the bundled referentials
  (``FCod-utf-8.csv``: labels, non-descriptors, ROME v2 jobs; ``RomeFCod-utf-8.csv``: ROME v2 ↔
  Formacode). The ROME v3 codes of the files (``A1402``…) get their label from the bundled ROME
  referential (:mod:`app.core.metiers`) and go to ``extra["codes_rome"]``, which links the training to
  its métiers (docs/metiers.md); RomeFCod's ROME v2 codes are obsolete and not used for that.

The XML is parsed with ``defusedxml`` (no entity expansion, no DTD fetching, no network).
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable
from xml.etree.ElementTree import Element, ParseError, tostring

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from app.core.metiers import referentiel as rome_referentiel
from indexer.connectors._text import join_paragraphs, plain_text
from indexer.connectors.base import OFFERS_DIR, Connector
from indexer.normalise import parse_decimal
from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, StructureRecord, UnreadableInput

REFERENTIALS_DIR = OFFERS_DIR / "lheo"

#: LHEO ``dict-financeurs`` (lheo/lheo-schema, definition/lheo-gml.xml @ bdb4cc8, LHEO 2.3);
#: code 16 (OPCO) only exists since LHEO 2.3, hence the "wrong_code_financeur_16" sample.
FINANCEURS = {
    "0": "Autre", "1": "Code(s) obsolète(s)", "2": "Collectivité territoriale - Conseil régional",
    "3": "Fonds européens - FSE", "4": "Pôle emploi", "5": "Entreprise", "6": "ACSÉ (anciennement FASILD)",
    "7": "AGEFIPH", "8": "Collectivité territoriale - Conseil général", "9": "Collectivité territoriale - Commune",
    "10": "Bénéficiaire de l'action", "11": "Etat - Ministère chargé de l'emploi",
    "12": "Etat - Ministère de l'éducation nationale", "13": "Etat - Autre", "14": "Fonds européens - Autre",
    "15": "Collectivité territoriale - Autre", "16": "OPCO", "17": "Transition Pro", "18": "LADOM",
    "19": "État - Ministère de l'intérieur", "20": "OFII - Office français de l'immigration et de l'intégration",
}
#: funders that are the trainee or an employer: the training is then not free for everyone
PRIVATE_FUNDERS = {"5", "10", "16", "17"}
ETAT_RECRUTEMENT = {"1": "ouvert", "2": "fermé", "3": "suspendu"}
MODALITES_ENSEIGNEMENT = {"0": "formation entièrement présentielle", "1": "formation mixte",
                          "2": "formation entièrement à distance"}
OBJECTIF_GENERAL = {"1": "Code(s) obsolète(s)", "2": "Perfectionnement, élargissement des compétences",
                    "3": "Perfectionnement, élargissement des compétences", "4": "Création d'entreprise",
                    "5": "Remise à niveau, maîtrise des savoirs de base, initiation", "6": "Certification",
                    "7": "Professionnalisation", "8": "Préparation à la qualification",
                    "9": "(Re)mobilisation, aide à l'élaboration de projet professionnel"}
NIVEAUX = {"0": "information non communiquée", "1": "sans niveau spécifique",
           "2": "niveau VI (illettrisme, analphabétisme)", "3": "niveau V bis (préqualification)",
           "4": "niveau V (CAP, BEP, CFPA du premier degré)",
           "5": "niveau IV (BP, BT, baccalauréat professionnel ou technologique)",
           "6": "niveau III (BTS, DUT)", "7": "niveau II (licence ou maîtrise universitaire)",
           "8": "niveau I (supérieur à la maîtrise)"}

#: Formacode descriptors (V11/V12) that make a training a basic-skills one
FORMACODES_FRANCAIS = {"15040", "15041", "15043", "15226", "15235", "44501"}
FORMACODES_CALCUL = {"15030", "15041", "11083"}
FORMACODES_CREATION = {"32047", "32039", "32049", "13250", "13260"}

#: Formacode "public visé" codes (type PUB of the referential) → v1 publics
PUBLICS_FORMACODE = {
    "80005": ["demandeurs-emploi"], "80011": ["demandeurs-emploi"], "80012": ["demandeurs-emploi"],
    "80059": ["demandeurs-emploi"], "80030": ["demandeurs-emploi"],
    "80024": ["jeunes"], "80025": ["jeunes", "demandeurs-emploi"], "80026": ["jeunes"], "80027": ["jeunes"],
    "80028": ["jeunes"], "80029": ["jeunes"], "80052": ["jeunes"],
    "80018": ["femmes"], "80020": ["personnes-en-situation-de-handicap"],
    "80022": ["personnes-exilees"], "80042": ["personnes-exilees"],
    "80013": ["personnes-en-situation-juridique-specifique"],
    "80040": ["beneficiaires-des-minimas-sociaux"], "80021": ["demandeurs-emploi"],
    "80002": ["actifs"], "80003": ["actifs"], "80004": ["actifs"], "80006": ["actifs"], "80007": ["demandeurs-emploi"],
    "80008": ["actifs"], "80009": ["actifs"], "80015": ["actifs"], "80017": ["actifs"], "80023": ["actifs"],
    "80032": ["actifs"], "80033": ["actifs"], "80044": ["actifs"], "80045": ["actifs"], "80047": ["actifs"],
    "80048": ["actifs"], "80049": ["actifs"], "80055": ["actifs"], "80058": ["actifs"],
    "80056": ["tous-publics"],
}


# -- referentials ------------------------------------------------------------------------------
@lru_cache(maxsize=2)
def formacodes(folder: Path = REFERENTIALS_DIR) -> dict[str, dict]:
    """Formacode descriptors: code → libellé, non-descripteurs, champ, ROME v2 jobs (bundled CSVs)."""
    out: dict[str, dict] = {}
    path = folder / "FCod-utf-8.csv"
    if not path.exists():
        return out
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter=";"):
            if not row or not row[0].strip().isdigit():
                continue
            row = row + [""] * (15 - len(row))
            code = row[0].strip()
            metiers = [m.split(" ", 1)[1].strip() for m in row[13].split("$") if " " in m.strip()]
            out[code] = {
                "libelle": row[2].strip() or row[1].strip().lower(),
                "type": row[3].strip(),
                "champ": re.sub(r"^\d+\s+", "", row[4].strip()).lower() or None,
                "synonymes": [s.strip() for s in row[5].split("$") if s.strip()],
                "metiers": metiers,
            }
    rome = folder / "RomeFCod-utf-8.csv"
    if rome.exists():
        with open(rome, encoding="utf-8", newline="") as f:
            for row in csv.reader(f, delimiter=";"):
                if len(row) < 3:
                    continue
                for item in row[2].split("$"):
                    m = re.search(r"(\d{5})\s*$", item.strip())
                    if m and m.group(1) in out and row[1].strip() not in out[m.group(1)]["metiers"]:
                        out[m.group(1)]["metiers"].append(row[1].strip())
    return out


# -- XML helpers -------------------------------------------------------------------------------
def _strip_namespaces(root: Element) -> Element:
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def _text(el: Element | None, path: str | None = None) -> str | None:
    node = el.find(path) if el is not None and path else el
    if node is None or node.text is None:
        return None
    value = node.text.strip()
    return value if value and value != "-" else None


def _texts(el: Element | None, path: str) -> list[str]:
    if el is None:
        return []
    return [t for t in (_text(n) for n in el.findall(path)) if t]


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    if len(digits) != 8 or digits == "00000000" or digits.startswith("9999"):
        return None
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _extras(el: Element | None, info: str) -> list[Element]:
    return [] if el is None else [e for e in el.findall("extras") if e.get("info") == info]


def _extra_value(el: Element | None, group: str, key: str) -> str | None:
    for extras in _extras(el, group):
        for extra in extras.findall("extra"):
            if extra.get("info") == key and extra.text and extra.text.strip():
                return extra.text.strip()
    return None


def _address(adresse: Element | None) -> dict | None:
    """Usable place of an LHEO ``adresse`` (None if it says nothing: '-', 00000…)."""
    if adresse is None:
        return None
    insee = _text(adresse, "code-INSEE-commune")
    cp = _text(adresse, "codepostal")
    ville = _text(adresse, "ville")
    insee = insee if insee and insee.strip("0") else None
    cp = cp if cp and cp.strip("0") else None
    lat = parse_decimal(_text(adresse, "geolocalisation/latitude"))
    lon = parse_decimal(_text(adresse, "geolocalisation/longitude"))
    if not (insee or cp or ville or (lat is not None and lon is not None)):
        return None
    lines = _texts(adresse, "ligne")
    return {"adresse": lines[-1] if lines else None,
            "complement": ", ".join(lines[:-1]) or None,
            "code_insee": insee, "code_postal": cp, "commune": ville,
            "latitude": lat, "longitude": lon}


class LheoConnector(Connector):
    name = "lheo"
    label = "Offre de formation LHEO (Carif-Oref, ONISEP)"
    licence = "Données Carif-Oref (Intercarif) et ONISEP — conditions de réutilisation à vérifier par fichier"
    format = "xml (LHEO 2.2, Carif-Oref)"
    origin = "https://github.com/lheo/lheo-schema ; https://github.com/StartupsPoleEmploi/trefle (tests/data)"
    leviers = ("formation", "creation-entreprise")
    default_files = ("lheo/exemple-bts-onisep.xml", "lheo/formation.xml", "lheo/wrong_code_financeur_16.xml")

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        if not raw or not raw.strip():
            raise UnreadableInput("fichier vide")
        try:
            root = SafeET.fromstring(raw)
        except ParseError as exc:
            raise UnreadableInput(f"XML illisible : {exc}") from None
        except DefusedXmlException as exc:
            raise UnreadableInput(f"XML illisible : construction interdite ({type(exc).__name__})") from None
        except (ValueError, UnicodeError) as exc:
            raise UnreadableInput(f"XML illisible : {exc}") from None
        root = _strip_namespaces(root)
        if root.tag != "lheo":
            raise UnreadableInput(f"ce n'est pas un document LHEO : élément racine <{root.tag}>")
        formations = root.findall("offres/formation")
        records = []
        for f_index, formation in enumerate(formations, start=1):
            actions = formation.findall("action")
            if not actions:
                records.append(RawRecord(f_index, (formation, None), _snippet(formation)))
            for action in actions:
                records.append(RawRecord(f_index, (formation, action), _snippet(action)))
        return records

    # ------------------------------------------------------------------------------------------
    def to_offer(self, record: RawRecord) -> Offer:
        formation, action = record.data
        numero = formation.get("numero")
        titre = _text(formation, "intitule-formation")
        if not numero:
            raise RecordError("formation sans numéro (attribut numero)")
        if not titre:
            raise RecordError(f"formation {numero} sans intitulé")
        if action is None:
            raise RecordError(f"formation {numero} sans action (ni lieu ni session)")
        structure = self._structure(formation)
        action_numero = action.get("numero") or str(record.row_number)
        place = (_address(action.find("lieu-de-formation/coordonnees/adresse"))
                 or next((p for p in (_address(s.find("lieu-de-formation/coordonnees/adresse"))
                                      for s in action.findall("session")) if p), None)
                 or next((p for p in (_address(s.find("adresse-inscription/adresse"))
                                      for s in action.findall("session")) if p), None))
        if place is None:
            raise RecordError(f"action {action_numero} de la formation {numero} sans lieu de formation utilisable")
        lieu_nom = _text(action, "lieu-de-formation/coordonnees/nom") or _text(action, "lieu-de-formation/coordonnees/ligne")
        return Offer(structure=structure, services=[self._service(formation, action, numero, action_numero,
                                                                   titre, place, lieu_nom)])

    def _structure(self, formation: Element) -> StructureRecord:
        org = formation.find("organisme-formation-responsable")
        if org is None:
            raise RecordError("formation sans organisme-formation-responsable")
        siret = re.sub(r"\D", "", _text(org, "SIRET-organisme-formation/SIRET") or "")
        local = f"of-{siret}" if len(siret) == 14 else (f"of-{org.get('numero')}" if org.get("numero") else None)
        if not local:
            raise RecordError("organisme de formation sans SIRET ni numéro")
        nom = _text(org, "nom-organisme") or _text(org, "raison-sociale")
        if not nom:
            raise RecordError(f"organisme de formation {local} sans nom")
        coord = org.find("coordonnees-organisme/coordonnees")
        addr = _address(coord.find("adresse")) if coord is not None else None
        raison = _text(org, "raison-sociale")
        return StructureRecord(
            local_id=local, nom=nom, siret=siret or None,
            description=f"Organisme de formation ({raison})" if raison and raison != nom else "Organisme de formation",
            adresse=addr and addr["adresse"], complement_adresse=addr and addr["complement"],
            commune=addr and addr["commune"], code_postal=addr and addr["code_postal"],
            code_insee=addr and addr["code_insee"], latitude=addr and addr["latitude"],
            longitude=addr and addr["longitude"],
            telephone=_text(coord, "telfixe/numtel") if coord is not None else None,
            courriel=_text(coord, "courriel") if coord is not None else None,
            site_web=_text(coord, "web/urlweb") if coord is not None else None,
            extra={"numero_activite": _text(org, "numero-activite"), "raison_sociale": raison},
        )

    def _service(self, formation: Element, action: Element, numero: str, action_numero: str, titre: str,
                 place: dict, lieu_nom: str | None) -> ServiceRecord:
        refs = formacodes()
        codes = _texts(formation, "domaine-formation/code-FORMACODE")
        principal = next((_text(n) for n in formation.findall("domaine-formation/code-FORMACODE")
                          if n.get("tag") == "principal"), None)
        rome = _texts(formation, "domaine-formation/code-ROME")
        nsf = _texts(formation, "domaine-formation/code-NSF")
        objectif_general = _text(formation, "objectif-general-formation")

        thematiques = ["se-former--trouver-sa-formation"]
        codes_set = set(codes)
        if codes_set & FORMACODES_FRANCAIS or objectif_general == "5" and not codes_set & FORMACODES_CALCUL:
            thematiques.append("lecture-ecriture-calcul--maitriser-le-francais")
        if codes_set & FORMACODES_CALCUL:
            thematiques.append("lecture-ecriture-calcul--maitriser-le-calcul")
        if codes_set & FORMACODES_CREATION or objectif_general == "4":
            thematiques += ["creer-une-entreprise--definir-son-projet-de-creation-dentreprise",
                            "creer-une-entreprise--structurer-son-projet-de-creation-dentreprise"]
        if objectif_general == "9":
            thematiques.append("choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite")

        # who pays
        financeurs = []
        for fin in action.findall("organisme-financeur"):
            code = _text(fin, "code-financeur")
            if code is None:
                continue
            item = {"code": code, "libelle": FINANCEURS.get(code, f"code financeur inconnu ({code})")}
            places = _text(fin, "nb-places-financees")
            if places and places.isdigit():
                item["places"] = int(places)
            programme = _extra_value(fin, "specificites", "programme-financeur")
            if programme:
                item["programme"] = programme
            financeurs.append(item)
        fin_codes = {f["code"] for f in financeurs}
        prise_en_charge = _text(action, "prise-en-charge-frais-possible") == "1"
        if fin_codes and not fin_codes & PRIVATE_FUNDERS:
            frais = "gratuit"
        elif fin_codes & {"10"}:
            frais = "payant"
        else:
            frais = None
        frais_precisions = "; ".join(filter(None, [
            ("Financement : " + ", ".join(dict.fromkeys(f["libelle"] for f in financeurs))) if financeurs else None,
            "Prise en charge des frais possible" if prise_en_charge else None]))

        # where and how
        enseignement = _text(action, "modalites-enseignement")
        pedagogie = " ".join(filter(None, [_text(action, "modalites-pedagogiques"), _text(action, "rythme-formation")]))
        foad = enseignement in {"1", "2"} or bool(re.search(r"\bFOAD\b|à distance|a distance", pedagogie, re.I))
        modes = ["a-distance"] if enseignement == "2" else ["en-presentiel"] + (["a-distance"] if foad else [])

        lieu = {"commune": place["commune"], "code_postal": place["code_postal"], "code_insee": place["code_insee"],
                "adresse": place["adresse"]}
        sessions = []
        cpf = []
        for session in action.findall("session"):
            item = {"numero": session.get("numero"),
                    "debut": _iso(_date(_text(session, "periode/debut"))),
                    "fin": _iso(_date(_text(session, "periode/fin"))),
                    "lieu": _place_dict(_address(session.find("lieu-de-formation/coordonnees/adresse"))) or lieu,
                    "etat_recrutement": ETAT_RECRUTEMENT.get(_text(session, "etat-recrutement") or "")}
            inscription = _place_dict(_address(session.find("adresse-inscription/adresse")))
            if inscription and inscription != item["lieu"]:
                item["inscription"] = inscription
            fin_inscription = _date(_text(session, "periode-inscription/periode/fin"))
            if fin_inscription:
                item["fin_inscription"] = fin_inscription.isoformat()
            sessions.append(item)
            for extras in _extras(session, "eligibilite-cpf"):
                entry = {"numero": extras.get("numero")}
                for extra in extras.findall("extra"):
                    if extra.get("info") in ("source", "fin-validite", "france-entiere", "region") and extra.text:
                        entry[extra.get("info")] = extra.text.strip()
                if entry not in cpf:
                    cpf.append(entry)

        heures = parse_decimal(_text(action, "nombre-heures-total"))
        if heures is None:
            centre = parse_decimal(_text(action, "nombre-heures-centre"))
            entreprise = parse_decimal(_text(action, "nombre-heures-entreprise"))
            heures = (centre or 0) + (entreprise or 0) or None
        hebdo = parse_decimal(_extra_value(action, "duree-hebdo", "duree-hebdo"))
        semaines = math.ceil(heures / hebdo) if heures and hebdo else None

        formacode_items = [{"code": c, "libelle": refs.get(c, {}).get("libelle"), "principal": c == principal}
                           for c in dict.fromkeys(codes)]
        mots = []
        for c in dict.fromkeys(codes):
            ref = refs.get(c)
            if ref:
                mots += [ref["libelle"], *ref["synonymes"], *ref["metiers"]]
        mots += rome + [f"formacode {c}" for c in codes]
        # the ROME v3 codes of the file are what links the training to a métier (docs/metiers.md)
        romes = rome_referentiel()
        mots += [romes.get(c).libelle for c in romes.known(rome)]
        certifiante = _text(formation, "certifiante") == "1"
        certification = {k: v for k, v in {
            "certifiante": certifiante,
            "rncp": _text(formation, "certification/code-RNCP"),
            "certifinfo": _text(formation, "certification/code-CERTIFINFO"),
            "niveau_sortie": NIVEAUX.get(_text(formation, "code-niveau-sortie") or ""),
        }.items() if v is not None}
        publics_codes = _texts(action, "code-public-vise")
        publics = sorted({p for c in publics_codes for p in PUBLICS_FORMACODE.get(c, [])})
        if "tous-publics" in publics:
            publics = ["tous-publics"]
        public_labels = [refs[c]["libelle"] for c in publics_codes if c in refs]

        niveau_entree = NIVEAUX.get(_text(formation, "code-niveau-entree") or "")
        conditions = join_paragraphs(
            plain_text(_text(action, "conditions-specifiques")),
            (f"Niveau d'entrée : {niveau_entree}" + (" (obligatoire)" if _text(action, "niveau-entree-obligatoire") == "1" else ""))
            if niveau_entree and _text(formation, "code-niveau-entree") not in {"0", "1"} else None,
            f"Recrutement : {_text(action, 'modalites-recrutement')}" if _text(action, "modalites-recrutement") else None,
        )
        description = join_paragraphs(
            plain_text(_text(formation, "objectif-formation")),
            plain_text(_text(formation, "resultats-attendus")),
            plain_text(_text(formation, "contenu-formation")),
            "Durée : " + _text(action, "duree-indicative") if _text(action, "duree-indicative") else None,
            f"Rythme : {_text(action, 'rythme-formation')}" if _text(action, "rythme-formation") else None,
            f"Hébergement : {_text(action, 'hebergement')}" if _text(action, "hebergement") else None,
        )
        url = (formation.get("href") or _text(formation, "url-formation/urlweb") or _text(action, "url-action/urlweb"))
        lieu_coord = action.find("lieu-de-formation/coordonnees")
        date_maj = (_date(action.get("datemaj")) or _date(formation.get("datemaj"))
                    or _date(_extra_value(formation, "FORMATION ONISEP", "DATE EXPORT ONISEP")))
        extra = {
            "formation_numero": numero,
            "action_numero": action_numero,
            "lieu_nom": lieu_nom,
            "sessions": sessions,
            "duree_heures": heures,
            "duree_indicative": _text(action, "duree-indicative"),
            "financeurs": financeurs,
            "certification": certification,
            "formacodes": formacode_items,
            "rome": [{"code": c, "libelle": romes.get(c).libelle if romes.get(c) else None}
                     for c in dict.fromkeys(rome)],
            "codes_rome": romes.known(rome),
            "nsf": nsf or None,
            "a_distance": "a-distance" in modes,
            "modalites_enseignement": MODALITES_ENSEIGNEMENT.get(enseignement or ""),
            "eligible_cpf": bool(cpf),
            "eligibilite_cpf": cpf or None,
            "objectif_general": OBJECTIF_GENERAL.get(objectif_general or ""),
            "publics_vises": [{"code": c, "libelle": refs.get(c, {}).get("libelle")} for c in publics_codes] or None,
            "mots_cles": list(dict.fromkeys(m for m in mots if m)),
        }
        return ServiceRecord(
            local_id=f"{numero}--{action_numero}",
            nom=re.sub(r"\s+-\s+\d{4,}\s*$", "", titre),
            description=description,
            date_maj=date_maj,
            type="formation",
            thematiques=thematiques,
            frais=frais,
            frais_precisions=frais_precisions or None,
            publics=publics or None,
            publics_precisions=", ".join(public_labels) or None,
            conditions_acces=conditions,
            adresse=place["adresse"],
            complement_adresse=place["complement"] or (lieu_nom if lieu_nom != place["adresse"] else None),
            commune=place["commune"], code_postal=place["code_postal"], code_insee=place["code_insee"],
            latitude=place["latitude"], longitude=place["longitude"],
            telephone=_text(lieu_coord, "telfixe/numtel") if lieu_coord is not None else None,
            courriel=_text(lieu_coord, "courriel") if lieu_coord is not None else None,
            modes_accueil=modes,
            lien_source=url,
            lien_mobilisation=_text(action, "url-action/urlweb") or url,
            modes_mobilisation=["utiliser-lien-mobilisation"] if (_text(action, "url-action/urlweb") or url) else None,
            mobilisable_par=["usagers", "professionnels"],
            volume_horaire_hebdomadaire=hebdo,
            nombre_semaines=semaines,
            extra={k: v for k, v in extra.items() if v not in (None, [], {})},
        )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _place_dict(place: dict | None) -> dict | None:
    if not place:
        return None
    return {"commune": place["commune"], "code_postal": place["code_postal"], "code_insee": place["code_insee"],
            "adresse": place["adresse"]}


def _snippet(el: Element) -> str:
    try:
        return tostring(el, encoding="unicode")[:20000]
    except (TypeError, ValueError):
        return el.tag
