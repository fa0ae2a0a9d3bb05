"""The public's feedback on offers: evaluations, error reports, moderation, marks, aggregates.

No Flask here: the web routes (``app/web/feedback.py``) and the coordinators' pages
(``app/coordination/moderation.py``) call these functions with a database URL.

What is stored (tables in ``app/core/models_feedback.py``), and nothing else:

* an **evaluation** of a service: the day, « utile ? » and « exactes ? » (yes / no / not
  answered), an optional comment;
* an **error report**: the day, a category (:data:`CATEGORIES`) and what is wrong.

Free text is made plain and scrubbed before it is stored (:func:`scrub_text`): markup removed,
e-mail addresses, phone numbers and runs of 7+ digits (identifiers) replaced by « [retiré] ». No IP
address, user agent, cookie or time of day. The rate limit counts submissions under a keyed hash
of the client address (:func:`client_key`), deleted when its window has passed.

Nothing written by the public is published without a coordinator: a comment is ``pending`` until
published or rejected (a rejected comment's text is erased at once); an error report is never
shown, only the « signalée » mark of a report a coordinator has confirmed (see :func:`mark_of`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import re
from dataclasses import dataclass, field

import nh3
from sqlalchemy import and_, case, delete, func, select

from app.core import rate_limit
from app.core.db import session_scope
from app.core.models import Service, Structure, utcnow
from app.core.models_feedback import (COMMENT_PENDING, COMMENT_PUBLISHED, COMMENT_REJECTED, REPORT_CONFIRMED,
                                      REPORT_FIXED, REPORT_NEW, REPORT_OPEN, REPORT_REJECTED, REPORT_STATUSES,
                                      ErrorReport, FeedbackHit, ServiceFeedback)

#: what can be wrong on an offer's page (value -> label of the form)
CATEGORIES: dict[str, str] = {
    "coordonnees": "Adresse, téléphone ou courriel",
    "horaires": "Horaires d'ouverture",
    "ferme": "Le service n'existe plus ou a fermé",
    "conditions": "Public, conditions d'accès ou frais",
    "description": "Description ou thématiques",
    "autre": "Autre chose",
}
COMMENT_MAX = 1000
REPORT_MAX = 2000
#: « vérifiée » also needs this share of « exactes : oui » among the answers to « exactes »
VERIFIED_SHARE = 0.75
REMOVED = "[retiré]"
#: marks shown on a service's page
MARK_VERIFIED, MARK_REPORTED = "verifie", "signale"

_EMAIL = re.compile(r"[^\s@<>()\[\],;]+@[^\s@<>()\[\],;]*[^\s@<>()\[\],;.:!?]")
_LONG_NUMBER = re.compile(r"(?<![\d])(?:\+|00)?\d(?:[ .\-]?\d){8,}(?![\d])")  # 9+ digits, spaced or not
_DIGITS = re.compile(r"\d{7,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class FeedbackError(ValueError):
    """Input the feedback forms cannot take (message in French)."""


# -- free text -----------------------------------------------------------------------------------
def _phones(text: str) -> str:
    try:
        import phonenumbers
    except ImportError:  # pragma: no cover  (a dependency; the regexes below still catch most)
        return text
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, "FR",
                                                                       leniency=phonenumbers.Leniency.POSSIBLE)]
    for start, end in reversed(spans):
        text = text[:start] + REMOVED + text[end:]
    return text


def scrub_text(text: str | None, max_len: int) -> str | None:
    """Plain text without what could identify someone: markup removed (nh3), e-mail addresses, phone
    numbers (French and international), runs of 9+ digits (spaced or not) and of 7+ digits
    (identifiers) replaced by « [retiré] »; control characters dropped, spaces folded; at most
    ``max_len`` characters. None when nothing is left but what was removed."""
    if not text:
        return None
    text = html.unescape(nh3.clean(text, tags=set(), attributes={}, strip_comments=True))
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _EMAIL.sub(REMOVED, text)
    text = _phones(text)
    text = _LONG_NUMBER.sub(REMOVED, text)
    text = _DIGITS.sub(REMOVED, text)
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", "\n".join(line.strip() for line in text.split("\n"))).strip()
    if not re.search(r"\w", text.replace(REMOVED, "")):
        return None  # nothing left but what was removed
    if len(text) > max_len:
        text = text[: max_len - 1].rstrip() + "…"
    return text


def answer(value: str | None) -> bool | None:
    """« oui » -> True, « non » -> False, nothing -> None."""
    if value in (None, ""):
        return None
    if value == "oui":
        return True
    if value == "non":
        return False
    raise FeedbackError("réponse attendue : oui ou non")


# -- rate limiting --------------------------------------------------------------------------------
def client_key(secret: str | bytes, client: str | None) -> str:
    """What submissions are counted under: an HMAC-SHA256 of the client address keyed with the app's
    secret key (the address itself is never stored; without the key the hash cannot be reversed by
    trying every address)."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"reperes-feedback|{client or '?'}".encode(), hashlib.sha256).hexdigest()


