"""Schedules: the dates of quizzes and assignment lessons (opening, due, closing) with a
late policy, overrides per student or cohort, due-soon reminders, and each person's
calendar with its iCalendar feed.

Public surface:
- ``ItemRef`` (a quiz or assignment lesson as its module names it), ``ScheduledItem``
  and ``add_schedule_routes``, with which the item's module adds the schedule and
  override routes to its own router;
- ``schedule_for_student`` (one indexed statement) returning an ``EffectiveSchedule``,
  whose rules (``check_start``, ``check_hand_in``, ``lateness``, ``deadline``) raise
  ``NotYetAvailable`` / ``PastDue`` and give a ``Lateness``; ``has_schedule``;
  ``rename_item`` when a scheduled item's title changes;
- the conditions it asks in SQL (``WorkHandedIn``, ``ItemListed``), answered by the
  quizzes and assignments modules in ``lms/wiring.py``;
- ``ENTRY_SOURCES`` with ``CalendarScope`` and ``EntrySource``: where another kind of
  calendar entry (a lesson's unlock date) joins; ``CalendarEntry``;
- ``DUE_REMINDER_JOB``, the periodic job; ``now``, the module's clock;
- ``routers`` for the application; ``PERSONAL_DATA``, how it exports and erases what
  it holds about a person (registered in ``lms/wiring.py``).
"""

from lms.modules.schedules.events import ItemListed, WorkHandedIn
from lms.modules.schedules.privacy import PERSONAL_DATA
from lms.modules.schedules.router import ScheduledItem, add_schedule_routes, routers
from lms.modules.schedules.schemas import CalendarEntry, ItemRef
from lms.modules.schedules.service import (
    DUE_REMINDER_JOB,
    ENTRY_SOURCES,
    CalendarScope,
    EffectiveSchedule,
    EntrySource,
    Lateness,
    NotYetAvailable,
    PastDue,
    has_schedule,
    now,
    rename_item,
    schedule_for_student,
)

__all__ = [
    "DUE_REMINDER_JOB",
    "ENTRY_SOURCES",
    "PERSONAL_DATA",
    "CalendarEntry",
    "CalendarScope",
    "EffectiveSchedule",
    "EntrySource",
    "ItemListed",
    "ItemRef",
    "Lateness",
    "NotYetAvailable",
    "PastDue",
    "ScheduledItem",
    "WorkHandedIn",
    "add_schedule_routes",
    "has_schedule",
    "now",
    "rename_item",
    "routers",
    "schedule_for_student",
]
