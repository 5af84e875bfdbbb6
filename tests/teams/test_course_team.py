"""A course's team: co-instructors and assistants beside the owner, the owner's hand-over,
and what each member may do."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.accounts import Account, AccountFactory
from tests.factories.api import ok
from tests.factories.courses import add_lesson, published_course
from tests.factories.quizzes import add_question, create_quiz
from tests.factories.teams import add_staff, create_cohort, enroll_by_staff


async def _course(client: httpx.AsyncClient, owner: Account) -> dict[str, Any]:
    course, _ = await published_course(client, owner, lessons=1, price="100.00")
    return course


class TestTeamManagement:
    async def test_owner_adds_lists_changes_and_removes_members(
        self, client: httpx.AsyncClient, instructor: Account, make_account: AccountFactory
    ) -> None:
        course = await _course(client, instructor)
        co = await make_account("instructor", full_name="Cora Co")
        helper = await make_account("student", full_name="Hana Helper")
        cohort = await create_cohort(client, instructor, course["id"], name="A")
        added = await add_staff(client, instructor, course["id"], co.id, "co_instructor")
        assert added["role"] == "co_instructor" and added["full_name"] == "Cora Co"
        by_email = ok(
            await client.post(
                f"/courses/{course['id']}/staff",
                headers=instructor.headers,
                json={
                    "email": helper.email.upper(),
                    "role": "assistant",
                    "cohort_ids": [cohort["id"]],
                },
            ),
            201,
        )
        assert by_email["user_id"] == str(helper.id) and by_email["cohort_ids"] == [cohort["id"]]

        team = ok(await client.get(f"/courses/{course['id']}/staff", headers=instructor.headers))
        assert [(m["role"], m["user_id"]) for m in team] == [
            ("owner", str(instructor.id)),
            ("co_instructor", str(co.id)),
            ("assistant", str(helper.id)),
        ]
        changed = ok(
            await client.patch(
                f"/courses/{course['id']}/staff/{helper.id}",
                headers=instructor.headers,
                json={"cohort_ids": []},
            )
        )
        assert changed["cohort_ids"] == [] and changed["role"] == "assistant"
        gone = await client.delete(
            f"/courses/{course['id']}/staff/{helper.id}", headers=instructor.headers
        )
        assert gone.status_code == 204
        team = ok(await client.get(f"/courses/{course['id']}/staff", headers=instructor.headers))
        assert len(team) == 2

    async def test_refusals(
        self,
        client: httpx.AsyncClient,
        instructor: Account,
        student: Account,
        make_account: AccountFactory,
    ) -> None:
        course = await _course(client, instructor)
        other_course = await _course(client, instructor)
        foreign_cohort = await create_cohort(client, instructor, other_course["id"])
        co = await make_account("instructor")
        await add_staff(client, instructor, course["id"], co.id, "co_instructor")
        url = f"/courses/{course['id']}/staff"

        twice = await client.post(
            url, headers=instructor.headers, json={"user_id": str(co.id), "role": "assistant"}
        )
        assert twice.status_code == 409 and twice.json()["code"] == "already_staff"
        owner = await client.post(
            url,
            headers=instructor.headers,
            json={"user_id": str(instructor.id), "role": "assistant"},
        )
        assert owner.status_code == 409
        await enroll_by_staff(client, instructor, course["id"], user_id=student.id)
        learner = await client.post(
            url, headers=instructor.headers, json={"user_id": str(student.id), "role": "assistant"}
        )
        assert learner.status_code == 409 and learner.json()["code"] == "student_of_course"
        nobody = await client.post(
            url,
            headers=instructor.headers,
            json={"email": "no-one@example.com", "role": "assistant"},
        )
        assert nobody.status_code == 404
        other = await make_account("student")
        wrong_cohort = await client.post(
            url,
            headers=instructor.headers,
            json={
                "user_id": str(other.id),
                "role": "assistant",
                "cohort_ids": [foreign_cohort["id"]],
            },
        )
        assert wrong_cohort.status_code == 422 and wrong_cohort.json()["code"] == "unknown_cohort"
        both = await client.post(
            url,
            headers=instructor.headers,
            json={"user_id": str(other.id), "email": other.email, "role": "assistant"},
        )
        assert both.status_code == 422
        bad_role = await client.post(
            url, headers=instructor.headers, json={"user_id": str(other.id), "role": "owner"}
        )
        assert bad_role.status_code == 422
        # a co-instructor does not manage the team
        by_co = await client.post(
            url, headers=co.headers, json={"user_id": str(other.id), "role": "assistant"}
        )
        assert by_co.status_code == 403 and by_co.json()["code"] == "not_course_manager"
        missing = await client.delete(f"{url}/{other.id}", headers=instructor.headers)
        assert missing.status_code == 404 and missing.json()["code"] == "staff_not_found"

    async def test_a_member_cannot_enroll_as_a_student(
        self, client: httpx.AsyncClient, instructor: Account, make_account: AccountFactory
    ) -> None:
        course, _ = await published_course(client, instructor, lessons=1)
        helper = await make_account("student")
        await add_staff(client, instructor, course["id"], helper.id, "assistant")
        refused = await client.post(
            "/enrollments", headers=helper.headers, json={"course_id": course["id"]}
        )
        assert refused.status_code == 409 and refused.json()["code"] == "staff_of_course"
        by_staff = await client.post(
            f"/courses/{course['id']}/enrollments",
            headers=instructor.headers,
            json={"user_id": str(helper.id)},
        )
        assert by_staff.status_code == 409 and by_staff.json()["code"] == "staff_of_course"


class TestOwnershipTransfer:
    async def test_the_owner_hands_the_course_to_a_co_instructor(
        self, client: httpx.AsyncClient, instructor: Account, make_account: AccountFactory
    ) -> None:
        course = await _course(client, instructor)
        co = await make_account("instructor")
        helper = await make_account("student")
        await add_staff(client, instructor, course["id"], co.id, "co_instructor")
        await add_staff(client, instructor, course["id"], helper.id, "assistant")
        url = f"/courses/{course['id']}/staff/transfer-ownership"

        to_assistant = await client.post(
            url, headers=instructor.headers, json={"user_id": str(helper.id)}
        )
        assert (
            to_assistant.status_code == 422 and to_assistant.json()["code"] == "not_co_instructor"
        )
        team = ok(await client.post(url, headers=instructor.headers, json={"user_id": str(co.id)}))
        assert (team[0]["role"], team[0]["user_id"]) == ("owner", str(co.id))
        assert ("co_instructor", str(instructor.id)) in [(m["role"], m["user_id"]) for m in team]
        read = ok(await client.get(f"/courses/{course['id']}", headers=co.headers))
        assert read["instructor_id"] == str(co.id)
        # the former owner now edits but no longer sets the price or manages the team
        edited = await client.patch(
            f"/courses/{course['id']}",
            headers=instructor.headers,
            json={"description": "Still mine"},
        )
        assert edited.status_code == 200
        priced = await client.patch(
            f"/courses/{course['id']}", headers=instructor.headers, json={"price": "1.00"}
        )
        assert priced.status_code == 403
        again = await client.post(url, headers=instructor.headers, json={"user_id": str(co.id)})
        assert again.status_code == 403


class TestWhatEachMemberMayDo:
    async def test_a_co_instructor_edits_content_but_not_price_deletion_or_team(
        self, client: httpx.AsyncClient, instructor: Account, make_account: AccountFactory
    ) -> None:
        course, _ = await published_course(client, instructor, lessons=1, publish=False)
        co = await make_account("student", full_name="Any Account")  # any active account
        await add_staff(client, instructor, course["id"], co.id, "co_instructor")
        base = f"/courses/{course['id']}"

        assert (await client.get(base, headers=co.headers)).status_code == 200  # a draft
        lesson = await add_lesson(client, co, course["id"], title="By the co-instructor")
        full = ok(await client.get(f"/lessons/{lesson['id']}", headers=co.headers))
        assert full["content"] == "Secret material" and not full["content_locked"]
        quiz = await create_quiz(client, co, course["id"], title="Co quiz")
        await add_question(
            client, co, quiz["id"], question_text="1 = 1", question_type="true_false",
            correct_answer="true",
        )  # fmt: skip
        assert (await client.post(f"{base}/publish", headers=co.headers)).status_code == 200
        price = await client.patch(base, headers=co.headers, json={"price": "5.00"})
        assert price.status_code == 403
        assert (await client.delete(base, headers=co.headers)).status_code == 403
        team = await client.get(f"{base}/staff", headers=co.headers)
        assert team.status_code == 403
        assert (
            await client.get(f"/analytics/courses/{course['id']}", headers=co.headers)
        ).status_code == 200

    async def test_an_assistant_grades_and_reads_its_cohort_and_edits_nothing(
        self, client: httpx.AsyncClient, instructor: Account, make_account: AccountFactory
    ) -> None:
        course, lessons = await published_course(client, instructor, lessons=1)
        homework = await add_lesson(
            client, instructor, course["id"], title="Homework", lesson_type="assignment"
        )
        mine = await create_cohort(client, instructor, course["id"], name="Mine")
        theirs = await create_cohort(client, instructor, course["id"], name="Theirs")
        helper = await make_account("student")
        await add_staff(client, instructor, course["id"], helper.id, "assistant", [mine["id"]])
        ours = await make_account("student", full_name="Olivia Ours")
        other = await make_account("student", full_name="Tom Theirs")
        for learner, cohort in ((ours, mine), (other, theirs)):
            await enroll_by_staff(
                client, instructor, course["id"], user_id=learner.id, cohort_id=cohort["id"]
            )
        handed_in = {}
        for learner in (ours, other):
            handed_in[learner.id] = ok(
                await client.post(
                    f"/lessons/{homework['id']}/submissions",
                    headers=learner.headers,
                    json={"text": "done"},
                ),
                201,
            )

        listed = ok(
            await client.get(f"/lessons/{homework['id']}/submissions", headers=helper.headers)
        )
        assert [s["student_id"] for s in listed["items"]] == [str(ours.id)]
        grade = {"score": 90, "feedback": "Good"}
        ours_graded = await client.post(
            f"/submissions/{handed_in[ours.id]['id']}/grade", headers=helper.headers, json=grade
        )
        assert ours_graded.status_code == 200
        theirs_graded = await client.post(
            f"/submissions/{handed_in[other.id]['id']}/grade", headers=helper.headers, json=grade
        )
        assert theirs_graded.status_code == 404
        roster = ok(await client.get(f"/courses/{course['id']}/students", headers=helper.headers))
        assert [row["full_name"] for row in roster["items"]] == ["Olivia Ours"]
        old_roster = ok(
            await client.get(f"/enrollments/courses/{course['id']}", headers=helper.headers)
        )
        assert [row["student_id"] for row in old_roster["items"]] == [str(ours.id)]
        # edits nothing; reads the course's figures of its cohort's students only
        for method, url, body in (
            ("PATCH", f"/courses/{course['id']}", {"description": "x"}),
            ("POST", f"/courses/{course['id']}/lessons", {"title": "x", "lesson_type": "text"}),
            ("PATCH", f"/lessons/{lessons[0]['id']}", {"title": "x"}),
            ("POST", f"/courses/{course['id']}/quizzes", {"title": "x"}),
            ("POST", f"/courses/{course['id']}/cohorts", {"name": "x"}),
            ("POST", f"/courses/{course['id']}/enrollments", {"email": "x@example.com"}),
        ):
            answer = await client.request(method, url, headers=helper.headers, json=body)
            assert answer.status_code == 403, (method, url, answer.text)
        figures = ok(await client.get(f"/analytics/courses/{course['id']}", headers=helper.headers))
        assert figures["total_enrollments"] == 1 and figures["cohort_ids"] is not None


async def test_my_courses_include_the_ones_i_teach(
    client: httpx.AsyncClient, instructor: Account, make_account: AccountFactory
) -> None:
    draft, _ = await published_course(client, instructor, lessons=1, publish=False)
    await published_course(client, instructor, lessons=1, publish=False)  # not on this team
    helper = await make_account("student")
    await add_staff(client, instructor, draft["id"], helper.id, "assistant")
    mine = ok(await client.get("/courses", headers=helper.headers, params={"mine": "true"}))
    assert [c["id"] for c in mine["items"]] == [draft["id"]]
    drafts = ok(
        await client.get("/courses", headers=helper.headers, params={"is_published": "false"})
    )
    assert [c["id"] for c in drafts["items"]] == [draft["id"]]
