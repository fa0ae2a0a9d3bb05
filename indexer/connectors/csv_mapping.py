"""A generic spreadsheet connector: a CSV or XLSX file read through a YAML mapping.

For the spreadsheets départements, missions locales or CCAS keep of their local offer: the
mapping file says which of *their* columns holds each schema v1 field, how their labels
translate into v1 values (their « Thème » → v1 sub-themes), what to assume when a cell is
empty, and how rows are identified. The format of the mapping is documented at the top of
``data/mappings/exemple-departement.yaml``; in short::

    source: cd12                     # prefix of the ids
    id: {column: Identifiant}        # or {policy: row} / {policy: hash}
    structure: {columns: {nom: "Nom de la structure", code_postal: [CP, "Code postal"]}}
    service:
      columns: {thematiques: Thème}
      values: {thematiques: {"Emploi": [trouver-un-emploi--repondre-a-des-offres-demploi]}}
      defaults: {frais: gratuit}

One row is one structure with one service (flat mode), or — with ``structures:`` and
``services:`` sections — two sheets linked by ``structure_id`` (the data·inclusion producer
template). The same reading and field conversion serve :mod:`indexer.validate`, which reports
every problem of every row instead of quarantining.

The bundled default (``reperes ingest csv``) is the Aveyron example: ``csv/exemple-aveyron.csv``
with ``data/mappings/exemple-departement.yaml``. Another spreadsheet is ingested with
``CsvMappingConnector(mapping=path)``, whose source name is the mapping's ``source``.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from indexer.connectors.base import Connector
from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, StructureRecord, UnreadableInput

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "data" / "mappings"
DEFAULT_MAPPING = MAPPINGS_DIR / "exemple-departement.yaml"

STRUCTURE_FIELDS = ("nom", "date_maj", "siret", "description", "adresse", "complement_adresse", "commune",
                    "code_postal", "code_insee", "latitude", "longitude", "telephone", "courriel", "site_web",
                    "lien_source", "horaires_accueil", "accessibilite_lieu", "reseaux_porteurs")
SERVICE_FIELDS = ("nom", "description", "date_maj", "type", "thematiques", "frais", "frais_precisions", "publics",
                  "publics_precisions", "conditions_acces", "adresse", "complement_adresse", "commune", "code_postal",
                  "code_insee", "latitude", "longitude", "telephone", "courriel", "contact_nom_prenom",
                  "modes_accueil", "zone_eligibilite", "lien_source", "lien_mobilisation", "modes_mobilisation",
                  "mobilisable_par", "mobilisation_precisions", "horaires_accueil", "volume_horaire_hebdomadaire",
                  "nombre_semaines")
LIST_FIELDS = {"thematiques", "publics", "modes_accueil", "zone_eligibilite", "modes_mobilisation",
               "mobilisable_par", "reseaux_porteurs"}
FLOAT_FIELDS = {"latitude", "longitude", "volume_horaire_hebdomadaire"}
INT_FIELDS = {"nombre_semaines"}
DATE_FIELDS = {"date_maj"}
CODE_FIELDS = {"code_postal", "code_insee", "siret", "telephone"}


class MappingError(ValueError):
    """The YAML mapping itself is wrong (message in French)."""


def key(text) -> str:
    """Comparison key of a label or header: accents, case, spaces and punctuation folded."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text.replace("’", "'")).strip()


# -- mapping -----------------------------------------------------------------------------------
@dataclass
class TableSpec:
    """How one kind of record (structure or service) is read from the rows of one sheet."""

    kind: str  # "structure" | "service"
    columns: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        allowed = STRUCTURE_FIELDS if self.kind == "structure" else SERVICE_FIELDS
        unknown = [f for f in (*self.columns, *self.defaults, *self.values) if f not in allowed]
        if unknown:
            raise MappingError(f"champs inconnus du schéma v1 pour {self.kind} : {', '.join(sorted(set(unknown)))}")
        self.values = {f: {key(k): v for k, v in (m or {}).items()} for f, m in self.values.items()}

    def candidates(self, field_name: str) -> list[str]:
        spec = self.columns.get(field_name)
        if spec is None or isinstance(spec, dict):
            return []
        return [spec] if isinstance(spec, str) else [str(s) for s in spec]


