"""Azure Blob Storage through azure-storage-blob's async client.

Uploads are staged as blocks (one in memory at a time) and committed at the end; a
failed upload commits nothing, and Azure discards uncommitted blocks on its own.
Downloads are handed out as short-lived, read-only SAS URLs, which needs a connection
string with an account key."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any, TypeVar

import anyio

from lms.core.db import utcnow
from lms.core.storage.base import (
    ObjectInfo,
    ObjectNotFound,
    StorageNotConfigured,
    StorageUnavailable,
    content_disposition,
    gather_parts,
    validate_key,
)

log = logging.getLogger("lms.storage.azure")

T = TypeVar("T")


class AzureBlobStorage:
    provider = "azure"

    def __init__(
        self,
        *,
        connection_string: str,
        container: str,
        block_size: int = 4 * 1024 * 1024,
        url_expires_seconds: int = 300,
        **client_options: Any,
    ) -> None:
        self.container = container
        self.block_size = block_size
        self.url_expires_seconds = url_expires_seconds
        self._connection_string = connection_string
        self._client_options = client_options

    def _service(self) -> Any:
        from azure.storage.blob.aio import BlobServiceClient

        return BlobServiceClient.from_connection_string(
            self._connection_string, **self._client_options
        )

    async def _with_blob(self, key: str, action: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``action`` on the blob's client; one client (and HTTP session) per call,
        so nothing stays bound to an event loop between requests."""
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        validate_key(key)
        try:
            async with self._service() as service:
                return await action(service.get_blob_client(self.container, key))
        except ResourceNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        except AzureError as exc:
            log.warning("Azure Blob request failed", extra={"error": str(exc)})
            raise StorageUnavailable() from exc

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        from azure.storage.blob import BlobBlock, ContentSettings

        settings = ContentSettings(content_type=content_type)

        async def stage_and_commit(blob: Any) -> int:
            blocks: list[BlobBlock] = []
            total = 0
            try:
                async for part in gather_parts(chunks, self.block_size):
                    block_id = f"{len(blocks):08d}"
                    # A stream, which aiohttp sends in pieces between other tasks.
                    await blob.stage_block(block_id, io.BytesIO(part), length=len(part))
                    blocks.append(BlobBlock(block_id=block_id))
                    total += len(part)
                await blob.commit_block_list(blocks, content_settings=settings)
            except BaseException:
                if blocks:
                    with anyio.CancelScope(shield=True):
                        await self._discard_blocks(blob)
                raise
            return total

        return await self._with_blob(key, stage_and_commit)

    @staticmethod
    async def _discard_blocks(blob: Any) -> None:
        """Drop staged blocks now rather than in Azure's week: an empty blob is written
        over them and deleted. A blob committed before under this key is left alone
        (its stray blocks expire on their own)."""
        try:
            if await blob.exists():
                return
            await blob.upload_blob(b"", overwrite=True)
            await blob.delete_blob()
        except Exception:
            log.warning("could not discard staged blocks", extra={"blob": blob.blob_name})

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> int:
        from azure.storage.blob import ContentSettings

        async def upload(blob: Any) -> int:
            await blob.upload_blob(
                data, overwrite=True, content_settings=ContentSettings(content_type=content_type)
            )
            return len(data)

        return await self._with_blob(key, upload)

    async def open_stream(
        self, key: str, *, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        validate_key(key)
        stack = AsyncExitStack()
        try:
            service = await stack.enter_async_context(self._service())
            blob = service.get_blob_client(self.container, key)
            ranged = offset > 0 or length is not None
            downloader = await blob.download_blob(offset=offset if ranged else None, length=length)
        except ResourceNotFoundError as exc:
            await stack.aclose()
            raise ObjectNotFound(key) from exc
        except AzureError as exc:
            await stack.aclose()
            raise StorageUnavailable() from exc
        except BaseException:
            await stack.aclose()
            raise
        return self._read(downloader, stack)

    @staticmethod
    async def _read(downloader: Any, stack: AsyncExitStack) -> AsyncIterator[bytes]:
        try:
            async for chunk in downloader.chunks():
                yield chunk
        finally:
            with anyio.CancelScope(shield=True):
                await stack.aclose()

    async def get_bytes(self, key: str) -> bytes:
        async def download(blob: Any) -> bytes:
            downloader = await blob.download_blob()
            data: bytes = await downloader.readall()
            return data

        return await self._with_blob(key, download)

    async def stat(self, key: str) -> ObjectInfo:
        async def properties(blob: Any) -> ObjectInfo:
            answer = await blob.get_blob_properties()
            return ObjectInfo(key=key, size=int(answer.size))

        return await self._with_blob(key, properties)

    async def exists(self, key: str) -> bool:
        async def check(blob: Any) -> bool:
            return bool(await blob.exists())

        return await self._with_blob(key, check)

    async def delete(self, key: str) -> None:
        async def remove(blob: Any) -> None:
            from azure.core.exceptions import ResourceNotFoundError

            try:
                await blob.delete_blob()
            except ResourceNotFoundError:
                return

        await self._with_blob(key, remove)

    async def url_for(
        self,
        key: str,
        *,
        filename: str,
        content_type: str,
        inline: bool = False,
        expires_in: int | None = None,
    ) -> str | None:
        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        validate_key(key)
        async with self._service() as service:
            blob_url: str = service.get_blob_client(self.container, key).url
            account_name = service.account_name
            account_key = getattr(service.credential, "account_key", None)
        if not account_key:
            raise StorageNotConfigured(
                "Azure download links need a connection string with an AccountKey."
            )
        seconds = expires_in or self.url_expires_seconds
        sas = generate_blob_sas(
            account_name=account_name,
            container_name=self.container,
            blob_name=key,
            account_key=account_key,
            permission=BlobSasPermissions(read=True),
            expiry=utcnow() + timedelta(seconds=seconds),
            content_disposition=content_disposition(filename, inline=inline),
            content_type=content_type,
            # The emulator (Azurite) speaks plain HTTP; real accounts only HTTPS.
            protocol="https" if blob_url.startswith("https://") else "https,http",
        )
        return f"{blob_url}?{sas}"
