"""Enrollments and progress: enrolling (free, or paid with access granted by the payments
module), progress and completion with exact counters, reviews, course statistics, and
the weekly-progress and reminder emails.

Extension points for other modules (register at import time):

- ``register_paid_access_checker(checker)``: ``async checker(session, student_id,
  course_id) -> bool``. A paid course (price > 0) is open to a student when any
  registered checker says yes (the payments module registers one for succeeded payments
  and active subscriptions). With none registered, paid courses refuse with 402.
- ``on_enrollment_completed(listener)``: ``async listener(session, enrollment) -> None``
  runs once per enrollment, in the transaction that completed it (so whatever it writes,
  an outbox job for instance, commits or rolls back with the completion). An exception
  in a listener rolls the completion back. The certificates module registers one that
  queues the certificate.

Concurrency: counters change only through single SQL statements (``x = x + :delta``,
or a recount after a lesson is deleted), and the switch to ``completed`` is a
conditional UPDATE, so exactly one request completes an enrollment however many arrive
at once.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ColumnExpressionArgument, Row, ScalarSelect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.config import Settings, get_settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import AppError, Conflict, Forbidden, NotFound, RuleViolation
from lms.core.pagination import Page, PageParams
from lms.core.session import Executor
from lms.modules.courses import service as courses
from lms.modules.emails import service as emails
from lms.modules.enrollments import repository
from lms.modules.enrollments.models import ACCESS_STATUSES, Enrollment, LessonProgress
from lms.modules.enrollments.schemas import (
    CourseEnrollmentRead,
    CourseEnrollmentStats,
    EnrollmentDetail,
    EnrollmentRead,
    LessonProgressRead,
    ProgressUpdate,
    ReviewCreate,
    StatusCounts,
)
from lms.modules.files import service as files
from lms.modules.users import service as users

PaidAccessChecker = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[bool]]
CompletionListener = Callable[[AsyncSession, Enrollment], Awaitable[None]]

_paid_access_checkers: list[PaidAccessChecker] = []
_completion_listeners: list[CompletionListener] = []

WEEKLY_PROGRESS_JOB = "weekly_progress"
COURSE_REMINDER_JOB = "course_reminder"
ACTIVE_STUDENT_DAYS = 30


class EnrollmentNotFound(NotFound):
    code = "enrollment_not_found"
    detail = "No enrollment with this id."


class AlreadyEnrolled(Conflict):
    code = "already_enrolled"
    detail = "You are already enrolled in this course."


class PaymentRequired(AppError):
    status = 402
    code = "payment_required"
    detail = "This course is paid: complete a payment (or subscription) to enroll."

    def __init__(self) -> None:
        super().__init__(extra={"title": "Payment Required"})


class CourseHasEnrollments(Conflict):
    code = "course_has_enrollments"
    detail = "Students are enrolled in this course: unpublish it instead of deleting it."


class LessonNotInCourse(NotFound):
    code = "lesson_not_in_course"
    detail = "This lesson is not part of the enrollment's course."


class EnrollmentClosed(RuleViolation):
    code = "enrollment_not_active"
    detail = "This enrollment is dropped or expired."


# Extension points


def register_paid_access_checker(checker: PaidAccessChecker) -> PaidAccessChecker:
    """Add ``async checker(session, student_id, course_id) -> bool`` to the checks that
    open a paid course (see the module docstring)."""
    if checker not in _paid_access_checkers:
        _paid_access_checkers.append(checker)
    return checker


async def has_paid_access(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> bool:
    """Has the student paid for (or subscribed to) this course? Asks every registered
    checker; False when none says yes."""
    for checker in _paid_access_checkers:
        if await checker(session, student_id, course_id):
            return True
    return False


def on_enrollment_completed(listener: CompletionListener) -> CompletionListener:
    """Run ``async listener(session, enrollment)`` once when an enrollment completes, in
    the same transaction (see the module docstring). Usable as a decorator."""
    if listener not in _completion_listeners:
        _completion_listeners.append(listener)
    return listener


# Lookups


async def get_enrollment_for(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> Enrollment | None:
    """The student's enrollment in the course, whatever its status, or None."""
    return await repository.get_for(session, student_id=student_id, course_id=course_id)


