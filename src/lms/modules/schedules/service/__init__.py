"""The schedules module's use cases: an item's schedule and overrides (``items``), the
rules they apply (``rules``), due-soon reminders (``reminders``), calendars and feeds
(``calendar``, rendered by ``ical``)."""

from datetime import datetime

from lms.modules.schedules.service import clock
from lms.modules.schedules.service.calendar import (
    ENTRY_SOURCES,
    CalendarFeedNotFound,
    CalendarRangeInvalid,
    CalendarScope,
    EntrySource,
    calendar_entries,
    calendar_range,
    feed_owner_or_raise,
    feed_window,
    get_or_create_feed,
    rotate_feed,
    zone_of,
)
from lms.modules.schedules.service.ical import render_calendar
from lms.modules.schedules.service.items import (
    OverrideExists,
    OverrideNotApplicable,
    OverrideNotFound,
    OverrideTargetNotFound,
    ScheduleNotFound,
    add_override,
    clear_schedule,
    get_override_or_raise,
    get_schedule_or_raise,
    has_schedule,
    list_overrides,
    remove_override,
    rename_item,
    schedule_for_student,
    set_schedule,
)
from lms.modules.schedules.service.reminders import DUE_REMINDER_JOB, send_due_reminders
from lms.modules.schedules.service.rules import (
    EffectiveSchedule,
    Lateness,
    NotYetAvailable,
    PastDue,
)


def now() -> datetime:
    """The time every schedule rule reads (tests replace ``clock.now``)."""
    return clock.now()


__all__ = [
    "DUE_REMINDER_JOB",
    "ENTRY_SOURCES",
    "CalendarFeedNotFound",
    "CalendarRangeInvalid",
    "CalendarScope",
    "EffectiveSchedule",
    "EntrySource",
    "Lateness",
    "NotYetAvailable",
    "OverrideExists",
    "OverrideNotApplicable",
    "OverrideNotFound",
    "OverrideTargetNotFound",
    "PastDue",
    "ScheduleNotFound",
    "add_override",
    "calendar_entries",
    "calendar_range",
    "clear_schedule",
    "feed_owner_or_raise",
    "feed_window",
    "get_or_create_feed",
    "get_override_or_raise",
    "get_schedule_or_raise",
    "has_schedule",
    "list_overrides",
    "now",
    "remove_override",
    "rename_item",
    "render_calendar",
    "rotate_feed",
    "schedule_for_student",
    "send_due_reminders",
    "set_schedule",
    "zone_of",
]
