"""Assignments: students hand in work for lessons of type ``assignment``; the course's
instructor or an admin grades it, and passed work completes its lesson (the grade is
published as ``AssignmentGraded``; the enrollments module completes the lesson).

A student may resubmit (the same row is updated and ``submission_count`` goes up) until
the work is graded. A lesson may set a passing threshold in its metadata
(``lesson_metadata.passing_score``, 0-100): a grade below it does not complete the
lesson and reopens the assignment for resubmission. Without a threshold any grade
completes the lesson.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from lms.core import events
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from lms.modules import courses, enrollments, files, schedules
from lms.modules.assignments import repository
from lms.modules.assignments.events import AssignmentGraded, AssignmentSubmitted
from lms.modules.assignments.models import AssignmentSubmission
from lms.modules.assignments.schemas import SubmissionCreate, SubmissionGrade


class SubmissionNotFound(NotFound):
    code = "submission_not_found"
    detail = "No submission with this id."


class NotAnAssignment(RuleViolation):
    code = "not_an_assignment"
    detail = "Only lessons of type assignment take submissions."


class NotEnrolled(Forbidden):
    code = "not_enrolled"
    detail = "Only students enrolled in this course can submit work."


class FileNotYours(RuleViolation):
    code = "file_not_yours"
    detail = "Hand in a file you uploaded yourself (POST /files/upload)."


async def _check_handed_in_file(
    session: AsyncSession, *, principal: Principal, file_id: uuid.UUID | None
) -> None:
    if file_id is None:
        return
    file = await files.get_readable_file_or_raise(session, principal=principal, file_id=file_id)
    if file.uploader_id != principal.id:
        raise FileNotYours()


async def graders_read_handed_in_files(
    session: AsyncSession, question: files.FileReadAsked
) -> bool:
    """Those who teach a student (``enrollments.teaches_student``) read the files the
    student hands in (an answer to the files module's question, subscribed in
    ``lms/wiring.py``)."""
    principal = question.principal
    for course_id, student_id in await repository.handed_in_with_file(session, question.file_id):
        course = await courses.get_course_or_raise(session, course_id)
        if await enrollments.teaches_student(
            session, principal=principal, course=course, student_id=student_id
        ):
            return True
    return False


class SubmissionGraded(Conflict):
    code = "submission_graded"
    detail = "This assignment has been graded; it can no longer be resubmitted."


class SubmissionChanged(Conflict):
    code = "submission_changed"
    detail = "The submission changed meanwhile; retry."


@dataclass(frozen=True)
class LessonContext:
    lesson: courses.LessonSummary
    course: courses.CourseSummary
    access: courses.CourseAccess


async def _lesson_context(
    session: AsyncSession, *, principal: Principal, lesson_id: uuid.UUID
) -> LessonContext:
    lesson = await courses.get_lesson_or_raise(session, lesson_id)
    try:
        course = await courses.get_visible_course_or_raise(
            session, principal=principal, course_id=lesson.course_id
        )
    except NotFound as exc:
        raise NotFound("No lesson with this id.", code="lesson_not_found") from exc
    access = await courses.course_access(session, principal, course)
    return LessonContext(lesson=lesson, course=course, access=access)


async def _lateness(
    session: AsyncSession, *, lesson_id: uuid.UUID, student_id: uuid.UUID, at: datetime
) -> schedules.Lateness:
    """Whether work handed in now is late and its penalty, by the lesson's schedule (one
    indexed statement): 409 ``not_yet_available`` before it opens, 409 ``past_due``
    after it closes under the ``refuse`` policy."""
    schedule = await schedules.schedule_for_student(
        session, item_type="assignment", item_id=lesson_id, student_id=student_id
    )
    if schedule is None:
        return schedules.Lateness(is_late=False, penalty_percent=None)
    schedule.check_hand_in(at)
    return schedule.lateness(at)


async def scheduled_lesson(
    session: AsyncSession, *, principal: Principal, lesson_id: uuid.UUID
) -> schedules.ScheduledItem:
    """An assignment lesson as the schedule routes need it: 404 if the caller cannot see
    its course, 422 ``not_an_assignment`` for another kind of lesson."""
    context = await _lesson_context(session, principal=principal, lesson_id=lesson_id)
    if context.lesson.lesson_type != "assignment":
        raise NotAnAssignment()
    return schedules.ScheduledItem(
        item=schedules.ItemRef(
            item_type="assignment",
            item_id=context.lesson.id,
            course_id=context.course.id,
            title=context.lesson.title,
        ),
        access=context.access,
    )


def assignment_handed_in(condition: schedules.WorkHandedIn) -> ColumnElement[bool]:
    """The schedules module's ``WorkHandedIn`` for assignment lessons: a submission."""
    return and_(
        _is(condition.item_type, "assignment"),
        repository.handed_in(condition.item_id, condition.student_id),
    )


