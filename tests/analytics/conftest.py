from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.analytics.dataset import DataSet, build
from tests.factories.accounts import Account, AccountFactory


@pytest.fixture
async def dataset(
    db: AsyncSession,
    make_account: AccountFactory,
    instructor: Account,
    other_instructor: Account,
    admin: Account,
) -> DataSet:
    return await build(
        db, make_account, instructor=instructor, other_instructor=other_instructor, admin=admin
    )
