"""Tables of the coordinators' space: accounts, failed logins, and the demand log.

They live in the same ``Base.metadata`` as the offer (``app/core/models.py`` imports this module
at its end), are created by the Alembic revision ``0002`` and hold **no personal data of the
people who search**: the demand log keeps a commune, needs, scrubbed words, a result count and
a day — never an IP address, a user agent, a time of day, coordinates or a beneficiary's profile.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import Base, utcnow

#: roles that open the coordinators' space; ``admin`` may also upload producer files
ROLES = ("coordinator", "admin")


class User(Base):
    """A coordinator's account (created with ``reperes users create``)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    #: argon2id hash (``argon2-cffi``), never the password
    password_hash: Mapped[str] = mapped_column(String(255))
    #: ``coordinator``, ``admin`` or None (an account without access to the space)
    role: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: bumped when the password changes or the account is disabled: ends open sessions
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    # -- what Flask-Login asks of a user (no Flask import here) ------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_coordinator(self) -> bool:
        return self.role in ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginFailure(Base):
    """One failed login, kept only for the rate-limit window (then deleted).

    ``key`` is a SHA-256 of the client address and the e-mail typed, not the address itself.
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)


class SearchLog(Base):
    """One search as a demand signal, without personal data (see the module docstring)."""

    __tablename__ = "search_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: the day only (no time: a row cannot be matched with a server log)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    #: the commune searched from (code INSEE), none for a search without a place
    code_commune: Mapped[str | None] = mapped_column(String(5), index=True)
    code_departement: Mapped[str | None] = mapped_column(String(3), index=True)
    #: needs asked for (sub-themes or categories, as given)
    thematiques: Mapped[list[str] | None] = mapped_column(JSON)
    #: needs inferred from the words
    besoins_deduits: Mapped[list[str] | None] = mapped_column(JSON)
    #: the words typed, scrubbed (no e-mail, no phone number, no long digit runs), lower case
    mots: Mapped[str | None] = mapped_column(String(200))
    resultats: Mapped[int] = mapped_column(Integer)
    rayon_km: Mapped[float | None] = mapped_column(Float)
