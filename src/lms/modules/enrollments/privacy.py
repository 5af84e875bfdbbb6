"""The enrollments module's personal data: the person's enrollments (with their review),
per-lesson progress and the learning-time log.

Erasure keeps the rows, which now point at an anonymised account, so that every count,
completion rate, time total and rating average of the courses stays as it was; the
free text (the review) and the progress notes are removed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.privacy import PersonalDataHandler, document_schema, export_rows, rows_schema
from lms.modules.enrollments.models import Enrollment, LearningTime, LessonProgress


def _enrollment_ids(account_id: uuid.UUID) -> Any:
    return select(Enrollment.id).where(Enrollment.student_id == account_id).scalar_subquery()


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    ids = _enrollment_ids(account_id)
    return {
        "enrollments": await export_rows(session, Enrollment, Enrollment.student_id == account_id),
        "lesson_progress": await export_rows(
            session, LessonProgress, LessonProgress.enrollment_id.in_(ids)
        ),
        "learning_time": await export_rows(
            session, LearningTime, LearningTime.enrollment_id.in_(ids)
        ),
    }


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(
        update(Enrollment)
        .where(Enrollment.student_id == account_id, Enrollment.review.is_not(None))
        .values(review=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(LessonProgress)
        .where(
            LessonProgress.enrollment_id.in_(_enrollment_ids(account_id)),
            LessonProgress.progress_metadata.is_not(None),
        )
        .values(progress_metadata=None)
        .execution_options(synchronize_session=False)
    )


PERSONAL_DATA = PersonalDataHandler(
    module="enrollments",
    tables=("enrollments", "lesson_progress", "learning_time"),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "enrollments",
        "Your enrollments (status, progress, rating and review), your progress in each "
        "lesson and when you spent time learning.",
        {
            "enrollments": rows_schema(Enrollment),
            "lesson_progress": rows_schema(LessonProgress),
            "learning_time": rows_schema(LearningTime),
        },
    ),
    kept="Enrollments, progress and time (anonymised): course counts, completion rates "
    "and ratings do not change.",
)
