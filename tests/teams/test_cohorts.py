"""Cohorts: CRUD by the course's editors, one cohort per student, moving keeps
progress, and a capacity that holds under concurrent enrollments."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.courses.models import Cohort
from lms.modules.enrollments.models import Enrollment
from tests.factories.accounts import Account, AccountFactory
from tests.factories.api import ok
from tests.factories.courses import published_course
from tests.factories.enrollments import complete_lesson
from tests.factories.teams import create_cohort, enroll_by_staff, move_to_cohort


async def test_cohort_crud(client: httpx.AsyncClient, instructor: Account) -> None:
    course, _ = await published_course(client, instructor, lessons=1)
    base = f"/courses/{course['id']}/cohorts"
    created = await create_cohort(
        client,
        instructor,
        course["id"],
        name="Autumn 2027",
        starts_on="2027-09-01",
        ends_on="2027-12-20",
        capacity=30,
    )
    assert created["member_count"] == 0 and created["capacity"] == 30
    await create_cohort(client, instructor, course["id"], name="Spring 2028")
    listed = ok(await client.get(base, headers=instructor.headers))
    assert [c["name"] for c in listed] == ["Autumn 2027", "Spring 2028"]
    changed = ok(
        await client.patch(
            f"{base}/{created['id']}",
            headers=instructor.headers,
            json={"name": "Autumn 2027 (A)", "capacity": None},
        )
    )
    assert changed["name"] == "Autumn 2027 (A)" and changed["capacity"] is None
    assert ok(await client.get(f"{base}/{created['id']}", headers=instructor.headers))["name"] == (
        "Autumn 2027 (A)"
    )
    deleted = await client.delete(f"{base}/{created['id']}", headers=instructor.headers)
    assert deleted.status_code == 204
    assert (
        await client.get(f"{base}/{created['id']}", headers=instructor.headers)
    ).status_code == 404


async def test_cohort_refusals(
    client: httpx.AsyncClient, instructor: Account, make_account: AccountFactory
) -> None:
    course, _ = await published_course(client, instructor, lessons=1)
    other, _ = await published_course(client, instructor, lessons=1)
    base = f"/courses/{course['id']}/cohorts"
    cohort = await create_cohort(client, instructor, course["id"], name="A", capacity=1)
    same_name = await client.post(base, headers=instructor.headers, json={"name": "a"})
    assert same_name.status_code == 409 and same_name.json()["code"] == "cohort_name_taken"
    dates = await client.post(
        base,
        headers=instructor.headers,
        json={"name": "B", "starts_on": "2027-02-01", "ends_on": "2027-01-01"},
    )
    assert dates.status_code == 422
    negative = await client.post(
        base, headers=instructor.headers, json={"name": "C", "capacity": -1}
    )
    assert negative.status_code == 422
    elsewhere = await client.get(
        f"/courses/{other['id']}/cohorts/{cohort['id']}", headers=instructor.headers
    )
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "cohort_not_found"

    learner = await make_account("student")
    await enroll_by_staff(
        client, instructor, course["id"], user_id=learner.id, cohort_id=cohort["id"]
    )
    full = await client.post(
        f"/courses/{course['id']}/enrollments",
        headers=instructor.headers,
        json={"email": "late@example.com", "cohort_id": cohort["id"]},
    )
    assert full.status_code == 409 and full.json()["code"] == "cohort_full"
    shrink = await client.patch(
        f"{base}/{cohort['id']}", headers=instructor.headers, json={"capacity": 0}
    )
    assert shrink.status_code == 409 and shrink.json()["code"] == "capacity_below_members"
    not_empty = await client.delete(f"{base}/{cohort['id']}", headers=instructor.headers)
    assert not_empty.status_code == 409 and not_empty.json()["code"] == "cohort_not_empty"
    foreign = await client.post(
        f"/courses/{other['id']}/enrollments",
        headers=instructor.headers,
        json={"email": "x@example.com", "cohort_id": cohort["id"]},
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "cohort_not_found"


async def test_moving_between_cohorts_keeps_progress_and_seats(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course, lessons = await published_course(client, instructor, lessons=2)
    first = await create_cohort(client, instructor, course["id"], name="First", capacity=1)
    second = await create_cohort(client, instructor, course["id"], name="Second", capacity=1)
    enrollment = await enroll_by_staff(
        client, instructor, course["id"], user_id=student.id, cohort_id=first["id"]
    )
    assert enrollment["cohort_id"] == first["id"]
    await complete_lesson(client, student, enrollment["id"], lessons[0]["id"])

    moved = await move_to_cohort(client, instructor, course["id"], enrollment["id"], second["id"])
    assert moved["cohort_id"] == second["id"]
    assert moved["completed_lessons_count"] == 1 and moved["progress_percentage"] == 50
    cohorts = {
        c["name"]: c["member_count"]
        for c in ok(
            await client.get(f"/courses/{course['id']}/cohorts", headers=instructor.headers)
        )
    }
    assert cohorts == {"First": 0, "Second": 1}
    # a student belongs to at most one cohort: enrolling again with a cohort moves them
    again = await enroll_by_staff(
        client, instructor, course["id"], user_id=student.id, cohort_id=first["id"]
    )
    assert again["id"] == enrollment["id"] and again["cohort_id"] == first["id"]
    out = await move_to_cohort(client, instructor, course["id"], enrollment["id"], None)
    assert out["cohort_id"] is None


async def test_capacity_is_exact_under_concurrent_enrollments(
    client: httpx.AsyncClient,
    instructor: Account,
    make_account: AccountFactory,
    db: AsyncSession,
) -> None:
    """Twelve staff enrollments race for three seats: exactly three get in, the others
    get 409 ``cohort_full``; the seat count and the enrollments agree."""
    course, _ = await published_course(client, instructor, lessons=1)
    cohort = await create_cohort(client, instructor, course["id"], name="Small", capacity=3)
    learners = [await make_account("student") for _ in range(12)]

    async def attempt(learner: Account) -> httpx.Response:
        return await client.post(
            f"/courses/{course['id']}/enrollments",
            headers=instructor.headers,
            json={"user_id": str(learner.id), "cohort_id": cohort["id"]},
        )

    answers = await asyncio.gather(*(attempt(learner) for learner in learners))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 3 + [409] * 9
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"cohort_full"}
    members = await db.scalar(
        select(func.count(Enrollment.id)).where(Enrollment.cohort_id == uuid.UUID(cohort["id"]))
    )
    seats = await db.scalar(select(Cohort.member_count).where(Cohort.id == uuid.UUID(cohort["id"])))
    assert members == seats == 3


async def test_concurrent_moves_into_the_last_seat(
    client: httpx.AsyncClient,
    instructor: Account,
    make_account: AccountFactory,
    db: AsyncSession,
) -> None:
    course, _ = await published_course(client, instructor, lessons=1)
    target = await create_cohort(client, instructor, course["id"], name="Target", capacity=1)
    enrollments: list[dict[str, Any]] = []
    for _ in range(6):
        learner = await make_account("student")
        enrollments.append(
            await enroll_by_staff(client, instructor, course["id"], user_id=learner.id)
        )

    async def move(enrollment: dict[str, Any]) -> httpx.Response:
        return await client.patch(
            f"/courses/{course['id']}/enrollments/{enrollment['id']}",
            headers=instructor.headers,
            json={"cohort_id": target["id"]},
        )

    answers = await asyncio.gather(*(move(e) for e in enrollments))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 5
    members = await db.scalar(
        select(func.count(Enrollment.id)).where(Enrollment.cohort_id == uuid.UUID(target["id"]))
    )
    assert members == 1
