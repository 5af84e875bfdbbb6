"""accounts found by email without case through an index (bulk roster imports)

Revision ID: 0016_imports_bulk
Revises: 0015_privacy
Create Date: 2026-12-07 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016_imports_bulk'
down_revision: str | None = '0015_privacy'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_users_email_lower', 'users', [sa.text('lower(email)')], unique=False)


def downgrade() -> None:
    op.drop_index('ix_users_email_lower', table_name='users')
