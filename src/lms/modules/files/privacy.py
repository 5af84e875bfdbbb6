"""The files module's personal data: the files the person uploaded (metadata rows and
the stored objects).

Erasure deletes the person's own files (private uploads, homework handed in, an avatar)
from storage and their rows. Files attached to a lesson are course material, which
belongs to the course: they stay, uploaded by the anonymised account."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import get_settings
from lms.core.privacy import (
    ExportFile,
    PersonalDataHandler,
    document_schema,
    export_rows,
    rows_schema,
)
from lms.core.storage import get_storage
from lms.modules.files.models import UploadedFile

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _archive_name(file_id: uuid.UUID, original: str) -> str:
    name = _UNSAFE.sub("_", original).strip("._")[:100] or "file"
    return f"files/{file_id}/{name}"


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "files": await export_rows(session, UploadedFile, UploadedFile.uploader_id == account_id)
    }


async def export_files(session: AsyncSession, account_id: uuid.UUID) -> list[ExportFile]:
    rows = await session.execute(
        select(
            UploadedFile.id,
            UploadedFile.original_filename,
            UploadedFile.storage_provider,
            UploadedFile.storage_path,
        )
        .where(UploadedFile.uploader_id == account_id)
        .order_by(UploadedFile.created_at, UploadedFile.id)
    )
    return [
        ExportFile(path=_archive_name(file_id, original), storage_provider=provider, key=key)
        for file_id, original, provider, key in rows
    ]


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    settings = get_settings()
    files = await session.scalars(
        select(UploadedFile).where(
            UploadedFile.uploader_id == account_id, UploadedFile.lesson_id.is_(None)
        )
    )
    for file in files:
        # Deleted now, not after the commit: should the commit fail, the erasure runs
        # again and finds the row; an object left behind would be found by nobody.
        await get_storage(settings, file.storage_provider).delete(file.storage_path)
        await session.delete(file)
    await session.flush()


PERSONAL_DATA = PersonalDataHandler(
    module="files",
    tables=("uploaded_files",),
    export=export_personal_data,
    erase=erase_personal_data,
    files=export_files,
    schema=document_schema(
        "files",
        "The files you uploaded (name, type, size, dates); their contents are in the "
        "archive's files folder.",
        {"files": rows_schema(UploadedFile)},
    ),
    kept="Files attached to lessons (course material), uploaded by the anonymised account.",
)
