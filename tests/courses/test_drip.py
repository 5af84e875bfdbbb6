"""Drip release: lessons that open at a date, some days after the student's enrollment
or cohort start, after their prerequisites, or in the course's order. A locked lesson is
listed with its lock and its content refused with 403 ``lesson_locked``.

The clock is ``lms.modules.courses.service.drip.now`` (the ``clock`` fixture), and
enrollment dates are set in the database, so every instant below is exact."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.session import commit
from lms.modules import courses
from lms.modules.courses.service import drip
from lms.modules.enrollments.models import Enrollment
from tests.factories.accounts import Account, AccountFactory
from tests.factories.api import ok
from tests.factories.courses import add_lesson, create_course, publish_course
from tests.factories.enrollments import enroll
from tests.factories.files import pdf, upload_file
from tests.factories.quizzes import make_classroom
from tests.factories.teams import add_staff, create_cohort, enroll_by_staff
from tests.performance.counting import counting_statements
from tests.performance.test_query_counts import data_statements

# 2026-03-08 07:00 UTC: New York moves its clocks from EST (-5) to EDT (-4).
BEFORE_DST = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    found = Clock()
    monkeypatch.setattr(drip, "now", lambda: found.at)
    return found


async def set_enrolled_at(db: AsyncSession, enrollment_id: str, at: datetime) -> None:
    await db.execute(
        update(Enrollment).where(Enrollment.id == uuid.UUID(enrollment_id)).values(enrolled_at=at)
    )
    await commit(db)


async def course_with_lessons(
    client: httpx.AsyncClient, owner: Account, *rules: dict[str, Any], **course_fields: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A published course with one text lesson per ``rules`` (the body's extra fields)."""
    course = await create_course(client, owner, **course_fields)
    lessons = [
        await add_lesson(client, owner, course["id"], title=f"Lesson {n + 1}", **fields)
        for n, fields in enumerate(rules)
    ]
    await publish_course(client, owner, course["id"])
    return course, lessons


async def listed(
    client: httpx.AsyncClient, caller: Account, course_id: str
) -> list[dict[str, Any]]:
    response = await client.get(f"/courses/{course_id}/lessons", headers=caller.headers)
    return list(ok(response)["items"])


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


async def complete(
    client: httpx.AsyncClient, student: Account, enrollment_id: str, lesson_id: str
) -> httpx.Response:
    return await client.post(
        f"/enrollments/{enrollment_id}/lessons/{lesson_id}/complete", headers=student.headers
    )


def assert_locked(response: httpx.Response, reason: str, **expected: Any) -> dict[str, Any]:
    assert response.status_code == 403, response.text
    body = dict(response.json())
    assert body["code"] == "lesson_locked"
    assert body["lock_reason"] == reason
    for key, value in expected.items():
        assert body[key] == value, key
    return body


