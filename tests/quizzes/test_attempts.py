from __future__ import annotations

import json
from typing import Any

import httpx

from tests.factories.accounts import Account
from tests.factories.enrollments import enroll, get_enrollment
from tests.factories.quizzes import (
    ACCEPTED,
    CAPITAL,
    ESSAY,
    EXPLANATION,
    OTHER_CITY,
    SECRETS,
    WRONG_CITY,
    add_question,
    create_quiz,
    make_classroom,
    publish_quiz,
    right_answers,
    standard_questions,
    start_attempt,
    submit_attempt,
)


def assert_no_answer_leak(response: httpx.Response) -> None:
    """Nothing in a student-facing response tells which answer is right."""
    raw = response.text
    for secret in SECRETS:
        assert secret not in raw, f"{secret} leaked in {response.request.url}"

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                assert key not in {"correct_answer", "explanation", "is_correct"} or item is None, (
                    f"{key} leaked in {response.request.url}: {json.dumps(value)[:200]}"
                )
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    if raw:
        walk(response.json())


async def test_a_student_takes_a_quiz_and_passing_completes_its_lesson(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student, passing_score=75)
    before = await get_enrollment(client, student, room.enrollment_id)
    assert before["completed_lessons_count"] == 0

    sheet = await start_attempt(client, student, room.quiz_id)
    assert sheet["status"] == "in_progress" and sheet["attempt_number"] == 1
    assert sheet["deadline_at"] is None and sheet["time_remaining_seconds"] is None
    assert sheet["quiz"]["id"] == room.quiz_id and sheet["quiz"]["question_count"] == 3
    assert {q["id"] for q in sheet["questions"]} == {q["id"] for q in room.questions}
    mc = next(q for q in sheet["questions"] if q["question_type"] == "multiple_choice")
    assert sorted(mc["options"]) == sorted([WRONG_CITY, CAPITAL, OTHER_CITY])

    submitted = await submit_attempt(
        client, student, room.quiz_id, sheet["id"], right_answers(room)
    )
    assert submitted.status_code == 200, submitted.text
    result = submitted.json()
    assert result["status"] == "graded" and result["graded_at"]
    assert (result["score"], result["max_score"], result["percentage"]) == (
        "4.00",
        "4.00",
        "100.00",
    )
    assert result["is_passed"] is True and result["passed"] is True
    assert result["submitted_at"] and result["ended_at"] == result["submitted_at"]
    assert result["time_taken_seconds"] >= 0
    by_question = {r["question_id"]: r for r in result["results"]}
    mc_result = by_question[room.by_type("multiple_choice")["id"]]
    assert mc_result["is_correct"] is True and mc_result["correct_answer"] == CAPITAL
    assert mc_result["explanation"] == EXPLANATION and mc_result["points_awarded"] == "1.00"
    assert by_question[room.by_type("short_answer")["id"]]["answer"] == "THE   Nile"

    after = await get_enrollment(client, student, room.enrollment_id)
    assert after["completed_lessons_count"] == 1


async def test_no_correct_answer_reaches_a_student_before_submission(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    questions = [*standard_questions(), ESSAY]
    room = await make_classroom(
        client, instructor, student, questions=questions, time_limit_minutes=30
    )
    h = student.headers
    responses = [
        await client.get(f"/courses/{room.course_id}/quizzes", headers=h),
        await client.get(f"/courses/{room.course_id}/quizzes/{room.quiz_id}", headers=h),
        await client.get("/quizzes", headers=h),
        await client.get(f"/quizzes/{room.quiz_id}", headers=h),
        await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=h),
        await client.get(f"/quizzes/{room.quiz_id}/attempts/start", headers=h),
        await client.get(f"/quizzes/{room.quiz_id}/questions", headers=h),
        await client.get(f"/quizzes/{room.quiz_id}/attempts/my-attempts", headers=h),
    ]
    attempt_id = responses[4].json()["id"]
    responses += [
        await client.get(f"/quizzes/{room.quiz_id}/attempts/{attempt_id}", headers=h),
        await client.get(f"/attempts/{attempt_id}", headers=h),
        await client.put(
            f"/quizzes/{room.quiz_id}/attempts/{attempt_id}/answers",
            headers=h,
            json={"answers": [{"question_id": room.by_type("true_false")["id"], "answer": False}]},
        ),
        await client.put(f"/attempts/{attempt_id}/answers", headers=h, json={"answers": []}),
    ]
    for response in responses:
        assert response.status_code in (200, 201), (response.request.url, response.text)
        assert_no_answer_leak(response)
    # The multiple-choice options are shown, but nothing marks the right one.
    sheet = responses[5].json()
    mc = next(q for q in sheet["questions"] if q["question_type"] == "multiple_choice")
    assert set(mc) == {
        "id",
        "quiz_id",
        "question_text",
        "question_type",
        "options",
        "points",
        "order_index",
        "order",
    }


