"""Drip release: when a lesson opens for a student.

A lesson may have an unlock date rule, prerequisites, and its course may be taken in
order; a lesson is **locked** for a student while any of them holds:

- ``not_yet_available``: ``unlock_at`` (an instant) is in the future, or
  ``unlock_after_days`` days have not yet passed since the student's start. The start
  is their enrollment's ``enrolled_at``, or with ``unlock_relative_to: cohort_start``
  midnight UTC of their cohort's ``starts_on`` (a student with no cohort, or whose
  cohort has no start date, counts from their enrollment). Days are counted in UTC:
  N days are N times 24 hours, so across a daylight-saving change the lesson opens at the
  same UTC time of day (an hour earlier or later on a local clock);
- ``prerequisites``: a prerequisite lesson is not completed;
- ``in_order``: the course is taken in order and the lesson before it (by order) is
  not completed.

The reason given is the first of these that holds; ``blocking_lesson_ids`` lists every
lesson still to complete, ``unlocks_at`` the future instant of the date rule. A preview
lesson is never locked (everyone may read it anyway). Locks are the students' only: the
course's team, admins and callers without an enrollment that gives access see none.

What a student has done, when they enrolled and their cohort are the enrollments
module's: asked in SQL (``LessonDone``, ``LearnerStartedAt``, ``LearnerCohort``), inside
the one statement that reads the course's rules (``drip_statement``), so a listing costs
one query whatever its length. The statements are composed once per bus revision.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Executable, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.db import utcnow
from lms.core.errors import Forbidden, RuleViolation
from lms.core.session import Executor
from lms.modules.courses.events import LearnerCohort, LearnerStartedAt, LessonDone
from lms.modules.courses.repository import drip as drip_repository

LockReason = Literal["not_yet_available", "prerequisites", "in_order"]


def now() -> datetime:
    """The time unlock rules are checked against (tests replace it)."""
    return utcnow()


@dataclass(frozen=True, slots=True)
class LessonLock:
    """Whether a lesson is locked for a student, why, and when its date rule opens it."""

    lesson_id: uuid.UUID
    locked: bool = False
    unlocks_at: datetime | None = None
    lock_reason: LockReason | None = None
    blocking_lesson_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class LessonUnlock:
    """A lesson that opens for a student at an instant (a date rule), for a calendar."""

    course_id: uuid.UUID
    course_title: str
    lesson_id: uuid.UUID
    lesson_title: str
    unlocks_at: datetime


_REASONS = {
    "not_yet_available": "This lesson is not available yet.",
    "prerequisites": "Complete this lesson's prerequisites first.",
    "in_order": "This course is taken in order: complete the lesson before this one first.",
}


class LessonLocked(Forbidden):
    code = "lesson_locked"
    detail = "This lesson is locked for you."

    def __init__(self, lock: LessonLock) -> None:
        super().__init__(
            _REASONS[lock.lock_reason or "not_yet_available"],
            extra={
                "lesson_id": str(lock.lesson_id),
                "lock_reason": lock.lock_reason,
                "unlocks_at": lock.unlocks_at.isoformat() if lock.unlocks_at else None,
                "blocking_lesson_ids": [str(i) for i in lock.blocking_lesson_ids],
            },
        )


# --- the statements ------------------------------------------------------------------

_statements: dict[str, tuple[int, Executable]] = {}


def _done(course_id: ColumnElement[uuid.UUID], lesson_id: ColumnElement[uuid.UUID]) -> Any:
    return events.condition(
        LessonDone(user_id=bindparam("user_id"), course_id=course_id, lesson_id=lesson_id)
    )


def _started_at(course_id: ColumnElement[uuid.UUID]) -> Any:
    return events.value(LearnerStartedAt(user_id=bindparam("user_id"), course_id=course_id))


def _cohort_id(course_id: ColumnElement[uuid.UUID]) -> Any:
    return events.value(LearnerCohort(user_id=bindparam("user_id"), course_id=course_id))


def _statement(name: str) -> Executable:
    """``by_course`` (bound ``course_id``), ``by_lesson`` (bound ``lesson_id``) or
    ``dated`` (every course of the student), with ``user_id``."""
    revision = events.bus.revision
    cached = _statements.get(name)
    if cached is not None and cached[0] == revision:
        return cached[1]
    statement: Executable
    if name == "dated":
        statement = drip_repository.dated_unlocks_statement(
            started_at=_started_at, cohort_id=_cohort_id
        )
    else:
        statement = drip_repository.drip_statement(
            done=_done,
            started_at=_started_at,
            cohort_id=_cohort_id,
            by_lesson=name == "by_lesson",
        )
    _statements[name] = (revision, statement)
    return statement


# --- the rule --------------------------------------------------------------------------


def unlock_instant(
    *,
    unlock_at: datetime | None,
    unlock_after_days: int | None,
    relative_to: str,
    started_at: datetime | None,
    cohort_starts_on: date | None,
) -> datetime | None:
    """When the date rule opens the lesson for this student (None: no date rule, or no
    start to count from)."""
    if unlock_at is not None:
        return unlock_at.astimezone(UTC)
    if unlock_after_days is None:
        return None
    start = started_at
    if relative_to == "cohort_start" and cohort_starts_on is not None:
        start = datetime.combine(cohort_starts_on, time.min, tzinfo=UTC)
    if start is None:
        return None
    return start.astimezone(UTC) + timedelta(days=unlock_after_days)


@dataclass(frozen=True, slots=True)
class CourseLocks:
    """The locks of a course's lessons for one caller, and every lesson's
    prerequisites (read by the same statement)."""

    is_student: bool
    locks: dict[uuid.UUID, LessonLock]
    prerequisites: dict[uuid.UUID, list[uuid.UUID]]

    def lock_of(self, lesson_id: uuid.UUID) -> LessonLock:
        return self.locks.get(lesson_id) or LessonLock(lesson_id=lesson_id)


def evaluate(rows: Sequence[Any], at: datetime) -> CourseLocks:
    """The locks of the rows of ``drip_statement`` (every lesson of one course, in
    order, one row per prerequisite) at ``at``."""
    lessons: dict[uuid.UUID, Any] = {}
    prerequisites: dict[uuid.UUID, list[uuid.UUID]] = {}
    done: set[uuid.UUID] = set()
    for row in rows:
        lessons.setdefault(row.id, row)
        if row.prerequisite_id is not None:
            prerequisites.setdefault(row.id, []).append(row.prerequisite_id)
        if row.done:
            done.add(row.id)
    if not rows or rows[0].started_at is None:
        return CourseLocks(is_student=False, locks={}, prerequisites=prerequisites)
    first = rows[0]
    locks: dict[uuid.UUID, LessonLock] = {}
    previous: uuid.UUID | None = None
    for lesson_id, row in lessons.items():
        locks[lesson_id] = _lock(
            row,
            at=at,
            done=done,
            prerequisites=prerequisites.get(lesson_id, ()),
            previous=previous if first.lessons_in_order else None,
        )
        previous = lesson_id
    return CourseLocks(is_student=True, locks=locks, prerequisites=prerequisites)


def _lock(
    row: Any,
    *,
    at: datetime,
    done: set[uuid.UUID],
    prerequisites: Iterable[uuid.UUID],
    previous: uuid.UUID | None,
) -> LessonLock:
    if row.is_preview:
        return LessonLock(lesson_id=row.id)
    opens = unlock_instant(
        unlock_at=row.unlock_at,
        unlock_after_days=row.unlock_after_days,
        relative_to=row.unlock_relative_to,
        started_at=row.started_at,
        cohort_starts_on=row.cohort_starts_on,
    )
    waiting = opens is not None and at < opens
    missing = [p for p in prerequisites if p not in done]
    behind = previous is not None and previous not in done
    blocking = tuple(dict.fromkeys([*missing, *([previous] if behind and previous else [])]))
    reason: LockReason | None = None
    if waiting:
        reason = "not_yet_available"
    elif missing:
        reason = "prerequisites"
    elif behind:
        reason = "in_order"
    return LessonLock(
        lesson_id=row.id,
        locked=reason is not None,
        unlocks_at=opens if waiting else None,
        lock_reason=reason,
        blocking_lesson_ids=blocking if reason is not None else (),
    )


# --- what the rest of the module and other modules ask ------------------------------


async def course_locks(
    session: Executor, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> CourseLocks:
    """Every lesson's lock for the student in the course, in one statement."""
    rows = (
        await session.execute(
            _statement("by_course"), {"user_id": student_id, "course_id": course_id}
        )
    ).all()
    return evaluate(rows, now())


