"""The students of a course as its staff read them: status, cohort, progress, last
activity and quiz average; filtered, sorted, paginated, and the same as streamed CSV."""

from __future__ import annotations

import csv
import io

import httpx

from tests.factories.accounts import Account, AccountFactory
from tests.factories.api import ok
from tests.factories.enrollments import complete_lesson
from tests.factories.quizzes import make_classroom, right_answers, start_attempt, submit_attempt
from tests.factories.teams import create_cohort, enroll_by_staff


async def _school(
    client: httpx.AsyncClient, instructor: Account, student: Account, make_account: AccountFactory
) -> tuple[str, dict[str, str]]:
    """A course with a quiz: Sara (the ``student``, cohort A, the quiz passed), Bilal
    (cohort B, a lesson done), Chen (no cohort, dropped)."""
    room = await make_classroom(client, instructor, student)
    course_id = room.course_id
    cohort_a = await create_cohort(client, instructor, course_id, name="A")
    cohort_b = await create_cohort(client, instructor, course_id, name="B")
    await enroll_by_staff(
        client, instructor, course_id, user_id=student.id, cohort_id=cohort_a["id"]
    )
    attempt = await start_attempt(client, student, room.quiz_id)
    submitted = await submit_attempt(
        client, student, room.quiz_id, attempt["id"], right_answers(room)
    )
    assert submitted.status_code == 200, submitted.text
    bilal = await make_account("student", full_name="Bilal Brown")
    enrolled = await enroll_by_staff(
        client, instructor, course_id, user_id=bilal.id, cohort_id=cohort_b["id"]
    )
    await complete_lesson(client, bilal, enrolled["id"], room.other_lesson_id)
    chen = await make_account("student", full_name="Chen Carter")
    dropped = await enroll_by_staff(client, instructor, course_id, user_id=chen.id)
    ok(
        await client.delete(
            f"/courses/{course_id}/enrollments/{dropped['id']}", headers=instructor.headers
        )
    )
    return course_id, {"A": cohort_a["id"], "B": cohort_b["id"]}


async def test_the_roster_filters_sorts_and_pages(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    make_account: AccountFactory,
) -> None:
    course_id, cohorts = await _school(client, instructor, student, make_account)
    url = f"/courses/{course_id}/students"

    def names(page: dict[str, object]) -> list[str]:
        return [row["full_name"] for row in page["items"]]  # type: ignore[attr-defined, index]

    everyone = ok(await client.get(url, headers=instructor.headers))
    assert everyone["total"] == 3
    assert names(everyone) == sorted(names(everyone))
    sara = next(row for row in everyone["items"] if row["student_id"] == str(student.id))
    assert sara["cohort_name"] == "A" and sara["status"] == "active"
    assert sara["quiz_average"] is not None and float(sara["quiz_average"]) > 0
    bilal = next(row for row in everyone["items"] if row["full_name"] == "Bilal Brown")
    assert bilal["progress_percentage"] == "50.00" or float(bilal["progress_percentage"]) == 50
    assert bilal["last_activity_at"] is not None and bilal["quiz_average"] is None

    in_b = ok(await client.get(url, headers=instructor.headers, params={"cohort_id": cohorts["B"]}))
    assert names(in_b) == ["Bilal Brown"]
    dropped = ok(await client.get(url, headers=instructor.headers, params={"status": "dropped"}))
    assert names(dropped) == ["Chen Carter"]
    found = ok(await client.get(url, headers=instructor.headers, params={"search": "CARTER"}))
    assert names(found) == ["Chen Carter"]
    by_email = ok(
        await client.get(url, headers=instructor.headers, params={"search": student.email[:10]})
    )
    assert [r["student_id"] for r in by_email["items"]] == [str(student.id)]
    wildcard = ok(await client.get(url, headers=instructor.headers, params={"search": "%"}))
    assert wildcard["total"] == 0
    by_progress = ok(
        await client.get(url, headers=instructor.headers, params={"sort": "-progress"})
    )
    progress = [float(r["progress_percentage"]) for r in by_progress["items"]]
    assert progress == sorted(progress, reverse=True)
    paged = ok(
        await client.get(url, headers=instructor.headers, params={"page": 2, "page_size": 2})
    )
    assert paged["total"] == 3 and len(paged["items"]) == 1
    assert names(paged) == [names(everyone)[2]]
    bad_sort = await client.get(url, headers=instructor.headers, params={"sort": "password_hash"})
    assert bad_sort.status_code == 422
    bad_status = await client.get(url, headers=instructor.headers, params={"status": "ghost"})
    assert bad_status.status_code == 422


async def test_the_roster_as_streamed_csv(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    make_account: AccountFactory,
) -> None:
    course_id, cohorts = await _school(client, instructor, student, make_account)
    url = f"/courses/{course_id}/students"
    for kwargs in (
        {"headers": {**instructor.headers, "Accept": "text/csv"}},
        {"headers": instructor.headers, "params": {"format": "csv"}},
    ):
        response = await client.get(url, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        text = response.content.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert sorted(r["full_name"] for r in rows) == [
            "Bilal Brown",
            "Chen Carter",
            student.full_name,
        ]
    only_a = await client.get(
        url, headers=instructor.headers, params={"format": "csv", "cohort_id": cohorts["A"]}
    )
    rows = list(csv.DictReader(io.StringIO(only_a.content.decode("utf-8-sig"))))
    assert [r["cohort_name"] for r in rows] == ["A"]
    refused = await client.get(
        url, headers={**student.headers, "Accept": "text/csv"}, params={"format": "csv"}
    )
    assert refused.status_code == 403
