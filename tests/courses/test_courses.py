"""Courses through HTTP: create, read by id and slug, list and filter, update, publish,
unpublish, delete, and who may do each."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from tests.factories.accounts import Account
from tests.factories.courses import add_lesson, create_course, published_course
from tests.factories.enrollments import enroll

UNKNOWN = "00000000-0000-0000-0000-000000000000"


async def test_instructor_creates_a_draft_with_the_wire_fields(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    response = await client.post(
        "/courses",
        headers=instructor.headers,
        json={
            "title": "Python for Data",
            "description": "Pandas and plots",
            "category": "Programming",
            "difficulty_level": "intermediate",
            "thumbnail_url": "https://cdn.example.com/py.png",
            "estimated_duration_minutes": 240,
            "price": 49.9,
            "currency": "usd",
            "metadata": {"tags": ["python"]},
        },
    )
    assert response.status_code == 201, response.text
    course = response.json()
    assert course["slug"] == "python-for-data"
    assert course["is_published"] is False and course["published_at"] is None
    assert course["instructor_id"] == str(instructor.id)
    assert course["instructor_name"] == instructor.full_name
    assert course["price"] == "49.90" and course["currency"] == "USD" and course["is_free"] is False
    assert course["course_metadata"] == {"tags": ["python"]} == course["metadata"]
    assert course["lessons_count"] == 0
    free = await create_course(client, instructor, title="Free one")
    assert free["price"] == "0.00" and free["currency"] == "EGP" and free["is_free"] is True


async def test_only_staff_create_courses(
    client: httpx.AsyncClient, student: Account, admin: Account
) -> None:
    assert (await client.post("/courses", json={"title": "X"})).status_code == 401
    refused = await client.post("/courses", headers=student.headers, json={"title": "X"})
    assert refused.status_code == 403
    assert (
        await client.post("/courses", headers=admin.headers, json={"title": "X"})
    ).status_code == 201


async def test_bad_course_input_is_422(client: httpx.AsyncClient, instructor: Account) -> None:
    bad_bodies = [
        {},
        {"title": ""},
        {"title": "X", "difficulty_level": "expert"},
        {"title": "X", "price": -1},
        {"title": "X", "price": "12.345"},
        {"title": "X", "currency": "dollars"},
        {"title": "X", "thumbnail_url": "javascript:alert(1)"},
        {"title": "X", "is_published": True},
        {"title": "X", "estimated_duration_minutes": 10**12},
        {"title": "bad\x00title"},
        {"title": "x" * 256},
        {"title": "X", "metadata": {"note": "nul\x00"}},
    ]
    for body in bad_bodies:
        response = await client.post("/courses", headers=instructor.headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["code"] == "validation_error"
    not_a_number = await client.post(
        "/courses",
        headers={**instructor.headers, "content-type": "application/json"},
        content=b'{"title": "X", "metadata": {"score": NaN}}',
    )
    assert not_a_number.status_code == 422


async def test_admin_creates_a_course_for_an_instructor(
    client: httpx.AsyncClient,
    admin: Account,
    instructor: Account,
    other_instructor: Account,
    student: Account,
) -> None:
    made = await create_course(client, admin, title="Assigned", instructor_id=str(instructor.id))
    assert made["instructor_id"] == str(instructor.id)
    for_student = await client.post(
        "/courses", headers=admin.headers, json={"title": "X", "instructor_id": str(student.id)}
    )
    assert for_student.status_code == 422 and for_student.json()["code"] == "not_an_instructor"
    impostor = await client.post(
        "/courses",
        headers=other_instructor.headers,
        json={"title": "X", "instructor_id": str(instructor.id)},
    )
    assert impostor.status_code == 403


async def test_slugs_are_unique_unicode_and_stable(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    first = await create_course(client, instructor, title="Intro to Python")
    second = await create_course(client, instructor, title="Intro to Python!")
    third = await create_course(client, instructor, title="intro   TO python")
    assert [first["slug"], second["slug"], third["slug"]] == [
        "intro-to-python",
        "intro-to-python-2",
        "intro-to-python-3",
    ]
    arabic = await create_course(client, instructor, title="مقدمة في البرمجة")
    assert arabic["slug"] == "مقدمة-في-البرمجة"
    accented = await create_course(client, instructor, title="Café: les bases")
    assert accented["slug"] == "cafe-les-bases"
    symbols = await create_course(client, instructor, title="!!! ???")
    assert symbols["slug"] == "course"

    by_slug = await client.get(f"/courses/slug/{quote(arabic['slug'])}", headers=instructor.headers)
    assert by_slug.status_code == 200 and by_slug.json()["id"] == arabic["id"]

    renamed = await client.patch(
        f"/courses/{first['id']}", headers=instructor.headers, json={"title": "Advanced Python"}
    )
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Advanced Python"
    assert renamed.json()["slug"] == "intro-to-python"  # stable by default
    regenerated = await client.patch(
        f"/courses/{first['id']}",
        headers=instructor.headers,
        json={"title": "Intro to Python", "regenerate_slug": True},
    )
    assert regenerated.json()["slug"] == "intro-to-python"  # its own slug is not a collision
    moved = await client.patch(
        f"/courses/{second['id']}",
        headers=instructor.headers,
        json={"title": "Advanced Python", "regenerate_slug": True},
    )
    assert moved.json()["slug"] == "advanced-python"
    assert (
        await client.get("/courses/slug/intro-to-python-2", headers=instructor.headers)
    ).status_code == 404


async def test_drafts_are_invisible_to_everyone_but_owner_and_admins(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
    admin: Account,
) -> None:
    draft = await create_course(client, instructor, title="Secret Draft")
    await published_course(client, instructor, title="Public One")
    for caller in (None, student, other_instructor):
        headers = caller.headers if caller else {}
        assert (await client.get(f"/courses/{draft['id']}", headers=headers)).status_code == 404
        by_slug = await client.get(f"/courses/slug/{draft['slug']}", headers=headers)
        assert by_slug.status_code == 404
        listed = (await client.get("/courses", headers=headers)).json()
        assert [c["title"] for c in listed["items"]] == ["Public One"]
        drafts = (
            await client.get("/courses", headers=headers, params={"is_published": False})
        ).json()
        assert drafts["total"] == 0
    for caller in (instructor, admin):
        assert (
            await client.get(f"/courses/{draft['id']}", headers=caller.headers)
        ).status_code == 200
    mine = (await client.get("/courses", headers=instructor.headers, params={"mine": True})).json()
    assert sorted(c["title"] for c in mine["items"]) == ["Public One", "Secret Draft"]
    my_drafts = await client.get(
        "/courses", headers=instructor.headers, params={"mine": True, "is_published": False}
    )
    assert [c["title"] for c in my_drafts.json()["items"]] == ["Secret Draft"]
    all_drafts = await client.get("/courses", headers=admin.headers, params={"is_published": False})
    assert [c["title"] for c in all_drafts.json()["items"]] == ["Secret Draft"]
    assert (await client.get("/courses", params={"mine": True})).status_code == 401


async def test_publishing_needs_a_lesson(client: httpx.AsyncClient, instructor: Account) -> None:
    course = await create_course(client, instructor)
    refused = await client.post(f"/courses/{course['id']}/publish", headers=instructor.headers)
    assert refused.status_code == 422 and refused.json()["code"] == "course_has_no_lessons"
    via_patch = await client.patch(
        f"/courses/{course['id']}", headers=instructor.headers, json={"is_published": True}
    )
    assert via_patch.status_code == 422
    await add_lesson(client, instructor, course["id"])
    published = await client.post(f"/courses/{course['id']}/publish", headers=instructor.headers)
    assert published.status_code == 200
    assert published.json()["is_published"] is True and published.json()["published_at"]
    again = await client.post(f"/courses/{course['id']}/publish", headers=instructor.headers)
    assert again.status_code == 200
    assert (await client.get(f"/courses/{course['id']}")).status_code == 200


async def test_only_the_owner_or_an_admin_changes_a_course(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
    admin: Account,
) -> None:
    course, _ = await published_course(client, instructor)
    draft = await create_course(client, instructor, title="Draft")
    for caller in (other_instructor, student):
        for method, path, body in (
            ("PATCH", f"/courses/{course['id']}", {"title": "Hijacked"}),
            ("POST", f"/courses/{course['id']}/unpublish", None),
            ("POST", f"/courses/{course['id']}/publish", None),
            ("DELETE", f"/courses/{course['id']}", None),
            ("POST", f"/courses/{course['id']}/lessons", {"title": "X", "lesson_type": "text"}),
        ):
            response = await client.request(method, path, headers=caller.headers, json=body)
            assert response.status_code == 403, (caller.role, method, path)
    # A draft the caller cannot see is not revealed: 404, not 403.
    hidden = await client.patch(
        f"/courses/{draft['id']}", headers=other_instructor.headers, json={"title": "X"}
    )
    assert hidden.status_code == 404
    assert (await client.patch(f"/courses/{course['id']}", json={"title": "X"})).status_code == 401
    by_admin = await client.patch(
        f"/courses/{course['id']}", headers=admin.headers, json={"category": "Science"}
    )
    assert by_admin.status_code == 200 and by_admin.json()["category"] == "Science"
    assert (await client.get(f"/courses/{course['id']}")).json()["title"] == course["title"]


async def test_patch_refuses_nulls_for_required_fields(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    course = await create_course(client, instructor, category="Math")
    for body in ({"title": None}, {"price": None}, {"slug": "custom"}, {"price": -5}):
        response = await client.patch(
            f"/courses/{course['id']}", headers=instructor.headers, json=body
        )
        assert response.status_code == 422, body
    cleared = await client.patch(
        f"/courses/{course['id']}", headers=instructor.headers, json={"category": None}
    )
    assert cleared.status_code == 200 and cleared.json()["category"] is None


async def test_catalogue_filters_search_and_pagination(
    client: httpx.AsyncClient, instructor: Account, other_instructor: Account
) -> None:
    await published_course(
        client,
        instructor,
        title="Algebra",
        category="Math",
        difficulty_level="beginner",
        description="Equations and variables",
    )
    await published_course(
        client,
        instructor,
        title="Calculus",
        category="math",
        difficulty_level="advanced",
        description="Limits and derivatives",
    )
    await published_course(
        client,
        other_instructor,
        title="Poetry",
        category="Arts",
        difficulty_level="beginner",
        description="Rhymes 100% guaranteed",
    )

    async def titles(**params: object) -> list[str]:
        response = await client.get("/courses", params=params)
        assert response.status_code == 200, response.text
        return sorted(c["title"] for c in response.json()["items"])

    assert await titles() == ["Algebra", "Calculus", "Poetry"]
    assert await titles(category="MATH") == ["Algebra", "Calculus"]
    assert await titles(difficulty_level="beginner") == ["Algebra", "Poetry"]
    assert await titles(search="derivative") == ["Calculus"]
    assert await titles(search="POETRY") == ["Poetry"]
    assert await titles(search="100%") == ["Poetry"]
    assert await titles(search="%") == ["Poetry"]  # a literal percent sign, not a wildcard
    assert await titles(search="_") == []
    assert await titles(instructor_id=str(other_instructor.id)) == ["Poetry"]
    assert await titles(category="Math", difficulty_level="advanced") == ["Calculus"]

    first = (await client.get("/courses", params={"page_size": 2})).json()
    second = (await client.get("/courses", params={"page_size": 2, "page": 2})).json()
    assert first["total"] == second["total"] == 3
    assert (first["page"], first["page_size"], len(first["items"])) == (1, 2, 2)
    assert (second["page"], len(second["items"])) == (2, 1)
    assert {c["id"] for c in first["items"]}.isdisjoint({c["id"] for c in second["items"]})
    # Newest first.
    assert [c["title"] for c in first["items"]] == ["Poetry", "Calculus"]

    for params in (
        {"page_size": 1000},
        {"page": 0},
        {"difficulty_level": "expert"},
        {"instructor_id": "nope"},
        {"search": "x" * 101},
    ):
        assert (await client.get("/courses", params=params)).status_code == 422, params


async def test_unknown_course_is_404_and_bad_id_422(
    client: httpx.AsyncClient, admin: Account
) -> None:
    assert (await client.get(f"/courses/{UNKNOWN}", headers=admin.headers)).status_code == 404
    assert (await client.get("/courses/slug/no-such-course")).status_code == 404
    assert (await client.get("/courses/slug/nul%00byte")).status_code == 404
    assert (await client.get("/courses/not-a-uuid")).status_code == 422
    missing = await client.patch(f"/courses/{UNKNOWN}", headers=admin.headers, json={"title": "X"})
    assert missing.status_code == 404 and missing.json()["code"] == "course_not_found"
    assert (await client.delete(f"/courses/{UNKNOWN}", headers=admin.headers)).status_code == 404
    assert (
        await client.post(f"/courses/{UNKNOWN}/publish", headers=admin.headers)
    ).status_code == 404


async def test_unpublishing_keeps_enrollments_and_their_access(
    client: httpx.AsyncClient, instructor: Account, student: Account, other_student: Account
) -> None:
    course, lessons = await published_course(client, instructor)
    enrollment = await enroll(client, student, course["id"])
    response = await client.post(f"/courses/{course['id']}/unpublish", headers=instructor.headers)
    assert response.status_code == 200 and response.json()["is_published"] is False

    assert (await client.get("/courses")).json()["total"] == 0
    assert (
        await client.get(f"/courses/{course['id']}", headers=other_student.headers)
    ).status_code == 404
    # The enrolled student keeps the course, its material and the enrollment.
    assert (
        await client.get(f"/courses/{course['id']}", headers=student.headers)
    ).status_code == 200
    lesson = await client.get(f"/lessons/{lessons[1]['id']}", headers=student.headers)
    assert lesson.status_code == 200 and lesson.json()["content"] == "Secret material"
    mine = (await client.get("/enrollments/my-courses", headers=student.headers)).json()
    assert [e["id"] for e in mine["items"]] == [enrollment["id"]]
    done = await client.post(
        f"/enrollments/{enrollment['id']}/lessons/{lessons[0]['id']}/complete",
        headers=student.headers,
    )
    assert done.status_code == 200 and done.json()["completed_lessons_count"] == 1
    # Nobody new can enroll while it is unpublished.
    refused = await client.post(
        "/enrollments", headers=other_student.headers, json={"course_id": course["id"]}
    )
    assert refused.status_code == 404
    # PATCH is_published does the same both ways.
    back = await client.patch(
        f"/courses/{course['id']}", headers=instructor.headers, json={"is_published": True}
    )
    assert back.json()["is_published"] is True
    off = await client.patch(
        f"/courses/{course['id']}", headers=instructor.headers, json={"is_published": False}
    )
    assert off.json()["is_published"] is False


async def test_deleting_a_course_with_enrollments_is_refused(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
) -> None:
    course, _lessons = await published_course(client, instructor)
    await enroll(client, student, course["id"])
    refused = await client.delete(f"/courses/{course['id']}", headers=instructor.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "course_has_enrollments"
    assert (await client.get(f"/courses/{course['id']}")).status_code == 200

    empty, empty_lessons = await published_course(client, instructor, title="Empty")
    assert (
        await client.delete(f"/courses/{empty['id']}", headers=other_instructor.headers)
    ).status_code == 403
    assert (
        await client.delete(f"/courses/{empty['id']}", headers=instructor.headers)
    ).status_code == 204
    assert (
        await client.get(f"/courses/{empty['id']}", headers=instructor.headers)
    ).status_code == 404
    assert (
        await client.get(f"/lessons/{empty_lessons[0]['id']}", headers=instructor.headers)
    ).status_code == 404
