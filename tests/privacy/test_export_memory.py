"""An export copies the person's files into the archive chunk by chunk: memory stays
bounded however large they are (the issue's student with 5 GB of videos)."""

from __future__ import annotations

import hashlib
import tracemalloc
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from lms.core.config import Settings
from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.factories.files import mp4

SIZE = 40 * 1024 * 1024
CHUNK = 256 * 1024
BOUNDARY = b"export-memory-boundary"


async def _upload_large_video(client: httpx.AsyncClient, student: Account) -> tuple[str, str]:
    digest = hashlib.sha256()
    block = mp4(CHUNK)

    async def body() -> AsyncIterator[bytes]:
        yield b"--" + BOUNDARY + b"\r\n"
        yield b'Content-Disposition: form-data; name="file"; filename="lecture.mp4"\r\n'
        yield b"Content-Type: video/mp4\r\n\r\n"
        sent = 0
        while sent < SIZE:
            chunk = bytes(block[: min(CHUNK, SIZE - sent)])
            digest.update(chunk)
            sent += len(chunk)
            yield chunk
        yield b"\r\n--" + BOUNDARY + b"--\r\n"

    response = await client.post(
        "/files/upload",
        headers={
            **student.headers,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY.decode()}",
        },
        content=body(),
    )
    return ok(response, 201)["id"], digest.hexdigest()


async def test_exporting_a_large_file_keeps_memory_bounded(
    app: Any, client: httpx.AsyncClient, student: Account, settings: Settings, drain: Any
) -> None:
    file_id, digest = await _upload_large_video(client, student)
    asked = ok(await client.post("/me/data-export", headers=student.headers), 202)

    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        await drain()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    job = ok(await client.get(f"/data-exports/{asked['id']}", headers=student.headers))
    assert job["state"] == "ready" and job["size"] > SIZE
    grown = peak - baseline
    # The file alone is 40 MB; the export holds a chunk or two at a time.
    assert grown < 8 * 1024 * 1024, f"peak memory grew by {grown / 1e6:.1f} MB"

    [archive_path] = list(Path(settings.upload_dir).rglob(f"{asked['id']}.zip"))
    with zipfile.ZipFile(archive_path) as archive:
        [entry] = [name for name in archive.namelist() if name.startswith(f"files/{file_id}/")]
        copied = hashlib.sha256()
        with archive.open(entry) as handle:
            while piece := handle.read(1024 * 1024):
                copied.update(piece)
    assert copied.hexdigest() == digest
