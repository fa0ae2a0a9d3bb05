"""Data quality per source: offers, runs, quarantine, ``score_qualite``, freshness, duplicates."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.core.db import session_scope
from app.core.models import QuarantinedRow, Service, SourceRun, Structure

#: ``score_qualite`` classes of the charts
SCORE_BINS = (0.0, 0.5, 0.8, 1.0001)
SCORE_LABELS = ("< 0,5", "0,5 – 0,8", "≥ 0,8")
STALE_DAYS = 365


def _reason_kind(reason: str) -> str:
    """The kind of a quarantine reason, without the record's own values."""
    return re.split(r" ?: ", reason or "", maxsplit=1)[0][:120]


@dataclass
class SourceQuality:
    source: str
    label: str | None = None
    services: int = 0
    structures: int = 0
    last_run: SourceRun | None = None
    runs: list[SourceRun] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    no_score: int = 0
    stale: int = 0
    no_date: int = 0
    clustered_structures: int = 0
    clusters: int = 0

    @property
    def score_mean(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None

    @property
    def score_classes(self) -> list[int]:
        out = [0] * (len(SCORE_BINS) - 1)
        for s in self.scores:
            for i in range(len(out)):
                if SCORE_BINS[i] <= s < SCORE_BINS[i + 1]:
                    out[i] += 1
                    break
        return out

    def histogram(self, bins: int = 10) -> list[int]:
        out = [0] * bins
        for s in self.scores:
            out[min(bins - 1, max(0, int(s * bins)))] += 1
        return out

    @property
    def stale_share(self) -> float | None:
        return self.stale / self.services if self.services else None


def _labels() -> dict[str, str]:
    try:
        from indexer.connectors import registry

        return {name: cls.label for name, cls in registry().items()}
    except Exception:  # noqa: BLE001  (a broken connector module must not break the page)
        return {}


def sources(database_url: str, today: dt.date | None = None) -> list[SourceQuality]:
    """Every source known to the registry or present in the database, with its figures."""
    today = today or dt.date.today()
    labels = _labels()
    with session_scope(database_url) as session:
        names = set(labels)
        names |= set(session.scalars(select(Service.source).distinct()))
        names |= set(session.scalars(select(SourceRun.source).distinct()))
        out = {name: SourceQuality(name, labels.get(name)) for name in names}
        for name, count in session.execute(select(Service.source, func.count()).where(
                Service.retired_at.is_(None)).group_by(Service.source)):
            out[name].services = count
        for name, count in session.execute(select(Structure.source, func.count()).where(
                Structure.retired_at.is_(None)).group_by(Structure.source)):
            if name in out:
                out[name].structures = count
        for run in session.scalars(select(SourceRun).order_by(SourceRun.id)):
            out[run.source].last_run = run
        stale_before = today - dt.timedelta(days=STALE_DAYS)
        for name, score, date_maj in session.execute(select(Service.source, Service.score_qualite, Service.date_maj)
                                                     .where(Service.retired_at.is_(None))):
            q = out[name]
            if score is None:
                q.no_score += 1
            else:
                q.scores.append(score)
            if date_maj is None:
                q.no_date += 1
            elif date_maj < stale_before:
                q.stale += 1
        _clusters(session, out)
        session.expunge_all()
    return sorted(out.values(), key=lambda q: (-q.services, q.source))


def _clusters(session, out: dict[str, SourceQuality]) -> None:
    sizes = dict(session.execute(select(Structure.cluster_id, func.count()).where(
        Structure.cluster_id.is_not(None), Structure.retired_at.is_(None)).group_by(Structure.cluster_id)).all())
    per_source: dict[str, set] = {}
    for source, cluster in session.execute(select(Structure.source, Structure.cluster_id).where(
            Structure.cluster_id.is_not(None), Structure.retired_at.is_(None))):
        if sizes.get(cluster, 0) > 1 and source in out:
            out[source].clustered_structures += 1
            per_source.setdefault(source, set()).add(cluster)
    for source, clusters in per_source.items():
        out[source].clusters = len(clusters)


@dataclass
class SourceDetail:
    quality: SourceQuality
    quarantine_total: int
    reasons: list[tuple[str, int]]
    quarantined: list[QuarantinedRow]
    clusters: list[list[Structure]]


def source_detail(database_url: str, source: str, rows: int = 100, clusters: int = 30,
                  today: dt.date | None = None) -> SourceDetail | None:
    everything = {q.source: q for q in sources(database_url, today)}
    quality = everything.get(source)
    if quality is None:
        return None
    with session_scope(database_url) as session:
        quality.runs = list(session.scalars(select(SourceRun).where(SourceRun.source == source)
                                            .order_by(SourceRun.id.desc()).limit(10)))
        last = quality.last_run
        reasons: Counter = Counter()
        quarantined: list[QuarantinedRow] = []
        total = 0
        if last is not None:
            for (reason,) in session.execute(select(QuarantinedRow.reason).where(QuarantinedRow.run_id == last.id)):
                reasons[_reason_kind(reason)] += 1
                total += 1
            quarantined = list(session.scalars(select(QuarantinedRow).where(QuarantinedRow.run_id == last.id)
                                               .order_by(QuarantinedRow.id).limit(rows)))
        cluster_ids = list(session.scalars(
            select(Structure.cluster_id).where(Structure.source == source, Structure.cluster_id.is_not(None),
                                               Structure.retired_at.is_(None)).distinct()))
        groups: list[list[Structure]] = []
        for cid in cluster_ids:
            members = list(session.scalars(select(Structure).where(
                Structure.cluster_id == cid, Structure.retired_at.is_(None)).order_by(Structure.source, Structure.id)))
            if len(members) > 1:
                groups.append(members)
            if len(groups) >= clusters:
                break
        session.expunge_all()
    return SourceDetail(quality, total, reasons.most_common(), quarantined, groups)
