"""The imports module's personal data: the import jobs the person started, the refused
lines that name their email, and the lines of stored import files that hold it.

Erasure redacts the refused lines that name the person (email and reason) and replaces
each line of a stored import file that holds their email with ``[erased]`` (the line
count stays, so the job's line numbers and a resumed run still hold). The jobs the
person started stay (counts and states, no personal data), started by the anonymised
account."""

from __future__ import annotations

import tempfile
import uuid
from typing import IO, Any

import anyio
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import get_settings
from lms.core.privacy import (
    REDACTED,
    PersonalDataHandler,
    document_schema,
    export_rows,
    rows_schema,
)
from lms.core.storage import ObjectNotFound, get_storage
from lms.modules import users
from lms.modules.imports.models import ImportJob, ImportJobError

READ_SIZE = 1024 * 1024


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    person = await users.get_user_summary(session, account_id)
    email = person.email.lower() if person else ""
    return {
        "import_jobs": await export_rows(session, ImportJob, ImportJob.created_by_id == account_id),
        "refused_lines": await export_rows(
            session, ImportJobError, func.lower(ImportJobError.email) == email
        ),
    }


def _redact_lines(source: IO[bytes], target: IO[bytes], needle: bytes) -> bool:
    changed = False
    source.seek(0)
    for line in source:
        if needle in line.lower():
            ending = b"\r\n" if line.endswith(b"\r\n") else b"\n" if line.endswith(b"\n") else b""
            line = REDACTED.encode() + ending
            changed = True
        target.write(line)
    target.seek(0)
    return changed


async def _redact_file(provider: str, key: str, email: str) -> None:
    storage = get_storage(get_settings(), provider)
    with tempfile.TemporaryFile() as original, tempfile.TemporaryFile() as redacted:
        try:
            async for chunk in await storage.open_stream(key):
                await anyio.to_thread.run_sync(original.write, chunk)
        except ObjectNotFound:
            return
        changed = await anyio.to_thread.run_sync(
            _redact_lines, original, redacted, email.lower().encode()
        )
        if not changed:
            return

        async def chunks() -> Any:
            while block := await anyio.to_thread.run_sync(redacted.read, READ_SIZE):
                yield block

        await storage.put_stream(key, chunks(), content_type="text/csv")


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    person = await users.get_user_summary(session, account_id)
    if person is None or person.erased:
        return
    await session.execute(
        update(ImportJobError)
        .where(func.lower(ImportJobError.email) == person.email.lower())
        .values(email=None, reason=REDACTED)
        .execution_options(synchronize_session=False)
    )
    jobs = await session.execute(select(ImportJob.storage_provider, ImportJob.file_key))
    for provider, key in jobs:
        await _redact_file(provider, key, person.email)


PERSONAL_DATA = PersonalDataHandler(
    module="imports",
    tables=("import_jobs", "import_job_errors"),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "imports",
        "The import jobs you started, and the refused lines of imports that name your email.",
        {
            "import_jobs": rows_schema(ImportJob),
            "refused_lines": rows_schema(ImportJobError),
        },
    ),
    kept="Import jobs' counts and states, started by the anonymised account.",
)
