"""An upload retried with its Idempotency-Key: the file is stored once and the first
answer replayed; the fingerprint covers the file's bytes and the form's fields (not the
multipart boundary, which a client draws afresh for each try), and it is hashed as the
body streams: a 50 MB upload and its replay leave memory flat."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from lms.core.config import Settings
from tests.factories.accounts import Account
from tests.factories.files import mp4, png
from tests.files.conftest import stored_files


def _form(boundary: str, content: bytes, *, is_public: str = "false") -> bytes:
    return (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="is_public"\r\n\r\n'
            f"{is_public}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="photo.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


def _headers(account: Account, boundary: str, key: str | None = "upload-7f3a") -> dict[str, str]:
    headers = {
        **account.headers,
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


async def test_a_retried_upload_replays_the_first_answer_and_stores_once(
    client: httpx.AsyncClient, student: Account, settings: Settings
) -> None:
    content = png(20_000)
    before = stored_files(settings)
    first = await client.post(
        "/files/upload",
        headers=_headers(student, "first-boundary"),
        content=_form("first-boundary", content),
    )
    assert first.status_code == 201, first.text
    # The retry of a client that draws a new boundary is the same request.
    retry = await client.post(
        "/files/upload",
        headers=_headers(student, "a-new-boundary-0123456789"),
        content=_form("a-new-boundary-0123456789", content),
    )
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["location"].endswith(f"/api/v1/files/{first.json()['id']}")
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(stored_files(settings) - before) == 1
    mine = await client.get("/files/my-files", headers=student.headers)
    assert mine.json()["total"] == 1

    # One byte of the file changed, or a field: another request.
    changed = content[:-1] + bytes([content[-1] ^ 1])
    for body in (_form("b", changed), _form("b", content, is_public="true")):
        reused = await client.post("/files/upload", headers=_headers(student, "b"), content=body)
        assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    # A longer body is refused without reading it all.
    longer = await client.post(
        "/files/upload", headers=_headers(student, "b"), content=_form("b", content + b"x" * 5000)
    )
    assert (longer.status_code, longer.json()["code"]) == (422, "idempotency_key_reused")
    assert (await client.get("/files/my-files", headers=student.headers)).json()["total"] == 1
    assert len(stored_files(settings) - before) == 1

    # Without the key, the same upload is a second file.
    again = await client.post(
        "/files/upload",
        headers=_headers(student, "first-boundary", key=None),
        content=_form("first-boundary", content),
    )
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]


async def test_a_refused_upload_frees_its_key(client: httpx.AsyncClient, student: Account) -> None:
    elf = b"\x7fELF" + b"\0" * 100
    refused = await client.post(
        "/files/upload", headers=_headers(student, "b"), content=_form("b", elf)
    )
    assert refused.status_code == 415
    fixed = await client.post(
        "/files/upload", headers=_headers(student, "b"), content=_form("b", png(500))
    )
    assert fixed.status_code == 201 and "idempotent-replayed" not in fixed.headers


async def test_keys_of_uploads_are_per_caller(
    client: httpx.AsyncClient, student: Account, other_student: Account
) -> None:
    content = png(800)
    mine = await client.post(
        "/files/upload", headers=_headers(student, "b"), content=_form("b", content)
    )
    theirs = await client.post(
        "/files/upload", headers=_headers(other_student, "b"), content=_form("b", content)
    )
    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]


SIZE = 50 * 1024 * 1024
CHUNK = 256 * 1024


async def test_a_50_mb_upload_and_its_replay_are_hashed_as_they_stream(
    client: httpx.AsyncClient, instructor: Account, upload_root: Path
) -> None:
    block = mp4(CHUNK)

    def body(boundary: bytes) -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"--" + boundary + b"\r\n"
            yield b'Content-Disposition: form-data; name="file"; filename="lecture.mp4"\r\n'
            yield b"Content-Type: video/mp4\r\n\r\n"
            sent = 0
            while sent < SIZE:
                chunk = bytes(block[: min(CHUNK, SIZE - sent)])
                sent += len(chunk)
                yield chunk
            yield b"\r\n--" + boundary + b"--\r\n"

        return chunks()

    async def post(boundary: bytes) -> tuple[httpx.Response, int]:
        tracemalloc.start()
        try:
            baseline, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            response = await client.post(
                "/files/upload",
                headers={
                    **instructor.headers,
                    "Idempotency-Key": "lecture-1",
                    "Content-Type": f"multipart/form-data; boundary={boundary.decode()}",
                },
                content=body(boundary),
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return response, peak - baseline

    first, grown = await post(b"first-try")
    assert first.status_code == 201, first.text
    assert grown < 8 * 1024 * 1024, f"peak memory grew by {grown / 1e6:.1f} MB"
    replay, grown = await post(b"second-try-boundary")
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert grown < 8 * 1024 * 1024, f"peak memory grew by {grown / 1e6:.1f} MB"
    [stored] = list(upload_root.rglob(first.json()["filename"]))
    assert stored.stat().st_size == SIZE
    stored.unlink()


async def test_a_retry_while_the_upload_still_streams_is_told_to_wait(
    client: httpx.AsyncClient, student: Account, settings: Settings
) -> None:
    content = png(4000)
    form = _form("b", content)
    halfway = asyncio.Event()
    go_on = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield form[:1000]
        halfway.set()
        await go_on.wait()
        yield form[1000:]

    first = asyncio.create_task(
        client.post("/files/upload", headers=_headers(student, "b"), content=slow_body())
    )
    await asyncio.wait_for(halfway.wait(), 10)
    retry = await client.post("/files/upload", headers=_headers(student, "b"), content=form)
    assert (retry.status_code, retry.json()["code"]) == (409, "idempotency_request_in_progress")
    go_on.set()
    answered = await first
    assert answered.status_code == 201, answered.text
    replay = await client.post("/files/upload", headers=_headers(student, "b"), content=form)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == answered.json()
    assert (await client.get("/files/my-files", headers=student.headers)).json()["total"] == 1
