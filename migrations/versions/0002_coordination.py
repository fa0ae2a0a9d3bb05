"""Coordinators' space: users, login_failures (rate limiting), search_log (demand signals).

Models in ``app/core/models_coordination.py``. The demand log holds no personal data: a day (no
time), a commune, needs, scrubbed words, a result count, a radius — no IP, no user agent.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:00:00
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _missing(table: str) -> bool:
    """True unless the table is already there (a database made by ``Base.metadata.create_all``
    with these models, then stamped at the baseline ``0001`` by ``app.core.migrate``)."""
    if context.is_offline_mode():
        return True
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if _missing('users'):
        _create_users()
    if _missing('login_failures'):
        _create_login_failures()
    if _missing('search_log'):
        _create_search_log()


def _create_users() -> None:
    op.create_table(
        'users',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('session_version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_login_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_users_email', 'users', ['email'], unique=True)


def _create_login_failures() -> None:
    op.create_table(
        'login_failures',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_login_failures_key_at', 'login_failures', ['key', 'at'])


def _create_search_log() -> None:
    op.create_table(
        'search_log',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('code_commune', sa.String(length=5), nullable=True),
        sa.Column('code_departement', sa.String(length=3), nullable=True),
        sa.Column('thematiques', sa.JSON(), nullable=True),
        sa.Column('besoins_deduits', sa.JSON(), nullable=True),
        sa.Column('mots', sa.String(length=200), nullable=True),
        sa.Column('resultats', sa.Integer(), nullable=False),
        sa.Column('rayon_km', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_search_log_code_commune', 'search_log', ['code_commune'])
    op.create_index('ix_search_log_code_departement', 'search_log', ['code_departement'])
    op.create_index('ix_search_log_day', 'search_log', ['day'])


def downgrade() -> None:
    for table in ("search_log", "login_failures", "users"):
        if context.is_offline_mode() or sa.inspect(op.get_bind()).has_table(table):
            op.drop_table(table)
