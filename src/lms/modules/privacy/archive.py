"""The export archive: a ZIP written to a temporary file on disk, one entry at a time,
files copied from storage chunk by chunk, so memory stays bounded whatever the person
holds (gigabytes of video included); then streamed to storage the same way.

Layout: ``manifest.json`` (what is inside and where each part's schema is),
``<module>.json`` per module (valid against ``schemas/<module>.schema.json``, also
published at ``GET /api/v1/privacy/export-schemas``), ``files/…`` (the person's
uploads) and ``certificates/…`` (their PDFs)."""

from __future__ import annotations

import json
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from typing import IO, Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.privacy import PersonalDataHandler, PersonalDataRegistry
from lms.core.storage import ObjectNotFound, get_storage

FORMAT = "lms-personal-data/1"
READ_SIZE = 1024 * 1024


def module_file(handler: PersonalDataHandler) -> str:
    return f"{handler.module}.json"


def schema_file(handler: PersonalDataHandler) -> str:
    return f"schemas/{handler.module}.schema.json"


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode()


def _info(path: str, now: datetime, *, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=now.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


class _Writer:
    """A ``ZipFile`` driven from async code: every write runs in a worker thread."""

    def __init__(self, target: IO[bytes], now: datetime) -> None:
        self.zip = zipfile.ZipFile(target, "w", allowZip64=True)
        self.now = now

    async def add_bytes(self, path: str, data: bytes) -> None:
        info = _info(path, self.now, compress=True)
        await anyio.to_thread.run_sync(self.zip.writestr, info, data)

    async def add_stream(self, path: str, chunks: AsyncIterator[bytes]) -> int:
        # Stored, not deflated: uploads are mostly compressed already (video, PDF, images).
        entry = await anyio.to_thread.run_sync(
            lambda: self.zip.open(_info(path, self.now, compress=False), "w", force_zip64=True)
        )
        size = 0
        try:
            async for chunk in chunks:
                await anyio.to_thread.run_sync(entry.write, chunk)
                size += len(chunk)
        finally:
            await anyio.to_thread.run_sync(entry.close)
        return size

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self.zip.close)


async def write_archive(
    session: AsyncSession,
    *,
    settings: Settings,
    registry: PersonalDataRegistry,
    account_id: uuid.UUID,
    target: IO[bytes],
    now: datetime,
) -> None:
    writer = _Writer(target, now)
    modules: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    for handler in registry.handlers():
        data = await handler.export(session, account_id)
        await writer.add_bytes(module_file(handler), _json_bytes(data))
        await writer.add_bytes(schema_file(handler), _json_bytes(handler.schema))
        modules.append(
            {
                "module": handler.module,
                "file": module_file(handler),
                "schema": schema_file(handler),
                "tables": list(handler.tables),
            }
        )
        if handler.files is None:
            continue
        for stored in await handler.files(session, account_id):
            storage = get_storage(settings, stored.storage_provider)
            try:
                chunks = await storage.open_stream(stored.key)
            except ObjectNotFound:
                files.append({"path": stored.path, "module": handler.module, "missing": True})
                continue
            size = await writer.add_stream(stored.path, chunks)
            files.append(
                {"path": stored.path, "module": handler.module, "size": size, "missing": False}
            )
    manifest = {
        "format": FORMAT,
        "account_id": str(account_id),
        "generated_at": now.isoformat(),
        "modules": modules,
        "files": files,
    }
    await writer.add_bytes("manifest.json", _json_bytes(manifest))
    await writer.close()


async def read_chunks(source: IO[bytes]) -> AsyncIterator[bytes]:
    """``source`` from its start, a megabyte at a time."""
    await anyio.to_thread.run_sync(source.seek, 0)
    while block := await anyio.to_thread.run_sync(source.read, READ_SIZE):
        yield block
