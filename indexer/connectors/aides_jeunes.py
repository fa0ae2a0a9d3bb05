"""Financial aids for young people: the 1jeune1solution « aides-jeunes » catalogue and Mobiville's aids.

Two connectors live here because both sources describe *aids* rather than places, and share the
mapping of an aid's words to v1 sub-themes:

* ``aides-jeunes`` (betagouv/aides-jeunes, ex-Mes Aides): ``aides-jeunes-institutions.json`` then
  ``aides-jeunes-benefits.json`` (the YAML files of the repository converted to JSON arrays). Each
  benefit becomes one service; its institution (commune, EPCI, CAF, département, région, État…)
  becomes the structure. The institutions file must come first: it yields no record, it is the
  lookup table of the benefits (when only the benefits are given, e.g. ``--file``, the bundled
  institutions are used).
* ``mobiville`` (StartupsPoleEmploi/mobiville, ``helps.json``): 17 national mobility and housing aids
  and services; the partner (Action Logement, France Travail, l'État…) becomes the structure.

**Eligibility zone** (``zone_eligibilite``) of an aids-jeunes benefit: the territories named in its
``conditions_generales`` (départements, régions → their départements, communes, EPCIs, postal codes
→ communes) or else the institution's territory (commune → code INSEE, EPCI → SIREN, département →
code, région → its départements, CAF/MSA → their département(s), national/European → ``france``).
Every code is checked against the bundled geography; an unknown code is dropped and said in
``extra["notes_zone"]``; an aid whose territory cannot be known at all is quarantined (a local aid
must not look national).

**Place**: an aid has no address. Only aids of a *local* institution (commune, EPCI) are placed,
at the centre of the institution's commune (an EPCI at its most populous commune), so that a search
around that town finds them; every other aid has no point and is ``a-distance`` (found anywhere,
then filtered by its zone).
"""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Iterable

from app.core.geo import Geography, geography
from indexer.connectors._text import join_paragraphs, plain_text
from indexer.connectors.base import OFFERS_DIR, Connector
from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, StructureRecord, UnreadableInput

INSTITUTIONS_FILE = OFFERS_DIR / "aides" / "aides-jeunes-institutions.json"

#: "autre" institutions of the catalogue that act nationwide (no territory in the data)
NATIONAL_OTHERS = {"fonds-daction-sociale-du-travail-temporaire-fastt"}
NATIONAL_TYPES = {"national", "europeen"}
LOCAL_TYPES = {"commune", "epci"}

