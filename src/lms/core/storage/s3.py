"""Amazon S3 or any S3-compatible store (MinIO, Ceph, R2…), through boto3 in threads.

Uploads go up as a multipart upload, one part (``LMS_S3_PART_SIZE_MB``) in memory at a
time, and are aborted if the stream fails; downloads are handed out as short-lived
presigned URLs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from lms.core.storage.base import (
    CHUNK_SIZE,
    ObjectInfo,
    ObjectNotFound,
    StorageUnavailable,
    content_disposition,
    gather_parts,
    validate_key,
)

log = logging.getLogger("lms.storage.s3")

T = TypeVar("T")
_MISSING = {"404", "NoSuchKey", "NotFound"}


def _is_missing(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING


class S3Storage:
    provider = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        region: str | None = None,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        part_size: int = 8 * 1024 * 1024,
        url_expires_seconds: int = 300,
    ) -> None:
        self.bucket = bucket
        self.part_size = part_size
        self.url_expires_seconds = url_expires_seconds
        self._client_options: dict[str, Any] = {
            "region_name": region,
            "endpoint_url": endpoint_url,
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key,
        }
        self._path_style = endpoint_url is not None
        self._client: Any = None
        self._client_lock = anyio.Lock()

    async def _s3(self) -> Any:
        # Building a client reads botocore's service models from disk: once, in a thread.
        if self._client is None:
            async with self._client_lock:
                if self._client is None:
                    self._client = await anyio.to_thread.run_sync(self._build_client)
        return self._client

    def _build_client(self) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"},
            s3={"addressing_style": "path" if self._path_style else "auto"},
        )
        return boto3.session.Session().client("s3", config=config, **self._client_options)

    async def _call(self, method: str, **params: Any) -> Any:
        client = await self._s3()
        return await self._run(lambda: getattr(client, method)(**params))

    @staticmethod
    async def _run(function: Callable[[], T]) -> T:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return await anyio.to_thread.run_sync(function)
        except ClientError as exc:
            if _is_missing(exc):
                raise
            log.warning("S3 request failed", extra={"error": str(exc)})
            raise StorageUnavailable() from exc
        except BotoCoreError as exc:
            log.warning("S3 unreachable", extra={"error": str(exc)})
            raise StorageUnavailable() from exc

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        validate_key(key)
        parts = gather_parts(chunks, self.part_size)
        first = await anext(parts, b"")
        second = await anext(parts, None)
        if second is None:
            await self._call(
                "put_object", Bucket=self.bucket, Key=key, Body=first, ContentType=content_type
            )
            return len(first)

        created = await self._call(
            "create_multipart_upload", Bucket=self.bucket, Key=key, ContentType=content_type
        )
        upload_id = created["UploadId"]
        completed: list[dict[str, Any]] = []
        total = 0
        try:

            async def upload(number: int, body: bytes) -> None:
                answer = await self._call(
                    "upload_part",
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=body,
                )
                completed.append({"PartNumber": number, "ETag": answer["ETag"]})

            await upload(1, first)
            await upload(2, second)
            total = len(first) + len(second)
            del first, second
            async for part in parts:
                await upload(len(completed) + 1, part)
                total += len(part)
            await self._call(
                "complete_multipart_upload",
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": completed},
            )
        except BaseException:
            with anyio.CancelScope(shield=True):
                try:
                    await self._call(
                        "abort_multipart_upload", Bucket=self.bucket, Key=key, UploadId=upload_id
                    )
                except Exception:
                    log.warning("could not abort a multipart upload", extra={"key": key})
            raise
        return total

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> int:
        validate_key(key)
        await self._call(
            "put_object", Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
        )
        return len(data)

    async def open_stream(
        self, key: str, *, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": validate_key(key)}
        if length == 0:
            await self.stat(key)
            return self._read(None)
        if offset or length is not None:
            end = "" if length is None else str(offset + length - 1)
            params["Range"] = f"bytes={offset}-{end}"
        try:
            answer = await self._call("get_object", **params)
        except Exception as exc:
            if _is_missing(exc):
                raise ObjectNotFound(key) from exc
            raise
        return self._read(answer["Body"])

    async def _read(self, body: Any) -> AsyncIterator[bytes]:
        if body is None:
            return
        try:
            while chunk := await self._run(lambda: body.read(CHUNK_SIZE)):
                yield chunk
        finally:
            await anyio.to_thread.run_sync(body.close)

    async def get_bytes(self, key: str) -> bytes:
        return b"".join([chunk async for chunk in await self.open_stream(key)])

    async def stat(self, key: str) -> ObjectInfo:
        try:
            answer = await self._call("head_object", Bucket=self.bucket, Key=validate_key(key))
        except Exception as exc:
            if _is_missing(exc):
                raise ObjectNotFound(key) from exc
            raise
        return ObjectInfo(key=key, size=int(answer["ContentLength"]))

    async def exists(self, key: str) -> bool:
        try:
            await self.stat(key)
        except ObjectNotFound:
            return False
        return True

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Bucket=self.bucket, Key=validate_key(key))

    async def url_for(
        self,
        key: str,
        *,
        filename: str,
        content_type: str,
        inline: bool = False,
        expires_in: int | None = None,
    ) -> str | None:
        client = await self._s3()
        params = {
            "Bucket": self.bucket,
            "Key": validate_key(key),
            "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition(filename, inline=inline),
        }
        url: str = await self._run(
            lambda: client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in or self.url_expires_seconds
            )
        )
        return url
