"""Roster imports through HTTP: the dry run's plan, the job, its errors, importing
twice, resuming a stopped run, and every refusal."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.jobs import OutboxMessage
from lms.modules.enrollments.models import Enrollment
from lms.modules.imports import service
from lms.modules.imports.models import ImportJob
from lms.modules.users.models import User
from tests.factories.accounts import Account, AccountFactory
from tests.factories.api import ok
from tests.factories.courses import published_course
from tests.factories.teams import create_cohort

CSV = {"Content-Type": "text/csv"}


def roster_file(existing_email: str) -> bytes:
    """A BOM, CRLF line ends, quoted fields, Arabic names, a duplicate, a bad email, an
    unknown cohort, a staff row, and an existing account matched without case."""
    lines = [
        "email,full_name,role,cohort,external_id",
        "amal@example.com,أمل الشريف,student,Morning,S-1",
        '"omar@example.com","Omar, ""the quick"" Ali",student,Evening,S-2',
        "AMAL@example.com,أمل الشريف,student,Morning,S-1",
        "not-an-email,Nobody,student,,",
        "zaid@example.com,Zaid,student,Night,S-3",
        f"{existing_email.upper()},,student,,",
        "ta@example.com,Tariq Assistant,assistant,,T-1",
        "new@example.com,,student,,",
        "x@example.com,X,principal,,",
    ]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


async def _course(client: httpx.AsyncClient, instructor: Account) -> dict[str, Any]:
    course, _ = await published_course(client, instructor, lessons=1)
    await create_cohort(client, instructor, course["id"], name="Morning")
    await create_cohort(client, instructor, course["id"], name="Evening")
    return course


async def test_a_dry_run_answers_the_plan_and_writes_nothing(
    client: httpx.AsyncClient, instructor: Account, student: Account, db: AsyncSession
) -> None:
    course = await _course(client, instructor)
    users_before = await db.scalar(select(func.count(User.id)))
    response = await client.post(
        f"/courses/{course['id']}/roster/imports",
        params={"dry_run": "true"},
        headers={**instructor.headers, **CSV},
        content=roster_file(student.email),
    )
    plan = ok(response, 200)
    assert plan["total"] == 9
    # amal, omar, ta: new; the student: enrolled (created); the duplicate amal: unchanged
    assert (plan["create"], plan["update"], plan["leave"], plan["refuse"]) == (4, 0, 1, 4)
    reasons = {error["line"]: error["reason"] for error in plan["errors"]}
    assert reasons[5] == "invalid email"
    assert "unknown cohort" in reasons[6]
    assert "full_name is required" in reasons[9]
    assert "unknown role" in reasons[10]
    assert await db.scalar(select(func.count(User.id))) == users_before
    assert await db.scalar(select(func.count(ImportJob.id))) == 0


async def test_an_import_runs_as_a_job_and_a_second_run_changes_nothing(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    other_instructor: Account,
    admin: Account,
    db: AsyncSession,
    drain: Any,
) -> None:
    course = await _course(client, instructor)
    url = f"/courses/{course['id']}/roster/imports"
    started = await client.post(
        url, headers={**instructor.headers, **CSV}, content=roster_file(student.email)
    )
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] == "queued" and started.headers["location"] == f"/api/v1/jobs/{job['id']}"
    await drain()
    done = ok(await client.get(f"/jobs/{job['id']}", headers=instructor.headers))
    assert done["state"] == "succeeded" and done["processed"] == done["total"] == 9
    assert (done["created"], done["updated"], done["unchanged"], done["failed"]) == (4, 0, 1, 4)

    errors = await client.get(f"/jobs/{job['id']}/errors.csv", headers=instructor.headers)
    assert errors.status_code == 200 and errors.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(errors.text)))
    assert [int(r["line"]) for r in rows] == [5, 6, 9, 10]

    omar = await db.scalar(select(User).where(User.email == "omar@example.com"))
    assert (
        omar is not None and omar.full_name == 'Omar, "the quick" Ali' and omar.external_id == "S-2"
    )
    amal = await db.scalar(select(User).where(User.email == "amal@example.com"))
    assert amal is not None and amal.full_name == "أمل الشريف" and amal.password_hash is None
    team = ok(await client.get(f"/courses/{course['id']}/staff", headers=instructor.headers))
    assert [m["email"] for m in team if m["role"] == "assistant"] == ["ta@example.com"]
    roster = ok(await client.get(f"/courses/{course['id']}/students", headers=instructor.headers))
    assert sorted((r["email"], r["cohort_name"]) for r in roster["items"]) == sorted(
        [("amal@example.com", "Morning"), ("omar@example.com", "Evening"), (student.email, None)]
    )

    # others do not see the job
    for stranger in (other_instructor, student):
        assert (await client.get(f"/jobs/{job['id']}", headers=stranger.headers)).status_code == 404
    assert (await client.get(f"/jobs/{job['id']}", headers=admin.headers)).status_code == 200

    again = ok(
        await client.post(
            url, headers={**instructor.headers, **CSV}, content=roster_file(student.email)
        ),
        202,
    )
    await drain()
    second = ok(await client.get(f"/jobs/{again['id']}", headers=instructor.headers))
    assert (second["created"], second["updated"], second["unchanged"], second["failed"]) == (
        0,
        0,
        5,
        4,
    )
    assert (
        await db.scalar(
            select(func.count(Enrollment.id)).where(Enrollment.course_id == uuid.UUID(course["id"]))
        )
        == 3
    )


async def test_a_stopped_run_resumes_to_the_same_result(
    app: Any,
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    settings: Settings,
    db: AsyncSession,
) -> None:
    """Stopped after its first chunk (two rows), the job resumes after it: the accounts,
    enrollments and invitations are those of an uninterrupted run, none twice."""
    course = await _course(client, instructor)
    job = ok(
        await client.post(
            f"/courses/{course['id']}/roster/imports",
            headers={**instructor.headers, **CSV},
            content=roster_file(student.email),
        ),
        202,
    )
    small = settings.model_copy(update={"import_chunk_rows": 2})
    async with app.state.sessionmaker() as session:
        row = await session.get(ImportJob, uuid.UUID(job["id"]))
        assert row is not None
        with pytest.raises(InterruptedError):
            await service.run_job(session, row, settings=small, stop_after_chunks=1)
    halfway = ok(await client.get(f"/jobs/{job['id']}", headers=instructor.headers))
    assert halfway["state"] == "running" and halfway["processed"] == 2
    async with app.state.sessionmaker() as session:
        row = await session.get(ImportJob, uuid.UUID(job["id"]))
        assert row is not None
        await service.run_job(session, row, settings=small)
    done = ok(await client.get(f"/jobs/{job['id']}", headers=instructor.headers))
    assert done["state"] == "succeeded"
    assert (done["created"], done["updated"], done["unchanged"], done["failed"]) == (4, 0, 1, 4)
    invitations = await db.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.task == "auth.invitation")
    )
    assert invitations == 3  # amal, omar, the assistant: once each
    assert await db.scalar(select(func.count(User.id)).where(User.email == "amal@example.com")) == 1


async def test_import_refusals(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    make_account: AccountFactory,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    course = await _course(client, instructor)
    url = f"/courses/{course['id']}/roster/imports"
    body = roster_file(student.email)
    by_student = await client.post(url, headers={**student.headers, **CSV}, content=body)
    assert by_student.status_code == 403
    helper = await make_account("student")
    ok(
        await client.post(
            f"/courses/{course['id']}/staff",
            headers=instructor.headers,
            json={"user_id": str(helper.id), "role": "assistant"},
        ),
        201,
    )
    by_assistant = await client.post(url, headers={**helper.headers, **CSV}, content=body)
    assert by_assistant.status_code == 403
    not_csv = await client.post(
        url, headers={**instructor.headers, "Content-Type": "application/json"}, content=b"{}"
    )
    assert not_csv.status_code == 415
    no_email = await client.post(
        url, headers={**instructor.headers, **CSV}, content=b"name,role\r\nA,student\r\n"
    )
    assert no_email.status_code in (202, 422)
    dry_no_email = await client.post(
        url,
        params={"dry_run": "true"},
        headers={**instructor.headers, **CSV},
        content=b"name,role\r\nA,student\r\n",
    )
    assert dry_no_email.status_code == 422 and dry_no_email.json()["code"] == "import_file_invalid"
    not_utf8 = await client.post(
        url,
        params={"dry_run": "true"},
        headers={**instructor.headers, **CSV},
        content="email,full_name\r\nb@example.com,Bj\xf6rk\r\n".encode("latin-1"),
    )
    assert not_utf8.status_code == 422
    empty = await client.post(
        url, params={"dry_run": "true"}, headers={**instructor.headers, **CSV}, content=b""
    )
    assert empty.status_code == 422
    monkeypatch.setattr(settings, "import_max_mb", 1)
    too_large = await client.post(
        url,
        headers={**instructor.headers, **CSV},
        content=b"email,full_name\r\n" + b"a@example.com,A\r\n" * 70_000,
    )
    assert too_large.status_code == 413
    users_only = await client.post(
        "/admin/imports/users", headers={**instructor.headers, **CSV}, content=body
    )
    assert users_only.status_code == 403
    unknown_job = await client.get(f"/jobs/{uuid.uuid4()}", headers=instructor.headers)
    assert unknown_job.status_code == 404


async def test_admins_import_accounts_without_a_course(
    client: httpx.AsyncClient, admin: Account, db: AsyncSession, drain: Any
) -> None:
    body = (
        b"email,full_name,role,external_id\r\n"
        b"t1@example.com,Teacher One,instructor,E-1\r\n"
        b"s1@example.com,Student One,,E-2\r\n"
        b"s2@example.com,Student Two,co_instructor,\r\n"
    )
    job = ok(
        await client.post("/admin/imports/users", headers={**admin.headers, **CSV}, content=body),
        202,
    )
    await drain()
    done = ok(await client.get(f"/jobs/{job['id']}", headers=admin.headers))
    assert (done["created"], done["failed"]) == (2, 1)
    teacher = await db.scalar(select(User).where(User.email == "t1@example.com"))
    assert teacher is not None and teacher.role == "instructor"