#: ordered rules (regular expression on folded text → v1 sub-themes); all matching rules apply
THEME_RULES: list[tuple[str, list[str]]] = [
    (r"permis (de conduire|b\b|am\b|moto)|auto-?ecole|code de la route|_interetpermisdeconduire|bourse au permis",
     ["mobilite--preparer-un-permis", "mobilite--financer-ma-mobilite"]),
    (r"covoiturage|\bvelos?\b|trottinette|autopartage", ["mobilite--mobilite-douce-partagee-collective", "mobilite--financer-ma-mobilite"]),
    (r"cyclomoteur|(location|pret|achat) d\S*\s*(un\s+)?vehicule|voiture|scooter", ["mobilite--acceder-a-un-vehicule"]),
    (r"garage|reparation (de|du) vehicule|entretien (de|du) vehicule", ["mobilite--entretenir-reparer-son-vehicule"]),
    (r"transport|abonnement|\bter\b|carte (zou|sncf|solidaire)|imagine r|deplacement"
     r"|mobilite(?! (internationale|europeenne))|carburant|trajet|billet",
     ["mobilite--financer-ma-mobilite"]),
    (r"\bbafa\b|\bbafd\b|\bbsb\b|_interetbafa", ["se-former--monter-son-dossier-de-formation", "se-former--trouver-sa-formation"]),
    (r"formation|secourisme|psc1|pse1|bourses? (d.etudes|sur criteres|au merite|du superieur|sanitaires?|regionales? d.etudes)"
     r"|frais de scolarite|frais d.inscription|sanitaires? et soci|_interetaidessanitairesocial",
     ["se-former--monter-son-dossier-de-formation"]),
    (r"etranger|international|erasmus|discovereu|_interetetudesetranger|mobilite europeenne",
     ["souvrir-a-linternational--sinformer-sur-les-aides-pour-travailler-a-letranger"]),
    (r"hebergement d.urgence|sans domicile|hebergement temporaire|logement temporaire|residences? temporaires?|courte duree",
     ["logement-hebergement--rechercher-une-solution-dhebergement-temporaire"]),
    (r"demande de logement social|informations? sur le logement|adil|anil|dossier de location",
     ["logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement"]),
    (r"impaye|fonds de solidarite (pour le )?logement|\bfsl\b|garantie visale|visale",
     ["logement-hebergement--reduire-les-impayes-de-loyer", "logement-hebergement--se-maintenir-dans-le-logement"]),
    (r"factures? d.energie|solidarite energie|cheque energie", ["logement-hebergement--se-maintenir-dans-le-logement",
                                                              "difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere"]),
    (r"demenag|emmenag|installation|mobili-?pass|changement d.adresse", ["logement-hebergement--changer-de-logement"]),
    (r"accession|achat d.un logement|bail reel solidaire|pret a taux zero|acheter", ["logement-hebergement--acheter-un-logement"]),
    (r"loyer|logement|colocation|residence|caution|depot de garantie|\bapl\b|locataire|locati(f|ve)|\bbail\b",
     ["logement-hebergement--louer-un-logement"]),
    (r"mutuelle|complementaire sante|soins|medec|dentaire|optique|sante\b", ["sante--acces-aux-soins"]),
    (r"psycholog|sante mentale", ["sante--sante-mentale"]),
    (r"contracepti|sante sexuelle", ["sante--sante-sexuelle"]),
    (r"handicap|\bpch\b|\baah\b|invalidite|mobilite inclusion", ["sante--constituer-un-dossier-mdph-invalidite"]),
    (r"repas|restaura|alimentai|epicerie|cheques? dejeuner|restos?'?u", ["equipement-et-alimentation--alimentation"]),
    (r"aide menagere", ["equipement-et-alimentation--aide-menagere", "famille--prise-en-charge-personne-dependante"]),
    (r"ordinateur|numerique|internet|informatique", ["numerique--acquerir-un-equipement"]),
    (r"premier equipement professionnel|equipement professionnel", ["trouver-un-emploi--maintien-dans-lemploi"]),
    (r"recherche d.emploi|entretien d.embauche|reprise d.emploi|retour a l.emploi",
     ["preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi", "mobilite--financer-ma-mobilite"]),
    (r"creation d.entreprise|createur|creer (son|une) entreprise|\bacre\b",
     ["creer-une-entreprise--definir-son-projet-de-creation-dentreprise"]),
    (r"sport|culture|culturel|loisir|vacances|sejour|pass culture|musee|spectacle",
     ["remobilisation--activites-sportives-et-culturelles"]),
    (r"benevol|volontariat|service civique|engagement|initiatives? des jeunes", ["remobilisation--benevolat-action-citoyenne"]),
    (r"garde d.enfant|creche|assistante? maternelle", ["famille--garde-denfants"]),
    (r"naissance|parent|enfant a charge|famille", ["famille--soutien-a-la-parentalite-et-a-leducation"]),
    (r"rendez-vous|acces aux droits|france services|domiciliation|demarches?",
     ["difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"]),
    (r"\brsa\b|revenu (minimum|de solidarite)|prime d.activite|allocation|minimum",
     ["difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"]),
]
FALLBACK_THEME = ["difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"]

PROFILS_PUBLICS = {
    "chomeur": ["demandeurs-emploi"], "etudiant": ["etudiants"], "enseignement_superieur": ["etudiants"],
    "apprenti": ["actifs"], "professionnalisation": ["actifs"], "salarie": ["actifs"], "independant": ["actifs"],
    "beneficiaire_rsa": ["beneficiaires-des-minimas-sociaux"], "parent": ["familles"],
    "situation_handicap": ["personnes-en-situation-de-handicap"], "stagiaire": ["etudiants"],
}
PROFILS_LABELS = {
    "enseignement_superieur": "étudiant·es du supérieur", "chomeur": "demandeur·ses d'emploi", "apprenti": "apprenti·es",
    "lyceen": "lycéen·nes", "stagiaire": "stagiaires de la formation professionnelle", "service_civique": "volontaires en service civique",
    "etudiant": "étudiant·es", "professionnalisation": "contrats de professionnalisation", "salarie": "salarié·es",
    "inactif": "personnes sans activité", "independant": "indépendant·es", "beneficiaire_rsa": "bénéficiaires du RSA",
    "parent": "parents", "situation_handicap": "personnes en situation de handicap", "collegien": "collégien·nes",
}


