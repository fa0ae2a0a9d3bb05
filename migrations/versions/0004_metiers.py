"""Métiers en tension of a territory (coordinators' uploads): metiers_tension.

Model in ``app/core/models_metiers.py``; see docs/metiers.md. No personal data (an account id).

Revision ID: 0004_metiers
Revises: 0003_feedback
Create Date: 2026-11-24 12:00:00
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision: str = '0004_metiers'
down_revision: Union[str, Sequence[str], None] = '0003_feedback'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _missing(table: str) -> bool:
    """True unless the table is already there (a database made by ``Base.metadata.create_all``
    with these models, then stamped at the baseline ``0001`` by ``app.core.migrate``)."""
    if context.is_offline_mode():
        return True
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if not _missing('metiers_tension'):
        return
    op.create_table(
        'metiers_tension',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('territoire', sa.String(length=40), nullable=False),
        sa.Column('code_rome', sa.String(length=5), nullable=False),
        sa.Column('commentaire', sa.String(length=300), nullable=True),
        sa.Column('rang', sa.Integer(), nullable=False),
        sa.Column('ajoute_par', sa.Integer(), nullable=True),
        sa.Column('cree_le', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('territoire', 'code_rome', name='uq_metiers_tension_territoire_code'),
    )
    op.create_index('ix_metiers_tension_territoire', 'metiers_tension', ['territoire'])


def downgrade() -> None:
    if context.is_offline_mode() or sa.inspect(op.get_bind()).has_table('metiers_tension'):
        op.drop_table('metiers_tension')
