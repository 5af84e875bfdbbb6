"""drip release: lesson unlock dates, prerequisites, courses taken in order

Revision ID: 0014_drip
Revises: 0013_time_zone_and_lateness
Create Date: 2026-12-07 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.core.db


revision: str = '0014_drip'
down_revision: str | None = '0013_time_zone_and_lateness'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lessons_in_order', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unlock_at', lms.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('unlock_after_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('unlock_relative_to', sa.String(length=20), server_default='enrollment', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_lessons_one_unlock_date_rule'), 'unlock_at IS NULL OR unlock_after_days IS NULL')
        batch_op.create_check_constraint(batch_op.f('ck_lessons_unlock_after_days_range'), 'unlock_after_days IS NULL OR unlock_after_days BETWEEN 0 AND 3650')
        batch_op.create_check_constraint(batch_op.f('ck_lessons_unlock_relative_to_known'), "unlock_relative_to IN ('enrollment', 'cohort_start')")

    op.create_table('lesson_prerequisites',
    sa.Column('lesson_id', sa.Uuid(), nullable=False),
    sa.Column('prerequisite_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('lesson_id <> prerequisite_id', name=op.f('ck_lesson_prerequisites_not_own_prerequisite')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_prerequisites_lesson_id_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['prerequisite_id'], ['lessons.id'], name=op.f('fk_lesson_prerequisites_prerequisite_id_lessons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lesson_id', 'prerequisite_id', name=op.f('pk_lesson_prerequisites'))
    )
    with op.batch_alter_table('lesson_prerequisites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_prerequisites_prerequisite_id'), ['prerequisite_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lesson_prerequisites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_prerequisites_prerequisite_id'))
    op.drop_table('lesson_prerequisites')

    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_lessons_unlock_relative_to_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_lessons_unlock_after_days_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_lessons_one_unlock_date_rule'), type_='check')
        batch_op.drop_column('unlock_relative_to')
        batch_op.drop_column('unlock_after_days')
        batch_op.drop_column('unlock_at')

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('lessons_in_order')
