"""The schedules module's personal data: the overrides set for the person (other dates,
more attempts, a longer time limit), the due-soon reminders sent to them, and their
calendar feed.

Export lists the three (the feed without its secret address). Erasure deletes them:
an override only shapes future work, a reminder row only stops a second email, and a
feed address that still answered would be a way to the person's calendar."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.privacy import PersonalDataHandler, document_schema, export_rows, rows_schema
from lms.modules.schedules.models import CalendarFeed, DueReminder, ScheduleOverride

FEED_SECRETS = ("token",)


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "overrides": await export_rows(
            session, ScheduleOverride, ScheduleOverride.student_id == account_id
        ),
        "reminders_sent": await export_rows(
            session, DueReminder, DueReminder.student_id == account_id
        ),
        "calendar_feeds": await export_rows(
            session, CalendarFeed, CalendarFeed.user_id == account_id, omit=FEED_SECRETS
        ),
    }


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(delete(ScheduleOverride).where(ScheduleOverride.student_id == account_id))
    await session.execute(delete(DueReminder).where(DueReminder.student_id == account_id))
    await session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == account_id))


PERSONAL_DATA = PersonalDataHandler(
    module="schedules",
    tables=("schedule_overrides", "due_reminders", "calendar_feeds"),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "schedules",
        "Dates and limits set for you alone, the due-soon reminders sent to you, and your "
        "calendar feed (never its secret address).",
        {
            "overrides": rows_schema(ScheduleOverride),
            "reminders_sent": rows_schema(DueReminder),
            "calendar_feeds": rows_schema(CalendarFeed, omit=FEED_SECRETS),
        },
    ),
)
