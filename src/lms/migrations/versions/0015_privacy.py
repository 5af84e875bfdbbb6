"""personal data: exports, erasure requests, erased accounts

Revision ID: 0015_privacy
Revises: 0014_drip
Create Date: 2026-12-07 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.core.db


revision: str = '0015_privacy'
down_revision: str | None = '0014_drip'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', lms.core.db.UTCDateTime(timezone=True), nullable=True))

    op.create_table('data_exports',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('requested_by_id', sa.Uuid(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('storage_provider', sa.String(length=20), nullable=True),
    sa.Column('storage_key', sa.String(length=500), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('created_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', lms.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', lms.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("state IN ('queued', 'running', 'ready', 'expired')", name=op.f('ck_data_exports_state_known')),
    sa.ForeignKeyConstraint(['account_id'], ['users.id'], name=op.f('fk_data_exports_account_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_data_exports_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports'))
    )
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_exports_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_data_exports_state_expires', ['state', 'expires_at'], unique=False)

    op.create_table('erasure_requests',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('requested_by_id', sa.Uuid(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('requested_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', lms.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', lms.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("state IN ('scheduled', 'cancelled', 'completed')", name=op.f('ck_erasure_requests_state_known')),
    sa.ForeignKeyConstraint(['account_id'], ['users.id'], name=op.f('fk_erasure_requests_account_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_erasure_requests_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_requests'))
    )
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_requests_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_erasure_requests_state_due', ['state', 'due_at'], unique=False)
        batch_op.create_index('uq_erasure_requests_one_scheduled', ['account_id'], unique=True, sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'"))


def downgrade() -> None:
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_erasure_requests_one_scheduled', sqlite_where=sa.text("state = 'scheduled'"), postgresql_where=sa.text("state = 'scheduled'"))
        batch_op.drop_index('ix_erasure_requests_state_due')
        batch_op.drop_index(batch_op.f('ix_erasure_requests_account_id'))
    op.drop_table('erasure_requests')
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.drop_index('ix_data_exports_state_expires')
        batch_op.drop_index(batch_op.f('ix_data_exports_account_id'))
    op.drop_table('data_exports')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
