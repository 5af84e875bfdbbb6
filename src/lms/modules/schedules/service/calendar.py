"""A person's calendar: the dates of the items of the courses they are enrolled in
(as their overrides have them), and their cohorts' start and end, as JSON
(``GET /me/calendar``) and as an iCalendar feed at a secret address.

Entries come from ``ENTRY_SOURCES``: each source reads one kind of dated thing for a
student's enrollments. Adding a kind (a lesson's unlock date, say) is one more function
in that list."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.config import Settings
from lms.core.errors import NotFound, RuleViolation
from lms.core.session import require_transaction
from lms.modules import courses, enrollments, users
from lms.modules.schedules import repository
from lms.modules.schedules.events import ItemListed
from lms.modules.schedules.models import CalendarFeed, ItemSchedule, ScheduleOverride
from lms.modules.schedules.schemas import CalendarEntry
from lms.modules.schedules.service import clock
from lms.modules.schedules.service.items import merge


class CalendarRangeInvalid(RuleViolation):
    code = "calendar_range_invalid"
    detail = "`from` must be before `to`, and the range no wider than the server allows."


class CalendarFeedNotFound(NotFound):
    code = "calendar_feed_not_found"
    detail = "No calendar feed at this address."


@dataclass(frozen=True, slots=True)
class CalendarScope:
    """What a source reads for: one student, their enrollments that give access, the
    titles of those courses, and the range (UTC, ``start`` included, ``end`` not)."""

    student_id: uuid.UUID
    time_zone: ZoneInfo
    enrollments: list[enrollments.EnrollmentSummary]
    course_titles: dict[uuid.UUID, str]
    start: datetime
    end: datetime

    def covers(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


EntrySource = Callable[[AsyncSession, CalendarScope], Awaitable[list[CalendarEntry]]]


def _listed() -> ColumnElement[bool]:
    return events.condition(
        ItemListed(item_type=ItemSchedule.item_type, item_id=ItemSchedule.item_id)
    )


_ITEM_DATES = (
    ("available_from", "available_from", "opens"),
    ("due_at", "due", "due"),
    ("available_until", "available_until", "closes"),
)


async def item_entries(session: AsyncSession, scope: CalendarScope) -> list[CalendarEntry]:
    """The opening, due and closing dates of the listed quizzes and assignments of the
    student's courses, with the student's and their cohort's overrides laid over."""
    schedules = await repository.schedules_of_courses(
        session, course_ids=list(scope.course_titles), listed=_listed()
    )
    if not schedules:
        return []
    cohort_ids = {e.cohort_id for e in scope.enrollments if e.cohort_id is not None}
    overrides = await repository.overrides_for(
        session,
        schedule_ids=[schedule.id for schedule, _ in schedules],
        student_ids=[scope.student_id],
        cohort_ids=cohort_ids,
    )
    mine = {o.schedule_id: o for o in overrides if o.student_id == scope.student_id}
    cohorts: dict[tuple[uuid.UUID, uuid.UUID | None], ScheduleOverride] = {
        (o.schedule_id, o.cohort_id): o for o in overrides if o.cohort_id is not None
    }
    cohort_of = {e.course_id: e.cohort_id for e in scope.enrollments}
    lesson_titles = await courses.get_lessons(
        session, [s.item_id for s, _ in schedules if s.item_type == "assignment"]
    )
    entries: list[CalendarEntry] = []
    for schedule, title in schedules:
        effective = merge(
            schedule,
            mine.get(schedule.id),
            cohorts.get((schedule.id, cohort_of.get(schedule.course_id))),
        )
        if schedule.item_type == "assignment":
            lesson = lesson_titles.get(schedule.item_id)
            title = lesson.title if lesson is not None else title
        for field, kind, verb in _ITEM_DATES:
            moment = getattr(effective, field)
            if not scope.covers(moment):
                continue
            entries.append(
                CalendarEntry(
                    uid=f"{kind}-{schedule.item_type}-{schedule.item_id}",
                    type=kind,
                    title=f"{title} ({verb})" if kind != "due" else f"{title} (due)",
                    course_id=schedule.course_id,
                    course_title=scope.course_titles[schedule.course_id],
                    item_type=schedule.item_type,
                    item_id=schedule.item_id,
                    starts_at=moment,
                )
            )
    return entries


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


async def cohort_entries(session: AsyncSession, scope: CalendarScope) -> list[CalendarEntry]:
    """The start and end days of the student's cohorts (all-day entries, the day
    starting at midnight in the student's zone)."""
    cohort_ids = {e.cohort_id for e in scope.enrollments if e.cohort_id is not None}
    if not cohort_ids:
        return []
    found = await courses.get_cohorts(session, cohort_ids)
    entries: list[CalendarEntry] = []
    for cohort in found.values():
        for day, kind, verb in (
            (cohort.starts_on, "cohort_start", "starts"),
            (cohort.ends_on, "cohort_end", "ends"),
        ):
            if day is None:
                continue
            moment = _midnight(day, scope.time_zone)
            if not (
                scope.start < _midnight(day + timedelta(days=1), scope.time_zone)
                and moment < scope.end
            ):
                continue
            entries.append(
                CalendarEntry(
                    uid=f"{kind}-{cohort.id}",
                    type=kind,
                    title=f"{cohort.name} {verb}",
                    course_id=cohort.course_id,
                    course_title=scope.course_titles.get(cohort.course_id, ""),
                    starts_at=moment,
                    ends_at=_midnight(day + timedelta(days=1), scope.time_zone),
                    all_day=True,
                )
            )
    return entries