def fold(text: str) -> str:
    text = (text or "").replace("’", "'").replace("\u00a0", " ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text.lower())


def themes_for(*texts: str) -> list[str]:
    """Sub-themes of an aid: rules on its title first; on its description only if the title says nothing."""
    for text in texts:
        folded = fold(text or "")
        found: list[str] = []
        for pattern, themes in THEME_RULES:
            if re.search(pattern, folded):
                found += themes
        if found:
            return list(dict.fromkeys(found))
    return list(FALLBACK_THEME)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "-", fold(text)).strip("-")[:120]


def _load_json(raw: bytes):
    text = Connector.decode(raw)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableInput(f"JSON illisible : {exc.msg} (ligne {exc.lineno}, colonne {exc.colno})") from None


def region_departements(geo: Geography, code_region: str) -> list[str]:
    return sorted(d.code for d in geo.departements.values() if d.code_region == code_region)


def departement_from_name(geo: Geography, text: str) -> str | None:
    """Code of the département named in a slug or a name ('caf_aveyron', "CAF de l'Aveyron")."""
    key = slugify(text).replace("_", "-")
    key = re.sub(r"^(caf|msa|departement|cd)-(de-la-|de-l-|du-|des-|de-|d-)?", "", key)
    best = None
    for dep in geo.departements.values():
        name = slugify(dep.nom).replace("_", "-")
        if key == name or key.endswith("-" + name) or key.startswith(name + "-") or key == name.replace("-", ""):
            if best is None or len(name) > len(slugify(geo.departements[best].nom)):
                best = dep.code
    return best


