"""The storage interface other modules use (certificates store their PDFs through it),
run against each real backend: local folder, S3 (moto server), Azure Blob (Azurite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from lms.core.config import Settings
from lms.core.storage import (
    ObjectNotFound,
    Storage,
    content_disposition,
    get_storage,
    new_object_key,
    sanitize_folder,
    validate_key,
)


@pytest.fixture(params=["local", "s3", "azure"])
def storage(request: pytest.FixtureRequest, settings: Settings) -> Storage:
    if request.param == "s3":
        request.getfixturevalue("on_s3")
    elif request.param == "azure":
        request.getfixturevalue("on_azure")
    backend = get_storage(settings)
    assert backend.provider == request.param
    return backend


async def collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


async def test_put_read_and_delete(storage: Storage) -> None:
    key = new_object_key("pdf", folder="certificates")
    data = b"%PDF-1.7\n" + bytes(range(256)) * 400
    assert await storage.put_bytes(key, data, content_type="application/pdf") == len(data)

    assert await storage.exists(key)
    assert (await storage.stat(key)).size == len(data)
    assert await storage.get_bytes(key) == data
    assert await collect(await storage.open_stream(key)) == data
    assert await collect(await storage.open_stream(key, offset=1000, length=10)) == data[1000:1010]
    assert await collect(await storage.open_stream(key, length=7)) == data[:7]
    assert await collect(await storage.open_stream(key, offset=len(data) - 5)) == data[-5:]

    url = await storage.url_for(
        key, filename="Certificate ✓.pdf", content_type="application/pdf", inline=True
    )
    if storage.provider == "local":
        assert url is None  # served by the API instead
    else:
        assert url is not None
        async with httpx.AsyncClient() as direct:
            fetched = await direct.get(url)
        assert fetched.status_code == 200 and fetched.content == data
        assert fetched.headers["content-type"] == "application/pdf"
        assert fetched.headers["content-disposition"] == content_disposition(
            "Certificate ✓.pdf", inline=True
        )

    await storage.delete(key)
    assert not await storage.exists(key)
    await storage.delete(key)  # deleting twice is fine
    with pytest.raises(ObjectNotFound):
        await storage.get_bytes(key)
    with pytest.raises(ObjectNotFound):
        await storage.open_stream(key)
    with pytest.raises(ObjectNotFound):
        await storage.stat(key)


async def test_put_stream_overwrites_and_a_failing_stream_leaves_nothing(
    storage: Storage,
) -> None:
    key = new_object_key("bin")

    async def chunks(count: int, fail: bool = False) -> AsyncIterator[bytes]:
        for index in range(count):
            yield bytes([index]) * (1024 * 1024)
        if fail:
            raise RuntimeError("client went away")

    assert await storage.put_stream(key, chunks(3), content_type="application/octet-stream") == (
        3 * 1024 * 1024
    )
    assert (await storage.stat(key)).size == 3 * 1024 * 1024
    assert await storage.put_bytes(key, b"small", content_type="text/plain") == 5
    assert await storage.get_bytes(key) == b"small"

    broken = new_object_key("bin")
    with pytest.raises(RuntimeError, match="client went away"):
        await storage.put_stream(broken, chunks(11, fail=True), content_type="video/mp4")
    assert not await storage.exists(broken)

    empty = new_object_key("txt")
    assert await storage.put_stream(empty, chunks(0), content_type="text/plain") == 0
    assert await storage.get_bytes(empty) == b""
    for done in (key, empty):
        await storage.delete(done)


async def test_keys_are_validated(storage: Storage) -> None:
    for bad in ("../etc/passwd", "/abs/key", "a//b", "a/./b", "a/../b", "", "a/b\\c", "a/ b"):
        with pytest.raises(ValueError):
            await storage.put_bytes(bad, b"x", content_type="text/plain")


def test_key_and_header_helpers() -> None:
    moment = datetime(2025, 3, 9, tzinfo=UTC)
    key = new_object_key("PDF", folder=None, now=moment)
    assert key.startswith("uploads/2025/03/") and key.endswith(".pdf")
    assert new_object_key("png", folder="My Course/../Week 1", now=moment).startswith(
        "my-course/week-1/2025/03/"
    )
    assert sanitize_folder("../../") == "uploads"
    assert sanitize_folder("Été/Vidéos") == "ete/videos"
    assert validate_key("certificates/2025/03/x.pdf") == "certificates/2025/03/x.pdf"
    with pytest.raises(ValueError):
        new_object_key("p/ng")
    assert content_disposition('a"b;c.pdf') == (
        "attachment; filename=\"a_b_c.pdf\"; filename*=UTF-8''a%22b%3Bc.pdf"
    )
    assert content_disposition("شهادة.pdf", inline=True).startswith(
        'inline; filename="download.pdf";'
    )
