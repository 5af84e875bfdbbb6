"""Files in a folder on the server's disk (``LMS_UPLOAD_DIR``); the default backend.

Writes go to a temporary name beside the target and are renamed into place when
complete, so a failed or refused upload never leaves a partial object behind. All file
I/O runs through anyio's thread-backed file objects."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

import anyio

from lms.core.storage.base import CHUNK_SIZE, ObjectInfo, ObjectNotFound, validate_key


class LocalStorage:
    provider = "local"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def path_for(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"storage key escapes the upload folder: {key!r}")
        return path

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        target = anyio.Path(self.path_for(key))
        await target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        written = 0
        try:
            async with await anyio.open_file(partial, "xb") as out:
                async for chunk in chunks:
                    await out.write(chunk)
                    written += len(chunk)
            await partial.replace(target)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await partial.unlink(missing_ok=True)
            raise
        return written

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> int:
        async def single() -> AsyncIterator[bytes]:
            yield data

        return await self.put_stream(key, single(), content_type=content_type)

    async def open_stream(
        self, key: str, *, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        path = self.path_for(key)
        await self.stat(key)
        return self._read(path, offset, length)

    async def _read(self, path: Path, offset: int, length: int | None) -> AsyncIterator[bytes]:
        remaining = length
        async with await anyio.open_file(path, "rb") as source:
            if offset:
                await source.seek(offset)
            while remaining is None or remaining > 0:
                size = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                chunk = await source.read(size)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    async def get_bytes(self, key: str) -> bytes:
        try:
            return await anyio.Path(self.path_for(key)).read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc

    async def stat(self, key: str) -> ObjectInfo:
        try:
            result = await anyio.Path(self.path_for(key)).stat()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        return ObjectInfo(key=key, size=result.st_size)

    async def exists(self, key: str) -> bool:
        return await anyio.Path(self.path_for(key)).is_file()

    async def delete(self, key: str) -> None:
        await anyio.Path(self.path_for(key)).unlink(missing_ok=True)

    async def url_for(
        self,
        key: str,
        *,
        filename: str,
        content_type: str,
        inline: bool = False,
        expires_in: int | None = None,
    ) -> str | None:
        return None
