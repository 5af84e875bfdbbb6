"""The event bus (lms.core.events): subscribers in order and in the caller's
transaction, questions answered by any, conditions joined in SQL, and removal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from sqlalchemy import ColumnElement, literal, select

from lms.core.events import Condition, Event, EventBus, Question


@dataclass(frozen=True, kw_only=True, slots=True)
class Happened(Event):
    name: ClassVar[str] = "test.happened.v1"
    thing_id: uuid.UUID
    amount: Decimal
    at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Allowed(Question):
    name: ClassVar[str] = "test.allowed.v1"
    who: str


@dataclass(frozen=True, kw_only=True)
class Visible(Condition):
    name: ClassVar[str] = "test.visible.v1"
    value: Any


def happened() -> Happened:
    return Happened(
        thing_id=uuid.UUID(int=1), amount=Decimal("2.50"), at=datetime(2025, 1, 2, tzinfo=UTC)
    )


async def test_subscribers_run_in_order_and_a_refusal_stops_the_rest() -> None:
    bus = EventBus()
    seen: list[str] = []

    async def first(_session: Any, event: Happened) -> None:
        seen.append(f"first {event.amount}")

    async def refuses(_session: Any, _event: Happened) -> None:
        seen.append("refuses")
        raise RuntimeError("no")

    async def last(_session: Any, _event: Happened) -> None:
        seen.append("last")

    for subscriber in (first, first, refuses, last):  # subscribing twice is once
        bus.subscribe(Happened, subscriber)
    with pytest.raises(RuntimeError):
        await bus.publish(None, happened())  # type: ignore[arg-type]
    assert seen == ["first 2.50", "refuses"]
    assert bus.subscribers(Happened) == [first, refuses, last]


async def test_a_question_is_true_when_any_answer_is() -> None:
    bus = EventBus()
    asked: list[str] = []

    async def no(_session: Any, question: Allowed) -> bool:
        asked.append("no")
        return False

    async def yes_for_ann(_session: Any, question: Allowed) -> bool:
        asked.append("ann?")
        return question.who == "ann"

    assert not await bus.ask(None, Allowed(who="ann"))  # type: ignore[arg-type]
    bus.answer(Allowed, no)
    bus.answer(Allowed, yes_for_ann)
    assert await bus.ask(None, Allowed(who="ann"))  # type: ignore[arg-type]
    assert not await bus.ask(None, Allowed(who="bob"))  # type: ignore[arg-type]
    assert asked == ["no", "ann?", "no", "ann?"]


def test_a_condition_is_the_or_of_its_answers_and_false_without_any() -> None:
    bus = EventBus()

    def is_one(condition: Visible) -> ColumnElement[bool]:
        return condition.value == 1

    def is_two(condition: Visible) -> ColumnElement[bool]:
        return condition.value == 2

    def sql(expression: ColumnElement[bool]) -> str:
        return str(select(expression).compile(compile_kwargs={"literal_binds": True}))

    assert sql(bus.condition(Visible(value=literal(1)))) == "SELECT false AS anon_1"
    bus.answer_in_sql(Visible, is_one)
    bus.answer_in_sql(Visible, is_two)
    assert sql(bus.condition(Visible(value=literal(2)))) == "SELECT 2 = 1 OR 2 = 2 AS anon_1"


def test_every_change_of_subscriptions_moves_the_revision() -> None:
    bus = EventBus()

    async def subscriber(_session: Any, _event: Happened) -> None: ...

    start = bus.revision
    bus.subscribe(Happened, subscriber)
    assert bus.revision == start + 1
    bus.subscribe(Happened, subscriber)  # already there: nothing changes
    assert bus.revision == start + 1
    bus.unsubscribe(Happened, subscriber)
    assert bus.revision == start + 2 and bus.subscribers(Happened) == []
    bus.unsubscribe(Happened, subscriber)  # not there: nothing changes
    assert bus.revision == start + 2
    bus.clear()
    assert bus.revision == start + 3 and not bus.wired


def test_an_event_payload_is_plain_json() -> None:
    assert happened().payload() == {
        "thing_id": "00000000-0000-0000-0000-000000000001",
        "amount": "2.50",
        "at": "2025-01-02T00:00:00+00:00",
    }
