from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Insert,
    Row,
    RowMapping,
    ScalarSelect,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.quizzes.models import Quiz, QuizAttempt, QuizQuestion

# The tables, for the statements of taking a quiz: Core statements on them skip the ORM's
# per-execution work, and the rows build the objects the service reads.
_QUIZZES = cast(Table, Quiz.__table__)
_ATTEMPTS = cast(Table, QuizAttempt.__table__)
_ATTEMPT_COLUMNS = tuple(column.key for column in _ATTEMPTS.columns)


def _quiz_from(row: RowMapping, prefix: str = "") -> Quiz:
    """A quiz built from its columns in ``row`` (outside the session: it is only read)."""
    return Quiz(**{column.key: row[prefix + column.key] for column in _QUIZZES.columns})


# --- quizzes ---------------------------------------------------------------------


async def get_quiz(session: AsyncSession, quiz_id: uuid.UUID) -> Quiz | None:
    return await session.get(Quiz, quiz_id)


async def get_quizzes(session: AsyncSession, quiz_ids: Sequence[uuid.UUID]) -> list[Quiz]:
    if not quiz_ids:
        return []
    return list(await session.scalars(select(Quiz).where(Quiz.id.in_(quiz_ids))))


async def get_quiz_for_lesson(session: AsyncSession, lesson_id: uuid.UUID) -> Quiz | None:
    result: Quiz | None = await session.scalar(select(Quiz).where(Quiz.lesson_id == lesson_id))
    return result


async def course_ids_with_quizzes(session: AsyncSession) -> list[uuid.UUID]:
    return list(await session.scalars(select(Quiz.course_id).distinct()))


def quizzes_where(
    *,
    course_ids: Sequence[uuid.UUID] | None = None,
    lesson_id: uuid.UUID | None = None,
    quiz_type: str | None = None,
    published_only: bool = False,
    managed_course_ids: Sequence[uuid.UUID] | None = None,
    published_course_ids: Sequence[uuid.UUID] | None = None,
) -> Select[Quiz]:
    """Quizzes by course, lesson and type. With ``managed_course_ids`` and
    ``published_course_ids``: every quiz of the former, the published ones of the latter."""
    stmt = select(Quiz)
    if course_ids is not None:
        stmt = stmt.where(Quiz.course_id.in_(course_ids))
    if managed_course_ids is not None and published_course_ids is not None:
        stmt = stmt.where(
            or_(
                Quiz.course_id.in_(managed_course_ids),
                and_(Quiz.is_published.is_(True), Quiz.course_id.in_(published_course_ids)),
            )
        )
    if lesson_id is not None:
        stmt = stmt.where(Quiz.lesson_id == lesson_id)
    if quiz_type is not None:
        stmt = stmt.where(Quiz.quiz_type == quiz_type)
    if published_only:
        stmt = stmt.where(Quiz.is_published.is_(True))
    return stmt


async def page_quizzes(
    session: AsyncSession, stmt: Select[Quiz], *, offset: int, limit: int
) -> tuple[list[Quiz], int]:
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = await session.scalars(
        stmt.order_by(Quiz.created_at, Quiz.id).offset(offset).limit(limit)
    )
    return list(rows), int(total or 0)


async def question_totals(
    session: AsyncSession, quiz_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, Decimal]]:
    """Question count and total points per quiz, in one query."""
    if not quiz_ids:
        return {}
    rows = await session.execute(
        select(QuizQuestion.quiz_id, func.count(), func.coalesce(func.sum(QuizQuestion.points), 0))
        .where(QuizQuestion.quiz_id.in_(quiz_ids))
        .group_by(QuizQuestion.quiz_id)
    )
    return {quiz_id: (int(count), Decimal(str(points))) for quiz_id, count, points in rows}


async def has_attempts(session: AsyncSession, quiz_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(QuizAttempt.id).where(QuizAttempt.quiz_id == quiz_id).limit(1)
    )
    return found is not None


# --- questions -------------------------------------------------------------------


