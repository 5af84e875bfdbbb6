"""The personal calendar (JSON) and its iCalendar feed: UTC times with the person's zone
named, the zone's VTIMEZONE with its daylight-saving changes, stable UIDs, a secret
address that rotates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar

from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.factories.teams import create_cohort, enroll_by_staff
from tests.schedules.conftest import (
    Clock,
    scheduled_course,
    set_lesson_schedule,
    set_quiz_schedule,
    set_time_zone,
    utc,
)

# The United States move to daylight time on 8 March 2026 and back on 1 November 2026.
BEFORE_SPRING = utc("2026-03-07T17:00:00+00:00")  # 12:00 EST
AFTER_SPRING = utc("2026-03-09T16:00:00+00:00")  # 12:00 EDT
AFTER_FALL = utc("2026-11-02T17:00:00+00:00")  # 12:00 EST


async def _calendar(
    client: httpx.AsyncClient, person: Account, start: str, end: str
) -> dict[str, Any]:
    return ok(
        await client.get("/me/calendar", headers=person.headers, params={"from": start, "to": end})
    )


async def _feed(client: httpx.AsyncClient, person: Account) -> tuple[str, icalendar.Calendar]:
    url = ok(await client.get("/me/calendar/feed", headers=person.headers))["url"]
    path = url.split("/api/v1", 1)[1]
    answer = await client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert b"\r\n" in answer.content
    return path, icalendar.Calendar.from_ical(answer.content)


def _events(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


async def test_the_calendar_lists_dates_in_utc_with_the_zone_named(
    client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
) -> None:
    course = await scheduled_course(client, instructor, student)
    await set_time_zone(client, student, "America/New_York")
    await set_quiz_schedule(
        client, instructor, course.quiz_id, available_from=BEFORE_SPRING, due_at=AFTER_SPRING
    )
    await set_lesson_schedule(client, instructor, course.assignment_id, due_at=AFTER_FALL)
    clock.set(utc("2026-03-01T00:00:00+00:00"))
    body = await _calendar(client, student, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    assert body["time_zone"] == "America/New_York"
    assert (utc(body["from"]), utc(body["to"])) == (
        utc("2026-03-01T00:00:00+00:00"),
        utc("2026-04-01T00:00:00+00:00"),
    )
    assert [(e["type"], utc(e["starts_at"])) for e in body["entries"]] == [
        ("available_from", BEFORE_SPRING),
        ("due", AFTER_SPRING),
    ]
    due = body["entries"][1]
    assert due["course_id"] == course.id and due["course_title"] == course.title
    assert due["item_type"] == "quiz" and due["title"].startswith(course.quiz_title)
    # Both are noon in New York, an hour apart in UTC across the change.
    local = [utc(e["starts_at"]).astimezone(ZoneInfo("America/New_York")) for e in body["entries"]]
    assert [(t.hour, t.utcoffset()) for t in local] == [
        (12, timedelta(hours=-5)),
        (12, timedelta(hours=-4)),
    ]
    november = await _calendar(client, student, "2026-10-15T00:00:00Z", "2026-11-15T00:00:00Z")
    assert [(e["type"], e["item_type"]) for e in november["entries"]] == [("due", "assignment")]
    # Noon in New York again, now five hours behind UTC: back on standard time.
    fall = utc(november["entries"][0]["starts_at"]).astimezone(ZoneInfo("America/New_York"))
    assert (fall.hour, fall.utcoffset()) == (12, timedelta(hours=-5))


async def test_a_draft_quiz_and_other_peoples_courses_stay_out(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    other_student: Account,
) -> None:
    course = await scheduled_course(client, instructor, student)
    await set_quiz_schedule(client, instructor, course.quiz_id, due_at=AFTER_SPRING)
    hidden = ok(
        await client.post(
            f"/courses/{course.id}/quizzes", headers=instructor.headers, json={"title": "Draft"}
        ),
        201,
    )
    await set_quiz_schedule(client, instructor, hidden["id"], due_at=AFTER_SPRING)
    mine = await _calendar(client, student, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    assert [e["item_id"] for e in mine["entries"]] == [course.quiz_id]
    theirs = await _calendar(client, other_student, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    assert theirs["entries"] == []


async def test_cohort_days_are_whole_days_in_the_persons_zone(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course = await scheduled_course(client, instructor)
    cohort = await create_cohort(
        client, instructor, course.id, starts_on="2026-04-30", ends_on="2026-06-30"
    )
    await enroll_by_staff(client, instructor, course.id, user_id=student.id, cohort_id=cohort["id"])
    # Cairo moves to summer time on the last Friday of April 2026 (24 April): +03:00.
    await set_time_zone(client, student, "Africa/Cairo")
    body = await _calendar(client, student, "2026-04-01T00:00:00Z", "2026-07-31T00:00:00Z")
    assert [(e["type"], e["all_day"]) for e in body["entries"]] == [
        ("cohort_start", True),
        ("cohort_end", True),
    ]
    start = body["entries"][0]
    assert utc(start["starts_at"]) == utc("2026-04-29T21:00:00+00:00")  # midnight in Cairo
    assert utc(start["ends_at"]) == utc("2026-04-30T21:00:00+00:00")
    # Kuwait keeps +03:00 all year.
    await set_time_zone(client, student, "Asia/Kuwait")
    kuwait = await _calendar(client, student, "2026-04-01T00:00:00Z", "2026-07-31T00:00:00Z")
    assert utc(kuwait["entries"][1]["starts_at"]) == utc("2026-06-29T21:00:00+00:00")


async def test_bad_ranges_are_422(client: httpx.AsyncClient, student: Account) -> None:
    for params in (
        {"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"},
        {"from": "2026-03-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"},
        {"from": "2026-01-01T00:00:00Z", "to": "2028-01-01T00:00:00Z"},
        {"from": "2026-03-01T00:00:00", "to": "2026-03-02T00:00:00Z"},
        {"from": "yesterday"},
    ):
        answer = await client.get("/me/calendar", headers=student.headers, params=params)
        assert answer.status_code == 422, params
        assert answer.json()["code"] in {"calendar_range_invalid", "validation_error"}
    assert (await client.get("/me/calendar")).status_code == 401


async def test_the_feed_is_valid_icalendar_with_the_zone_and_stable_uids(
    client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
) -> None:
    course = await scheduled_course(client, instructor, student)
    await set_time_zone(client, student, "America/New_York")
    await set_quiz_schedule(
        client, instructor, course.quiz_id, available_from=BEFORE_SPRING, due_at=AFTER_SPRING
    )
    clock.set(utc("2026-03-01T00:00:00+00:00"))
    path, calendar = await _feed(client, student)
    assert path.endswith(".ics")
    assert (str(calendar["VERSION"]), str(calendar["PRODID"])) == ("2.0", "-//LMS//Schedules//EN")
    zones = calendar.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["America/New_York"]
    offsets = {part["TZOFFSETTO"].to_ical() for part in zones[0].subcomponents}
    assert {"-0500", "-0400"} <= {o if isinstance(o, str) else o.decode() for o in offsets}
    events = _events(calendar)
    assert set(events) == {
        f"available_from-quiz-{course.quiz_id}@calendar.lms",
        f"due-quiz-{course.quiz_id}@calendar.lms",
    }
    due = events[f"due-quiz-{course.quiz_id}@calendar.lms"]
    start = due["DTSTART"]
    assert start.params["TZID"] == "America/New_York"
    assert start.dt.replace(tzinfo=None) == datetime(2026, 3, 9, 12, 0)
    assert start.dt.astimezone(ZoneInfo("UTC")) == AFTER_SPRING
    assert due["DTSTAMP"].dt == utc("2026-03-01T00:00:00+00:00")
    assert "DTEND" not in due  # a moment: it ends when it starts (RFC 5545 3.6.1)
    # Moving the due date keeps the UID: calendar applications update the event.
    await set_quiz_schedule(
        client,
        instructor,
        course.quiz_id,
        available_from=BEFORE_SPRING,
        due_at=AFTER_SPRING + timedelta(days=1),
    )
    clock.advance(hours=1)
    _, again = await _feed(client, student)
    moved = _events(again)[f"due-quiz-{course.quiz_id}@calendar.lms"]
    assert moved["DTSTART"].dt.date() == date(2026, 3, 10)
    assert moved["DTSTAMP"].dt == utc("2026-03-01T01:00:00+00:00")


async def test_the_feed_in_kuwait_and_a_cohort_as_whole_days(
    client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
) -> None:
    course = await scheduled_course(client, instructor)
    cohort = await create_cohort(client, instructor, course.id, starts_on="2026-03-15")
    await enroll_by_staff(client, instructor, course.id, user_id=student.id, cohort_id=cohort["id"])
    await set_time_zone(client, student, "Asia/Kuwait")
    await set_lesson_schedule(
        client, instructor, course.assignment_id, due_at=utc("2026-03-20T20:59:00+00:00")
    )
    clock.set(utc("2026-03-01T00:00:00+00:00"))
    _, calendar = await _feed(client, student)
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Asia/Kuwait"]
    events = _events(calendar)
    starts = events[f"cohort_start-{cohort['id']}@calendar.lms"]
    assert starts["DTSTART"].dt == date(2026, 3, 15) and starts["DTEND"].dt == date(2026, 3, 16)
    due = events[f"due-assignment-{course.assignment_id}@calendar.lms"]
    assert due["DTSTART"].dt.replace(tzinfo=None) == datetime(2026, 3, 20, 23, 59)


async def test_rotating_the_feed_retires_the_old_address(
    client: httpx.AsyncClient, student: Account, other_student: Account
) -> None:
    first = ok(await client.get("/me/calendar/feed", headers=student.headers))
    assert ok(await client.get("/me/calendar/feed", headers=student.headers))["url"] == first["url"]
    rotated = ok(await client.post("/me/calendar/feed/rotate", headers=student.headers))
    assert rotated["url"] != first["url"]
    old = await client.get(first["url"].split("/api/v1", 1)[1])
    assert old.status_code == 404 and old.json()["code"] == "calendar_feed_not_found"
    assert (await client.get(rotated["url"].split("/api/v1", 1)[1])).status_code == 200
    other = ok(await client.get("/me/calendar/feed", headers=other_student.headers))
    assert other["url"] != rotated["url"]
    assert (await client.get("/calendar/not-a-token.ics")).status_code == 404
    assert (await client.get(f"/calendar/{'x' * 300}.ics")).status_code == 404


async def test_a_lesson_that_opens_at_a_date_is_in_the_calendar_and_the_feed(
    client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
) -> None:
    from tests.factories.courses import add_lesson

    course = await scheduled_course(client, instructor, student)
    await set_time_zone(client, student, "Africa/Cairo")
    dated = await add_lesson(client, instructor, course.id, unlock_at="2026-03-10T07:00:00Z")
    await add_lesson(client, instructor, course.id, unlock_at="2026-05-10T07:00:00Z")
    clock.set(utc("2026-03-01T00:00:00+00:00"))
    body = await _calendar(client, student, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    unlocks = [e for e in body["entries"] if e["type"] == "lesson_unlock"]
    assert [(e["item_id"], utc(e["starts_at"])) for e in unlocks] == [
        (dated["id"], utc("2026-03-10T07:00:00+00:00"))
    ]
    assert unlocks[0]["course_id"] == course.id and dated["title"] in unlocks[0]["title"]
    _path, feed = await _feed(client, student)
    assert f"lesson_unlock-{dated['id']}@calendar.lms" in _events(feed)
