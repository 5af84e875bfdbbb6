"""HTTP conventions on the team's routes: a cohort honours If-Match, a created cohort
names itself in Location, and a staff enrollment or a staff addition retried with its
Idempotency-Key is answered as the first time, once."""

from __future__ import annotations

import httpx

from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.factories.courses import published_course
from tests.factories.teams import create_cohort


async def test_two_editors_of_a_cohort_cannot_overwrite_each_other(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    course, _ = await published_course(client, instructor, lessons=1)
    created = await client.post(
        f"/courses/{course['id']}/cohorts", headers=instructor.headers, json={"name": "Autumn"}
    )
    assert created.status_code == 201
    url = f"/courses/{course['id']}/cohorts/{created.json()['id']}"
    assert created.headers["location"].endswith(f"/api/v1{url}")
    read = await client.get(url, headers=instructor.headers)
    etag = read.headers["etag"]

    first = await client.patch(
        url, headers={**instructor.headers, "If-Match": etag}, json={"capacity": 30}
    )
    assert first.status_code == 200
    stale = await client.patch(
        url, headers={**instructor.headers, "If-Match": etag}, json={"name": "Winter"}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    refused_delete = await client.delete(url, headers={**instructor.headers, "If-Match": etag})
    assert refused_delete.status_code == 412
    current = ok(await client.get(url, headers=instructor.headers))
    assert (current["name"], current["capacity"]) == ("Autumn", 30)
    deleted = await client.delete(
        url, headers={**instructor.headers, "If-Match": first.headers["etag"]}
    )
    assert deleted.status_code == 204


async def test_a_retried_staff_enrollment_is_answered_once(
    client: httpx.AsyncClient, instructor: Account, student: Account, other_student: Account
) -> None:
    course, _ = await published_course(client, instructor, lessons=1)
    cohort = await create_cohort(client, instructor, course["id"], capacity=1)
    url = f"/courses/{course['id']}/enrollments"
    headers = {**instructor.headers, "Idempotency-Key": "roster-2026-12-07-1"}
    body = {"user_id": str(student.id), "cohort_id": cohort["id"]}
    first = await client.post(url, headers=headers, json=body)
    assert first.status_code == 201
    again = await client.post(url, headers=headers, json=body)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    # The same key for another request is refused; the cohort kept its one seat taken.
    other = {"user_id": str(other_student.id), "cohort_id": cohort["id"]}
    reused = await client.post(url, headers=headers, json=other)
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    full = await client.post(url, headers=instructor.headers, json=other)
    assert (full.status_code, full.json()["code"]) == (409, "cohort_full")


async def test_a_retried_staff_addition_is_answered_once(
    client: httpx.AsyncClient, instructor: Account, other_instructor: Account, admin: Account
) -> None:
    course, _ = await published_course(client, instructor, lessons=1)
    url = f"/courses/{course['id']}/staff"
    headers = {**instructor.headers, "Idempotency-Key": "team-co-1"}
    body = {"user_id": str(other_instructor.id), "role": "co_instructor"}
    first = await client.post(url, headers=headers, json=body)
    assert first.status_code == 201, first.text
    again = await client.post(url, headers=headers, json=body)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    reused = await client.post(
        url, headers=headers, json={"user_id": str(admin.id), "role": "assistant"}
    )
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    team = ok(await client.get(url, headers=instructor.headers))
    assert sorted(member["role"] for member in team) == ["co_instructor", "owner"]
