"""A large upload streams to storage: memory stays flat whatever the file's size."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.factories.accounts import Account
from tests.factories.files import mp4

SIZE = 50 * 1024 * 1024
CHUNK = 256 * 1024
BOUNDARY = b"memory-test-boundary"


async def test_a_50_mb_upload_does_not_sit_in_memory(
    client: httpx.AsyncClient, instructor: Account, upload_root: Path
) -> None:
    digest = hashlib.sha256()
    block = mp4(CHUNK)

    async def body() -> AsyncIterator[bytes]:
        yield b"--" + BOUNDARY + b"\r\n"
        yield b'Content-Disposition: form-data; name="folder"\r\n\r\nvideos\r\n'
        yield b"--" + BOUNDARY + b"\r\n"
        yield b'Content-Disposition: form-data; name="file"; filename="lecture.mp4"\r\n'
        yield b"Content-Type: video/mp4\r\n\r\n"
        sent = 0
        while sent < SIZE:
            # A fresh bytes object per chunk, as a network read would produce.
            chunk = bytes(block[: min(CHUNK, SIZE - sent)])
            digest.update(chunk)
            sent += len(chunk)
            yield chunk
        yield b"\r\n--" + BOUNDARY + b"--\r\n"

    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        response = await client.post(
            "/files/upload",
            headers={
                **instructor.headers,
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY.decode()}",
            },
            content=body(),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 201, response.text
    assert response.json()["file_size"] == SIZE
    grown = peak - baseline
    # The whole file would be 50 MB; a streaming upload holds a few chunks at a time.
    assert grown < 8 * 1024 * 1024, f"peak memory grew by {grown / 1e6:.1f} MB"

    [stored] = list(upload_root.rglob(response.json()["filename"]))
    assert stored.relative_to(upload_root).parts[0] == "videos"
    on_disk = hashlib.sha256()
    with stored.open("rb") as handle:
        while piece := handle.read(1024 * 1024):
            on_disk.update(piece)
    assert on_disk.hexdigest() == digest.hexdigest()
    stored.unlink()
