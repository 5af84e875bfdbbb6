"""The courses module's personal data: the courses the person teaches (owner) and their
places on courses' teams (co-instructor, assistant, with their cohorts).

Erasure removes the person from every team. Courses they own stay: a course belongs to
the school and its students, and its owner is shown as the anonymised account until an
admin transfers it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.privacy import PersonalDataHandler, document_schema, export_rows, rows_schema
from lms.modules.courses.models import CohortAssistant, Course, CourseStaff

COURSE_COLUMNS = ("description", "course_metadata", "thumbnail_url")


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "courses_owned": await export_rows(
            session, Course, Course.instructor_id == account_id, omit=COURSE_COLUMNS
        ),
        "course_staff": await export_rows(session, CourseStaff, CourseStaff.user_id == account_id),
    }


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    places = select(CourseStaff.id).where(CourseStaff.user_id == account_id).scalar_subquery()
    await session.execute(
        delete(CohortAssistant)
        .where(CohortAssistant.staff_id.in_(places))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(CourseStaff)
        .where(CourseStaff.user_id == account_id)
        .execution_options(synchronize_session=False)
    )


PERSONAL_DATA = PersonalDataHandler(
    module="courses",
    tables=("courses", "course_staff", "cohort_assistants"),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "courses",
        "The courses you own and your places on courses' teams.",
        {
            "courses_owned": rows_schema(Course, omit=COURSE_COLUMNS),
            "course_staff": rows_schema(CourseStaff),
        },
    ),
    kept="Courses the person owned (they belong to the school), owned by the anonymised account.",
)
