"""The canonical model: data·inclusion schema v1 structures 1–n services, plus ingestion bookkeeping.

Multi-valued fields are JSON lists so the same tables work on SQLite and PostgreSQL. Ids are
``<source>--<producer id>`` so the producer's own id stays readable in ours.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class _Place:
    """Address and contact fields shared by structures and services (schema v1)."""

    adresse: Mapped[str | None] = mapped_column(Text)
    complement_adresse: Mapped[str | None] = mapped_column(Text)
    commune: Mapped[str | None] = mapped_column(String(200))
    code_postal: Mapped[str | None] = mapped_column(String(5))
    code_insee: Mapped[str | None] = mapped_column(String(5), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    telephone: Mapped[str | None] = mapped_column(String(40))
    courriel: Mapped[str | None] = mapped_column(String(320))
    horaires_accueil: Mapped[str | None] = mapped_column(Text)
    lien_source: Mapped[str | None] = mapped_column(String(2083))


class _Tracked:
    """Ingestion bookkeeping: what changed, when, and whether the source still has it."""

    content_hash: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    #: how the point was obtained: source, adresse (geocoded), commune (centre), repaired, none
    geo_precision: Mapped[str | None] = mapped_column(String(20))
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)


#: length of our ids (``<source>--<producer id>``). Producers' ids can be long: data·inclusion's
#: merged mediation-numerique ids reach 340 characters with our prefix, and PostgreSQL enforces
#: VARCHAR lengths (SQLite does not), so keep a wide margin.
ID_LENGTH = 1000


class Structure(_Place, _Tracked, Base):
    __tablename__ = "structures"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    nom: Mapped[str] = mapped_column(String(300))
    date_maj: Mapped[dt.date | None] = mapped_column(Date)
    siret: Mapped[str | None] = mapped_column(String(14), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    site_web: Mapped[str | None] = mapped_column(String(2083))
    accessibilite_lieu: Mapped[str | None] = mapped_column(String(2083))
    reseaux_porteurs: Mapped[list[str] | None] = mapped_column(JSON)
    score_qualite: Mapped[float | None] = mapped_column(Float)
    cluster_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)

    services: Mapped[list["Service"]] = relationship(back_populates="structure", lazy="selectin",
                                                     order_by="Service.id")


class Service(_Place, _Tracked, Base):
    __tablename__ = "services"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    structure_id: Mapped[str] = mapped_column(ForeignKey("structures.id"), index=True)
    nom: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    date_maj: Mapped[dt.date | None] = mapped_column(Date)
    type: Mapped[str | None] = mapped_column(String(40))
    thematiques: Mapped[list[str] | None] = mapped_column(JSON)
    frais: Mapped[str | None] = mapped_column(String(20))
    frais_precisions: Mapped[str | None] = mapped_column(Text)
    publics: Mapped[list[str] | None] = mapped_column(JSON)
    publics_precisions: Mapped[str | None] = mapped_column(Text)
    conditions_acces: Mapped[str | None] = mapped_column(Text)
    contact_nom_prenom: Mapped[str | None] = mapped_column(String(200))
    modes_accueil: Mapped[list[str] | None] = mapped_column(JSON)
    zone_eligibilite: Mapped[list[str] | None] = mapped_column(JSON)
    lien_mobilisation: Mapped[str | None] = mapped_column(String(2083))
    modes_mobilisation: Mapped[list[str] | None] = mapped_column(JSON)
    mobilisable_par: Mapped[list[str] | None] = mapped_column(JSON)
    mobilisation_precisions: Mapped[str | None] = mapped_column(Text)
    volume_horaire_hebdomadaire: Mapped[float | None] = mapped_column(Float)
    nombre_semaines: Mapped[int | None] = mapped_column(Integer)
    score_qualite: Mapped[float | None] = mapped_column(Float, index=True)

    structure: Mapped[Structure] = relationship(back_populates="services", lazy="joined")

    __table_args__ = (Index("ix_services_source_retired", "source", "retired_at"),)


#: service fields of the v1 schema, in the schema's order (API output, documents, exports).
SERVICE_FIELDS = (
    "id", "source", "structure_id", "nom", "description", "lien_source", "date_maj", "type",
    "thematiques", "frais", "frais_precisions", "publics", "publics_precisions", "conditions_acces",
    "commune", "code_postal", "code_insee", "adresse", "complement_adresse", "longitude", "latitude",
    "telephone", "courriel", "contact_nom_prenom", "modes_accueil", "zone_eligibilite",
    "lien_mobilisation", "modes_mobilisation", "mobilisable_par", "mobilisation_precisions",
    "horaires_accueil", "volume_horaire_hebdomadaire", "nombre_semaines", "score_qualite",
)
STRUCTURE_FIELDS = (
    "id", "source", "nom", "date_maj", "siret", "description", "lien_source", "site_web",
    "commune", "code_postal", "code_insee", "adresse", "complement_adresse", "longitude", "latitude",
    "telephone", "courriel", "horaires_accueil", "accessibilite_lieu", "reseaux_porteurs", "score_qualite",
)


class SourceRun(Base):
    """One ingestion run of one source: counts, timing and outcome."""

    __tablename__ = "source_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running, ok, failed
    message: Mapped[str | None] = mapped_column(Text)
    raw_path: Mapped[str | None] = mapped_column(Text)
    raw_sha256: Mapped[str | None] = mapped_column(String(64))
    read: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)


class QuarantinedRow(Base):
    """A record a source could not give us, kept with the reason and its raw text."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("source_runs.id"), index=True)
    row_number: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
from app.core import models_coordination  # noqa: E402,F401  (coordinators' tables in Base.metadata)
from app.core import models_feedback  # noqa: E402,F401  (the public's feedback on offers)
from app.core import models_metiers  # noqa: E402,F401  (métiers en tension of a territory)
