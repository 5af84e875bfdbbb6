"""accounts' time zone and locale; late marks on quiz attempts and assignment submissions

Revision ID: 0013_time_zone_and_lateness
Revises: 0012_school_staff
Create Date: 2026-12-07 22:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013_time_zone_and_lateness'
down_revision: str | None = '0012_school_staff'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False))
        batch_op.add_column(sa.Column('locale', sa.String(length=10), nullable=True))
    for table in ('quiz_attempts', 'assignment_submissions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('is_late', sa.Boolean(), server_default=sa.false(), nullable=False))
            batch_op.add_column(sa.Column('late_penalty_percent', sa.Numeric(precision=5, scale=2), nullable=True))


def downgrade() -> None:
    for table in ('assignment_submissions', 'quiz_attempts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('late_penalty_percent')
            batch_op.drop_column('is_late')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
        batch_op.drop_column('time_zone')
