"""Domain events: the one way a module reacts to what happens in another.

An **event** is a fact, a frozen dataclass with a versioned ``name``
(``enrollment.completed.v1``) holding plain, typed data (ids, numbers, times, strings),
never ORM objects, so that any subscriber (another module, later an outbound webhook or
the audit log) can read or serialise it. The module where the change happens publishes
it inside the transaction of the change::

    await events.publish(session, EnrollmentCompleted(enrollment_id=..., ...))

Subscribers run at once, in the order they were subscribed, in the same transaction:
what they write commits or rolls back with the change, and one that raises refuses the
change (a guard: ``course.deleting.v1`` is refused while students are enrolled). Work
that must happen after the commit (an email, a PDF, a call to another system) leaves
through the outbox: the subscriber enqueues a job (``lms.core.jobs``).

A **question** asks the modules that know the answer, for a rule one module owns but
another must apply (may this caller read this file? has this student paid for this
course?). ``await events.ask(session, question)`` is true when any subscriber answers
true, false when none does. A **condition** is a question answered in SQL, for a rule
that must sit inside the statement that reads the rows (``events.condition(question)``:
the subscribers' boolean expressions joined with OR). A **lookup** is a question
answered in SQL with a value rather than a yes or no (when did this student enroll?):
``events.value(question)`` is the first subscriber's non-NULL answer (``COALESCE``),
NULL when none answers.

Every subscription is listed in one file, ``lms/wiring.py``, which the application and
the worker both load; nothing subscribes when a module is imported.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, TypeVar

from sqlalchemy import ColumnElement, false, func, null, or_
from sqlalchemy.ext.asyncio import AsyncSession


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """A fact published by the module where it happened. Subclasses set ``name``
    (``<object>.<what happened>.v<version>``) and are frozen dataclasses."""

    name: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        """The event's data as JSON-compatible values (ids and decimals as strings,
        times in ISO 8601)."""
        return {field.name: _plain(getattr(self, field.name)) for field in dataclasses.fields(self)}


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Question:
    """A yes-or-no question a module asks the modules that know the answer."""

    name: ClassVar[str]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Condition:
    """A question answered in SQL: its fields are column expressions or bound
    parameters, and each subscriber returns a boolean expression over them."""

    name: ClassVar[str]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Lookup:
    """A question answered in SQL with a value: its fields are column expressions or
    bound parameters, and each subscriber returns a scalar expression over them (NULL
    when it does not know)."""

    name: ClassVar[str]


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


EventT = TypeVar("EventT", bound=Event)
QuestionT = TypeVar("QuestionT", bound=Question)
ConditionT = TypeVar("ConditionT", bound=Condition)
LookupT = TypeVar("LookupT", bound=Lookup)
Subscriber = Callable[[AsyncSession, EventT], Awaitable[None]]
Answerer = Callable[[AsyncSession, QuestionT], Awaitable[bool]]
ConditionAnswerer = Callable[[ConditionT], ColumnElement[bool]]
LookupAnswerer = Callable[[LookupT], ColumnElement[Any]]


class EventBus:
    """Subscriptions by event, question and condition type. One per process
    (``bus``), filled by ``lms.wiring.wire``."""

    def __init__(self) -> None:
        self._subscribers: dict[type[Any], list[Callable[..., Any]]] = {}
        self.wired = False
        # Goes up with every change of the subscriptions: whoever composes something
        # from them once (a statement holding a condition's answers) keeps the revision
        # it was composed at and composes again when it differs.
        self.revision = 0

    def subscribe(self, event_type: type[EventT], subscriber: Subscriber[EventT]) -> None:
        self._add(event_type, subscriber)

    def answer(self, question_type: type[QuestionT], answerer: Answerer[QuestionT]) -> None:
        self._add(question_type, answerer)

    def answer_in_sql(
        self, condition_type: type[ConditionT], answerer: ConditionAnswerer[ConditionT]
    ) -> None:
        self._add(condition_type, answerer)

    def answer_value_in_sql(
        self, lookup_type: type[LookupT], answerer: LookupAnswerer[LookupT]
    ) -> None:
        self._add(lookup_type, answerer)

    def _add(self, key: type[Any], handler: Callable[..., Any]) -> None:
        handlers = self._subscribers.setdefault(key, [])
        if handler not in handlers:
            handlers.append(handler)
            self.revision += 1

    def unsubscribe(self, key: type[Any], handler: Callable[..., Any]) -> None:
        """Remove one subscription (a test's own subscriber, once the test is over)."""
        handlers = self._subscribers.get(key, [])
        if handler in handlers:
            handlers.remove(handler)
            self.revision += 1

    def subscribers(self, key: type[Any]) -> list[Callable[..., Any]]:
        """Who reacts to ``key``, in order (for the wiring's own tests and docs)."""
        return list(self._subscribers.get(key, ()))

    def clear(self) -> None:
        self._subscribers.clear()
        self.wired = False
        self.revision += 1

    async def publish(self, session: AsyncSession, event: Event) -> None:
        for subscriber in self._subscribers.get(type(event), ()):
            await subscriber(session, event)

    async def ask(self, session: AsyncSession, question: Question) -> bool:
        for answerer in self._subscribers.get(type(question), ()):
            if await answerer(session, question):
                return True
        return False

    def condition(self, condition: Condition) -> ColumnElement[bool]:
        answers = [answerer(condition) for answerer in self._subscribers.get(type(condition), ())]
        return or_(*answers) if answers else false()

    def value(self, lookup: Lookup) -> ColumnElement[Any]:
        answers = [answerer(lookup) for answerer in self._subscribers.get(type(lookup), ())]
        if not answers:
            return null()
        return answers[0] if len(answers) == 1 else func.coalesce(*answers)


bus = EventBus()


async def publish(session: AsyncSession, event: Event) -> None:
    """Run every subscriber of ``event`` in this transaction (see the module docstring)."""
    await bus.publish(session, event)


async def ask(session: AsyncSession, question: Question) -> bool:
    """True when any module subscribed to ``question`` answers true."""
    return await bus.ask(session, question)


def condition(question: Condition) -> ColumnElement[bool]:
    """The subscribers' SQL answers to ``question``, joined with OR (false when none)."""
    return bus.condition(question)


def value(lookup: Lookup) -> ColumnElement[Any]:
    """The subscribers' SQL answers to ``lookup``: the first that is not NULL."""
    return bus.value(lookup)
