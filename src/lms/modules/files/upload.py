"""Receiving an upload: the multipart body is read as it streams in and the file goes
to storage chunk by chunk, so memory stays flat whatever the file's size.

On the way the file is checked: its extension against ``LMS_ALLOWED_UPLOAD_EXTENSIONS``
(415), its first bytes against that extension (415), its size against
``LMS_MAX_UPLOAD_MB`` while it streams (413). A refused or failed upload leaves no
object behind. Send the form fields before the file (browsers and HTTP clients do,
in the order the form lists them): the storage key depends on ``folder``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.deps import Principal
from lms.core.errors import PayloadTooLarge, RuleViolation, UnsupportedMediaType
from lms.core.multipart import MultipartReader, Part
from lms.core.storage import Storage, get_storage, new_object_key, sanitize_folder
from lms.modules.files import formats, service
from lms.modules.files.models import UploadedFile
from lms.modules.files.schemas import UploadForm

FORM_FIELDS = frozenset(UploadForm.model_fields)
FILE_FIELD = "file"
# Room for the form fields and part headers around the file itself.
FORM_OVERHEAD_BYTES = 64 * 1024
MAX_FIELD_BYTES = 1024


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"


class ExtensionNotAllowed(UnsupportedMediaType):
    code = "extension_not_allowed"


class ContentMismatch(UnsupportedMediaType):
    code = "content_mismatch"


class InvalidUpload(RuleViolation):
    code = "invalid_upload"


@dataclass(frozen=True)
class _StoredObject:
    file_id: uuid.UUID
    storage: Storage
    key: str
    size: int
    name: str
    extension: str


def _too_large(settings: Settings) -> FileTooLarge:
    return FileTooLarge(f"The file exceeds the upload limit of {settings.max_upload_mb} MB.")


def _parse_form(fields: dict[str, str]) -> UploadForm:
    try:
        return UploadForm.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError(
            [
                {"loc": ("body", *err["loc"]), "msg": err["msg"], "type": err["type"]}
                for err in exc.errors()
            ]
        ) from exc


async def receive_upload(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    body: AsyncIterator[bytes],
    content_type: str | None,
    content_length: str | None,
) -> UploadedFile:
    """Read a ``multipart/form-data`` upload (field ``file``; optional ``folder``,
    ``is_public``, ``lesson_id``), store the file and record it."""
    limit = settings.max_upload_mb * 1024 * 1024
    declared = int(content_length) if content_length and content_length.isdigit() else 0
    if declared > limit + FORM_OVERHEAD_BYTES:
        raise _too_large(settings)
    reader = MultipartReader(body, content_type, max_body_bytes=limit + FORM_OVERHEAD_BYTES)
    storage = get_storage(settings)
    # Nothing in the database is needed while the body streams in: give the
    # connection back to the pool instead of holding it for a slow client.
    await session.rollback()

    fields: dict[str, str] = {}
    stored: _StoredObject | None = None
    checked_lesson: uuid.UUID | None = None
    try:
        async for part in reader.parts():
            if part.filename == "" and part.name == FILE_FIELD:
                continue  # a browser form whose file input was left empty
            if part.filename is None:
                if part.name not in FORM_FIELDS:
                    continue
                if part.name in fields:
                    raise InvalidUpload(f"The form field {part.name!r} is given twice.")
                if part.name == "folder" and stored is not None:
                    raise InvalidUpload("Send the folder field before the file.")
                fields[part.name] = await part.text(max_bytes=MAX_FIELD_BYTES)
                continue
            if part.name != FILE_FIELD:
                raise InvalidUpload(f"Send the file in the form field {FILE_FIELD!r}.")
            if stored is not None:
                raise InvalidUpload("Upload one file per request.")
            form = _parse_form(fields)
            if form.lesson_id is not None:
                await service.check_lesson_attachment(
                    session, principal=principal, lesson_id=form.lesson_id
                )
                checked_lesson = form.lesson_id
                await session.rollback()
            stored = await _store(part, storage=storage, settings=settings, folder=form.folder)
        if stored is None:
            raise InvalidUpload(
                f"The form has no file (field {FILE_FIELD!r}).", code="file_missing"
            )
        form = _parse_form(fields)
        if form.lesson_id is not None and form.lesson_id != checked_lesson:
            await service.check_lesson_attachment(
                session, principal=principal, lesson_id=form.lesson_id
            )
        return await service.record_file(
            session,
            file_id=stored.file_id,
            uploader_id=principal.id,
            storage=stored.storage,
            key=stored.key,
            original_filename=stored.name,
            extension=stored.extension,
            size=stored.size,
            folder=sanitize_folder(form.folder),
            is_public=form.is_public,
            lesson_id=form.lesson_id,
        )
    except BaseException as exc:
        if stored is not None:
            with anyio.CancelScope(shield=True):
                await service.remove_object(stored.storage, stored.key)
        if isinstance(exc, PayloadTooLarge) and not isinstance(exc, FileTooLarge):
            raise _too_large(settings) from exc  # the whole body outgrew the file limit
        raise


async def _store(
    part: Part, *, storage: Storage, settings: Settings, folder: str | None
) -> _StoredObject:
    limit = settings.max_upload_mb * 1024 * 1024
    name = formats.display_name(part.filename)
    extension = formats.extension_of(name)
    if not extension or extension not in settings.allowed_upload_extensions:
        raise ExtensionNotAllowed(
            "Files of this type are not accepted; allowed: "
            + ", ".join(settings.allowed_upload_extensions)
            + "."
        )

    chunks = part.chunks()
    head = bytearray()
    async for chunk in chunks:
        head += chunk
        if len(head) >= formats.SNIFF_BYTES:
            break
    if not head:
        raise InvalidUpload("The file is empty.", code="empty_file")
    if len(head) > limit:
        raise _too_large(settings)
    if not formats.content_matches(extension, bytes(head)):
        raise ContentMismatch(f"The content of the file is not a .{extension} file.")

    async def checked() -> AsyncIterator[bytes]:
        size = len(head)
        yield bytes(head)
        head.clear()
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise _too_large(settings)
            yield chunk

    file_id = uuid.uuid4()
    key = new_object_key(extension, folder=folder, object_id=file_id)
    size = await storage.put_stream(key, checked(), content_type=formats.mime_type_of(extension))
    return _StoredObject(file_id, storage, key, size, name, extension)
