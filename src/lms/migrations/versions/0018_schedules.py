"""schedules: item dates and late policies, overrides, due-soon reminders, calendar feeds

Revision ID: 0018_schedules
Revises: 0017_audit
Create Date: 2026-12-07 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.core.db

revision: str = '0018_schedules'
down_revision: str | None = '0017_audit'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = lms.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_schedule', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('item_schedules',
    sa.Column('item_type', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('course_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('available_from', UTC, nullable=True),
    sa.Column('due_at', UTC, nullable=True),
    sa.Column('available_until', UTC, nullable=True),
    sa.Column('late_policy', sa.String(length=20), nullable=False),
    sa.Column('penalty_percent_per_day', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('penalty_floor_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.CheckConstraint("item_type IN ('quiz', 'assignment')", name=op.f('ck_item_schedules_item_type_known')),
    sa.CheckConstraint("late_policy IN ('accept', 'penalty', 'refuse')", name=op.f('ck_item_schedules_late_policy_known')),
    sa.CheckConstraint('available_from IS NULL OR due_at IS NULL OR available_from <= due_at', name=op.f('ck_item_schedules_opens_before_due')),
    sa.CheckConstraint('due_at IS NULL OR available_until IS NULL OR due_at <= available_until', name=op.f('ck_item_schedules_due_before_close')),
    sa.CheckConstraint('available_from IS NULL OR available_until IS NULL OR available_from < available_until', name=op.f('ck_item_schedules_opens_before_close')),
    sa.CheckConstraint("late_policy <> 'penalty' OR penalty_percent_per_day IS NOT NULL", name=op.f('ck_item_schedules_penalty_has_rate')),
    sa.CheckConstraint('penalty_percent_per_day IS NULL OR (penalty_percent_per_day > 0 AND penalty_percent_per_day <= 100)', name=op.f('ck_item_schedules_penalty_rate_range')),
    sa.CheckConstraint('penalty_floor_percent >= 0 AND penalty_floor_percent <= 100', name=op.f('ck_item_schedules_penalty_floor_range')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_item_schedules_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_schedules')),
    sa.UniqueConstraint('item_type', 'item_id', name=op.f('uq_item_schedules_item_type_item_id'))
    )
    op.create_index('ix_item_schedules_course', 'item_schedules', ['course_id'], unique=False)
    op.create_index('ix_item_schedules_due_at', 'item_schedules', ['due_at'], unique=False)
    op.create_table('schedule_overrides',
    sa.Column('schedule_id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=True),
    sa.Column('cohort_id', sa.Uuid(), nullable=True),
    sa.Column('available_from', UTC, nullable=True),
    sa.Column('due_at', UTC, nullable=True),
    sa.Column('available_until', UTC, nullable=True),
    sa.Column('max_attempts', sa.Integer(), nullable=True),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.CheckConstraint('(student_id IS NULL) <> (cohort_id IS NULL)', name=op.f('ck_schedule_overrides_one_student_or_cohort')),
    sa.CheckConstraint('max_attempts IS NULL OR max_attempts > 0', name=op.f('ck_schedule_overrides_max_attempts_positive')),
    sa.CheckConstraint('time_limit_minutes IS NULL OR time_limit_minutes > 0', name=op.f('ck_schedule_overrides_time_limit_positive')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_schedule_overrides_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['item_schedules.id'], name=op.f('fk_schedule_overrides_schedule_id_item_schedules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_schedule_overrides_student_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_overrides')),
    sa.UniqueConstraint('schedule_id', 'cohort_id', name=op.f('uq_schedule_overrides_schedule_id_cohort_id')),
    sa.UniqueConstraint('schedule_id', 'student_id', name=op.f('uq_schedule_overrides_schedule_id_student_id'))
    )
    op.create_index(op.f('ix_schedule_overrides_cohort_id'), 'schedule_overrides', ['cohort_id'], unique=False)
    op.create_index(op.f('ix_schedule_overrides_student_id'), 'schedule_overrides', ['student_id'], unique=False)
    op.create_table('due_reminders',
    sa.Column('schedule_id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('due_at', UTC, nullable=False),
    sa.Column('sent_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['item_schedules.id'], name=op.f('fk_due_reminders_schedule_id_item_schedules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_due_reminders_student_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('schedule_id', 'student_id', name=op.f('pk_due_reminders'))
    )
    op.create_table('calendar_feeds',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token', name=op.f('uq_calendar_feeds_token'))
    )


def downgrade() -> None:
    op.drop_table('calendar_feeds')
    op.drop_table('due_reminders')
    op.drop_index(op.f('ix_schedule_overrides_student_id'), table_name='schedule_overrides')
    op.drop_index(op.f('ix_schedule_overrides_cohort_id'), table_name='schedule_overrides')
    op.drop_table('schedule_overrides')
    op.drop_index('ix_item_schedules_due_at', table_name='item_schedules')
    op.drop_index('ix_item_schedules_course', table_name='item_schedules')
    op.drop_table('item_schedules')
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('has_schedule')