def recent_hits(url: str, key: str, window: dt.timedelta) -> int:
    return rate_limit.recent(url, FeedbackHit, key, window)


def record_hit(url: str, key: str, window: dt.timedelta) -> None:
    rate_limit.record(url, FeedbackHit, key, window)


# -- submissions ----------------------------------------------------------------------------------
def _live_service(session, service_id: str) -> None:
    if not service_id or "\x00" in service_id or len(service_id) > 1000 or session.scalar(
            select(Service.id).where(Service.id == service_id, Service.retired_at.is_(None))) is None:
        raise FeedbackError("cette fiche n'existe pas ou plus")


def prune(session, retention_days: int, today: dt.date | None = None) -> None:
    """Delete evaluations, and closed error reports, older than the retention (open reports stay
    until a coordinator closes them)."""
    cutoff = (today or dt.date.today()) - dt.timedelta(days=retention_days)
    session.execute(delete(ServiceFeedback).where(ServiceFeedback.day < cutoff))
    session.execute(delete(ErrorReport).where(ErrorReport.day < cutoff,
                                              ErrorReport.status.in_((REPORT_FIXED, REPORT_REJECTED))))


def submit_evaluation(url: str, service_id: str, useful: bool | None, accurate: bool | None,
                      comment: str | None, retention_days: int, today: dt.date | None = None) -> int:
    """Store one evaluation (the comment scrubbed, pending moderation); returns its id."""
    comment = scrub_text(comment, COMMENT_MAX)
    if useful is None and accurate is None and comment is None:
        raise FeedbackError("répondez à au moins une question, ou écrivez un commentaire")
    with session_scope(url) as session:
        _live_service(session, service_id)
        row = ServiceFeedback(service_id=service_id, day=today or dt.date.today(), useful=useful,
                              accurate=accurate, comment=comment,
                              comment_status=COMMENT_PENDING if comment else None)
        session.add(row)
        prune(session, retention_days, today)
        session.flush()
        return row.id


def submit_report(url: str, service_id: str, category: str, text: str | None, retention_days: int,
                  today: dt.date | None = None) -> int:
    """Store one error report (scrubbed, status ``new``); returns its id."""
    if category not in CATEGORIES:
        raise FeedbackError("choisissez ce qui est inexact")
    text = scrub_text(text, REPORT_MAX)
    if text is None:
        raise FeedbackError("décrivez ce qui est inexact")
    with session_scope(url) as session:
        _live_service(session, service_id)
        row = ErrorReport(service_id=service_id, day=today or dt.date.today(), category=category, text=text,
                          status=REPORT_NEW)
        session.add(row)
        prune(session, retention_days, today)
        session.flush()
        return row.id


# -- figures --------------------------------------------------------------------------------------
@dataclass
class FeedbackStats:
    """Evaluations and reports of one service (or one source)."""

    evaluations: int = 0
    useful_yes: int = 0
    useful_no: int = 0
    accurate_yes: int = 0
    accurate_no: int = 0
    #: evaluations answering yes to both questions
    positive: int = 0
    comments_pending: int = 0
    comments_published: int = 0
    reports_new: int = 0
    reports_confirmed: int = 0

    @property
    def share_useful(self) -> float | None:
        answered = self.useful_yes + self.useful_no
        return self.useful_yes / answered if answered else None

    @property
    def share_accurate(self) -> float | None:
        answered = self.accurate_yes + self.accurate_no
        return self.accurate_yes / answered if answered else None

    @property
    def open_reports(self) -> int:
        return self.reports_new + self.reports_confirmed

    def merge(self, other: "FeedbackStats") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _yes(col):
    return func.sum(case((col.is_(True), 1), else_=0))


