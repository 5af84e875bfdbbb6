"""Exporting an account's personal data (GDPR art. 15 and 20): a job writes the ZIP
(``archive``) to storage and emails the account a link that works for
``LMS_EXPORT_LINK_HOURS``, for that account only."""

from __future__ import annotations

import tempfile
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs, privacy
from lms.core.config import Settings, get_settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import AppError, Conflict, Forbidden, NotFound
from lms.core.storage import Storage, get_storage, new_object_key
from lms.modules import emails, users
from lms.modules.privacy import archive, repository
from lms.modules.privacy.models import DataExport
from lms.modules.privacy.schemas import DataExportRead

EXPORT_TASK = "privacy.export"


class ExportNotFound(NotFound):
    code = "export_not_found"
    detail = "No data export with this id."


class ExportInProgress(Conflict):
    code = "export_in_progress"
    detail = "An export of this account is already being prepared; wait for its email."


class ExportNotReady(Conflict):
    code = "export_not_ready"
    detail = "The export is still being prepared."


class ExportExpired(AppError):
    status = 410
    code = "export_expired"
    detail = "The link to this export has expired; ask for a new export."


class AccountErased(Conflict):
    code = "account_erased"
    detail = "This account's personal data was erased."


def download_path(export_id: uuid.UUID) -> str:
    return f"/api/v1/data-exports/{export_id}/download"


def to_read(settings: Settings, export: DataExport) -> DataExportRead:
    read = DataExportRead.model_validate(export)
    if export.state == "ready":
        read.download_url = f"{settings.public_base_url}{download_path(export.id)}"
    return read


async def request_export(
    session: AsyncSession, *, account_id: uuid.UUID, requested_by: Principal
) -> DataExport:
    """Queue an export of ``account_id``'s data (by the account itself or an admin)."""
    person = await users.get_user_summary_or_raise(session, account_id)
    if person.erased:
        raise AccountErased()
    if await repository.unfinished_export(session, account_id) is not None:
        raise ExportInProgress()
    export = DataExport(
        id=uuid.uuid4(),
        account_id=account_id,
        requested_by_id=requested_by.id,
        state="queued",
        created_at=utcnow(),
    )
    session.add(export)
    await session.flush()
    await jobs.enqueue(session, EXPORT_TASK, {"export_id": str(export.id)})
    return export


async def get_visible_export(
    session: AsyncSession, *, principal: Principal, export_id: uuid.UUID
) -> DataExport:
    """The export, for its account and admins; 404 for anyone else."""
    export = await repository.get_export(session, export_id)
    if export is None or (export.account_id != principal.id and not principal.is_admin):
        raise ExportNotFound()
    return export


async def export_to_download(
    session: AsyncSession, *, principal: Principal, export_id: uuid.UUID
) -> tuple[Storage, DataExport]:
    """The export's archive, for its account only: an admin who can see the job may
    not read the person's data (403); anyone else does not learn it exists (404)."""
    export = await get_visible_export(session, principal=principal, export_id=export_id)
    if export.account_id != principal.id:
        raise Forbidden(
            "Only the account whose data it is may download an export.", code="export_not_yours"
        )
    if export.state == "expired" or (
        export.state == "ready" and export.expires_at is not None and export.expires_at <= utcnow()
    ):
        raise ExportExpired()
    if export.state != "ready" or export.storage_key is None:
        raise ExportNotReady()
    return get_storage(get_settings(), export.storage_provider), export


@jobs.job(EXPORT_TASK)
async def build_export(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Write the archive to storage, then email the link. Delivered again after a
    failure, it starts over (the object is overwritten)."""
    settings = get_settings()
    export = await repository.get_export(session, uuid.UUID(payload["export_id"]))
    if export is None or export.state not in ("queued", "running"):
        return
    person = await users.get_user_summary(session, export.account_id)
    if person is None or person.erased:
        return
    export.state = "running"
    now = utcnow()
    storage = get_storage(settings)
    key = new_object_key("zip", folder="exports", object_id=export.id, now=now)
    with tempfile.TemporaryFile() as target:
        await archive.write_archive(
            session,
            settings=settings,
            registry=privacy.registry,
            account_id=export.account_id,
            target=target,
            now=now,
        )
        size = await storage.put_stream(
            key, archive.read_chunks(target), content_type="application/zip"
        )
    export.state = "ready"
    export.storage_provider = storage.provider
    export.storage_key = key
    export.size = size
    export.finished_at = utcnow()
    export.expires_at = export.finished_at + timedelta(hours=settings.export_link_hours)
    await session.flush()
    await emails.queue_email(
        session,
        to=person.email,
        template="data_export_ready",
        context={
            "full_name": person.full_name,
            "download_url": f"{settings.public_base_url}{download_path(export.id)}",
            "hours": settings.export_link_hours,
        },
        dedupe_key=f"data_export_ready:{export.id}",
    )


async def expire_exports(session: AsyncSession, *, limit: int = 100) -> int:
    """Delete the archives whose link has expired; returns how many."""
    settings = get_settings()
    expired = await repository.exports_past(session, utcnow(), limit)
    for export in expired:
        if export.storage_key is not None:
            await get_storage(settings, export.storage_provider).delete(export.storage_key)
        export.state = "expired"
        export.storage_key = None
    await session.flush()
    return len(expired)
