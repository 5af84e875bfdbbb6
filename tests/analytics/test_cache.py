"""Results are cached for LMS_ANALYTICS_CACHE_SECONDS: a second call is served from the
cache (the database is not asked again), ``?fresh=true`` recomputes and refreshes the
cached copy, and an expired entry is recomputed."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.session import commit
from lms.modules.analytics import repository
from lms.modules.enrollments.models import Enrollment
from tests.analytics.dataset import DataSet


async def _add_enrollment(db: AsyncSession, data: DataSet) -> None:
    db.add(
        Enrollment(
            student_id=data.students["s7"].id,
            course_id=data.course_id,
            status="active",
            progress_percentage=Decimal("0"),
        )
    )
    await commit(db)


def _fail(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("the database was queried although the figures are cached")


async def test_a_second_call_is_served_from_the_cache(
    client: httpx.AsyncClient,
    dataset: DataSet,
    db: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"/analytics/courses/{dataset.course_id}"
    headers = dataset.instructor.headers
    first = (await client.get(url, headers=headers)).json()
    assert first["total_enrollments"] == 6

    await _add_enrollment(db, dataset)
    with monkeypatch.context() as patched:
        for name in ("course_enrollments", "course_lessons", "course_scores", "revenue"):
            patched.setattr(repository, name, _fail)
        cached = await client.get(url, headers=headers)
        assert cached.status_code == 200
        assert cached.json() == first  # same figures, same generated_at

    fresh = (await client.get(url, headers=headers, params={"fresh": "true"})).json()
    assert fresh["total_enrollments"] == 7 and fresh["generated_at"] != first["generated_at"]
    # fresh=true also replaced the cached copy.
    assert (await client.get(url, headers=headers)).json() == fresh
    # Another window is another entry.
    other = (await client.get(url, headers=headers, params={"interval": "week"})).json()
    assert other["enrollment_trend"]["interval"] == "week" and other["total_enrollments"] == 7


async def test_the_cache_is_checked_after_the_access_rules(
    client: httpx.AsyncClient, dataset: DataSet
) -> None:
    url = f"/analytics/courses/{dataset.course_id}"
    assert (await client.get(url, headers=dataset.instructor.headers)).status_code == 200
    refused = await client.get(url, headers=dataset.other_instructor.headers)
    assert refused.status_code == 403
    overview = f"/analytics/instructors/{dataset.instructor.id}/overview"
    assert (await client.get(overview, headers=dataset.instructor.headers)).status_code == 200
    assert (await client.get(overview, headers=dataset.other_instructor.headers)).status_code == 403


async def test_each_student_has_their_own_entry(
    client: httpx.AsyncClient, dataset: DataSet
) -> None:
    s1 = await client.get("/analytics/my-dashboard", headers=dataset.students["s1"].headers)
    s2 = await client.get("/analytics/my-dashboard", headers=dataset.students["s2"].headers)
    assert s1.json()["student_id"] != s2.json()["student_id"]
    assert s1.json()["certificates_earned"] == 1 and s2.json()["certificates_earned"] == 0


async def test_entries_expire_after_the_ttl(
    app: Any,
    client: httpx.AsyncClient,
    dataset: DataSet,
    db: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    short = app.state.settings.model_copy(update={"analytics_cache_seconds": 1})
    monkeypatch.setitem(app.state._state, "settings", short)
    url = "/analytics/system/overview"
    headers = dataset.admin.headers
    first = (await client.get(url, headers=headers)).json()
    assert first["enrollments"]["total"] == 7
    await _add_enrollment(db, dataset)
    assert (await client.get(url, headers=headers)).json() == first
    await asyncio.sleep(1.3)
    assert (await client.get(url, headers=headers)).json()["enrollments"]["total"] == 8


async def test_a_ttl_of_zero_turns_the_cache_off(
    app: Any,
    client: httpx.AsyncClient,
    dataset: DataSet,
    db: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    off = app.state.settings.model_copy(update={"analytics_cache_seconds": 0})
    monkeypatch.setitem(app.state._state, "settings", off)
    url = f"/analytics/instructors/{dataset.instructor.id}/overview"
    headers = dataset.admin.headers
    first = (await client.get(url, headers=headers)).json()
    await _add_enrollment(db, dataset)
    second = (await client.get(url, headers=headers)).json()
    assert second["totals"]["total_enrollments"] == first["totals"]["total_enrollments"] + 1
    cache = app.state.cache
    assert await cache.get("analytics", f"instructor:{dataset.instructor.id}") is None


async def test_cached_entries_live_in_the_analytics_namespace(
    app: Any, client: httpx.AsyncClient, dataset: DataSet
) -> None:
    s1 = dataset.students["s1"]
    body = (await client.get("/analytics/my-progress", headers=s1.headers)).json()
    stored = await app.state.cache.get("analytics", f"student-progress:{s1.id}")
    assert stored is not None and stored["student_id"] == str(s1.id)
    assert uuid.UUID(body["student_id"]) == s1.id
