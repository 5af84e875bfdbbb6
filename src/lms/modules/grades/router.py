"""Grades: a course's grading scheme, its gradebook (JSON pages or CSV), course-grade
overrides and the history of grade changes, and a student's own grades."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from lms.core.deps import CurrentPrincipal, SessionDep
from lms.core.errors import problem_responses
from lms.core.pagination import Page, Pagination
from lms.core.routing import TransactionalRoute
from lms.modules.grades import service
from lms.modules.grades.schemas import (
    EnrollmentGrades,
    GradebookPage,
    GradeChangeRead,
    GradingSchemeIn,
    GradingSchemeRead,
    OverrideIn,
    OverrideRead,
)

CSV_MEDIA_TYPE = "text/csv"

course_router = APIRouter(
    prefix="/courses/{course_id}",
    tags=["grades"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)


@course_router.get("/grading-scheme", response_model=GradingSchemeRead)
async def get_grading_scheme(
    course_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> GradingSchemeRead:
    """The course's grading scheme (its team), with its graded items and the category
    each counts in. `is_default`: the course has none of its own, and every graded item
    counts equally."""
    return await service.get_scheme(session, principal=principal, course_id=course_id)


@course_router.put("/grading-scheme", response_model=GradingSchemeRead)
async def put_grading_scheme(
    course_id: uuid.UUID, data: GradingSchemeIn, session: SessionDep, principal: CurrentPrincipal
) -> GradingSchemeRead:
    """Replace the course's grading scheme (the owner, co-instructors, admins). 422
    `invalid_grading_scheme`: weights that do not sum to 100, two categories with one
    name or item type, a category with both or neither of `item_type` and `items`, an
    item that is not a graded item of the course or listed twice, a scale that does not
    go strictly down to 0."""
    return await service.put_scheme(session, principal=principal, course_id=course_id, data=data)


@course_router.get(
    "/gradebook",
    response_model=GradebookPage,
    responses={200: {"content": {CSV_MEDIA_TYPE: {}}, "description": "JSON page, or CSV"}},
)
async def gradebook(
    request: Request,
    course_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    pagination: Pagination,
    cohort_id: uuid.UUID | None = None,
    format: Annotated[
        Literal["json", "csv"] | None, Query(description="`csv`: the same as Accept: text/csv")
    ] = None,
) -> GradebookPage | Response:
    """One row per student, by name (the course's team; an assistant of some cohorts
    sees their students only): each graded item's score, late penalty and effective
    score, the category averages and the course grade with its letter, filtered by
    `cohort_id`, paginated. With `Accept: text/csv` or `?format=csv`, every matching
    student as CSV (UTF-8 with BOM), streamed; pagination is then ignored."""
    filters = await service.gradebook_filter(
        session, principal=principal, course_id=course_id, cohort_id=cohort_id
    )
    wants_csv = format == "csv" or (
        format is None and CSV_MEDIA_TYPE in request.headers.get("accept", "")
    )
    if wants_csv:
        return StreamingResponse(
            service.gradebook_csv(request.app.state.sessionmaker, filters),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="gradebook-{course_id}.csv"'},
        )
    # Serialised once by the service: a page holds thousands of cells.
    return Response(
        await service.gradebook_page(session, filters=filters, page=pagination),
        media_type="application/json",
    )


@course_router.put("/gradebook/{student_id}/override", response_model=OverrideRead)
async def override_grade(
    course_id: uuid.UUID,
    student_id: uuid.UUID,
    data: OverrideIn,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> OverrideRead:
    """Set a student's course grade by hand, with a reason (the owner, co-instructors,
    admins). It replaces the computed grade until cleared, and is kept in the history.
    404 `student_not_in_course`."""
    return await service.set_override(
        session, principal=principal, course_id=course_id, student_id=student_id, data=data
    )


@course_router.delete("/gradebook/{student_id}/override", status_code=status.HTTP_204_NO_CONTENT)
async def clear_grade_override(
    course_id: uuid.UUID, student_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """Clear a student's override: the computed grade counts again (204 also when there
    was none)."""
    await service.clear_override(
        session, principal=principal, course_id=course_id, student_id=student_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@course_router.get("/gradebook/{student_id}/history", response_model=Page[GradeChangeRead])
async def grade_history(
    course_id: uuid.UUID,
    student_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    pagination: Pagination,
) -> Page[GradeChangeRead]:
    """Every change of the student's grades, newest first: overrides set and cleared,
    quiz attempts graded by hand, assignments graded; who, when, before and after (those
    who teach the student)."""
    return await service.grade_history(
        session, principal=principal, course_id=course_id, student_id=student_id, page=pagination
    )


enrollment_router = APIRouter(
    prefix="/enrollments",
    tags=["grades"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)


@enrollment_router.get("/{enrollment_id}/grades", response_model=EnrollmentGrades)
async def enrollment_grades(
    enrollment_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> EnrollmentGrades:
    """An enrollment's grades: its student sees the released ones (an item whose grades
    the course has not released shows no score and is left out of the averages); those
    who teach the student and admins see all. 404 for anyone else."""
    return await service.enrollment_grades(
        session, principal=principal, enrollment_id=enrollment_id
    )


routers = [course_router, enrollment_router]
