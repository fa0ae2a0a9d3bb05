"""Normalisation shared by every connector: place, coordinates, contacts, eligibility zones.

Everything here works offline against the bundled geography. Each function either repairs a
value, drops it (and says so in the record's ``extra["corrections"]``), or raises
:class:`RecordError` when the record cannot be placed at all.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass

import phonenumbers

from app.core.geo import Commune, Geography, departement_of_postcode, geography, haversine_km, name_key

#: farther than this from its commune's centre, a point is wrong (the largest communes,
#: e.g. Arles or Maripasoula, reach ~40 km from centre to edge).
MAX_KM_FROM_COMMUNE = 45.0
#: a point this many degrees or less from the centre in latitude and in longitude is at most
#: √2 × 111.2 km × this away (a degree of longitude is never longer than one of latitude)
_NEAR_DEGREES = MAX_KM_FROM_COMMUNE / 111.2 / 1.5

_ZONE = re.compile(r"^(?:\w{5}|\w{2,3}|\d{9}|99[0-5]\d{2}|france)$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_GENERIC_LOCAL_PARTS = re.compile(
    r"(accueil|contact|info|secretariat|mairie|ccas|cias|direction|admin|service|agence|association|"
    r"asso|bureau|permanence|france|ml|mission|emploi|insertion|formation|social|rh|recrutement|"
    r"numerique|conseiller|aidant|public|pij|bij|cij|point|maison|centre|caf|fs|msap|epn|cyber|"
    r"communaute|commune|ville|agglo|departement|region|hello|bonjour|equipe|team|office|antenne|"
    r"mediatheque|bibliotheque|biblio|ludotheque|logement|habitat|chrs|mdph|udaf|cdad|savs|emmaus|mjc|"
    r"relais|espace|multimedia|siao|csc|msp|mds|mdr|mdd|mdf|psp|pimms|guichet|usagers|accompagnement|"
    r"animation|solidari|famille|jeunes)"
)
#: domains whose mailboxes are per site, never per person (``<commune>@france-services.gouv.fr``)
_SITE_MAIL_DOMAINS = frozenset({"france-services.gouv.fr"})


_TODAY: list = [0.0, None]  # [monotonic time of the last reading, date]


def today() -> dt.date:
    """``dt.date.today()``, read again at most once a second: each reading looks the local time
    zone up (about 12 µs), and records ask for it several times each (dates in the future, quality)."""
    now = time.monotonic()
    if now - _TODAY[0] > 1.0 or _TODAY[1] is None:
        _TODAY[:] = [now, dt.date.today()]
    return _TODAY[1]


@dataclass
class PlaceFix:
    code_insee: str | None
    latitude: float | None
    longitude: float | None
    precision: str  # source | repaired | commune | none
    note: str | None = None


def resolve_commune(geo: Geography, code_insee: str | None, code_postal: str | None,
                    commune: str | None) -> Commune | None:
    """The commune of a record: its code INSEE if valid, else postal code + name, else name."""
    if code_insee:
        found = geo.commune(code_insee.strip().zfill(5) if code_insee.strip().isdigit() else code_insee)
        if found:
            return found
    candidates = geo.by_postcode(code_postal) if code_postal else []
    if commune:
        named = geo.by_name(commune, code_postal)
        if candidates:
            same = [c for c in named if c in candidates]
            if same:
                return same[0]
        if named and (not code_postal or named[0].code_departement == departement_of_postcode(code_postal)):
            return named[0]
    if len(candidates) == 1:
        return candidates[0]
    return candidates[0] if candidates and not commune else None


def fix_point(commune: Commune | None, lat: float | None, lon: float | None) -> PlaceFix:
    """Check a point against its commune; repair a lost sign or swapped axes, else use the centre."""
    code = commune.code_insee if commune else None
    if lat is None or lon is None:
        if commune:
            return PlaceFix(code, commune.lat, commune.lon, "commune")
        return PlaceFix(code, None, None, "none")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) and commune is None:
        return PlaceFix(code, None, None, "none", "coordonnées hors du globe ignorées")
    if commune is None:
        return PlaceFix(code, lat, lon, "source")
    if abs(lat - commune.lat) <= _NEAR_DEGREES and abs(lon - commune.lon) <= _NEAR_DEGREES:
        return PlaceFix(code, lat, lon, "source")  # surely near enough: no distance to compute
    candidates = [(lat, lon, None), (-lat, lon, "signe de la latitude rétabli"),
                  (lat, -lon, "signe de la longitude rétabli"), (lon, lat, "latitude et longitude inversées"),
                  (-lat, -lon, "signes rétablis")]
    for clat, clon, note in candidates:
        if -90 <= clat <= 90 and -180 <= clon <= 180 and \
                haversine_km(clat, clon, commune.lat, commune.lon) <= MAX_KM_FROM_COMMUNE:
            return PlaceFix(code, clat, clon, "source" if note is None else "repaired", note)
    return PlaceFix(code, commune.lat, commune.lon, "commune",
                    f"point ({lat}, {lon}) loin de {commune.nom} : centre de la commune utilisé")


def parse_decimal(value) -> float | None:
    """'43,3512' or ' 2.57 ' or 43.3 -> float; empty or junk -> None."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


