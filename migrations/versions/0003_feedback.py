"""The public's feedback on offers: service_feedback, error_reports, feedback_hits (rate limiting).

Models in ``app/core/models_feedback.py``. No personal data: a day (no time), yes/no answers,
scrubbed free text; the rate limit keeps a keyed hash of the client address for its window only.

Revision ID: 0003_feedback
Revises: 0002
Create Date: 2026-11-24 10:00:00
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision: str = '0003_feedback'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("service_feedback", "error_reports", "feedback_hits")


def _missing(table: str) -> bool:
    """True unless the table is already there (a database made by ``Base.metadata.create_all``
    with these models, then stamped at the baseline ``0001`` by ``app.core.migrate``)."""
    if context.is_offline_mode():
        return True
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if _missing('service_feedback'):
        op.create_table(
            'service_feedback',
            sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
            sa.Column('service_id', sa.String(length=1000), nullable=False),
            sa.Column('day', sa.Date(), nullable=False),
            sa.Column('useful', sa.Boolean(), nullable=True),
            sa.Column('accurate', sa.Boolean(), nullable=True),
            sa.Column('comment', sa.String(length=1000), nullable=True),
            sa.Column('comment_status', sa.String(length=20), nullable=True),
            sa.Column('moderated_at', sa.DateTime(), nullable=True),
            sa.Column('moderated_by', sa.Integer(), nullable=True),
            sa.PrimaryKeyConstraint('id')
        )
        op.create_index('ix_service_feedback_service_id', 'service_feedback', ['service_id'])
        op.create_index('ix_service_feedback_day', 'service_feedback', ['day'])
        op.create_index('ix_service_feedback_comment_status', 'service_feedback', ['comment_status'])
    if _missing('error_reports'):
        op.create_table(
            'error_reports',
            sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
            sa.Column('service_id', sa.String(length=1000), nullable=False),
            sa.Column('day', sa.Date(), nullable=False),
            sa.Column('category', sa.String(length=40), nullable=False),
            sa.Column('text', sa.String(length=2000), nullable=False),
            sa.Column('status', sa.String(length=20), nullable=False),
            sa.Column('moderated_at', sa.DateTime(), nullable=True),
            sa.Column('moderated_by', sa.Integer(), nullable=True),
            sa.PrimaryKeyConstraint('id')
        )
        op.create_index('ix_error_reports_service_id', 'error_reports', ['service_id'])
        op.create_index('ix_error_reports_day', 'error_reports', ['day'])
        op.create_index('ix_error_reports_status', 'error_reports', ['status'])
    if _missing('feedback_hits'):
        op.create_table(
            'feedback_hits',
            sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
            sa.Column('key', sa.String(length=64), nullable=False),
            sa.Column('at', sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint('id')
        )
        op.create_index('ix_feedback_hits_key_at', 'feedback_hits', ['key', 'at'])


def downgrade() -> None:
    for table in reversed(TABLES):
        if context.is_offline_mode() or sa.inspect(op.get_bind()).has_table(table):
            op.drop_table(table)
