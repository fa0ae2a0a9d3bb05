"""Soliguide places (« lieux ») — the solidarity guide's data model, JSON export of its ``lieux`` collection.

**The bundled file is Soliguide's TEST database** (``data/soliguide_db_test.gzip`` of
solinumasso/soliguide): its place names are test labels (``LIEU_BROUILLON``, ``LIEU_EN_LIGNE``,
``Place n°1``…) on real-looking addresses; it is shipped to exercise the format, not as offer data.

Mapping (one lieu → one structure, each ``services_all`` item → one service):

* only places whose ``status`` is in :attr:`SoliguideConnector.statuses` (``ONLINE`` by default —
  what Soliguide publishes) are kept; drafts, offline and permanently closed places are skipped;
* ``position`` → address, postal code, commune, point (GeoJSON ``[lon, lat]``); a mobile route
  (``PARCOURS_MOBILE``) without a position takes its first stop;
* ``category`` → v1 ``type`` and ``thematiques`` through ``data/vocabularies/soliguide-categories.json``;
  a category missing from that file skips the service (said in the structure's ``extra``);
* ``publics`` (``accueil`` 0 = unconditional → ``tous-publics``; 1 preferential / 2 exclusive →
  the targeted groups, only for the dimensions actually restricted) → v1 ``publics`` + precisions;
* ``modalities`` → ``frais`` (``price``), ``conditions_acces``, ``modes_mobilisation``,
  ``mobilisable_par`` (``orientation``, or a place of ``visibility`` PRO = professionals only);
* ``newhours`` (or the service's own hours, or active temporary hours) → OSM ``opening_hours``
  via :func:`soliguide_hours_to_osm`, each result checked by the ``opening-hours-py`` parser;
* personal data: a person's mobile number is not kept — ``entity.phones`` entries that are
  French mobile numbers (06/07) are dropped — and e-mails go through the run's public-address
  filter; the place's ``users``/``createdBy`` are never read.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from indexer.connectors._text import join_paragraphs, plain_text
from indexer.connectors.base import Connector
from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, StructureRecord, UnreadableInput

CATEGORIES_FILE = Path(__file__).resolve().parents[2] / "data" / "vocabularies" / "soliguide-categories.json"

DAYS = (("monday", "Mo"), ("tuesday", "Tu"), ("wednesday", "We"), ("thursday", "Th"), ("friday", "Fr"),
        ("saturday", "Sa"), ("sunday", "Su"))

GENDER_ALL = {"men", "women"}
ADMIN_ALL = {"regular", "asylum", "refugee", "undocumented"}
FAMILY_ALL = {"isolated", "family", "couple", "pregnant"}
OTHER_PUBLICS = {"handicap": "personnes-en-situation-de-handicap", "prison": "personnes-en-situation-juridique-specifique",
                 "student": "etudiants", "violence": "personnes-en-situation-durgence", "ukraine": "personnes-exilees"}
PUBLIC_LABELS = {
    "men": "hommes", "women": "femmes", "regular": "en situation régulière", "asylum": "demandeurs et demandeuses d'asile",
    "refugee": "réfugiés et réfugiées", "undocumented": "sans-papiers", "isolated": "personnes isolées",
    "family": "familles", "couple": "couples", "pregnant": "femmes enceintes", "violence": "victimes de violence",
    "addiction": "personnes en situation d'addiction", "handicap": "personnes en situation de handicap",
    "lgbt": "LGBT+", "hiv": "personnes porteuses du VIH", "prostitution": "personnes en situation de prostitution",
    "prison": "sortants et sortantes de prison", "student": "étudiants et étudiantes",
    "mentalHealth": "personnes avec des problèmes de santé mentale", "ukraine": "déplacés d'Ukraine",
}
EMERGENCY_CATEGORIES = {"emergency_accommodation", "overnight_stop", "citizen_housing", "day_hosting", "rest_area"}


@lru_cache(maxsize=1)
def categories() -> dict[str, dict]:
    return json.loads(CATEGORIES_FILE.read_text(encoding="utf-8"))["categories"]


# -- opening hours -----------------------------------------------------------------------------
def _hhmm(value) -> str | None:
    """Soliguide time (930, "0930", "09:30") → "09:30"; 2359 → "24:00"."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if m:
        hours, minutes = int(m.group(1)), int(m.group(2))
    elif text.isdigit() and len(text) <= 4:
        number = int(text)
        hours, minutes = divmod(number, 100)
    else:
        return None
    if hours == 23 and minutes == 59:
        hours, minutes = 24, 0
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        return None
    return f"{hours:02d}:{minutes:02d}"


