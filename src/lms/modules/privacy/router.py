"""Your data: exports (`/me/data-export`, `/data-exports/{id}`), erasure
(`/me/erasure`), their admin counterparts (`/admin/users/{id}/…`) and the published
JSON Schemas of an export's files (`/privacy/export-schemas`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse

from lms.core import privacy
from lms.core.deps import AdminPrincipal, CurrentPrincipal, SessionDep, SettingsDep
from lms.core.errors import problem_responses
from lms.core.routing import TransactionalRoute
from lms.core.storage import content_disposition
from lms.modules.privacy import archive, service
from lms.modules.privacy.schemas import (
    AdminErasure,
    DataExportRead,
    ErasureConfirm,
    ErasureRead,
    ExportSchemaList,
    ExportSchemaRead,
)

router = APIRouter(tags=["privacy"], route_class=TransactionalRoute, responses=problem_responses())


def _accepted(settings: SettingsDep, read: DataExportRead) -> JSONResponse:
    return JSONResponse(
        read.model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"{settings.public_base_url}/api/v1/data-exports/{read.id}"},
    )


@router.post(
    "/me/data-export",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DataExportRead,
    responses=problem_responses(409),
)
async def export_my_data(
    principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """Ask for a copy of your personal data. A job writes a ZIP (one JSON file per part
    of the school, your uploads and certificates, a manifest); the link is emailed to
    you and works for `LMS_EXPORT_LINK_HOURS`, for you only. 409 while one is being
    prepared."""
    export = await service.request_export(session, account_id=principal.id, requested_by=principal)
    return _accepted(settings, service.export_read(settings, export))


@router.post(
    "/admin/users/{user_id}/data-export",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DataExportRead,
    responses=problem_responses(404, 409),
)
async def export_user_data(
    user_id: uuid.UUID, admin: AdminPrincipal, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """Export an account's personal data (admin). The link goes to the account's
    email; only the account may download the archive."""
    export = await service.request_export(session, account_id=user_id, requested_by=admin)
    return _accepted(settings, service.export_read(settings, export))


@router.get("/data-exports/{export_id}", response_model=DataExportRead)
async def get_data_export(
    export_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> DataExportRead:
    """A data export job: its account and admins see it; anyone else gets 404."""
    export = await service.get_visible_export(session, principal=principal, export_id=export_id)
    return service.export_read(settings, export)


@router.get(
    "/data-exports/{export_id}/download",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "The archive."},
        307: {"description": "Redirect to a short-lived storage URL (S3, Azure)."},
        **problem_responses(403, 404, 409, 410),
    },
)
async def download_data_export(
    export_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """The archive, for its account only (an admin gets 403, anyone else 404); 409
    while it is prepared, 410 once the link has expired."""
    storage, export = await service.export_to_download(
        session, principal=principal, export_id=export_id
    )
    assert export.storage_key is not None
    filename = f"personal-data-{export.created_at:%Y-%m-%d}.zip"
    url = await storage.url_for(
        export.storage_key, filename=filename, content_type="application/zip", expires_in=300
    )
    headers = {"Cache-Control": "no-store"}
    if url is not None:
        return RedirectResponse(
            url, status_code=status.HTTP_307_TEMPORARY_REDIRECT, headers=headers
        )
    return StreamingResponse(
        await storage.open_stream(export.storage_key),
        media_type="application/zip",
        headers={**headers, "Content-Disposition": content_disposition(filename)},
    )


@router.get(
    "/privacy/export-schemas", response_model=ExportSchemaList, response_model_by_alias=True
)
async def export_schemas() -> ExportSchemaList:
    """The JSON Schema (draft 2020-12) of each JSON file of a data export, by module
    (the archive carries them too, under `schemas/`)."""
    return ExportSchemaList(
        items=[
            ExportSchemaRead(
                module=handler.module,
                file=archive.module_file(handler),
                tables=list(handler.tables),
                json_schema=handler.schema,
            )
            for handler in privacy.registry.handlers()
        ]
    )


@router.get("/me/erasure", response_model=ErasureRead)
async def get_my_erasure(principal: CurrentPrincipal, session: SessionDep) -> ErasureRead:
    """Your erasure: none, scheduled (with the date it happens), cancelled."""
    return service.erasure_read(await service.own_erasure(session, principal=principal))


@router.post(
    "/me/erasure",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ErasureRead,
    responses=problem_responses(409, 422),
)
async def request_my_erasure(
    data: ErasureConfirm, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> ErasureRead:
    """Ask for your account and personal data to be erased, with your password (or a
    current code of your second factor when MFA is on: 422 `wrong_password_or_code`).
    It happens after `LMS_ERASURE_COOL_OFF_DAYS`; until then `DELETE` cancels it."""
    request = await service.request_own_erasure(
        session, settings=settings, principal=principal, password=data.password, code=data.code
    )
    return service.erasure_read(request)


@router.delete(
    "/me/erasure", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404)
)
async def cancel_my_erasure(principal: CurrentPrincipal, session: SessionDep) -> Response:
    """Cancel your scheduled erasure (404 when none is scheduled)."""
    await service.cancel_own_erasure(session, principal=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/admin/users/{user_id}/erasure",
    response_model=ErasureRead,
    responses={202: {"model": ErasureRead}, **problem_responses(404, 409, 422)},
)
async def erase_user(
    user_id: uuid.UUID,
    data: AdminErasure,
    admin: AdminPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Erase an account (admin, with a reason): at once (`immediate: true`, 200), or
    scheduled after the cool-off (202)."""
    request = await service.erase_by_admin(
        session,
        settings=settings,
        admin=admin,
        user_id=user_id,
        reason=data.reason,
        immediate=data.immediate,
    )
    read = service.erasure_read(request)
    return JSONResponse(
        read.model_dump(mode="json"),
        status_code=status.HTTP_200_OK if data.immediate else status.HTTP_202_ACCEPTED,
    )


routers = [router]
