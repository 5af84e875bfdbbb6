"""The scores of quizzes as the gradebook (the grades module) reads them.

``graded_attempt_scores(course_id)`` is a selectable for another module's statement,
one row per graded attempt of a counting quiz of the course (a published quiz of type
``graded``; practice quizzes never count), with these columns:

- ``attempt_id`` (UUID), ``enrollment_id`` (UUID), ``quiz_id`` (UUID),
  ``attempt_number`` (integer);
- ``percentage`` (NUMERIC(6,2), 0-100, never NULL): the attempt's score in percent of
  the quiz's points, before any late penalty;
- ``is_late`` (boolean) and ``late_penalty_percent`` (NUMERIC(5,2), NULL for none).

Attempts still in progress or waiting for a grader are not listed. Which attempt counts
(the best one) is the reader's rule, not this module's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Subquery
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.quizzes.repository import scores as score_queries


@dataclass(frozen=True, slots=True)
class GradedQuiz:
    """A quiz that counts toward the course grade: graded (not practice), published."""

    id: uuid.UUID
    title: str
    created_at: datetime


def graded_attempt_scores(course_id: uuid.UUID) -> Subquery:
    """The graded attempts of the course's counting quizzes (see the module docstring
    for the columns)."""
    return score_queries.graded_attempt_scores(course_id)


async def list_graded_quizzes(session: AsyncSession, course_id: uuid.UUID) -> list[GradedQuiz]:
    """The course's counting quizzes, oldest first."""
    return [
        GradedQuiz(id=quiz_id, title=title, created_at=created_at)
        for quiz_id, title, created_at in await score_queries.graded_quizzes(session, course_id)
    ]
