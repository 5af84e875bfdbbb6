"""HTTP's conventions as an integrator meets them: entity tags and conditional
requests, ``Location`` on 201, ``Link`` on every page, ``RateLimit`` headers, and
``Idempotency-Key`` retries."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from lms.core.deps import principal_key
from tests.factories.accounts import Account
from tests.factories.courses import add_lesson, create_course, published_course
from tests.factories.enrollments import enroll
from tests.factories.quizzes import add_question, create_quiz, publish_quiz

API = "/api/v1"


def _links(response: httpx.Response) -> dict[str, str]:
    return {
        rel: target
        for target, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["link"])
    }


class TestEntityTags:
    async def test_a_read_carries_a_strong_etag_and_an_unchanged_one_is_304(
        self, client: httpx.AsyncClient, instructor: Account, student: Account
    ) -> None:
        course, lessons = await published_course(client, instructor, lessons=2)
        for path, caller in [
            (f"/courses/{course['id']}", None),
            (f"/courses/{course['id']}", student),
            ("/courses", None),
            (f"/lessons/{lessons[0]['id']}", student),
            ("/enrollments/my-courses", student),
        ]:
            headers = caller.headers if caller else {}
            first = await client.get(path, headers=headers)
            etag = first.headers["etag"]
            assert re.fullmatch(r'"[0-9a-f]{32}"', etag), path
            again = await client.get(path, headers={**headers, "If-None-Match": etag})
            assert again.status_code == 304, path
            assert again.content == b"" and again.headers["etag"] == etag
            weak = await client.get(path, headers={**headers, "If-None-Match": f"W/{etag}"})
            assert weak.status_code == 304, path
            other = await client.get(path, headers={**headers, "If-None-Match": '"stale"'})
            assert other.status_code == 200 and other.json() == first.json()

    async def test_a_change_changes_the_etag(
        self, client: httpx.AsyncClient, instructor: Account
    ) -> None:
        course, _ = await published_course(client, instructor, lessons=1)
        path = f"/courses/{course['id']}"
        before = (await client.get(path)).headers["etag"]
        await add_lesson(client, instructor, course["id"])  # the lesson count changes
        after = await client.get(path, headers={"If-None-Match": before})
        assert after.status_code == 200 and after.json()["lessons_count"] == 2
        assert after.headers["etag"] != before

    async def test_two_editors_of_one_course_cannot_overwrite_each_other(
        self, client: httpx.AsyncClient, instructor: Account, admin: Account
    ) -> None:
        course = await create_course(client, instructor)
        path = f"/courses/{course['id']}"
        read = await client.get(path, headers=instructor.headers)
        etag = read.headers["etag"]

        # the admin changes the course in between
        first = await client.patch(
            path, headers={**admin.headers, "If-Match": etag}, json={"title": "Admin's title"}
        )
        assert first.status_code == 200
        assert first.headers["etag"] != etag
        stale = await client.patch(
            path, headers={**instructor.headers, "If-Match": etag}, json={"title": "Mine"}
        )
        assert stale.status_code == 412
        assert stale.json()["code"] == "precondition_failed"
        assert (await client.get(path, headers=instructor.headers)).json()["title"] == (
            "Admin's title"
        )
        # read again, then the change goes through; a blind write (no If-Match) as before
        fresh = (await client.get(path, headers=instructor.headers)).headers["etag"]
        assert fresh == first.headers["etag"]
        ok = await client.patch(
            path, headers={**instructor.headers, "If-Match": fresh}, json={"title": "Mine"}
        )
        assert ok.status_code == 200 and ok.json()["title"] == "Mine"
        blind = await client.patch(path, headers=instructor.headers, json={"title": "Blind"})
        assert blind.status_code == 200
        refused = await client.delete(path, headers={**instructor.headers, "If-Match": fresh})
        assert refused.status_code == 412
        gone = await client.delete(path, headers={**instructor.headers, "If-Match": "*"})
        assert gone.status_code == 204

    async def test_lessons_quizzes_and_questions_honour_if_match(
        self, client: httpx.AsyncClient, instructor: Account
    ) -> None:
        course = await create_course(client, instructor)
        lesson = await add_lesson(client, instructor, course["id"])
        quiz = await create_quiz(client, instructor, course["id"])
        created = await client.post(
            f"/quizzes/{quiz['id']}/questions",
            headers=instructor.headers,
            json={
                "question_text": "2 + 2 = 4",
                "question_type": "true_false",
                "correct_answer": "true",
            },
        )
        question = created.json()
        targets = [
            (f"/lessons/{lesson['id']}", {"title": "Renamed"}),
            (f"/quizzes/{quiz['id']}", {"title": "Renamed"}),
            (f"/courses/{course['id']}/quizzes/{quiz['id']}", {"title": "Again"}),
            (f"/quizzes/{quiz['id']}/questions/{question['id']}", {"question_text": "2+2=4?"}),
        ]
        question_etag = created.headers["etag"]
        for path, change in targets:
            if "/questions/" in path:
                etag = question_etag
            else:
                etag = (await client.get(path, headers=instructor.headers)).headers["etag"]
            changed = await client.patch(
                path, headers={**instructor.headers, "If-Match": etag}, json=change
            )
            assert changed.status_code == 200, (path, changed.text)
            stale = await client.patch(
                path, headers={**instructor.headers, "If-Match": etag}, json=change
            )
            assert stale.status_code == 412, path
            assert stale.json()["code"] == "precondition_failed"
            if "/questions/" in path:
                question_etag = changed.headers["etag"]
        for path in (
            f"/quizzes/{quiz['id']}/questions/{question['id']}",
            f"/quizzes/{quiz['id']}",
            f"/lessons/{lesson['id']}",
        ):
            stale = await client.delete(path, headers={**instructor.headers, "If-Match": '"old"'})
            assert stale.status_code == 412, path
        current = await client.delete(
            f"/quizzes/{quiz['id']}/questions/{question['id']}",
            headers={**instructor.headers, "If-Match": question_etag},
        )
        assert current.status_code == 204


class TestLocationAndLinks:
    async def test_a_201_names_the_created_resource(
        self, client: httpx.AsyncClient, instructor: Account, student: Account
    ) -> None:
        course = await create_course(client, instructor)
        created = await client.post(
            "/courses", headers=instructor.headers, json={"title": "Located"}
        )
        assert created.headers["location"] == f"{API}/courses/{created.json()['id']}"
        lesson = await client.post(
            f"/courses/{course['id']}/lessons",
            headers=instructor.headers,
            json={"title": "One", "lesson_type": "text", "content": "x"},
        )
        assert lesson.headers["location"] == f"{API}/lessons/{lesson.json()['id']}"
        quiz = await create_quiz(client, instructor, course["id"])
        question = await client.post(
            f"/quizzes/{quiz['id']}/questions",
            headers=instructor.headers,
            json={"question_text": "Yes?", "question_type": "true_false", "correct_answer": "true"},
        )
        assert question.headers["location"] == (
            f"{API}/quizzes/{quiz['id']}/questions/{question.json()['id']}"
        )
        await publish_quiz(client, instructor, course["id"], quiz["id"])
        await client.post(f"/courses/{course['id']}/publish", headers=instructor.headers)
        enrolled = await client.post(
            "/enrollments", headers=student.headers, json={"course_id": course["id"]}
        )
        location = enrolled.headers["location"]
        assert location == f"{API}/enrollments/{enrolled.json()['id']}"
        assert (await client.get(location.removeprefix(API), headers=student.headers)).is_success
        attempt = await client.post(f"/quizzes/{quiz['id']}/attempts", headers=student.headers)
        assert attempt.status_code == 201
        assert attempt.headers["location"] == f"{API}/attempts/{attempt.json()['id']}"

    async def test_every_page_links_first_prev_next_and_last(
        self, client: httpx.AsyncClient, instructor: Account
    ) -> None:
        for _ in range(5):
            await published_course(client, instructor, lessons=1)
        first = await client.get("/courses", params={"page_size": 2, "category": "x"})
        assert first.json()["total"] == 0
        assert _links(first) == {
            "first": f"{API}/courses?page_size=2&category=x&page=1",
            "last": f"{API}/courses?page_size=2&category=x&page=1",
        }
        middle = await client.get("/courses", params={"page_size": 2, "page": 2})
        links = _links(middle)
        assert links == {
            "first": f"{API}/courses?page_size=2&page=1",
            "prev": f"{API}/courses?page_size=2&page=1",
            "next": f"{API}/courses?page_size=2&page=3",
            "last": f"{API}/courses?page_size=2&page=3",
        }
        last = await client.get(links["last"].removeprefix(API))
        assert len(last.json()["items"]) == 1 and "next" not in _links(last)
        # kept by the public cache with its links and entity tag
        cached = await client.get("/courses", params={"page_size": 2, "page": 2})
        assert cached.headers["link"] == middle.headers["link"]
        assert cached.headers["etag"] == middle.headers["etag"]
        not_modified = await client.get(
            "/courses",
            params={"page_size": 2, "page": 2},
            headers={"If-None-Match": middle.headers["etag"]},
        )
        assert not_modified.status_code == 304

    async def test_every_paged_operation_sends_links(
        self, client: httpx.AsyncClient, admin: Account
    ) -> None:
        schema = (await client.get("http://testserver/openapi.json")).json()
        paged = [
            path
            for path, operations in schema["paths"].items()
            if "get" in operations
            and "{" not in path
            and any(p["name"] == "page" for p in operations["get"].get("parameters", []))
        ]
        assert len(paged) >= 10
        for path in paged:
            answer = await client.get(f"http://testserver{path}", headers=admin.headers)
            if answer.status_code == 200:
                assert 'rel="first"' in answer.headers["link"], path


class TestRateLimitHeaders:
    async def test_limited_answers_carry_the_policy_and_what_is_left(
        self, client: httpx.AsyncClient, instructor: Account, student: Account, settings: Any
    ) -> None:
        course, _ = await published_course(client, instructor, lessons=1)
        enrolled = await client.post(
            "/enrollments", headers=student.headers, json={"course_id": course["id"]}
        )
        quota = settings.enrollment_rate_limit_per_minute
        assert enrolled.headers["ratelimit-policy"] == f'"enroll";q={quota};w=60'
        remaining = re.fullmatch(r'"enroll";r=(\d+);t=(\d+)', enrolled.headers["ratelimit"])
        assert remaining is not None and int(remaining.group(1)) == quota - 1
        assert 1 <= int(remaining.group(2)) <= 60
        login = await client.post(
            "/auth/login", json={"email": student.email, "password": student.password}
        )
        assert login.headers["ratelimit-policy"].startswith('"auth";q=')

    async def test_cors_exposes_the_headers_to_browsers(
        self, settings: Any, monkeypatch: Any
    ) -> None:
        from lms.main import create_app

        monkeypatch.setattr(settings, "cors_origins", ["https://school.example"])
        application = create_app(settings, run_jobs=False)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            answer = await http.get(f"{API}/health", headers={"Origin": "https://school.example"})
        await application.state.store.close()
        await application.state.engine.dispose()
        exposed = {
            name.strip().lower()
            for name in answer.headers["access-control-expose-headers"].split(",")
        }
        assert {"ratelimit", "ratelimit-policy", "retry-after", "etag", "location", "link"} <= (
            exposed
        )


class TestIdempotencyKeys:
    async def test_a_retried_enrollment_replays_the_first_answer(
        self, client: httpx.AsyncClient, instructor: Account, student: Account
    ) -> None:
        course, _ = await published_course(client, instructor, lessons=1)
        other, _ = await published_course(client, instructor, lessons=1)
        headers = {**student.headers, "Idempotency-Key": "enroll-5b1e"}
        body = {"course_id": course["id"]}

        first = await client.post("/enrollments", headers=headers, json=body)
        retry = await client.post("/enrollments", headers=headers, json=body)

        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json()
        assert retry.headers["location"] == first.headers["location"]
        assert retry.headers["idempotent-replayed"] == "true"
        reused = await client.post("/enrollments", headers=headers, json={"course_id": other["id"]})
        assert reused.status_code == 422
        assert reused.json()["code"] == "idempotency_key_reused"
        mine = await client.get("/enrollments/my-courses", headers=student.headers)
        assert mine.json()["total"] == 1

    async def test_keys_are_per_caller_and_a_refusal_frees_the_key(
        self,
        client: httpx.AsyncClient,
        instructor: Account,
        student: Account,
        other_student: Account,
    ) -> None:
        course, _ = await published_course(client, instructor, lessons=1)
        draft = await create_course(client, instructor)
        key = {"Idempotency-Key": '"shared-key"'}  # a structured-field string
        refused = await client.post(
            "/enrollments", headers={**student.headers, **key}, json={"course_id": draft["id"]}
        )
        assert refused.status_code == 404
        # the same key, corrected: a refusal is not kept
        mine = await client.post(
            "/enrollments", headers={**student.headers, **key}, json={"course_id": course["id"]}
        )
        assert mine.status_code == 201
        theirs = await client.post(
            "/enrollments",
            headers={**other_student.headers, **key},
            json={"course_id": course["id"]},
        )
        assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
        assert theirs.json()["id"] != mine.json()["id"]
        bad = await client.post(
            "/enrollments",
            headers={**student.headers, "Idempotency-Key": "x" * 256},
            json={"course_id": course["id"]},
        )
        assert bad.status_code == 400 and bad.json()["code"] == "idempotency_key_invalid"

    async def test_answers_from_the_key_alone_give_back_the_database_connection(
        self, app: Any, client: httpx.AsyncClient, instructor: Account, student: Account
    ) -> None:
        # A replay, a reused key and a request still in progress are answered before the
        # route runs. The caller is looked up first, from the database when the store's
        # copy is gone (expired, or dropped by a role change): that connection must go
        # back to the pool, or enough retries would leave the API waiting for one.
        course, _ = await published_course(client, instructor, lessons=1)
        other, _ = await published_course(client, instructor, lessons=1)
        headers = {**student.headers, "Idempotency-Key": "enroll-pool"}
        first = await client.post("/enrollments", headers=headers, json={"course_id": course["id"]})
        assert first.status_code == 201
        pool = app.state.engine.pool
        checked_out = pool.checkedout()

        for _ in range(3):
            await app.state.store.delete(principal_key(student.id))
            replay = await client.post(
                "/enrollments", headers=headers, json={"course_id": course["id"]}
            )
            assert replay.headers["idempotent-replayed"] == "true"
            await app.state.store.delete(principal_key(student.id))
            reused = await client.post(
                "/enrollments", headers=headers, json={"course_id": other["id"]}
            )
            assert reused.json()["code"] == "idempotency_key_reused"

        assert pool.checkedout() == checked_out

    async def test_concurrent_retries_start_one_quiz_attempt(
        self, client: httpx.AsyncClient, instructor: Account, student: Account
    ) -> None:
        course, _ = await published_course(client, instructor, lessons=1)
        quiz = await create_quiz(client, instructor, course["id"])
        await add_question(
            client,
            instructor,
            quiz["id"],
            question_text="1 + 1 = 2",
            question_type="true_false",
            correct_answer="true",
        )
        await publish_quiz(client, instructor, course["id"], quiz["id"])
        await enroll(client, student, course["id"])
        headers = {**student.headers, "Idempotency-Key": "attempt-1"}

        answers = await asyncio.gather(
            *(client.post(f"/quizzes/{quiz['id']}/attempts", headers=headers) for _ in range(4))
        )

        statuses = sorted(answer.status_code for answer in answers)
        fresh = [
            a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers
        ]
        assert len(fresh) == 1, statuses
        for answer in answers:
            if answer.status_code == 409:
                assert answer.json()["code"] == "idempotency_request_in_progress"
            else:
                assert answer.status_code == 201 and answer.json()["id"] == fresh[0].json()["id"]
        replay = await client.post(f"/quizzes/{quiz['id']}/attempts", headers=headers)
        assert replay.headers["idempotent-replayed"] == "true"
        mine = await client.get(
            f"/quizzes/{quiz['id']}/attempts/my-attempts", headers=student.headers
        )
        assert mine.json()["total"] == 1

    async def test_the_header_is_documented_on_the_routes_that_honour_it(
        self, client: httpx.AsyncClient
    ) -> None:
        schema = (await client.get("http://testserver/openapi.json")).json()
        honouring = {
            (method, path)
            for path, operations in schema["paths"].items()
            for method, operation in operations.items()
            if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
        }
        assert {
            ("post", f"{API}/enrollments"),
            ("post", f"{API}/quizzes/{{quiz_id}}/attempts"),
            ("post", f"{API}/payments/create-payment-intent"),
            ("post", f"{API}/payments/create-subscription"),
            ("post", f"{API}/payments/{{payment_id}}/refund"),
            ("post", f"{API}/lessons/{{lesson_id}}/submissions"),
            ("post", f"{API}/courses/{{course_id}}/enrollments"),
            ("post", f"{API}/courses/{{course_id}}/staff"),
            ("post", f"{API}/files/upload"),
            ("post", f"{API}/courses/{{course_id}}/roster/imports"),
            ("post", f"{API}/admin/imports/users"),
            ("post", f"{API}/webhooks/endpoints"),
        } <= honouring
        # Only unsafe methods honour it.
        assert {method for method, _path in honouring} == {"post"}


class TestDocumentation:
    async def test_every_problem_code_is_published_with_its_meaning(
        self, client: httpx.AsyncClient
    ) -> None:
        """The document and the README list every code the API answers with; each
        problem's type names its code."""
        from pathlib import Path

        schema = (await client.get("http://testserver/openapi.json")).json()
        published = {entry["code"]: entry for entry in schema["info"]["x-problem-codes"]}
        for code in (
            "idempotency_key_reused",
            "idempotency_request_in_progress",
            "precondition_failed",
            "rate_limited",
            "validation_error",
            "course_not_found",
            "max_attempts_reached",
        ):
            assert published[code]["meaning"], code
            assert published[code]["type"] == f"urn:lms:problem:{code}"
            assert f"`{code}`" in schema["info"]["description"]
        readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
        missing = [code for code in published if f"| `{code}` |" not in readme]
        assert missing == [], "README's problem codes are behind; regenerate the table"
        answered = await client.get(f"/courses/{'0' * 8}-0000-0000-0000-{'0' * 12}")
        assert answered.json()["type"] == "urn:lms:problem:course_not_found"

    async def test_operations_are_grouped_summarised_and_exemplified(
        self, client: httpx.AsyncClient
    ) -> None:
        schema = (await client.get("http://testserver/openapi.json")).json()
        assert all(tag.get("description") for tag in schema["tags"])
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                assert operation.get("summary") and operation.get("tags"), (method, path)
                body = operation.get("requestBody", {}).get("content", {})
                for media_type, entry in body.items():
                    if "json" in media_type:
                        assert "example" in entry, (method, path)
                if "201" in operation["responses"]:
                    assert "Location" in operation["responses"]["201"].get("headers", {}), path
                for status, answer in operation["responses"].items():
                    if status.startswith("2"):
                        for media_type, entry in answer.get("content", {}).items():
                            if "json" in media_type:
                                assert "example" in entry, (method, path, status)