class TestUnlockAt:
    async def test_a_lesson_opens_at_its_instant(
        self,
        client: httpx.AsyncClient,
        clock: Clock,
        instructor: Account,
        student: Account,
    ) -> None:
        opens = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
        # Given with an offset (Cairo, +02:00), kept and shown in UTC.
        course, (first, dated) = await course_with_lessons(
            client, instructor, {}, {"unlock_at": "2026-02-01T11:30:00+02:00"}
        )
        assert dated["unlock_at"] == "2026-02-01T09:30:00Z"
        enrollment = await enroll(client, student, course["id"])

        clock.at = opens - timedelta(seconds=1)
        lessons = by_id(await listed(client, student, course["id"]))
        assert lessons[first["id"]]["locked"] is False
        assert lessons[dated["id"]]["locked"] is True
        assert lessons[dated["id"]]["lock_reason"] == "not_yet_available"
        assert lessons[dated["id"]]["unlocks_at"] == "2026-02-01T09:30:00Z"
        assert lessons[dated["id"]]["blocking_lesson_ids"] == []
        page = await client.get(f"/lessons/{dated['id']}", headers=student.headers)
        body = assert_locked(page, "not_yet_available", unlocks_at="2026-02-01T09:30:00+00:00")
        assert body["lesson_id"] == dated["id"] and "Secret" not in page.text
        done = await complete(client, student, enrollment["id"], dated["id"])
        assert_locked(done, "not_yet_available")
        # The first lesson has no rule: read and completed as always.
        assert (await client.get(f"/lessons/{first['id']}", headers=student.headers)).json()[
            "content"
        ] == "Secret material"

        clock.at = opens
        lessons = by_id(await listed(client, student, course["id"]))
        assert lessons[dated["id"]]["locked"] is False
        assert lessons[dated["id"]]["unlocks_at"] is None
        page = await client.get(f"/lessons/{dated['id']}", headers=student.headers)
        assert page.status_code == 200 and page.json()["content"] == "Secret material"
        assert (await complete(client, student, enrollment["id"], dated["id"])).status_code == 200

    async def test_the_team_sees_the_rules_and_never_a_lock(
        self,
        client: httpx.AsyncClient,
        clock: Clock,
        make_account: AccountFactory,
        instructor: Account,
        admin: Account,
    ) -> None:
        co_instructor = await make_account("instructor")
        assistant = await make_account("instructor")
        course, (first, dated) = await course_with_lessons(
            client,
            instructor,
            {},
            {"unlock_at": "2027-01-01T00:00:00Z", "prerequisite_ids": []},
        )
        ok(
            await client.patch(
                f"/lessons/{dated['id']}",
                headers=instructor.headers,
                json={"prerequisite_ids": [first["id"]]},
            )
        )
        await add_staff(client, instructor, course["id"], co_instructor.id, "co_instructor")
        await add_staff(client, instructor, course["id"], assistant.id, "assistant")
        for caller in (instructor, co_instructor, assistant, admin):
            lessons = by_id(await listed(client, caller, course["id"]))
            seen = lessons[dated["id"]]
            assert seen["locked"] is False and seen["lock_reason"] is None
            assert seen["unlock_at"] == "2027-01-01T00:00:00Z"
            assert seen["prerequisite_ids"] == [first["id"]]
            page = ok(await client.get(f"/lessons/{dated['id']}", headers=caller.headers))
            assert page["content"] == "Secret material" and page["locked"] is False
            assert page["prerequisite_ids"] == [first["id"]]

    async def test_outsiders_see_the_rules_without_a_lock(
        self, client: httpx.AsyncClient, clock: Clock, instructor: Account, student: Account
    ) -> None:
        course, (dated,) = await course_with_lessons(
            client, instructor, {"unlock_at": "2027-01-01T00:00:00Z"}
        )
        for headers in ({}, student.headers):  # anonymous, and signed in but not enrolled
            items = ok(await client.get(f"/courses/{course['id']}/lessons", headers=headers))
            seen = items["items"][0]
            assert seen["locked"] is False and seen["content_locked"] is True
            assert seen["unlock_at"] == "2027-01-01T00:00:00Z"
            page = ok(await client.get(f"/lessons/{dated['id']}", headers=headers))
            assert page["content"] is None and page["content_locked"] is True

    async def test_a_preview_lesson_is_never_locked(
        self, client: httpx.AsyncClient, clock: Clock, instructor: Account, student: Account
    ) -> None:
        course, (preview,) = await course_with_lessons(
            client, instructor, {"unlock_at": "2027-01-01T00:00:00Z", "is_preview": True}
        )
        await enroll(client, student, course["id"])
        assert (await listed(client, student, course["id"]))[0]["locked"] is False
        page = ok(await client.get(f"/lessons/{preview['id']}", headers=student.headers))
        assert page["content"] == "Secret material"


