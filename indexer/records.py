"""What a connector hands to the run: plain v1-shaped records, before normalisation."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable


class RecordError(ValueError):
    """A record that cannot become an offer; its message is the quarantine reason (in French)."""


class UnreadableInput(Exception):
    """The whole input is not of the connector's format (empty, binary, wrong structure)."""


@dataclass
class RawRecord:
    """One record as read from the source, with its position and raw text for the quarantine."""

    row_number: int | None
    data: Any
    #: the record as read, or a function returning it (computed only if the record is quarantined)
    raw_text: str | Callable[[], str] | None = None

    def raw(self) -> str | None:
        return self.raw_text() if callable(self.raw_text) else self.raw_text


@dataclass
class StructureRecord:
    """A structure in schema v1 terms; ``local_id`` is the producer's id (our id adds the source)."""

    local_id: str
    nom: str
    date_maj: dt.date | None = None
    siret: str | None = None
    description: str | None = None
    adresse: str | None = None
    complement_adresse: str | None = None
    commune: str | None = None
    code_postal: str | None = None
    code_insee: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    telephone: str | None = None
    courriel: str | None = None
    site_web: str | None = None
    lien_source: str | None = None
    horaires_accueil: str | None = None
    accessibilite_lieu: str | None = None
    reseaux_porteurs: list[str] | None = None
    extra: dict[str, Any] | None = None


@dataclass
class ServiceRecord:
    """A service in schema v1 terms. Address fields left empty fall back to the structure's."""

    local_id: str
    nom: str
    description: str | None = None
    date_maj: dt.date | None = None
    type: str | None = None
    thematiques: list[str] = field(default_factory=list)
    frais: str | None = None
    frais_precisions: str | None = None
    publics: list[str] | None = None
    publics_precisions: str | None = None
    conditions_acces: str | None = None
    adresse: str | None = None
    complement_adresse: str | None = None
    commune: str | None = None
    code_postal: str | None = None
    code_insee: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    telephone: str | None = None
    courriel: str | None = None
    contact_nom_prenom: str | None = None
    modes_accueil: list[str] | None = None
    zone_eligibilite: list[str] | None = None
    lien_source: str | None = None
    lien_mobilisation: str | None = None
    modes_mobilisation: list[str] | None = None
    mobilisable_par: list[str] | None = None
    mobilisation_precisions: str | None = None
    horaires_accueil: str | None = None
    volume_horaire_hebdomadaire: float | None = None
    nombre_semaines: int | None = None
    #: kind-specific facts kept and shown (training sessions, ROME codes, places…)
    extra: dict[str, Any] | None = None


@dataclass
class Offer:
    """One structure with its services: what ``Connector.to_offer`` returns for a record."""

    structure: StructureRecord
    services: list[ServiceRecord] = field(default_factory=list)
