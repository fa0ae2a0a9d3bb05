"""Accounts of the coordinators' space: creation, passwords (argon2id), login checks, rate limiting.

No Flask here: the CLI (``reperes users``) and the login view both call these functions with a
database URL.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select

from app.core import rate_limit
from app.core.db import session_scope
from app.core.models import utcnow
from app.core.models_coordination import ROLES, LoginFailure, User

#: argon2id with the library's current defaults (RFC 9106 "low memory" profile)
HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: verified against when the e-mail is unknown, so that timing does not tell which accounts exist
_DUMMY_HASH = HASHER.hash("repères: compte inexistant")


class UserError(ValueError):
    """A refused account operation (message in French)."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"mot de passe trop court ({MIN_PASSWORD_LENGTH} caractères minimum)")


def create_user(url: str, email: str, password: str, role: str | None = "coordinator") -> User:
    email = normalise_email(email)
    if not _EMAIL.match(email):
        raise UserError(f"adresse électronique invalide : {email!r}")
    if role is not None and role not in ROLES:
        raise UserError(f"rôle inconnu : {role!r} (coordinator, admin, ou aucun)")
    check_password_strength(password)
    with session_scope(url) as session:
        if session.scalar(select(User).where(User.email == email)) is not None:
            raise UserError(f"le compte {email} existe déjà")
        user = User(email=email, password_hash=HASHER.hash(password), role=role, active=True,
                    session_version=1, created_at=utcnow())
        session.add(user)
        session.flush()
        session.expunge(user)
        return user


def list_users(url: str) -> list[User]:
    with session_scope(url) as session:
        users = list(session.scalars(select(User).order_by(User.email)))
        session.expunge_all()
        return users


def _update(url: str, email: str, **changes) -> User:
    with session_scope(url) as session:
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise UserError(f"aucun compte {normalise_email(email)}")
        for key, value in changes.items():
            setattr(user, key, value)
        user.session_version = (user.session_version or 1) + 1  # ends open sessions
        session.flush()
        session.expunge(user)
        return user


def set_active(url: str, email: str, active: bool) -> User:
    return _update(url, email, active=active)


def set_role(url: str, email: str, role: str | None) -> User:
    if role is not None and role not in ROLES:
        raise UserError(f"rôle inconnu : {role!r}")
    return _update(url, email, role=role)


def set_password(url: str, email: str, password: str) -> User:
    check_password_strength(password)
    return _update(url, email, password_hash=HASHER.hash(password))


def load_user(url: str, user_id: str) -> User | None:
    """The user of a session id ``<id>:<session_version>``, if still active and current."""
    try:
        ident, version = (int(part) for part in str(user_id).split(":", 1))
    except ValueError:
        return None
    with session_scope(url) as session:
        user = session.get(User, ident)
        if user is None or not user.active or user.session_version != version:
            return None
        session.expunge(user)
        return user


def authenticate(url: str, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None (constant work either way)."""
    with session_scope(url) as session:
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
        try:
            HASHER.verify(user.password_hash if user is not None else _DUMMY_HASH, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if user is None or not user.active:
            return None
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = HASHER.hash(password)
        user.last_login_at = utcnow()
        session.flush()
        session.expunge(user)
        return user


# -- rate limiting of failed logins -----------------------------------------------------------
def failure_key(client: str | None, email: str) -> str:
    """What failed attempts are counted under: the client address and the e-mail, hashed together."""
    return hashlib.sha256(f"reperes-login|{client or '?'}|{normalise_email(email)}".encode()).hexdigest()


def recent_failures(url: str, key: str, window: dt.timedelta) -> int:
    return rate_limit.recent(url, LoginFailure, key, window)


def record_failure(url: str, key: str, window: dt.timedelta) -> None:
    rate_limit.record(url, LoginFailure, key, window)


def clear_failures(url: str, key: str) -> None:
    with session_scope(url) as session:
        session.execute(delete(LoginFailure).where(LoginFailure.key == key))
