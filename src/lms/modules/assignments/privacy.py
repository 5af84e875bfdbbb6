"""The assignments module's personal data: the person's submissions (their text, the
file handed in, the grader's feedback).

Erasure keeps each submission's score and status (course statistics do not change);
the text is replaced by a placeholder, the link to the file is cut (the files module
deletes the file itself) and the feedback is removed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.privacy import (
    REDACTED,
    PersonalDataHandler,
    document_schema,
    export_rows,
    rows_schema,
)
from lms.modules.assignments.models import AssignmentSubmission


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "submissions": await export_rows(
            session, AssignmentSubmission, AssignmentSubmission.student_id == account_id
        )
    }


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    submissions = await session.scalars(
        select(AssignmentSubmission).where(AssignmentSubmission.student_id == account_id)
    )
    for submission in submissions:
        # A submission has text or a file (a check constraint): the placeholder stays.
        submission.text = REDACTED
        submission.file_id = None
        submission.feedback = None
    await session.flush()


PERSONAL_DATA = PersonalDataHandler(
    module="assignments",
    tables=("assignment_submissions",),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "assignments",
        "Your assignment submissions: text, the id of the file handed in (the file is in "
        "the archive's files folder), score and feedback.",
        {"submissions": rows_schema(AssignmentSubmission)},
    ),
    kept="Submissions' scores and status, without text, file or feedback.",
)
