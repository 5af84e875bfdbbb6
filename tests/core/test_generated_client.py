"""The OpenAPI document is good enough for a real client generator: a Python client
generated from it (openapi-python-client) enrolls a student, with an Idempotency-Key,
against the application. (The TypeScript client is type-checked by
``scripts/typescript-client.sh`` in the test command.)"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.factories.accounts import Account
from tests.factories.courses import published_course

PACKAGE = "lms_generated_client"


def _generate(document: dict[str, Any], into: Path) -> None:
    (into / "openapi.json").write_text(json.dumps(document))
    tools = Path(sys.executable).parent
    generated = subprocess.run(
        [
            str(tools / "openapi-python-client"),
            "generate",
            "--path",
            str(into / "openapi.json"),
            "--output-path",
            str(into / PACKAGE),
            "--meta",
            "none",
        ],
        env={**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    # Every operation is generated; only the binary downloads (a file, a PDF) are typed
    # as raw bytes, which this generator reports as a warning.
    unparsed = [
        line
        for line in generated.stdout.splitlines()
        if line.startswith(("Unable to", "WARNING")) and "download" not in line
    ]
    assert unparsed == [], generated.stdout


async def test_a_generated_python_client_enrolls_a_student(
    app: Any,
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    course, _ = await published_course(client, instructor, lessons=1)
    await anyio.to_thread.run_sync(_generate, app.openapi(), tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    generated = importlib.import_module(PACKAGE)
    enroll = importlib.import_module(f"{PACKAGE}.api.enrollments.enrollments_enroll")
    models = importlib.import_module(f"{PACKAGE}.models")

    api = generated.AuthenticatedClient(
        base_url="http://testserver",
        token=student.access_token,
        httpx_args={"transport": httpx.ASGITransport(app=app)},
    )
    async with api:
        answer = await enroll.asyncio_detailed(
            client=api,
            body=models.EnrollmentCreate(course_id=uuid.UUID(course["id"])),
            idempotency_key="generated-client-1",
        )

    assert answer.status_code == 201
    enrollment = answer.parsed
    assert isinstance(enrollment, models.EnrollmentRead)
    assert str(enrollment.course_id) == course["id"]
    assert answer.headers["location"] == f"/api/v1/enrollments/{enrollment.id}"
    mine = await client.get("/enrollments/my-courses", headers=student.headers)
    assert [item["course_id"] for item in mine.json()["items"]] == [course["id"]]
