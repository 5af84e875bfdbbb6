"""Enrollments: enrolling, my courses, progress, completion, reviews, course rosters and
statistics."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response, status

from lms.core.deps import (
    CurrentPrincipal,
    ReadConnectionDep,
    SessionDep,
    SettingsDep,
    StudentPrincipal,
)
from lms.core.errors import problem_responses
from lms.core.idempotency import idempotent
from lms.core.pagination import Page, Pagination
from lms.core.ratelimit import per_account
from lms.core.routing import TransactionalRoute, creates, read_only
from lms.modules.enrollments import service
from lms.modules.enrollments.schemas import (
    CourseEnrollmentRead,
    CourseEnrollmentStats,
    EnrollmentChange,
    EnrollmentCreate,
    EnrollmentDetail,
    EnrollmentRead,
    EnrollmentStatus,
    LessonProgressRead,
    ProgressUpdate,
    ReviewCreate,
    StaffEnrollmentCreate,
)

router = APIRouter(
    prefix="/enrollments",
    tags=["enrollments"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)


ENROLL_RATE_LIMIT = per_account("enroll", "enrollment_rate_limit_per_minute")


@router.post(
    "",
    response_model=EnrollmentRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(ENROLL_RATE_LIMIT)],
)
@creates("/enrollments/{id}")
@idempotent
async def enroll(
    data: EnrollmentCreate, session: SessionDep, settings: SettingsDep, principal: StudentPrincipal
) -> EnrollmentRead:
    """Enroll in a published course (students). Creates a progress row per lesson and
    emails a confirmation. 404: unknown or unpublished course; 402 `payment_required`: a
    paid course without a succeeded payment or subscription; 409: already enrolled."""
    enrollment = await service.enroll(
        session, settings=settings, principal=principal, course_id=data.course_id
    )
    return await service.enrollment_read(session, enrollment)


@router.get("/my-courses", response_model=Page[EnrollmentRead])
@read_only
async def my_courses(
    connection: ReadConnectionDep,
    principal: CurrentPrincipal,
    pagination: Pagination,
    status: EnrollmentStatus | None = None,
) -> Page[EnrollmentRead]:
    """Your enrollments, newest first, with the course title, slug and progress."""
    return await service.list_my_enrollments(
        connection, principal=principal, status=status, page=pagination
    )


@router.get("/courses/{course_id}", response_model=Page[CourseEnrollmentRead])
async def course_enrollments(
    course_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    pagination: Pagination,
    status: EnrollmentStatus | None = None,
) -> Page[CourseEnrollmentRead]:
    """The course's students with their progress (the course's instructor or an admin)."""
    return await service.list_course_enrollments(
        session, principal=principal, course_id=course_id, status=status, page=pagination
    )


@router.get("/courses/{course_id}/stats", response_model=CourseEnrollmentStats)
async def course_stats(
    course_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> CourseEnrollmentStats:
    """Enrollments by status, average progress and rating, completion rate (the course's
    instructor or an admin)."""
    return await service.course_stats(session, principal=principal, course_id=course_id)


@router.get("/{enrollment_id}", response_model=EnrollmentDetail)
async def get_enrollment(
    enrollment_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> EnrollmentDetail:
    """One enrollment with each lesson's progress (its student, the course's instructor,
    admins; 404 for anyone else)."""
    return await service.get_enrollment_detail(
        session, principal=principal, enrollment_id=enrollment_id
    )


@router.put("/{enrollment_id}/lessons/{lesson_id}/progress", response_model=LessonProgressRead)
async def update_progress(
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    data: ProgressUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> LessonProgressRead:
    """Report progress on a lesson: `time_spent_seconds` is added (0 to 86400 per
    update), `last_position_seconds` replaces the stored position, `completion_percentage`
    (0-100) only goes up. The lesson moves from not_started to in_progress."""
    return await service.update_progress(
        session, principal=principal, enrollment_id=enrollment_id, lesson_id=lesson_id, data=data
    )


@router.post("/{enrollment_id}/lessons/{lesson_id}/complete", response_model=EnrollmentRead)
async def complete_lesson(
    enrollment_id: uuid.UUID, lesson_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> EnrollmentRead:
    """Mark a lesson completed (idempotent); returns the enrollment's counters. The last
    lesson completes the enrollment and emails the student."""
    return await service.complete_lesson_for(
        session, principal=principal, enrollment_id=enrollment_id, lesson_id=lesson_id
    )


@router.post("/{enrollment_id}/review", response_model=EnrollmentRead)
async def review(
    enrollment_id: uuid.UUID, data: ReviewCreate, session: SessionDep, principal: CurrentPrincipal
) -> EnrollmentRead:
    """Rate the course 1-5 with an optional review (the enrolled student only). One review
    per enrollment: sending it again replaces it."""
    enrollment = await service.review_enrollment(
        session, principal=principal, enrollment_id=enrollment_id, data=data
    )
    return await service.enrollment_read(session, enrollment)


@router.patch("/{enrollment_id}/review", response_model=EnrollmentRead)
async def edit_review(
    enrollment_id: uuid.UUID, data: ReviewCreate, session: SessionDep, principal: CurrentPrincipal
) -> EnrollmentRead:
    """Edit your review (same as sending it again with POST)."""
    enrollment = await service.review_enrollment(
        session, principal=principal, enrollment_id=enrollment_id, data=data
    )
    return await service.enrollment_read(session, enrollment)


# Staff enrollment, under the course

course_router = APIRouter(
    prefix="/courses/{course_id}/enrollments",
    tags=["enrollments"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)


@course_router.post(
    "",
    response_model=EnrollmentRead,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Already enrolled: the enrollment as it is"}},
)
@creates("/enrollments/{id}")
@idempotent
async def enroll_by_staff(
    course_id: uuid.UUID,
    data: StaffEnrollmentCreate,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
) -> EnrollmentRead:
    """Enroll someone (the course's owner, co-instructors, admins), with no payment, by
    `user_id` or `email`, optionally into `cohort_id` (409 `cohort_full` past its
    capacity). An email without an account creates an invited account and emails it a
    single-use link to choose a password; asking again resends the link (a new one: the
    old stops working) and never makes a second account or enrollment. 201 when the
    enrollment is new, 200 when it existed."""
    enrollment, created = await service.enroll_by_staff(
        session, settings=settings, principal=principal, course_id=course_id, data=data
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return await service.enrollment_read(session, enrollment)


@course_router.patch("/{enrollment_id}", response_model=EnrollmentRead)
async def change_enrollment(
    course_id: uuid.UUID,
    enrollment_id: uuid.UUID,
    data: EnrollmentChange,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> EnrollmentRead:
    """Move a student to another cohort of the course (`cohort_id: null`: none); their
    progress is kept. 409 `cohort_full` when the new cohort is full."""
    enrollment = await service.change_by_staff(
        session, principal=principal, course_id=course_id, enrollment_id=enrollment_id, data=data
    )
    return await service.enrollment_read(session, enrollment)


@course_router.delete("/{enrollment_id}", response_model=EnrollmentRead)
async def drop_enrollment(
    course_id: uuid.UUID, enrollment_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> EnrollmentRead:
    """Drop a student: their access ends, their progress is kept (reactivate gives it
    back) and their cohort seat is freed. Answers the dropped enrollment."""
    enrollment = await service.drop_by_staff(
        session, principal=principal, course_id=course_id, enrollment_id=enrollment_id
    )
    return await service.enrollment_read(session, enrollment)


@course_router.post("/{enrollment_id}/reactivate", response_model=EnrollmentRead)
async def reactivate_enrollment(
    course_id: uuid.UUID, enrollment_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> EnrollmentRead:
    """Give a dropped student their access back with their progress (409 `cohort_full`
    if their cohort filled up meanwhile)."""
    enrollment = await service.reactivate_by_staff(
        session, principal=principal, course_id=course_id, enrollment_id=enrollment_id
    )
    return await service.enrollment_read(session, enrollment)


routers = [router, course_router]
