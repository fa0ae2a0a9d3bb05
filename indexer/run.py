"""One ingestion run of one source: raw input stored, records normalised, offers stored.

A damaged record goes to the quarantine with its reason and the run goes on; an input that
is not the source's format fails the run and the source keeps its last good offers.
"""
from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import logging
import multiprocessing
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy.orm import Session

from app.core import vocabularies as voc
from app.core.geo import Geography, geography
from sqlalchemy import String

from app.core.models import QuarantinedRow, Service, SourceRun, Structure, utcnow
from indexer import normalise as norm
from indexer.connectors.base import Connector
from indexer.quality import service_score
from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, UnreadableInput
from indexer.store import SourceWriter, Writers

log = logging.getLogger(__name__)


class RunFailed(Exception):
    """The input could not be read at all; the source's previous offers are kept."""

    #: the failed run's report (set by :func:`ingest`)
    report: "RunReport | None" = None


@dataclass
class RunReport:
    source: str
    run_id: int | None = None
    status: str = "running"
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    quarantined: int = 0
    duration_s: float = 0.0
    message: str | None = None
    raw_path: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    #: processes that normalised the records (see :func:`normalised`)
    workers: int = 1

    @property
    def records_per_s(self) -> float:
        return self.read / self.duration_s if self.duration_s else 0.0

    def summary(self) -> str:
        return (f"{self.source}: {self.status} — read {self.read}, new {self.new}, updated {self.updated}, "
                f"unchanged {self.unchanged}, retired {self.retired}, quarantined {self.quarantined}, "
                f"{self.duration_s:.2f} s, {self.records_per_s:.0f} records/s")


def store_raw(instance_dir: Path, source: str, paths: list[Path], payloads: list[bytes]) -> tuple[Path, str]:
    """Keep the raw input (content-addressed) so ``--replay`` can re-run it without the source."""
    digest = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in payloads)).hexdigest()
    folder = instance_dir / "raw" / source / digest[:16]
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i, (path, payload) in enumerate(zip(paths, payloads)):
        target = folder / f"{i:02d}-{path.name}"
        if not target.exists():
            target.write_bytes(payload)
        files.append(target.name)
    (folder / "manifest.json").write_text(json.dumps({
        "source": source, "sha256": digest, "stored_at": utcnow().isoformat(),
        "files": files, "origins": [str(p) for p in paths]}, indent=1))
    return folder, digest


def replay_payloads(folder: Path) -> tuple[list[Path], list[bytes]]:
    manifest = json.loads((folder / "manifest.json").read_text())
    paths = [folder / name for name in manifest["files"]]
    return paths, [p.read_bytes() for p in paths]


def ingest(connector: Connector, session: Session, instance_dir: Path,
           paths: list[Path] | None = None, replay: Path | None = None,
           today: dt.date | None = None, geocoder=None, workers: int | None = None,
           progress: Callable[[int, int], None] | None = None) -> RunReport:
    """Run one source end to end and commit; raises RunFailed when the input is unreadable
    (its ``report`` attribute holds the failed run's :class:`RunReport`).

    ``workers``: processes that normalise the records of a large input (None or 0 = one per CPU,
    1 = this process only); see :func:`normalised`. ``progress(done, total)``: called as records
    are read (every :data:`PROGRESS_EVERY` records and at the end; ``total`` grows file by file).
    """
    with cyclic_gc_paused():
        return _ingest(connector, session, instance_dir, paths, replay, today, geocoder, workers, progress)


