"""What other modules may put of a course or a lesson into their own statements: named,
typed SQL expressions over a column (or bound parameter) holding the id, each a scalar
subquery correlated to that column. A list that shows course titles stays one
statement this way, and the courses tables stay this module's business."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnExpressionArgument, ScalarSelect

from lms.modules.courses import repository

CourseId = ColumnExpressionArgument[uuid.UUID]
LessonId = ColumnExpressionArgument[uuid.UUID]


def course_title(course_id: CourseId) -> ScalarSelect[str]:
    """The title of the course whose id is in ``course_id`` (NULL if there is none)."""
    return repository.course_column("title", course_id)


def course_slug(course_id: CourseId) -> ScalarSelect[str]:
    """The slug of the course whose id is in ``course_id`` (NULL if there is none)."""
    return repository.course_column("slug", course_id)


def course_is_published(course_id: CourseId) -> ScalarSelect[bool]:
    """Whether the course whose id is in ``course_id`` is published, so that anyone may
    see it (NULL if there is none)."""
    return repository.course_column("is_published", course_id)


def lesson_title(lesson_id: LessonId) -> ScalarSelect[str]:
    """The title of the lesson whose id is in ``lesson_id`` (NULL if there is none)."""
    return repository.lesson_column("title", lesson_id)


def lesson_order_index(lesson_id: LessonId) -> ScalarSelect[int]:
    """The position in its course of the lesson whose id is in ``lesson_id`` (NULL if
    there is none)."""
    return repository.lesson_column("order_index", lesson_id)