def assignment_listed(condition: schedules.ItemListed) -> ColumnElement[bool]:
    """The schedules module's ``ItemListed`` for assignment lessons: the lesson exists."""
    return and_(
        _is(condition.item_type, "assignment"),
        courses.lesson_title(condition.item_id).is_not(None),
    )


def _is(column: Any, value: str) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column == value
    return result


def passing_score_of(lesson: courses.LessonSummary) -> Decimal | None:
    """The lesson's passing threshold (``lesson_metadata.passing_score``), if it sets one."""
    metadata = lesson.lesson_metadata or {}
    raw = metadata.get("passing_score") if isinstance(metadata, dict) else None
    if raw is None or isinstance(raw, bool):
        return None
    try:
        threshold = Decimal(str(raw))
    except InvalidOperation:
        return None
    return threshold if 0 <= threshold <= 100 else None


async def submit_assignment(
    session: AsyncSession, *, principal: Principal, lesson_id: uuid.UUID, data: SubmissionCreate
) -> tuple[AssignmentSubmission, bool]:
    """Hand in (or replace) the caller's work for an assignment lesson. Returns the
    submission and whether it is the first one. 403 ``lesson_locked`` while drip
    release keeps the lesson locked for the student."""
    context = await _lesson_context(session, principal=principal, lesson_id=lesson_id)
    if context.lesson.lesson_type != "assignment":
        raise NotAnAssignment()
    enrollment = await enrollments.get_enrollment_for(
        session, student_id=principal.id, course_id=context.course.id
    )
    if enrollment is None or not enrollment.gives_access:
        raise NotEnrolled()
    await courses.require_lesson_unlocked(session, student_id=principal.id, lesson_id=lesson_id)
    await _check_handed_in_file(session, principal=principal, file_id=data.file_id)
    at = schedules.now()
    lateness = await _lateness(session, lesson_id=lesson_id, student_id=principal.id, at=at)
    existing = await repository.get_for_student(
        session, enrollment_id=enrollment.id, lesson_id=lesson_id, lock=True
    )
    if existing is None:
        submission = AssignmentSubmission(
            lesson_id=lesson_id,
            course_id=context.course.id,
            enrollment_id=enrollment.id,
            student_id=principal.id,
            text=data.text,
            file_id=data.file_id,
            status="submitted",
            submission_count=1,
            submitted_at=at,
            is_late=lateness.is_late,
            late_penalty_percent=lateness.penalty_percent,
        )
        try:
            async with session.begin_nested():
                session.add(submission)
                await session.flush()
            await _submitted(session, submission)
            return submission, True
        except IntegrityError:
            # The same student's two first submissions raced: update the winner's row.
            existing = await repository.get_for_student(
                session, enrollment_id=enrollment.id, lesson_id=lesson_id, lock=True
            )
            if existing is None:
                raise SubmissionChanged() from None
    submission = await _resubmit(session, existing, data, at=at, lateness=lateness)
    await _submitted(session, submission)
    return submission, False


async def _submitted(session: AsyncSession, submission: AssignmentSubmission) -> None:
    await events.publish(
        session,
        AssignmentSubmitted(
            submission_id=submission.id,
            lesson_id=submission.lesson_id,
            course_id=submission.course_id,
            enrollment_id=submission.enrollment_id,
            student_id=submission.student_id,
            submission_count=submission.submission_count,
            submitted_at=submission.submitted_at,
        ),
    )


async def _resubmit(
    session: AsyncSession,
    submission: AssignmentSubmission,
    data: SubmissionCreate,
    *,
    at: datetime,
    lateness: schedules.Lateness,
) -> AssignmentSubmission:
    if submission.status == "graded" and submission.is_passed is not False:
        raise SubmissionGraded()
    submission.text = data.text
    submission.file_id = data.file_id
    submission.status = "submitted"
    submission.score = None
    submission.is_passed = None
    submission.graded_at = None
    submission.submission_count += 1
    submission.submitted_at = at
    submission.is_late = lateness.is_late
    submission.late_penalty_percent = lateness.penalty_percent
    try:
        await session.flush()
    except StaleDataError as exc:
        raise SubmissionChanged() from exc
    return submission