def _no(col):
    return func.sum(case((col.is_(False), 1), else_=0))


def stats_by_service(url: str, service_ids: list[str] | None = None, source: str | None = None
                     ) -> dict[str, FeedbackStats]:
    """Figures per service id (only services with feedback; all, or these ids, or one source's)."""
    out: dict[str, FeedbackStats] = {}

    def scoped(stmt, col):
        if service_ids is not None:
            stmt = stmt.where(col.in_(service_ids))
        if source is not None:
            stmt = stmt.where(col.in_(select(Service.id).where(Service.source == source)))
        return stmt

    with session_scope(url) as session:
        f = ServiceFeedback
        stmt = select(f.service_id, func.count(), _yes(f.useful), _no(f.useful), _yes(f.accurate), _no(f.accurate),
                      func.sum(case((and_(f.useful.is_(True), f.accurate.is_(True)), 1), else_=0)),
                      func.sum(case((f.comment_status == COMMENT_PENDING, 1), else_=0)),
                      func.sum(case((f.comment_status == COMMENT_PUBLISHED, 1), else_=0))).group_by(f.service_id)
        for sid, n, uy, un, ay, an, pos, pending, published in session.execute(scoped(stmt, f.service_id)):
            out[sid] = FeedbackStats(n, uy or 0, un or 0, ay or 0, an or 0, pos or 0, pending or 0, published or 0)
        r = ErrorReport
        stmt = select(r.service_id, r.status, func.count()).where(r.status.in_(REPORT_OPEN)) \
            .group_by(r.service_id, r.status)
        for sid, status, n in session.execute(scoped(stmt, r.service_id)):
            s = out.setdefault(sid, FeedbackStats())
            if status == REPORT_NEW:
                s.reports_new = n
            else:
                s.reports_confirmed = n
    return out


def stats_by_source(url: str) -> dict[str, FeedbackStats]:
    """Figures per source (the services' ``source``), for the data quality page."""
    per_service = stats_by_service(url)
    if not per_service:
        return {}
    out: dict[str, FeedbackStats] = {}
    with session_scope(url) as session:
        ids = list(per_service)
        for start in range(0, len(ids), 500):
            for sid, source in session.execute(select(Service.id, Service.source).where(
                    Service.id.in_(ids[start:start + 500]))):
                out.setdefault(source, FeedbackStats()).merge(per_service[sid])
    return out


def mark_of(stats: FeedbackStats | None, verified_votes: int) -> str | None:
    """The mark of a service's page.

    * ``signale`` — a coordinator has confirmed an error report and not closed it yet;
    * ``verifie`` — no confirmed open report, at least ``verified_votes`` evaluations answering
      yes to both « utile » and « exactes », and at least three quarters (:data:`VERIFIED_SHARE`)
      of the answers to « exactes » are yes;
    * None otherwise. Reports nobody has read yet (``new``) change nothing.
    """
    if stats is None:
        return None
    if stats.reports_confirmed:
        return MARK_REPORTED
    answered = stats.accurate_yes + stats.accurate_no
    if stats.positive >= max(1, verified_votes) and answered and stats.accurate_yes >= VERIFIED_SHARE * answered:
        return MARK_VERIFIED
    return None


@dataclass
class PublicFeedback:
    """What a service's page shows: the mark and the published comments, nothing else."""

    mark: str | None = None
    positive: int = 0
    #: (category label, day confirmed) of the confirmed open reports
    reported: list[tuple[str, dt.date]] = field(default_factory=list)
    #: (day, text, useful) of the published comments, newest first
    comments: list[tuple[dt.date, str, bool | None]] = field(default_factory=list)


def public_feedback(url: str, service_id: str, verified_votes: int, limit: int = 10) -> PublicFeedback:
    stats = stats_by_service(url, [service_id]).get(service_id)
    out = PublicFeedback(mark=mark_of(stats, verified_votes), positive=stats.positive if stats else 0)
    if stats is None:
        return out
    with session_scope(url) as session:
        if stats.reports_confirmed:
            for category, day, moderated in session.execute(
                    select(ErrorReport.category, ErrorReport.day, ErrorReport.moderated_at).where(
                        ErrorReport.service_id == service_id, ErrorReport.status == REPORT_CONFIRMED)
                    .order_by(ErrorReport.id)):
                out.reported.append((CATEGORIES.get(category, category), (moderated.date() if moderated else day)))
        if stats.comments_published:
            out.comments = [tuple(row) for row in session.execute(
                select(ServiceFeedback.day, ServiceFeedback.comment, ServiceFeedback.useful).where(
                    ServiceFeedback.service_id == service_id, ServiceFeedback.comment_status == COMMENT_PUBLISHED,
                    ServiceFeedback.comment.is_not(None))
                .order_by(ServiceFeedback.day.desc(), ServiceFeedback.id.desc()).limit(limit))]
    return out