class TestDaysAfterEnrollment:
    async def test_days_are_counted_in_utc_across_a_daylight_saving_change(
        self,
        client: httpx.AsyncClient,
        db: AsyncSession,
        clock: Clock,
        instructor: Account,
        student: Account,
    ) -> None:
        """Enrolled on 7 March 2026 at 10:00 in New York (15:00 UTC, EST); two days later
        is 9 March at 15:00 UTC, which New York (now on EDT) reads as 11:00."""
        ok(
            await client.patch(
                "/users/me", headers=student.headers, json={"time_zone": "America/New_York"}
            )
        )
        course, (lesson,) = await course_with_lessons(client, instructor, {"unlock_after_days": 2})
        enrollment = await enroll(client, student, course["id"])
        await set_enrolled_at(db, enrollment["id"], BEFORE_DST)
        opens = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
        assert opens.astimezone(ZoneInfo("America/New_York")).hour == 11
        assert BEFORE_DST.astimezone(ZoneInfo("America/New_York")).hour == 10

        clock.at = opens - timedelta(seconds=1)
        seen = (await listed(client, student, course["id"]))[0]
        assert seen["locked"] is True and seen["unlocks_at"] == "2026-03-09T15:00:00Z"
        assert seen["unlock_after_days"] == 2 and seen["unlock_relative_to"] == "enrollment"
        assert_locked(
            await client.get(f"/lessons/{lesson['id']}", headers=student.headers),
            "not_yet_available",
            unlocks_at="2026-03-09T15:00:00+00:00",
        )
        clock.at = opens
        assert (await listed(client, student, course["id"]))[0]["locked"] is False
        assert (await client.get(f"/lessons/{lesson['id']}", headers=student.headers)).is_success

    @pytest.mark.parametrize("zone", ["Africa/Cairo", "Asia/Kuwait", "America/New_York"])
    async def test_the_unlock_instant_does_not_depend_on_the_students_time_zone(
        self,
        client: httpx.AsyncClient,
        db: AsyncSession,
        clock: Clock,
        instructor: Account,
        student: Account,
        zone: str,
    ) -> None:
        # Cairo moves to summer time on 24 April 2026 (the last Friday of April).
        ok(await client.patch("/users/me", headers=student.headers, json={"time_zone": zone}))
        course, _ = await course_with_lessons(client, instructor, {"unlock_after_days": 7})
        enrollment = await enroll(client, student, course["id"])
        await set_enrolled_at(db, enrollment["id"], datetime(2026, 4, 20, 21, 30, tzinfo=UTC))
        clock.at = datetime(2026, 4, 27, 21, 29, tzinfo=UTC)
        seen = (await listed(client, student, course["id"]))[0]
        assert seen["locked"] is True and seen["unlocks_at"] == "2026-04-27T21:30:00Z"

    async def test_zero_days_opens_at_enrollment(
        self,
        client: httpx.AsyncClient,
        db: AsyncSession,
        clock: Clock,
        instructor: Account,
        student: Account,
    ) -> None:
        course, _ = await course_with_lessons(client, instructor, {"unlock_after_days": 0})
        enrollment = await enroll(client, student, course["id"])
        await set_enrolled_at(db, enrollment["id"], datetime(2026, 1, 1, tzinfo=UTC))
        assert (await listed(client, student, course["id"]))[0]["locked"] is False


class TestCohortStart:
    async def test_days_count_from_the_cohort_start_and_fall_back_to_enrollment(
        self,
        client: httpx.AsyncClient,
        db: AsyncSession,
        clock: Clock,
        instructor: Account,
        student: Account,
        other_student: Account,
        make_account: AccountFactory,
    ) -> None:
        course, (lesson,) = await course_with_lessons(
            client, instructor, {"unlock_after_days": 3, "unlock_relative_to": "cohort_start"}
        )
        cohort = await create_cohort(client, instructor, course["id"], starts_on="2026-05-10")
        undated = await create_cohort(client, instructor, course["id"])
        in_cohort = await enroll_by_staff(
            client, instructor, course["id"], user_id=student.id, cohort_id=cohort["id"]
        )
        alone = await enroll(client, other_student, course["id"])
        third = await make_account("student")
        in_undated = await enroll_by_staff(
            client, instructor, course["id"], user_id=third.id, cohort_id=undated["id"]
        )
        enrolled = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
        for enrollment in (in_cohort, alone, in_undated):
            await set_enrolled_at(db, enrollment["id"], enrolled)

        clock.at = datetime(2026, 5, 5, tzinfo=UTC)  # after enrollment + 3 days
        seen = (await listed(client, student, course["id"]))[0]
        # Midnight UTC of the cohort's start, plus three days.
        assert seen["locked"] is True and seen["unlocks_at"] == "2026-05-13T00:00:00Z"
        # No cohort, or a cohort with no start date: counted from the enrollment.
        assert (await listed(client, other_student, course["id"]))[0]["locked"] is False
        assert (await listed(client, third, course["id"]))[0]["locked"] is False

        clock.at = datetime(2026, 5, 13, tzinfo=UTC)
        ok(await client.get(f"/lessons/{lesson['id']}", headers=student.headers))


