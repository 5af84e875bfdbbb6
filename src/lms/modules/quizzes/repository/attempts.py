"""Attempts, read and written in one way: reads return ``AttemptRecord``s, and every write
is a statement of this file (``insert_attempt``, then ``save_answers`` and
``settle_attempt``, each checked against the version the record was read at). Attempts
never go through the session's unit of work, so nothing writes one behind these
functions' backs; the ``QuizAttempt`` model describes the table (and analytics reads
it for reporting)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Insert,
    ScalarSelect,
    Select,
    Table,
    Update,
    bindparam,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.pagination import paginate_rows
from lms.core.session import in_single_statements
from lms.modules.quizzes.models import QuizAttempt
from lms.modules.quizzes.repository.quizzes import QUIZZES, QuizKey, quiz_key, quiz_key_columns

_ATTEMPTS = cast(Table, QuizAttempt.__table__)


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One attempt, as stored: every column of ``quiz_attempts``. A change is a new record
    (``dataclasses.replace``) written back with ``save_answers`` or ``settle_attempt``."""

    id: uuid.UUID
    quiz_id: uuid.UUID
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    attempt_number: int
    status: str
    started_at: datetime
    deadline_at: datetime | None
    # The question ids in the order this attempt shows them.
    question_order: list[str]
    # Question id -> its options in the order this attempt shows them.
    option_order: dict[str, list[str]]
    # [{"question_id": str, "answer": str | None}]
    answers: list[dict[str, Any]] | None
    updated_at: datetime
    # What submitting and grading fill in; a new attempt has none of it.
    submitted_at: datetime | None = None
    graded_at: datetime | None = None
    score: Decimal | None = None
    max_score: Decimal | None = None
    percentage: Decimal | None = None
    is_passed: bool | None = None
    time_taken_seconds: int | None = None
    # Question id -> {"points": str | None, "is_correct": bool | None, "feedback": str | None}
    marks: dict[str, dict[str, Any]] | None = None
    feedback: str | None = None
    graded_by_id: uuid.UUID | None = None
    closed_at_deadline: bool = False
    # Submitted after the due date, and the late penalty applied (percent of the score).
    is_late: bool = False
    late_penalty_percent: Decimal | None = None
    # Moves on with every write: a write of a record read at an older version fails.
    version_id: int = 1


_FIELDS = tuple(field.name for field in fields(AttemptRecord))
# A record is built from a row by position, so the record and the table must agree.
if set(_FIELDS) != set(_ATTEMPTS.columns.keys()):
    raise RuntimeError("AttemptRecord's fields are not the columns of quiz_attempts")
_COLUMNS = tuple(_ATTEMPTS.c[name] for name in _FIELDS)
_WIDTH = len(_COLUMNS)


def _versioned_update(columns: tuple[str, ...]) -> Update:
    """Write ``columns`` (and ``updated_at``) of the attempt ``:b_id`` if its version is
    still ``:b_version``, and move the version on."""
    return (
        update(_ATTEMPTS)
        .where(
            _ATTEMPTS.c.id == bindparam("b_id"), _ATTEMPTS.c.version_id == bindparam("b_version")
        )
        .values(
            {
                **{name: bindparam(f"b_{name}") for name in (*columns, "updated_at")},
                "version_id": _ATTEMPTS.c.version_id + 1,
            }
        )
    )


# What saving answers writes, and what closing or grading an attempt writes.
_ANSWER_COLUMNS = ("answers",)
_SETTLED_COLUMNS = (
    "status",
    "answers",
    "submitted_at",
    "graded_at",
    "score",
    "max_score",
    "percentage",
    "is_passed",
    "time_taken_seconds",
    "marks",
    "feedback",
    "graded_by_id",
    "closed_at_deadline",
    "is_late",
    "late_penalty_percent",
)


@dataclass(frozen=True)
class _Statements:
    attempt: Select[Any]
    attempt_locked: Select[Any]
    attempt_and_quiz: Select[Any]
    attempt_and_quiz_locked: Select[Any]
    open_attempt: Select[Any]
    latest_attempt: Select[Any]
    save_answers: Update
    settle: Update


