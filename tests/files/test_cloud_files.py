"""Files on S3 (moto's server mode) and Azure Blob (Azurite), through the same HTTP
endpoints as the local backend: uploads stream in parts or blocks, downloads redirect to
short-lived presigned or SAS URLs that the test then fetches over the network."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from lms.core.config import Settings
from tests.factories.accounts import Account
from tests.factories.files import ELF, mp4, png, upload
from tests.files.conftest import S3_BUCKET


class S3Bucket:
    provider = "s3"

    def __init__(self, client: Any) -> None:
        self.client = client

    def keys(self) -> list[str]:
        answer = self.client.list_objects_v2(Bucket=S3_BUCKET)
        return [item["Key"] for item in answer.get("Contents", [])]

    def read(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=S3_BUCKET, Key=key)["Body"].read()
        return body

    def content_type(self, key: str) -> str:
        return str(self.client.head_object(Bucket=S3_BUCKET, Key=key)["ContentType"])

    def pending_uploads(self) -> int:
        return len(self.client.list_multipart_uploads(Bucket=S3_BUCKET).get("Uploads", []))


class AzureContainer:
    provider = "azure"

    def __init__(self, container: Any) -> None:
        self.container = container

    def keys(self) -> list[str]:
        return [blob.name for blob in self.container.list_blobs()]

    def read(self, key: str) -> bytes:
        data: bytes = self.container.download_blob(key).readall()
        return data

    def content_type(self, key: str) -> str:
        properties = self.container.get_blob_client(key).get_blob_properties()
        return str(properties.content_settings.content_type)

    def pending_uploads(self) -> int:
        listed = self.container.list_blobs(include=["uncommittedblobs"])
        return sum(1 for blob in listed if blob.name not in self.keys())


@pytest.fixture(params=["s3", "azure"])
def cloud(request: pytest.FixtureRequest) -> S3Bucket | AzureContainer:
    if request.param == "s3":
        return S3Bucket(request.getfixturevalue("on_s3"))
    return AzureContainer(request.getfixturevalue("on_azure"))


async def fetch(url: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as direct:
        return await direct.get(url, headers=headers)


async def test_upload_download_and_delete(
    client: httpx.AsyncClient,
    cloud: S3Bucket | AzureContainer,
    student: Account,
    other_student: Account,
    admin: Account,
) -> None:
    content = png(20_000)
    response = await upload(client, student, "Résumé photo.png", content, folder="Portraits")
    assert response.status_code == 201, response.text
    file = response.json()
    assert file["storage_provider"] == cloud.provider and file["file_size"] == 20_000
    now = datetime.now(UTC)
    key = f"portraits/{now:%Y}/{now:%m}/{file['filename']}"
    assert cloud.keys() == [key]
    assert cloud.read(key) == content
    assert cloud.content_type(key) == "image/png"

    for path in (f"/files/{file['id']}/download", f"/files/download/{file['id']}"):
        redirect = await client.get(path, headers=student.headers)
        assert redirect.status_code == 307, redirect.text
        assert redirect.headers["cache-control"] == "no-store"
        location = redirect.headers["location"]
        direct = await fetch(location)
        assert direct.status_code == 200 and direct.content == content
        assert direct.headers["content-type"] == "image/png"
        assert "filename*=UTF-8''R%C3%A9sum%C3%A9%20photo.png" in direct.headers.get(
            "content-disposition", ""
        )
    query = parse_qs(urlsplit(location).query)
    if cloud.provider == "s3":
        assert query["X-Amz-Expires"] == ["300"]
    else:
        assert query["sp"] == ["r"] and "se" in query

    assert (
        await client.get(f"/files/{file['id']}/download", headers=admin.headers)
    ).status_code == 307
    for headers in ({}, other_student.headers):
        assert (
            await client.get(f"/files/{file['id']}/download", headers=headers)
        ).status_code == 404

    refused = await client.delete(f"/files/{file['id']}", headers=other_student.headers)
    assert refused.status_code == 404 and cloud.keys() == [key]
    deleted = await client.delete(f"/files/{file['id']}", headers=student.headers)
    assert deleted.status_code == 204
    assert cloud.keys() == []
    assert (await client.get(f"/files/{file['id']}", headers=student.headers)).status_code == 404


async def test_a_large_upload_goes_up_in_parts_and_seeks(
    client: httpx.AsyncClient, cloud: S3Bucket | AzureContainer, instructor: Account
) -> None:
    size = 12 * 1024 * 1024 + 123  # three S3 parts of 5 MB, four Azure blocks of 4 MB
    block = mp4(1024 * 1024)
    digest = hashlib.sha256()

    async def body() -> AsyncIterator[bytes]:
        yield b'--xyz\r\nContent-Disposition: form-data; name="is_public"\r\n\r\ntrue\r\n'
        yield b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="talk.mp4"\r\n\r\n'
        sent = 0
        while sent < size:
            chunk = block[: min(len(block), size - sent)]
            digest.update(chunk)
            sent += len(chunk)
            yield chunk
        yield b"\r\n--xyz--\r\n"

    response = await client.post(
        "/files/upload",
        headers={**instructor.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=body(),
    )
    assert response.status_code == 201, response.text
    file = response.json()
    assert file["file_size"] == size and file["is_public"] is True
    [key] = cloud.keys()
    assert hashlib.sha256(cloud.read(key)).hexdigest() == digest.hexdigest()
    assert cloud.pending_uploads() == 0

    redirect = await client.get(f"/files/{file['id']}/download")  # public: no login
    assert redirect.status_code == 307
    part = await fetch(redirect.headers["location"], Range="bytes=5242870-5242889")
    assert part.status_code == 206
    assert part.content == (block * 13)[5242870:5242890]
    assert part.headers["content-type"] == "video/mp4"


async def test_refused_uploads_leave_nothing_in_the_bucket(
    client: httpx.AsyncClient,
    cloud: S3Bucket | AzureContainer,
    student: Account,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "max_upload_mb", 11)

    async def body() -> AsyncIterator[bytes]:
        yield b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n\r\n'
        yield png(1024 * 1024)
        for _ in range(13):
            yield b"\x00" * (1024 * 1024)
        yield b"\r\n--xyz--\r\n"

    # Past the limit after two parts have gone up: the multipart upload is aborted, the
    # staged blocks dropped.
    too_big = await client.post(
        "/files/upload",
        headers={**student.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=body(),
    )
    assert too_big.status_code == 413, too_big.text
    mismatch = await upload(client, student, "cat.png", ELF)
    assert mismatch.status_code == 415
    assert cloud.keys() == [] and cloud.pending_uploads() == 0
    assert (await client.get("/files/my-files", headers=student.headers)).json()["total"] == 0


async def test_files_stay_readable_after_the_default_backend_changes(
    client: httpx.AsyncClient,
    student: Account,
    settings: Settings,
    on_s3: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    on_cloud = (await upload(client, student, "a.png", png())).json()
    monkeypatch.setattr(settings, "storage_backend", "local")
    local = (await upload(client, student, "b.png", png())).json()
    assert (on_cloud["storage_provider"], local["storage_provider"]) == ("s3", "local")
    cloud_download = await client.get(f"/files/{on_cloud['id']}/download", headers=student.headers)
    assert cloud_download.status_code == 307
    local_download = await client.get(f"/files/{local['id']}/download", headers=student.headers)
    assert local_download.status_code == 200
    assert (
        await client.delete(f"/files/{on_cloud['id']}", headers=student.headers)
    ).status_code == 204
    assert S3Bucket(on_s3).keys() == []