class TestPrerequisites:
    async def test_a_lesson_opens_once_its_prerequisites_are_completed(
        self, client: httpx.AsyncClient, clock: Clock, instructor: Account, student: Account
    ) -> None:
        course, (first, second) = await course_with_lessons(client, instructor, {}, {})
        third = await add_lesson(
            client,
            instructor,
            course["id"],
            title="Lesson 3",
            prerequisite_ids=[first["id"], second["id"]],
        )
        assert third["prerequisite_ids"] == [first["id"], second["id"]]
        enrollment = await enroll(client, student, course["id"])

        seen = by_id(await listed(client, student, course["id"]))[third["id"]]
        assert seen["locked"] is True and seen["lock_reason"] == "prerequisites"
        assert seen["unlocks_at"] is None
        assert sorted(seen["blocking_lesson_ids"]) == sorted([first["id"], second["id"]])
        assert_locked(
            await complete(client, student, enrollment["id"], third["id"]), "prerequisites"
        )

        ok(await complete(client, student, enrollment["id"], first["id"]))
        body = assert_locked(
            await client.get(f"/lessons/{third['id']}", headers=student.headers), "prerequisites"
        )
        assert body["blocking_lesson_ids"] == [second["id"]]

        ok(await complete(client, student, enrollment["id"], second["id"]))
        page = ok(await client.get(f"/lessons/{third['id']}", headers=student.headers))
        assert page["locked"] is False and sorted(page["prerequisite_ids"]) == sorted(
            [first["id"], second["id"]]
        )
        done = ok(await complete(client, student, enrollment["id"], third["id"]))
        assert done["status"] == "completed"

    async def test_a_date_and_prerequisites_give_the_date_first(
        self, client: httpx.AsyncClient, clock: Clock, instructor: Account, student: Account
    ) -> None:
        course, (first,) = await course_with_lessons(client, instructor, {})
        later = await add_lesson(
            client,
            instructor,
            course["id"],
            unlock_at="2026-06-01T00:00:00Z",
            prerequisite_ids=[first["id"]],
        )
        await enroll(client, student, course["id"])
        seen = by_id(await listed(client, student, course["id"]))[later["id"]]
        assert seen["lock_reason"] == "not_yet_available"
        assert seen["blocking_lesson_ids"] == [first["id"]]
        clock.at = datetime(2026, 6, 1, tzinfo=UTC)
        seen = by_id(await listed(client, student, course["id"]))[later["id"]]
        assert seen["lock_reason"] == "prerequisites" and seen["unlocks_at"] is None

    async def test_a_deleted_prerequisite_no_longer_blocks(
        self, client: httpx.AsyncClient, clock: Clock, instructor: Account, student: Account
    ) -> None:
        course, (first,) = await course_with_lessons(client, instructor, {})
        second = await add_lesson(client, instructor, course["id"], prerequisite_ids=[first["id"]])
        await enroll(client, student, course["id"])
        ok(await client.delete(f"/lessons/{first['id']}", headers=instructor.headers), 204)
        page = ok(await client.get(f"/lessons/{second['id']}", headers=student.headers))
        assert page["prerequisite_ids"] == [] and page["locked"] is False

    async def test_the_progress_view_shows_the_students_locks(
        self, client: httpx.AsyncClient, clock: Clock, instructor: Account, student: Account
    ) -> None:
        course, (first,) = await course_with_lessons(client, instructor, {})
        second = await add_lesson(client, instructor, course["id"], prerequisite_ids=[first["id"]])
        enrollment = await enroll(client, student, course["id"])
        for caller in (student, instructor):
            detail = ok(
                await client.get(f"/enrollments/{enrollment['id']}", headers=caller.headers)
            )
            rows = {row["lesson_id"]: row for row in detail["lesson_progress"]}
            assert rows[first["id"]]["locked"] is False
            assert rows[second["id"]]["locked"] is True
            assert rows[second["id"]]["lock_reason"] == "prerequisites"
            assert rows[second["id"]]["blocking_lesson_ids"] == [first["id"]]