async def lesson_unlock_entries(session: AsyncSession, scope: CalendarScope) -> list[CalendarEntry]:
    """The lessons that open for the student in the range (a date rule of drip release:
    a fixed date, or days after their enrollment or cohort start)."""
    unlocks = await courses.lesson_unlocks_between(
        session, scope.student_id, scope.start, scope.end
    )
    return [
        CalendarEntry(
            uid=f"lesson_unlock-{unlock.lesson_id}",
            type="lesson_unlock",
            title=f"{unlock.lesson_title} (opens)",
            course_id=unlock.course_id,
            course_title=unlock.course_title,
            item_type="lesson",
            item_id=unlock.lesson_id,
            starts_at=unlock.unlocks_at,
        )
        for unlock in unlocks
    ]


# Every kind of dated thing in a calendar, in this order.
ENTRY_SOURCES: list[EntrySource] = [item_entries, cohort_entries, lesson_unlock_entries]


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


async def calendar_entries(
    session: AsyncSession,
    *,
    student_id: uuid.UUID,
    time_zone: str,
    start: datetime,
    end: datetime,
) -> list[CalendarEntry]:
    """The student's entries in [``start``, ``end``), by time then uid."""
    held = await enrollments.list_enrollments(session, student_id=student_id)
    titles = {
        course.id: course.title
        for course in (await courses.get_courses(session, [e.course_id for e in held])).values()
    }
    scope = CalendarScope(
        student_id=student_id,
        time_zone=zone_of(time_zone),
        enrollments=[e for e in held if e.course_id in titles],
        course_titles=titles,
        start=start,
        end=end,
    )
    entries: list[CalendarEntry] = []
    for source in ENTRY_SOURCES:
        entries.extend(await source(session, scope))
    return sorted(entries, key=lambda entry: (entry.starts_at, entry.uid))


def calendar_range(
    settings: Settings, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    """The asked range in UTC: by default the next 30 days; 422
    ``calendar_range_invalid`` when ``from`` is not before ``to`` or the range is wider
    than ``LMS_CALENDAR_MAX_RANGE_DAYS``."""
    start = (start or clock.now()).astimezone(UTC)
    end = (end or start + timedelta(days=30)).astimezone(UTC)
    if end <= start or end - start > timedelta(days=settings.calendar_max_range_days):
        raise CalendarRangeInvalid(
            f"`from` must be before `to`, at most {settings.calendar_max_range_days} days apart."
        )
    return start, end


# --- the secret feed -----------------------------------------------------------------------


def _new_token() -> str:
    return secrets.token_urlsafe(32)


async def get_or_create_feed(session: AsyncSession, *, user_id: uuid.UUID) -> CalendarFeed:
    """The account's feed, created with a new secret token on first use."""
    feed = await repository.get_feed(session, user_id)
    if feed is not None:
        return feed
    require_transaction(session)
    feed = CalendarFeed(user_id=user_id, token=_new_token(), created_at=clock.now())
    try:
        async with session.begin_nested():
            session.add(feed)
            await session.flush()
    except IntegrityError:
        # A concurrent first call created it: that feed is the account's.
        found = await repository.get_feed(session, user_id)
        if found is None:
            raise
        return found
    return feed


async def rotate_feed(session: AsyncSession, *, user_id: uuid.UUID) -> CalendarFeed:
    """A new secret token for the account's feed; the old address answers 404 at once."""
    feed = await get_or_create_feed(session, user_id=user_id)
    await repository.set_feed_token(session, user_id=user_id, token=_new_token(), at=clock.now())
    await session.refresh(feed)
    return feed


async def feed_owner_or_raise(session: AsyncSession, token: str) -> users.UserSummary:
    """Whose feed this token opens: 404 ``calendar_feed_not_found`` for an unknown or
    rotated token, or an account that is no longer active."""
    feed = await repository.find_feed(session, token) if len(token) <= 64 else None
    if feed is None:
        raise CalendarFeedNotFound()
    owner = await users.get_user_summary(session, feed.user_id)
    if owner is None or not owner.is_active:
        raise CalendarFeedNotFound()
    return owner


def feed_window(settings: Settings) -> tuple[datetime, datetime]:
    """What the feed covers: ``LMS_CALENDAR_FEED_PAST_DAYS`` before now to
    ``LMS_CALENDAR_FEED_FUTURE_DAYS`` after (its VTIMEZONE covers the same span)."""
    at = clock.now()
    return (
        at - timedelta(days=settings.calendar_feed_past_days),
        at + timedelta(days=settings.calendar_feed_future_days),
    )