async def get_question(session: AsyncSession, question_id: uuid.UUID) -> QuizQuestion | None:
    return await session.get(QuizQuestion, question_id)


# The statements of starting and submitting an attempt (every student, every quiz) are
# composed once: composing costs more than running a cached statement.
_QUESTIONS = (
    select(QuizQuestion)
    .where(QuizQuestion.quiz_id == bindparam("quiz"))
    .order_by(QuizQuestion.order_index, QuizQuestion.created_at, QuizQuestion.id)
)
_ATTEMPT = select(QuizAttempt).where(QuizAttempt.id == bindparam("attempt"))
_ATTEMPT_LOCKED = _ATTEMPT.with_for_update()
_ATTEMPT_AND_QUIZ = (
    select(*_ATTEMPTS.columns, *(c.label(f"quiz__{c.key}") for c in _QUIZZES.columns))
    .select_from(_ATTEMPTS.join(_QUIZZES, _QUIZZES.c.id == _ATTEMPTS.c.quiz_id))
    .where(_ATTEMPTS.c.id == bindparam("attempt"))
)
_ATTEMPT_AND_QUIZ_LOCKED = _ATTEMPT_AND_QUIZ.with_for_update(of=_ATTEMPTS)
_OPEN_ATTEMPT = select(QuizAttempt).where(
    QuizAttempt.enrollment_id == bindparam("enrollment"),
    QuizAttempt.quiz_id == bindparam("quiz"),
    QuizAttempt.status == "in_progress",
)
# The open attempt, if any, is always the latest: a start resumes an open attempt
# instead of opening another.
_LATEST_ATTEMPT = (
    select(QuizAttempt)
    .where(
        QuizAttempt.enrollment_id == bindparam("enrollment"),
        QuizAttempt.quiz_id == bindparam("quiz"),
    )
    .order_by(QuizAttempt.attempt_number.desc())
    .limit(1)
)


async def list_questions(session: AsyncSession, quiz_id: uuid.UUID) -> list[QuizQuestion]:
    return list(await session.scalars(_QUESTIONS, {"quiz": quiz_id}))


# Attempts only read their questions: rows of the columns, no ORM objects to build.
_QUESTION_TABLE = cast(Table, QuizQuestion.__table__)
_QUESTION_ROWS = (
    select(*_QUESTION_TABLE.columns)
    .where(_QUESTION_TABLE.c.quiz_id == bindparam("quiz"))
    .order_by(_QUESTION_TABLE.c.order_index, _QUESTION_TABLE.c.created_at, _QUESTION_TABLE.c.id)
)


async def question_rows(session: AsyncSession, quiz_id: uuid.UUID) -> Sequence[Row[Any]]:
    """The quiz's questions in quiz order, as rows (attribute access, read-only)."""
    return (await session.execute(_QUESTION_ROWS, {"quiz": quiz_id})).all()


async def question_rows_of_quizzes(
    session: AsyncSession, quiz_ids: Sequence[uuid.UUID]
) -> Sequence[Row[Any]]:
    if not quiz_ids:
        return []
    statement = select(*_QUESTION_TABLE.columns).where(_QUESTION_TABLE.c.quiz_id.in_(quiz_ids))
    return (await session.execute(statement)).all()


async def next_order_index(session: AsyncSession, quiz_id: uuid.UUID) -> int:
    last = await session.scalar(
        select(func.max(QuizQuestion.order_index)).where(QuizQuestion.quiz_id == quiz_id)
    )
    return 0 if last is None else int(last) + 1