class TestInOrder:
    async def test_each_lesson_waits_for_the_one_before_it(
        self, client: httpx.AsyncClient, clock: Clock, instructor: Account, student: Account
    ) -> None:
        course, (first, second, third) = await course_with_lessons(client, instructor, {}, {}, {})
        current = await client.get(f"/courses/{course['id']}", headers=instructor.headers)
        assert current.json()["lessons_in_order"] is False
        stale = current.headers["etag"]
        ok(
            await client.patch(
                f"/courses/{course['id']}",
                headers={**instructor.headers, "If-Match": stale},
                json={"lessons_in_order": True},
            )
        )
        # If-Match is honoured as before: the ETag read before the change is stale now.
        refused = await client.patch(
            f"/courses/{course['id']}",
            headers={**instructor.headers, "If-Match": stale},
            json={"lessons_in_order": False},
        )
        assert refused.status_code == 412
        enrollment = await enroll(client, student, course["id"])

        lessons = by_id(await listed(client, student, course["id"]))
        assert lessons[first["id"]]["locked"] is False
        assert lessons[second["id"]]["lock_reason"] == "in_order"
        assert lessons[second["id"]]["blocking_lesson_ids"] == [first["id"]]
        assert lessons[third["id"]]["blocking_lesson_ids"] == [second["id"]]
        assert_locked(await complete(client, student, enrollment["id"], third["id"]), "in_order")

        ok(await complete(client, student, enrollment["id"], first["id"]))
        lessons = by_id(await listed(client, student, course["id"]))
        assert lessons[second["id"]]["locked"] is False
        assert lessons[third["id"]]["locked"] is True

        # Taken out of order mode, everything opens.
        ok(
            await client.patch(
                f"/courses/{course['id']}",
                headers=instructor.headers,
                json={"lessons_in_order": False},
            )
        )
        assert not any(item["locked"] for item in await listed(client, student, course["id"]))


