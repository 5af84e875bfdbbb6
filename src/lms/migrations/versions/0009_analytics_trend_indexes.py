"""analytics trend indexes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 14:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.create_index('ix_enrollments_course_enrolled', ['course_id', 'enrolled_at'], unique=False)
        batch_op.create_index('ix_enrollments_course_completed', ['course_id', 'completed_at'], unique=False, sqlite_where=sa.text('completed_at IS NOT NULL'), postgresql_where=sa.text('completed_at IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_index('ix_enrollments_course_completed', sqlite_where=sa.text('completed_at IS NOT NULL'), postgresql_where=sa.text('completed_at IS NOT NULL'))
        batch_op.drop_index('ix_enrollments_course_enrolled')