async def lesson_locks(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> dict[uuid.UUID, LessonLock]:
    """Lesson id -> its lock for the student (one statement). Empty when the student
    has no enrollment giving access to the course (nothing is locked for them)."""
    found = await course_locks(session, student_id=student_id, course_id=course_id)
    return found.locks


async def lesson_lock(
    session: Executor, *, student_id: uuid.UUID, lesson_id: uuid.UUID
) -> CourseLocks:
    """The locks of the course of ``lesson_id`` for the student (one statement)."""
    rows = (
        await session.execute(
            _statement("by_lesson"), {"user_id": student_id, "lesson_id": lesson_id}
        )
    ).all()
    return evaluate(rows, now())


async def require_lesson_unlocked(
    session: Executor, *, student_id: uuid.UUID, lesson_id: uuid.UUID
) -> None:
    """403 ``lesson_locked`` (with the reason, ``unlocks_at`` and the blocking lessons)
    when the lesson is locked for the student; one statement."""
    lock = (await lesson_lock(session, student_id=student_id, lesson_id=lesson_id)).lock_of(
        lesson_id
    )
    if lock.locked:
        raise LessonLocked(lock)


async def lesson_unlocks_between(
    session: AsyncSession, student_id: uuid.UUID, start: datetime, end: datetime
) -> list[LessonUnlock]:
    """The lessons whose date rule opens them for the student at an instant in
    ``[start, end)``, in the courses where their enrollment gives access, by time (one
    statement). Prerequisites and order are not dates and are left out; a lesson
    waiting for them is listed at its date all the same."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        return []
    rows = (await session.execute(_statement("dated"), {"user_id": student_id})).all()
    found = []
    for row in rows:
        opens = unlock_instant(
            unlock_at=row.unlock_at,
            unlock_after_days=row.unlock_after_days,
            relative_to=row.unlock_relative_to,
            started_at=row.started_at,
            cohort_starts_on=row.cohort_starts_on,
        )
        if opens is not None and start <= opens < end:
            found.append(
                LessonUnlock(
                    course_id=row.course_id,
                    course_title=row.course_title,
                    lesson_id=row.id,
                    lesson_title=row.title,
                    unlocks_at=opens,
                )
            )
    return sorted(found, key=lambda unlock: (unlock.unlocks_at, str(unlock.lesson_id)))


def lesson_is_gated(lesson_id: Any) -> ColumnElement[bool]:
    """Has the lesson whose id is in ``lesson_id`` (a column of the enclosing statement
    or a bound parameter) a rule that may lock it? An EXISTS, false for a preview
    lesson: a statement on a hot path reads it and asks ``require_lesson_unlocked``
    only when it is true."""
    return drip_repository.lesson_is_gated(lesson_id)


# --- authoring: the rules' integrity ----------------------------------------------------


async def check_prerequisites_acyclic(session: AsyncSession, course_id: uuid.UUID) -> None:
    """422 ``prerequisite_cycle`` when the course's prerequisites (and, taken in order,
    each lesson's need of the one before it) make a lesson wait for itself; run after
    the change is flushed, so the check reads what the change leaves."""
    order, pairs, in_order = await drip_repository.lesson_order_and_prerequisites(
        session, course_id
    )
    needs: dict[uuid.UUID, list[uuid.UUID]] = {}
    for lesson_id, prerequisite_id in pairs:
        needs.setdefault(lesson_id, []).append(prerequisite_id)
    if in_order:
        for before, lesson_id in itertools.pairwise(order):
            needs.setdefault(lesson_id, []).append(before)
    cycle = _find_cycle(needs)
    if cycle:
        raise RuleViolation(
            "These lessons would wait for each other: the prerequisites (and the course's "
            "order, when it is taken in order) must not go round in a circle.",
            code="prerequisite_cycle",
            extra={"lesson_ids": [str(i) for i in cycle]},
        )


def _find_cycle(needs: dict[uuid.UUID, list[uuid.UUID]]) -> list[uuid.UUID]:
    """A list of lessons going round (empty when there is none); iterative DFS."""
    state: dict[uuid.UUID, int] = {}  # 1: on the path, 2: done
    for root in needs:
        if state.get(root):
            continue
        path: list[uuid.UUID] = []
        stack: list[tuple[uuid.UUID, int]] = [(root, 0)]
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            children = needs.get(node, [])
            if index < len(children):
                stack.append((node, index + 1))
                child = children[index]
                if state.get(child) == 1:
                    return path[path.index(child) :]
                if not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return []