class TestRulesRefused:
    async def test_bad_rules_are_422(
        self,
        client: httpx.AsyncClient,
        instructor: Account,
    ) -> None:
        course, (first, second) = await course_with_lessons(client, instructor, {}, {})
        _other, (stranger,) = await course_with_lessons(client, instructor, {})
        base = f"/courses/{course['id']}/lessons"
        cases: list[tuple[dict[str, Any], str]] = [
            ({"unlock_at": "2026-01-01T00:00:00Z", "unlock_after_days": 1}, "validation_error"),
            ({"unlock_at": "2026-01-01T00:00:00"}, "validation_error"),  # no offset
            ({"unlock_after_days": -1}, "validation_error"),
            ({"unlock_after_days": 3651}, "validation_error"),
            ({"unlock_relative_to": "birthday"}, "validation_error"),
            ({"prerequisite_ids": [first["id"], first["id"]]}, "validation_error"),
            ({"prerequisite_ids": ["not-a-uuid"]}, "validation_error"),
            ({"prerequisite_ids": [stranger["id"]]}, "prerequisite_not_in_course"),
            ({"prerequisite_ids": [str(uuid.uuid4())]}, "prerequisite_not_in_course"),
        ]
        for body, code in cases:
            response = await client.post(
                base, headers=instructor.headers, json={"title": "x", "lesson_type": "text", **body}
            )
            assert response.status_code == 422, (body, response.text)
            assert response.json()["code"] == code, body
        lesson_url = f"/lessons/{second['id']}"
        for body, code in [
            ({"prerequisite_ids": [second["id"]]}, "prerequisite_cycle"),
            ({"prerequisite_ids": [stranger["id"]]}, "prerequisite_not_in_course"),
            ({"prerequisite_ids": None}, "validation_error"),
            ({"unlock_relative_to": None}, "validation_error"),
        ]:
            response = await client.patch(lesson_url, headers=instructor.headers, json=body)
            assert response.status_code == 422, (body, response.text)
            assert response.json()["code"] == code, body

        # Two lessons waiting for each other.
        ok(
            await client.patch(
                lesson_url, headers=instructor.headers, json={"prerequisite_ids": [first["id"]]}
            )
        )
        cycle = await client.patch(
            f"/lessons/{first['id']}",
            headers=instructor.headers,
            json={"prerequisite_ids": [second["id"]]},
        )
        assert cycle.status_code == 422 and cycle.json()["code"] == "prerequisite_cycle"
        assert sorted(cycle.json()["lesson_ids"]) == sorted([first["id"], second["id"]])
        # Nothing of the refused change stayed.
        page = ok(await client.get(f"/lessons/{first['id']}", headers=instructor.headers))
        assert page["prerequisite_ids"] == []

        # A date rule stored; the other one given alone conflicts with it.
        ok(
            await client.patch(
                lesson_url, headers=instructor.headers, json={"unlock_after_days": 2}
            )
        )
        conflict = await client.patch(
            lesson_url, headers=instructor.headers, json={"unlock_at": "2026-01-01T00:00:00Z"}
        )
        assert conflict.status_code == 422 and conflict.json()["code"] == "unlock_rule_conflict"
        switched = ok(
            await client.patch(
                lesson_url,
                headers=instructor.headers,
                json={"unlock_at": "2026-01-01T00:00:00Z", "unlock_after_days": None},
            )
        )
        assert switched["unlock_at"] == "2026-01-01T00:00:00Z"
        assert switched["unlock_after_days"] is None
        assert switched["prerequisite_ids"] == [first["id"]]

    async def test_order_mode_and_reorder_refuse_a_prerequisite_that_comes_later(
        self, client: httpx.AsyncClient, instructor: Account
    ) -> None:
        course, (first, second) = await course_with_lessons(client, instructor, {}, {})
        # The first lesson needs the second: fine until the course is taken in order.
        ok(
            await client.patch(
                f"/lessons/{first['id']}",
                headers=instructor.headers,
                json={"prerequisite_ids": [second["id"]]},
            )
        )
        refused = await client.patch(
            f"/courses/{course['id']}", headers=instructor.headers, json={"lessons_in_order": True}
        )
        assert refused.status_code == 422 and refused.json()["code"] == "prerequisite_cycle"
        course_now = ok(await client.get(f"/courses/{course['id']}", headers=instructor.headers))
        assert course_now["lessons_in_order"] is False
        null = await client.patch(
            f"/courses/{course['id']}", headers=instructor.headers, json={"lessons_in_order": None}
        )
        assert null.status_code == 422

        # Reordered so that the prerequisite comes first, the mode is accepted; putting
        # them back is then refused.
        reordered = ok(
            await client.patch(
                "/lessons/reorder",
                headers=instructor.headers,
                json={"course_id": course["id"], "lesson_ids": [second["id"], first["id"]]},
            )
        )
        assert reordered[1]["prerequisite_ids"] == [second["id"]]
        ok(
            await client.patch(
                f"/courses/{course['id']}",
                headers=instructor.headers,
                json={"lessons_in_order": True},
            )
        )
        placed_first = await client.post(
            f"/courses/{course['id']}/lessons",
            headers=instructor.headers,
            json={
                "title": "Before everything",
                "lesson_type": "text",
                "order_index": 0,
                "prerequisite_ids": [first["id"]],
            },
        )
        assert placed_first.status_code == 422
        assert placed_first.json()["code"] == "prerequisite_cycle"
        back = await client.patch(
            "/lessons/reorder",
            headers=instructor.headers,
            json={"course_id": course["id"], "lesson_ids": [first["id"], second["id"]]},
        )
        assert back.status_code == 422 and back.json()["code"] == "prerequisite_cycle"

    async def test_only_the_courses_editors_set_rules(
        self,
        client: httpx.AsyncClient,
        make_account: AccountFactory,
        instructor: Account,
        other_instructor: Account,
        student: Account,
    ) -> None:
        co_instructor = await make_account("instructor")
        assistant = await make_account("instructor")
        course, (first, second) = await course_with_lessons(client, instructor, {}, {})
        await add_staff(client, instructor, course["id"], co_instructor.id, "co_instructor")
        await add_staff(client, instructor, course["id"], assistant.id, "assistant")
        rule = {"prerequisite_ids": [first["id"]], "unlock_after_days": 1}
        url = f"/lessons/{second['id']}"
        assert (await client.patch(url, json=rule)).status_code == 401
        for caller in (student, other_instructor, assistant):
            refused = await client.patch(url, headers=caller.headers, json=rule)
            assert refused.status_code == 403, caller.role
        for caller in (student, assistant):
            refused = await client.patch(
                f"/courses/{course['id']}", headers=caller.headers, json={"lessons_in_order": True}
            )
            assert refused.status_code == 403
        changed = ok(await client.patch(url, headers=co_instructor.headers, json=rule))
        assert changed["prerequisite_ids"] == [first["id"]] and changed["unlock_after_days"] == 1
        ok(
            await client.patch(
                f"/courses/{course['id']}",
                headers=co_instructor.headers,
                json={"lessons_in_order": True},
            )
        )