class AidesJeunesConnector(Connector):
    name = "aides-jeunes"
    label = "Aides pour les jeunes (1jeune1solution, ex-Mes Aides)"
    licence = "AGPL-3.0 (dépôt betagouv/aides-jeunes) ; textes des aides issus des sites des institutions"
    format = "json (aides-jeunes : institutions puis prestations, converties du YAML)"
    origin = "https://github.com/betagouv/aides-jeunes (data/benefits, data/institutions)"
    leviers = ("mobilite", "logement", "formation", "acces-aux-droits", "sante")
    default_files = ("aides/aides-jeunes-institutions.json", "aides/aides-jeunes-benefits.json")

    def __init__(self) -> None:
        self.institutions: dict[str, dict] | None = None

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        data = _load_json(raw)
        if not isinstance(data, list) or not data:
            raise UnreadableInput("un tableau JSON non vide d'aides ou d'institutions est attendu")
        objects = [x for x in data if isinstance(x, dict)]
        if len(objects) < len(data) / 2:
            raise UnreadableInput("le tableau JSON ne contient pas d'objets")
        if all("label" not in x and "name" in x and "type" in x for x in objects):
            self.institutions = {x.get("slug"): x for x in objects if x.get("slug")}
            return []
        if not any("label" in x and "institution" in x for x in objects):
            raise UnreadableInput("ni un fichier d'aides (label, institution) ni un fichier d'institutions aides-jeunes")
        return [RawRecord(i, item, json.dumps(item, ensure_ascii=False)) for i, item in enumerate(data, start=1)]

    def _institutions(self) -> dict[str, dict]:
        if self.institutions is None:
            data = json.loads(INSTITUTIONS_FILE.read_text(encoding="utf-8"))
            self.institutions = {x["slug"]: x for x in data if isinstance(x, dict) and x.get("slug")}
        return self.institutions

    # ------------------------------------------------------------------------------------------
    def to_offer(self, record: RawRecord) -> Offer | None:
        item = record.data
        if not isinstance(item, dict):
            raise RecordError("aide illisible : un objet JSON est attendu")
        slug = item.get("slug")
        label = plain_text(item.get("label"))
        if not slug:
            raise RecordError("aide sans identifiant (slug)")
        if not label:
            raise RecordError(f"aide {slug} sans intitulé")
        if re.search(r"\b(de demonstration|aide de test)\b", fold(label)):
            return None  # demo and test entries of the catalogue, not real aids
        inst_slug = item.get("institution")
        institution = self._institutions().get(inst_slug)
        if institution is None:
            raise RecordError(f"institution inconnue : {inst_slug!r}")
        geo = geography()
        zone, notes, commune = self._zone(item, institution, geo)
        local = institution.get("type") in LOCAL_TYPES
        structure = self._structure(institution, commune if local else None)

        conditions = [plain_text(c) for c in item.get("conditions") or [] if plain_text(c)]
        voluntary = [plain_text(c) for c in item.get("voluntary_conditions") or [] if plain_text(c)]
        ages = {c.get("operator"): c.get("value") for c in item.get("conditions_generales") or []
                if isinstance(c, dict) and c.get("type") == "age"}
        age_text = _age_text(ages)
        montant = _amount_text(item)
        description = join_paragraphs(
            plain_text(item.get("description")),
            montant,
            ("Conditions :\n" + "\n".join(f"- {c}" for c in conditions)) if conditions else None,
            ("Engagements attendus :\n" + "\n".join(f"- {c}" for c in voluntary)) if voluntary else None,
        )
        online = next((u for u in (item.get("teleservice"), item.get("form"), item.get("link"))
                       if isinstance(u, str) and u.startswith("http")), None)
        modes = (["en-presentiel"] if local else []) + (["a-distance"] if online or not local else [])
        publics, precisions = self._publics(item, ages, age_text)
        text_for_themes = " ".join([label, str(item.get("interestFlag") or "")])
        themes = themes_for(text_for_themes, f"{item.get('description') or ''} {' '.join(conditions)}")
        unit = item.get("unit")
        kind = _benefit_type(label, item)
        extra = {
            "institution": {"slug": inst_slug, "nom": institution.get("name"), "type": institution.get("type"),
                            "siren": institution.get("code_siren")},
            "montant": item.get("montant"), "unite": unit, "periodicite": item.get("periodicite"),
            "precision_montant": plain_text(item.get("legend")),
            "conditions_age": ages or None,
            "profils": [p.get("type") for p in item.get("profils") or [] if isinstance(p, dict)] or None,
            "teleservice": item.get("teleservice") or None, "formulaire": item.get("form") or None,
            "notes_zone": notes or None,
            "mots_cles": [w for w in (institution.get("name"), "aide financière" if kind == "aide-financiere" else None) if w],
        }
        service = ServiceRecord(
            local_id=slugify(slug),
            nom=label[:1].upper() + label[1:],
            description=description,
            type=kind,
            thematiques=themes,
            frais="gratuit",
            publics=publics,
            publics_precisions=precisions,
            conditions_acces=join_paragraphs(*conditions) if conditions else None,
            code_insee=commune.code_insee if local and commune else None,
            commune=commune.nom if local and commune else None,
            modes_accueil=modes,
            zone_eligibilite=zone,
            lien_source=item.get("link") if isinstance(item.get("link"), str) else None,
            lien_mobilisation=online,
            modes_mobilisation=["utiliser-lien-mobilisation"] if online else None,
            mobilisable_par=["usagers", "professionnels"],
            extra={k: v for k, v in extra.items() if v not in (None, [], {})},
        )
        return Offer(structure=structure, services=[service])

    def _structure(self, institution: dict, commune) -> StructureRecord:
        kind = institution.get("type")
        labels = {"commune": "Commune", "epci": "Intercommunalité (EPCI)", "caf": "Caisse d'allocations familiales",
                  "departement": "Conseil départemental", "region": "Conseil régional", "national": "Organisme national",
                  "msa": "Mutualité sociale agricole", "europeen": "Union européenne", "autre": "Organisme"}
        return StructureRecord(
            local_id=f"institution-{slugify(institution['slug'])}",
            nom=institution.get("name") or institution["slug"],
            description=f"{labels.get(kind, 'Organisme')} qui attribue des aides du catalogue 1jeune1solution.",
            code_insee=commune.code_insee if commune else None,
            commune=commune.nom if commune else None,
            extra={k: v for k, v in {"type_institution": kind, "siren": institution.get("code_siren"),
                                      "code_insee": institution.get("code_insee")}.items() if v},
        )

    def _zone(self, item: dict, institution: dict, geo: Geography):
        """(zone codes, notes about dropped codes, commune of a local institution)."""
        notes: list[str] = []
        codes: list[str] = []
        for cond in item.get("conditions_generales") or []:
            if not isinstance(cond, dict):
                continue
            kind, values = cond.get("type"), [str(v).strip() for v in cond.get("values") or []]
            if kind == "departements":
                for v in values:
                    code = v.zfill(2) if v.isdigit() and len(v) < 2 else v.upper()
                    (codes.append(code) if code in geo.departements else notes.append(f"département inconnu ignoré : {v}"))
            elif kind == "regions":
                for v in values:
                    deps = region_departements(geo, v.zfill(2) if v.isdigit() and len(v) < 2 else v)
                    codes.extend(deps) if deps else notes.append(f"région inconnue ignorée : {v}")
            elif kind == "communes":
                for v in values:
                    c = geo.commune(v)
                    (codes.append(c.code_insee) if c else notes.append(f"commune inconnue ignorée : {v}"))
            elif kind == "epcis":
                for v in values:
                    (codes.append(v) if v in geo.epci else notes.append(f"EPCI inconnu ignoré : {v}"))
            elif kind == "codes_postaux":
                for v in values:
                    found = geo.by_postcode(v)
                    codes.extend(c.code_insee for c in found) if found else notes.append(f"code postal inconnu ignoré : {v}")
            elif kind == "excluded_epcis":
                notes.append("EPCI exclus non représentables dans zone_eligibilite : " + ", ".join(values))
        commune = self._institution_commune(institution, geo)
        if not codes:
            codes, more = self._institution_zone(institution, geo, commune)
            notes += more
        if not codes:
            raise RecordError(f"territoire d'éligibilité inconnu pour l'aide {item.get('slug')} "
                              f"(institution « {institution.get('name')} », type {institution.get('type')})"
                              + (" : " + "; ".join(notes) if notes else ""))
        return list(dict.fromkeys(codes)), notes, commune

    @staticmethod
    def _institution_commune(institution: dict, geo: Geography):
        kind = institution.get("type")
        if kind == "commune" and institution.get("code_insee"):
            return geo.commune(str(institution["code_insee"]))
        if kind == "epci" and institution.get("code_siren"):
            members = [c for c in geo.communes.values()
                       if c.siren_epci == str(institution["code_siren"]) and c.code_parent is None]
            return max(members, key=lambda c: c.population) if members else None
        return None

    @staticmethod
    def _institution_zone(institution: dict, geo: Geography, commune) -> tuple[list[str], list[str]]:
        kind, slug = institution.get("type"), institution.get("slug") or ""
        code = str(institution.get("code_insee") or "").strip()
        siren = str(institution.get("code_siren") or "").strip()
        deps = [str(d).upper() for d in institution.get("departments") or []]
        if kind in NATIONAL_TYPES or slug in NATIONAL_OTHERS or (kind == "caf" and slug == "caf"):
            return ["france"], []
        if kind == "commune":
            return ([commune.code_insee], []) if commune else ([], [f"code commune de l'institution inconnu : {code}"])
        if kind == "epci":
            return ([siren], []) if siren in geo.epci else ([], [f"SIREN d'EPCI inconnu : {siren}"])
        if kind == "departement":
            return ([code], []) if code in geo.departements else ([], [f"département de l'institution inconnu : {code}"])
        if kind == "region":
            found = region_departements(geo, code)
            return (found, []) if found else ([], [f"région de l'institution inconnue : {code}"])
        if deps:
            kept = [d for d in deps if d in geo.departements]
            return kept, [f"département inconnu ignoré : {d}" for d in deps if d not in geo.departements]
        if kind in {"caf", "msa"}:
            found = departement_from_name(geo, slug) or departement_from_name(geo, institution.get("name") or "")
            return ([found], []) if found else ([], [f"département de la {kind.upper()} introuvable"])
        return [], []

    @staticmethod
    def _publics(item: dict, ages: dict, age_text: str | None) -> tuple[list[str], str | None]:
        profils = [p.get("type") for p in item.get("profils") or [] if isinstance(p, dict)]
        publics = {p for prof in profils for p in PROFILS_PUBLICS.get(prof, [])}
        minimum = ages.get(">=") if isinstance(ages.get(">="), (int, float)) else ages.get(">")
        if not (isinstance(minimum, (int, float)) and minimum >= 30):
            publics.add("jeunes")
        if re.search(r"personnes? agees|retraite", fold(item.get("label") or "")):
            publics.discard("jeunes")
            publics.add("seniors")
        for cond in item.get("conditions_generales") or []:
            if isinstance(cond, dict) and cond.get("type") == "beneficiaire_rsa":
                publics.add("beneficiaires-des-minimas-sociaux")
            if isinstance(cond, dict) and "sans_domicile" in (cond.get("includes") or []):
                publics.add("personnes-en-situation-durgence")
        labels = [PROFILS_LABELS.get(p, p) for p in dict.fromkeys(profils) if p]
        precisions = join_paragraphs(age_text, ("Situations : " + ", ".join(labels)) if labels else None)
        return sorted(publics), precisions