def enrollment_subqueries(
    student_id: ColumnExpressionArgument[uuid.UUID], course_id: ColumnExpressionArgument[uuid.UUID]
) -> tuple[ScalarSelect[uuid.UUID], ScalarSelect[str]]:
    """The id and the status of the student's enrollment in the course (NULL when there is
    none), as scalar subqueries for another module's statement."""
    return repository.enrollment_subqueries(student_id, course_id)


async def get_enrollment_or_raise(session: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment:
    enrollment = await repository.get(session, enrollment_id)
    if enrollment is None:
        raise EnrollmentNotFound()
    return enrollment


async def _visible_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> Enrollment:
    """The enrollment for its student, the course's instructor or an admin; 404 for
    anyone else, so ids of other students' enrollments reveal nothing."""
    enrollment = await get_enrollment_or_raise(session, enrollment_id)
    if enrollment.student_id == principal.id or principal.is_admin:
        return enrollment
    course = await courses.get_course_or_raise(session, enrollment.course_id)
    if courses.is_course_owner_or_admin(principal, course):
        return enrollment
    raise EnrollmentNotFound()


async def _own_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> Enrollment:
    enrollment = await _visible_enrollment(session, principal, enrollment_id)
    if enrollment.student_id != principal.id:
        raise Forbidden(
            "Only the enrolled student records progress or reviews.",
            code="not_enrollment_owner",
        )
    if enrollment.status not in ACCESS_STATUSES:
        raise EnrollmentClosed()
    return enrollment


# Enrolling


def _course_url(settings: Settings, course: courses.Course) -> str:
    return f"{settings.public_base_url.rstrip('/')}/courses/{course.slug}"


async def _enroll(
    session: AsyncSession,
    *,
    settings: Settings,
    student_id: uuid.UUID,
    course_id: uuid.UUID,
    skip_payment_check: bool,
) -> Enrollment:
    # Shared lock: enrollments proceed side by side, a lesson being added waits (and
    # vice versa), so every enrollment gets a progress row for every lesson.
    if not await courses.lock_course(session, course_id, shared=True):
        raise courses.CourseNotFound()
    course = await courses.get_course_or_raise(session, course_id)
    if not skip_payment_check:
        if not course.is_published:
            raise courses.CourseNotFound("No published course with this id.")
        if course.price > 0 and not await has_paid_access(
            session, student_id=student_id, course_id=course.id
        ):
            raise PaymentRequired()
    student = await users.get_user_or_raise(session, student_id)
    lesson_ids = await courses.list_lesson_ids(session, course.id)
    enrollment = Enrollment(
        student_id=student_id,
        course_id=course.id,
        status="active",
        enrolled_at=utcnow(),
        total_lessons_count=len(lesson_ids),
        completed_lessons_count=0,
        total_time_spent_seconds=0,
    )
    session.add(enrollment)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request enrolled the same student
        raise AlreadyEnrolled() from exc
    await repository.add_progress_rows(session, [(enrollment.id, lid) for lid in lesson_ids])
    await emails.queue_email(
        session,
        to=student.email,
        template="course_enrolled",
        context={
            "full_name": student.full_name,
            "course_title": course.title,
            "course_url": _course_url(settings, course),
        },
    )
    return enrollment


async def enroll(
    session: AsyncSession, *, settings: Settings, principal: Principal, course_id: uuid.UUID
) -> Enrollment:
    """The caller enrolls in a published course: 404 for an unknown or unpublished course,
    402 for a paid one without paid access, 409 when already enrolled."""
    if await repository.get_for(session, student_id=principal.id, course_id=course_id):
        raise AlreadyEnrolled()
    return await _enroll(
        session,
        settings=settings,
        student_id=principal.id,
        course_id=course_id,
        skip_payment_check=False,
    )


async def enroll_student(
    session: AsyncSession,
    *,
    settings: Settings,
    student_id: uuid.UUID,
    course_id: uuid.UUID,
    skip_payment_check: bool = False,
) -> Enrollment:
    """Enroll a student (idempotent: an existing enrollment is returned as it is).

    The payments module calls this after a succeeded payment with
    ``skip_payment_check=True``: then neither the price nor the published state is
    checked, so a paid seat is honoured even if the course was unpublished meanwhile.
    Creates a progress row per lesson and queues the course-enrolled email. If another
    transaction enrolls the same student at the same moment, raises ``AlreadyEnrolled``
    (409); a retry then returns that enrollment."""
    existing = await repository.get_for(session, student_id=student_id, course_id=course_id)
    if existing is not None:
        return existing
    return await _enroll(
        session,
        settings=settings,
        student_id=student_id,
        course_id=course_id,
        skip_payment_check=skip_payment_check,
    )


# Progress and completion


async def update_progress(
    session: AsyncSession,
    *,
    principal: Principal,
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    data: ProgressUpdate,
) -> LessonProgressRead:
    """Record watching/reading: time is added, the position replaced, the lesson moves
    from not_started to in_progress, the enrollment's last access is now. The update
    itself checks ownership; only when it changes nothing is the enrollment read, to
    tell the caller why (404, 403, 409 or a lesson of another course)."""
    now = utcnow()
    progress = await repository.record_progress(
        session,
        enrollment_id=enrollment_id,
        lesson_id=lesson_id,
        seconds=data.time_spent_seconds,
        position=data.last_position_seconds,
        percentage=data.completion_percentage,
        metadata=data.progress_metadata,
        now=now,
        student_id=principal.id,
        labels=courses.lesson_labels,
    )
    if progress is None:
        await _own_enrollment(session, principal, enrollment_id)
        raise LessonNotInCourse()
    if data.time_spent_seconds > 0:
        await repository.log_learning_time(
            session,
            enrollment_id=enrollment_id,
            lesson_id=lesson_id,
            seconds=data.time_spent_seconds,
            now=now,
        )
    await repository.add_time(
        session, enrollment_id=enrollment_id, seconds=data.time_spent_seconds, now=now
    )
    return LessonProgressRead.model_validate(progress)


async def _enrollment_completed(session: AsyncSession, enrollment: Enrollment) -> None:
    course = await courses.get_course_or_raise(session, enrollment.course_id)
    student = await users.get_user_or_raise(session, enrollment.student_id)
    await emails.queue_email(
        session,
        to=student.email,
        template="course_completed",
        context={"full_name": student.full_name, "course_title": course.title},
        dedupe_key=f"course_completed:{enrollment.id}",
    )
    for listener in _completion_listeners:
        await listener(session, enrollment)


async def complete_lesson(
    session: AsyncSession, *, enrollment_id: uuid.UUID, lesson_id: uuid.UUID
) -> None:
    """Mark a lesson of the enrollment completed (idempotent). Completing the last lesson
    completes the enrollment: status ``completed``, ``completed_at``, the
    course-completed email and the completion listeners, exactly once. No ownership
    check: the caller (the quizzes or assignments module) has done it."""
    await _complete_lesson(
        session, enrollment_id=enrollment_id, lesson_id=lesson_id, read=False, student=None
    )


async def _complete_lesson(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    read: bool,
    student: Principal | None,
) -> EnrollmentRead | None:
    """``complete_lesson``, returning the enrollment as read when ``read`` is set (a
    caller that does not need it saves the statements that read it). With ``student``,
    the enrollment must be theirs: the statement that marks the lesson checks that, and
    the enrollment is read only when it marks nothing, to tell why."""
    if student is None:
        enrollment = await get_enrollment_or_raise(session, enrollment_id)
        if enrollment.status not in ACCESS_STATUSES:
            raise EnrollmentClosed()
    now = utcnow()
    counted = None
    if await repository.mark_lesson_completed(
        session,
        enrollment_id=enrollment_id,
        lesson_id=lesson_id,
        now=now,
        student_id=student.id if student is not None else None,
    ):
        # The usual case is one statement: the count, returning the enrollment.
        counted = await repository.count_lesson_completed(
            session, enrollment_id=enrollment_id, now=now, labels=courses.course_label_subqueries
        )
    else:
        if student is not None:  # 404, 403 or 409 unless it is the student's, and open
            await _own_enrollment(session, student, enrollment_id)
        if not await repository.progress_exists(
            session, enrollment_id=enrollment_id, lesson_id=lesson_id
        ):
            raise LessonNotInCourse()
    if counted is not None and not _looks_done(counted):
        return EnrollmentRead.model_validate(counted) if read else None
    # Every lesson done (or the lesson was completed before: lessons may have been
    # deleted since): the conditional update completes the enrollment exactly once.
    completed = await repository.complete_if_done(session, enrollment_id=enrollment_id, now=now)
    if completed is not None:
        await _enrollment_completed(session, completed)
        return await enrollment_read(session, completed) if read else None
    if not read:
        return None
    if counted is not None:  # another request completed it meanwhile
        return EnrollmentRead.model_validate(counted)
    fresh = await repository.get_fresh(session, enrollment_id)
    if fresh is None:
        raise EnrollmentNotFound()
    return await enrollment_read(session, fresh)


def _looks_done(enrollment: Enrollment | Row[*tuple[Any, ...]]) -> bool:
    return (
        enrollment.status == "active"
        and enrollment.total_lessons_count > 0
        and enrollment.completed_lessons_count >= enrollment.total_lessons_count
    )


async def complete_lesson_for(
    session: AsyncSession, *, principal: Principal, enrollment_id: uuid.UUID, lesson_id: uuid.UUID
) -> EnrollmentRead:
    """The enrolled student marks a lesson completed."""
    view = await _complete_lesson(
        session, enrollment_id=enrollment_id, lesson_id=lesson_id, read=True, student=principal
    )
    assert view is not None  # read=True always reads
    return view


async def mark_certificate_issued(
    session: AsyncSession, *, enrollment_id: uuid.UUID, issued_at: datetime | None = None
) -> None:
    """Record when the enrollment's certificate was issued (the first time only)."""
    await repository.set_certificate_issued(
        session, enrollment_id=enrollment_id, issued_at=issued_at or utcnow()
    )


async def drop_enrollment(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> bool:
    """Take an active enrollment's access away (a refunded purchase). A completed
    enrollment stays completed: its certificate was earned. True if it was dropped."""
    return await repository.change_status(
        session,
        student_id=student_id,
        course_id=course_id,
        from_status="active",
        to_status="dropped",
    )


async def reactivate_enrollment(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> bool:
    """Give a dropped enrollment its access back (paid for again). True if it changed."""
    return await repository.change_status(
        session,
        student_id=student_id,
        course_id=course_id,
        from_status="dropped",
        to_status="active",
    )


# Course materials: files attached to a lesson


@files.register_file_access_checker
async def _enrolled_students_read_course_materials(
    session: AsyncSession, principal: Principal, file: files.UploadedFile
) -> bool:
    """A private file attached to a lesson is readable by the course's students."""
    if file.lesson_id is None:
        return False
    lesson = await courses.find_lesson(session, file.lesson_id)
    if lesson is None:
        return False
    enrollment = await repository.get_for(
        session, student_id=principal.id, course_id=lesson.course_id
    )
    return enrollment is not None and enrollment.status in ACCESS_STATUSES


@files.register_lesson_attachment_checker
async def _course_managers_attach_materials(
    session: AsyncSession, principal: Principal, lesson_id: uuid.UUID
) -> bool:
    """Only the lesson's course instructor (or an admin) attaches files to it."""
    lesson = await courses.find_lesson(session, lesson_id)
    if lesson is None:
        return False
    course = await courses.get_course_or_raise(session, lesson.course_id)
    return courses.is_course_owner_or_admin(principal, course)


# Reviews


async def review_enrollment(
    session: AsyncSession, *, principal: Principal, enrollment_id: uuid.UUID, data: ReviewCreate
) -> Enrollment:
    """The enrolled student rates the course (1-5) with an optional text; one review per
    enrollment, replaced when sent again."""
    enrollment = await _own_enrollment(session, principal, enrollment_id)
    await repository.set_review(
        session,
        enrollment_id=enrollment.id,
        rating=data.rating,
        review=data.review,
        now=utcnow(),
    )
    fresh = await repository.get_fresh(session, enrollment.id)
    assert fresh is not None
    return fresh


# Reading


def _read(
    enrollment: Enrollment, course: courses.Course | courses.CourseLabel | None
) -> EnrollmentRead:
    read = EnrollmentRead.model_validate(enrollment)
    if course is not None:
        read.course_title = course.title
        read.course_slug = course.slug
    return read


async def enrollment_read(session: AsyncSession, enrollment: Enrollment) -> EnrollmentRead:
    labels = await courses.course_labels(session, [enrollment.course_id])
    return _read(enrollment, labels.get(enrollment.course_id))


def progress_read(progress: LessonProgress, lesson: courses.Lesson | None) -> LessonProgressRead:
    read = LessonProgressRead.model_validate(progress)
    if lesson is not None:
        read.lesson_title = lesson.title
        read.lesson_order_index = lesson.order_index
    return read


async def progress_view(session: AsyncSession, progress: LessonProgress) -> LessonProgressRead:
    lesson = await courses.get_lesson_or_raise(session, progress.lesson_id)
    return progress_read(progress, lesson)


async def get_enrollment_detail(
    session: AsyncSession, *, principal: Principal, enrollment_id: uuid.UUID
) -> EnrollmentDetail:
    """The enrollment with every lesson's progress, in course order (its student, the
    course's instructor, admins)."""
    enrollment = await _visible_enrollment(session, principal, enrollment_id)
    course = await courses.get_course_or_raise(session, enrollment.course_id)
    rows = await repository.progress_of(session, enrollment.id)
    lessons = await courses.get_lessons(session, [row.lesson_id for row in rows])
    progress = sorted(
        (progress_read(row, lessons.get(row.lesson_id)) for row in rows),
        key=lambda p: (p.lesson_order_index or 0, str(p.lesson_id)),
    )
    return EnrollmentDetail(**_read(enrollment, course).model_dump(), lesson_progress=progress)


async def list_my_enrollments(
    session: Executor, *, principal: Principal, status: str | None, page: PageParams
) -> Page[EnrollmentRead]:
    """The caller's enrollments, newest first, with course title, slug and progress."""
    rows, total = await repository.labelled_page_for_student(
        session,
        principal.id,
        labels=courses.with_course_labels,
        status=status,
        offset=page.offset,
        limit=page.page_size,
    )
    return Page[EnrollmentRead](
        items=[EnrollmentRead.model_validate(row._asdict()) for row in rows],
        total=total,
        page=page.page,
        page_size=page.page_size,
    )


async def list_course_enrollments(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    status: str | None,
    page: PageParams,
) -> Page[CourseEnrollmentRead]:
    """A course's enrollments with the students' names and emails (owner or admin)."""
    course = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id
    )
    rows, total = await repository.page_for_course(
        session, course.id, status=status, offset=page.offset, limit=page.page_size
    )
    students = await users.get_users(session, [row.student_id for row in rows])
    items = []
    for row in rows:
        student = students.get(row.student_id)
        items.append(
            CourseEnrollmentRead(
                **_read(row, course).model_dump(),
                student_name=student.full_name if student else None,
                student_email=student.email if student else None,
            )
        )
    return Page[CourseEnrollmentRead](
        items=items, total=total, page=page.page, page_size=page.page_size
    )


async def course_stats(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID
) -> CourseEnrollmentStats:
    """Counts by status, average progress and rating, completion rate (owner or admin),
    computed in SQL."""
    course = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id
    )
    row = await repository.course_stats(
        session, course.id, active_since=utcnow() - timedelta(days=ACTIVE_STUDENT_DAYS)
    )
    total = int(row["total"])
    completed = int(row["completed"])
    time_spent = int(row["time"])
    return CourseEnrollmentStats(
        course_id=course.id,
        total_enrollments=total,
        by_status=StatusCounts(
            active=int(row["active"]),
            completed=completed,
            dropped=int(row["dropped"]),
            expired=int(row["expired"]),
        ),
        active_students=int(row["recent"]),
        completed_enrollments=completed,
        completion_rate=round(completed * 100 / total, 2) if total else 0.0,
        average_progress=round(float(row["average_progress"] or 0), 2),
        average_rating=(
            round(float(row["average_rating"]), 2) if row["average_rating"] is not None else None
        ),
        ratings_count=int(row["ratings"]),
        total_time_spent_seconds=time_spent,
        average_time_spent_seconds=round(time_spent / total, 2) if total else 0.0,
    )


# Hooks into the courses module


@courses.register_enrollment_condition
def _has_course_access(user_id: Any, course_id: Any) -> ColumnElement[bool]:
    return repository.access_condition(user_id, course_id)


@courses.on_lesson_created
async def _add_lesson_to_enrollments(session: AsyncSession, lesson: courses.Lesson) -> None:
    enrollment_ids = await repository.enrollment_ids_of_course(session, lesson.course_id)
    await repository.add_progress_rows(session, [(eid, lesson.id) for eid in enrollment_ids])
    await repository.add_lessons_to_totals(session, lesson.course_id, 1)


@courses.on_lesson_deleted
async def _recount_after_lesson_deleted(
    session: AsyncSession, course_id: uuid.UUID, _lesson_id: uuid.UUID
) -> None:
    # The progress rows went with the lesson (foreign key cascade). Lock, then recount,
    # so progress committed by concurrent requests is counted; an enrollment whose only
    # missing lesson was the deleted one is now complete.
    await repository.lock_enrollments_of_course(session, course_id)
    await repository.recount_course(session, course_id)
    for enrollment_id in await repository.finish_completed(
        session, now=utcnow(), course_id=course_id
    ):
        enrollment = await repository.get_fresh(session, enrollment_id)
        assert enrollment is not None
        await _enrollment_completed(session, enrollment)


@courses.on_course_deleting
async def _refuse_if_enrolled(session: AsyncSession, course: courses.Course) -> None:
    if await repository.count_for_course(session, course.id) > 0:
        raise CourseHasEnrollments()


# Periodic emails


@jobs.periodic(WEEKLY_PROGRESS_JOB, every_seconds=7 * 86_400)
async def send_weekly_progress(session: AsyncSession) -> None:
    """Each student with an open enrollment or activity this week gets one summary per
    ISO week (the outbox dedupe key makes a second run that week a no-op)."""
    now = utcnow()
    year, week, _ = now.isocalendar()
    enrollments, completed, seconds = await repository.weekly_activity(
        session, since=now - timedelta(days=7)
    )
    by_student: dict[uuid.UUID, list[Enrollment]] = defaultdict(list)
    for enrollment in enrollments:
        by_student[enrollment.student_id].append(enrollment)
    students = await users.get_users(session, list(by_student))
    course_map = await courses.get_courses(session, [e.course_id for e in enrollments])
    for student_id, items in by_student.items():
        student = students.get(student_id)
        if student is None or not student.is_active:
            continue
        summary = [
            {"title": course_map[e.course_id].title, "progress": float(e.progress_percentage)}
            for e in items
            if e.course_id in course_map
        ]
        await emails.queue_email(
            session,
            to=student.email,
            template="weekly_progress",
            context={
                "full_name": student.full_name,
                "lessons_completed": completed.get(student_id, 0),
                "minutes_spent": seconds.get(student_id, 0) // 60,
                "courses": summary,
            },
            dedupe_key=f"weekly_progress:{student_id}:{year}-W{week:02d}",
        )


@jobs.periodic(COURSE_REMINDER_JOB, every_seconds=86_400)
async def send_course_reminders(session: AsyncSession) -> None:
    """Students who have not opened an active enrollment for ``LMS_REMINDER_INACTIVE_DAYS``
    get a reminder, at most one per enrollment per period of that many days (outbox
    dedupe key ``reminder:<enrollment>:<period>``), so running the job twice sends
    nothing new."""
    settings = get_settings()
    days = max(1, settings.reminder_inactive_days)
    now = utcnow()
    period = now.date().toordinal() // days
    candidates = await repository.inactive_enrollments(session, before=now - timedelta(days=days))
    course_map = await courses.get_courses(session, [e.course_id for e in candidates])
    students = await users.get_users(session, [e.student_id for e in candidates])
    for enrollment in candidates:
        course = course_map.get(enrollment.course_id)
        student = students.get(enrollment.student_id)
        if course is None or not course.is_published or student is None or not student.is_active:
            continue
        idle_since = enrollment.last_accessed_at or enrollment.enrolled_at
        await emails.queue_email(
            session,
            to=student.email,
            template="course_reminder",
            context={
                "full_name": student.full_name,
                "course_title": course.title,
                "days": (now - idle_since).days,
                "progress": float(enrollment.progress_percentage),
                "course_url": _course_url(settings, course),
            },
            dedupe_key=f"reminder:{enrollment.id}:{period}",
        )
