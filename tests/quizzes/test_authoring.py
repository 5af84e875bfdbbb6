from __future__ import annotations

import httpx
import pytest

from tests.factories.accounts import Account
from tests.factories.courses import add_lesson, create_course, publish_course
from tests.factories.quizzes import (
    CAPITAL,
    ESSAY,
    EXPLANATION,
    WRONG_CITY,
    add_question,
    create_quiz,
    make_classroom,
    publish_quiz,
    standard_questions,
)


async def test_instructor_creates_a_quiz_with_both_seeds_fields(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    course = await create_course(client, instructor)
    lesson = await add_lesson(client, instructor, course["id"], lesson_type="quiz")
    created = await client.post(
        f"/courses/{course['id']}/quizzes",
        headers=instructor.headers,
        json={
            "title": "Week 1",
            "description": "Rivers",
            "lesson_id": lesson["id"],
            "quiz_type": "graded",
            "passing_score": 60,
            "time_limit_minutes": 15,
            "max_attempts": 2,
            "shuffle_questions": False,
            "shuffle_options": True,
            "show_correct_answers": False,
        },
    )
    assert created.status_code == 201, created.text
    quiz = created.json()
    assert quiz["course_id"] == course["id"] and quiz["lesson_id"] == lesson["id"]
    assert quiz["passing_score"] == "60.00" and quiz["passing_score_percentage"] == "60.00"
    assert quiz["is_published"] is False and quiz["question_count"] == 0
    assert (quiz["time_limit_minutes"], quiz["max_attempts"]) == (15, 2)
    assert quiz["shuffle_questions"] is False and quiz["show_correct_answers"] is False

    # Seed 000's flat path takes the course in the body and its own field name.
    flat = await client.post(
        "/quizzes",
        headers=instructor.headers,
        json={
            "course_id": course["id"],
            "title": "Practice",
            "quiz_type": "practice",
            "passing_score_percentage": 50,
        },
    )
    assert flat.status_code == 201, flat.text
    assert flat.json()["passing_score"] == "50.00" and flat.json()["lesson_id"] is None
    fetched = await client.get(f"/quizzes/{flat.json()['id']}", headers=instructor.headers)
    assert fetched.status_code == 200 and fetched.json()["title"] == "Practice"


async def test_only_the_course_owner_or_an_admin_authors_quizzes(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
    admin: Account,
) -> None:
    draft = await create_course(client, instructor)
    published = await create_course(client, instructor)
    await add_lesson(client, instructor, published["id"])
    await publish_course(client, instructor, published["id"])

    assert (
        await client.post(f"/courses/{published['id']}/quizzes", json={"title": "Q"})
    ).status_code == 401
    for caller in (other_instructor, student):
        refused = await client.post(
            f"/courses/{published['id']}/quizzes", headers=caller.headers, json={"title": "Q"}
        )
        assert refused.status_code == 403, refused.text
        hidden = await client.post(
            f"/courses/{draft['id']}/quizzes", headers=caller.headers, json={"title": "Q"}
        )
        assert hidden.status_code == 404, hidden.text
    by_admin = await client.post(
        f"/courses/{draft['id']}/quizzes", headers=admin.headers, json={"title": "Q"}
    )
    assert by_admin.status_code == 201
    quiz_id = by_admin.json()["id"]
    for caller in (other_instructor, student):
        patch = await client.patch(
            f"/quizzes/{quiz_id}", headers=caller.headers, json={"title": "X"}
        )
        assert patch.status_code == 404  # a draft course's quiz is not revealed
        delete = await client.delete(f"/quizzes/{quiz_id}", headers=caller.headers)
        assert delete.status_code == 404
    missing = await client.post(
        "/courses/00000000-0000-0000-0000-000000000000/quizzes",
        headers=instructor.headers,
        json={"title": "Q"},
    )
    assert missing.status_code == 404


async def test_quiz_input_is_validated(client: httpx.AsyncClient, instructor: Account) -> None:
    course = await create_course(client, instructor)
    for body in (
        {"title": ""},
        {"title": "Q", "passing_score": 101},
        {"title": "Q", "quiz_type": "exam"},
        {"title": "Q", "time_limit_minutes": 0},
        {"title": "Q", "max_attempts": -1},
        {"title": "Q", "is_published": True},
        {"title": "Q", "unknown": 1},
        {"title": "Q\x00"},
    ):
        response = await client.post(
            f"/courses/{course['id']}/quizzes", headers=instructor.headers, json=body
        )
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
    quiz = await create_quiz(client, instructor, course["id"])
    nulled = await client.patch(
        f"/quizzes/{quiz['id']}", headers=instructor.headers, json={"title": None}
    )
    assert nulled.status_code == 422


async def test_a_quiz_lesson_must_be_of_the_course_and_have_one_quiz(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    course = await create_course(client, instructor)
    other_course = await create_course(client, instructor)
    lesson = await add_lesson(client, instructor, course["id"], lesson_type="quiz")
    foreign = await add_lesson(client, instructor, other_course["id"], lesson_type="quiz")
    wrong = await client.post(
        f"/courses/{course['id']}/quizzes",
        headers=instructor.headers,
        json={"title": "Q", "lesson_id": foreign["id"]},
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "lesson_not_in_course"
    unknown = await client.post(
        f"/courses/{course['id']}/quizzes",
        headers=instructor.headers,
        json={"title": "Q", "lesson_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert unknown.status_code == 422
    first = await create_quiz(client, instructor, course["id"], lesson_id=lesson["id"])
    second = await client.post(
        f"/courses/{course['id']}/quizzes",
        headers=instructor.headers,
        json={"title": "Q2", "lesson_id": lesson["id"]},
    )
    assert second.status_code == 409 and second.json()["code"] == "lesson_has_quiz"
    loose = await create_quiz(client, instructor, course["id"])
    moved = await client.patch(
        f"/courses/{course['id']}/quizzes/{loose['id']}",
        headers=instructor.headers,
        json={"lesson_id": lesson["id"]},
    )
    assert moved.status_code == 409
    freed = await client.patch(
        f"/quizzes/{first['id']}", headers=instructor.headers, json={"lesson_id": None}
    )
    assert freed.status_code == 200 and freed.json()["lesson_id"] is None
    moved = await client.patch(
        f"/courses/{course['id']}/quizzes/{loose['id']}",
        headers=instructor.headers,
        json={"lesson_id": lesson["id"]},
    )
    assert moved.status_code == 200 and moved.json()["lesson_id"] == lesson["id"]


async def test_drafts_are_visible_only_to_managers(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    other_student: Account,
    admin: Account,
) -> None:
    room = await make_classroom(client, instructor, student, publish=False)
    draft_id = room.quiz_id
    published = await create_quiz(client, instructor, room.course_id, quiz_type="practice")
    await add_question(client, instructor, published["id"], **standard_questions()[1])
    await publish_quiz(client, instructor, room.course_id, published["id"])

    for caller in (student, other_student, None):
        headers = caller.headers if caller else {}
        listed = await client.get(f"/courses/{room.course_id}/quizzes", headers=headers)
        assert listed.status_code == 200
        assert [q["id"] for q in listed.json()["items"]] == [published["id"]]
        assert listed.json()["items"][0]["question_count"] == 1
        hidden = await client.get(f"/courses/{room.course_id}/quizzes/{draft_id}", headers=headers)
        assert hidden.status_code == 404
        assert (await client.get(f"/quizzes/{draft_id}", headers=headers)).status_code == 404
        flat = await client.get("/quizzes", headers=headers)
        assert [q["id"] for q in flat.json()["items"]] == [published["id"]]
    for manager in (instructor, admin):
        listed = await client.get(f"/courses/{room.course_id}/quizzes", headers=manager.headers)
        assert listed.json()["total"] == 2
        flat = await client.get(
            "/quizzes", headers=manager.headers, params={"course_id": room.course_id}
        )
        assert flat.json()["total"] == 2
        everything = await client.get("/quizzes", headers=manager.headers)
        assert everything.json()["total"] == 2
    by_lesson = await client.get(
        "/quizzes", headers=instructor.headers, params={"lesson_id": room.lesson_id}
    )
    assert [q["id"] for q in by_lesson.json()["items"]] == [draft_id]
    practice = await client.get(
        f"/courses/{room.course_id}/quizzes", params={"quiz_type": "practice"}
    )
    assert practice.json()["total"] == 1
    # The quiz must belong to the course named in the path.
    other = await create_course(client, instructor)
    assert (
        await client.get(f"/courses/{other['id']}/quizzes/{draft_id}", headers=instructor.headers)
    ).status_code == 404
    # A draft course's quizzes are not listed to outsiders.
    draft_course = await create_course(client, instructor)
    assert (
        await client.get(f"/courses/{draft_course['id']}/quizzes", headers=student.headers)
    ).status_code == 404


async def test_publishing_needs_a_question(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course = await create_course(client, instructor)
    quiz = await create_quiz(client, instructor, course["id"])
    empty = await client.post(
        f"/courses/{course['id']}/quizzes/{quiz['id']}/publish", headers=instructor.headers
    )
    assert empty.status_code == 422 and empty.json()["code"] == "quiz_empty"
    via_patch = await client.patch(
        f"/quizzes/{quiz['id']}", headers=instructor.headers, json={"is_published": True}
    )
    assert via_patch.status_code == 422
    await add_question(client, instructor, quiz["id"], **standard_questions()[0])
    published = await publish_quiz(client, instructor, course["id"], quiz["id"])
    assert published["is_published"] is True and published["published_at"]
    assert published["question_count"] == 1 and published["total_points"] == "1.00"
    await add_lesson(client, instructor, course["id"])
    await publish_course(client, instructor, course["id"])
    refused = await client.post(
        f"/courses/{course['id']}/quizzes/{quiz['id']}/publish", headers=student.headers
    )
    assert refused.status_code == 403
    unpublished = await client.patch(
        f"/courses/{course['id']}/quizzes/{quiz['id']}",
        headers=instructor.headers,
        json={"is_published": False},
    )
    assert unpublished.status_code == 200 and unpublished.json()["is_published"] is False


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (
            {"question_type": "multiple_choice", "options": ["only"], "correct_answer": "only"},
            "at least two options",
        ),
        (
            {"question_type": "multiple_choice", "options": ["a", "A "], "correct_answer": "a"},
            "distinct",
        ),
        (
            {"question_type": "multiple_choice", "options": ["a", ""], "correct_answer": "a"},
            "must not be empty",
        ),
        (
            {"question_type": "multiple_choice", "options": ["a", "b"], "correct_answer": "c"},
            "one of the options",
        ),
        ({"question_type": "multiple_choice", "options": ["a", "b"]}, "needs correct_answer"),
        ({"question_type": "true_false", "correct_answer": "yes"}, '"true" or "false"'),
        ({"question_type": "true_false"}, '"true" or "false"'),
        (
            {"question_type": "true_false", "options": ["x", "y"], "correct_answer": "true"},
            "takes no options",
        ),
        (
            {"question_type": "short_answer", "options": ["a"], "correct_answer": "a"},
            "takes no options",
        ),
        ({"question_type": "essay", "correct_answer": "anything"}, "no correct_answer"),
        ({"question_type": "essay", "options": ["a", "b"]}, "takes no options"),
        ({"question_type": "short_answer", "correct_answer": True}, "boolean"),
    ],
)
async def test_bad_question_definitions_are_422_with_a_clear_message(
    client: httpx.AsyncClient, instructor: Account, question: dict[str, object], message: str
) -> None:
    course = await create_course(client, instructor)
    quiz = await create_quiz(client, instructor, course["id"])
    response = await client.post(
        f"/quizzes/{quiz['id']}/questions",
        headers=instructor.headers,
        json={"question_text": "Q?", **question},
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_question"
    assert message in response.json()["detail"]


async def test_question_schema_errors(client: httpx.AsyncClient, instructor: Account) -> None:
    course = await create_course(client, instructor)
    quiz = await create_quiz(client, instructor, course["id"])
    for body in (
        {"question_text": "Q", "question_type": "matching"},
        {"question_text": "", "question_type": "essay"},
        {"question_text": "Q", "question_type": "essay", "points": 0},
        {"question_text": "Q", "question_type": "essay", "points": "abc"},
        {"question_text": "Q", "question_type": "essay", "order_index": -1},
        {"question_text": "Q", "question_type": "essay", "question_metadata": {"a": "\x00"}},
    ):
        response = await client.post(
            f"/quizzes/{quiz['id']}/questions", headers=instructor.headers, json=body
        )
        assert response.status_code == 422, body


async def test_questions_are_stored_normalised_and_ordered(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    course = await create_course(client, instructor)
    quiz = await create_quiz(client, instructor, course["id"])
    tf = await add_question(
        client,
        instructor,
        quiz["id"],
        question_text="Q1",
        question_type="true_false",
        correct_answer=False,
    )
    assert tf["correct_answer"] == "false" and tf["options"] == ["true", "false"]
    assert tf["order_index"] == 0 and tf["order"] == 0
    short = await add_question(
        client,
        instructor,
        quiz["id"],
        question_text="Q2",
        question_type="short_answer",
        correct_answer=" Nile |  | river ",
    )
    assert short["correct_answer"] == "Nile|river" and short["graded_by_hand"] is False
    assert short["order_index"] == 1
    open_answer = await add_question(
        client,
        instructor,
        quiz["id"],
        question_text="Q3",
        question_type="short_answer",
        order=0,
    )
    assert open_answer["graded_by_hand"] is True and open_answer["order_index"] == 0
    essay = await add_question(client, instructor, quiz["id"], **ESSAY)
    assert essay["graded_by_hand"] is True and essay["points"] == "3.00"
    managed = await client.get(
        f"/quizzes/{quiz['id']}/questions/manage", headers=instructor.headers
    )
    assert managed.status_code == 200
    assert [q["question_text"] for q in managed.json()] == [
        "Q1",
        "Q3",
        "Q2",
        ESSAY["question_text"],
    ]
    assert managed.json()[3]["explanation"] == EXPLANATION


async def test_manage_list_is_for_managers_and_public_list_hides_answers(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
    other_student: Account,
    admin: Account,
) -> None:
    room = await make_classroom(client, instructor, student)
    for manager in (instructor, admin):
        managed = await client.get(
            f"/quizzes/{room.quiz_id}/questions/manage", headers=manager.headers
        )
        assert managed.status_code == 200
        assert managed.json()[0]["correct_answer"] == CAPITAL
    for outsider in (student, other_instructor):
        refused = await client.get(
            f"/quizzes/{room.quiz_id}/questions/manage", headers=outsider.headers
        )
        assert refused.status_code == 403
    assert (await client.get(f"/quizzes/{room.quiz_id}/questions/manage")).status_code == 401

    public = await client.get(f"/quizzes/{room.quiz_id}/questions", headers=student.headers)
    assert public.status_code == 200
    assert len(public.json()) == 3
    for item in public.json():
        assert set(item) == {
            "id",
            "quiz_id",
            "question_text",
            "question_type",
            "options",
            "points",
            "order_index",
            "order",
        }
    assert EXPLANATION not in public.text
    not_enrolled = await client.get(
        f"/quizzes/{room.quiz_id}/questions", headers=other_student.headers
    )
    assert not_enrolled.status_code == 403 and not_enrolled.json()["code"] == "not_enrolled"
    assert (await client.get(f"/quizzes/{room.quiz_id}/questions")).status_code == 401


async def test_a_timed_quiz_shows_its_questions_only_in_an_attempt(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student, time_limit_minutes=10)
    early = await client.get(f"/quizzes/{room.quiz_id}/questions", headers=student.headers)
    assert early.status_code == 403 and early.json()["code"] == "attempt_required"
    started = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
    assert started.status_code == 201
    later = await client.get(f"/quizzes/{room.quiz_id}/questions", headers=student.headers)
    assert later.status_code == 200 and len(later.json()) == 3


async def test_question_edits_and_deletes(
    client: httpx.AsyncClient, instructor: Account, other_instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student, publish=False)
    mc = room.by_type("multiple_choice")
    url = f"/quizzes/{room.quiz_id}/questions/{mc['id']}"
    changed = await client.patch(
        url,
        headers=instructor.headers,
        json={"options": ["x", "y", CAPITAL], "correct_answer": "y", "points": 2},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["correct_answer"] == "y" and changed.json()["points"] == "2.00"
    bad = await client.patch(url, headers=instructor.headers, json={"correct_answer": "zzz"})
    assert bad.status_code == 422
    retyped = await client.patch(
        url,
        headers=instructor.headers,
        json={"question_type": "essay", "options": None, "correct_answer": None},
    )
    assert retyped.status_code == 200 and retyped.json()["graded_by_hand"] is True
    assert (
        await client.patch(url, headers=other_instructor.headers, json={"question_text": "x"})
    ).status_code == 404
    other_quiz = await create_quiz(client, instructor, room.course_id)
    wrong_quiz = await client.patch(
        f"/quizzes/{other_quiz['id']}/questions/{mc['id']}",
        headers=instructor.headers,
        json={"question_text": "x"},
    )
    assert wrong_quiz.status_code == 404
    deleted = await client.delete(url, headers=instructor.headers)
    assert deleted.status_code == 204
    assert (await client.delete(url, headers=instructor.headers)).status_code == 404
    managed = await client.get(
        f"/quizzes/{room.quiz_id}/questions/manage", headers=instructor.headers
    )
    assert len(managed.json()) == 2


async def test_attempted_quiz_locks_answers_but_not_text(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student)
    started = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
    assert started.status_code == 201
    mc = room.by_type("multiple_choice")
    url = f"/quizzes/{room.quiz_id}/questions/{mc['id']}"
    for change in (
        {"correct_answer": WRONG_CITY},
        {"options": [CAPITAL, "new one"]},
        {"points": 5},
        {"question_type": "essay", "options": None, "correct_answer": None},
    ):
        refused = await client.patch(url, headers=instructor.headers, json=change)
        assert refused.status_code == 409, change
        assert refused.json()["code"] == "question_locked"
    text = await client.patch(
        url,
        headers=instructor.headers,
        json={"question_text": "Which city is the capital of Egypt?", "explanation": "Since 969."},
    )
    assert text.status_code == 200
    same = await client.patch(url, headers=instructor.headers, json={"correct_answer": CAPITAL})
    assert same.status_code == 200
    assert (await client.delete(url, headers=instructor.headers)).status_code == 409
    assert (
        await client.delete(f"/quizzes/{room.quiz_id}", headers=instructor.headers)
    ).status_code == 409
    added = await client.post(
        f"/quizzes/{room.quiz_id}/questions", headers=instructor.headers, json=ESSAY
    )
    assert added.status_code == 201


async def test_deleting_a_quiz_without_attempts(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student)
    refused = await client.delete(f"/quizzes/{room.quiz_id}", headers=student.headers)
    assert refused.status_code == 403
    last = room.questions[0]
    for question in room.questions[1:]:
        deleted = await client.delete(
            f"/quizzes/{room.quiz_id}/questions/{question['id']}", headers=instructor.headers
        )
        assert deleted.status_code == 204
    keep_one = await client.delete(
        f"/quizzes/{room.quiz_id}/questions/{last['id']}", headers=instructor.headers
    )
    assert keep_one.status_code == 422
    assert (
        await client.delete(f"/quizzes/{room.quiz_id}", headers=instructor.headers)
    ).status_code == 204
    assert (
        await client.get(f"/quizzes/{room.quiz_id}", headers=instructor.headers)
    ).status_code == 404
    # The lesson is free for a new quiz.
    again = await create_quiz(client, instructor, room.course_id, lesson_id=room.lesson_id)
    assert again["lesson_id"] == room.lesson_id


async def test_enrolled_student_sees_quiz_metadata_only(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student)
    quiz = await client.get(
        f"/courses/{room.course_id}/quizzes/{room.quiz_id}", headers=student.headers
    )
    assert quiz.status_code == 200
    assert quiz.json()["question_count"] == 3 and quiz.json()["total_points"] == "4.00"
    assert "questions" not in quiz.json()


async def test_quizzes_follow_their_lesson_and_course_when_deleted(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    room = await make_classroom(client, instructor, None)
    gone = await client.delete(f"/lessons/{room.lesson_id}", headers=instructor.headers)
    assert gone.status_code == 204, gone.text
    detached = await client.get(f"/quizzes/{room.quiz_id}", headers=instructor.headers)
    assert detached.status_code == 200 and detached.json()["lesson_id"] is None
    deleted = await client.delete(f"/courses/{room.course_id}", headers=instructor.headers)
    assert deleted.status_code == 204, deleted.text
    assert (
        await client.get(f"/quizzes/{room.quiz_id}", headers=instructor.headers)
    ).status_code == 404
