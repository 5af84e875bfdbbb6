from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.pagination import paginate
from lms.modules.files.models import UploadedFile
from lms.modules.files.schemas import FileFilters


async def get(session: AsyncSession, file_id: uuid.UUID) -> UploadedFile | None:
    return await session.get(UploadedFile, file_id)


def filtered(filters: FileFilters) -> Select[UploadedFile]:
    stmt = select(UploadedFile)
    if filters.uploader_id is not None:
        stmt = stmt.where(UploadedFile.uploader_id == filters.uploader_id)
    if filters.folder is not None:
        stmt = stmt.where(UploadedFile.folder == filters.folder)
    if filters.file_type is not None:
        stmt = stmt.where(UploadedFile.file_type == filters.file_type)
    if filters.lesson_id is not None:
        stmt = stmt.where(UploadedFile.lesson_id == filters.lesson_id)
    if filters.is_public is not None:
        stmt = stmt.where(UploadedFile.is_public == filters.is_public)
    return stmt


async def page(
    session: AsyncSession,
    filters: FileFilters,
    *,
    offset: int,
    limit: int,
    visible_to_uploader: uuid.UUID | None = None,
) -> tuple[list[UploadedFile], int]:
    stmt = filtered(filters)
    if visible_to_uploader is not None:
        stmt = stmt.where(UploadedFile.uploader_id == visible_to_uploader)
    statement = stmt.order_by(UploadedFile.created_at.desc(), UploadedFile.id)
    return await paginate(session, statement, offset=offset, limit=limit)