@functools.cache
def _sql() -> _Statements:
    """The statements of taking a quiz (every student, every quiz), composed once, as
    composing costs more than running a cached statement. Composed on first use, not on
    import: a parameter or a label takes its column's type when it is made, and a
    foreign key column has its type only once the table it refers to is defined."""
    attempt = select(*_COLUMNS).where(_ATTEMPTS.c.id == bindparam("attempt"))
    attempt_and_quiz = (
        select(*_COLUMNS, *quiz_key_columns("quiz__"))
        .select_from(_ATTEMPTS.join(QUIZZES, QUIZZES.c.id == _ATTEMPTS.c.quiz_id))
        .where(_ATTEMPTS.c.id == bindparam("attempt"))
    )
    of_enrollment_at_quiz = select(*_COLUMNS).where(
        _ATTEMPTS.c.enrollment_id == bindparam("enrollment"),
        _ATTEMPTS.c.quiz_id == bindparam("quiz"),
    )
    return _Statements(
        attempt=attempt,
        attempt_locked=attempt.with_for_update(),
        attempt_and_quiz=attempt_and_quiz,
        attempt_and_quiz_locked=attempt_and_quiz.with_for_update(of=_ATTEMPTS),
        open_attempt=of_enrollment_at_quiz.where(_ATTEMPTS.c.status == "in_progress"),
        # The open attempt, if any, is always the latest: a start resumes an open
        # attempt instead of opening another.
        latest_attempt=of_enrollment_at_quiz.order_by(_ATTEMPTS.c.attempt_number.desc()).limit(1),
        save_answers=_versioned_update(_ANSWER_COLUMNS),
        settle=_versioned_update(_SETTLED_COLUMNS),
    )


def _locks(session: AsyncSession) -> bool:
    """Whether rows can be locked for the transaction (SQLite has no FOR UPDATE; its
    writers run one at a time; a lock taken in a ``single_statements`` session would end
    with its statement; the version check catches what that leaves)."""
    return session.get_bind().dialect.name == "postgresql" and not in_single_statements(session)


async def _one(
    session: AsyncSession, statement: Select[Any], params: dict[str, Any]
) -> AttemptRecord | None:
    row = (await session.execute(statement, params)).one_or_none()
    return None if row is None else AttemptRecord(*row)


# --- reads -------------------------------------------------------------------------


async def get_attempt(session: AsyncSession, attempt_id: uuid.UUID) -> AttemptRecord | None:
    return await _one(session, _sql().attempt, {"attempt": attempt_id})


async def get_attempt_for_update(
    session: AsyncSession, attempt_id: uuid.UUID
) -> AttemptRecord | None:
    """The attempt, locked until the transaction ends (PostgreSQL), so two writers of one
    attempt run one after the other and the second sees the first one's result."""
    sql = _sql()
    statement = sql.attempt_locked if _locks(session) else sql.attempt
    return await _one(session, statement, {"attempt": attempt_id})


async def get_attempt_and_quiz_for_update(
    session: AsyncSession, attempt_id: uuid.UUID
) -> tuple[AttemptRecord, QuizKey] | None:
    """The attempt, locked as ``get_attempt_for_update`` locks it, and the key of its
    quiz's current content (not locked), in one statement."""
    sql = _sql()
    statement = sql.attempt_and_quiz_locked if _locks(session) else sql.attempt_and_quiz
    row = (await session.execute(statement, {"attempt": attempt_id})).one_or_none()
    if row is None:
        return None
    return AttemptRecord(*row[:_WIDTH]), quiz_key(row._mapping, "quiz__")


async def open_attempt(
    session: AsyncSession, *, enrollment_id: uuid.UUID, quiz_id: uuid.UUID
) -> AttemptRecord | None:
    return await _one(session, _sql().open_attempt, {"enrollment": enrollment_id, "quiz": quiz_id})