@dataclass
class Sheet:
    """Where a table lives and how its rows are identified."""

    sheet: str | None = None
    header_row: int = 1
    id: dict = field(default_factory=lambda: {"policy": "row"})
    skip_if: dict[str, list] = field(default_factory=dict)
    structure_id: str | None = None


@dataclass
class Mapping:
    source: str = "csv"
    label: str | None = None
    licence: str | None = None
    origin: str | None = None
    files: list[str] = field(default_factory=list)
    delimiter: str = "auto"
    list_separator: str = ","
    #: flat mode: one sheet, one structure + one service per row
    rows: Sheet | None = None
    structure: TableSpec | None = None
    service: TableSpec | None = None
    #: two-table mode: structures and services sheets
    structures_sheet: Sheet | None = None
    services_sheet: Sheet | None = None
    path: Path | None = None

    @property
    def two_tables(self) -> bool:
        return self.structures_sheet is not None

    @classmethod
    def load(cls, source: str | Path | dict | "Mapping") -> "Mapping":
        if isinstance(source, Mapping):
            return source
        path = None
        if isinstance(source, dict):
            raw = source
        else:
            path = Path(source)
            try:
                raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                raise MappingError(f"correspondance YAML illisible ({path.name}) : {exc}") from None
        if not isinstance(raw, dict):
            raise MappingError("la correspondance doit être un dictionnaire YAML")
        name = str(raw.get("source") or "csv")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,60}", name):
            raise MappingError(f"nom de source invalide : {name!r} (minuscules, chiffres et tirets)")
        common = {"source": name, "label": raw.get("label"), "licence": raw.get("licence"),
                  "origin": raw.get("origin"), "files": list(raw.get("files") or []),
                  "delimiter": str(raw.get("delimiter") or "auto"),
                  "list_separator": str(raw.get("list_separator") or ","), "path": path}
        if "structures" in raw or "services" in raw:
            st, sv = raw.get("structures") or {}, raw.get("services") or {}
            if not st or not sv:
                raise MappingError("le mode deux feuilles demande les sections structures: et services:")
            if not sv.get("structure_id"):
                raise MappingError("services: structure_id (colonne qui relie un service à sa structure) manque")
            return cls(**common,
                       structure=TableSpec("structure", st.get("columns") or {}, st.get("values") or {},
                                           st.get("defaults") or {}),
                       service=TableSpec("service", sv.get("columns") or {}, sv.get("values") or {},
                                         sv.get("defaults") or {}),
                       structures_sheet=_sheet(st), services_sheet=_sheet(sv))
        if "structure" not in raw:
            raise MappingError("section structure: manquante (colonnes de la structure)")
        st, sv = raw.get("structure") or {}, raw.get("service") or {}
        return cls(**common, rows=_sheet(raw),
                   structure=TableSpec("structure", st.get("columns") or {}, st.get("values") or {},
                                       st.get("defaults") or {}),
                   service=TableSpec("service", sv.get("columns") or {}, sv.get("values") or {},
                                     sv.get("defaults") or {}) if sv else None)


def _sheet(raw: dict) -> Sheet:
    ident = raw.get("id") or {"policy": "row"}
    if isinstance(ident, str):
        ident = {"column": ident}
    if not (ident.get("column") or ident.get("policy") in {"row", "hash"}):
        raise MappingError("id: donner column: <colonne> ou policy: row | hash")
    skip = {str(k): [key(v) for v in (vals if isinstance(vals, list) else [vals])]
            for k, vals in (raw.get("skip_if") or {}).items()}
    return Sheet(sheet=raw.get("sheet"), header_row=int(raw.get("header_row") or 1), id=ident, skip_if=skip,
                 structure_id=raw.get("structure_id"))


