"""audit log (append-only on PostgreSQL)

Revision ID: 0017_audit
Revises: 0016_imports_bulk
Create Date: 2026-12-07 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lms.core.db


revision: str = '0017_audit'
down_revision: str | None = '0016_imports_bulk'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# On PostgreSQL the table is append-only: UPDATE, DELETE and TRUNCATE raise unless the
# transaction has set lms.audit_maintenance to 'on' (SET LOCAL, which ends with the
# transaction): only the retention job and erasure of client addresses do.
_GUARD = ("""
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('lms.audit_maintenance', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF TG_OP = 'TRUNCATE' THEN
            RETURN NULL;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
""", """
CREATE TRIGGER audit_entries_append_only
    BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()
""", """
CREATE TRIGGER audit_entries_no_truncate
    BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()
""")


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('occurred_at', lms.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('acting_for_id', sa.Uuid(), nullable=True),
    sa.Column('context', sa.String(length=10), nullable=False),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('request_id', sa.String(length=128), nullable=True),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('target_type', sa.String(length=50), nullable=False),
    sa.Column('target_id', sa.Uuid(), nullable=True),
    sa.Column('course_id', sa.Uuid(), nullable=True),
    sa.Column('change', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("context IN ('user', 'act_as', 'system')", name=op.f('ck_audit_entries_context_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_occurred_at_id', ['occurred_at', 'id'], unique=False)
        batch_op.create_index('ix_audit_entries_course_id_occurred_at', ['course_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_audit_entries_actor_id_occurred_at', ['actor_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_audit_entries_acting_for_id', ['acting_for_id'], unique=False)
        batch_op.create_index('ix_audit_entries_target', ['target_type', 'target_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for statement in _GUARD:  # one statement at a time (asyncpg prepares each)
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries')
        op.execute('DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries')
        op.execute('DROP FUNCTION IF EXISTS audit_entries_append_only()')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_target')
        batch_op.drop_index('ix_audit_entries_acting_for_id')
        batch_op.drop_index('ix_audit_entries_actor_id_occurred_at')
        batch_op.drop_index('ix_audit_entries_course_id_occurred_at')
        batch_op.drop_index('ix_audit_entries_occurred_at_id')

    op.drop_table('audit_entries')
