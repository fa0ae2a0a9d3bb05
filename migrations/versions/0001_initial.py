"""Initial schema: structures, services (data·inclusion v1), source_runs, quarantine.

Exactly what ``Base.metadata.create_all`` made before migrations existed (databases made that
way are stamped at this revision by ``app.core.migrate.upgrade_database``). Multi-valued fields
are JSON (``json`` on PostgreSQL) so the same tables serve SQLite and PostgreSQL.

Revision ID: 0001
Revises: —
Create Date: 2026-11-23 13:04:57.597446
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'source_runs',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('source', sa.String(length=100), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('raw_path', sa.Text(), nullable=True),
        sa.Column('raw_sha256', sa.String(length=64), nullable=True),
        sa.Column('read', sa.Integer(), nullable=False),
        sa.Column('new', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('unchanged', sa.Integer(), nullable=False),
        sa.Column('retired', sa.Integer(), nullable=False),
        sa.Column('quarantined', sa.Integer(), nullable=False),
        sa.Column('duration_s', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_source_runs_source', 'source_runs', ['source'])

    op.create_table(
        'structures',
        sa.Column('id', sa.String(length=1000), nullable=False),
        sa.Column('source', sa.String(length=100), nullable=False),
        sa.Column('nom', sa.String(length=300), nullable=False),
        sa.Column('date_maj', sa.Date(), nullable=True),
        sa.Column('siret', sa.String(length=14), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('site_web', sa.String(length=2083), nullable=True),
        sa.Column('accessibilite_lieu', sa.String(length=2083), nullable=True),
        sa.Column('reseaux_porteurs', sa.JSON(), nullable=True),
        sa.Column('score_qualite', sa.Float(), nullable=True),
        sa.Column('cluster_id', sa.String(length=1000), nullable=True),
        sa.Column('adresse', sa.Text(), nullable=True),
        sa.Column('complement_adresse', sa.Text(), nullable=True),
        sa.Column('commune', sa.String(length=200), nullable=True),
        sa.Column('code_postal', sa.String(length=5), nullable=True),
        sa.Column('code_insee', sa.String(length=5), nullable=True),
        sa.Column('latitude', sa.Float(), nullable=True),
        sa.Column('longitude', sa.Float(), nullable=True),
        sa.Column('telephone', sa.String(length=40), nullable=True),
        sa.Column('courriel', sa.String(length=320), nullable=True),
        sa.Column('horaires_accueil', sa.Text(), nullable=True),
        sa.Column('lien_source', sa.String(length=2083), nullable=True),
        sa.Column('content_hash', sa.String(length=64), nullable=True),
        sa.Column('first_seen', sa.DateTime(), nullable=False),
        sa.Column('last_seen', sa.DateTime(), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.Column('geo_precision', sa.String(length=20), nullable=True),
        sa.Column('extra', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_structures_cluster_id', 'structures', ['cluster_id'])
    op.create_index('ix_structures_code_insee', 'structures', ['code_insee'])
    op.create_index('ix_structures_retired_at', 'structures', ['retired_at'])
    op.create_index('ix_structures_siret', 'structures', ['siret'])
    op.create_index('ix_structures_source', 'structures', ['source'])

    op.create_table(
        'quarantine',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('source', sa.String(length=100), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('row_number', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('raw', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['source_runs.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_quarantine_run_id', 'quarantine', ['run_id'])
    op.create_index('ix_quarantine_source', 'quarantine', ['source'])

    op.create_table(
        'services',
        sa.Column('id', sa.String(length=1000), nullable=False),
        sa.Column('source', sa.String(length=100), nullable=False),
        sa.Column('structure_id', sa.String(length=1000), nullable=False),
        sa.Column('nom', sa.String(length=300), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('date_maj', sa.Date(), nullable=True),
        sa.Column('type', sa.String(length=40), nullable=True),
        sa.Column('thematiques', sa.JSON(), nullable=True),
        sa.Column('frais', sa.String(length=20), nullable=True),
        sa.Column('frais_precisions', sa.Text(), nullable=True),
        sa.Column('publics', sa.JSON(), nullable=True),
        sa.Column('publics_precisions', sa.Text(), nullable=True),
        sa.Column('conditions_acces', sa.Text(), nullable=True),
        sa.Column('contact_nom_prenom', sa.String(length=200), nullable=True),
        sa.Column('modes_accueil', sa.JSON(), nullable=True),
        sa.Column('zone_eligibilite', sa.JSON(), nullable=True),
        sa.Column('lien_mobilisation', sa.String(length=2083), nullable=True),
        sa.Column('modes_mobilisation', sa.JSON(), nullable=True),
        sa.Column('mobilisable_par', sa.JSON(), nullable=True),
        sa.Column('mobilisation_precisions', sa.Text(), nullable=True),
        sa.Column('volume_horaire_hebdomadaire', sa.Float(), nullable=True),
        sa.Column('nombre_semaines', sa.Integer(), nullable=True),
        sa.Column('score_qualite', sa.Float(), nullable=True),
        sa.Column('adresse', sa.Text(), nullable=True),
        sa.Column('complement_adresse', sa.Text(), nullable=True),
        sa.Column('commune', sa.String(length=200), nullable=True),
        sa.Column('code_postal', sa.String(length=5), nullable=True),
        sa.Column('code_insee', sa.String(length=5), nullable=True),
        sa.Column('latitude', sa.Float(), nullable=True),
        sa.Column('longitude', sa.Float(), nullable=True),
        sa.Column('telephone', sa.String(length=40), nullable=True),
        sa.Column('courriel', sa.String(length=320), nullable=True),
        sa.Column('horaires_accueil', sa.Text(), nullable=True),
        sa.Column('lien_source', sa.String(length=2083), nullable=True),
        sa.Column('content_hash', sa.String(length=64), nullable=True),
        sa.Column('first_seen', sa.DateTime(), nullable=False),
        sa.Column('last_seen', sa.DateTime(), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.Column('geo_precision', sa.String(length=20), nullable=True),
        sa.Column('extra', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['structure_id'], ['structures.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_services_code_insee', 'services', ['code_insee'])
    op.create_index('ix_services_retired_at', 'services', ['retired_at'])
    op.create_index('ix_services_score_qualite', 'services', ['score_qualite'])
    op.create_index('ix_services_source', 'services', ['source'])
    op.create_index('ix_services_source_retired', 'services', ['source', 'retired_at'])
    op.create_index('ix_services_structure_id', 'services', ['structure_id'])


def downgrade() -> None:
    # dropping a table drops its indexes; children before parents (foreign keys)
    for table in ("services", "quarantine", "structures", "source_runs"):
        op.drop_table(table)
