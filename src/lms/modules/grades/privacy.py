"""The grades module's personal data: the course-grade overrides and the history of
grade changes of a student, and the changes the person made as staff.

Export lists them. Erasure keeps the grades (the course's figures must not change when
a student leaves) and forgets the free text written about the person: the reasons of
their overrides and grade changes. What the person did as staff stays, pointing at the
anonymised account."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.privacy import PersonalDataHandler, document_schema, export_rows, rows_schema
from lms.modules.grades.models import GradeChange, GradeOverride, GradingScheme

ERASED_REASON = "(erased)"


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "course_grade_overrides": await export_rows(
            session,
            GradeOverride,
            or_(GradeOverride.student_id == account_id, GradeOverride.set_by_id == account_id),
        ),
        "grade_changes": await export_rows(
            session,
            GradeChange,
            or_(GradeChange.student_id == account_id, GradeChange.changed_by_id == account_id),
        ),
        "grading_schemes_edited": await export_rows(
            session, GradingScheme, GradingScheme.updated_by_id == account_id
        ),
    }


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(
        update(GradeOverride)
        .where(GradeOverride.student_id == account_id)
        .values(reason=ERASED_REASON)
    )
    await session.execute(
        update(GradeChange)
        .where(GradeChange.student_id == account_id, GradeChange.reason.is_not(None))
        .values(reason=ERASED_REASON)
    )


PERSONAL_DATA = PersonalDataHandler(
    module="grades",
    tables=("grade_overrides", "grade_changes", "grading_schemes"),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "grades",
        "Your course grades set by hand and the history of your grade changes, and what "
        "you changed as a course's staff.",
        {
            "course_grade_overrides": rows_schema(GradeOverride),
            "grade_changes": rows_schema(GradeChange),
            "grading_schemes_edited": rows_schema(GradingScheme),
        },
    ),
    kept="Grades stay (the course's figures must not change); the reasons written about "
    "you are replaced.",
)
