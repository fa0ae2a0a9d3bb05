"""Check a producer's spreadsheet before ingestion, row by row, in French — like data·inclusion's « valideur ».

``validate_file(path, mapping)`` reads a CSV or XLSX file through a YAML mapping (the same reading
and conversion as the ``csv`` connector, :mod:`indexer.connectors.csv_mapping`) and reports, for
every row, every problem: row (line number as shown by the spreadsheet, header = 1), column,
value and a French message (« code postal invalide », « thématique inconnue : … », « courriel
invalide », « nom trop court (3 caractères minimum) », « date de mise à jour dans le futur »,
« tous-publics ne peut pas être combiné avec d'autres publics »…). Errors make a row unusable or
wrong; warnings are kept values that will be dropped or corrected at ingestion.

Command line: ``reperes validate FILE --mapping M [--format text|json]`` (or
``python -m indexer.validate FILE --mapping M``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import re
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


from app.core import vocabularies as voc
from app.core.geo import geography
from indexer import normalise as norm
from indexer.connectors.csv_mapping import (
    FieldValue, Mapping, MappingError, Sheet, Table, TableSpec, cell_text, extract, key, read_tables, row_id,
    skipped,
)
from indexer.records import UnreadableInput

ERREUR = "erreur"
AVERTISSEMENT = "avertissement"

#: field -> (message for an unknown value, allowed values)
VOCABULARY_OF = {
    "thematiques": ("thématique inconnue", voc.THEMATIQUES), "publics": ("public inconnu", voc.PUBLICS),
    "modes_accueil": ("mode d'accueil inconnu", voc.MODES_ACCUEIL),
    "modes_mobilisation": ("mode de mobilisation inconnu", voc.MODES_MOBILISATION),
    "mobilisable_par": ("personne mobilisatrice inconnue", voc.PERSONNES_MOBILISATRICES),
    "reseaux_porteurs": ("réseau porteur inconnu", voc.RESEAUX_PORTEURS),
    "type": ("type de service inconnu", voc.TYPES), "frais": ("valeur de frais inconnue", voc.FRAIS),
}
URL_FIELDS = ("site_web", "lien_source", "lien_mobilisation", "accessibilite_lieu")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]{2,}$", re.I)
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


@dataclass
class Issue:
    ligne: int | None
    colonne: str | None
    champ: str | None
    valeur: Any
    message: str
    niveau: str = ERREUR
    feuille: str | None = None

    def as_dict(self) -> dict:
        out = asdict(self)
        out["valeur"] = cell_text(self.valeur) if not isinstance(self.valeur, (list, type(None))) else self.valeur
        return out


@dataclass
class Report:
    fichier: str
    source: str
    lignes: int = 0
    issues: list[Issue] = field(default_factory=list)
    #: rows that carry at least one error, per sheet
    _rows_in_error: set = field(default_factory=set)

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)
        if issue.niveau == ERREUR and issue.ligne is not None:
            self._rows_in_error.add((issue.feuille, issue.ligne))

    @property
    def erreurs(self) -> int:
        return sum(1 for i in self.issues if i.niveau == ERREUR)

    @property
    def avertissements(self) -> int:
        return sum(1 for i in self.issues if i.niveau == AVERTISSEMENT)

    @property
    def lignes_en_erreur(self) -> int:
        return len(self._rows_in_error)

    @property
    def lignes_valides(self) -> int:
        return self.lignes - self.lignes_en_erreur

    def for_row(self, ligne: int, feuille: str | None = None) -> list[Issue]:
        return [i for i in self.issues if i.ligne == ligne and (feuille is None or i.feuille == feuille)]

    def summary(self) -> dict:
        kinds = Counter(re.split(r" ?: ", i.message, maxsplit=1)[0] for i in self.issues)
        return {"fichier": self.fichier, "source": self.source, "lignes": self.lignes,
                "lignes_valides": self.lignes_valides, "lignes_en_erreur": self.lignes_en_erreur,
                "erreurs": self.erreurs, "avertissements": self.avertissements,
                "par_message": dict(kinds.most_common())}

    def to_dict(self) -> dict:
        return {"resume": self.summary(), "problemes": [i.as_dict() for i in self.issues]}

    def as_text(self) -> str:
        s = self.summary()
        lines = [f"{s['fichier']} (source {s['source']}) : {s['lignes']} ligne(s), {s['lignes_valides']} valide(s), "
                 f"{s['lignes_en_erreur']} en erreur — {s['erreurs']} erreur(s), {s['avertissements']} avertissement(s)"]
        for i in sorted(self.issues, key=lambda i: (i.feuille or "", i.ligne or 0)):
            where = (f"{i.feuille} " if i.feuille else "") + (f"ligne {i.ligne}" if i.ligne else "fichier")
            col = f", colonne « {i.colonne} »" if i.colonne else (f", champ {i.champ}" if i.champ else "")
            value = f" [{cell_text(i.valeur) if not isinstance(i.valeur, list) else ', '.join(map(str, i.valeur))}]" \
                if i.valeur not in (None, "", []) else ""
            lines.append(f"  {i.niveau.upper():<14} {where}{col}{value} : {i.message}")
        if s["par_message"]:
            lines.append("Résumé : " + "; ".join(f"{k} ×{v}" for k, v in s["par_message"].items()))
        return "\n".join(lines)


def validate_file(path: str | Path, mapping: str | Path | dict | Mapping, today: dt.date | None = None) -> Report:
    """Every problem of every row of ``path`` read through ``mapping``; never raises on bad data."""
    path = Path(path)
    try:
        m = Mapping.load(mapping)
    except MappingError as exc:
        report = Report(path.name, "?")
        report.add(Issue(None, None, None, None, f"correspondance invalide : {exc}"))
        return report
    report = Report(path.name, m.source)
    try:
        tables = read_tables(path.read_bytes(), m)
    except UnreadableInput as exc:
        report.add(Issue(None, None, None, None, f"fichier illisible : {exc}"))
        return report
    today = today or dt.date.today()
    if m.two_tables:
        st_table, sv_table = tables["structures"], tables["services"]
        _check_table(report, st_table, m.structure, sheet=m.structures_sheet)
        _check_table(report, sv_table, m.service, sheet=m.services_sheet, extra_columns=[m.services_sheet.structure_id])
        structure_ids = _check_rows(report, st_table, m.structures_sheet, m.structure, m, today)
        _check_rows(report, sv_table, m.services_sheet, m.service, m, today, structure_ids=structure_ids)
    else:
        table = tables["rows"]
        specs = [s for s in (m.structure, m.service) if s is not None]
        _check_table(report, table, *specs, sheet=m.rows)
        _check_rows(report, table, m.rows, m.structure, m, today, service=m.service)
    return report


# -- file level --------------------------------------------------------------------------------
def _check_table(report: Report, table: Table, *specs: TableSpec, sheet: Sheet | None = None,
                 extra_columns: list[str] | None = None) -> None:
    for position, header in table.bad_headers:
        shown = header.date().isoformat() if isinstance(header, dt.datetime) else header
        report.add(Issue(None, None, None, shown, "en-tête de colonne invalide : "
                         f"{'une date' if isinstance(header, (dt.date, dt.datetime)) else 'pas un texte'} "
                         f"au lieu d'un nom de colonne (colonne n°{position})", AVERTISSEMENT, table.name))
    for name in table.duplicates:
        report.add(Issue(None, name, None, None, f"colonne en double : {name} (seule la première est lue)",
                         AVERTISSEMENT, table.name))
    known = {key(c) for spec in specs for f in spec.columns for c in spec.candidates(f)}
    known |= {key(c) for c in extra_columns or []}
    if sheet is not None:
        known |= {key(c) for c in [sheet.id.get("column"), *sheet.skip_if] if c}
    templated = {key(c) for spec in specs for v in spec.columns.values() if isinstance(v, dict)
                 for c in re.findall(r"\{([^{}]+)\}", str(v.get("template", "")))}
    for column in table.columns:
        if key(column) not in known | templated and not column.startswith("__"):
            report.add(Issue(None, column, None, None, f"colonne non reconnue : {column} (ignorée)",
                             AVERTISSEMENT, table.name))
    for spec in specs:
        for field_name, candidates in ((f, spec.candidates(f)) for f in spec.columns):
            if candidates and table.column_for(candidates) is None and field_name not in spec.defaults:
                level = ERREUR if field_name == "nom" and spec.kind == "structure" else AVERTISSEMENT
                report.add(Issue(None, None, field_name, None,
                                 f"colonne absente : {field_name} (attendue : {' ou '.join(candidates)})",
                                 level, table.name))


# -- row level ---------------------------------------------------------------------------------
def _check_rows(report: Report, table: Table, sheet: Sheet, spec: TableSpec, m: Mapping, today: dt.date,
                service: TableSpec | None = None, structure_ids: set[str] | None = None) -> set[str]:
    seen: dict[str, int] = {}
    for line, values in table.rows:
        if skipped(sheet, table, values):
            continue
        report.lignes += 1
        add = lambda issue: report.add(issue)  # noqa: E731
        if "__extra_cells__" in values:
            add(Issue(line, None, None, values["__extra_cells__"], "ligne avec plus de cellules que l'en-tête",
                      ERREUR, table.name))
        fields = extract(spec, table, values, m.list_separator)
        ident = row_id(sheet, table, line, values, fields)
        if sheet.id.get("column"):
            if not ident:
                add(Issue(line, sheet.id["column"], "id", None, "identifiant manquant", ERREUR, table.name))
            elif ident in seen:
                add(Issue(line, sheet.id["column"], "id", ident, f"identifiant en double : {ident} "
                          f"(déjà ligne {seen[ident]})", ERREUR, table.name))
            else:
                seen[ident] = line
        if structure_ids is not None:
            link = table.column_for([m.services_sheet.structure_id])
            sid = cell_text(values.get(link)) if link else None
            if not sid:
                add(Issue(line, link, "structure_id", None, "structure de rattachement manquante", ERREUR, table.name))
            elif sid not in structure_ids:
                add(Issue(line, link, "structure_id", sid, f"structure inconnue : {sid}", ERREUR, table.name))
        for issue in check_fields(fields, spec.kind, today):
            issue.ligne, issue.feuille = line, table.name
            add(issue)
        if service is not None:
            for issue in check_fields(extract(service, table, values, m.list_separator), "service", today):
                issue.ligne, issue.feuille = line, table.name
                add(issue)
    return set(seen)


def check_fields(fields: dict[str, FieldValue], kind: str, today: dt.date) -> list[Issue]:
    """Problems of the converted fields of one record (structure or service)."""
    issues: list[Issue] = []
    geo = geography()

    def issue(fv: FieldValue, message: str, level: str = ERREUR, value=None) -> None:
        issues.append(Issue(None, fv.column, fv.field, fv.raw if value is None else value, message, level))

    nom = fields.get("nom")
    if kind == "structure" and (nom is None or not nom.value):
        issues.append(Issue(None, nom.column if nom else None, "nom", None, "nom de la structure manquant", ERREUR))
    if nom is not None and nom.value:
        text = str(nom.value).strip()
        if len(text) < 3:
            issue(nom, "nom trop court (3 caractères minimum)")
        elif len(text) > 150:
            issue(nom, "nom trop long (150 caractères maximum)")
        if text.endswith(".") and not text.endswith("..."):
            issue(nom, "le nom ne doit pas se terminer par un point")
    desc = fields.get("description")
    if desc is not None and desc.value and desc.column is not None:
        length = len(str(desc.value))
        if length < 50:
            issue(desc, f"description trop courte ({length} caractères, 50 minimum conseillés)", AVERTISSEMENT)
        elif length > 10000:
            issue(desc, "description trop longue (10 000 caractères maximum)", AVERTISSEMENT)

    cp = fields.get("code_postal")
    commune = fields.get("commune")
    insee = fields.get("code_insee")
    if cp is not None and cp.value:
        text = re.sub(r"\s", "", str(cp.value))
        if not re.fullmatch(r"\d{5}", text.zfill(5) if re.fullmatch(r"\d{4}", text) else text):
            issue(cp, "code postal invalide (5 chiffres attendus)")
        elif not geo.by_postcode(text.zfill(5)):
            issue(cp, "code postal inconnu (CEDEX ou erroné) : la commune sera cherchée par son nom", AVERTISSEMENT)
    if insee is not None and insee.value:
        text = str(insee.value).strip().upper()
        if not re.fullmatch(r"\d[\dAB]\d{3}", text.zfill(5)):
            issue(insee, "code commune (INSEE) invalide")
        elif geo.commune(text.zfill(5)) is None:
            issue(insee, f"code commune inconnu : {text}")
    if commune is not None and commune.value and not (insee and insee.value):
        found = norm.resolve_commune(geo, None, str(cp.value) if cp and cp.value else None, str(commune.value))
        if found is None:
            issue(commune, f"commune introuvable : {commune.value}", AVERTISSEMENT)

    siret = fields.get("siret")
    if siret is not None and siret.value:
        digits = re.sub(r"\D", "", str(siret.value))
        if len(digits) != 14:
            issue(siret, "SIRET invalide (14 chiffres attendus)")
        elif not _luhn(digits) and not digits.startswith("356000000"):  # La Poste's SIRETs escape Luhn
            issue(siret, "SIRET invalide (clé de contrôle)", AVERTISSEMENT)

    mail = fields.get("courriel")
    if mail is not None and mail.value:
        text = str(mail.value).strip()
        if not _EMAIL.match(text):
            issue(mail, "courriel invalide")
        elif norm.public_email(text) is None:
            issue(mail, "courriel nominatif (prénom.nom) : donnée personnelle, ne sera pas publié", AVERTISSEMENT)
    phone = fields.get("telephone")
    if phone is not None and phone.value and norm.phone_e164(str(phone.value)) is None:
        issue(phone, "numéro de téléphone invalide")
    for name in URL_FIELDS:
        fv = fields.get(name)
        if fv is not None and fv.value and not _URL.match(str(fv.value).strip()):
            fixed = norm.clean_url(fv.value)
            issue(fv, "URL invalide" + (f" (sera corrigée en {fixed})" if fixed else ""),
                  AVERTISSEMENT if fixed else ERREUR)
    for name in ("latitude", "longitude"):
        fv = fields.get(name)
        if fv is not None and fv.value is not None and not isinstance(fv.value, float):
            issue(fv, f"{name} invalide (nombre décimal attendu)")

    date = fields.get("date_maj")
    if date is not None and date.value is not None:
        if not isinstance(date.value, dt.date):
            issue(date, "date de mise à jour invalide (format AAAA-MM-JJ ou JJ/MM/AAAA attendu)")
        elif date.value > today:
            issue(date, "date de mise à jour dans le futur")

    for name, (label, allowed) in VOCABULARY_OF.items():
        fv = fields.get(name)
        if fv is None or fv.value in (None, "", []):
            continue
        values = fv.value if isinstance(fv.value, list) else [fv.value]
        for value in values:
            if str(value) not in allowed:
                hint = difflib.get_close_matches(str(value), sorted(allowed), n=1)
                issue(fv, f"{label} : {value}" + (f". Vouliez-vous dire « {hint[0]} » ?" if hint else ""),
                      value=value)
        if name == "publics" and voc.TOUS_PUBLICS in values and len(values) > 1:
            issue(fv, "tous-publics ne peut pas être combiné avec d'autres publics")

    zone = fields.get("zone_eligibilite")
    if zone is not None and zone.value:
        for code in zone.value:
            text = str(code).strip()
            if text == "france" or (text in geo.departements) or geo.commune(text) or text in geo.epci:
                continue
            issue(zone, f"code de zone d'éligibilité inconnu : {text} (commune, EPCI, département ou « france »)",
                  value=text)

    hours = fields.get("horaires_accueil")
    if hours is not None and hours.value:
        from indexer.connectors.soliguide import valid_osm
        if not valid_osm(str(hours.value)):
            issue(hours, "horaires au format OpenStreetMap invalides (ex. « Mo-Fr 09:00-12:00 »)", AVERTISSEMENT)
    volume = fields.get("volume_horaire_hebdomadaire")
    if volume is not None and volume.value is not None:
        if not isinstance(volume.value, float) or volume.value < 0:
            issue(volume, "volume horaire hebdomadaire invalide (nombre d'heures positif attendu)")
    weeks = fields.get("nombre_semaines")
    if weeks is not None and weeks.value is not None:
        if not isinstance(weeks.value, int) or weeks.value < 1:
            issue(weeks, "nombre de semaines invalide (entier supérieur ou égal à 1 attendu)")
    contact = fields.get("contact_nom_prenom")
    if contact is not None and contact.value:
        issue(contact, "nom d'une personne : donnée personnelle, ne sera pas publiée", AVERTISSEMENT)
    return issues


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer.validate", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--mapping", required=True, type=Path)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    report = validate_file(args.file, args.mapping)
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str) if args.format == "json"
          else report.as_text())
    return 1 if report.erreurs else 0


if __name__ == "__main__":
    sys.exit(main())
