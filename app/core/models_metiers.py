"""Métiers « en tension » of a territory, loaded by a coordinator (docs/metiers.md, docs/coordination.md).

One row per (territory, ROME code); loading a list replaces the territory's list. Created by the
Alembic revision ``0004_metiers``. No personal data: the coordinator is kept as an account id.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import Base, utcnow


class MetierTension(Base):
    __tablename__ = "metiers_tension"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: ``<kind>-<code>`` of app.coordination.data.Territory: ``departement-11``, ``epci-200035715``
    territoire: Mapped[str] = mapped_column(String(40), index=True)
    #: a ROME v3 fiche (K2204) or domaine (K22) code
    code_rome: Mapped[str] = mapped_column(String(5))
    #: the file's own words for it (a label, a comment), if any
    commentaire: Mapped[str | None] = mapped_column(String(300))
    #: line of the uploaded file (keeps the coordinator's order)
    rang: Mapped[int] = mapped_column(Integer, default=0)
    #: id of the coordinator's account (users.id), not their e-mail
    ajoute_par: Mapped[int | None] = mapped_column(Integer)
    cree_le: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("territoire", "code_rome", name="uq_metiers_tension_territoire_code"),)