async def question_quiz_ids(
    session: AsyncSession, question_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Which quiz each of these questions belongs to (unknown ids are absent)."""
    if not question_ids:
        return {}
    rows = await session.execute(
        select(QuizQuestion.id, QuizQuestion.quiz_id).where(QuizQuestion.id.in_(question_ids))
    )
    return {question_id: quiz_id for question_id, quiz_id in rows}


# --- attempts --------------------------------------------------------------------


async def get_attempt(session: AsyncSession, attempt_id: uuid.UUID) -> QuizAttempt | None:
    return await session.get(QuizAttempt, attempt_id)


async def get_attempt_and_quiz_for_update(
    session: AsyncSession, attempt_id: uuid.UUID
) -> tuple[QuizAttempt, Quiz] | None:
    """The attempt, locked as ``get_attempt_for_update`` locks it, and its quiz (not
    locked), in one statement. Both are built from the row, outside the session: the
    attempt is written back with ``save_attempt``."""
    locks = session.get_bind().dialect.name == "postgresql"
    row = (
        (
            await session.execute(
                _ATTEMPT_AND_QUIZ_LOCKED if locks else _ATTEMPT_AND_QUIZ, {"attempt": attempt_id}
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        return None
    attempt = QuizAttempt(**{key: row[key] for key in _ATTEMPT_COLUMNS})
    return attempt, _quiz_from(row, "quiz__")


async def get_attempt_for_update(
    session: AsyncSession, attempt_id: uuid.UUID
) -> QuizAttempt | None:
    """The attempt, locked until the transaction ends (PostgreSQL), so two submissions of
    one attempt run one after the other and the second sees the first one's result."""
    locks = session.get_bind().dialect.name == "postgresql"
    result: QuizAttempt | None = await session.scalar(
        _ATTEMPT_LOCKED if locks else _ATTEMPT,
        {"attempt": attempt_id},
        execution_options={"populate_existing": True},
    )
    return result


EnrollmentSubqueries = tuple[ScalarSelect[uuid.UUID], ScalarSelect[str]]


def taking_state(
    *,
    course_published: Callable[[ColumnElement[uuid.UUID]], ScalarSelect[bool]],
    enrollment: Callable[
        [ColumnElement[uuid.UUID]], tuple[ScalarSelect[uuid.UUID], ScalarSelect[str]]
    ],
) -> Select[Any]:
    """The quiz (``:quiz``) with what starting an attempt at it depends on, in one row:
    whether its course is published, the caller's enrollment in the course (id and
    status), the highest attempt number of that enrollment at the quiz and whether an
    attempt is open. The two callables give those subqueries for the quiz's course."""
    course_id = _QUIZZES.c.course_id
    enrollment_id, enrollment_status = enrollment(course_id)
    # Nested one level deeper, the enrollment subquery is correlated to the quiz explicitly.
    of_enrollment = (
        _ATTEMPTS.c.enrollment_id == enrollment_id.correlate(_QUIZZES),
        _ATTEMPTS.c.quiz_id == _QUIZZES.c.id,
    )
    return select(
        *_QUIZZES.columns,
        course_published(course_id).label("course_published"),
        enrollment_id.label("enrollment_id"),
        enrollment_status.label("enrollment_status"),
        select(func.max(_ATTEMPTS.c.attempt_number))
        .where(*of_enrollment)
        .scalar_subquery()
        .label("last_number"),
        exists().where(*of_enrollment, _ATTEMPTS.c.status == "in_progress").label("has_open"),
    ).where(_QUIZZES.c.id == bindparam("quiz"))


@dataclass(frozen=True)
class TakingState:
    quiz: Quiz  # outside the session: only read
    course_published: bool
    enrollment_id: uuid.UUID | None
    enrollment_status: str | None
    last_number: int
    has_open: bool


async def read_taking_state(
    session: AsyncSession, statement: Select[Any], *, quiz_id: uuid.UUID, student_id: uuid.UUID
) -> TakingState | None:
    """Run a ``taking_state`` statement; None when the quiz does not exist."""
    found = await session.execute(statement, {"quiz": quiz_id, "student": student_id})
    row = found.mappings().one_or_none()
    if row is None:
        return None
    return TakingState(
        quiz=_quiz_from(row),
        course_published=bool(row["course_published"]),
        enrollment_id=row["enrollment_id"],
        enrollment_status=row["enrollment_status"],
        last_number=row["last_number"] or 0,
        has_open=bool(row["has_open"]),
    )


_INSERT_ATTEMPT: dict[str, Insert] = {
    "postgresql": postgresql.insert(_ATTEMPTS).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(_ATTEMPTS).on_conflict_do_nothing(),
}


async def insert_new_attempt(session: AsyncSession, attempt: QuizAttempt) -> bool:
    """Insert a new attempt (every column set on ``attempt``) without adding it to the
    session, unless its number or an open attempt of the student at the quiz exists
    already (a concurrent start): True if it was inserted. No savepoint needed."""
    values: dict[str, Any] = {key: getattr(attempt, key) for key in _ATTEMPT_COLUMNS}
    dialect = session.get_bind().dialect.name
    result = await session.execute(_INSERT_ATTEMPT[dialect], values)
    return bool(getattr(result, "rowcount", 0) == 1)


# What submitting and grading fill in on an attempt; a new one starts with none of them.
RESULT_COLUMNS = (
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
)
# What taking and grading an attempt change; the version moves on with every write.
_SAVED_COLUMNS = ("status", "answers", "closed_at_deadline", "updated_at", *RESULT_COLUMNS)
_SAVE_ATTEMPT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("b_id"), _ATTEMPTS.c.version_id == bindparam("b_version"))
    .values(
        {
            **{name: bindparam(f"b_{name}") for name in _SAVED_COLUMNS},
            "version_id": _ATTEMPTS.c.version_id + 1,
        }
    )
)


