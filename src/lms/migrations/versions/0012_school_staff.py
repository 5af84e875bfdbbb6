"""course staff, cohorts, invited accounts, imports

Revision ID: 0012_school_staff
Revises: 0011_webhooks
Create Date: 2026-12-07 19:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.core.db


revision: str = '0012_school_staff'
down_revision: str | None = '0011_webhooks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An invited account has no password until its owner chooses one.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=True)
        batch_op.add_column(sa.Column('external_id', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_external_id'), ['external_id'])

    op.create_table('course_staff',
    sa.Column('course_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('co_instructor', 'assistant')", name=op.f('ck_course_staff_role_known')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_staff_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_staff_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_staff')),
    sa.UniqueConstraint('course_id', 'user_id', name=op.f('uq_course_staff_course_id_user_id'))
    )
    with op.batch_alter_table('course_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_staff_user_id'), ['user_id'], unique=False)

    op.create_table('cohorts',
    sa.Column('course_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity IS NULL OR capacity >= 0', name=op.f('ck_cohorts_capacity_not_negative')),
    sa.CheckConstraint('member_count >= 0', name=op.f('ck_cohorts_member_count_not_negative')),
    sa.CheckConstraint('capacity IS NULL OR member_count <= capacity', name=op.f('ck_cohorts_member_count_within_capacity')),
    sa.CheckConstraint('starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on', name=op.f('ck_cohorts_dates_ordered')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_cohorts_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohorts')),
    sa.UniqueConstraint('course_id', 'name', name=op.f('uq_cohorts_course_id_name'))
    )
    op.create_table('cohort_assistants',
    sa.Column('cohort_id', sa.Uuid(), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_assistants_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['course_staff.id'], name=op.f('fk_cohort_assistants_staff_id_course_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cohort_id', 'staff_id', name=op.f('pk_cohort_assistants'))
    )
    with op.batch_alter_table('cohort_assistants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohort_assistants_staff_id'), ['staff_id'], unique=False)

    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cohort_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('enrolled_by_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_enrollments_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_enrollments_cohort_id_cohorts'), 'cohorts', ['cohort_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_enrollments_enrolled_by_id_users'), 'users', ['enrolled_by_id'], ['id'], ondelete='SET NULL')


    op.create_table('import_jobs',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('course_id', sa.Uuid(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('file_key', sa.String(length=500), nullable=False),
    sa.Column('storage_provider', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', lms.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', lms.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind IN ('roster', 'users')", name=op.f('ck_import_jobs_kind_known')),
    sa.CheckConstraint("state IN ('queued', 'running', 'succeeded', 'failed')", name=op.f('ck_import_jobs_state_known')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_import_jobs_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_jobs_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs'))
    )
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_jobs_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_jobs_created_by_id'), ['created_by_id'], unique=False)
    op.create_table('import_job_errors',
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], name=op.f('fk_import_job_errors_job_id_import_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job_errors'))
    )
    with op.batch_alter_table('import_job_errors', schema=None) as batch_op:
        batch_op.create_index('ix_import_job_errors_job_line', ['job_id', 'line'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('import_job_errors', schema=None) as batch_op:
        batch_op.drop_index('ix_import_job_errors_job_line')
    op.drop_table('import_job_errors')
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_jobs_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_import_jobs_course_id'))
    op.drop_table('import_jobs')
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enrollments_enrolled_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_enrollments_cohort_id_cohorts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_enrollments_cohort_id'))
        batch_op.drop_column('enrolled_by_id')
        batch_op.drop_column('cohort_id')
    with op.batch_alter_table('cohort_assistants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohort_assistants_staff_id'))
    op.drop_table('cohort_assistants')
    op.drop_table('cohorts')
    with op.batch_alter_table('course_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_staff_user_id'))
    op.drop_table('course_staff')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_external_id'), type_='unique')
        batch_op.drop_column('external_id')
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=False)