async def list_lesson_submissions(
    session: AsyncSession,
    *,
    principal: Principal,
    lesson_id: uuid.UUID,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[list[AssignmentSubmission], int]:
    """Every student's submission for a lesson (the course's team, admins; an assistant
    of some cohorts sees their students' only)."""
    context = await _lesson_context(session, principal=principal, lesson_id=lesson_id)
    access = context.access
    courses.authorize(courses.CoursePolicy.read_roster(access))
    cohorts = access.cohort_ids if access.role == "assistant" else None
    return await repository.page(
        session,
        lesson_id=lesson_id,
        status=status,
        offset=offset,
        limit=limit,
        among=functools.partial(
            enrollments.student_in_cohorts, course_id=context.course.id, cohort_ids=cohorts
        )
        if cohorts
        else None,
    )


async def get_my_lesson_submission(
    session: AsyncSession, *, principal: Principal, lesson_id: uuid.UUID
) -> AssignmentSubmission:
    """The caller's submission for a lesson; 404 when there is none."""
    context = await _lesson_context(session, principal=principal, lesson_id=lesson_id)
    enrollment = await enrollments.get_enrollment_for(
        session, student_id=principal.id, course_id=context.course.id
    )
    submission = (
        None
        if enrollment is None
        else await repository.get_for_student(
            session, enrollment_id=enrollment.id, lesson_id=lesson_id
        )
    )
    if submission is None:
        raise SubmissionNotFound("You have not submitted work for this lesson.")
    return submission


async def list_my_submissions(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID | None,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[list[AssignmentSubmission], int]:
    """The caller's own submissions, newest first."""
    return await repository.page(
        session,
        student_id=principal.id,
        course_id=course_id,
        status=status,
        offset=offset,
        limit=limit,
    )


async def get_submission(
    session: AsyncSession, *, principal: Principal, submission_id: uuid.UUID
) -> AssignmentSubmission:
    """A submission for its student and those who teach the student; 404 for anyone
    else."""
    submission = await repository.get(session, submission_id)
    if submission is None:
        raise SubmissionNotFound()
    if submission.student_id != principal.id:
        course = await courses.get_course_or_raise(session, submission.course_id)
        if not await enrollments.teaches_student(
            session, principal=principal, course=course, student_id=submission.student_id
        ):
            raise SubmissionNotFound()
    return submission


async def grade_submission(
    session: AsyncSession,
    *,
    principal: Principal,
    submission_id: uuid.UUID,
    data: SubmissionGrade,
) -> AssignmentSubmission:
    """Grade a submission (those who teach the student: the course's owner,
    co-instructors, its assistants, admins): a score from 0 to 100 and
    feedback. A passing grade completes the lesson for the student (see the module
    docstring); grading again replaces the grade."""
    submission = await repository.get_for_update(session, submission_id)
    if submission is None:
        raise SubmissionNotFound()
    course = await courses.get_course_or_raise(session, submission.course_id)
    if not await enrollments.teaches_student(
        session, principal=principal, course=course, student_id=submission.student_id
    ):
        if submission.student_id == principal.id:
            courses.authorize(False, "A student does not grade their own work.")
        raise SubmissionNotFound()
    lesson = await courses.get_lesson_or_raise(session, submission.lesson_id)
    threshold = passing_score_of(lesson)
    # A late penalty (the lesson's schedule) cuts the grade given; the pass is judged on
    # what is left.
    score = schedules.Lateness(
        is_late=submission.is_late, penalty_percent=submission.late_penalty_percent
    ).apply(data.score)
    passed = threshold is None or score >= threshold
    previous_score = submission.score
    submission.score = score
    submission.feedback = data.feedback
    submission.is_passed = passed
    submission.status = "graded"
    submission.graded_at = utcnow()
    submission.graded_by_id = principal.id
    try:
        await session.flush()
    except StaleDataError as exc:
        raise SubmissionChanged() from exc
    await events.publish(
        session,
        AssignmentGraded(
            submission_id=submission.id,
            lesson_id=submission.lesson_id,
            course_id=submission.course_id,
            enrollment_id=submission.enrollment_id,
            student_id=submission.student_id,
            score=score,
            passed=passed,
            graded_by_id=principal.id,
            previous_score=previous_score,
        ),
    )
    return submission


def graded_submission_scores(course_id: uuid.UUID) -> Subquery:
    """The gradebook's reading of assignments: a selectable for another module's
    statement, one row per graded submission of the course (work handed in again and
    not yet regraded is not listed), with these columns:

    - ``submission_id`` (UUID), ``enrollment_id`` (UUID), ``lesson_id`` (UUID, the
      assignment lesson);
    - ``score`` (NUMERIC(5,2), 0-100, never NULL): the grade, before any late penalty;
    - ``is_late`` (boolean) and ``late_penalty_percent`` (NUMERIC(5,2), NULL for none).
    """
    return repository.graded_submission_scores(course_id)