def _age_text(ages: dict) -> str | None:
    low = ages.get(">=") if ages.get(">=") is not None else (ages.get(">") + 1 if isinstance(ages.get(">"), int) else None)
    high = ages.get("<=") if ages.get("<=") is not None else (ages.get("<") - 1 if isinstance(ages.get("<"), int) else None)
    if low is not None and high is not None:
        return f"De {low} à {high} ans."
    if low is not None:
        return f"À partir de {low} ans."
    if high is not None:
        return f"Jusqu'à {high} ans."
    return None


def _amount_text(item: dict) -> str | None:
    montant, unit = item.get("montant"), item.get("unit")
    if not isinstance(montant, (int, float)):
        return None
    value = f"{montant:g}".replace(".", ",")
    period = {"mensuelle": " par mois", "annuelle": " par an", "ponctuelle": " (versement unique)"}.get(
        item.get("periodicite"), "")
    legend = plain_text(item.get("legend"))
    return f"Montant : jusqu'à {value} {unit or ''}{period}".rstrip() + (f" ({legend})" if legend else "") + "."


def _benefit_type(label: str, item: dict) -> str:
    folded = fold(label)
    if re.search(r"rendez-vous|accompagnement", folded):
        return "accompagnement"
    if re.search(r"^demande de|^informations?", folded):
        return "information"
    unit = str(item.get("unit") or "")
    if "€" in unit or "%" in unit or isinstance(item.get("montant"), (int, float)):
        return "aide-financiere"
    if re.search(r"epicerie|repas|logement|residence|colocation|domiciliation|hebergement|mutuelle", folded):
        return "aide-materielle"
    return "aide-financiere"


