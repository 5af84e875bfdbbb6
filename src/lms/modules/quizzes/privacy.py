"""The quizzes module's personal data: the person's attempts, with their answers and
the graders' marks and feedback.

Erasure keeps each attempt's scores (quiz statistics and pass rates do not change) and
removes what was written: every answer's text, the feedback and per-question comments."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.privacy import PersonalDataHandler, document_schema, export_rows, rows_schema
from lms.modules.quizzes.models import QuizAttempt


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "attempts": await export_rows(session, QuizAttempt, QuizAttempt.student_id == account_id)
    }


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    attempts = await session.scalars(
        select(QuizAttempt).where(QuizAttempt.student_id == account_id)
    )
    for attempt in attempts:
        if attempt.answers:
            attempt.answers = [
                {**answer, "answer": None} if isinstance(answer, dict) else None
                for answer in attempt.answers
            ]
        if attempt.marks:
            attempt.marks = {
                question: {**mark, "feedback": None} if isinstance(mark, dict) else mark
                for question, mark in attempt.marks.items()
            }
        attempt.feedback = None
    await session.flush()


PERSONAL_DATA = PersonalDataHandler(
    module="quizzes",
    tables=("quiz_attempts",),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "quizzes",
        "Your quiz attempts: answers, scores, marks and feedback.",
        {"attempts": rows_schema(QuizAttempt)},
    ),
    kept="Attempts' scores, without answers or feedback: quiz statistics do not change.",
)