@contextmanager
def cyclic_gc_paused():
    """Python's cycle collector paused for a run: a run builds millions of small containers
    (parsed JSON, offers, rows) that live until it ends, and each automatic full collection walks
    all of them again — over half of the parse time of a 50,000-record file, and in forked
    workers it also writes to every inherited page. Reference counting frees what a run builds;
    any cycle left is collected once the collector is back, after the run."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _ingest(connector: Connector, session: Session, instance_dir: Path, paths: list[Path] | None,
            replay: Path | None, today: dt.date | None, geocoder, workers: int | None,
            progress: Callable[[int, int], None] | None) -> RunReport:
    started = time.perf_counter()
    report = RunReport(connector.name)
    run = SourceRun(source=connector.name, started_at=utcnow(), status="running")
    session.add(run)
    session.flush()
    report.run_id = run.id
    try:
        if replay is not None:
            paths, payloads = replay_payloads(replay)
        else:
            paths = [Path(p) for p in (paths or connector.default_paths())]
            payloads = [connector.fetch(p) for p in paths]
        folder, digest = store_raw(instance_dir, connector.name, paths, payloads)
        run.raw_path, run.raw_sha256 = str(folder), digest
        report.raw_path = str(folder)

        geo = geography()
        writers = Writers.for_session(session)
        expected = 0
        with SourceWriter(session, connector.name, writers) as writer:
            for path, payload in zip(paths, payloads):
                try:
                    records = list(connector.parse(payload))
                except UnreadableInput as exc:
                    raise RunFailed(f"{path.name} : {exc}") from exc
                if len(records) > connector.max_records:
                    raise RunFailed(f"{path.name} : {len(records)} enregistrements, au-delà de la limite "
                                    f"de {connector.max_records}")
                report.workers = max(report.workers, worker_count(len(records), geocoder, workers))
                expected += len(records)
                outcomes = normalised(connector, records, geo, today, writers, geocoder, workers)
                for record, outcome in zip(records, outcomes):
                    report.read += 1
                    if progress is not None and report.read % PROGRESS_EVERY == 0:
                        progress(report.read, expected)
                    if isinstance(outcome, str):
                        quarantine(session, report, run, record, outcome)
                        continue
                    for structure, offer_services in outcome:
                        writer.add(structure, offer_services)
            if report.read and report.quarantined == report.read:
                # raised inside the writer: nothing is retired, the transaction is rolled back
                raise RunFailed(f"aucun enregistrement utilisable sur {report.read} (tous en quarantaine)")
            if progress is not None:
                progress(report.read, expected)
        counts = writer.counts
        report.new, report.updated, report.unchanged, report.retired = (
            counts.new, counts.updated, counts.unchanged, counts.retired)
        report.status = "ok"
    except (RunFailed, OSError) as exc:
        session.rollback()
        report.status, report.message = "failed", str(exc)
        run = SourceRun(source=connector.name, started_at=run.started_at, status="failed")
        session.add(run)
    report.duration_s = time.perf_counter() - started
    for key in ("status", "message", "read", "new", "updated", "unchanged", "retired", "quarantined", "duration_s"):
        setattr(run, key, getattr(report, key))
    run.raw_path = report.raw_path
    run.finished_at = utcnow()
    session.commit()
    report.run_id = run.id
    if report.status == "failed":
        failure = RunFailed(report.message)
        failure.report = report
        raise failure
    return report


#: records between two calls of ``ingest``'s ``progress`` callback
PROGRESS_EVERY = 100


#: below this many records an input is normalised in this process: starting workers costs more
PARALLEL_MIN_RECORDS = 4000
#: records per task sent to a worker (results come back in order, one chunk at a time)
PARALLEL_CHUNK = 1000

_FORKED: tuple | None = None  # (connector, records, geography, today, writers), inherited by forked workers


def normalise_record(connector: Connector, record: RawRecord, geo: Geography, today: dt.date | None,
                     geocoder=None):
    """One record through ``to_offer`` and :func:`normalise_offer`: its (structure, services) pairs,
    or the reason to quarantine it (a record is kept whole or not at all)."""
    try:
        offers = connector.to_offer(record)
        if offers is None:
            return []
        return [normalise_offer(connector.name, offer, geo, today, geocoder)
                for offer in (offers if isinstance(offers, list) else [offers])]
    except RecordError as exc:
        return str(exc)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        return f"enregistrement illisible ({type(exc).__name__}: {exc})"


def prepare_record(connector: Connector, record: RawRecord, geo: Geography, today: dt.date | None,
                   writers: Writers, geocoder=None):
    """:func:`normalise_record`, with each row prepared for the database (see
    :class:`indexer.store.TableWriter`): the quarantine reason, or (structure, services) pairs."""
    outcome = normalise_record(connector, record, geo, today, geocoder)
    if isinstance(outcome, str):
        return outcome
    return [(writers.structures.prepare(s_fields), [writers.services.prepare(sv) for sv in sv_fields])
            for s_fields, sv_fields in outcome]


def _normalise_slice(bounds: tuple[int, int]) -> list:
    connector, records, geo, today, writers = _FORKED
    return [prepare_record(connector, r, geo, today, writers) for r in records[bounds[0]:bounds[1]]]


def worker_count(records: int, geocoder=None, workers: int | None = None) -> int:
    """Processes :func:`normalised` uses for an input of ``records`` records."""
    workers = workers or os.cpu_count() or 1
    if workers < 2 or geocoder is not None or records < PARALLEL_MIN_RECORDS:
        return 1
    return min(workers, -(-records // PARALLEL_CHUNK))


def normalised(connector: Connector, records: list[RawRecord], geo: Geography, today: dt.date | None,
               writers: Writers, geocoder=None, workers: int | None = None):
    """The outcome of every record, in order (see :func:`prepare_record`).

    Normalising (the connector's ``to_offer``, places, texts, quality) and preparing the rows for
    the database are most of a run's time and need nothing but the record, so a large input is
    shared among forked worker processes: they inherit the parsed records and send back prepared
    tuples, while this process keeps the database session. Small inputs, a configured geocoder (its network client and SQLite cache stay in one
    process) or ``workers=1`` run here.
    """
    global _FORKED
    workers = worker_count(len(records), geocoder, workers)
    if workers < 2:
        for record in records:
            yield prepare_record(connector, record, geo, today, writers, geocoder)
        return
    bounds = [(i, min(i + PARALLEL_CHUNK, len(records))) for i in range(0, len(records), PARALLEL_CHUNK)]
    _FORKED = (connector, records, geo, today, writers)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for outcomes in pool.imap(_normalise_slice, bounds):
                yield from outcomes
    finally:
        _FORKED = None


def quarantine(session: Session, report: RunReport, run: SourceRun, record: RawRecord, reason: str) -> None:
    report.quarantined += 1
    report.reasons[reason.split(" :")[0][:80]] = report.reasons.get(reason.split(" :")[0][:80], 0) + 1
    raw = record.raw()
    if raw is None:
        raw = json.dumps(record.data, ensure_ascii=False, default=str)
    session.add(QuarantinedRow(source=run.source, run_id=run.id, row_number=record.row_number,
                               reason=reason.replace("\x00", "\\x00"), raw=raw.replace("\x00", "\\x00")[:20000]))


# --------------------------------------------------------------------------------------------
def locate(commune, adresse: str | None, code_postal: str | None, lat, lon, geocoder) -> norm.PlaceFix:
    """The point of a record: its own coordinates checked against its commune; without them, the
    geocoded address when a geocoder is configured, else the commune's centre (flagged)."""
    if (lat is None or lon is None) and geocoder is not None and commune is not None and adresse:
        found = geocoder.geocode(adresse, code_postal, commune.code_insee)
        if found is not None:
            return norm.PlaceFix(commune.code_insee, found.latitude, found.longitude, "adresse")
    return norm.fix_point(commune, lat, lon)


def normalise_offer(source: str, offer: Offer, geo: Geography,
                    today: dt.date | None = None, geocoder=None) -> tuple[dict, list[dict]]:
    """Schema v1 rows (dicts of model fields) for one offer, with ids, place and score."""
    st = offer.structure
    if not st.local_id:
        raise RecordError("identifiant de structure manquant")
    nom = norm.clean_text(st.nom, 150)
    if not nom or len(nom) < 3:
        raise RecordError(f"nom de structure absent ou trop court : {st.nom!r}")
    structure_id = f"{source}--{st.local_id}"
    commune = norm.resolve_commune(geo, st.code_insee, st.code_postal, st.commune)
    place = locate(commune, st.adresse, st.code_postal, st.latitude, st.longitude, geocoder)
    corrections = [place.note] if place.note else []
    siret = "".join(ch for ch in (st.siret or "") if ch.isdigit()) or None
    s_fields = {
        "id": structure_id, "source": source, "nom": nom, "date_maj": st.date_maj,
        "siret": siret if siret and len(siret) == 14 else None,
        "description": _described(norm.clean_text(st.description, 10000)),
        "adresse": norm.clean_text(st.adresse), "complement_adresse": norm.clean_text(st.complement_adresse),
        "commune": commune.nom if commune else norm.clean_text(st.commune),
        "code_postal": _postcode(st.code_postal, commune), "code_insee": place.code_insee,
        "latitude": place.latitude, "longitude": place.longitude, "geo_precision": place.precision,
        "telephone": norm.phone_e164(st.telephone), "courriel": norm.public_email(st.courriel),
        "site_web": norm.clean_url(st.site_web), "lien_source": norm.clean_url(st.lien_source),
        "horaires_accueil": norm.clean_text(st.horaires_accueil),
        "accessibilite_lieu": norm.clean_url(st.accessibilite_lieu),
        "reseaux_porteurs": sorted(set(st.reseaux_porteurs or []) & voc.RESEAUX_PORTEURS) or None,
        "extra": _extra(st.extra, corrections),
    }
    services = [normalise_service(source, sv, s_fields, commune, geo, today, geocoder) for sv in offer.services]
    check_lengths(Structure, s_fields)
    for sv in services:
        check_lengths(Service, sv)
    scores = [sv["score_qualite"] for sv in services if sv["score_qualite"] is not None]
    s_fields["score_qualite"] = round(sum(scores) / len(scores), 2) if scores else None
    return s_fields, services


def normalise_service(source: str, sv: ServiceRecord, structure: dict, structure_commune,
                      geo: Geography, today: dt.date | None, geocoder=None) -> dict:
    if not sv.local_id:
        raise RecordError("identifiant de service manquant")
    nom = norm.clean_text(sv.nom, 150)
    if not nom or len(nom) < 3:
        raise RecordError(f"nom de service absent ou trop court : {sv.nom!r}")
    unknown = [t for t in sv.thematiques if t not in voc.THEMATIQUES]
    thematiques = sorted({t for t in sv.thematiques if t in voc.THEMATIQUES})
    own_place = any([sv.adresse, sv.code_insee, sv.code_postal, sv.latitude is not None])
    if own_place:
        commune = norm.resolve_commune(geo, sv.code_insee, sv.code_postal, sv.commune) or structure_commune
        place = locate(commune, sv.adresse, sv.code_postal, sv.latitude, sv.longitude, geocoder)
        adresse, complement = norm.clean_text(sv.adresse), norm.clean_text(sv.complement_adresse)
        code_postal = _postcode(sv.code_postal, commune)
        commune_nom = commune.nom if commune else norm.clean_text(sv.commune)
    else:
        place = norm.PlaceFix(structure["code_insee"], structure["latitude"], structure["longitude"],
                              structure["geo_precision"] or "none")
        adresse, complement = structure["adresse"], structure["complement_adresse"]
        code_postal, commune_nom = structure["code_postal"], structure["commune"]
    publics = [p for p in (sv.publics or []) if p in voc.PUBLICS] or None
    if publics and voc.TOUS_PUBLICS in publics and len(publics) > 1:
        publics = [voc.TOUS_PUBLICS]  # the schema forbids tous-publics with others
    corrections = [place.note] if place.note and own_place else []
    if unknown:
        corrections.append(f"thématiques inconnues ignorées : {', '.join(unknown)}")
    fields = {
        "id": f"{source}--{sv.local_id}", "source": source, "structure_id": structure["id"], "nom": nom,
        "description": _described(norm.clean_text(sv.description, 10000)),
        "date_maj": sv.date_maj or structure["date_maj"],
        "type": sv.type if sv.type in voc.TYPES else None, "thematiques": thematiques or None,
        "frais": sv.frais if sv.frais in voc.FRAIS else None,
        "frais_precisions": norm.clean_text(sv.frais_precisions), "publics": publics,
        "publics_precisions": norm.clean_text(sv.publics_precisions),
        "conditions_acces": norm.clean_text(sv.conditions_acces),
        "adresse": adresse, "complement_adresse": complement, "commune": commune_nom,
        "code_postal": code_postal, "code_insee": place.code_insee,
        "latitude": place.latitude, "longitude": place.longitude, "geo_precision": place.precision,
        "telephone": norm.phone_e164(sv.telephone) or structure["telephone"],
        "courriel": norm.public_email(sv.courriel) or structure["courriel"],
        "contact_nom_prenom": None,  # personal data of staff: never kept
        "modes_accueil": sorted(set(sv.modes_accueil or []) & voc.MODES_ACCUEIL) or None,
        "zone_eligibilite": norm.clean_zone(sv.zone_eligibilite),
        "lien_source": norm.clean_url(sv.lien_source) or structure["lien_source"],
        "lien_mobilisation": norm.clean_url(sv.lien_mobilisation),
        "modes_mobilisation": sorted(set(sv.modes_mobilisation or []) & voc.MODES_MOBILISATION) or None,
        "mobilisable_par": sorted(set(sv.mobilisable_par or []) & voc.PERSONNES_MOBILISATRICES) or None,
        "mobilisation_precisions": norm.clean_text(sv.mobilisation_precisions),
        "horaires_accueil": norm.clean_text(sv.horaires_accueil) or structure["horaires_accueil"],
        "volume_horaire_hebdomadaire": sv.volume_horaire_hebdomadaire,
        "nombre_semaines": sv.nombre_semaines,
    }
    score, criteria = service_score(fields)
    fields["score_qualite"] = score
    fields["extra"] = _extra(sv.extra, corrections, criteres_qualite=criteria)
    return fields


def _limits(model) -> dict[str, int]:
    return {c.key: c.type.length for c in model.__table__.columns
            if isinstance(c.type, String) and c.type.length}


_LIMITS = {Structure: tuple(_limits(Structure).items()), Service: tuple(_limits(Service).items())}


def check_lengths(model, fields: dict) -> None:
    """PostgreSQL enforces column lengths (SQLite does not): refuse the record, not the run."""
    for key, limit in _LIMITS[model]:
        value = fields.get(key)
        if isinstance(value, str) and len(value) > limit:
            raise RecordError(f"{key} trop long ({len(value)} caractères, maximum {limit})")


def _described(text: str | None) -> str | None:
    """A description of fewer than 5 characters (".", "-") says nothing; v1 refuses it."""
    return text if text and len(text) >= 5 else None


def _postcode(value: str | None, commune) -> str | None:
    if value and len(value) == 5 and value.isascii() and value.isdigit():
        return value
    digits = "".join(ch for ch in (value or "") if ch.isdigit())
    if len(digits) == 4:
        digits = "0" + digits
    if len(digits) == 5:
        return digits
    return commune.codes_postaux[0] if commune and commune.codes_postaux else None


def _extra(extra: dict | None, corrections: list[str], **more) -> dict | None:
    out = dict(extra or {})
    if corrections:
        # keep the repairs a connector already noted (e.g. an unreadable coordinate) before ours
        out["corrections"] = [*(out.get("corrections") or []), *corrections]
    out.update({k: v for k, v in more.items() if v})
    return out or None
