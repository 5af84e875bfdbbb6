"""Lessons through HTTP: create (with seed 000's synonyms), nesting, content access,
update, delete, reorder, and who may do each."""

from __future__ import annotations

import httpx
from sqlalchemy import ColumnElement, Uuid, literal

from lms.core.events import bus
from lms.modules import courses
from tests.factories.accounts import Account
from tests.factories.courses import add_lesson, create_course, published_course
from tests.factories.enrollments import enroll

UNKNOWN = "00000000-0000-0000-0000-000000000000"


async def test_lesson_fields_synonyms_and_default_order(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    course = await create_course(client, instructor)
    video = await add_lesson(
        client,
        instructor,
        course["id"],
        title="Welcome video",
        lesson_type="video",
        video_url="https://videos.example.com/welcome.mp4",
        duration_minutes=12,
        is_preview=True,
        content=None,
    )
    assert video["lesson_type"] == video["content_type"] == "video"
    assert video["order_index"] == video["order"] == 1
    assert video["slug"] == "welcome-video" and video["duration_minutes"] == 12
    assert video["parent_lesson_id"] is None and video["content_locked"] is False
    document = await add_lesson(
        client, instructor, course["id"], title="Slides", content_type="document", order=7
    )
    assert document["lesson_type"] == "document" and document["order_index"] == 7
    last = await add_lesson(client, instructor, course["id"], title="Slides")
    assert last["order_index"] == 8 and last["slug"] == "slides-2"
    for lesson_type in ("quiz", "assignment", "text"):
        made = await add_lesson(client, instructor, course["id"], lesson_type=lesson_type)
        assert made["lesson_type"] == lesson_type


async def test_bad_lesson_input_is_422(client: httpx.AsyncClient, instructor: Account) -> None:
    course = await create_course(client, instructor)
    bad_bodies = [
        {"title": "No type"},
        {"title": "X", "lesson_type": "podcast"},
        {"title": "X", "lesson_type": "video", "content_type": "text"},
        {"title": "X", "lesson_type": "video", "video_url": "ftp://example.com/v.mp4"},
        {"title": "X", "lesson_type": "text", "order_index": -1},
        {"title": "X", "lesson_type": "text", "duration_minutes": -5},
        {"title": "X", "lesson_type": "text", "unknown": 1},
        {"title": "", "lesson_type": "text"},
    ]
    for body in bad_bodies:
        response = await client.post(
            f"/courses/{course['id']}/lessons", headers=instructor.headers, json=body
        )
        assert response.status_code == 422, (body, response.text)
    missing = await client.post(
        f"/courses/{UNKNOWN}/lessons",
        headers=instructor.headers,
        json={"title": "X", "lesson_type": "text"},
    )
    assert missing.status_code == 404


async def test_nested_lessons_stay_within_their_course(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    course = await create_course(client, instructor)
    other = await create_course(client, instructor, title="Other course")
    module = await add_lesson(client, instructor, course["id"], title="Module 1")
    child = await add_lesson(
        client, instructor, course["id"], title="Part A", parent_lesson_id=module["id"]
    )
    grandchild = await add_lesson(
        client, instructor, course["id"], title="Part A.1", parent_lesson_id=child["id"]
    )
    assert child["parent_lesson_id"] == module["id"]
    foreign = await client.post(
        f"/courses/{other['id']}/lessons",
        headers=instructor.headers,
        json={"title": "X", "lesson_type": "text", "parent_lesson_id": module["id"]},
    )
    assert foreign.status_code == 422 and foreign.json()["code"] == "parent_not_in_course"
    for parent in (module["id"], grandchild["id"]):
        loop = await client.patch(
            f"/lessons/{module['id']}",
            headers=instructor.headers,
            json={"parent_lesson_id": parent},
        )
        assert loop.status_code == 422 and loop.json()["code"] == "lesson_cycle"
    unknown_parent = await client.patch(
        f"/lessons/{child['id']}", headers=instructor.headers, json={"parent_lesson_id": UNKNOWN}
    )
    assert unknown_parent.status_code == 422
    # Deleting a parent moves its children up to the top level.
    assert (
        await client.delete(f"/lessons/{module['id']}", headers=instructor.headers)
    ).status_code == 204
    moved = await client.get(f"/lessons/{child['id']}", headers=instructor.headers)
    assert moved.json()["parent_lesson_id"] is None
    still = await client.get(f"/lessons/{grandchild['id']}", headers=instructor.headers)
    assert still.json()["parent_lesson_id"] == child["id"]
    unnested = await client.patch(
        f"/lessons/{grandchild['id']}", headers=instructor.headers, json={"parent_lesson_id": None}
    )
    assert unnested.status_code == 200 and unnested.json()["parent_lesson_id"] is None


async def test_lesson_material_only_for_enrolled_owner_and_admin(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
    other_student: Account,
    admin: Account,
) -> None:
    course = await create_course(client, instructor)
    preview = await add_lesson(
        client,
        instructor,
        course["id"],
        title="Trailer",
        lesson_type="video",
        video_url="https://videos.example.com/trailer.mp4",
        is_preview=True,
        content="Free intro",
    )
    locked = await add_lesson(
        client,
        instructor,
        course["id"],
        title="Deep dive",
        lesson_type="video",
        video_url="https://videos.example.com/deep.mp4",
        content="Paid notes",
    )
    await client.post(f"/courses/{course['id']}/publish", headers=instructor.headers)
    await enroll(client, student, course["id"])

    for caller in (None, other_student, other_instructor):
        headers = caller.headers if caller else {}
        free = (await client.get(f"/lessons/{preview['id']}", headers=headers)).json()
        assert free["content"] == "Free intro" and free["video_url"].endswith("trailer.mp4")
        hidden = await client.get(f"/lessons/{locked['id']}", headers=headers)
        assert hidden.status_code == 200
        body = hidden.json()
        assert body["title"] == "Deep dive" and body["content_locked"] is True
        assert body["content"] is None and body["video_url"] is None
        listed = (await client.get(f"/courses/{course['id']}/lessons", headers=headers)).json()
        assert [(lesson["content"], lesson["content_locked"]) for lesson in listed["items"]] == [
            ("Free intro", False),
            (None, True),
        ]
    for caller in (student, instructor, admin):
        full = (await client.get(f"/lessons/{locked['id']}", headers=caller.headers)).json()
        assert full["content"] == "Paid notes" and full["content_locked"] is False
        assert full["video_url"].endswith("deep.mp4")
        listed = (
            await client.get(f"/courses/{course['id']}/lessons", headers=caller.headers)
        ).json()
        assert [lesson["content"] for lesson in listed["items"]] == ["Free intro", "Paid notes"]


async def test_lessons_of_a_draft_are_invisible(
    client: httpx.AsyncClient, instructor: Account, student: Account, admin: Account
) -> None:
    draft = await create_course(client, instructor)
    lesson = await add_lesson(client, instructor, draft["id"], is_preview=True)
    assert (
        await client.get(f"/courses/{draft['id']}/lessons", headers=student.headers)
    ).status_code == 404
    assert (await client.get(f"/lessons/{lesson['id']}")).status_code == 404
    assert (await client.get(f"/lessons/{lesson['id']}", headers=admin.headers)).status_code == 200
    listed = await client.get(f"/courses/{draft['id']}/lessons", headers=instructor.headers)
    assert listed.status_code == 200 and listed.json()["total"] == 1


async def test_lesson_changes_only_by_owner_or_admin(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
    admin: Account,
) -> None:
    _course, lessons = await published_course(client, instructor)
    target = lessons[1]
    for caller in (other_instructor, student):
        patch = await client.patch(
            f"/lessons/{target['id']}", headers=caller.headers, json={"title": "Hacked"}
        )
        assert patch.status_code == 403
        assert (
            await client.delete(f"/lessons/{target['id']}", headers=caller.headers)
        ).status_code == 403
    assert (await client.patch(f"/lessons/{target['id']}", json={"title": "X"})).status_code == 401
    updated = await client.patch(
        f"/lessons/{target['id']}",
        headers=instructor.headers,
        json={"title": "Renamed", "content_type": "document", "is_preview": True},
    )
    assert updated.status_code == 200
    body = updated.json()
    assert body["title"] == "Renamed" and body["lesson_type"] == "document"
    assert body["slug"] == target["slug"] and body["is_preview"] is True
    regenerated = await client.patch(
        f"/lessons/{target['id']}", headers=admin.headers, json={"regenerate_slug": True}
    )
    assert regenerated.status_code == 200 and regenerated.json()["slug"] == "renamed"
    for body in ({"title": None}, {"lesson_type": "podcast"}, {"order_index": None}):
        bad = await client.patch(f"/lessons/{target['id']}", headers=instructor.headers, json=body)
        assert bad.status_code == 422, body
    assert (await client.get(f"/lessons/{UNKNOWN}")).status_code == 404
    assert (
        await client.patch(f"/lessons/{UNKNOWN}", headers=admin.headers, json={"title": "X"})
    ).status_code == 404
    assert (await client.delete(f"/lessons/{UNKNOWN}", headers=admin.headers)).status_code == 404
    assert (
        await client.delete(f"/lessons/{target['id']}", headers=admin.headers)
    ).status_code == 204
    assert (await client.get(f"/lessons/{target['id']}")).status_code == 404


async def test_reorder_rewrites_every_position_at_once(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
) -> None:
    course, lessons = await published_course(client, instructor, lessons=4)
    other, other_lessons = await published_course(client, instructor, title="Other", lessons=1)
    new_order = [lessons[2]["id"], lessons[0]["id"], lessons[3]["id"], lessons[1]["id"]]
    response = await client.patch(
        "/lessons/reorder",
        headers=instructor.headers,
        json={"course_id": course["id"], "lesson_ids": new_order},
    )
    assert response.status_code == 200, response.text
    assert [lesson["id"] for lesson in response.json()] == new_order
    assert [lesson["order_index"] for lesson in response.json()] == [1, 2, 3, 4]
    listed = (await client.get(f"/courses/{course['id']}/lessons")).json()
    assert [lesson["id"] for lesson in listed["items"]] == new_order

    refusals = [
        ({"course_id": course["id"], "lesson_ids": new_order[:3]}, 422, "lessons_missing"),
        (
            {"course_id": course["id"], "lesson_ids": [*new_order, other_lessons[0]["id"]]},
            422,
            "lesson_not_in_course",
        ),
        (
            {"course_id": course["id"], "lesson_ids": [*new_order[:3], new_order[0]]},
            422,
            "validation_error",
        ),
        ({"course_id": course["id"], "lesson_ids": []}, 422, "validation_error"),
        ({"course_id": UNKNOWN, "lesson_ids": new_order}, 404, "course_not_found"),
    ]
    for body, status, code in refusals:
        refused = await client.patch("/lessons/reorder", headers=instructor.headers, json=body)
        assert (refused.status_code, refused.json()["code"]) == (status, code), body
    for caller in (other_instructor, student):
        refused = await client.patch(
            "/lessons/reorder",
            headers=caller.headers,
            json={"course_id": course["id"], "lesson_ids": new_order},
        )
        assert refused.status_code == 403
    # Nothing changed by the refused attempts.
    listed = (await client.get(f"/courses/{course['id']}/lessons")).json()
    assert [lesson["id"] for lesson in listed["items"]] == new_order
    assert other["id"] != course["id"]


async def test_lessons_list_is_paginated(client: httpx.AsyncClient, instructor: Account) -> None:
    course, lessons = await published_course(client, instructor, lessons=3)
    page = (
        await client.get(f"/courses/{course['id']}/lessons", params={"page_size": 2, "page": 2})
    ).json()
    assert page["total"] == 3 and [lesson["id"] for lesson in page["items"]] == [lessons[2]["id"]]
    too_big = await client.get(f"/courses/{course['id']}/lessons", params={"page_size": 1000})
    assert too_big.status_code == 422


async def test_material_access_is_whatever_the_subscribed_modules_answer_in_sql(
    client: httpx.AsyncClient, instructor: Account, other_student: Account
) -> None:
    """The lesson statement holds the answers to ``MaterialAccess`` (the enrollments
    module's, in the application); a new answer is in the next statement, and gone
    again once unsubscribed."""
    _, lessons = await published_course(client, instructor, lessons=2)
    url = f"/lessons/{lessons[1]['id']}"

    def vouched(condition: courses.MaterialAccess) -> ColumnElement[bool]:
        return condition.user_id == literal(other_student.id, Uuid())

    assert (await client.get(url, headers=other_student.headers)).json()["content_locked"]
    bus.answer_in_sql(courses.MaterialAccess, vouched)
    try:
        opened = (await client.get(url, headers=other_student.headers)).json()
        assert opened["content_locked"] is False and opened["content"] == "Secret material"
    finally:
        bus.unsubscribe(courses.MaterialAccess, vouched)
    assert (await client.get(url, headers=other_student.headers)).json()["content_locked"]
