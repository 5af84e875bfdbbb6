"""The event bus itself: order, questions, SQL conditions, payloads."""

from __future__ import annotations

import uuid
from dataclasses import FrozenInstanceError, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from sqlalchemy import ColumnElement, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events


@dataclass(frozen=True, kw_only=True, slots=True)
class Happened(events.Event):
    name: ClassVar[str] = "thing.happened.v1"
    thing_id: uuid.UUID
    amount: Decimal
    at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class MayI(events.Question):
    name: ClassVar[str] = "thing.may.v1"
    who: str


@dataclass(frozen=True, kw_only=True)
class Allowed(events.Condition):
    name: ClassVar[str] = "thing.allowed.v1"
    value: Any


async def test_subscribers_run_in_order_and_a_guard_stops_the_rest(db: AsyncSession) -> None:
    bus = events.EventBus()
    seen: list[str] = []

    async def first(_session: AsyncSession, event: Happened) -> None:
        seen.append(f"first {event.amount}")

    async def guard(_session: AsyncSession, _event: Happened) -> None:
        raise RuntimeError("refused")

    async def last(_session: AsyncSession, _event: Happened) -> None:
        seen.append("last")

    event = Happened(thing_id=uuid.uuid4(), amount=Decimal("1.50"), at=datetime.now(UTC))
    bus.subscribe(Happened, first)
    bus.subscribe(Happened, last)
    bus.subscribe(Happened, first)  # once is enough
    await bus.publish(db, event)
    assert seen == ["first 1.50", "last"]

    bus.unsubscribe(Happened, last)
    bus.subscribe(Happened, guard)
    bus.subscribe(Happened, last)
    with pytest.raises(RuntimeError):
        await bus.publish(db, event)
    assert seen == ["first 1.50", "last", "first 1.50"]


async def test_a_question_is_true_when_any_answer_is(db: AsyncSession) -> None:
    bus = events.EventBus()
    assert await bus.ask(db, MayI(who="anyone")) is False  # nobody answers: no

    async def only_admins(_session: AsyncSession, question: MayI) -> bool:
        return question.who == "admin"

    async def never(_session: AsyncSession, _question: MayI) -> bool:
        return False

    bus.answer(MayI, never)
    bus.answer(MayI, only_admins)
    assert await bus.ask(db, MayI(who="admin")) is True
    assert await bus.ask(db, MayI(who="student")) is False


async def test_a_condition_joins_the_sql_answers_with_or(db: AsyncSession) -> None:
    bus = events.EventBus()
    asked = Allowed(value=literal(3))
    assert (await db.scalar(select(bus.condition(asked)))) in (False, 0)

    def is_three(condition: Allowed) -> ColumnElement[bool]:
        return condition.value == 3

    def is_four(condition: Allowed) -> ColumnElement[bool]:
        return condition.value == 4

    bus.answer_in_sql(Allowed, is_four)
    assert (await db.scalar(select(bus.condition(asked)))) in (False, 0)
    bus.answer_in_sql(Allowed, is_three)
    assert (await db.scalar(select(bus.condition(asked)))) in (True, 1)


def test_an_event_is_frozen_plain_data() -> None:
    thing_id = uuid.uuid4()
    at = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    event = Happened(thing_id=thing_id, amount=Decimal("9.99"), at=at)
    assert event.payload() == {
        "thing_id": str(thing_id),
        "amount": "9.99",
        "at": "2026-12-07T10:00:00+00:00",
    }
    with pytest.raises(FrozenInstanceError):
        event.amount = Decimal(0)  # type: ignore[misc]
