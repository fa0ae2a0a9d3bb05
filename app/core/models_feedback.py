"""Tables of the public's feedback on offers: evaluations, error reports, and the rate limit.

They live in the same ``Base.metadata`` as the offer (``app/core/models.py`` imports this module
at its end) and are created by the Alembic revision ``0003_feedback``. They hold **no personal
data**: a day (no time), the service, yes/no answers, and free text scrubbed of e-mail addresses,
phone numbers and long digit runs before it is stored (``app/feedback.py``) — never an IP address,
a user agent or a cookie. The rate limit keeps a keyed hash (HMAC with the app's secret key) of
the client address, deleted once its window has passed.

``service_id`` is not a foreign key: services are retired, not deleted, but feedback must not
stand in the way of a source's clean-up either; rows of a service that is gone are simply never
shown.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import ID_LENGTH, Base, utcnow

#: ``ServiceFeedback.comment_status``: a comment waits for a coordinator, then is published or rejected
COMMENT_PENDING, COMMENT_PUBLISHED, COMMENT_REJECTED = "pending", "published", "rejected"
COMMENT_STATUSES = (COMMENT_PENDING, COMMENT_PUBLISHED, COMMENT_REJECTED)
#: ``ErrorReport.status``: ``new`` (not read yet), ``confirmed`` (a coordinator saw the error: the
#: offer is marked « signalée »), ``fixed`` or ``rejected`` (closed)
REPORT_NEW, REPORT_CONFIRMED, REPORT_FIXED, REPORT_REJECTED = "new", "confirmed", "fixed", "rejected"
REPORT_STATUSES = (REPORT_NEW, REPORT_CONFIRMED, REPORT_FIXED, REPORT_REJECTED)
REPORT_OPEN = (REPORT_NEW, REPORT_CONFIRMED)


class ServiceFeedback(Base):
    """One evaluation of an offer by a visitor: useful? accurate? and an optional comment."""

    __tablename__ = "service_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    #: the day only (no time: a row cannot be matched with a server log)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    #: « Cette solution vous a-t-elle été utile ? » (None: not answered)
    useful: Mapped[bool | None] = mapped_column(Boolean)
    #: « Les informations sont-elles exactes ? » (None: not answered)
    accurate: Mapped[bool | None] = mapped_column(Boolean)
    #: plain text, scrubbed; erased when a coordinator rejects it
    comment: Mapped[str | None] = mapped_column(String(1000))
    #: ``pending`` | ``published`` | ``rejected``; None without a comment
    comment_status: Mapped[str | None] = mapped_column(String(20), index=True)
    moderated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: the coordinator's account (``users.id``) who moderated it
    moderated_by: Mapped[int | None] = mapped_column(Integer)


class ErrorReport(Base):
    """« Signaler une erreur »: what is wrong on an offer's page (a category and free text)."""

    __tablename__ = "error_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    #: a value of ``app.feedback.CATEGORIES``
    category: Mapped[str] = mapped_column(String(40))
    #: plain text, scrubbed (never published)
    text: Mapped[str] = mapped_column(String(2000))
    #: ``new`` | ``confirmed`` | ``fixed`` | ``rejected``
    status: Mapped[str] = mapped_column(String(20), index=True)
    moderated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    moderated_by: Mapped[int | None] = mapped_column(Integer)


class FeedbackHit(Base):
    """One accepted submission, kept only for the rate-limit window (then deleted).

    ``key`` is an HMAC-SHA256 of the client address keyed with the app's secret key: it cannot be
    turned back into an address without the key, and lives no longer than the window.
    """

    __tablename__ = "feedback_hits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_feedback_hits_key_at", "key", "at"),)
