"""The benchmark's dataset, small (not timed): every student's figures from the API
equal the ones computed independently in Python ``Decimal`` from the same plan."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import httpx
from benchmarks.gradebook.dataset import expected_grades, plan, seed, student_name
from sqlalchemy import select

from lms.core.security import create_access_token
from lms.modules.courses.models import Course


async def test_the_sql_figures_match_an_independent_computation(
    app: Any, client: httpx.AsyncClient, settings: Any
) -> None:
    data = plan(students=45, quizzes=6, assignments=4)
    course_id = await seed(app.state.sessionmaker, data, title="Gradebook dataset (small)")
    async with app.state.sessionmaker() as session:
        owner_id = await session.scalar(select(Course.instructor_id).where(Course.id == course_id))
    token, _ = create_access_token(settings, user_id=owner_id, role="instructor")
    headers = {"Authorization": f"Bearer {token}"}

    got: dict[str, tuple[Any, ...]] = {}
    for page in (1, 2, 3):
        response = await client.get(
            f"/courses/{course_id}/gradebook",
            headers=headers,
            params={"page": page, "page_size": 20},
        )
        assert response.status_code == 200, response.text
        assert response.json()["total"] == 45
        assert len(response.json()["grade_items"]) == 10
        for row in response.json()["items"]:
            got[row["full_name"]] = (
                *(c["average"] for c in row["categories"]),
                row["course_grade"]["grade"],
            )
    expected = {
        student_name(index): tuple(None if v is None else str(v) for v in figures)
        for index, figures in enumerate(expected_grades(data))
    }
    assert got == expected
    assert any(grade is not None and grade != "0.00" for *_, grade in got.values())

    exported = await client.get(
        f"/courses/{course_id}/gradebook", headers=headers, params={"format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 45
    assert {row["full_name"]: row["course_grade"] or None for row in rows} == {
        name: figures[-1] for name, figures in expected.items()
    }
    assert all(Decimal(row["course_grade"]) <= 100 for row in rows if row["course_grade"])
