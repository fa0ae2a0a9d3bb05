"""Kind-specific facts of a service, in French, from what the connectors keep in ``Service.extra``.

Pure and Flask-free. Each source stores what matters to advisers about its kind of offer
(docs/connectors.md): LHEO trainings their sessions, funders, certification and CPF eligibility;
SIAE and GEIQ their measure, jobs and sectors; aides-jeunes the amount, frequency and age limits;
France Services whether the site is itinerant; Soliguide emergency housing and saturation; the
Service-Public directory the kind of desk. :func:`facts_for` turns them into labelled facts grouped
by kind, for the service page (``app/web/templates/_faits.html``); :func:`searchable_words` gives
the words of those facts worth indexing.

Unknown keys are ignored and odd values (None, wrong types, unreadable dates) are skipped, never
raised: producers' files change shape.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)

ANNUAIRE_TYPES = Path(__file__).resolve().parents[2] / "data" / "vocabularies" / "annuaire-types.json"

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]

#: measures of the insertion par l'activité économique (SIAE list, data·inclusion typologies) and GEIQ
MESURES = {
    "ACI": "Atelier et chantier d'insertion",
    "EI": "Entreprise d'insertion",
    "AI": "Association intermédiaire",
    "ETTI": "Entreprise de travail temporaire d'insertion",
    "EITI": "Entreprise d'insertion par le travail indépendant",
    "GEIQ": "Groupement d'employeurs pour l'insertion et la qualification",
}
#: ``codes_rome_origine`` of the connectors -> the label of the jobs fact
JOBS_LABELS = {
    "métiers déclarés par la structure": "Métiers",
    "activité de la structure (code NAF)": "Métiers probables (d'après l'activité de la structure)",
    "secteur du groupement (nom du GEIQ)": "Métiers probables (d'après le secteur du groupement)",
}
PERIODICITES = {"mensuelle": "par mois", "annuelle": "par an", "ponctuelle": "en une fois"}
SATURATION = {"LOW": "faible", "MEDIUM": "moyenne", "HIGH": "forte — structure très sollicitée"}
SOLIGUIDE_STYLES = {"take_away": "à emporter", "indoor_seating": "sur place", "delivery": "livraison",
                    "outdoor_seating": "en extérieur"}
RECRUTEMENT = {"ouvert": "recrutement ouvert", "fermé": "recrutement fermé", "suspendu": "recrutement suspendu"}
EMERGENCY_115 = "Hébergement d'urgence — appeler le 115 (numéro gratuit, 24 h/24)"
MAX_JOBS = 15


@dataclass(frozen=True)
class Fact:
    """One fact: ``label : value`` (or the value alone), optionally a link (the value is its words)."""

    value: str
    label: str | None = None
    url: str | None = None

    @property
    def text(self) -> str:
        return f"{self.label} : {self.value}" if self.label else self.value


@dataclass(frozen=True)
class FactGroup:
    """Facts of one kind under a title; ``past`` holds what no longer applies (sessions passées),
    shown collapsed under ``past_title``; ``note`` says something about the whole group."""

    key: str
    title: str
    facts: tuple[Fact, ...] = ()
    past: tuple[Fact, ...] = ()
    past_title: str = "Sessions passées"
    note: str | None = None

    @property
    def texts(self) -> list[str]:
        return [f.text for f in (*self.facts, *self.past)]


# -- entry points ----------------------------------------------------------------------------------
def facts_for(service: Any, today: dt.date | None = None) -> list[FactGroup]:
    """The kind-specific fact groups of a service (``source`` + ``extra``), empty when there are none."""
    extra = getattr(service, "extra", None)
    if not isinstance(extra, dict) or not extra:
        return []
    today = today or dt.date.today()
    groups: list[FactGroup] = []
    for builder in _builders(service, extra):
        try:
            groups.extend(g for g in builder(service, extra, today) if g.facts or g.past or g.note)
        except Exception:  # a shape no builder foresaw: the page shows the rest, never a 500
            log.warning("facts: %s of %s skipped", builder.__name__, getattr(service, "id", "?"), exc_info=True)
    return groups


def searchable_words(service: Any) -> list[str]:
    """Words of the kind-specific facts worth indexing (certification, measure, jobs, funders…),
    deduplicated case-insensitively, in order."""
    extra = getattr(service, "extra", None)
    if not isinstance(extra, dict) or not extra:
        return []
    words: list[str] = []
    for builder in _word_builders(service, extra):
        try:
            words.extend(builder(service, extra))
        except Exception:
            log.warning("facts: words of %s skipped", getattr(service, "id", "?"), exc_info=True)
    seen: set[str] = set()
    out = []
    for w in words:
        w = _str(w)
        if w and w.casefold() not in seen:
            seen.add(w.casefold())
            out.append(w)
    return out


def _builders(service: Any, extra: dict) -> list[Callable]:
    source = getattr(service, "source", None)
    if source == "lheo":
        return [_formation]
    if source == "siae":
        return [_siae]
    if source == "geiq":
        return [_geiq]
    if source == "aides-jeunes":
        return [_aide]
    if source == "france-services":
        return [_france_services]
    if source == "soliguide":
        return [_soliguide]
    if source == "service-public":
        return [_annuaire]
    if extra.get("origine") == "typologie":  # data·inclusion services implied by a structure's type
        return [_typologie]
    return []


def _word_builders(service: Any, extra: dict) -> list[Callable]:
    source = getattr(service, "source", None)
    return {"lheo": [_formation_words], "siae": [_siae_words], "geiq": [_geiq_words], "aides-jeunes": [_aide_words],
            "france-services": [_france_services_words], "soliguide": [_soliguide_words],
            "service-public": [_annuaire_words]}.get(
        source, [_typologie_words] if extra.get("origine") == "typologie" else [])


# -- LHEO trainings --------------------------------------------------------------------------------
def _formation(service: Any, extra: dict, today: dt.date) -> list[FactGroup]:
    groups = []
    sessions = [s for s in _list(extra.get("sessions")) if isinstance(s, dict)]
    if sessions:
        coming, past = [], []
        for session in sorted(sessions, key=_session_key):
            is_past = _session_is_past(session, today)
            (past if is_past else coming).append(Fact(_session_text(session, is_past)))
        note = None
        if not coming:
            note = ("Aucune session à venir n'est publiée : se renseigner auprès de l'organisme de formation "
                    "sur les prochaines entrées.")
        groups.append(FactGroup("sessions", "Sessions de formation", tuple(coming), tuple(past),
                                f"Sessions passées ({len(past)})", note))

    facts: list[Fact] = []
    financeurs = _financeurs(extra.get("financeurs"))
    if financeurs:
        facts.append(Fact(", ".join(financeurs), "Financeurs"))
    programmes = _unique(_str(f.get("programme")) for f in _list(extra.get("financeurs")) if isinstance(f, dict))
    if programmes:
        facts.append(Fact(" ; ".join(programmes), "Programme" if len(programmes) == 1 else "Programmes"))
    certification = _certification(extra.get("certification"))
    if certification:
        facts.append(Fact(certification, "Certification"))
    if extra.get("eligible_cpf") is True:
        facts.append(Fact("Éligible au CPF (compte personnel de formation)"))
    duree = _duration(extra.get("duree_heures"), extra.get("duree_indicative"))
    if duree:
        facts.append(Fact(duree, "Durée"))
    modalites = _str(extra.get("modalites_enseignement"))
    if extra.get("a_distance") is True:
        if modalites and "distance" in modalites:
            facts.append(Fact(modalites[:1].upper() + modalites[1:]))
        else:
            facts.append(Fact("Formation à distance" + (f" ({modalites})" if modalites else "")))
    elif modalites:
        facts.append(Fact(modalites[:1].upper() + modalites[1:], "Enseignement"))
    objectif = _str(extra.get("objectif_general"))
    if objectif and "obsolète" not in objectif:
        facts.append(Fact(objectif, "Objectif"))
    jobs = _rome_jobs(extra.get("rome"), extra.get("codes_rome"))
    if jobs:
        facts.append(Fact(_joined(jobs), "Métiers visés"))
    if facts:
        groups.append(FactGroup("formation", "Points clés de la formation", tuple(facts)))
    return groups


def _formation_words(service: Any, extra: dict) -> list[str]:
    words: list[str] = []
    cert = extra.get("certification") if isinstance(extra.get("certification"), dict) else {}
    if cert.get("certifiante") is True:
        words.append("formation certifiante")
    if _str(cert.get("rncp")):
        words.append(f"RNCP {_str(cert.get('rncp'))}")
    if _str(cert.get("niveau_sortie")) and "sans niveau" not in _str(cert.get("niveau_sortie")):
        words.append(_str(cert.get("niveau_sortie")))
    if extra.get("eligible_cpf") is True:
        words += ["CPF", "éligible au CPF", "compte personnel de formation"]
    words += [f for f in _financeurs(extra.get("financeurs"), with_places=False)
              if f != "Autre" and not f.startswith("code financeur inconnu")]
    words += [_str(f.get("programme")) for f in _list(extra.get("financeurs")) if isinstance(f, dict)]
    if extra.get("a_distance") is True:
        words.append("formation à distance")
    words += [label for label, _code in _rome_pairs(extra.get("rome"), extra.get("codes_rome"))]
    return [w for w in words if w]


def _session_key(session: dict) -> tuple:
    start, end = _date(session.get("debut")), _date(session.get("fin"))
    return (start or end or dt.date.max, end or dt.date.max)


def _session_is_past(session: dict, today: dt.date) -> bool:
    end = _date(session.get("fin"))
    return end is not None and end < today


def _session_text(session: dict, past: bool) -> str:
    text = _period(_date(session.get("debut")), _date(session.get("fin")))
    where = _place_words(session.get("lieu"))
    if where:
        text += f" — {where}"
    details = []
    if not past:
        details.append(RECRUTEMENT.get(_str(session.get("etat_recrutement")) or ""))
        closing = _date(session.get("fin_inscription"))
        if closing:
            details.append(f"inscriptions jusqu'au {date_fr(closing)}")
        inscription = _place_words(session.get("inscription"))
        if inscription and inscription != where:
            details.append(f"inscription à {inscription}")
    details = [d for d in details if d]
    return text + (f" · {', '.join(details)}" if details else "")


def _period(start: dt.date | None, end: dt.date | None) -> str:
    if start and end:
        return f"Le {date_fr(start)}" if start == end else f"Du {date_fr(start)} au {date_fr(end)}"
    if start:
        return f"À partir du {date_fr(start)}"
    if end:
        return f"Jusqu'au {date_fr(end)}"
    return "Dates non précisées"


def _place_words(place: Any) -> str | None:
    """"Veigné (37)" from a place dict (commune, code_postal, code_insee)."""
    if not isinstance(place, dict):
        return None
    code_insee, code_postal = _str(place.get("code_insee")), _str(place.get("code_postal"))
    name, dep = _str(place.get("commune")), None
    commune = _commune(code_insee)
    if commune is not None:
        # the published name unless it is the same (then in the COG's spelling): a merged commune's
        # old code leads to the new commune, but the place is still called by its old name
        dep = commune.code_departement
        if not name or _fold(name) == _fold(commune.nom):
            name = commune.nom
    elif code_postal and re.fullmatch(r"\d{5}", code_postal) and not code_postal.startswith("20"):
        dep = code_postal[:3] if code_postal.startswith("97") else code_postal[:2]
    if name and name.isupper():
        name = name.title()
    if not name:
        return None
    return f"{name} ({dep})" if dep else name


def _financeurs(value: Any, with_places: bool = True) -> list[str]:
    out: dict[str, int] = {}
    for f in _list(value):
        if not isinstance(f, dict):
            continue
        label = _str(f.get("libelle"))
        if not label:
            continue
        places = f.get("places")
        out[label] = out.get(label, 0) + (places if isinstance(places, int) and not isinstance(places, bool)
                                          and places > 0 else 0)
    if not with_places:
        return list(out)
    return [f"{label} ({n} place{'s' if n > 1 else ''} financée{'s' if n > 1 else ''})" if n else label
            for label, n in out.items()]


def _certification(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    certifiante = value.get("certifiante")
    parts = []
    if certifiante is True:
        parts.append("formation certifiante")
    elif certifiante is False:
        parts.append("formation non certifiante")
    codes = [f"RNCP {_str(value.get('rncp'))}" if _str(value.get("rncp")) else None,
             f"Certif Info {_str(value.get('certifinfo'))}" if _str(value.get("certifinfo")) else None]
    codes = [c for c in codes if c]
    if codes and parts:
        parts[0] += f" ({', '.join(codes)})"
    elif codes:
        parts.append(", ".join(codes))
    niveau = _str(value.get("niveau_sortie"))
    if niveau and "non communiquée" not in niveau and "sans niveau" not in niveau:
        parts.append(f"niveau de sortie : {niveau}")
    if not parts:
        return None
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def _duration(heures: Any, indicative: Any) -> str | None:
    hours = _number(heures)
    words = _str(indicative)
    if hours and hours > 0:
        text = f"{_format_number(hours)}\u00a0heure{'s' if hours >= 2 else ''}"
        return f"{text} ({words})" if words else text
    return words


# -- SIAE and GEIQ ---------------------------------------------------------------------------------
def _siae(service: Any, extra: dict, today: dt.date) -> list[FactGroup]:
    facts = []
    mesure = (_str(extra.get("mesure")) or "").upper()
    if mesure in MESURES:
        facts.append(Fact(f"{MESURES[mesure]} ({mesure})"))
    dep = _departement_words(extra.get("departement_conventionnement"))
    if dep:
        facts.append(Fact(dep, "Conventionnée pour"))
    facts += _jobs_facts(extra)
    return [FactGroup("iae", "Insertion par l'activité économique", tuple(facts))]


def _siae_words(service: Any, extra: dict) -> list[str]:
    mesure = (_str(extra.get("mesure")) or "").upper()
    words = ["insertion par l'activité économique", "IAE", "SIAE"]
    if mesure in MESURES:
        words += [MESURES[mesure], mesure]
    return words + _job_words(extra)


def _geiq(service: Any, extra: dict, today: dt.date) -> list[FactGroup]:
    facts = [Fact(f"{MESURES['GEIQ']} (GEIQ)"),
             Fact("alternance (contrat de professionnalisation ou d'apprentissage) avec une formation qualifiante",
                  "Contrat")]
    secteurs = _unique(_str(s) for s in _list(extra.get("secteurs")))
    if secteurs:
        facts.append(Fact(", ".join(secteurs), "Secteurs"))
    facts += _jobs_facts(extra)
    return [FactGroup("geiq", "Groupement d'employeurs (GEIQ)", tuple(facts))]


def _geiq_words(service: Any, extra: dict) -> list[str]:
    return (["GEIQ", MESURES["GEIQ"], "alternance"] + _unique(_str(s) for s in _list(extra.get("secteurs")))
            + _job_words(extra))


def _jobs_facts(extra: dict) -> list[Fact]:
    declared = []
    for job in _list(extra.get("metiers")):
        if not isinstance(job, dict):
            continue
        appellation, code = _str(job.get("appellation")), _rome_code(job.get("rome"))
        if appellation and code:
            declared.append(f"{appellation} ({code})")
        elif appellation or code:
            declared.append(appellation or _rome_label(code) or code)
    declared = _unique(declared)
    if declared:
        return [Fact(_joined(declared), "Métiers proposés")]
    jobs = _rome_jobs(None, extra.get("codes_rome"))
    if not jobs:
        return []
    label = JOBS_LABELS.get(_str(extra.get("codes_rome_origine")) or "", "Métiers")
    return [Fact(_joined(jobs), label)]


def _job_words(extra: dict) -> list[str]:
    words = []
    for job in _list(extra.get("metiers")):
        if isinstance(job, dict):
            words += [_str(job.get("appellation")), _rome_label(_rome_code(job.get("rome")))]
    words += [label for label, _code in _rome_pairs(None, extra.get("codes_rome"))]
    return [w for w in words if w]


# -- aides-jeunes ------------------------------------------------------------------------------------
def _aide(service: Any, extra: dict, today: dt.date) -> list[FactGroup]:
    facts = []
    amount = _amount(extra)
    if amount:
        facts.append(Fact(amount, "Montant"))
    periodicite = _str(extra.get("periodicite"))
    if periodicite in PERIODICITES and not (amount and PERIODICITES[periodicite] in amount):
        facts.append(Fact(PERIODICITES[periodicite], "Versement"))
    ages = _ages(extra.get("conditions_age"))
    if ages:
        facts.append(Fact(ages, "Âge"))
    online = _url(extra.get("teleservice"))
    if online:
        facts.append(Fact("Faire la demande en ligne", url=online))
    form = _url(extra.get("formulaire"))
    if form and form != online:
        facts.append(Fact("Formulaire de demande", url=form))
    financial = getattr(service, "type", None) == "aide-financiere" or amount is not None
    return [FactGroup("aide", "Aide financière" if financial else "L'aide en bref", tuple(facts))]


def _aide_words(service: Any, extra: dict) -> list[str]:
    return ["aide financière"] if _amount(extra) else []


def _amount(extra: dict) -> str | None:
    montant = _number(extra.get("montant"))
    if montant is None or montant <= 0:
        return None
    unit = _str(extra.get("unite"))
    precision = _str(extra.get("precision_montant")) or ""
    maximum = bool(re.search(r"\bmaximum\b", precision, re.I))
    rest = re.sub(r"\s+", " ", re.sub(r"\bmaximum\b", "", precision, flags=re.I)).strip(" ,")
    text = ("jusqu'à " if maximum else "") + _format_number(montant) + (f"\u00a0{unit}" if unit else "")
    if rest:
        text += f" {rest}"
    period = PERIODICITES.get(_str(extra.get("periodicite")) or "")
    if period and period.startswith("par ") and not re.search(r"\bpar\b|/", rest):
        text += f" {period}"
    return text


def _ages(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    low, high = _number(value.get(">=")), _number(value.get("<="))
    if low is None and _number(value.get(">")) is not None:
        low = _number(value.get(">")) + 1
    if high is None and _number(value.get("<")) is not None:
        high = _number(value.get("<")) - 1
    if low is not None and high is not None:
        return f"de {_format_number(low)} à {_format_number(high)} ans" if low <= high else None
    if low is not None:
        return f"à partir de {_format_number(low)} ans"
    if high is not None:
        return f"jusqu'à {_format_number(high)} ans"
    return None


# -- France Services -------------------------------------------------------------------------------
def _france_services(service: Any, extra: dict, today: dt.date) -> list[FactGroup]:
    facts = []
    format_fs = (_str(extra.get("format_fs")) or "").lower()
    if (_str(extra.get("type_fs")) or "").lower() == "antenne":
        facts.append(Fact("Antenne d'un espace France Services principal"))
    if extra.get("itinerant") is True:
        facts.append(Fact("France Services itinérante (bus) : vérifier les lieux et jours de passage"
                          if format_fs.startswith("bus") else
                          "France Services itinérante : permanences dans plusieurs communes, à des jours fixés"))
    elif format_fs == "multisites":
        facts.append(Fact("Accueil réparti sur plusieurs sites"))
    elif format_fs == "fixe_antenne(s)":
        facts.append(Fact("Lieu fixe, complété par une ou plusieurs antennes"))
    if extra.get("prise_rdv") is True:
        facts.append(Fact("Prise de rendez-vous possible"))
    horaires = _str(extra.get("horaires_texte"))
    if horaires:  # hours the connector could not read, as published (empty "00:00 - 00:00" first slots dropped)
        facts.append(Fact(re.sub(r"00:00 - 00:00\s*/\s*", "", horaires), "Horaires publiés"))
    return [FactGroup("france-services", "France Services", tuple(facts))]


def _france_services_words(service: Any, extra: dict) -> list[str]:
    if extra.get("itinerant") is True:
        return ["France Services itinérante", "itinérant"]
    return []


# -- Soliguide ------------------------------------------------------------------------------------
def _soliguide(service: Any, extra: dict, today: dt.date) -> list[FactGroup]:
    facts = []
    emergency = extra.get("hebergement_urgence") is True
    if emergency:
        facts.append(Fact(EMERGENCY_115))
    places = extra.get("places_hebergement")
    if isinstance(places, int) and not isinstance(places, bool) and places > 0:
        facts.append(Fact(f"{places} place{'s' if places > 1 else ''}", "Capacité"))
    saturation = SATURATION.get((_str(extra.get("saturation")) or "").upper())
    if saturation:
        facts.append(Fact(saturation, "Saturation (selon Soliguide)"))
    category = _str(extra.get("categorie_libelle"))
    if category:
        facts.append(Fact(category, "Catégorie Soliguide"))
    specific = extra.get("specifiques") if isinstance(extra.get("specifiques"), dict) else {}
    styles = _unique(SOLIGUIDE_STYLES.get(_str(s) or "") for s in _list(specific.get("serviceStyleType")))
    if styles:
        facts.append(Fact(", ".join(styles), "Service"))
    activity = _str(specific.get("activityName"))
    if activity:
        facts.append(Fact(activity, "Activité"))
    note = None
    if extra.get("jeu_de_test") is True:
        note = "Fiche issue du jeu de données de test de Soliguide : à vérifier avant toute orientation."
    return [FactGroup("hebergement" if emergency else "soliguide",
                      "Hébergement" if emergency else "Précisions de Soliguide", tuple(facts), note=note)]


def _soliguide_words(service: Any, extra: dict) -> list[str]:
    words = [_str(extra.get("categorie_libelle"))]
    if extra.get("hebergement_urgence") is True:
        words += ["hébergement d'urgence", "115"]
    return [w for w in words if w]


# -- Service-Public directory, data·inclusion typologies ------------------------------------------
def _annuaire(service: Any, extra: dict, today: dt.date) -> list[FactGroup]:
    label = _annuaire_label(extra.get("type_annuaire"))
    facts = (Fact(label, "Type de lieu"),) if label else ()
    return [FactGroup("annuaire", "Annuaire de l'administration", facts)]


def _annuaire_words(service: Any, extra: dict) -> list[str]:
    label = _annuaire_label(extra.get("type_annuaire"))
    return [label] if label else []


def _annuaire_label(tag: Any) -> str | None:
    spec = _annuaire_types().get(_str(tag) or "")
    return _str(spec.get("libelle")) if isinstance(spec, dict) else None


@lru_cache(maxsize=1)
def _annuaire_types() -> dict:
    try:
        data = json.loads(ANNUAIRE_TYPES.read_text(encoding="utf-8")).get("types")
    except (OSError, ValueError, AttributeError):
        return {}
    return data if isinstance(data, dict) else {}


def _typologie(service: Any, extra: dict, today: dt.date) -> list[FactGroup]:
    typologie = (_str(extra.get("typologie")) or "").upper()
    caveat = "d'après le type de la structure, à confirmer auprès d'elle"
    if typologie in MESURES:
        return [FactGroup("iae", "Insertion par l'activité économique",
                          (Fact(f"{MESURES[typologie]} ({typologie}) — {caveat}"),))]
    if typologie == "CHU":
        return [FactGroup("hebergement", "Hébergement", (Fact(EMERGENCY_115),),
                          note=f"Centre d'hébergement d'urgence ({caveat}).")]
    return []


def _typologie_words(service: Any, extra: dict) -> list[str]:
    typologie = (_str(extra.get("typologie")) or "").upper()
    if typologie in MESURES:
        return [MESURES[typologie], typologie, "insertion par l'activité économique"]
    if typologie == "CHU":
        return ["hébergement d'urgence", "115"]
    return []


# -- métiers -----------------------------------------------------------------------------------------
def _rome_pairs(rome: Any, codes: Any) -> list[tuple[str, str]]:
    """(label, code) of the ROME codes of a service: labels given by the connector (``rome``) or the
    referential; codes without a label are left out."""
    given = {}
    for item in _list(rome):
        if isinstance(item, dict) and _rome_code(item.get("code")):
            given[_rome_code(item.get("code"))] = _str(item.get("libelle"))
    out = []
    for code in _unique([*given, *(_rome_code(c) for c in _list(codes))]):
        label = _rome_label(code) or given.get(code)
        if label:
            out.append((label, code))
    return out


def _rome_jobs(rome: Any, codes: Any) -> list[str]:
    return [f"{label} ({code})" for label, code in _rome_pairs(rome, codes)]


def _rome_code(value: Any) -> str | None:
    text = re.sub(r"[\s.\-]", "", _str(value) or "").upper()
    return text if re.fullmatch(r"[A-N](?:\d{2}(?:\d{2})?)?", text) else None


def _rome_label(code: str | None) -> str | None:
    if not code:
        return None
    try:
        from app.core.metiers import referentiel

        metier = referentiel().get(code)
    except (OSError, ValueError):
        return None
    return metier.libelle if metier else None


def _joined(items: list[str]) -> str:
    shown = items[:MAX_JOBS]
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" et {more} autre{'s' if more > 1 else ''}" if more else "")


# -- geography ---------------------------------------------------------------------------------------
def _commune(code_insee: str | None):
    if not code_insee or not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", code_insee):
        return None
    try:
        from app.core.geo import geography

        return geography().commune(code_insee)
    except (OSError, ValueError, KeyError):
        return None


def _departement_words(value: Any) -> str | None:
    code = (_str(value) or "").upper()
    if not code:
        return None
    try:
        from app.core.geo import geography

        dep = geography().departements.get(code)
    except (OSError, ValueError):
        dep = None
    return f"{dep.nom} ({code})" if dep is not None else f"département {code}"


# -- small readers (never raise) ---------------------------------------------------------------------
def date_fr(value: dt.date) -> str:
    return f"{value.day}{'er' if value.day == 1 else ''} {MONTHS[value.month - 1]} {value.year}"


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _str(value)
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ].*)?", text)
    if not m:
        return None
    try:
        found = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return found if 1950 <= found.year <= 2100 else None  # LHEO's 0000/9999 placeholders: unknown


def _str(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return _format_number(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = re.sub(r"\s+", " ", value).strip()
        return text or None
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _format_number(value: float) -> str:
    """1000 -> "1 000" (narrow no-break space), 12.5 -> "12,5"."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:,.2f}".rstrip("0").rstrip(".").replace(",", "\u202f").replace(".", ",")


def _url(value: Any) -> str | None:
    text = _str(value)
    if not text or not re.match(r"https?://[^\s/]", text, re.I) or re.search(r"[\s\"'<>\\]", text):
        return None
    return text


def _fold(text: str) -> str:
    from app.core.text import fold

    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


def _list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def _unique(values) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
