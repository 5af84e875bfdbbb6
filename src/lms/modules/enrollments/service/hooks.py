"""Extension points for other modules (registered at import time):

- ``register_paid_access_checker(checker)``: ``async checker(session, student_id,
  course_id) -> bool``. A paid course (price > 0) is open to a student when any
  registered checker says yes (the payments module registers one for succeeded payments
  and active subscriptions). With none registered, paid courses refuse with 402.
- ``on_enrollment_completed(listener)``: ``async listener(session, enrollment) -> None``
  runs once per enrollment, in the transaction that completed it (so whatever it writes,
  an outbox job for instance, commits or rolls back with the completion). An exception
  in a listener rolls the completion back. The certificates module registers one that
  queues the certificate.

Only this file reads the registries, so a list replaced here (a test swapping in a
copy) is the one every caller uses.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.enrollments.models import Enrollment

PaidAccessChecker = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[bool]]
CompletionListener = Callable[[AsyncSession, Enrollment], Awaitable[None]]

_paid_access_checkers: list[PaidAccessChecker] = []
_completion_listeners: list[CompletionListener] = []


def register_paid_access_checker(checker: PaidAccessChecker) -> PaidAccessChecker:
    """Add ``async checker(session, student_id, course_id) -> bool`` to the checks that
    open a paid course (see the module docstring)."""
    if checker not in _paid_access_checkers:
        _paid_access_checkers.append(checker)
    return checker


async def has_paid_access(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> bool:
    """Has the student paid for (or subscribed to) this course? Asks every registered
    checker; False when none says yes."""
    for checker in _paid_access_checkers:
        if await checker(session, student_id, course_id):
            return True
    return False


def on_enrollment_completed(listener: CompletionListener) -> CompletionListener:
    """Run ``async listener(session, enrollment)`` once when an enrollment completes, in
    the same transaction (see the module docstring). Usable as a decorator."""
    if listener not in _completion_listeners:
        _completion_listeners.append(listener)
    return listener


async def run_completion_listeners(session: AsyncSession, enrollment: Enrollment) -> None:
    """Every ``on_enrollment_completed`` listener, in the order they were registered."""
    for listener in _completion_listeners:
        await listener(session, enrollment)
