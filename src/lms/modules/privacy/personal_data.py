"""The privacy module's own personal data: the person's data exports and erasure
requests.

Erasure deletes the export archives (they hold everything) and their rows. Erasure
requests stay, with the person's email and name redacted from an admin's reason: they
are the record that the erasure was asked for and carried out, and when."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import get_settings
from lms.core.privacy import (
    PersonalDataHandler,
    document_schema,
    export_rows,
    redact,
    rows_schema,
)
from lms.core.storage import get_storage
from lms.modules import users
from lms.modules.privacy.models import DataExport, ErasureRequest

EXPORT_INTERNALS = ("storage_provider", "storage_key")


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "data_exports": await export_rows(
            session, DataExport, DataExport.account_id == account_id, omit=EXPORT_INTERNALS
        ),
        "erasure_requests": await export_rows(
            session, ErasureRequest, ErasureRequest.account_id == account_id
        ),
    }


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    settings = get_settings()
    for export in await session.scalars(
        select(DataExport).where(DataExport.account_id == account_id)
    ):
        if export.storage_key is not None:
            await get_storage(settings, export.storage_provider).delete(export.storage_key)
        await session.delete(export)
    person = await users.get_user_summary(session, account_id)
    if person is not None and not person.erased:
        for request in await session.scalars(
            select(ErasureRequest).where(
                ErasureRequest.account_id == account_id, ErasureRequest.reason.is_not(None)
            )
        ):
            request.reason = redact(request.reason, [person.email, person.full_name])
    await session.flush()


PERSONAL_DATA = PersonalDataHandler(
    module="privacy",
    tables=("data_exports", "erasure_requests"),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "privacy",
        "Your data exports and erasure requests.",
        {
            "data_exports": rows_schema(DataExport, omit=EXPORT_INTERNALS),
            "erasure_requests": rows_schema(ErasureRequest),
        },
    ),
    kept="Erasure requests (dates, state, the admin's reason without the person's name): "
    "the record that the erasure happened.",
)