# ==============================================================================================
_HIDDEN = re.compile(r"<span[^>]*display\s*:\s*none[^>]*>(.*?)</span>", re.I | re.S)

#: Mobiville "type" (folded, first of a comma list) -> v1 type
MOBIVILLE_TYPES = {"aide financiere": "aide-financiere", "aide administrative": "information",
                   "acces au logement": "accompagnement", "aide transport": "aide-materielle",
                   "accompagnement du projet": "accompagnement"}
MOBIVILLE_SECTIONS = {
    "financement logement": ["logement-hebergement--louer-un-logement"],
    "recherche logement": ["logement-hebergement--louer-un-logement"],
    "temporaire": ["logement-hebergement--rechercher-une-solution-dhebergement-temporaire"],
    "logement temporaire": ["logement-hebergement--rechercher-une-solution-dhebergement-temporaire"],
    "dossier logement": ["logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement"],
    "accompagnement": ["logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement"],
    "transport": ["mobilite--financer-ma-mobilite"],
    "logement": ["logement-hebergement--louer-un-logement"],
}
MOBIVILLE_SITUATIONS = {
    "je demenage": ["logement-hebergement--changer-de-logement"],
    "j'emmenage": ["logement-hebergement--changer-de-logement"],
    "je recherche un emploi": ["preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi"],
    "je recherche un logement": ["logement-hebergement--louer-un-logement"],
}
PUBLIC_PARTNERS = {"action logement", "etat", "pole emploi", "france travail",
                   "agence pour l'information sur le logement", "reseau sam"}