class TestLockedWorkIsRefused:
    async def test_a_locked_quiz_is_not_started(
        self,
        client: httpx.AsyncClient,
        clock: Clock,
        instructor: Account,
        student: Account,
    ) -> None:
        room = await make_classroom(client, instructor, student)
        ok(
            await client.patch(
                f"/lessons/{room.lesson_id}",
                headers=instructor.headers,
                json={"unlock_at": "2026-02-01T00:00:00Z"},
            )
        )
        started = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
        assert_locked(started, "not_yet_available", lesson_id=room.lesson_id)
        clock.at = datetime(2026, 2, 1, tzinfo=UTC)
        ok(await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers), 201)

    async def test_an_open_attempt_resumes_after_its_lesson_is_locked(
        self, client: httpx.AsyncClient, clock: Clock, instructor: Account, student: Account
    ) -> None:
        room = await make_classroom(client, instructor, student)
        first = ok(
            await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers), 201
        )
        ok(
            await client.patch(
                f"/lessons/{room.lesson_id}",
                headers=instructor.headers,
                json={"unlock_at": "2026-02-01T00:00:00Z"},
            )
        )
        again = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
        assert again.status_code == 200 and again.json()["id"] == first["id"]

    async def test_a_quiz_waiting_for_its_prerequisite(
        self, client: httpx.AsyncClient, clock: Clock, instructor: Account, student: Account
    ) -> None:
        room = await make_classroom(client, instructor, student)
        ok(
            await client.patch(
                f"/lessons/{room.lesson_id}",
                headers=instructor.headers,
                json={"prerequisite_ids": [room.other_lesson_id]},
            )
        )
        started = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
        assert_locked(started, "prerequisites", blocking_lesson_ids=[room.other_lesson_id])
        ok(await complete(client, student, room.enrollment_id, room.other_lesson_id))
        ok(await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers), 201)

    async def test_a_locked_assignment_is_not_handed_in(
        self, client: httpx.AsyncClient, clock: Clock, instructor: Account, student: Account
    ) -> None:
        course, (lesson,) = await course_with_lessons(
            client,
            instructor,
            {"lesson_type": "assignment", "unlock_at": "2026-02-01T00:00:00Z"},
        )
        await enroll(client, student, course["id"])
        url = f"/lessons/{lesson['id']}/submissions"
        refused = await client.post(url, headers=student.headers, json={"text": "Early"})
        assert_locked(refused, "not_yet_available")
        clock.at = datetime(2026, 2, 1, tzinfo=UTC)
        ok(await client.post(url, headers=student.headers, json={"text": "On time"}), 201)

    async def test_a_locked_lessons_files_stay_closed(
        self, client: httpx.AsyncClient, clock: Clock, instructor: Account, student: Account
    ) -> None:
        course, (lesson,) = await course_with_lessons(
            client, instructor, {"unlock_at": "2026-02-01T00:00:00Z"}
        )
        material = await upload_file(
            client, instructor, "slides.pdf", pdf(), mime="application/pdf", lesson_id=lesson["id"]
        )
        await enroll(client, student, course["id"])
        download = await client.get(f"/files/{material['id']}/download", headers=student.headers)
        body = assert_locked(download, "not_yet_available")
        assert body["title"] == "Forbidden" and body["type"] == "urn:lms:problem:lesson_locked"
        meta = await client.get(f"/files/{material['id']}", headers=student.headers)
        assert_locked(meta, "not_yet_available")
        clock.at = datetime(2026, 2, 1, tzinfo=UTC)
        download = await client.get(f"/files/{material['id']}/download", headers=student.headers)
        assert download.status_code == 200 and download.content.startswith(b"%PDF-")