# -- reading -----------------------------------------------------------------------------------
@dataclass
class Table:
    """A sheet as read: header (as found) and rows as (line number, {header: value})."""

    name: str | None
    header: list[Any]
    rows: list[tuple[int, dict[str, Any]]]
    #: header cells that are not usable column names (dates, numbers, empty with data below)
    bad_headers: list[tuple[int, Any]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [h for h in self.header if isinstance(h, str) and h.strip()]

    def column_for(self, candidates: list[str]) -> str | None:
        index = {key(c): c for c in self.columns}
        for cand in candidates:
            if key(cand) in index:
                return index[key(cand)]
        return None


def is_xlsx(raw: bytes) -> bool:
    return raw[:4] == b"PK\x03\x04"


def read_tables(raw: bytes, mapping: Mapping) -> dict[str, Table]:
    """The sheets the mapping needs ('rows', or 'structures' and 'services'), read from CSV or XLSX bytes."""
    if not raw or not raw.strip():
        raise UnreadableInput("fichier vide")
    wanted = {"structures": mapping.structures_sheet, "services": mapping.services_sheet} if mapping.two_tables \
        else {"rows": mapping.rows}
    if is_xlsx(raw):
        return _read_xlsx(raw, wanted)
    if mapping.two_tables:
        raise UnreadableInput("la correspondance attend un classeur XLSX à deux feuilles (structures et services)")
    text = Connector.decode(raw)
    delimiter = mapping.delimiter if mapping.delimiter not in ("auto", "") else Connector.sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    spec = wanted["rows"]
    lines = []
    for row in reader:
        lines.append((reader.line_num, row))
    if len(lines) < spec.header_row:
        raise UnreadableInput("fichier CSV sans ligne d'en-tête")
    header_line, header = lines[spec.header_row - 1]
    header = [h.strip().lstrip("\ufeff") for h in header]
    if sum(1 for h in header if h) < 2:
        raise UnreadableInput("en-tête CSV d'une seule colonne : ce n'est pas le tableur attendu")
    table = Table(None, header, [])
    _check_header(table)
    for line_num, row in lines[spec.header_row:]:
        if not any(cell.strip() for cell in row):
            continue
        values = {h: (row[i] if i < len(row) else None) for i, h in enumerate(header) if h}
        if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
            values["__extra_cells__"] = row[len(header):]
        table.rows.append((line_num, values))
    return {"rows": table}


def _read_xlsx(raw: bytes, wanted: dict[str, Sheet]) -> dict[str, Table]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableInput(f"classeur XLSX illisible : {exc}") from None
    out = {}
    try:
        for name, spec in wanted.items():
            if spec.sheet:
                match = next((s for s in book.sheetnames if key(s) == key(spec.sheet)), None)
                if match is None:
                    raise UnreadableInput(f"feuille « {spec.sheet} » absente du classeur "
                                          f"(feuilles : {', '.join(book.sheetnames)})")
                ws = book[match]
            else:
                ws = book.worksheets[0]
            rows = list(ws.iter_rows(values_only=True))
            if len(rows) < spec.header_row:
                raise UnreadableInput(f"feuille « {ws.title} » sans ligne d'en-tête")
            header = [h.strip() if isinstance(h, str) else h for h in rows[spec.header_row - 1]]
            table = Table(ws.title, header, [])
            _check_header(table)
            for offset, row in enumerate(rows[spec.header_row:], start=spec.header_row + 1):
                if not any(c is not None and str(c).strip() for c in row):
                    continue
                values = {h: row[i] if i < len(row) else None for i, h in enumerate(header) if isinstance(h, str) and h}
                table.rows.append((offset, values))
            out[name] = table
    finally:
        book.close()
    return out


def _check_header(table: Table) -> None:
    seen: dict[str, int] = {}
    for i, h in enumerate(table.header, start=1):
        if h is None or (isinstance(h, str) and not h.strip()):
            continue
        if not isinstance(h, str):
            table.bad_headers.append((i, h))
            continue
        k = key(h)
        seen[k] = seen.get(k, 0) + 1
        if seen[k] == 2:
            table.duplicates.append(h)


# -- cell conversion ---------------------------------------------------------------------------
def cell_text(value) -> str | None:
    """A cell as text: Excel numbers without their '.0', dates ISO, blanks → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    text = str(value).strip()
    return text or None


def parse_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
    raise ValueError(f"date illisible : {text}")


def split_list(text: str, separator: str) -> list[str]:
    parts = re.split("|".join(re.escape(s) for s in {separator, ";", "\n", "|"}), text)
    return [p.strip() for p in parts if p and p.strip()]


@dataclass
class FieldValue:
    field: str
    column: str | None
    raw: Any
    value: Any


def extract(spec: TableSpec, table: Table, values: dict[str, Any], separator: str) -> dict[str, FieldValue]:
    """Every mapped field of one row: the column it came from, the raw cell, the converted value.

    Conversion never raises: a value that cannot be converted is kept raw in ``value`` for the
    validator to report (the connector checks what it needs).
    """
    out: dict[str, FieldValue] = {}
    for field_name, spec_value in spec.columns.items():
        if isinstance(spec_value, dict) and "template" in spec_value:
            template = str(spec_value["template"])
            missing = False

            def fill(m):
                nonlocal missing
                col = table.column_for([m.group(1)])
                text = cell_text(values.get(col)) if col else None
                missing = missing or not text
                return text or ""
            rendered = re.sub(r"\{([^{}]+)\}", fill, template).strip()
            out[field_name] = FieldValue(field_name, None, rendered, None if missing and not rendered else rendered)
            continue
        column = table.column_for(spec.candidates(field_name))
        raw = values.get(column) if column else None
        out[field_name] = FieldValue(field_name, column, raw, convert(spec, field_name, raw, separator))
    for field_name, default in spec.defaults.items():
        current = out.get(field_name)
        if current is None or current.value in (None, [], ""):
            out[field_name] = FieldValue(field_name, current.column if current else None, None,
                                         convert(spec, field_name, default, separator))
    return out


def convert(spec: TableSpec, field_name: str, raw, separator: str):
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        return [] if field_name in LIST_FIELDS else None
    mapping = spec.values.get(field_name) or {}
    if field_name in LIST_FIELDS:
        items = raw if isinstance(raw, list) else split_list(cell_text(raw) or "", separator)
        out: list[str] = []
        for item in items:
            text = cell_text(item) or ""
            mapped = mapping.get(key(text), text)
            out += [str(m) for m in (mapped if isinstance(mapped, list) else [mapped])]
        return list(dict.fromkeys(out))
    if field_name in DATE_FIELDS:
        try:
            return parse_date(raw)
        except ValueError:
            return raw
    if field_name in FLOAT_FIELDS:
        text = (cell_text(raw) or "").replace(",", ".").replace(" ", "")
        try:
            return float(text)
        except ValueError:
            return raw
    if field_name in INT_FIELDS:
        text = cell_text(raw) or ""
        return int(text) if re.fullmatch(r"-?\d+", text) else raw
    text = cell_text(raw)
    if mapping and text is not None:
        mapped = mapping.get(key(text), text)
        return mapped[0] if isinstance(mapped, list) and mapped else mapped
    return text


def row_id(sheet: Sheet, table: Table, line: int, values: dict, fields: dict[str, FieldValue]) -> str | None:
    if sheet.id.get("column"):
        column = table.column_for([sheet.id["column"]])
        return cell_text(values.get(column)) if column else None
    if sheet.id.get("policy") == "hash":
        parts = [str((fields.get(f).value if fields.get(f) else "") or "") for f in ("nom", "adresse", "code_postal")]
        return hashlib.sha1(key(" ".join(parts)).encode()).hexdigest()[:12]
    return f"ligne-{line}"


def skipped(sheet: Sheet, table: Table, values: dict) -> bool:
    for column, wanted in sheet.skip_if.items():
        col = table.column_for([column])
        if not col:
            continue
        raw = values.get(col)
        text = ("true" if raw else "false") if isinstance(raw, bool) else key(cell_text(raw))
        if text in wanted:
            return True
    return False


def _local_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.:-]+", "-", text).strip("-")[:200]


# -- connector ---------------------------------------------------------------------------------
class CsvMappingConnector(Connector):
    name = "csv"
    label = "Tableur local (CSV/XLSX) lu avec une correspondance YAML"
    licence = "selon le producteur du tableur (voir la correspondance)"
    format = "csv ou xlsx + correspondance YAML"
    origin = "data/mappings/"
    leviers = ()
    default_files = ("csv/exemple-aveyron.csv",)

    def __init__(self, mapping: str | Path | dict | Mapping | None = None) -> None:
        self.mapping = Mapping.load(mapping if mapping is not None else DEFAULT_MAPPING)
        self.name = self.mapping.source
        if self.mapping.label:
            self.label = self.mapping.label
        if self.mapping.licence:
            self.licence = self.mapping.licence
        if self.mapping.origin:
            self.origin = self.mapping.origin
        if self.mapping.files:
            self.default_files = tuple(self.mapping.files)

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        tables = read_tables(raw, self.mapping)
        m = self.mapping
        records: list[RawRecord] = []
        if not m.two_tables:
            table = tables["rows"]
            for line, values in table.rows:
                if skipped(m.rows, table, values):
                    continue
                records.append(RawRecord(line, ("row", table, values), _raw_line(values)))
            return records
        st_table, sv_table = tables["structures"], tables["services"]
        structures: dict[str, tuple[int, dict]] = {}
        for line, values in st_table.rows:
            if skipped(m.structures_sheet, st_table, values):
                continue
            fields = extract(m.structure, st_table, values, m.list_separator)
            sid = row_id(m.structures_sheet, st_table, line, values, fields)
            if sid:
                structures.setdefault(sid, (line, values))
        link_col = sv_table.column_for([m.services_sheet.structure_id])
        used: set[str] = set()
        for line, values in sv_table.rows:
            if skipped(m.services_sheet, sv_table, values):
                continue
            sid = cell_text(values.get(link_col)) if link_col else None
            if sid:
                used.add(sid)
            records.append(RawRecord(line, ("service", (st_table, structures.get(sid), sid), (sv_table, values)),
                                     _raw_line(values)))
        for sid, (line, values) in structures.items():
            if sid not in used:
                records.append(RawRecord(line, ("structure", st_table, values), _raw_line(values)))
        return records

    def to_offer(self, record: RawRecord) -> Offer:
        kind = record.data[0]
        m = self.mapping
        if kind == "row":
            _, table, values = record.data
            if "__extra_cells__" in values:
                raise RecordError(f"ligne de {len(values) - 1 + len(values['__extra_cells__'])} cellules, "
                                  f"plus que les colonnes de l'en-tête")
            s_fields = extract(m.structure, table, values, m.list_separator)
            local = row_id(m.rows, table, record.row_number, values, s_fields)
            if not local:
                raise RecordError(f"identifiant manquant (colonne « {m.rows.id.get('column')} »)")
            structure = _structure(_local_id(local), s_fields)
            services = []
            if m.service is not None:
                sv_fields = extract(m.service, table, values, m.list_separator)
                services.append(_service(_local_id(local), sv_fields, structure.nom))
            return Offer(structure=structure, services=services)
        if kind == "structure":
            _, table, values = record.data
            s_fields = extract(m.structure, table, values, m.list_separator)
            local = row_id(m.structures_sheet, table, record.row_number, values, s_fields)
            if not local:
                raise RecordError("identifiant de structure manquant")
            return Offer(structure=_structure(_local_id(local), s_fields), services=[])
        _, (st_table, st_row, sid), (sv_table, values) = record.data
        if not sid:
            raise RecordError(f"service sans structure (colonne « {m.services_sheet.structure_id} » vide)")
        if st_row is None:
            raise RecordError(f"structure inconnue : {sid}")
        st_line, st_values = st_row
        s_fields = extract(m.structure, st_table, st_values, m.list_separator)
        structure = _structure(_local_id(sid), s_fields)
        sv_fields = extract(m.service, sv_table, values, m.list_separator)
        local = row_id(m.services_sheet, sv_table, record.row_number, values, sv_fields)
        if not local:
            raise RecordError("identifiant de service manquant")
        return Offer(structure=structure, services=[_service(_local_id(local), sv_fields, structure.nom)])


def _typed(fields: dict[str, FieldValue], name: str, kind):
    fv = fields.get(name)
    if fv is None or fv.value in (None, "", []):
        return None
    if kind is list:
        return fv.value if isinstance(fv.value, list) else None
    if kind is float:
        return fv.value if isinstance(fv.value, float) else None
    if kind is int:
        return fv.value if isinstance(fv.value, int) and not isinstance(fv.value, bool) else None
    if kind is dt.date:
        return fv.value if isinstance(fv.value, dt.date) else None
    return str(fv.value)


def _structure(local: str, f: dict[str, FieldValue]) -> StructureRecord:
    nom = _typed(f, "nom", str)
    if not nom:
        raise RecordError("nom de la structure manquant")
    date_maj = _typed(f, "date_maj", dt.date)
    if date_maj and date_maj > dt.date.today():
        raise RecordError(f"date de mise à jour dans le futur : {date_maj.isoformat()}")
    return StructureRecord(
        local_id=local, nom=nom, date_maj=date_maj, siret=_typed(f, "siret", str),
        description=_typed(f, "description", str), adresse=_typed(f, "adresse", str),
        complement_adresse=_typed(f, "complement_adresse", str), commune=_typed(f, "commune", str),
        code_postal=_typed(f, "code_postal", str), code_insee=_typed(f, "code_insee", str),
        latitude=_typed(f, "latitude", float), longitude=_typed(f, "longitude", float),
        telephone=_typed(f, "telephone", str), courriel=_typed(f, "courriel", str),
        site_web=_typed(f, "site_web", str), lien_source=_typed(f, "lien_source", str),
        horaires_accueil=_typed(f, "horaires_accueil", str), accessibilite_lieu=_typed(f, "accessibilite_lieu", str),
        reseaux_porteurs=_typed(f, "reseaux_porteurs", list),
    )


def _service(local: str, f: dict[str, FieldValue], structure_nom: str) -> ServiceRecord:
    nom = _typed(f, "nom", str) or structure_nom
    thematiques = _typed(f, "thematiques", list) or []
    return ServiceRecord(
        local_id=local, nom=nom, description=_typed(f, "description", str), date_maj=_typed(f, "date_maj", dt.date),
        type=_typed(f, "type", str), thematiques=thematiques, frais=_typed(f, "frais", str),
        frais_precisions=_typed(f, "frais_precisions", str), publics=_typed(f, "publics", list),
        publics_precisions=_typed(f, "publics_precisions", str), conditions_acces=_typed(f, "conditions_acces", str),
        adresse=_typed(f, "adresse", str), complement_adresse=_typed(f, "complement_adresse", str),
        commune=_typed(f, "commune", str), code_postal=_typed(f, "code_postal", str),
        code_insee=_typed(f, "code_insee", str), latitude=_typed(f, "latitude", float),
        longitude=_typed(f, "longitude", float), telephone=_typed(f, "telephone", str),
        courriel=_typed(f, "courriel", str), modes_accueil=_typed(f, "modes_accueil", list),
        zone_eligibilite=_typed(f, "zone_eligibilite", list), lien_source=_typed(f, "lien_source", str),
        lien_mobilisation=_typed(f, "lien_mobilisation", str), modes_mobilisation=_typed(f, "modes_mobilisation", list),
        mobilisable_par=_typed(f, "mobilisable_par", list),
        mobilisation_precisions=_typed(f, "mobilisation_precisions", str),
        horaires_accueil=_typed(f, "horaires_accueil", str),
        volume_horaire_hebdomadaire=_typed(f, "volume_horaire_hebdomadaire", float),
        nombre_semaines=_typed(f, "nombre_semaines", int),
    )


def _raw_line(values: dict) -> str:
    return " ; ".join(f"{k}={cell_text(v) or ''}" for k, v in values.items() if k != "__extra_cells__")[:20000]
