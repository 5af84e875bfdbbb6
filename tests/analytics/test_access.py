"""Every caller who must be refused, on every analytics path (seed 000's access table:
students for themselves, a course's figures for its owner or an admin, an instructor's
for themselves or an admin, the platform's for admins)."""

from __future__ import annotations

import uuid

import httpx

from tests.analytics.dataset import DataSet
from tests.factories.accounts import Account

UNKNOWN = "00000000-0000-0000-0000-000000000000"


def _paths(data: DataSet) -> list[str]:
    course = data.course_id
    return [
        "/analytics/my-progress",
        "/analytics/my-dashboard",
        "/analytics/student",
        f"/analytics/courses/{course}",
        f"/analytics/courses/{course}/analytics",
        f"/analytics/instructors/{data.instructor.id}/overview",
        "/analytics/instructor",
        "/analytics/system/overview",
        "/analytics/system",
    ]


async def test_every_path_needs_a_token(client: httpx.AsyncClient, dataset: DataSet) -> None:
    for path in _paths(dataset):
        response = await client.get(path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "not_authenticated"
        bad = await client.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert bad.status_code == 401, path


async def test_course_figures_are_for_the_owner_and_admins(
    client: httpx.AsyncClient, dataset: DataSet
) -> None:
    student = dataset.students["s1"]  # enrolled, still not allowed
    for suffix in ("", "/analytics"):
        published = f"/analytics/courses/{dataset.course_id}{suffix}"
        draft = f"/analytics/courses/{dataset.draft_course_id}{suffix}"
        for caller in (student, dataset.other_instructor):
            response = await client.get(published, headers=caller.headers)
            assert response.status_code == 403, (caller.role, published)
            assert response.json()["code"] == "not_course_manager"
            # A draft of someone else's is invisible: 404, as in the courses module.
            assert (await client.get(draft, headers=caller.headers)).status_code == 404
        for caller in (dataset.instructor, dataset.admin):
            assert (await client.get(published, headers=caller.headers)).status_code == 200
            assert (await client.get(draft, headers=caller.headers)).status_code == 200
    elsewhere = f"/analytics/courses/{dataset.elsewhere_course_id}"
    assert (await client.get(elsewhere, headers=dataset.instructor.headers)).status_code == 403
    unknown = await client.get(f"/analytics/courses/{UNKNOWN}", headers=dataset.admin.headers)
    assert unknown.status_code == 404
    malformed = await client.get("/analytics/courses/not-a-uuid", headers=dataset.admin.headers)
    assert malformed.status_code == 422


async def test_instructor_figures_are_for_that_instructor_and_admins(
    client: httpx.AsyncClient, dataset: DataSet
) -> None:
    theirs = f"/analytics/instructors/{dataset.instructor.id}/overview"
    for caller in (dataset.students["s1"], dataset.other_instructor):
        response = await client.get(theirs, headers=caller.headers)
        assert response.status_code == 403, caller.role
    student_only = await client.get("/analytics/instructor", headers=dataset.students["s1"].headers)
    assert student_only.status_code == 403
    assert student_only.json()["code"] == "role_required"
    # An admin asking about someone who is no instructor, or nobody.
    for target in (dataset.students["s1"].id, uuid.UUID(UNKNOWN)):
        response = await client.get(
            f"/analytics/instructors/{target}/overview", headers=dataset.admin.headers
        )
        assert response.status_code == 404
        assert response.json()["code"] == "instructor_not_found"
    malformed = await client.get(
        "/analytics/instructors/123/overview", headers=dataset.admin.headers
    )
    assert malformed.status_code == 422


async def test_platform_figures_are_for_admins(client: httpx.AsyncClient, dataset: DataSet) -> None:
    for path in ("/analytics/system/overview", "/analytics/system"):
        for caller in (dataset.students["s1"], dataset.instructor):
            response = await client.get(path, headers=caller.headers)
            assert response.status_code == 403, (caller.role, path)
            assert response.json()["code"] == "role_required"
        assert (await client.get(path, headers=dataset.admin.headers)).status_code == 200


async def test_a_student_sees_only_their_own_figures(
    client: httpx.AsyncClient, dataset: DataSet, student: Account
) -> None:
    """Nothing in the student paths names another student: the caller is the subject."""
    body = (await client.get("/analytics/my-dashboard", headers=student.headers)).json()
    assert body["student_id"] == str(student.id) and body["total_courses_enrolled"] == 0
    ignored = await client.get(
        "/analytics/my-progress",
        headers=student.headers,
        params={"student_id": str(dataset.students["s1"].id)},
    )
    assert ignored.json()["student_id"] == str(student.id)


async def test_the_paths_are_in_the_openapi_schema(client: httpx.AsyncClient) -> None:
    schema = (await client.get("http://testserver/openapi.json")).json()
    paths = set(schema["paths"])
    for path in (
        "/api/v1/analytics/my-progress",
        "/api/v1/analytics/my-dashboard",
        "/api/v1/analytics/student",
        "/api/v1/analytics/courses/{course_id}",
        "/api/v1/analytics/courses/{course_id}/analytics",
        "/api/v1/analytics/instructors/{instructor_id}/overview",
        "/api/v1/analytics/instructor",
        "/api/v1/analytics/system/overview",
        "/api/v1/analytics/system",
    ):
        assert path in paths, path
    params = {
        p["name"]
        for p in schema["paths"]["/api/v1/analytics/courses/{course_id}"]["get"]["parameters"]
    }
    assert {"from", "to", "interval", "fresh"} <= params
