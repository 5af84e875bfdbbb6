"""The courses module's hooks, registered at import time by the modules that plug in:
enrollments says who is enrolled and keeps progress in step with the lessons; enrollments
and payments may refuse a course's deletion. Through them this module never imports
theirs. Each hook runs in the order it was registered.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import ColumnElement, Executable, bindparam, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.courses import repository
from lms.modules.courses.models import Course, Lesson

EnrollmentCondition = Callable[[Any, Any], ColumnElement[bool]]
LessonCreatedListener = Callable[[AsyncSession, Lesson], Awaitable[None]]
LessonDeletedListener = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[None]]
CourseDeletionGuard = Callable[[AsyncSession, Course], Awaitable[None]]

_enrollment_conditions: list[EnrollmentCondition] = []
# Statements that embed the enrollment conditions, composed at first use.
_access_statements: dict[str, Executable] = {}
_lesson_created_listeners: list[LessonCreatedListener] = []
_lesson_deleted_listeners: list[LessonDeletedListener] = []
_course_deletion_guards: list[CourseDeletionGuard] = []


def register_enrollment_condition(condition: EnrollmentCondition) -> EnrollmentCondition:
    """``condition(user_id, course_id)``: a SQL condition (an ``EXISTS``) that is true
    when the user is enrolled with access to the material; any condition true grants
    access. A condition rather than a query, so that reading a lesson checks access in
    the statement that reads it."""
    if condition not in _enrollment_conditions:
        _enrollment_conditions.append(condition)
        _access_statements.clear()
    return condition


def _enrolled(user_id: Any, course_id: Any) -> ColumnElement[bool]:
    if not _enrollment_conditions:
        return false()
    return or_(*(condition(user_id, course_id) for condition in _enrollment_conditions))


def access_statement(name: str) -> Executable:
    """``is_enrolled`` or ``lesson_with_course`` with every registered enrollment
    condition in it, composed at first use (again after a new registration)."""
    statement: Executable | None = _access_statements.get(name)
    if statement is None:
        if name == "is_enrolled":
            statement = select(_enrolled(bindparam("user_id"), bindparam("course_id")))
        else:
            statement = repository.lesson_with_course_statement(
                _enrolled(bindparam("user_id"), Course.id)
            )
        _access_statements[name] = statement
    return statement


def on_lesson_created(listener: LessonCreatedListener) -> LessonCreatedListener:
    """``listener(session, lesson)`` runs in the transaction that added the lesson,
    with the course row locked."""
    if listener not in _lesson_created_listeners:
        _lesson_created_listeners.append(listener)
    return listener


def on_lesson_deleted(listener: LessonDeletedListener) -> LessonDeletedListener:
    """``listener(session, course_id, lesson_id)`` runs in the transaction that deleted
    the lesson, after the row is gone."""
    if listener not in _lesson_deleted_listeners:
        _lesson_deleted_listeners.append(listener)
    return listener


def on_course_deleting(guard: CourseDeletionGuard) -> CourseDeletionGuard:
    """``guard(session, course)`` runs before a course is deleted; it refuses by raising
    (for example ``Conflict`` when students are enrolled)."""
    if guard not in _course_deletion_guards:
        _course_deletion_guards.append(guard)
    return guard


async def run_lesson_created_listeners(session: AsyncSession, lesson: Lesson) -> None:
    """Every ``on_lesson_created`` listener, in the transaction that added ``lesson``."""
    for listener in _lesson_created_listeners:
        await listener(session, lesson)


async def run_lesson_deleted_listeners(
    session: AsyncSession, course_id: uuid.UUID, lesson_id: uuid.UUID
) -> None:
    """Every ``on_lesson_deleted`` listener, after the lesson's row is gone."""
    for listener in _lesson_deleted_listeners:
        await listener(session, course_id, lesson_id)


async def run_course_deletion_guards(session: AsyncSession, course: Course) -> None:
    """Every ``on_course_deleting`` guard; the first that refuses raises."""
    for guard in _course_deletion_guards:
        await guard(session, course)