async def latest_attempt(
    session: AsyncSession, *, enrollment_id: uuid.UUID, quiz_id: uuid.UUID
) -> AttemptRecord | None:
    """The student's attempt with the highest number at this quiz (the open one, if
    there is one)."""
    return await _one(
        session, _sql().latest_attempt, {"enrollment": enrollment_id, "quiz": quiz_id}
    )


async def has_attempts(session: AsyncSession, quiz_id: uuid.UUID) -> bool:
    """Whether anyone has attempted the quiz (its questions are locked then)."""
    found = await session.scalar(
        select(_ATTEMPTS.c.id).where(_ATTEMPTS.c.quiz_id == quiz_id).limit(1)
    )
    return found is not None


async def student_has_attempt(
    session: AsyncSession, *, student_id: uuid.UUID, quiz_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(_ATTEMPTS.c.id)
        .where(_ATTEMPTS.c.student_id == student_id, _ATTEMPTS.c.quiz_id == quiz_id)
        .limit(1)
    )
    return found is not None


async def page_attempts(
    session: AsyncSession,
    *,
    quiz_id: uuid.UUID,
    student_id: uuid.UUID | None = None,
    status: str | None = None,
    offset: int,
    limit: int,
    among: Callable[[ColumnElement[uuid.UUID]], ColumnElement[bool]] | None = None,
) -> tuple[list[AttemptRecord], int]:
    """A page of the quiz's attempts, newest first; ``among`` narrows the students (a
    condition on the attempt's ``student_id``)."""
    stmt = select(*_COLUMNS).where(_ATTEMPTS.c.quiz_id == quiz_id)
    if among is not None:
        stmt = stmt.where(among(_ATTEMPTS.c.student_id))
    if student_id is not None:
        stmt = stmt.where(_ATTEMPTS.c.student_id == student_id)
    if status is not None:
        stmt = stmt.where(_ATTEMPTS.c.status == status)
    statement = stmt.order_by(_ATTEMPTS.c.started_at.desc(), _ATTEMPTS.c.attempt_number.desc())
    rows, total = await paginate_rows(session, statement, offset=offset, limit=limit)
    return [AttemptRecord(*row) for row in rows], total