async def save_attempt(session: AsyncSession, attempt: QuizAttempt, *, at: datetime) -> bool:
    """Write what taking or grading changes on an attempt read in this transaction, in
    one UPDATE, unless another transaction wrote it since (its version moved on): False
    then, and nothing is written. A saved attempt leaves the session, so the unit of
    work does not write it again at commit."""
    attempt.updated_at = at
    params: dict[str, Any] = {f"b_{name}": getattr(attempt, name) for name in _SAVED_COLUMNS}
    params["b_id"] = attempt.id
    params["b_version"] = attempt.version_id
    result = await session.execute(_SAVE_ATTEMPT, params)
    if getattr(result, "rowcount", 0) != 1:
        return False
    if attempt in session:
        session.expunge(attempt)
    attempt.version_id += 1
    return True


async def open_attempt(
    session: AsyncSession, *, enrollment_id: uuid.UUID, quiz_id: uuid.UUID
) -> QuizAttempt | None:
    result: QuizAttempt | None = await session.scalar(
        _OPEN_ATTEMPT,
        {"enrollment": enrollment_id, "quiz": quiz_id},
        execution_options={"populate_existing": True},
    )
    return result


async def latest_attempt(
    session: AsyncSession, *, enrollment_id: uuid.UUID, quiz_id: uuid.UUID
) -> QuizAttempt | None:
    """The student's attempt with the highest number at this quiz (the open one, if
    there is one)."""
    result: QuizAttempt | None = await session.scalar(
        _LATEST_ATTEMPT,
        {"enrollment": enrollment_id, "quiz": quiz_id},
        execution_options={"populate_existing": True},
    )
    return result


async def student_has_attempt(
    session: AsyncSession, *, student_id: uuid.UUID, quiz_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(QuizAttempt.id)
        .where(QuizAttempt.student_id == student_id, QuizAttempt.quiz_id == quiz_id)
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
) -> tuple[list[QuizAttempt], int]:
    stmt = select(QuizAttempt).where(QuizAttempt.quiz_id == quiz_id)
    if student_id is not None:
        stmt = stmt.where(QuizAttempt.student_id == student_id)
    if status is not None:
        stmt = stmt.where(QuizAttempt.status == status)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = await session.scalars(
        stmt.order_by(QuizAttempt.started_at.desc(), QuizAttempt.attempt_number.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def expired_open_attempts(
    session: AsyncSession, *, before: datetime, limit: int
) -> list[QuizAttempt]:
    """Open attempts whose deadline (grace included) is before ``before``."""
    stmt = (
        select(QuizAttempt)
        .where(QuizAttempt.status == "in_progress", QuizAttempt.deadline_at < before)
        .order_by(QuizAttempt.deadline_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(await session.scalars(stmt))
