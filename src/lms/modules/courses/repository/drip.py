"""Drip release: the statements behind unlock rules and prerequisites."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    insert,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.courses.models import Cohort, Course, Lesson, LessonPrerequisite

_COURSES = cast(Table, Course.__table__)
_LESSONS = cast(Table, Lesson.__table__)
_PREREQUISITES = cast(Table, LessonPrerequisite.__table__)
_COHORTS = cast(Table, Cohort.__table__)


def has_prerequisites(lesson_id: ColumnExpressionArgument[uuid.UUID]) -> ColumnElement[bool]:
    """Has the lesson any prerequisite (an EXISTS on the primary key's first column)?"""
    return exists().where(_PREREQUISITES.c.lesson_id == lesson_id)


def lesson_is_gated(lesson_id: ColumnExpressionArgument[uuid.UUID]) -> ColumnElement[bool]:
    """Has the lesson whose id is in ``lesson_id`` any unlock rule that may lock it (a
    date, a prerequisite, its course taken in order)? False for a preview lesson and
    for NULL. An EXISTS on the lesson's primary key."""
    lessons = _LESSONS
    return (
        select(lessons.c.id)
        .where(
            lessons.c.id == lesson_id,
            _COURSES.c.id == lessons.c.course_id,
            lessons.c.is_preview.is_(False),
            or_(
                lessons.c.unlock_at.is_not(None),
                lessons.c.unlock_after_days.is_not(None),
                _COURSES.c.lessons_in_order.is_(True),
                has_prerequisites(lessons.c.id),
            ),
        )
        # Its own lessons and courses, even inside a statement that reads them too.
        .correlate_except(lessons, _COURSES)
        .exists()
    )


CourseExpression = Callable[[ColumnElement[uuid.UUID]], ColumnElement[Any]]
LessonExpression = Callable[
    [ColumnElement[uuid.UUID], ColumnElement[uuid.UUID]], ColumnElement[bool]
]


def drip_statement(
    *,
    done: LessonExpression,
    started_at: CourseExpression,
    cohort_id: CourseExpression,
    by_lesson: bool,
) -> Select[Any]:
    """Every lesson of a course in order (the course ``:course_id``, or with
    ``by_lesson`` the course of the lesson ``:lesson_id``) with its unlock rules, one
    row per prerequisite (``prerequisite_id``, NULL for none), and whether the user
    ``:user_id`` completed it (``done``, given the course and lesson columns); in every
    row the course's ``lessons_in_order``, the user's ``started_at`` and the start date
    of their cohort (``cohort_starts_on``), both given the course column."""
    lessons = _LESSONS
    course_id = lessons.c.course_id
    if by_lesson:
        named = _LESSONS.alias("named_lesson")
        of_course = course_id == (
            select(named.c.course_id).where(named.c.id == bindparam("lesson_id")).scalar_subquery()
        )
    else:
        of_course = course_id == bindparam("course_id")
    return (
        select(
            lessons.c.id,
            lessons.c.is_preview,
            lessons.c.unlock_at,
            lessons.c.unlock_after_days,
            lessons.c.unlock_relative_to,
            _PREREQUISITES.c.prerequisite_id,
            done(course_id, lessons.c.id).label("done"),
            _COURSES.c.lessons_in_order,
            started_at(course_id).label("started_at"),
            _COHORTS.c.starts_on.label("cohort_starts_on"),
        )
        .select_from(
            lessons.join(_COURSES, _COURSES.c.id == course_id)
            .outerjoin(_PREREQUISITES, _PREREQUISITES.c.lesson_id == lessons.c.id)
            .outerjoin(
                _COHORTS,
                and_(_COHORTS.c.id == cohort_id(course_id), _COHORTS.c.course_id == course_id),
            )
        )
        .where(of_course)
        .order_by(lessons.c.order_index, lessons.c.created_at, lessons.c.id)
    )


def dated_unlocks_statement(
    *, started_at: CourseExpression, cohort_id: CourseExpression
) -> Select[Any]:
    """The lessons with an unlock date rule (not previews) of every course in which the
    user ``:user_id`` has access (``started_at`` not NULL), with their course's title,
    the user's ``started_at`` and their cohort's ``cohort_starts_on``."""
    lessons = _LESSONS
    course_id = lessons.c.course_id
    started = started_at(course_id)
    return (
        select(
            lessons.c.id,
            lessons.c.title,
            lessons.c.course_id,
            _COURSES.c.title.label("course_title"),
            lessons.c.unlock_at,
            lessons.c.unlock_after_days,
            lessons.c.unlock_relative_to,
            started.label("started_at"),
            _COHORTS.c.starts_on.label("cohort_starts_on"),
        )
        .select_from(
            lessons.join(_COURSES, _COURSES.c.id == course_id).outerjoin(
                _COHORTS,
                and_(_COHORTS.c.id == cohort_id(course_id), _COHORTS.c.course_id == course_id),
            )
        )
        .where(
            or_(lessons.c.unlock_at.is_not(None), lessons.c.unlock_after_days.is_not(None)),
            lessons.c.is_preview.is_(False),
            started.is_not(None),
        )
    )


async def prerequisites_of_course(
    session: AsyncSession | Any, course_id: uuid.UUID
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Lesson id -> its prerequisites' ids, for the lessons of the course that have any."""
    rows = await session.execute(
        select(_PREREQUISITES.c.lesson_id, _PREREQUISITES.c.prerequisite_id)
        .join(_LESSONS, _LESSONS.c.id == _PREREQUISITES.c.lesson_id)
        .where(_LESSONS.c.course_id == course_id)
        .order_by(_PREREQUISITES.c.lesson_id, _PREREQUISITES.c.prerequisite_id)
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for lesson_id, prerequisite_id in rows:
        found.setdefault(lesson_id, []).append(prerequisite_id)
    return found


async def prerequisites_of_lesson(session: Any, lesson_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(_PREREQUISITES.c.prerequisite_id)
            .where(_PREREQUISITES.c.lesson_id == lesson_id)
            .order_by(_PREREQUISITES.c.prerequisite_id)
        )
    )


async def set_prerequisites(
    session: AsyncSession, lesson_id: uuid.UUID, prerequisite_ids: Iterable[uuid.UUID]
) -> None:
    """Replace the lesson's prerequisites."""
    await session.execute(delete(_PREREQUISITES).where(_PREREQUISITES.c.lesson_id == lesson_id))
    rows = [{"lesson_id": lesson_id, "prerequisite_id": p} for p in dict.fromkeys(prerequisite_ids)]
    if rows:
        await session.execute(insert(_PREREQUISITES), rows)


async def lesson_order_and_prerequisites(
    session: AsyncSession, course_id: uuid.UUID
) -> tuple[list[uuid.UUID], list[tuple[uuid.UUID, uuid.UUID]], bool]:
    """The course's lesson ids in order, its (lesson, prerequisite) pairs and whether it
    is taken in order: what the cycle check reads."""
    order = list(
        await session.scalars(
            select(_LESSONS.c.id)
            .where(_LESSONS.c.course_id == course_id)
            .order_by(_LESSONS.c.order_index, _LESSONS.c.created_at, _LESSONS.c.id)
        )
    )
    pairs = await prerequisites_of_course(session, course_id)
    in_order = bool(
        await session.scalar(select(_COURSES.c.lessons_in_order).where(_COURSES.c.id == course_id))
    )
    return order, [(lesson, p) for lesson, ps in pairs.items() for p in ps], in_order