async def expired_open_attempts(
    session: AsyncSession, *, before: datetime, limit: int
) -> list[AttemptRecord]:
    """Open attempts whose deadline (grace included) is before ``before``; on PostgreSQL
    locked, skipping those another transaction holds (it is closing them)."""
    stmt = (
        select(*_COLUMNS)
        .where(_ATTEMPTS.c.status == "in_progress", _ATTEMPTS.c.deadline_at < before)
        .order_by(_ATTEMPTS.c.deadline_at)
        .limit(limit)
    )
    if _locks(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return [AttemptRecord(*row) for row in await session.execute(stmt)]


# --- what starting an attempt depends on, in one statement ---------------------------


def taking_state(
    *,
    course_published: Callable[[ColumnElement[uuid.UUID]], ColumnElement[bool]],
    enrollment_id: Callable[[ColumnElement[uuid.UUID]], ScalarSelect[uuid.UUID]],
    lesson_gated: Callable[[ColumnElement[uuid.UUID]], ColumnElement[bool]],
) -> Select[Any]:
    """The key of the quiz's content (``:quiz``) with what starting an attempt at it
    depends on, in one row:
    whether its course is published, the caller's enrollment in the course if it gives
    access (else NULL), the highest attempt number of that enrollment at the quiz,
    whether an attempt is open and whether the quiz's lesson has unlock rules. The
    callables are the courses and enrollments modules' named expressions, given the
    quiz's course (or lesson) column."""
    course_id = QUIZZES.c.course_id
    enrollment = enrollment_id(course_id)
    # Nested one level deeper, the enrollment subquery is correlated to the quiz explicitly.
    of_enrollment = (
        _ATTEMPTS.c.enrollment_id == enrollment.correlate(QUIZZES),
        _ATTEMPTS.c.quiz_id == QUIZZES.c.id,
    )
    return select(
        *quiz_key_columns(),
        course_published(course_id).label("course_published"),
        enrollment.label("enrollment_id"),
        select(func.max(_ATTEMPTS.c.attempt_number))
        .where(*of_enrollment)
        .scalar_subquery()
        .label("last_number"),
        exists().where(*of_enrollment, _ATTEMPTS.c.status == "in_progress").label("has_open"),
        lesson_gated(QUIZZES.c.lesson_id).label("lesson_gated"),
    ).where(QUIZZES.c.id == bindparam("quiz"))


@dataclass(frozen=True)
class TakingState:
    quiz: QuizKey
    course_published: bool
    enrollment_id: uuid.UUID | None  # only an enrollment that gives access
    last_number: int
    has_open: bool
    lesson_gated: bool  # the quiz's lesson has an unlock rule (drip release)


async def read_taking_state(
    session: AsyncSession, statement: Select[Any], *, quiz_id: uuid.UUID, student_id: uuid.UUID
) -> TakingState | None:
    """Run a ``taking_state`` statement; None when the quiz does not exist."""
    found = await session.execute(statement, {"quiz": quiz_id, "student": student_id})
    row = found.mappings().one_or_none()
    if row is None:
        return None
    return TakingState(
        quiz=quiz_key(row),
        course_published=bool(row["course_published"]),
        enrollment_id=row["enrollment_id"],
        last_number=row["last_number"] or 0,
        has_open=bool(row["has_open"]),
        lesson_gated=bool(row["lesson_gated"]),
    )


# --- writes ------------------------------------------------------------------------

_INSERT_ATTEMPT: dict[str, Insert] = {
    "postgresql": postgresql.insert(_ATTEMPTS).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(_ATTEMPTS).on_conflict_do_nothing(),
}


async def insert_attempt(session: AsyncSession, attempt: AttemptRecord) -> bool:
    """Insert a new attempt unless its number or an open attempt of the student at the
    quiz exists already (a concurrent start): True if it was inserted. A lost race
    writes nothing and needs no savepoint."""
    values = {name: getattr(attempt, name) for name in _FIELDS}
    dialect = session.get_bind().dialect.name
    result = await session.execute(_INSERT_ATTEMPT[dialect], values)
    return bool(getattr(result, "rowcount", 0) == 1)


async def _write(
    session: AsyncSession,
    statement: Update,
    columns: tuple[str, ...],
    attempt: AttemptRecord,
    at: datetime,
) -> AttemptRecord | None:
    """The one version check: write ``columns`` of ``attempt`` in one UPDATE unless
    another transaction wrote the attempt since ``attempt`` was read. Returns the
    attempt as stored now, or None (and nothing is written)."""
    params: dict[str, Any] = {f"b_{name}": getattr(attempt, name) for name in columns}
    params.update(b_updated_at=at, b_id=attempt.id, b_version=attempt.version_id)
    result = await session.execute(statement, params)
    if getattr(result, "rowcount", 0) != 1:
        return None
    return replace(attempt, updated_at=at, version_id=attempt.version_id + 1)


async def save_answers(
    session: AsyncSession, attempt: AttemptRecord, *, at: datetime
) -> AttemptRecord | None:
    """Write the answers of ``attempt`` (still open); None if it changed since it was read."""
    return await _write(session, _sql().save_answers, _ANSWER_COLUMNS, attempt, at)


async def settle_attempt(
    session: AsyncSession, attempt: AttemptRecord, *, at: datetime
) -> AttemptRecord | None:
    """Write what submitting, closing at the deadline or grading decided on ``attempt``
    (status, answers, marks, totals, feedback); None if it changed since it was read."""
    return await _write(session, _sql().settle, _SETTLED_COLUMNS, attempt, at)


def handed_in(quiz_id: Any, student_id: Any) -> ColumnElement[bool]:
    """True when the student has a submitted or graded attempt at the quiz (columns)."""
    return (
        select(_ATTEMPTS.c.id)
        .where(
            _ATTEMPTS.c.quiz_id == quiz_id,
            _ATTEMPTS.c.student_id == student_id,
            _ATTEMPTS.c.status != "in_progress",
        )
        .exists()
    )