class TestCalendarUnlocks:
    async def test_lesson_unlocks_between(
        self,
        client: httpx.AsyncClient,
        db: AsyncSession,
        instructor: Account,
        student: Account,
        other_student: Account,
    ) -> None:
        course, (absolute, relative, _plain, _preview) = await course_with_lessons(
            client,
            instructor,
            {"unlock_at": "2026-03-08T06:30:00-05:00"},  # 11:30 UTC, New York's EST
            {"unlock_after_days": 2},
            {},
            {"unlock_at": "2026-03-09T00:00:00Z", "is_preview": True},
        )
        other, (elsewhere,) = await course_with_lessons(
            client, instructor, {"unlock_at": "2026-03-20T00:00:00Z"}
        )
        enrollment = await enroll(client, student, course["id"])
        await set_enrolled_at(db, enrollment["id"], BEFORE_DST)
        await enroll(client, student, other["id"])

        start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC)
        found = await courses.lesson_unlocks_between(db, student.id, start, end)
        assert found == [
            courses.LessonUnlock(
                course_id=uuid.UUID(course["id"]),
                course_title=course["title"],
                lesson_id=uuid.UUID(absolute["id"]),
                lesson_title="Lesson 1",
                unlocks_at=datetime(2026, 3, 8, 11, 30, tzinfo=UTC),
            ),
            courses.LessonUnlock(
                course_id=uuid.UUID(course["id"]),
                course_title=course["title"],
                lesson_id=uuid.UUID(relative["id"]),
                lesson_title="Lesson 2",
                unlocks_at=datetime(2026, 3, 9, 15, 0, tzinfo=UTC),
            ),
        ]
        # The end is excluded, the start included.
        exact = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
        assert [
            u.lesson_id for u in await courses.lesson_unlocks_between(db, student.id, exact, end)
        ] == [uuid.UUID(relative["id"])]
        assert await courses.lesson_unlocks_between(db, student.id, start, exact) == found[:1]
        later = await courses.lesson_unlocks_between(db, student.id, end, end + timedelta(days=30))
        assert [u.lesson_id for u in later] == [uuid.UUID(elsewhere["id"])]
        # Someone not enrolled has nothing; an empty or naive window is refused or empty.
        assert await courses.lesson_unlocks_between(db, other_student.id, start, end) == []
        assert await courses.lesson_unlocks_between(db, student.id, end, start) == []
        with pytest.raises(ValueError):
            await courses.lesson_unlocks_between(db, student.id, start.replace(tzinfo=None), end)


class TestStatements:
    """A listing reads every lock in one statement, and only a quiz whose lesson has rules
    pays for them when it starts."""

    async def test_a_students_listing_costs_the_same_for_two_lessons_or_eight(
        self,
        app: Any,
        client: httpx.AsyncClient,
        clock: Clock,
        instructor: Account,
        student: Account,
    ) -> None:
        clock.at = datetime.now(UTC) + timedelta(minutes=5)  # just after the enrollments
        counts = []
        for size in (2, 8):
            course, lessons = await course_with_lessons(
                client, instructor, *({"unlock_after_days": n} for n in range(size))
            )
            for later in lessons[1:]:
                ok(
                    await client.patch(
                        f"/lessons/{later['id']}",
                        headers=instructor.headers,
                        json={"prerequisite_ids": [lessons[0]["id"]]},
                    )
                )
            await enroll(client, student, course["id"])
            with counting_statements(app) as statements:
                items = await listed(client, student, course["id"])
            assert sum(item["locked"] for item in items) == size - 1
            counts.append(data_statements(statements))
            with counting_statements(app) as statements:
                detail = ok(
                    await client.get(
                        "/enrollments/my-courses?page=1&page_size=20", headers=student.headers
                    )
                )
            assert detail["total"] >= 1
        assert counts[0] == counts[1], counts

    async def test_only_a_quiz_with_rules_pays_one_more_statement_to_start(
        self,
        app: Any,
        client: httpx.AsyncClient,
        clock: Clock,
        instructor: Account,
        student: Account,
        other_student: Account,
    ) -> None:
        counts = {}
        for name, rule in (("plain", {}), ("dated", {"unlock_at": "2025-01-01T00:00:00Z"})):
            room = await make_classroom(client, instructor, student)
            if rule:
                ok(
                    await client.patch(
                        f"/lessons/{room.lesson_id}", headers=instructor.headers, json=rule
                    )
                )
            # A first start reads the quiz's content into the process's cache; the
            # second student's start is the one measured.
            await enroll(client, other_student, room.course_id)
            ok(await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers), 201)
            with counting_statements(app) as statements:
                ok(
                    await client.post(
                        f"/quizzes/{room.quiz_id}/attempts", headers=other_student.headers
                    ),
                    201,
                )
            counts[name] = data_statements(statements)
        assert counts["dated"] == counts["plain"] + 1, counts
