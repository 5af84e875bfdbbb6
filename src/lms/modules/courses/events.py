"""What the courses module tells other modules (events) and asks them (conditions and
lookups in SQL).

Published inside the transaction of the change, with the course row locked, so a
subscriber's writes commit or roll back with it (see ``lms.core.events``). The modules
that react are listed in ``lms/wiring.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ColumnExpressionArgument

from lms.core.events import Condition, Event, Lookup


@dataclass(frozen=True, kw_only=True, slots=True)
class LessonCreated(Event):
    """A lesson was added to a course (published or not)."""

    name: ClassVar[str] = "lesson.created.v1"
    course_id: uuid.UUID
    lesson_id: uuid.UUID


@dataclass(frozen=True, kw_only=True, slots=True)
class LessonDeleted(Event):
    """A lesson was deleted; its row is gone (and with it, by the foreign keys, every
    row that pointed at it and asked to be deleted along)."""

    name: ClassVar[str] = "lesson.deleted.v1"
    course_id: uuid.UUID
    lesson_id: uuid.UUID


@dataclass(frozen=True, kw_only=True, slots=True)
class CourseDeleting(Event):
    """A course is about to be deleted with its lessons. A guard: a subscriber refuses
    the deletion by raising an ``AppError`` (a ``Conflict`` while students are enrolled
    or have paid); nothing is deleted then."""

    name: ClassVar[str] = "course.deleting.v1"
    course_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class MaterialAccess(Condition):
    """Does this user have access to this course's material (the content of every
    lesson, and a draft course itself) through something another module keeps, such
    as an enrollment? Answered in SQL, inside the statement that reads the lesson; the
    fields are column expressions or bound parameters."""

    name: ClassVar[str] = "course.material_access.v1"
    user_id: ColumnExpressionArgument[uuid.UUID]
    course_id: ColumnExpressionArgument[uuid.UUID]


@dataclass(frozen=True, kw_only=True)
class LessonDone(Condition):
    """Has this user completed this lesson of this course (drip release: prerequisites
    and lessons taken in order)? Answered in SQL; the fields are column expressions or
    bound parameters."""

    name: ClassVar[str] = "course.lesson_done.v1"
    user_id: ColumnExpressionArgument[uuid.UUID]
    course_id: ColumnExpressionArgument[uuid.UUID]
    lesson_id: ColumnExpressionArgument[uuid.UUID]


@dataclass(frozen=True, kw_only=True)
class LearnerStartedAt(Lookup):
    """When did this user's access to this course's material start (their enrollment's
    date)? NULL when they have no such access. What ``unlock_after_days`` counts from."""

    name: ClassVar[str] = "course.learner_started_at.v1"
    user_id: ColumnExpressionArgument[uuid.UUID]
    course_id: ColumnExpressionArgument[uuid.UUID]


@dataclass(frozen=True, kw_only=True)
class LearnerCohort(Lookup):
    """Which of this course's cohorts is this user in (NULL: none)? The cohort's start
    date is what ``unlock_relative_to: cohort_start`` counts from."""

    name: ClassVar[str] = "course.learner_cohort.v1"
    user_id: ColumnExpressionArgument[uuid.UUID]
    course_id: ColumnExpressionArgument[uuid.UUID]


@dataclass(frozen=True, kw_only=True, slots=True)
class CoursePublished(Event):
    """A draft course was published (published once per change, not on a repeat)."""

    name: ClassVar[str] = "course.published.v1"
    course_id: uuid.UUID
    instructor_id: uuid.UUID
    title: str
    slug: str
    price: Decimal
    currency: str
    published_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class CourseUnpublished(Event):
    """A published course went back to draft (its enrollments are kept)."""

    name: ClassVar[str] = "course.unpublished.v1"
    course_id: uuid.UUID
    instructor_id: uuid.UUID
    title: str
    slug: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CourseStaffChanged(Event):
    """A course's team changed: a member added (``role_before`` None), its role or
    cohorts changed, or removed (``role_after`` None)."""

    name: ClassVar[str] = "course.staff_changed.v1"
    course_id: uuid.UUID
    user_id: uuid.UUID
    role_before: str | None
    role_after: str | None
    cohort_ids_before: tuple[uuid.UUID, ...] = ()
    cohort_ids_after: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class CourseOwnershipTransferred(Event):
    """A co-instructor became the course's owner; the former owner stays on the team
    as a co-instructor."""

    name: ClassVar[str] = "course.ownership_transferred.v1"
    course_id: uuid.UUID
    previous_owner_id: uuid.UUID
    new_owner_id: uuid.UUID
