"""Files: who may read, attach and delete files, and their records. Other modules use
the package's surface (and ``lms.core.storage`` for raw objects), never the table.

Access: public files for anyone; private files for their uploader and admins, and for
whoever another module vouches for when asked (``FileReadAsked``: the enrollments
module admits the students of the course of a file's ``lesson_id``, the assignments
module the grader of handed-in work). Everyone else is told 404. Attaching a file to a
lesson is for admins and for the instructors the courses module vouches for
(``LessonAttachmentAsked``)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.config import Settings
from lms.core.deps import Principal
from lms.core.errors import Conflict, Forbidden, NotFound
from lms.core.session import run_after_commit
from lms.core.storage import Storage, get_storage, new_object_key, sanitize_folder
from lms.modules.files import formats, repository
from lms.modules.files.events import FileReadAsked, LessonAttachmentAsked
from lms.modules.files.models import UploadedFile
from lms.modules.files.schemas import FileFilters, FileSummary

log = logging.getLogger("lms.files")

DOWNLOAD_PATH = "/api/v1/files/{file_id}/download"


class FileNotFound(NotFound):
    code = "file_not_found"
    detail = "No file with this id."


class LessonAttachmentForbidden(Forbidden):
    code = "lesson_attachment_forbidden"
    detail = "Only instructors and admins attach files to lessons."


def file_summary_of(file: UploadedFile) -> FileSummary:
    return FileSummary(
        id=file.id,
        uploader_id=file.uploader_id,
        original_filename=file.original_filename,
        file_type=file.file_type,
        mime_type=file.mime_type,
        file_size=file.file_size,
        is_public=file.is_public,
        lesson_id=file.lesson_id,
    )


def can_manage(principal: Principal | None, file: UploadedFile) -> bool:
    return principal is not None and (principal.is_admin or file.uploader_id == principal.id)


async def can_read(session: AsyncSession, principal: Principal | None, file: UploadedFile) -> bool:
    if file.is_public or can_manage(principal, file):
        return True
    if principal is None:
        return False
    return await events.ask(
        session, FileReadAsked(principal=principal, file_id=file.id, lesson_id=file.lesson_id)
    )


async def load_file_or_raise(session: AsyncSession, file_id: uuid.UUID) -> UploadedFile:
    file = await repository.get(session, file_id)
    if file is None:
        raise FileNotFound()
    return file


async def load_readable_file_or_raise(
    session: AsyncSession, *, principal: Principal | None, file_id: uuid.UUID
) -> UploadedFile:
    """The file if the caller may read it; 404 otherwise (its existence is not revealed)."""
    file = await load_file_or_raise(session, file_id)
    if not await can_read(session, principal, file):
        raise FileNotFound()
    return file


async def get_readable_file_or_raise(
    session: AsyncSession, *, principal: Principal | None, file_id: uuid.UUID
) -> FileSummary:
    """The file if the caller may read it, as other modules see it; 404 otherwise."""
    return file_summary_of(
        await load_readable_file_or_raise(session, principal=principal, file_id=file_id)
    )


async def load_manageable_file_or_raise(
    session: AsyncSession, *, principal: Principal, file_id: uuid.UUID
) -> UploadedFile:
    """The file if the caller uploaded it or is an admin; 403 if they may only read it,
    404 if they may not even see it."""
    file = await load_readable_file_or_raise(session, principal=principal, file_id=file_id)
    if not can_manage(principal, file):
        raise Forbidden("Only the uploader or an admin may change this file.", code="not_uploader")
    return file


async def check_lesson_attachment(
    session: AsyncSession, *, principal: Principal, lesson_id: uuid.UUID
) -> None:
    """Admins attach files to any lesson; an instructor to the lessons another module
    vouches for (404 for any other lesson); anyone else is refused (403)."""
    if principal.is_admin:
        return
    if principal.role != "instructor":
        raise LessonAttachmentForbidden()
    if not await events.ask(
        session, LessonAttachmentAsked(principal=principal, lesson_id=lesson_id)
    ):
        raise NotFound(
            "No lesson with this id that you may attach files to.", code="lesson_not_found"
        )


async def list_files(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: FileFilters,
    offset: int,
    limit: int,
) -> tuple[list[UploadedFile], int]:
    """Admins see every file; everyone else sees the files they uploaded (the filters
    narrow that further)."""
    return await repository.page(
        session,
        filters,
        offset=offset,
        limit=limit,
        visible_to_uploader=None if principal.is_admin else principal.id,
    )


async def list_my_files(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: FileFilters,
    offset: int,
    limit: int,
) -> tuple[list[UploadedFile], int]:
    """The files the caller uploaded, admins included."""
    return await repository.page(
        session, filters, offset=offset, limit=limit, visible_to_uploader=principal.id
    )


async def record_file(
    session: AsyncSession,
    *,
    file_id: uuid.UUID,
    uploader_id: uuid.UUID,
    storage: Storage,
    key: str,
    original_filename: str,
    extension: str,
    size: int,
    folder: str,
    is_public: bool,
    lesson_id: uuid.UUID | None,
) -> UploadedFile:
    """The row for an object already stored under ``key``."""
    mime_type = formats.mime_type_of(extension)
    file = UploadedFile(
        id=file_id,
        uploader_id=uploader_id,
        filename=key.rsplit("/", 1)[-1],
        original_filename=original_filename,
        file_url=DOWNLOAD_PATH.format(file_id=file_id),
        storage_path=key,
        file_type=formats.kind_of(extension, mime_type),
        mime_type=mime_type,
        file_size=size,
        folder=folder,
        storage_provider=storage.provider,
        is_public=is_public,
        lesson_id=lesson_id,
    )
    session.add(file)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("The file could not be recorded.", code="file_conflict") from exc
    return file


async def save_bytes_as_file(
    session: AsyncSession,
    *,
    settings: Settings,
    uploader_id: uuid.UUID,
    data: bytes,
    filename: str,
    folder: str | None = None,
    is_public: bool = False,
    lesson_id: uuid.UUID | None = None,
) -> UploadedFile:
    """Store content made by the server (a report, a PDF) as a file owned by
    ``uploader_id``, in the default backend. The object is removed again if its row
    cannot be written."""
    name = formats.display_name(filename)
    extension = formats.extension_of(name)
    storage = get_storage(settings)
    file_id = uuid.uuid4()
    safe_folder = sanitize_folder(folder)
    key = new_object_key(extension, folder=safe_folder, object_id=file_id)
    size = await storage.put_bytes(key, data, content_type=formats.mime_type_of(extension))
    try:
        return await record_file(
            session,
            file_id=file_id,
            uploader_id=uploader_id,
            storage=storage,
            key=key,
            original_filename=name,
            extension=extension,
            size=size,
            folder=safe_folder,
            is_public=is_public,
            lesson_id=lesson_id,
        )
    except BaseException:
        await remove_object(storage, key)
        raise


async def remove_object(storage: Storage, key: str) -> None:
    """Delete a stored object; a failure is logged (the object is orphaned), not raised."""
    try:
        await storage.delete(key)
    except Exception:
        log.exception("could not delete a stored object", extra={"key": key})


async def delete_file(
    session: AsyncSession, *, settings: Settings, principal: Principal, file_id: uuid.UUID
) -> None:
    """Delete the row now and the stored object once that has committed, so a failed
    commit never leaves a row pointing at nothing."""
    file = await load_manageable_file_or_raise(session, principal=principal, file_id=file_id)
    storage = get_storage(settings, file.storage_provider)
    key = file.storage_path
    await session.delete(file)
    await session.flush()

    async def remove() -> None:
        await remove_object(storage, key)

    run_after_commit(session, remove)
