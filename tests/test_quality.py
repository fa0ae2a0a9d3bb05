"""The fast quality score equals data·inclusion's own computation, on every bundled service."""
from __future__ import annotations

from sqlalchemy import select

from app.core.db import session_scope
from app.core.models import SERVICE_FIELDS, Service
from indexer.quality import reference_score, service_score


def test_same_score_as_the_schema_package_on_real_services(settings, ingested):
    with session_scope(settings.database_url) as session:
        services = session.scalars(select(Service)).all()
        assert len(services) > 5000
        for service in services:
            fields = {k: getattr(service, k) for k in SERVICE_FIELDS}
            ours, our_details = service_score(fields)
            theirs, their_details = reference_score(fields)
            assert ours == theirs, (service.id, our_details, their_details)
            assert our_details == their_details
            assert service.score_qualite == ours


def test_criteria_edge_cases():
    base = {"source": "x", "description": "d" * 250, "date_maj": None, "publics": ["jeunes"],
            "thematiques": ["numerique--acceder-a-une-connexion-internet"]}
    for extra in ({}, {"frais": "payant"}, {"frais": "payant", "frais_precisions": "5 €"},
                  {"modes_mobilisation": ["telephoner"]}, {"mobilisable_par": ["usagers"]},
                  {"modes_accueil": ["en-presentiel"], "adresse": "1 rue"}, {"description": "court"},
                  {"description": "x" * 3000}, {"source": "france-travail"}):
        fields = {**base, **extra}
        assert service_score(fields) == reference_score(fields), extra