# -- moderation -----------------------------------------------------------------------------------
@dataclass
class ModerationItem:
    id: int
    service_id: str
    service: str | None
    structure: str | None
    source: str | None
    day: dt.date
    text: str
    category: str | None = None        # reports
    status: str | None = None
    useful: bool | None = None         # comments
    accurate: bool | None = None

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category or "", self.category or "")


def _names(session, ids: set[str]) -> dict[str, tuple[str, str, str]]:
    out = {}
    ids_list = sorted(ids)
    for start in range(0, len(ids_list), 500):
        for sid, nom, source, structure in session.execute(
                select(Service.id, Service.nom, Service.source, Structure.nom)
                .join(Structure, Structure.id == Service.structure_id, isouter=True)
                .where(Service.id.in_(ids_list[start:start + 500]))):
            out[sid] = (nom, structure, source)
    return out


def with_names(url: str, stats: dict[str, FeedbackStats]) -> list[tuple[str, str | None, str | None, FeedbackStats]]:
    """(service id, service name, structure name, figures), most open reports then most evaluations first."""
    with session_scope(url) as session:
        names = _names(session, set(stats))
    rows = [(sid, *names.get(sid, (None, None, None))[:2], s) for sid, s in stats.items()]
    return sorted(rows, key=lambda r: (-r[3].open_reports, -r[3].evaluations, r[0]))


def moderation_queue(url: str, limit: int = 200) -> tuple[list[ModerationItem], list[ModerationItem]]:
    """(comments waiting for moderation, open error reports), oldest first."""
    with session_scope(url) as session:
        comments = list(session.execute(
            select(ServiceFeedback.id, ServiceFeedback.service_id, ServiceFeedback.day, ServiceFeedback.comment,
                   ServiceFeedback.useful, ServiceFeedback.accurate)
            .where(ServiceFeedback.comment_status == COMMENT_PENDING).order_by(ServiceFeedback.id).limit(limit)))
        reports = list(session.execute(
            select(ErrorReport.id, ErrorReport.service_id, ErrorReport.day, ErrorReport.text, ErrorReport.category,
                   ErrorReport.status)
            .where(ErrorReport.status.in_(REPORT_OPEN)).order_by(ErrorReport.id).limit(limit)))
        names = _names(session, {r[1] for r in comments} | {r[1] for r in reports})
    none = (None, None, None)
    return ([ModerationItem(i, sid, *names.get(sid, none), day, text, useful=u, accurate=a)
             for i, sid, day, text, u, a in comments],
            [ModerationItem(i, sid, *names.get(sid, none), day, text, category=c, status=st)
             for i, sid, day, text, c, st in reports])


def moderate_comment(url: str, feedback_id: int, publish: bool, user_id: int | None) -> bool:
    """Publish or reject a comment (a rejected comment's text is erased); False if there is none."""
    with session_scope(url) as session:
        row = session.get(ServiceFeedback, feedback_id)
        if row is None or row.comment is None or row.comment_status is None:
            return False  # no comment, or already rejected (its text is gone)
        row.comment_status = COMMENT_PUBLISHED if publish else COMMENT_REJECTED
        if not publish:
            row.comment = None
        row.moderated_at, row.moderated_by = utcnow(), user_id
        return True


def set_report_status(url: str, report_id: int, status: str, user_id: int | None) -> bool:
    """Confirm (``confirmed``: the page is marked « signalée ») or close (``fixed`` / ``rejected``)
    an error report; False if there is none."""
    if status not in REPORT_STATUSES or status == REPORT_NEW:
        raise FeedbackError(f"statut inconnu : {status}")
    with session_scope(url) as session:
        row = session.get(ErrorReport, report_id)
        if row is None:
            return False
        row.status = status
        row.moderated_at, row.moderated_by = utcnow(), user_id
        return True

