"""Imports retried with their Idempotency-Key: one job however often the request is
sent, the plan of a dry run replayed, and the key refused for another file or mode."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.imports.models import ImportJob
from lms.modules.users.models import User
from tests.factories.accounts import Account
from tests.factories.courses import published_course

CSV = {"Content-Type": "text/csv"}
ROSTER = (
    b"email,full_name,role\r\n"
    b"nadia@example.com,Nadia,student\r\n"
    b"karim@example.com,Karim,student\r\n"
)


async def _jobs(db: AsyncSession) -> int:
    return await db.scalar(select(func.count(ImportJob.id))) or 0


async def test_a_retried_roster_import_starts_one_job(
    client: httpx.AsyncClient, instructor: Account, db: AsyncSession, drain: Any
) -> None:
    course, _ = await published_course(client, instructor, lessons=1)
    url = f"/courses/{course['id']}/roster/imports"
    headers = {**instructor.headers, **CSV, "Idempotency-Key": "roster-import-1"}

    first = await client.post(url, headers=headers, content=ROSTER)
    retry = await client.post(url, headers=headers, content=ROSTER)

    assert first.status_code == retry.status_code == 202, first.text
    assert retry.json() == first.json()
    assert (
        retry.headers["location"]
        == first.headers["location"]
        == (f"/api/v1/jobs/{first.json()['id']}")
    )
    assert retry.headers["idempotent-replayed"] == "true"
    assert await _jobs(db) == 1
    for body, params in (
        (ROSTER.replace(b"Karim", b"Kareem"), {}),  # another file
        (ROSTER, {"dry_run": "true"}),  # the same file, another mode
    ):
        reused = await client.post(url, headers=headers, params=params, content=body)
        assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    assert await _jobs(db) == 1
    await drain()
    job = (await client.get(f"/jobs/{first.json()['id']}", headers=instructor.headers)).json()
    assert (job["state"], job["created"]) == ("succeeded", 2)


async def test_a_retried_dry_run_replays_its_plan(
    client: httpx.AsyncClient, instructor: Account, db: AsyncSession
) -> None:
    course, _ = await published_course(client, instructor, lessons=1)
    url = f"/courses/{course['id']}/roster/imports"
    headers = {**instructor.headers, **CSV, "Idempotency-Key": "plan-1"}
    first = await client.post(url, headers=headers, params={"dry_run": "true"}, content=ROSTER)
    retry = await client.post(url, headers=headers, params={"dry_run": "true"}, content=ROSTER)
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json() and first.json()["create"] == 2
    assert retry.headers["idempotent-replayed"] == "true"
    reused = await client.post(
        url, headers=headers, params={"dry_run": "true"}, content=b"email\r\n"
    )
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    assert await _jobs(db) == 0


async def test_a_retried_users_import_starts_one_job(
    client: httpx.AsyncClient, admin: Account, instructor: Account, db: AsyncSession, drain: Any
) -> None:
    headers = {**admin.headers, **CSV, "Idempotency-Key": "users-2026-12"}
    first = await client.post("/admin/imports/users", headers=headers, content=ROSTER)
    retry = await client.post("/admin/imports/users", headers=headers, content=ROSTER)
    assert first.status_code == retry.status_code == 202, first.text
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert await _jobs(db) == 1
    reused = await client.post(
        "/admin/imports/users", headers=headers, content=ROSTER + b"zoe@example.com,Zoe,student\r\n"
    )
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    # A refused caller does not take the key.
    refused = await client.post(
        "/admin/imports/users",
        headers={**instructor.headers, **CSV, "Idempotency-Key": "users-2026-12"},
        content=ROSTER,
    )
    assert refused.status_code == 403
    await drain()
    imported = select(func.count(User.id)).where(
        User.email.in_(["nadia@example.com", "karim@example.com"])
    )
    assert await db.scalar(imported) == 2
    assert await _jobs(db) == 1