def soliguide_hours_to_osm(hours: dict | None) -> str | None:
    """OSM ``opening_hours`` of a Soliguide hours object (``newhours``, a service's ``hours``…).

    Days with the same slots are grouped (``Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00``), a
    place open every day around the clock is ``24/7``, closed public holidays add ``PH off``.
    None when the object holds no open slot; the result is validated by :func:`valid_osm`.
    """
    if not isinstance(hours, dict):
        return None
    if hours.get("h24") is True:
        return "24/7"
    per_day: list[str | None] = []
    for key, _abbr in DAYS:
        day = hours.get(key)
        if not isinstance(day, dict) or not day.get("open"):
            per_day.append(None)
            continue
        slots = []
        for slot in day.get("timeslot") or []:
            if not isinstance(slot, dict):
                continue
            start, end = _hhmm(slot.get("start")), _hhmm(slot.get("end"))
            if start and end and start != end:
                slots.append(f"{start}-{end}")
        per_day.append(",".join(sorted(dict.fromkeys(slots))) or None)
    if not any(per_day):
        return None
    if all(s == "00:00-24:00" for s in per_day):
        rule = "24/7"
    else:
        rules, i = [], 0
        while i < 7:
            if per_day[i] is None:
                i += 1
                continue
            j = i
            while j + 1 < 7 and per_day[j + 1] == per_day[i]:
                j += 1
            days = DAYS[i][1] if i == j else (f"{DAYS[i][1]},{DAYS[j][1]}" if j == i + 1 else f"{DAYS[i][1]}-{DAYS[j][1]}")
            rules.append(f"{days} {per_day[i]}")
            i = j + 1
        rule = "; ".join(rules)
    if str(hours.get("closedHolidays") or "").upper() == "CLOSED":
        rule += "; PH off"
    return rule if valid_osm(rule) else None


def valid_osm(value: str) -> bool:
    """True if the OSM opening_hours parser (PyPI ``opening-hours-py``) accepts the value."""
    try:
        from opening_hours import OpeningHours
    except ImportError:  # pragma: no cover - strict fallback when the package is absent
        slot = r"\d\d:\d\d-\d\d:\d\d"
        day = r"(Mo|Tu|We|Th|Fr|Sa|Su)"
        rule = rf"{day}([-,]{day})? {slot}(,{slot})*"
        return bool(re.fullmatch(rf"(24/7|{rule}(; {rule})*)(; PH off)?|off \"[^\"]*\"", value))
    try:
        OpeningHours(value)
    except Exception:  # the package raises its own ParserError  # noqa: BLE001
        return False
    return True


def _date(value) -> dt.date | None:
    if not value:
        return None
    text = str(value.get("$date") if isinstance(value, dict) else value)
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")[:26]).date()
    except ValueError:
        return None


def _checked(modalities: dict, key: str) -> bool:
    value = modalities.get(key)
    return bool(value.get("checked")) if isinstance(value, dict) else bool(value)


def _precision(modalities: dict, key: str) -> str | None:
    value = modalities.get(key)
    return plain_text(value.get("precisions")) if isinstance(value, dict) else None


