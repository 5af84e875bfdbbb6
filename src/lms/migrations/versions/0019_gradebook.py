"""gradebook: grading schemes, course-grade overrides, grade history

Revision ID: 0019_gradebook
Revises: 0018_schedules
Create Date: 2026-12-07 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lms.core.db

revision: str = '0019_gradebook'
down_revision: str | None = '0018_schedules'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('grading_schemes',
    sa.Column('course_id', sa.Uuid(), nullable=False),
    sa.Column('scheme', JSON, nullable=False),
    sa.Column('updated_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_grading_schemes_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_grading_schemes_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('course_id', name=op.f('pk_grading_schemes'))
    )
    op.create_table('grade_overrides',
    sa.Column('enrollment_id', sa.Uuid(), nullable=False),
    sa.Column('course_id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('grade', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('set_by_id', sa.Uuid(), nullable=True),
    sa.Column('set_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('grade >= 0 AND grade <= 100', name=op.f('ck_grade_overrides_grade_range')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_grade_overrides_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_grade_overrides_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_grade_overrides_set_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_grade_overrides_student_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_overrides')),
    sa.UniqueConstraint('enrollment_id', name=op.f('uq_grade_overrides_enrollment_id'))
    )
    with op.batch_alter_table('grade_overrides', schema=None) as batch_op:
        batch_op.create_index('ix_grade_overrides_course', ['course_id'], unique=False)
    op.create_table('grade_changes',
    sa.Column('enrollment_id', sa.Uuid(), nullable=False),
    sa.Column('course_id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=True),
    sa.Column('source_id', sa.Uuid(), nullable=True),
    sa.Column('before', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('after', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('changed_by_id', sa.Uuid(), nullable=True),
    sa.Column('changed_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind IN ('override_set', 'override_cleared', 'quiz_regraded', 'assignment_graded')", name=op.f('ck_grade_changes_kind_known')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_grade_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_grade_changes_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_grade_changes_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_grade_changes_student_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_changes'))
    )
    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.create_index('ix_grade_changes_enrollment_changed', ['enrollment_id', 'changed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_grade_changes_enrollment_changed')
    op.drop_table('grade_changes')
    with op.batch_alter_table('grade_overrides', schema=None) as batch_op:
        batch_op.drop_index('ix_grade_overrides_course')
    op.drop_table('grade_overrides')
    op.drop_table('grading_schemes')
