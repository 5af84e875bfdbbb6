"""A calendar as RFC 5545 text: one VEVENT per entry, times in the person's zone with
its VTIMEZONE (built from the IANA database by the ``icalendar`` library), all-day
entries as dates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from lms.modules.schedules.schemas import CalendarEntry

PRODID = "-//LMS//Schedules//EN"
UID_DOMAIN = "calendar.lms"


def render_calendar(
    entries: Sequence[CalendarEntry],
    *,
    time_zone: ZoneInfo,
    name: str,
    stamp: datetime,
    start: datetime,
    end: datetime,
) -> bytes:
    """The feed's bytes (CRLF line ends, folded lines). ``stamp`` is every event's
    DTSTAMP: the time the feed was made. ``start`` and ``end`` bound the VTIMEZONE's
    transitions."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", time_zone.key)
    calendar.add_component(
        Timezone.from_tzid(
            time_zone.key,
            first_date=(start - timedelta(days=1)).date(),
            last_date=(end + timedelta(days=1)).date(),
        )
    )
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.uid}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("summary", entry.title)
        event.add("description", f"{entry.course_title}")
        event.add("categories", [entry.type])
        if entry.all_day:
            local = entry.starts_at.astimezone(time_zone).date()
            event.add("dtstart", local)
            event.add("dtend", local + timedelta(days=1))
        else:
            # A moment (a due time): no DTEND, so the event ends when it starts (RFC 5545
            # 3.6.1), and it does not mark the person busy.
            event.add("dtstart", entry.starts_at.astimezone(time_zone))
            if entry.ends_at is not None and entry.ends_at > entry.starts_at:
                event.add("dtend", entry.ends_at.astimezone(time_zone))
            event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