async def test_correct_answers_are_shown_only_when_the_quiz_allows(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student, show_correct_answers=False)
    sheet = await start_attempt(client, student, room.quiz_id)
    answers = [{"question_id": room.by_type("multiple_choice")["id"], "answer": WRONG_CITY}]
    result = await submit_attempt(client, student, room.quiz_id, sheet["id"], answers)
    assert result.status_code == 200
    body = result.json()
    assert body["status"] == "graded" and body["score"] == "0.00" and body["is_passed"] is False
    assert CAPITAL not in result.text and ACCEPTED not in result.text
    assert EXPLANATION not in result.text
    assert all(r["correct_answer"] is None and r["is_correct"] is None for r in body["results"])
    # The instructor always sees the marks.
    managed = await client.get(f"/attempts/{sheet['id']}", headers=instructor.headers)
    assert managed.status_code == 200
    assert any(r["correct_answer"] == CAPITAL for r in managed.json()["results"])
    enrollment = await get_enrollment(client, student, room.enrollment_id)
    assert enrollment["completed_lessons_count"] == 0


async def test_short_answers_are_normalised(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    question = {
        "question_text": "Largest city of Brazil?",
        "question_type": "short_answer",
        "correct_answer": "São Paulo|Sao Paulo city",
        "points": 1,
    }
    room = await make_classroom(client, instructor, student, questions=[question], max_attempts=5)
    for answer, right in (
        ("  SAO   paulo ", True),
        ("são paulo", True),
        ("Sâo Pâulo", True),
        ("sao paulo city", True),
        ("Rio", False),
    ):
        sheet = await start_attempt(client, student, room.quiz_id)
        result = await submit_attempt(
            client,
            student,
            room.quiz_id,
            sheet["id"],
            [{"question_id": room.questions[0]["id"], "answer": answer}],
        )
        assert result.status_code == 200
        assert result.json()["is_passed"] is right, answer


async def test_order_is_fixed_per_attempt_and_resumed(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    questions = [
        {
            "question_text": f"Q{i}",
            "question_type": "multiple_choice",
            "options": [f"o{i}-{j}" for j in range(6)],
            "correct_answer": f"o{i}-0",
        }
        for i in range(8)
    ]
    room = await make_classroom(client, instructor, student, questions=questions, max_attempts=10)
    first = await start_attempt(client, student, room.quiz_id)
    resumed = await client.get(f"/quizzes/{room.quiz_id}/attempts/start", headers=student.headers)
    assert resumed.status_code == 200 and resumed.json()["id"] == first["id"]
    assert resumed.json()["questions"] == first["questions"]
    again = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    authored = [q["id"] for q in room.questions]
    orders = {tuple(q["id"] for q in first["questions"])}
    option_orders = {tuple(first["questions"][0]["options"])}
    for _ in range(4):
        await submit_attempt(client, student, room.quiz_id, first["id"], [])
        first = await start_attempt(client, student, room.quiz_id)
        orders.add(tuple(q["id"] for q in first["questions"]))
        option_orders.add(tuple(first["questions"][0]["options"]))
    # 8! orders and 6! option orders: five identical draws would mean no shuffling.
    assert len(orders) > 1 and len(option_orders) > 1
    assert all(sorted(order) == sorted(authored) for order in orders)


async def test_unshuffled_quiz_keeps_the_authored_order(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(
        client, instructor, student, shuffle_questions=False, shuffle_options=False
    )
    sheet = await start_attempt(client, student, room.quiz_id)
    assert [q["id"] for q in sheet["questions"]] == [q["id"] for q in room.questions]
    assert sheet["questions"][0]["options"] == [WRONG_CITY, CAPITAL, OTHER_CITY]


async def test_bad_answers_are_422_and_change_nothing(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student)
    other_quiz = await create_quiz(client, instructor, room.course_id)
    foreign = await add_question(client, instructor, other_quiz["id"], **standard_questions()[1])
    sheet = await start_attempt(client, student, room.quiz_id)
    mc = room.by_type("multiple_choice")["id"]
    tf = room.by_type("true_false")["id"]
    short = room.by_type("short_answer")["id"]
    cases: list[tuple[Any, str]] = [
        (
            [{"question_id": "00000000-0000-0000-0000-000000000000", "answer": "x"}],
            "unknown_question",
        ),
        ([{"question_id": foreign["id"], "answer": True}], "unknown_question"),
        ([{"question_id": mc, "answer": True}], "invalid_answer"),
        ([{"question_id": mc, "answer": "Luxor"}], "invalid_answer"),
        ([{"question_id": tf, "answer": "maybe"}], "invalid_answer"),
        ([{"question_id": short, "answer": False}], "invalid_answer"),
        (
            [{"question_id": mc, "answer": CAPITAL}, {"question_id": mc, "answer": CAPITAL}],
            "duplicate_answer",
        ),
        ([{"question_id": short, "answer": 42}], "validation_error"),
        ([{"question_id": short, "answer": ["a"]}], "validation_error"),
        ([{"question_id": "not-a-uuid", "answer": "a"}], "validation_error"),
        ([{"question_id": short, "answer": "a\x00b"}], "validation_error"),
        ([{"answer": "a"}], "validation_error"),
        ({"not": "a list"}, "validation_error"),
    ]
    for answers, code in cases:
        response = await submit_attempt(client, student, room.quiz_id, sheet["id"], answers)
        assert response.status_code == 422, (answers, response.text)
        assert response.json()["code"] == code, (answers, response.json())
    foreign_detail = (
        await submit_attempt(
            client,
            student,
            room.quiz_id,
            sheet["id"],
            [{"question_id": foreign["id"], "answer": True}],
        )
    ).json()["detail"]
    assert "another quiz" in foreign_detail
    still_open = await client.get(f"/attempts/{sheet['id']}", headers=student.headers)
    assert still_open.json()["status"] == "in_progress" and still_open.json()["answers"] == []


async def test_a_second_submission_is_409_and_changes_nothing(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student)
    sheet = await start_attempt(client, student, room.quiz_id)
    first = await submit_attempt(client, student, room.quiz_id, sheet["id"], right_answers(room))
    assert first.status_code == 200 and first.json()["score"] == "4.00"
    wrong = [{"question_id": room.by_type("true_false")["id"], "answer": False}]
    second = await submit_attempt(client, student, room.quiz_id, sheet["id"], wrong)
    assert second.status_code == 409 and second.json()["code"] == "attempt_already_submitted"
    flat = await client.post(
        f"/attempts/{sheet['id']}/submit", headers=student.headers, json={"answers": []}
    )
    assert flat.status_code == 409
    save = await client.put(
        f"/attempts/{sheet['id']}/answers", headers=student.headers, json={"answers": wrong}
    )
    assert save.status_code == 409
    again = await client.get(f"/attempts/{sheet['id']}", headers=student.headers)
    assert (
        again.json()["score"] == "4.00"
        and again.json()["submitted_at"] == first.json()["submitted_at"]
    )
    assert again.json()["answers"] == first.json()["answers"]


async def test_saved_answers_are_merged_into_the_submission(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student)
    sheet = await start_attempt(client, student, room.quiz_id)
    mc = room.by_type("multiple_choice")["id"]
    tf = room.by_type("true_false")["id"]
    saved = await client.put(
        f"/quizzes/{room.quiz_id}/attempts/{sheet['id']}/answers",
        headers=student.headers,
        json={
            "answers": [
                {"question_id": mc, "answer": CAPITAL},
                {"question_id": tf, "answer": False},
            ]
        },
    )
    assert saved.status_code == 200 and saved.json()["status"] == "in_progress"
    assert len(saved.json()["answers"]) == 2 and saved.json()["results"] is None
    result = await client.post(
        f"/attempts/{sheet['id']}/submit",
        headers=student.headers,
        json={"answers": [{"question_id": tf, "answer": "TRUE"}]},
    )
    assert result.status_code == 200
    assert result.json()["score"] == "2.00" and result.json()["percentage"] == "50.00"


async def test_only_enrolled_students_take_published_quizzes(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    other_student: Account,
    admin: Account,
) -> None:
    room = await make_classroom(client, instructor, student)
    for caller in (other_student, instructor, admin):
        refused = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=caller.headers)
        assert refused.status_code == 403 and refused.json()["code"] == "not_enrolled"
        refused = await client.get(
            f"/quizzes/{room.quiz_id}/attempts/start", headers=caller.headers
        )
        assert refused.status_code == 403
    assert (await client.post(f"/quizzes/{room.quiz_id}/attempts")).status_code == 401
    draft = await create_quiz(client, instructor, room.course_id)
    await add_question(client, instructor, draft["id"], **standard_questions()[0])
    hidden = await client.post(f"/quizzes/{draft['id']}/attempts", headers=student.headers)
    assert hidden.status_code == 404
    missing = await client.post(
        "/quizzes/00000000-0000-0000-0000-000000000000/attempts", headers=student.headers
    )
    assert missing.status_code == 404


async def test_students_see_only_their_own_attempts(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
    other_student: Account,
    admin: Account,
) -> None:
    room = await make_classroom(client, instructor, student, max_attempts=3)
    await enroll(client, other_student, room.course_id)
    mine = await start_attempt(client, student, room.quiz_id)
    theirs = await start_attempt(client, other_student, room.quiz_id)
    for path in (f"/attempts/{theirs['id']}", f"/quizzes/{room.quiz_id}/attempts/{theirs['id']}"):
        assert (await client.get(path, headers=student.headers)).status_code == 404
        assert (await client.get(path, headers=other_instructor.headers)).status_code == 404
        assert (await client.get(path, headers=instructor.headers)).status_code == 200
        assert (await client.get(path, headers=admin.headers)).status_code == 200
        assert (await client.get(path)).status_code == 401
    stolen = await client.post(
        f"/attempts/{theirs['id']}/submit", headers=student.headers, json={"answers": []}
    )
    assert stolen.status_code == 404
    stolen = await client.put(
        f"/attempts/{theirs['id']}/answers", headers=student.headers, json={"answers": []}
    )
    assert stolen.status_code == 404
    other_quiz = await create_quiz(client, instructor, room.course_id)
    wrong_path = await client.get(
        f"/quizzes/{other_quiz['id']}/attempts/{mine['id']}", headers=student.headers
    )
    assert wrong_path.status_code == 404

    my_list = await client.get(
        f"/quizzes/{room.quiz_id}/attempts/my-attempts", headers=student.headers
    )
    assert my_list.status_code == 200
    assert [a["id"] for a in my_list.json()["items"]] == [mine["id"]] and my_list.json()[
        "total"
    ] == 1

    everyone = await client.get(f"/quizzes/{room.quiz_id}/attempts", headers=instructor.headers)
    assert everyone.status_code == 200 and everyone.json()["total"] == 2
    only_one = await client.get(
        f"/quizzes/{room.quiz_id}/attempts",
        headers=admin.headers,
        params={"student_id": str(other_student.id), "status": "in_progress"},
    )
    assert [a["id"] for a in only_one.json()["items"]] == [theirs["id"]]
    for caller in (student, other_instructor):
        refused = await client.get(f"/quizzes/{room.quiz_id}/attempts", headers=caller.headers)
        assert refused.status_code == 403


async def test_max_attempts_is_enforced(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student, max_attempts=2)
    for number in (1, 2):
        sheet = await start_attempt(client, student, room.quiz_id)
        assert sheet["attempt_number"] == number
        assert (
            await submit_attempt(client, student, room.quiz_id, sheet["id"], [])
        ).status_code == 200
    refused = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "max_attempts_reached"
    refused = await client.get(f"/quizzes/{room.quiz_id}/attempts/start", headers=student.headers)
    assert refused.status_code == 409
    listed = await client.get(
        f"/quizzes/{room.quiz_id}/attempts/my-attempts", headers=student.headers
    )
    assert [a["attempt_number"] for a in listed.json()["items"]] == [2, 1]


async def test_practice_quizzes_never_complete_lessons(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student, quiz_type="practice")
    sheet = await start_attempt(client, student, room.quiz_id)
    result = await submit_attempt(client, student, room.quiz_id, sheet["id"], right_answers(room))
    assert result.json()["is_passed"] is True
    enrollment = await get_enrollment(client, student, room.enrollment_id)
    assert enrollment["completed_lessons_count"] == 0


async def test_failing_does_not_complete_the_lesson(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student, passing_score=80)
    sheet = await start_attempt(client, student, room.quiz_id)
    answers = right_answers(room)
    short = room.by_type("short_answer")["id"]
    answers = [a for a in answers if a["question_id"] != short]  # 2 of 4 points
    result = await submit_attempt(client, student, room.quiz_id, sheet["id"], answers)
    assert result.json()["percentage"] == "50.00" and result.json()["is_passed"] is False
    enrollment = await get_enrollment(client, student, room.enrollment_id)
    assert enrollment["completed_lessons_count"] == 0


async def test_essays_are_graded_by_the_instructor(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
) -> None:
    open_short = {
        "question_text": "Name a tributary.",
        "question_type": "short_answer",
        "points": 1,
    }
    room = await make_classroom(
        client,
        instructor,
        student,
        questions=[*standard_questions(), ESSAY, open_short],
        passing_score=70,
    )
    sheet = await start_attempt(client, student, room.quiz_id)
    answers = right_answers(room)
    answers[-1]["answer"] = "Blue Nile"
    result = await submit_attempt(client, student, room.quiz_id, sheet["id"], answers)
    assert result.status_code == 200
    body = result.json()
    assert body["status"] == "submitted" and body["score"] is None and body["is_passed"] is None
    assert body["max_score"] == "8.00"
    waiting = {r["question_id"] for r in body["results"] if r["needs_grading"]}
    essay_id = room.by_type("essay")["id"]
    assert waiting == {essay_id, room.questions[-1]["id"]}
    assert (await get_enrollment(client, student, room.enrollment_id))[
        "completed_lessons_count"
    ] == 0

    pending = await client.get(
        f"/quizzes/{room.quiz_id}/attempts",
        headers=instructor.headers,
        params={"status": "submitted"},
    )
    assert [a["id"] for a in pending.json()["items"]] == [sheet["id"]]

    url = f"/quizzes/{room.quiz_id}/attempts/{sheet['id']}/grade"
    grade = {"grades": [{"question_id": essay_id, "points": 2, "feedback": "Good"}]}
    assert (await client.post(url, headers=student.headers, json=grade)).status_code == 403
    assert (await client.post(url, headers=other_instructor.headers, json=grade)).status_code == 403
    too_many = await client.post(
        url,
        headers=instructor.headers,
        json={"grades": [{"question_id": essay_id, "points": 4}]},
    )
    assert too_many.status_code == 422 and too_many.json()["code"] == "too_many_points"
    negative = await client.post(
        url, headers=instructor.headers, json={"grades": [{"question_id": essay_id, "points": -1}]}
    )
    assert negative.status_code == 422
    unknown = await client.post(
        url,
        headers=instructor.headers,
        json={"grades": [{"question_id": "00000000-0000-0000-0000-000000000000", "points": 1}]},
    )
    assert unknown.status_code == 422

    partial = await client.post(url, headers=instructor.headers, json=grade)
    assert partial.status_code == 200
    assert partial.json()["status"] == "submitted"
    done = await client.post(
        url,
        headers=instructor.headers,
        json={
            "grades": [{"question_id": room.questions[-1]["id"], "points": 1}],
            "feedback": "Well argued.",
        },
    )
    assert done.status_code == 200
    graded = done.json()
    assert graded["status"] == "graded" and graded["graded_at"]
    assert (graded["score"], graded["max_score"], graded["percentage"]) == ("7.00", "8.00", "87.50")
    assert graded["is_passed"] is True and graded["feedback"] == "Well argued."
    seen = await client.get(
        f"/quizzes/{room.quiz_id}/attempts/{sheet['id']}", headers=student.headers
    )
    essay_result = next(r for r in seen.json()["results"] if r["question_id"] == essay_id)
    assert essay_result["points_awarded"] == "2.00" and essay_result["feedback"] == "Good"
    assert (await get_enrollment(client, student, room.enrollment_id))[
        "completed_lessons_count"
    ] == 1


async def test_grading_an_open_attempt_is_refused(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student, questions=[ESSAY])
    sheet = await start_attempt(client, student, room.quiz_id)
    response = await client.post(
        f"/quizzes/{room.quiz_id}/attempts/{sheet['id']}/grade",
        headers=instructor.headers,
        json={"grades": [{"question_id": room.questions[0]["id"], "points": 1}]},
    )
    assert response.status_code == 409 and response.json()["code"] == "attempt_in_progress"
    other = await create_quiz(client, instructor, room.course_id)
    await add_question(client, instructor, other["id"], **ESSAY)
    await publish_quiz(client, instructor, room.course_id, other["id"])
    wrong_quiz = await client.post(
        f"/quizzes/{other['id']}/attempts/{sheet['id']}/grade",
        headers=instructor.headers,
        json={"grades": []},
    )
    assert wrong_quiz.status_code == 404


async def test_an_unanswered_essay_scores_zero_without_a_grader(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(
        client, instructor, student, questions=[ESSAY, standard_questions()[1]]
    )
    sheet = await start_attempt(client, student, room.quiz_id)
    tf = room.by_type("true_false")["id"]
    result = await submit_attempt(
        client, student, room.quiz_id, sheet["id"], [{"question_id": tf, "answer": "true"}]
    )
    assert result.json()["status"] == "graded" and result.json()["score"] == "1.00"
    assert result.json()["max_score"] == "4.00"
