"""A quiz's schedule (the schedules module keeps the dates; this module says which quiz,
and applies them when a student starts or submits).

The exam-day path pays for it only when the quiz has a schedule: ``has_schedule`` is a
column of the quiz, read with its cached content version, and set with a new content
version whenever the schedule appears or goes. A scheduled quiz costs one more indexed
statement on start and on submit (the schedule with the student's and their cohort's
overrides)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import Principal
from lms.modules import schedules
from lms.modules.quizzes import repository
from lms.modules.quizzes.models import Quiz
from lms.modules.quizzes.service import access


async def scheduled_quiz(
    session: AsyncSession, *, principal: Principal, quiz_id: uuid.UUID
) -> schedules.ScheduledItem:
    """The quiz as the schedule routes need it (404 if the caller cannot see it)."""
    context = await access.visible_quiz(session, principal=principal, quiz_id=quiz_id)
    quiz = context.quiz
    return schedules.ScheduledItem(item=_item(quiz), access=context.access)


def _item(quiz: Quiz) -> schedules.ItemRef:
    return schedules.ItemRef(
        item_type="quiz", item_id=quiz.id, course_id=quiz.course_id, title=quiz.title
    )


async def rename(session: AsyncSession, quiz: Quiz) -> None:
    """The quiz's new title, for calendars and reminders."""
    await schedules.rename_item(session, _item(quiz))


async def mark_scheduled(session: AsyncSession, item: schedules.ItemRef, scheduled: bool) -> None:
    """After a change of the quiz's schedule: flag the quiz (new content version)."""
    await repository.set_has_schedule(session, item.item_id, scheduled)


async def schedule_for(
    session: AsyncSession, *, quiz: Quiz, student_id: uuid.UUID
) -> schedules.EffectiveSchedule | None:
    """The quiz's schedule for this student; None, without a statement, when the quiz
    has none."""
    if not quiz.has_schedule:
        return None
    return await schedules.schedule_for_student(
        session, item_type="quiz", item_id=quiz.id, student_id=student_id
    )


async def lateness_at(
    session: AsyncSession, *, quiz: Quiz, student_id: uuid.UUID, at: datetime
) -> schedules.Lateness:
    """Whether the student's work handed in at ``at`` is late, and its penalty (no
    statement for an unscheduled quiz)."""
    schedule = await schedule_for(session, quiz=quiz, student_id=student_id)
    if schedule is None:
        return schedules.Lateness(is_late=False, penalty_percent=None)
    return schedule.lateness(at)


def quiz_handed_in(condition: schedules.WorkHandedIn) -> ColumnElement[bool]:
    """The schedules module's ``WorkHandedIn`` for quizzes: a submitted or graded
    attempt."""
    return and_(
        literal_column_is(condition.item_type, "quiz"),
        repository.handed_in(condition.item_id, condition.student_id),
    )


def published_quiz_listed(condition: schedules.ItemListed) -> ColumnElement[bool]:
    """The schedules module's ``ItemListed`` for quizzes: a published quiz."""
    return and_(
        literal_column_is(condition.item_type, "quiz"),
        repository.published_quiz(condition.item_id),
    )


def literal_column_is(column: Any, value: str) -> ColumnElement[bool]:
    """``column = value`` (the condition's fields are columns of the asking statement)."""
    result: ColumnElement[bool] = column == value
    return result
