"""Who may read a course's material beyond its instructor and admins: a question this
module asks in SQL (``MaterialAccess``), answered by the modules that know (the
enrollments module: its students), so that reading a lesson checks access in the very
statement that reads it.

The statements that hold the answer are composed once and kept; they are composed
again only when the subscriptions change (``lms.core.events.EventBus.revision``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Executable, bindparam, select

from lms.core import events
from lms.modules.courses import repository
from lms.modules.courses.events import MaterialAccess
from lms.modules.courses.models import Course

# name -> (the bus revision it was composed at, the statement)
_access_statements: dict[str, tuple[int, Executable]] = {}


def _has_access(user_id: Any, course_id: Any) -> ColumnElement[bool]:
    return events.condition(MaterialAccess(user_id=user_id, course_id=course_id))


def access_statement(name: str) -> Executable:
    """``is_enrolled`` (bound ``user_id`` and ``course_id``) or ``lesson_with_course``
    (bound ``lesson_id`` and ``user_id``) with the answers to ``MaterialAccess`` in it."""
    revision = events.bus.revision
    cached = _access_statements.get(name)
    if cached is not None and cached[0] == revision:
        return cached[1]
    statement: Executable
    if name == "is_enrolled":
        statement = select(_has_access(bindparam("user_id"), bindparam("course_id")))
    else:
        statement = repository.lesson_with_course_statement(
            _has_access(bindparam("user_id"), Course.id)
        )
    _access_statements[name] = (revision, statement)
    return statement
