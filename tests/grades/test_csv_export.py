"""The CSV export says what the JSON pages say, cell for cell (on PostgreSQL the export
writes its cells in SQL, apart from the pages' figures): with a hidden item, an
override, missing work counted as zero, a cohort filter, and on the benchmark's
generated dataset."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from benchmarks.gradebook.dataset import plan, seed
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.security import create_access_token
from lms.modules.courses.models import Course
from tests.factories.accounts import AccountFactory
from tests.grades.dataset import SCHEME, Gradebook, build_gradebook


@pytest.fixture
async def book(
    client: httpx.AsyncClient, db: AsyncSession, make_account: AccountFactory
) -> Gradebook:
    return await build_gradebook(client, db, make_account)


def _expected_line(page: dict[str, Any], row: dict[str, Any]) -> dict[str, str]:
    """The CSV line of a JSON row, as the export writes it."""
    line = {
        "enrollment_id": row["enrollment_id"],
        "student_id": row["student_id"],
        "full_name": row["full_name"],
        "email": row["email"],
        "status": row["status"],
        "cohort_id": row["cohort_id"] or "",
    }
    for item, cell in zip(page["grade_items"], row["items"], strict=True):
        name = f"{item['title']} ({item['kind']})"
        line[name] = cell["effective_score"] or ""
        line[f"{name} late penalty %"] = cell["late_penalty_percent"] or ""
    for category in row["categories"]:
        line[f"{category['name']} average"] = category["average"] or ""
    grade = row["course_grade"]
    line["computed_grade"] = grade["computed"] or ""
    line["course_grade"] = grade["grade"] or ""
    line["letter"] = grade["letter"] or ""
    line["overridden"] = str(grade["overridden"])
    return line


async def _compare(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any
) -> list[dict[str, str]]:
    page = await client.get(url, headers=headers, params={**params, "page_size": 100})
    assert page.status_code == 200, page.text
    exported = await client.get(url, headers=headers, params={**params, "format": "csv"})
    assert exported.status_code == 200, exported.text
    lines = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert lines == [_expected_line(page.json(), row) for row in page.json()["items"]]
    return lines


async def test_the_csv_equals_the_pages(client: httpx.AsyncClient, book: Gradebook) -> None:
    url = f"/courses/{book.course_id}/gradebook"
    headers = book.owner.headers
    lines = await _compare(client, url, headers)
    assert len(lines) == 3

    scheme = {**SCHEME, "hidden_items": [book.assignments["A2"]]}
    saved = await client.put(
        f"/courses/{book.course_id}/grading-scheme", headers=headers, json=scheme
    )
    assert saved.status_code == 200, saved.text
    overridden = await client.put(
        f"/courses/{book.course_id}/gradebook/{book.bob.id}/override",
        headers=headers,
        json={"grade": "85", "reason": "Oral exam instead"},
    )
    assert overridden.status_code == 200, overridden.text
    lines = await _compare(client, url, headers)
    assert [line["overridden"] for line in lines] == ["False", "True", "False"]

    zero = {**scheme, "missing_counts_as_zero": True}
    saved = await client.put(
        f"/courses/{book.course_id}/grading-scheme", headers=headers, json=zero
    )
    assert saved.status_code == 200, saved.text
    await _compare(client, url, headers)


async def test_the_csv_equals_the_pages_on_the_generated_dataset(
    app: Any, client: httpx.AsyncClient, settings: Any
) -> None:
    data = plan(students=45, quizzes=6, assignments=4, seed=23)
    course_id = await seed(app.state.sessionmaker, data, title="Gradebook dataset (CSV)")
    async with app.state.sessionmaker() as session:
        owner_id = await session.scalar(select(Course.instructor_id).where(Course.id == course_id))
    token, _ = create_access_token(settings, user_id=owner_id, role="instructor")
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/courses/{course_id}/gradebook"
    assert len(await _compare(client, url, headers)) == 45
    page = await client.get(url, headers=headers, params={"page_size": 1})
    cohort_id = page.json()["items"][0]["cohort_id"]
    assert 0 < len(await _compare(client, url, headers, cohort_id=cohort_id)) < 45