class SoliguideConnector(Connector):
    name = "soliguide"
    label = "Soliguide — lieux (jeu de TEST du dépôt Soliguide, noms fictifs)"
    licence = "AGPL-3.0 (dépôt solinumasso/soliguide, base de test) ; données réelles Soliguide sous licence à part"
    format = "json (Soliguide lieux)"
    origin = "https://github.com/solinumasso/soliguide (data/soliguide_db_test.gzip, collection lieux)"
    leviers = ("hebergement", "sante", "acces-aux-droits", "numerique")
    default_files = ("soliguide/soliguide_db_test-lieux.json",)
    #: place statuses published (Soliguide's own site shows ONLINE places only)
    statuses: tuple[str, ...] = ("ONLINE",)

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        text = self.decode(raw)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UnreadableInput(f"JSON illisible : {exc.msg} (ligne {exc.lineno}, colonne {exc.colno})") from None
        if isinstance(data, dict):  # API answer: {"places": [...], "nbResults": …}
            data = data.get("places") if isinstance(data.get("places"), list) else None
        if not isinstance(data, list) or not data:
            raise UnreadableInput("un tableau JSON de lieux Soliguide est attendu")
        if not any(isinstance(x, dict) and "lieu_id" in x and ("services_all" in x or "position" in x) for x in data):
            raise UnreadableInput("ce n'est pas un export de lieux Soliguide (lieu_id, position, services_all)")
        return [RawRecord(i, item, json.dumps(item, ensure_ascii=False)[:20000]) for i, item in enumerate(data, start=1)]

    # ------------------------------------------------------------------------------------------
    def to_offer(self, record: RawRecord) -> Offer | None:
        lieu = record.data
        if not isinstance(lieu, dict):
            raise RecordError("lieu illisible : un objet JSON est attendu")
        lieu_id = lieu.get("lieu_id")
        if lieu_id in (None, ""):
            raise RecordError("lieu sans identifiant (lieu_id)")
        status = str(lieu.get("status") or "ONLINE").upper()
        if status not in self.statuses:
            return None
        nom = plain_text(lieu.get("name"))
        if not nom:
            raise RecordError(f"lieu {lieu_id} sans nom")
        position = lieu.get("position")
        if not isinstance(position, dict) or not position:
            stops = [p.get("position") for p in lieu.get("parcours") or [] if isinstance(p, dict)]
            position = next((p for p in stops if isinstance(p, dict) and p), None)
        if not isinstance(position, dict):
            raise RecordError(f"lieu {lieu_id} sans position (adresse et point)")
        place = self._place(position)
        if not (place["code_postal"] or place["commune"] or place["latitude"] is not None):
            raise RecordError(f"lieu {lieu_id} : position sans code postal, commune ni coordonnées")

        entity = lieu.get("entity") if isinstance(lieu.get("entity"), dict) else {}
        phones = [p.get("phoneNumber") for p in entity.get("phones") or [] if isinstance(p, dict) and p.get("phoneNumber")]
        landlines = [p for p in phones if not re.match(r"^(?:\+33|0033|0)\s*[67]", re.sub(r"[\s.]", "", p))]
        temp = lieu.get("tempInfos") if isinstance(lieu.get("tempInfos"), dict) else {}
        closure = temp.get("closure") if isinstance(temp.get("closure"), dict) else {}
        temp_hours = temp.get("hours") if isinstance(temp.get("hours"), dict) else {}
        message = temp.get("message") if isinstance(temp.get("message"), dict) else {}
        if closure.get("actif"):
            lieu_hours = 'off "fermeture temporaire"'
        elif temp_hours.get("actif"):
            lieu_hours = soliguide_hours_to_osm(temp_hours.get("hours"))
        else:
            lieu_hours = soliguide_hours_to_osm(lieu.get("newhours"))
        lieu_description = plain_text(lieu.get("description"))
        seo = lieu.get("seo_url")
        lien = f"https://soliguide.fr/fr/fiche/{seo}" if seo else None
        date_maj = _date(lieu.get("updatedByUserAt")) or _date(lieu.get("updatedAt"))
        notes = []
        if len(landlines) < len(phones):
            notes.append("numéro(s) de mobile non repris (données possiblement personnelles)")
        structure = StructureRecord(
            local_id=str(lieu_id), nom=nom, date_maj=date_maj, description=lieu_description,
            adresse=place["adresse"], complement_adresse=place["complement"], commune=place["commune"],
            code_postal=place["code_postal"], latitude=place["latitude"], longitude=place["longitude"],
            telephone=landlines[0] if landlines else None, courriel=entity.get("mail") or None,
            site_web=entity.get("website") or None, lien_source=lien, horaires_accueil=lieu_hours,
            extra={k: v for k, v in {
                "jeu_de_test": True, "statut_soliguide": status, "type_lieu": lieu.get("placeType"),
                "visibilite": lieu.get("visibility"), "langues": lieu.get("languages") or None,
                "notes": notes or None,
            }.items() if v not in (None, [], {})},
        )
        services = []
        ignored = []
        for index, item in enumerate(lieu.get("services_all") or [], start=1):
            if not isinstance(item, dict):
                continue
            service = self._service(lieu, item, index, place, lieu_hours, lieu_description, message, bool(landlines),
                                    bool(entity.get("mail")), lien, date_maj)
            if service is None:
                ignored.append(str(item.get("category") or item.get("categorie")))
            else:
                services.append(service)
        if ignored:
            structure.extra["categories_ignorees"] = ignored
        return Offer(structure=structure, services=services)

    @staticmethod
    def _place(position: dict) -> dict:
        address = position.get("address") or position.get("adresse") or ""
        cp = position.get("postalCode") or position.get("codePostal")
        city = position.get("city") or position.get("ville")
        street = address
        if cp and city:  # "201 Rue Saint-Martin, 75003 Paris" → "201 Rue Saint-Martin"
            street = re.sub(rf",?\s*{re.escape(str(cp))}\s+{re.escape(str(city))}\s*$", "", address, flags=re.I).strip(" ,")
        coords = (position.get("location") or {}).get("coordinates") if isinstance(position.get("location"), dict) else None
        lon = lat = None
        if isinstance(coords, list) and len(coords) == 2 and all(isinstance(v, (int, float)) for v in coords):
            lon, lat = float(coords[0]), float(coords[1])
        complement = position.get("additionalInformation") or position.get("complementAdresse") or None
        return {"adresse": street or None, "complement": complement, "code_postal": str(cp) if cp else None,
                "commune": city, "latitude": lat, "longitude": lon,
                "departement": position.get("departmentCode") or position.get("departementCode")}

    def _service(self, lieu: dict, item: dict, index: int, place: dict, lieu_hours: str | None,
                 lieu_description: str | None, message: dict, has_phone: bool, has_mail: bool,
                 lien: str | None, date_maj) -> ServiceRecord | None:
        category = item.get("category")
        ref = categories().get(category) if category else None
        if ref is None:
            return None
        label = ref["label"]
        name = plain_text(item.get("name"))
        nom = f"{label} : {name}" if name and name.lower() != label.lower() else label
        modalities = item.get("modalities") if item.get("differentModalities") and isinstance(item.get("modalities"), dict) \
            else (lieu.get("modalities") or {})
        publics_src = item.get("publics") if item.get("differentPublics") and isinstance(item.get("publics"), dict) \
            else (lieu.get("publics") or {})
        hours = soliguide_hours_to_osm(item.get("hours")) if item.get("differentHours") else lieu_hours
        close = item.get("close") if isinstance(item.get("close"), dict) else {}
        saturated = item.get("saturated") if isinstance(item.get("saturated"), dict) else {}
        notes = []
        if close.get("actif"):
            start, end = _date(close.get("dateDebut")), _date(close.get("dateFin"))
            notes.append(f"Ce service est fermé temporairement depuis le {start:%d/%m/%Y}." if start and not end else
                         f"Ce service est fermé temporairement du {start:%d/%m/%Y} au {end:%d/%m/%Y}." if start and end else
                         "Ce service est fermé temporairement.")
            hours = 'off "fermeture temporaire"'
        if str(saturated.get("status") or "").upper() == "HIGH":
            notes.append("Attention, la structure est très sollicitée pour ce service.")
        if message.get("actif") and plain_text(message.get("description")):
            notes.append(plain_text(message.get("description")))
        description = join_paragraphs(plain_text(item.get("description")), *notes, lieu_description)

        publics, publics_precisions = self._publics(publics_src)
        price = _checked(modalities, "price")
        conditions = []
        if modalities.get("inconditionnel"):
            conditions.append("Accueil inconditionnel.")
        if _checked(modalities, "appointment"):
            conditions.append("Sur rendez-vous." + (f" {_precision(modalities, 'appointment')}" if _precision(modalities, "appointment") else ""))
        if _checked(modalities, "inscription"):
            conditions.append("Sur inscription." + (f" {_precision(modalities, 'inscription')}" if _precision(modalities, "inscription") else ""))
        if _checked(modalities, "orientation"):
            conditions.append("Sur orientation par un ou une professionnelle." +
                              (f" {_precision(modalities, 'orientation')}" if _precision(modalities, "orientation") else ""))
        if modalities.get("docs"):
            conditions.append("Des justificatifs sont demandés.")
        if _checked(modalities, "animal"):
            conditions.append("Animaux acceptés.")
        if _checked(modalities, "pmr"):
            conditions.append("Accessible aux personnes à mobilité réduite.")
        other = plain_text(modalities.get("other"))
        if other:
            conditions.append(other)
        orientation = _checked(modalities, "orientation")
        pro_only = str(lieu.get("visibility") or "ALL").upper() == "PRO"
        if pro_only:
            conditions.append("Fiche réservée aux professionnels (visibilité PRO sur Soliguide).")
        modes = []
        if modalities.get("inconditionnel") and not orientation:
            modes.append("se-presenter")
        if has_phone:
            modes.append("telephoner")
        if has_mail:
            modes.append("envoyer-un-courriel")
        text = f"{item.get('description') or ''} {lieu.get('description') or ''}"
        places = re.search(r"(\d{1,4})\s+(?:places|lits)\b", plain_text(text) or "")
        specific = item.get("categorySpecificFields") if isinstance(item.get("categorySpecificFields"), dict) else None
        extra = {
            "categorie_soliguide": category,
            "categorie_libelle": label,
            "hebergement_urgence": True if category in EMERGENCY_CATEGORIES else None,
            "urgence_115": True if re.search(r"\b115\b", text) else None,
            "places_hebergement": int(places.group(1)) if places and category in EMERGENCY_CATEGORIES else None,
            "saturation": saturated.get("status") or None,
            "specifiques": specific,
            "jeu_de_test": True,
            "mots_cles": [label, *ref.get("mots_cles", []), *([name] if name else [])],
        }
        service_key = item.get("serviceObjectId") or str(index)
        return ServiceRecord(
            local_id=f"{lieu['lieu_id']}--{service_key}",
            nom=nom,
            description=description,
            date_maj=date_maj,
            type=ref.get("type"),
            thematiques=list(ref.get("thematiques") or []),
            frais="payant" if price else "gratuit",
            frais_precisions=_precision(modalities, "price"),
            publics=publics,
            publics_precisions=publics_precisions,
            conditions_acces=" ".join(conditions) or None,
            modes_accueil=["en-presentiel"],
            zone_eligibilite=[place["departement"]] if place["departement"] else None,
            lien_source=lien,
            modes_mobilisation=modes or None,
            mobilisable_par=["professionnels"] if orientation or pro_only else ["professionnels", "usagers"],
            mobilisation_precisions=join_paragraphs(_precision(modalities, "appointment"),
                                                    _precision(modalities, "inscription"),
                                                    _precision(modalities, "orientation")),
            horaires_accueil=hours,
            extra={k: v for k, v in extra.items() if v not in (None, [], {})},
        )

    @staticmethod
    def _publics(publics: dict) -> tuple[list[str], str | None]:
        accueil = publics.get("accueil", 0)
        age = publics.get("age") if isinstance(publics.get("age"), dict) else {}
        low, high = age.get("min"), age.get("max")
        parts = []
        if isinstance(low, int) and isinstance(high, int) and (low > 0 or high < 99):
            parts.append(f"De {low} à {high} ans.")
        description = plain_text(publics.get("description"))
        if accueil in (0, None, "0"):
            out = ["tous-publics"]
            if isinstance(high, int) and high <= 25:
                out = ["jeunes"]
            return out, join_paragraphs(*parts, description)
        gender = set(publics.get("gender") or [])
        admin = set(publics.get("administrative") or [])
        family = set(publics.get("familialle") or [])
        other = list(publics.get("other") or [])
        out: set[str] = set()
        targeted = []
        if gender and gender != GENDER_ALL:
            targeted += [PUBLIC_LABELS.get(g, g) for g in sorted(gender)]
            if gender == {"women"}:
                out.add("femmes")
        if admin and admin != ADMIN_ALL:
            targeted += [PUBLIC_LABELS.get(a, a) for a in sorted(admin)]
            if "regular" not in admin:
                out.add("personnes-exilees")
        if family and family != FAMILY_ALL:
            targeted += [PUBLIC_LABELS.get(f, f) for f in sorted(family)]
            if family <= {"family", "couple", "pregnant"}:
                out.add("familles")
            if family == {"pregnant"}:
                out.add("femmes")
        if other and len(other) < 9:
            targeted += [PUBLIC_LABELS.get(o, o) for o in other]
            out.update(OTHER_PUBLICS[o] for o in other if o in OTHER_PUBLICS)
        if isinstance(high, int) and high <= 25:
            out.add("jeunes")
        if isinstance(low, int) and low >= 60:
            out.add("seniors")
        head = "Accueil exclusif" if accueil in (2, "2") else "Accueil inconditionnel adapté aux publics suivants"
        if targeted:
            parts.insert(0, f"{head} : {', '.join(targeted)}.")
        return (sorted(out) or ["tous-publics"]), join_paragraphs(*parts, description)