class MobivilleConnector(Connector):
    name = "mobiville"
    label = "Aides à la mobilité et au logement (Mobiville, France Travail)"
    licence = "AGPL-3.0 (dépôt StartupsPoleEmploi/mobiville) ; textes des partenaires"
    format = "json (Mobiville helps.json)"
    origin = "https://github.com/StartupsPoleEmploi/mobiville (api/src/assets/datas/helps.json)"
    leviers = ("mobilite", "logement")
    default_files = ("aides/helps.json",)

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        data = _load_json(raw)
        if not isinstance(data, list) or not data:
            raise UnreadableInput("un tableau JSON non vide d'aides Mobiville est attendu")
        if not any(isinstance(x, dict) and "title" in x and "partner" in x for x in data):
            raise UnreadableInput("ce n'est pas un fichier d'aides Mobiville (title, partner)")
        return [RawRecord(i, item, json.dumps(item, ensure_ascii=False)) for i, item in enumerate(data, start=1)]

    def to_offer(self, record: RawRecord) -> Offer:
        item = record.data
        if not isinstance(item, dict):
            raise RecordError("aide illisible : un objet JSON est attendu")
        title = plain_text(item.get("title"))
        slug = item.get("slug") or (slugify(title) if title else None)
        if not title or not slug:
            raise RecordError("aide Mobiville sans titre ni slug")
        partner = plain_text(item.get("partner"))
        if not partner:
            raise RecordError(f"aide {slug} sans partenaire")
        who_raw = str(item.get("who") or "")
        hidden = " ".join(m.group(1) for m in _HIDDEN.finditer(who_raw))
        tags = [t.strip() for t in re.split(r"\^", plain_text(hidden) or "") if t.strip()]
        who = plain_text(_HIDDEN.sub(" ", who_raw).replace("^", "\n- ").lstrip())
        themes: list[str] = []
        sections = [part.strip() for part in re.split(r",\s*", fold(item.get("section") or ""))]
        for part in sections:
            if part != "logement":
                themes += MOBIVILLE_SECTIONS.get(part, [])
        for part in re.split(r",\s*", fold(item.get("situation") or "")):
            themes += MOBIVILLE_SITUATIONS.get(part.strip(), [])
        if "transport" in fold(item.get("section") or "") and re.search(r"garage|reparation", fold(item.get("description") or "")):
            themes = ["mobilite--entretenir-reparer-son-vehicule"] + [t for t in themes if t != "mobilite--financer-ma-mobilite"]
        if "logement" in sections and not any(t.startswith("logement-") for t in themes):
            themes += MOBIVILLE_SECTIONS["logement"]
        if not themes:
            themes = themes_for(title, item.get("description") or "")
        publics = set()
        for tag in (fold(t) for t in tags or [who or ""]):
            if "demandeur d'emploi" in tag:
                publics.add("demandeurs-emploi")
            if "salarie" in tag or "alternance" in tag:
                publics.add("actifs")
            if "moins de 26" in tag:
                publics.add("jeunes")
        kind = MOBIVILLE_TYPES.get(fold(item.get("type") or "").split(",")[0].strip()) \
            or _mobiville_type(item.get("type"))
        description = join_paragraphs(
            plain_text(item.get("goal")), plain_text(item.get("description")),
            ("Quand ? " + plain_text(item.get("when"))) if plain_text(item.get("when")) else None,
            ("Cumul : " + plain_text(item.get("cumulable"))) if plain_text(item.get("cumulable")) else None,
        )
        link = item.get("link") if isinstance(item.get("link"), str) else None
        partner_key = re.sub(r"^l'", "", fold(partner))
        structure = StructureRecord(
            local_id=f"partenaire-{slugify(partner_key)}",
            nom="L'État" if partner_key == "etat" else partner,
            description="Partenaire des aides à la mobilité et au logement référencées par Mobiville.",
        )
        service = ServiceRecord(
            local_id=slugify(slug),
            nom=title,
            description=description,
            type=kind,
            thematiques=list(dict.fromkeys(themes)),
            frais="gratuit" if partner_key in PUBLIC_PARTNERS else None,
            publics=sorted(publics) or None,
            publics_precisions=who,
            conditions_acces=plain_text(item.get("conditions")),
            modes_accueil=["a-distance"],
            zone_eligibilite=["france"],
            lien_source=link,
            lien_mobilisation=link,
            modes_mobilisation=["utiliser-lien-mobilisation"] if link else None,
            mobilisable_par=["usagers", "professionnels"],
            extra={k: v for k, v in {"type_mobiville": item.get("type"), "section": item.get("section"),
                                      "situation": item.get("situation"), "partenaire": partner,
                                      "mots_cles": [partner, *tags]}.items() if v},
        )
        return Offer(structure=structure, services=[service])


def _mobiville_type(value) -> str:
    folded = fold(str(value or ""))
    if "financ" in folded:
        return "aide-financiere"
    if "accompagnement" in folded or "acces" in folded:
        return "accompagnement"
    if "transport" in folded:
        return "aide-materielle"
    return "information"