#: national prefixes of overseas départements -> country calling code (faster than a full parse)
_OVERSEAS = {"0262": "262", "0263": "262", "0269": "262", "0692": "262", "0693": "262", "0639": "262",
             "0590": "590", "0690": "590", "0691": "590", "0594": "594", "0694": "594",
             "0596": "596", "0696": "596", "0697": "596"}
_PLAIN_FR = re.compile(r"^0[1-9]\d{8}$")


def phone_e164(value: str | None) -> str | None:
    """A French phone number in E.164 (+33…, +262… for La Réunion); None if not a number."""
    if not value:
        return None
    text = re.split(r"[/;]| ou ", str(value))[0]
    digits = re.sub(r"[\s.\-()]", "", text)
    if _PLAIN_FR.match(digits) and not digits.startswith(("08", "09")):
        code = _OVERSEAS.get(digits[:4])
        return f"+{code}{digits[1:]}" if code else f"+33{digits[1:]}"
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        # Overseas numbers written nationally (0262…) parse under their own region.
        for region in ("RE", "GP", "MQ", "GF", "YT"):
            try:
                alt = phonenumbers.parse(text, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(alt):
                number = alt
                break
        else:
            return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def public_email(value: str | None) -> str | None:
    """The e-mail if it is a valid, generic address of the structure; None if personal or invalid.

    Staff addresses (firstname.lastname@…, f.lastname@…) are personal data: the directory only
    keeps the structure's shared contact.
    """
    if not value:
        return None
    email = str(value).strip().strip("<>").lower()
    if not _EMAIL.match(email):
        return None
    local, domain = email.split("@", 1)
    if domain in _SITE_MAIL_DOMAINS or _GENERIC_LOCAL_PARTS.search(local):
        return email
    if re.fullmatch(r"[a-z]+[._-][a-z]+(?:[._-][a-z]+)?\d*", local) or re.fullmatch(r"[a-z][._][a-z]{2,}\d*", local):
        # "saint-agreve@…", "le.mene@…": a commune's name is the site's mailbox, not a person's.
        return email if _is_commune_name(local) else None
    return email


def _is_commune_name(local_part: str) -> bool:
    return name_key(local_part) in geography()._by_name


def clean_zone(codes: list[str] | None) -> list[str] | None:
    """Keep the valid COG codes of a ``zone_eligibilite`` (invalid ones are dropped, as upstream)."""
    if not codes:
        return None
    kept = [c.strip() for c in codes if c and _ZONE.match(c.strip())]
    return list(dict.fromkeys(kept)) or None


_BLANKS = re.compile(r"[ \t]+")


def clean_text(value, max_len: int | None = None) -> str | None:
    if value is None:
        return None
    value = str(value).replace("\x00", "")  # PostgreSQL refuses NUL in text
    text = (_BLANKS.sub(" ", value) if ("  " in value or "\t" in value) else value).strip()
    if not text or text.lower() in {"null", "none", "nan", "\\n", "-"}:
        return None
    if max_len and len(text) > max_len:
        text = text[: max_len - 1].rstrip() + "…"
    return text


def clean_url(value) -> str | None:
    text = clean_text(value)
    if not text:
        return None
    if not re.match(r"^https?://", text, re.I):
        if re.match(r"^www\.|^[a-z0-9-]+\.[a-z]{2,}(/|$)", text, re.I):
            text = "https://" + text
        else:
            return None
    return text if len(text) <= 2083 and " " not in text else None
