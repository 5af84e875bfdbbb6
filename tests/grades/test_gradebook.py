"""The gradebook through HTTP, with figures computed by hand (tests/grades/dataset.py)."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories.accounts import AccountFactory
from tests.grades.dataset import SCHEME, Gradebook, build_gradebook


@pytest.fixture
async def book(
    client: httpx.AsyncClient, db: AsyncSession, make_account: AccountFactory
) -> Gradebook:
    return await build_gradebook(client, db, make_account)


def _row(page: dict[str, Any], book: Gradebook, who: str) -> dict[str, Any]:
    return next(row for row in page["items"] if row["enrollment_id"] == book.enrollments[who])


def _scores(row: dict[str, Any], book: Gradebook) -> dict[str, Any]:
    names = {value: key for key, value in {**book.quizzes, **book.assignments}.items()}
    return {names[item["item_id"]]: item for item in row["items"]}


async def _put_scheme(
    client: httpx.AsyncClient, book: Gradebook, scheme: dict[str, Any]
) -> dict[str, Any]:
    response = await client.put(
        f"/courses/{book.course_id}/grading-scheme", headers=book.owner.headers, json=scheme
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _gradebook(client: httpx.AsyncClient, book: Gradebook, **params: Any) -> dict[str, Any]:
    response = await client.get(
        f"/courses/{book.course_id}/gradebook", headers=book.owner.headers, params=params
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_without_a_scheme_every_graded_item_counts_equally(
    client: httpx.AsyncClient, book: Gradebook
) -> None:
    scheme = (
        await client.get(f"/courses/{book.course_id}/grading-scheme", headers=book.owner.headers)
    ).json()
    assert scheme["is_default"] is True and scheme["categories"] == []
    # The practice quiz is no graded item; the quizzes come first, then the assignments.
    assert [item["title"] for item in scheme["items"]] == ["Q1", "Q2", "Q3", "A1", "A2"]
    assert {item["category"] for item in scheme["items"]} == {"All items"}

    page = await _gradebook(client, book)
    assert page["total"] == 3
    assert [row["full_name"] for row in page["items"]] == ["Alice Able", "Bob Baker", "Carl Cole"]
    alice = _row(page, book, "alice")
    # (65.12 + 90.01 + 40.00 + 88.50 + 66.50) / 5 = 70.026 -> 70.03
    assert alice["categories"] == [
        {"name": "All items", "weight": "100", "average": "70.03", "dropped_item_ids": []}
    ]
    assert alice["course_grade"] == {
        "computed": "70.03",
        "grade": "70.03",
        "letter": "C",
        "overridden": False,
    }
    carl = _row(page, book, "carl")
    assert carl["course_grade"] == {
        "computed": None,
        "grade": None,
        "letter": None,
        "overridden": False,
    }
    assert all(item["score"] is None for item in carl["items"])


async def test_item_scores_take_the_best_attempt_after_its_late_penalty(
    client: httpx.AsyncClient, book: Gradebook
) -> None:
    alice = _scores(_row(await _gradebook(client, book), book, "alice"), book)
    # 80.00 less 25 % is 60.00; 72.35 less 10 % is 65.115, rounded half up to 65.12: the
    # scores as stored (after the penalty), the better one counts.
    assert alice["Q1"] == {
        "item_id": book.quizzes["Q1"],
        "score": "65.12",
        "is_late": True,
        "late_penalty_percent": "10.00",
        "effective_score": "65.12",
        "released": True,
    }
    assert alice["A2"]["score"] == "66.50" and alice["A2"]["effective_score"] == "66.50"
    assert alice["A2"]["is_late"] is True
    assert alice["Q2"]["effective_score"] == "90.01" and alice["Q2"]["is_late"] is False
    bob = _scores(_row(await _gradebook(client, book), book, "bob"), book)
    # Work waiting for a grader has no score yet.
    assert bob["Q3"]["score"] is None and bob["A1"]["score"] is None
    assert bob["Q2"]["score"] is None


async def test_weighted_categories_with_drop_lowest(
    client: httpx.AsyncClient, book: Gradebook
) -> None:
    scheme = await _put_scheme(client, book, SCHEME)
    assert scheme["is_default"] is False
    assert [item["category"] for item in scheme["items"]] == [
        "Quizzes", "Quizzes", "Quizzes", "Assignments", "Assignments",
    ]  # fmt: skip
    page = await _gradebook(client, book)
    alice = _row(page, book, "alice")
    # Quizzes: 65.12, 90.01, 40.00, the lowest dropped: (65.12 + 90.01) / 2 = 77.565 ->
    # 77.57. Assignments: (88.50 + 66.50) / 2 = 77.50.
    # Course: 0.4 x 77.57 + 0.6 x 77.50 = 31.028 + 46.5 = 77.528 -> 77.53, a C.
    assert alice["categories"] == [
        {
            "name": "Quizzes",
            "weight": "40",
            "average": "77.57",
            "dropped_item_ids": [book.quizzes["Q3"]],
        },
        {"name": "Assignments", "weight": "60", "average": "77.50", "dropped_item_ids": []},
    ]
    assert alice["course_grade"]["grade"] == "77.53" and alice["course_grade"]["letter"] == "C"
    bob = _row(page, book, "bob")
    # One quiz score: drop-lowest never drops the last one. 0.4 x 50 + 0.6 x 100 = 80.
    assert bob["categories"][0]["average"] == "50.00"
    assert bob["categories"][0]["dropped_item_ids"] == []
    assert bob["categories"][1]["average"] == "100.00"
    assert bob["course_grade"]["grade"] == "80.00" and bob["course_grade"]["letter"] == "B"


async def test_missing_work_can_count_as_zero(client: httpx.AsyncClient, book: Gradebook) -> None:
    await _put_scheme(client, book, {**SCHEME, "missing_counts_as_zero": True})
    page = await _gradebook(client, book)
    bob = _row(page, book, "bob")
    # Quizzes 50, 0, 0, one 0 dropped: 25.00. Assignments 0 and 100: 50.00.
    # 0.4 x 25 + 0.6 x 50 = 40.00, an F.
    assert [c["average"] for c in bob["categories"]] == ["25.00", "50.00"]
    assert bob["course_grade"]["grade"] == "40.00" and bob["course_grade"]["letter"] == "F"
    carl = _row(page, book, "carl")
    assert carl["course_grade"]["grade"] == "0.00"


async def test_a_category_of_listed_items_and_a_custom_scale(
    client: httpx.AsyncClient, book: Gradebook
) -> None:
    scheme = {
        "categories": [
            {"name": "Final", "weight": "50", "items": [book.quizzes["Q2"]]},
            {"name": "Quizzes", "weight": "20", "item_type": "quiz"},
            {"name": "Homework", "weight": "30", "item_type": "assignment"},
        ],
        "scale": [
            {"letter": "Pass+", "min_percent": "75"},
            {"letter": "Pass", "min_percent": "50"},
            {"letter": "Fail", "min_percent": "0"},
        ],
    }
    await _put_scheme(client, book, scheme)
    alice = _row(await _gradebook(client, book), book, "alice")
    # Final 90.01; Quizzes (Q1, Q3) (65.12 + 40.00) / 2 = 52.56; Homework 77.50.
    # 0.5 x 90.01 + 0.2 x 52.56 + 0.3 x 77.50 = 45.005 + 10.512 + 23.25 = 78.767 -> 78.77
    assert [c["average"] for c in alice["categories"]] == ["90.01", "52.56", "77.50"]
    assert alice["course_grade"]["grade"] == "78.77"
    assert alice["course_grade"]["letter"] == "Pass+"
    bob = _row(await _gradebook(client, book), book, "bob")
    # No Final score: the weights of the categories with one count (20 and 30):
    # (20 x 50 + 30 x 100) / 50 = 80.00
    assert bob["categories"][0]["average"] is None
    assert bob["course_grade"]["grade"] == "80.00"


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"categories": [{"name": "Q", "weight": "40", "item_type": "quiz"}]}, "sum to 40"),
        (
            {
                "categories": [
                    {"name": "Q", "weight": "50", "item_type": "quiz"},
                    {"name": "q", "weight": "50", "item_type": "assignment"},
                ]
            },
            "same name",
        ),
        (
            {
                "categories": [
                    {"name": "Q", "weight": "50", "item_type": "quiz"},
                    {"name": "R", "weight": "50", "item_type": "quiz"},
                ]
            },
            "same item type",
        ),
        ({"categories": [{"name": "Q", "weight": "100"}]}, "either an item_type"),
        (
            {"categories": [{"name": "Q", "weight": "100", "items": ["UNKNOWN"]}]},
            "not a graded item",
        ),
        (
            {
                "scale": [
                    {"letter": "A", "min_percent": "50"},
                    {"letter": "B", "min_percent": "60"},
                    {"letter": "F", "min_percent": "0"},
                ]
            },
            "strictly down",
        ),
        ({"scale": [{"letter": "A", "min_percent": "50"}]}, "start at 0"),
        (
            {"scale": [{"letter": "A", "min_percent": "50"}, {"letter": "A", "min_percent": "0"}]},
            "twice",
        ),
        ({"hidden_items": ["UNKNOWN"]}, "not a graded item"),
    ],
)
async def test_an_invalid_scheme_is_refused(
    client: httpx.AsyncClient, book: Gradebook, change: dict[str, Any], detail: str
) -> None:
    import json
    import uuid

    body = json.loads(json.dumps(change).replace("UNKNOWN", str(uuid.uuid4())))
    response = await client.put(
        f"/courses/{book.course_id}/grading-scheme", headers=book.owner.headers, json=body
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_grading_scheme"
    assert detail in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"categories": [{"name": "Q", "weight": "0", "item_type": "quiz"}]},
        {"categories": [{"name": "Q", "weight": "100", "item_type": "essay"}]},
        {"categories": [{"name": "Q", "weight": "100", "item_type": "quiz", "drop_lowest": -1}]},
        {"scale": []},
        {"scale": [{"letter": "A", "min_percent": "101"}]},
        {"weights": {}},
        {"categories": [{"name": "Q", "weight": "33.333", "item_type": "quiz"}]},
    ],
)
async def test_a_malformed_scheme_is_a_validation_error(
    client: httpx.AsyncClient, book: Gradebook, body: dict[str, Any]
) -> None:
    response = await client.put(
        f"/courses/{book.course_id}/grading-scheme", headers=book.owner.headers, json=body
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_gradebook_as_csv(client: httpx.AsyncClient, book: Gradebook) -> None:
    await _put_scheme(client, book, SCHEME)
    for kwargs in ({"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}):
        headers = {**book.owner.headers, **kwargs.get("headers", {})}
        response = await client.get(
            f"/courses/{book.course_id}/gradebook", headers=headers, params=kwargs.get("params")
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        text = response.content.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [row["full_name"] for row in rows] == ["Alice Able", "Bob Baker", "Carl Cole"]
        alice = rows[0]
        assert alice["Q1 (quiz)"] == "65.12" and alice["Q1 (quiz) late penalty %"] == "10.00"
        assert alice["A2 (assignment)"] == "66.50"
        assert alice["Quizzes average"] == "77.57" and alice["Assignments average"] == "77.50"
        assert alice["course_grade"] == "77.53" and alice["letter"] == "C"
        assert rows[2]["course_grade"] == "" and rows[2]["Q1 (quiz)"] == ""


async def test_pages_and_the_cohort_filter(
    client: httpx.AsyncClient, book: Gradebook, make_account: AccountFactory
) -> None:
    from tests.factories.teams import add_staff, create_cohort, move_to_cohort

    morning = await create_cohort(client, book.owner, book.course_id, name="Morning")
    evening = await create_cohort(client, book.owner, book.course_id, name="Evening")
    await move_to_cohort(
        client, book.owner, book.course_id, book.enrollments["alice"], morning["id"]
    )
    await move_to_cohort(client, book.owner, book.course_id, book.enrollments["bob"], evening["id"])
    first = await _gradebook(client, book, page_size=2)
    second = await _gradebook(client, book, page_size=2, page=2)
    assert first["total"] == second["total"] == 3
    assert [row["full_name"] for row in first["items"] + second["items"]] == [
        "Alice Able", "Bob Baker", "Carl Cole",
    ]  # fmt: skip
    filtered = await _gradebook(client, book, cohort_id=evening["id"])
    assert [row["full_name"] for row in filtered["items"]] == ["Bob Baker"]

    # An assistant of the morning cohort sees its students only, in JSON and in CSV.
    assistant = await make_account("student", full_name="Asma Assistant")
    await add_staff(client, book.owner, book.course_id, assistant.id, "assistant", [morning["id"]])
    url = f"/courses/{book.course_id}/gradebook"
    theirs = (await client.get(url, headers=assistant.headers)).json()
    assert [row["full_name"] for row in theirs["items"]] == ["Alice Able"] and theirs["total"] == 1
    other = (
        await client.get(url, headers=assistant.headers, params={"cohort_id": evening["id"]})
    ).json()
    assert other["items"] == [] and other["total"] == 0
    exported = await client.get(url, headers=assistant.headers, params={"format": "csv"})
    names = [
        row["full_name"]
        for row in csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))
    ]
    assert names == ["Alice Able"]
