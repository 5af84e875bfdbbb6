"""Memory and time of a personal-data export for a student holding gigabytes of uploads
(benchmarks/README.md, "Personal data export").

    python -m benchmarks.privacy.export_memory [--gigabytes 5] [--files 5] [--dir PATH]

A student uploads ``--files`` videos of ``--gigabytes / --files`` each through
``POST /files/upload`` (the application in-process, httpx on the ASGI app, local
storage under ``--dir``), asks for an export (``POST /me/data-export``), and the export
job runs as the worker runs it. A thread samples the process's resident memory every
50 ms; the report gives the peak above the resident memory before each phase, the
Python heap's peak (tracemalloc) during the export and each phase's duration. The
archive is then opened and every file's entry checked against the uploaded bytes'
SHA-256. SQLite by default (``BENCH_DATABASE_URL`` for PostgreSQL); everything under
``--dir`` is removed afterwards unless ``--keep``."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import threading
import time
import tracemalloc
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

PARSER = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
PARSER.add_argument("--gigabytes", type=float, default=5.0)
PARSER.add_argument("--files", type=int, default=5)
PARSER.add_argument("--dir", default="/tmp/lms-bench-export")
PARSER.add_argument("--keep", action="store_true", help="leave the files and database")
ARGS = PARSER.parse_args()
WORKDIR = Path(ARGS.dir)
FILE_BYTES = int(ARGS.gigabytes * 1024**3 / ARGS.files)
CHUNK = 1024 * 1024
BOUNDARY = "export-benchmark-boundary"

os.environ.update(
    {
        "LMS_DATABASE_URL": os.environ.get(
            "BENCH_DATABASE_URL", f"sqlite+aiosqlite:///{WORKDIR / 'bench.db'}"
        ),
        "LMS_UPLOAD_DIR": str(WORKDIR / "uploads"),
        "LMS_MAX_UPLOAD_MB": str(FILE_BYTES // 1024**2 + 1),
        "LMS_SECRET_KEY": "benchmark-secret-key-that-is-long-enough-0123456789",
        "LMS_EMAIL_BACKEND": "console",
        "LMS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("LMS_REDIS_URL", None)
os.environ.pop("LMS_CELERY_BROKER_URL", None)

import httpx  # noqa: E402

from lms.core import jobs  # noqa: E402
from lms.core.config import get_settings  # noqa: E402
from lms.core.migrate import upgrade  # noqa: E402
from lms.core.security import create_access_token  # noqa: E402
from lms.core.session import commit  # noqa: E402
from lms.main import create_app  # noqa: E402
from lms.modules import users  # noqa: E402

MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def resident_peak() -> Iterator[dict[str, float]]:
    """The peak resident memory above the start, sampled every 50 ms, and the time."""
    found = {"start": resident_bytes(), "peak": 0.0, "seconds": 0.0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            found["peak"] = max(found["peak"], resident_bytes() - found["start"])

    sampler = threading.Thread(target=sample, daemon=True)
    started = time.perf_counter()
    sampler.start()
    try:
        yield found
    finally:
        done.set()
        sampler.join()
        found["peak"] = max(found["peak"], resident_bytes() - found["start"])
        found["seconds"] = time.perf_counter() - started


async def upload(client: httpx.AsyncClient, headers: dict[str, str], index: int) -> str:
    """One video of FILE_BYTES through the upload route, streamed; its SHA-256."""
    digest = hashlib.sha256()
    block = MP4_HEADER + os.urandom(CHUNK - len(MP4_HEADER))

    async def body() -> AsyncIterator[bytes]:
        yield f"--{BOUNDARY}\r\n".encode()
        disposition = f'form-data; name="file"; filename="lecture-{index}.mp4"'
        yield f"Content-Disposition: {disposition}\r\n".encode()
        yield b"Content-Type: video/mp4\r\n\r\n"
        sent = 0
        while sent < FILE_BYTES:
            chunk = block[: min(CHUNK, FILE_BYTES - sent)]
            digest.update(chunk)
            sent += len(chunk)
            yield chunk
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    response = await client.post(
        "/files/upload",
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        content=body(),
        timeout=None,
    )
    assert response.status_code == 201, response.text
    return digest.hexdigest()


def check_archive(path: Path, digests: list[str]) -> None:
    with zipfile.ZipFile(path) as archive:
        found = []
        for name in archive.namelist():
            if not name.startswith("files/"):
                continue
            copied = hashlib.sha256()
            with archive.open(name) as handle:
                while piece := handle.read(CHUNK):
                    copied.update(piece)
            found.append(copied.hexdigest())
    assert sorted(found) == sorted(digests), "the archive's files differ from the uploads"


def megabytes(value: float) -> str:
    return f"{value / 1024**2:8.1f} MB"


async def main() -> None:
    settings = get_settings()
    app = create_app(settings, run_jobs=False)
    email = f"video-student-{uuid.uuid4().hex[:8]}@example.com"
    async with app.state.sessionmaker() as session:
        student = await users.create_user(
            session,
            settings=settings,
            email=email,
            password="a long enough password 1",
            full_name="Video Student",
            role="student",
        )
        await commit(session)
    token, _ = create_access_token(settings, user_id=student.id, role="student")
    headers = {"Authorization": f"Bearer {token}"}
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench/api/v1") as client:
        with resident_peak() as uploading:
            digests = [await upload(client, headers, index) for index in range(ARGS.files)]
        asked = await client.post("/me/data-export", headers=headers)
        assert asked.status_code == 202, asked.text
        tracemalloc.start()
        with resident_peak() as exporting:
            await jobs.drain(app.state.sessionmaker, settings)
        _, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        job = (await client.get(f"/data-exports/{asked.json()['id']}", headers=headers)).json()
    assert job["state"] == "ready", job
    [archive] = list((WORKDIR / "uploads").rglob(f"{job['id']}.zip"))
    check_archive(archive, digests)
    total = FILE_BYTES * ARGS.files
    print(f"uploads: {ARGS.files} x {megabytes(FILE_BYTES)} = {total / 1024**3:.2f} GB")
    print(
        f"upload:  {uploading['seconds']:7.1f} s   resident peak above start "
        f"{megabytes(uploading['peak'])}"
    )
    print(
        f"export:  {exporting['seconds']:7.1f} s   resident peak above start "
        f"{megabytes(exporting['peak'])}   Python heap peak {megabytes(heap_peak)}"
    )
    print(f"archive: {job['size'] / 1024**3:.2f} GB, every file's SHA-256 matches its upload")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    await app.state.engine.dispose()
    if not ARGS.keep:
        shutil.rmtree(WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir(parents=True)
    upgrade(get_settings().database_url)
    asyncio.run(main())
