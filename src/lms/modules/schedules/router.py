"""Schedules over HTTP: the caller's calendar and its iCalendar feed, and the routes of
an item's schedule and overrides, which the item's own module adds to its router
(``add_schedule_routes``) with a dependency that finds the item."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import CurrentPrincipal, SessionDep, SettingsDep
from lms.core.errors import problem_responses
from lms.core.routing import TransactionalRoute, creates
from lms.modules import courses, users
from lms.modules.schedules import service
from lms.modules.schedules.schemas import (
    CalendarFeedRead,
    CalendarRead,
    ItemRef,
    OverrideIn,
    OverrideRead,
    ScheduleIn,
    ScheduleRead,
)

me = APIRouter(
    prefix="/me/calendar",
    tags=["schedules"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)
feeds = APIRouter(
    prefix="/calendar",
    tags=["schedules"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)

ICALENDAR = "text/calendar; charset=utf-8"


@dataclass(frozen=True, slots=True)
class ScheduledItem:
    """What an item's module hands these routes: the item, and what the caller is to its
    course (``CoursePolicy`` decides: editors change schedules, the team reads them)."""

    item: ItemRef
    access: courses.CourseAccess


# Called after a change with whether the item still has a schedule row (the quizzes
# module flags its quiz, so taking an unscheduled quiz reads nothing more).
ScheduleChanged = Callable[[AsyncSession, ItemRef, bool], Awaitable[None]]


async def _no_reaction(_session: AsyncSession, _item: ItemRef, _scheduled: bool) -> None:
    return None


def add_schedule_routes(
    router: APIRouter,
    *,
    path: str,
    location: str,
    find_item: Callable[..., Awaitable[ScheduledItem]],
    on_change: ScheduleChanged = _no_reaction,
    noun: str,
) -> None:
    """Add ``GET/PUT/DELETE {path}`` (the schedule) and ``GET/POST {path}/overrides``,
    ``GET/DELETE {path}/overrides/{override_id}`` to ``router``. ``find_item`` is a
    dependency that finds the item from the path (404 when the caller may not see it);
    ``location`` is the API path of the item's schedule (for ``Location``)."""
    Target = Annotated[ScheduledItem, Depends(find_item)]

    @router.get(path, response_model=ScheduleRead, name=f"get_{noun}_schedule")
    async def get_schedule(target: Target, session: SessionDep) -> ScheduleRead:
        """The item's dates and late policy (the course's team: owner, co-instructors,
        assistants, admins). 404 `schedule_not_found` when it has none."""
        schedule = await service.get_schedule_or_raise(
            session, item=target.item, access=target.access
        )
        return ScheduleRead.model_validate(schedule)

    @router.put(path, response_model=ScheduleRead, name=f"set_{noun}_schedule")
    async def set_schedule(target: Target, data: ScheduleIn, session: SessionDep) -> ScheduleRead:
        """Set the item's `available_from`, `due_at`, `available_until` (each optional,
        in this order) and late policy: `accept`, `penalty` (with
        `penalty_percent_per_day` and `penalty_floor_percent`) or `refuse` (the course's
        owner, co-instructors and admins). Replaces the previous schedule; overrides
        stay."""
        schedule, _ = await service.set_schedule(
            session, item=target.item, access=target.access, data=data
        )
        await on_change(session, target.item, True)
        return ScheduleRead.model_validate(schedule)

    @router.delete(path, status_code=status.HTTP_204_NO_CONTENT, name=f"clear_{noun}_schedule")
    async def clear_schedule(target: Target, session: SessionDep) -> Response:
        """Remove the item's schedule with its overrides (the course's editors)."""
        await service.clear_schedule(session, item=target.item, access=target.access)
        await on_change(session, target.item, False)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.get(
        f"{path}/overrides", response_model=list[OverrideRead], name=f"list_{noun}_overrides"
    )
    async def list_overrides(target: Target, session: SessionDep) -> list[OverrideRead]:
        """The item's overrides, per student and per cohort (the course's team)."""
        found = await service.list_overrides(session, item=target.item, access=target.access)
        return [OverrideRead.model_validate(o) for o in found]

    @router.post(
        f"{path}/overrides",
        response_model=OverrideRead,
        status_code=status.HTTP_201_CREATED,
        name=f"add_{noun}_override",
    )
    @creates(f"{location}/overrides/{{id}}")
    async def add_override(target: Target, data: OverrideIn, session: SessionDep) -> OverrideRead:
        """Give one enrolled student (`student_id`) or one cohort (`cohort_id`) other
        dates, more attempts (`max_attempts`) or a longer time limit
        (`time_limit_minutes`) (the course's editors). Per field, the student's override
        wins over the cohort's, which wins over the item's schedule. 409
        `override_exists` if that student or cohort has one already."""
        override = await service.add_override(
            session, item=target.item, access=target.access, data=data
        )
        await on_change(session, target.item, True)
        return OverrideRead.model_validate(override)

    @router.get(
        f"{path}/overrides/{{override_id}}",
        response_model=OverrideRead,
        name=f"get_{noun}_override",
    )
    async def get_override(
        target: Target, override_id: uuid.UUID, session: SessionDep
    ) -> OverrideRead:
        """One override of the item (the course's team)."""
        override = await service.get_override_or_raise(
            session, item=target.item, access=target.access, override_id=override_id
        )
        return OverrideRead.model_validate(override)

    @router.delete(
        f"{path}/overrides/{{override_id}}",
        status_code=status.HTTP_204_NO_CONTENT,
        name=f"remove_{noun}_override",
    )
    async def remove_override(
        target: Target, override_id: uuid.UUID, session: SessionDep
    ) -> Response:
        """Delete one override (the course's editors)."""
        await service.remove_override(
            session, item=target.item, access=target.access, override_id=override_id
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- the caller's calendar ----------------------------------------------------------------


@me.get("", response_model=CalendarRead, response_model_by_alias=True)
async def my_calendar(
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> CalendarRead:
    """The caller's dates between `from` and `to` (ISO 8601 with an offset; by default
    the next 30 days): opening, due and closing dates of the quizzes and assignments of
    their courses (with their overrides), and their cohorts' first and last days. Times
    are UTC; `time_zone` names the zone the person reads them in. 422
    `calendar_range_invalid` when `to` is not after `from` or the range is wider than
    `LMS_CALENDAR_MAX_RANGE_DAYS`."""
    for moment in (start, end):
        if moment is not None and moment.tzinfo is None:
            raise service.CalendarRangeInvalid("`from` and `to` need a UTC offset.")
    first, last = service.calendar_range(settings, start, end)
    account = await users.get_user_summary_or_raise(session, principal.id)
    entries = await service.calendar_entries(
        session, student_id=principal.id, time_zone=account.time_zone, start=first, end=last
    )
    return CalendarRead(time_zone=account.time_zone, from_=first, to=last, entries=entries)


def _feed_read(settings: Any, token: str, created_at: datetime) -> CalendarFeedRead:
    return CalendarFeedRead(
        url=f"{settings.public_base_url}/api/v1/calendar/{token}.ics", created_at=created_at
    )


@me.get("/feed", response_model=CalendarFeedRead)
async def my_calendar_feed(
    principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> CalendarFeedRead:
    """The secret address of the caller's iCalendar feed (created on first call): any
    calendar application that holds it reads the caller's dates, so keep it private and
    rotate it if it leaks."""
    feed = await service.get_or_create_feed(session, user_id=principal.id)
    return _feed_read(settings, feed.token, feed.created_at)


@me.post("/feed/rotate", response_model=CalendarFeedRead)
async def rotate_my_calendar_feed(
    principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> CalendarFeedRead:
    """A new secret address for the caller's feed; the old one answers 404 at once."""
    feed = await service.rotate_feed(session, user_id=principal.id)
    return _feed_read(settings, feed.token, feed.created_at)


@feeds.get(
    "/{token}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "An iCalendar feed"}},
)
async def calendar_feed(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """The iCalendar (RFC 5545) feed at a secret address (no sign-in: the address is
    the secret): the owner's dates from `LMS_CALENDAR_FEED_PAST_DAYS` ago to
    `LMS_CALENDAR_FEED_FUTURE_DAYS` ahead, in their time zone (with its VTIMEZONE).
    404 `calendar_feed_not_found` for an unknown or rotated address."""
    owner = await service.feed_owner_or_raise(session, token)
    start, end = service.feed_window(settings)
    entries = await service.calendar_entries(
        session, student_id=owner.id, time_zone=owner.time_zone, start=start, end=end
    )
    body = service.render_calendar(
        entries,
        time_zone=service.zone_of(owner.time_zone),
        name=f"{owner.full_name} — LMS",
        stamp=service.now(),
        start=start,
        end=end,
    )
    return Response(
        content=body,
        media_type=ICALENDAR,
        headers={"Cache-Control": "private, max-age=300"},
    )


routers = (me, feeds)
