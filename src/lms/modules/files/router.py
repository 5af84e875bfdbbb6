"""Files: upload, list, metadata, download and delete."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from lms.core import ratelimit
from lms.core.deps import (
    CurrentPrincipal,
    OptionalPrincipal,
    SessionDep,
    SettingsDep,
    StoreDep,
)
from lms.core.errors import problem_responses
from lms.core.i18n import request_locale
from lms.core.idempotency import idempotent
from lms.core.pagination import Page, Pagination, page_of
from lms.core.routing import TransactionalRoute, creates
from lms.modules.files import service, upload
from lms.modules.files.download import file_response
from lms.modules.files.models import UploadedFile
from lms.modules.files.schemas import FileFilters, FileRead, FileType

router = APIRouter(
    prefix="/files", tags=["files"], route_class=TransactionalRoute, responses=problem_responses()
)

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "folder": {
                            "type": "string",
                            "maxLength": 100,
                            "description": "Folder for the stored object (default `uploads`); "
                            "send it before the file.",
                        },
                        "is_public": {
                            "type": "boolean",
                            "default": False,
                            "description": "Anyone may download a public file, without login.",
                        },
                        "lesson_id": {
                            "type": "string",
                            "format": "uuid",
                            "description": "Attach the file to a lesson as course material "
                            "(instructors and admins).",
                        },
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}

_FILE_CONTENT = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    **problem_responses(),
    200: {"description": "The file's content, with its own media type", "content": _FILE_CONTENT},
    206: {"description": "The requested byte range (local storage)", "content": _FILE_CONTENT},
    307: {
        "description": "Redirect to a short-lived storage URL (S3, Azure)",
        "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
    },
    416: problem_responses(416)[416],
}


async def _filters(
    uploader_id: uuid.UUID | None = None,
    folder: Annotated[str | None, Query(max_length=100)] = None,
    file_type: FileType | None = None,
    lesson_id: uuid.UUID | None = None,
    is_public: bool | None = None,
) -> FileFilters:
    return FileFilters(
        uploader_id=uploader_id,
        folder=folder,
        file_type=file_type,
        lesson_id=lesson_id,
        is_public=is_public,
    )


def _page(files: list[UploadedFile], total: int, pagination: Any) -> Page[FileRead]:
    return page_of([FileRead.model_validate(f) for f in files], total, pagination)


@router.post(
    "/upload",
    response_model=FileRead,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=UPLOAD_BODY,
    responses={
        status: {**problem_responses(status)[status], "description": description}
        for status, description in (
            (413, "The file is over `LMS_MAX_UPLOAD_MB`"),
            (415, "Extension not allowed, or content not matching it"),
            (429, "Too many uploads this hour"),
        )
    },
)
@creates("/files/{id}")
@idempotent(streamed=True)
async def upload_file(
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> FileRead:
    """Upload one file as `multipart/form-data` (field `file`; optional `folder`,
    `is_public`, `lesson_id`). The file streams to storage; it must have an allowed
    extension, content matching that extension, and fit `LMS_MAX_UPLOAD_MB`."""
    await ratelimit.hit(
        store,
        f"files:upload:{principal.id}",
        limit=settings.upload_rate_limit_per_hour,
        window_seconds=3600,
        request=request,
        policy="uploads",
    )
    file = await upload.receive_upload(
        session,
        settings=settings,
        principal=principal,
        body=request.stream(),
        content_type=request.headers.get("content-type"),
        content_length=request.headers.get("content-length"),
    )
    return FileRead.model_validate(file)


@router.get("", response_model=Page[FileRead])
async def list_files(
    principal: CurrentPrincipal,
    session: SessionDep,
    pagination: Pagination,
    filters: Annotated[FileFilters, Depends(_filters)],
) -> Page[FileRead]:
    """Files, newest first. Admins see every file (filter by uploader, folder, type,
    lesson or visibility); everyone else sees the files they uploaded."""
    files, total = await service.list_files(
        session,
        principal=principal,
        filters=filters,
        offset=pagination.offset,
        limit=pagination.page_size,
    )
    return _page(files, total, pagination)


@router.get("/my-files", response_model=Page[FileRead])
async def list_my_files(
    principal: CurrentPrincipal,
    session: SessionDep,
    pagination: Pagination,
    filters: Annotated[FileFilters, Depends(_filters)],
) -> Page[FileRead]:
    """The files you uploaded, newest first."""
    files, total = await service.list_my_files(
        session,
        principal=principal,
        filters=filters,
        offset=pagination.offset,
        limit=pagination.page_size,
    )
    return _page(files, total, pagination)


@router.get("/download/{file_id}", responses=DOWNLOAD_RESPONSES, response_class=Response)
async def download_file_alias(
    request: Request,
    file_id: uuid.UUID,
    principal: OptionalPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    if_range: Annotated[str | None, Header(alias="If-Range")] = None,
) -> Response:
    """Same as `GET /files/{file_id}/download`."""
    return await download_file(
        request, file_id, principal, session, settings, range_header, if_range
    )


@router.get("/{file_id}", response_model=FileRead)
async def get_file(
    file_id: uuid.UUID, principal: OptionalPrincipal, session: SessionDep
) -> FileRead:
    """A file's metadata: anyone for a public file; the uploader, admins (and, for
    course materials, enrolled students) for a private one."""
    file = await service.load_readable_file_or_raise(session, principal=principal, file_id=file_id)
    return FileRead.model_validate(file)


@router.get("/{file_id}/download", responses=DOWNLOAD_RESPONSES, response_class=Response)
async def download_file(
    request: Request,
    file_id: uuid.UUID,
    principal: OptionalPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    if_range: Annotated[str | None, Header(alias="If-Range")] = None,
) -> Response:
    """Download a file (same access as its metadata). Local storage streams it with
    `Range` support (206, 416); S3 and Azure answer 307 with a short-lived URL."""
    file = await service.load_readable_file_or_raise(session, principal=principal, file_id=file_id)
    return await file_response(
        file,
        settings=settings,
        range_header=range_header,
        if_range=if_range,
        locale=request_locale(request.scope),
    )


@router.delete("/{file_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_file(
    file_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> None:
    """Delete a file: its stored object and its record (uploader or admin)."""
    await service.delete_file(session, settings=settings, principal=principal, file_id=file_id)


routers = [router]
