"""A course's team, cohorts and staff enrollment, through the API as the course's owner."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.factories.api import Caller, ok


async def add_staff(
    client: httpx.AsyncClient,
    owner: Caller,
    course_id: str,
    user_id: Any,
    role: str,
    cohort_ids: list[str] | None = None,
) -> dict[str, Any]:
    """Put ``user_id`` on the course's team as ``role`` (``co_instructor`` or
    ``assistant`` of ``cohort_ids``)."""
    body = {"user_id": str(user_id), "role": role, "cohort_ids": cohort_ids or []}
    return ok(
        await client.post(f"/courses/{course_id}/staff", headers=owner.headers, json=body), 201
    )


async def create_cohort(
    client: httpx.AsyncClient, owner: Caller, course_id: str, **fields: Any
) -> dict[str, Any]:
    """A cohort with a name of its own unless ``fields`` give one."""
    body = {"name": f"Cohort {uuid.uuid4().hex[:6]}", **fields}
    return ok(
        await client.post(f"/courses/{course_id}/cohorts", headers=owner.headers, json=body), 201
    )


async def enroll_by_staff(
    client: httpx.AsyncClient, staff: Caller, course_id: str, **body: Any
) -> dict[str, Any]:
    """Enroll someone (``user_id`` or ``email``, optional ``cohort_id``) as staff."""
    if "user_id" in body:
        body["user_id"] = str(body["user_id"])
    return ok(
        await client.post(f"/courses/{course_id}/enrollments", headers=staff.headers, json=body),
        200,
        201,
    )


async def move_to_cohort(
    client: httpx.AsyncClient, staff: Caller, course_id: str, enrollment_id: str, cohort_id: Any
) -> dict[str, Any]:
    body = {"cohort_id": None if cohort_id is None else str(cohort_id)}
    return ok(
        await client.patch(
            f"/courses/{course_id}/enrollments/{enrollment_id}", headers=staff.headers, json=body
        )
    )
