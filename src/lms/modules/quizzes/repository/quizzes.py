"""Quizzes and their questions: the ORM objects authoring changes through the unit of
work, and the question records attempts read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Select,
    Table,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.pagination import paginate
from lms.modules.quizzes.models import Quiz, QuizQuestion

QUIZZES = cast(Table, Quiz.__table__)
_QUESTIONS_TABLE = cast(Table, QuizQuestion.__table__)


def quiz_from(row: RowMapping, prefix: str = "") -> Quiz:
    """A quiz built from its columns in ``row`` (outside the session: it is only read)."""
    return Quiz(**{column.key: row[prefix + column.key] for column in QUIZZES.columns})


@dataclass(frozen=True, slots=True)
class QuizKey:
    """What names one version of a quiz's content: its id, its ``content_version``, and
    its lesson (which a deleted lesson clears in SQL without a new version)."""

    id: uuid.UUID
    content_version: int
    lesson_id: uuid.UUID | None


def quiz_key_columns(prefix: str = "") -> tuple[ColumnElement[Any], ...]:
    """The columns ``quiz_key`` reads, labelled with ``prefix``."""
    return tuple(QUIZZES.c[name].label(f"{prefix}{name}") for name in QuizKey.__slots__)


def quiz_key(row: RowMapping, prefix: str = "") -> QuizKey:
    return QuizKey(row[f"{prefix}id"], row[f"{prefix}content_version"], row[f"{prefix}lesson_id"])


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
    statement = stmt.order_by(Quiz.created_at, Quiz.id)
    return await paginate(session, statement, offset=offset, limit=limit)


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


# --- questions: authoring ----------------------------------------------------------


async def get_question(session: AsyncSession, question_id: uuid.UUID) -> QuizQuestion | None:
    return await session.get(QuizQuestion, question_id)


# The statements of starting and submitting an attempt (every student, every quiz) are
# composed once: composing costs more than running a cached statement.
_QUESTIONS = (
    select(QuizQuestion)
    .where(QuizQuestion.quiz_id == bindparam("quiz"))
    .order_by(QuizQuestion.order_index, QuizQuestion.created_at, QuizQuestion.id)
)


async def list_questions(session: AsyncSession, quiz_id: uuid.UUID) -> list[QuizQuestion]:
    return list(await session.scalars(_QUESTIONS, {"quiz": quiz_id}))


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


# --- questions: what taking a quiz reads of them -------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    """A question as students and attempts read it (no authoring metadata)."""

    id: uuid.UUID
    quiz_id: uuid.UUID
    question_text: str
    question_type: str
    options: list[str] | None
    points: Decimal
    order_index: int
    correct_answer: str | None
    explanation: str | None


# The record's columns, in its fields' order: a row builds a record by position.
_QUESTION_COLUMNS = tuple(_QUESTIONS_TABLE.c[name] for name in QuestionRecord.__dataclass_fields__)
_QUESTION_RECORDS = (
    select(*_QUESTION_COLUMNS)
    .where(_QUESTIONS_TABLE.c.quiz_id == bindparam("quiz"))
    .order_by(_QUESTIONS_TABLE.c.order_index, _QUESTIONS_TABLE.c.created_at, _QUESTIONS_TABLE.c.id)
)


async def question_records(session: AsyncSession, quiz_id: uuid.UUID) -> list[QuestionRecord]:
    """The quiz's questions in quiz order."""
    rows = await session.execute(_QUESTION_RECORDS, {"quiz": quiz_id})
    return [QuestionRecord(*row) for row in rows]


_QUIZ_WITH_QUESTIONS = (
    select(*(c.label(f"quiz__{c.key}") for c in QUIZZES.columns), *_QUESTION_COLUMNS)
    .select_from(QUIZZES.outerjoin(_QUESTIONS_TABLE, _QUESTIONS_TABLE.c.quiz_id == QUIZZES.c.id))
    .where(QUIZZES.c.id == bindparam("quiz"))
    .order_by(_QUESTIONS_TABLE.c.order_index, _QUESTIONS_TABLE.c.created_at, _QUESTIONS_TABLE.c.id)
)
_QUIZ_WIDTH = len(QUIZZES.columns)


async def quiz_with_questions(
    session: AsyncSession, quiz_id: uuid.UUID
) -> tuple[Quiz, list[QuestionRecord]] | None:
    """The quiz (outside the session: only read) and its questions in quiz order, read in
    one statement, so both are of one ``content_version``; None if there is no quiz."""
    rows = (await session.execute(_QUIZ_WITH_QUESTIONS, {"quiz": quiz_id})).all()
    if not rows:
        return None
    quiz = quiz_from(rows[0]._mapping, "quiz__")
    questions = [QuestionRecord(*row[_QUIZ_WIDTH:]) for row in rows if row[_QUIZ_WIDTH] is not None]
    return quiz, questions


async def new_content_version(session: AsyncSession, quiz_id: uuid.UUID) -> None:
    """Move the quiz's ``content_version`` on, in SQL: two concurrent changes make two
    versions, never one."""
    await session.execute(
        update(QUIZZES)
        .where(QUIZZES.c.id == quiz_id)
        .values(content_version=QUIZZES.c.content_version + 1)
        .execution_options(synchronize_session=False)
    )


async def question_records_of_quizzes(
    session: AsyncSession, quiz_ids: Sequence[uuid.UUID]
) -> list[QuestionRecord]:
    if not quiz_ids:
        return []
    rows = await session.execute(
        select(*_QUESTION_COLUMNS).where(_QUESTIONS_TABLE.c.quiz_id.in_(quiz_ids))
    )
    return [QuestionRecord(*row) for row in rows]


async def set_has_schedule(session: AsyncSession, quiz_id: uuid.UUID, scheduled: bool) -> None:
    """Flag the quiz as scheduled (or not) with a new content version, so every process's
    cached version of it learns the change."""
    await session.execute(
        update(QUIZZES)
        .where(QUIZZES.c.id == quiz_id)
        .values(has_schedule=scheduled, content_version=QUIZZES.c.content_version + 1)
        .execution_options(synchronize_session=False)
    )


def published_quiz(quiz_id: Any) -> ColumnElement[bool]:
    """True when ``quiz_id`` (a column) is a published quiz."""
    return (
        select(QUIZZES.c.id)
        .where(QUIZZES.c.id == quiz_id, QUIZZES.c.is_published.is_(True))
        .exists()
    )
