"""lms/wiring.py: every event, question and condition a module declares has its
subscribers there, in the order the flows need."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import lms.modules
from lms.core.events import Condition, Event, EventBus, Lookup, Question
from lms.modules import assignments, audit, courses, enrollments, files, payments
from lms.wiring import wire


def declared_messages() -> list[type]:
    """Every event, question and condition class of the modules' ``events`` files."""
    found = []
    for module in pkgutil.iter_modules(lms.modules.__path__):
        name = f"lms.modules.{module.name}.events"
        try:
            events_module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        found += [
            cls
            for _, cls in inspect.getmembers(events_module, inspect.isclass)
            if cls.__module__ == name and issubclass(cls, Event | Question | Condition | Lookup)
        ]
    return found


def test_every_event_question_and_condition_has_subscribers() -> None:
    bus = EventBus()
    wire(bus)
    messages = declared_messages()
    assert len(messages) >= 12
    names = [message.name for message in messages]  # type: ignore[attr-defined]
    assert len(set(names)) == len(names), "two messages share a name"
    missing = [message.__name__ for message in messages if not bus.subscribers(message)]
    assert missing == []


def test_wiring_twice_subscribes_once_and_keeps_the_order() -> None:
    bus = EventBus()
    wire(bus)
    wire(bus)
    # The enrollments module refuses first: a course with students and payments is
    # refused because of the students, as it always was. The audit entry comes after
    # the guards, so a refused deletion leaves none.
    assert bus.subscribers(courses.CourseDeleting) == [
        enrollments.refuse_deleting_course_with_students,
        payments.refuse_deleting_paid_course,
        audit.record_course_deleted,
    ]
    assert bus.subscribers(files.FileReadAsked) == [
        enrollments.students_read_course_materials,
        assignments.graders_read_handed_in_files,
    ]


def test_the_application_bus_is_wired_like_a_fresh_one() -> None:
    from lms.core.events import bus as application_bus
    from lms.main import load_modules

    load_modules()
    fresh = EventBus()
    wire(fresh)
    for message in declared_messages():
        assert application_bus.subscribers(message) == fresh.subscribers(message), message
