"""Course-grade overrides, the history of grade changes, a student's own grades, and
the refusals of every gradebook route."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.modules.grades import GradeOverridden
from tests.factories.accounts import AccountFactory
from tests.factories.courses import published_course
from tests.factories.quizzes import add_question, create_quiz, publish_quiz, start_attempt
from tests.factories.teams import add_staff, create_cohort, move_to_cohort
from tests.grades.dataset import SCHEME, Gradebook, build_gradebook


@pytest.fixture
async def book(
    client: httpx.AsyncClient, db: AsyncSession, make_account: AccountFactory
) -> Gradebook:
    book = await build_gradebook(client, db, make_account)
    response = await client.put(
        f"/courses/{book.course_id}/grading-scheme", headers=book.owner.headers, json=SCHEME
    )
    assert response.status_code == 200, response.text
    return book


def _override_url(book: Gradebook, student_id: Any) -> str:
    return f"/courses/{book.course_id}/gradebook/{student_id}/override"


def _history_url(book: Gradebook, student_id: Any) -> str:
    return f"/courses/{book.course_id}/gradebook/{student_id}/history"


async def _bob(client: httpx.AsyncClient, book: Gradebook) -> dict[str, Any]:
    page = (
        await client.get(f"/courses/{book.course_id}/gradebook", headers=book.owner.headers)
    ).json()
    return next(row for row in page["items"] if row["student_id"] == str(book.bob.id))


async def _history(client: httpx.AsyncClient, book: Gradebook, student_id: Any) -> list[Any]:
    response = await client.get(_history_url(book, student_id), headers=book.owner.headers)
    assert response.status_code == 200, response.text
    return [
        (c["kind"], c["before"], c["after"], c["reason"], c["changed_by_id"])
        for c in response.json()["items"]
    ]


async def test_an_override_replaces_the_course_grade_and_is_kept_in_the_history(
    client: httpx.AsyncClient, book: Gradebook
) -> None:
    heard: list[GradeOverridden] = []

    async def listen(_session: Any, event: GradeOverridden) -> None:
        heard.append(event)

    events.bus.subscribe(GradeOverridden, listen)
    try:
        owner = str(book.owner.id)
        set_it = await client.put(
            _override_url(book, book.bob.id),
            headers=book.owner.headers,
            json={"grade": "85", "reason": "Medical leave, oral exam instead"},
        )
        assert set_it.status_code == 200, set_it.text
        assert set_it.json()["grade"] == "85.00" and set_it.json()["letter"] == "B"
        bob = await _bob(client, book)
        assert bob["course_grade"] == {
            "computed": "80.00",
            "grade": "85.00",
            "letter": "B",
            "overridden": True,
        }
        assert bob["override_reason"] == "Medical leave, oral exam instead"

        again = await client.put(
            _override_url(book, book.bob.id),
            headers=book.owner.headers,
            json={"grade": "90.5", "reason": "Re-marked"},
        )
        assert again.status_code == 200 and again.json()["letter"] == "A"
        cleared = await client.delete(_override_url(book, book.bob.id), headers=book.owner.headers)
        assert cleared.status_code == 204
        bob = await _bob(client, book)
        assert bob["course_grade"]["grade"] == "80.00"
        assert bob["course_grade"]["overridden"] is False and bob["override_reason"] is None
        # Clearing again changes nothing and records nothing.
        assert (
            await client.delete(_override_url(book, book.bob.id), headers=book.owner.headers)
        ).status_code == 204
        assert await _history(client, book, book.bob.id) == [
            ("override_cleared", "90.50", "80.00", None, owner),
            ("override_set", "85.00", "90.50", "Re-marked", owner),
            ("override_set", "80.00", "85.00", "Medical leave, oral exam instead", owner),
        ]
    finally:
        events.bus.unsubscribe(GradeOverridden, listen)
    assert [(e.before, e.after, e.cleared) for e in heard] == [
        (pytest.approx(80), pytest.approx(85), False),
        (pytest.approx(85), pytest.approx(90.5), False),
        (pytest.approx(90.5), pytest.approx(80), True),
    ]
    assert heard[0].name == "grade.overridden.v1"
    assert heard[0].payload()["enrollment_id"] == book.enrollments["bob"]
    assert heard[0].payload()["reason"] == "Medical leave, oral exam instead"


async def test_the_student_sees_released_grades_only(
    client: httpx.AsyncClient, book: Gradebook, other_student: Any, other_instructor: Any
) -> None:
    await client.put(
        f"/courses/{book.course_id}/grading-scheme",
        headers=book.owner.headers,
        json={**SCHEME, "hidden_items": [book.assignments["A2"]]},
    )
    await client.put(
        _override_url(book, book.alice.id),
        headers=book.owner.headers,
        json={"grade": "84.13", "reason": "Private note about Alice"},
    )
    url = f"/enrollments/{book.enrollments['alice']}/grades"
    mine = await client.get(url, headers=book.alice.headers)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    a2 = next(i for i in body["items"] if i["item_id"] == book.assignments["A2"])
    assert a2 == {
        "item_id": book.assignments["A2"],
        "score": None,
        "is_late": False,
        "late_penalty_percent": None,
        "effective_score": None,
        "released": False,
    }
    # Without A2: Assignments 88.50; 0.4 x 77.57 + 0.6 x 88.50 = 84.128 -> 84.13.
    assert [c["average"] for c in body["categories"]] == ["77.57", "88.50"]
    assert body["course_grade"]["computed"] == "84.13"
    assert body["course_grade"]["overridden"] is True
    assert "Private note" not in mine.text and "correct_answer" not in mine.text

    staff = (await client.get(url, headers=book.owner.headers)).json()
    a2 = next(i for i in staff["items"] if i["item_id"] == book.assignments["A2"])
    assert a2["effective_score"] == "66.50" and a2["released"] is False
    assert staff["course_grade"]["computed"] == "77.53"

    for outsider in (book.bob, other_student, other_instructor):
        refused = await client.get(url, headers=outsider.headers)
        assert refused.status_code == 404 and refused.json()["code"] == "enrollment_not_found"
    assert (await client.get(url)).status_code == 401
    unknown = await client.get(f"/enrollments/{uuid.uuid4()}/grades", headers=book.owner.headers)
    assert unknown.status_code == 404


async def test_grading_work_by_hand_is_kept_in_the_history(
    client: httpx.AsyncClient, book: Gradebook
) -> None:
    owner = str(book.owner.id)
    carl = book.carl
    handed_in = await client.post(
        f"/lessons/{book.assignments['A1']}/submissions", headers=carl.headers, json={"text": "Hi"}
    )
    assert handed_in.status_code == 201, handed_in.text
    submission = handed_in.json()["id"]
    for score in (70, 75.5):
        graded = await client.post(
            f"/submissions/{submission}/grade", headers=book.owner.headers, json={"score": score}
        )
        assert graded.status_code == 200, graded.text

    quiz = await create_quiz(client, book.owner, book.course_id, title="Essay", quiz_type="graded")
    essay = await add_question(
        client,
        book.owner,
        quiz["id"],
        question_text="Explain.",
        question_type="essay",
        points="4",
    )
    await publish_quiz(client, book.owner, book.course_id, quiz["id"])
    attempt = await start_attempt(client, carl, quiz["id"])
    submitted = await client.post(
        f"/quizzes/{quiz['id']}/attempts/{attempt['id']}/submit",
        headers=carl.headers,
        json={"answers": [{"question_id": essay["id"], "answer": "Because."}]},
    )
    assert submitted.status_code == 200, submitted.text
    assert [kind for kind, *_ in await _history(client, book, carl.id)] == [
        "assignment_graded",
        "assignment_graded",
    ]
    for points in ("3", "2"):
        graded = await client.post(
            f"/quizzes/{quiz['id']}/attempts/{attempt['id']}/grade",
            headers=book.owner.headers,
            json={"grades": [{"question_id": essay["id"], "points": points}]},
        )
        assert graded.status_code == 200, graded.text
    assert await _history(client, book, carl.id) == [
        ("quiz_regraded", "75.00", "50.00", None, owner),
        ("quiz_regraded", None, "75.00", None, owner),
        ("assignment_graded", "70.00", "75.50", None, owner),
        ("assignment_graded", None, "70.00", None, owner),
    ]
    history = (await client.get(_history_url(book, carl.id), headers=book.owner.headers)).json()[
        "items"
    ]
    assert history[0]["item_id"] == quiz["id"] and history[0]["source_id"] == attempt["id"]
    assert history[3]["item_id"] == book.assignments["A1"]
    assert history[3]["source_id"] == submission


async def test_who_is_refused(
    client: httpx.AsyncClient,
    book: Gradebook,
    make_account: AccountFactory,
    other_instructor: Any,
    admin: Any,
) -> None:
    morning = await create_cohort(client, book.owner, book.course_id, name="Morning")
    evening = await create_cohort(client, book.owner, book.course_id, name="Evening")
    await move_to_cohort(
        client, book.owner, book.course_id, book.enrollments["alice"], morning["id"]
    )
    assistant_in = await make_account("student", full_name="In Cohort")
    assistant_out = await make_account("student", full_name="Out Cohort")
    co_instructor = await make_account("instructor", full_name="Co Teacher")
    await add_staff(
        client, book.owner, book.course_id, assistant_in.id, "assistant", [morning["id"]]
    )
    await add_staff(
        client, book.owner, book.course_id, assistant_out.id, "assistant", [evening["id"]]
    )
    await add_staff(client, book.owner, book.course_id, co_instructor.id, "co_instructor")
    elsewhere, _ = await published_course(client, other_instructor, lessons=1)
    student_elsewhere = await make_account("student", full_name="Elsewhere")
    await client.post(
        "/enrollments", headers=student_elsewhere.headers, json={"course_id": elsewhere["id"]}
    )

    alice = book.alice.id
    gradebook = f"/courses/{book.course_id}/gradebook"
    mine = _override_url(book, alice)
    override = {"grade": "70", "reason": "Agreed"}
    calls = [
        # (caller, method, url, body, status, code)
        (None, "GET", f"/courses/{book.course_id}/gradebook", None, 401, None),
        (book.alice, "GET", gradebook, None, 403, "not_course_manager"),
        (student_elsewhere, "GET", f"/courses/{book.course_id}/gradebook", None, 403, None),
        (other_instructor, "GET", f"/courses/{book.course_id}/gradebook", None, 403, None),
        (book.owner, "GET", f"/courses/{uuid.uuid4()}/gradebook", None, 404, "course_not_found"),
        (book.owner, "GET", f"/courses/{book.course_id}/gradebook?page_size=101", None, 422, None),
        (book.owner, "GET", f"/courses/{book.course_id}/gradebook?format=xml", None, 422, None),
        (book.alice, "GET", f"/courses/{book.course_id}/grading-scheme", None, 403, None),
        (assistant_in, "GET", f"/courses/{book.course_id}/grading-scheme", None, 200, None),
        (assistant_in, "PUT", f"/courses/{book.course_id}/grading-scheme", SCHEME, 403, None),
        (co_instructor, "PUT", f"/courses/{book.course_id}/grading-scheme", SCHEME, 200, None),
        (book.alice, "PUT", _override_url(book, alice), override, 403, None),
        (assistant_in, "PUT", _override_url(book, alice), override, 403, None),
        (assistant_out, "DELETE", _override_url(book, alice), None, 403, None),
        (other_instructor, "DELETE", _override_url(book, alice), None, 403, None),
        (book.owner, "PUT", _override_url(book, student_elsewhere.id), override, 404,
         "student_not_in_course"),
        (book.owner, "DELETE", _override_url(book, uuid.uuid4()), None, 404, None),
        (book.owner, "PUT", _override_url(book, alice), {"grade": "101", "reason": "x"}, 422, None),
        (book.owner, "PUT", _override_url(book, alice), {"grade": "70", "reason": " "}, 422, None),
        (book.owner, "PUT", _override_url(book, alice), {"grade": "70"}, 422, None),
        (book.owner, "PUT", mine, {"grade": "7.001", "reason": "x"}, 422, None),
        (co_instructor, "PUT", _override_url(book, alice), override, 200, None),
        (admin, "DELETE", _override_url(book, alice), None, 204, None),
        (book.alice, "GET", _history_url(book, alice), None, 403, None),
        (assistant_out, "GET", _history_url(book, alice), None, 404, "student_not_in_course"),
        (assistant_in, "GET", _history_url(book, alice), None, 200, None),
        (assistant_in, "GET", _history_url(book, book.bob.id), None, 404, None),
        (other_instructor, "GET", _history_url(book, alice), None, 403, None),
        (None, "GET", _history_url(book, alice), None, 401, None),
    ]  # fmt: skip
    wrong = []
    for caller, method, url, body, status, code in calls:
        headers = caller.headers if caller is not None else {}
        response = await client.request(method, url, headers=headers, json=body)
        if response.status_code != status or (code and response.json().get("code") != code):
            who = caller.full_name if caller is not None else "anonymous"
            wrong.append(f"{method} {url} as {who}: {response.status_code} {response.text[:200]}")
    assert wrong == []


async def test_an_override_is_in_the_audit_log_without_its_reason(
    client: httpx.AsyncClient, book: Gradebook, admin: Any
) -> None:
    for body in ({"grade": "85", "reason": "Medical leave"}, None):
        url = _override_url(book, book.bob.id)
        answer = await (
            client.put(url, headers=book.owner.headers, json=body)
            if body
            else client.delete(url, headers=book.owner.headers)
        )
        assert answer.status_code in (200, 204), answer.text
    found = await client.get(
        f"/courses/{book.course_id}/audit", headers=admin.headers, params={"page_size": 100}
    )
    assert found.status_code == 200, found.text
    entries = [e for e in found.json()["items"] if e["action"].startswith("grade.")]
    changes = [(e["action"], e["change"]["before"], e["change"]["after"]["after"]) for e in entries]
    assert list(reversed(changes)) == [
        ("grade.overridden", {"grade": "80.00"}, "85.00"),
        ("grade.override_cleared", {"grade": "85.00"}, "80.00"),
    ]
    assert all(e["actor_id"] == str(book.owner.id) for e in entries)
    assert "Medical leave" not in found.text
