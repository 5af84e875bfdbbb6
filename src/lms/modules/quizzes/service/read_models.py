"""What the service hands the router to show: a quiz's totals, an attempt with its
questions and what its viewer may see of it."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.quizzes import repository
from lms.modules.quizzes.models import Quiz
from lms.modules.quizzes.repository import AttemptRecord, QuestionRecord

Questions = dict[uuid.UUID, QuestionRecord]


@functools.lru_cache(maxsize=65_536)
def question_uuid(question_id: str) -> uuid.UUID:
    """A question id as an attempt stores it (text) as a UUID. The same ids come back
    with every attempt at a quiz, so each is parsed once."""
    return uuid.UUID(question_id)


async def questions_by_id(session: AsyncSession, quiz_id: uuid.UUID) -> Questions:
    """The quiz's questions by id, in quiz order."""
    return {q.id: q for q in await repository.question_records(session, quiz_id)}


@dataclass(frozen=True)
class QuizTotals:
    question_count: int
    total_points: Decimal


async def quiz_totals(
    session: AsyncSession, quizzes: Sequence[Quiz]
) -> dict[uuid.UUID, QuizTotals]:
    """Question count and total points of each quiz, in one query."""
    found = await repository.question_totals(session, [q.id for q in quizzes])
    return {quiz.id: QuizTotals(*found.get(quiz.id, (0, Decimal("0")))) for quiz in quizzes}


@dataclass(frozen=True, eq=False)
class QuizVersion:
    """A quiz (outside any session: only read, never changed) and its questions by id in
    quiz order, at one ``content_version`` (``versions``). Compared and hashed by
    identity: one object per version and process, so what is derived from it can be
    kept with it."""

    quiz: Quiz
    questions: Questions


@dataclass(frozen=True)
class AttemptView:
    """An attempt with what is needed to show it, and how much the viewer may see;
    ``version`` is the cached quiz version ``quiz`` and ``questions`` come from, if any."""

    attempt: AttemptRecord
    quiz: Quiz
    questions: Questions
    viewer_is_manager: bool
    at: datetime
    version: QuizVersion | None = None

    @classmethod
    def of_version(cls, attempt: AttemptRecord, version: QuizVersion, at: datetime) -> AttemptView:
        """The student's own view of an attempt at a cached quiz version."""
        return cls(attempt, version.quiz, version.questions, False, at, version)

    @property
    def ordered_questions(self) -> list[QuestionRecord]:
        ids = (question_uuid(qid) for qid in self.attempt.question_order)
        return [self.questions[qid] for qid in ids if qid in self.questions]

    def options_of(self, question: QuestionRecord) -> list[str] | None:
        shuffled = (self.attempt.option_order or {}).get(str(question.id))
        return list(shuffled) if shuffled is not None else question.options

    @property
    def reveals_answers(self) -> bool:
        if self.viewer_is_manager:
            return True
        return self.attempt.status != "in_progress" and self.quiz.show_correct_answers

    @property
    def shows_results(self) -> bool:
        return self.attempt.status != "in_progress"
