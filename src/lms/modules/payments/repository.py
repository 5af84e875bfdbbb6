from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Numeric, and_, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.pagination import paginate
from lms.modules.payments.models import Payment, PaymentWebhookEvent, Subscription

# Money that has been collected: refunds are subtracted through ``refunded_amount``.
COLLECTED = ("succeeded", "refunded")
# Subscription states in which the customer still owes or holds a plan.
OPEN_SUBSCRIPTION = ("active", "trialing", "past_due", "unpaid", "paused")
GRANTING_SUBSCRIPTION = ("active", "trialing")
# The rows a user owns and lists page by page.
_Owned = TypeVar("_Owned", Payment, Subscription)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def _page_of_user(
    session: AsyncSession, entity: type[_Owned], user_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[_Owned], int]:
    """One page of a user's payments or subscriptions, newest first (the id breaks ties
    so pages never overlap), and how many there are in all."""
    statement = (
        select(entity)
        .where(entity.user_id == user_id)
        .order_by(entity.created_at.desc(), entity.id)
    )
    return await paginate(session, statement, offset=offset, limit=limit)


# Webhook events


async def claim_event(
    session: AsyncSession, *, provider: str, event_id: str, event_type: str, payload: str
) -> uuid.UUID | None:
    """Insert the event unless it is already there; ``None`` means a replay. On
    PostgreSQL a concurrent identical insert waits for this transaction and then finds
    the row, so exactly one request processes the event."""
    values = {
        "id": uuid.uuid4(),
        "provider": provider,
        "event_id": event_id,
        "event_type": event_type[:100],
        "payload": payload,
        "status": "processing",
    }
    insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    stmt = (
        insert(PaymentWebhookEvent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(PaymentWebhookEvent.id)
    )
    claimed: uuid.UUID | None = (await session.execute(stmt)).scalar_one_or_none()
    return claimed


async def finish_event(
    session: AsyncSession,
    event_row_id: uuid.UUID,
    *,
    status: str,
    processed_at: datetime,
    error_message: str | None,
    payment_id: uuid.UUID | None,
    subscription_id: uuid.UUID | None,
) -> None:
    await session.execute(
        update(PaymentWebhookEvent)
        .where(PaymentWebhookEvent.id == event_row_id)
        .values(
            status=status,
            processed_at=processed_at,
            error_message=error_message,
            payment_id=payment_id,
            subscription_id=subscription_id,
        )
    )


# Payments


async def get_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    return await session.get(Payment, payment_id)


async def lock_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    """The payment, locked for this transaction (PostgreSQL), re-read from the database."""
    stmt = (
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found: Payment | None = await session.scalar(stmt)
    return found


async def lock_payment_by_order(
    session: AsyncSession, *, provider: str, order_id: str
) -> Payment | None:
    stmt = (
        select(Payment)
        .where(Payment.provider == provider, Payment.provider_order_id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found: Payment | None = await session.scalar(stmt)
    return found


async def payment_id_for_order(
    session: AsyncSession, *, provider: str, order_id: str
) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(
        select(Payment.id).where(
            Payment.provider == provider, Payment.provider_order_id == order_id
        )
    )
    return found


async def lock_payment_by_invoice(session: AsyncSession, invoice_id: str) -> Payment | None:
    stmt = (
        select(Payment)
        .where(Payment.stripe_invoice_id == invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found: Payment | None = await session.scalar(stmt)
    return found


async def page_payments_of(
    session: AsyncSession, user_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[Payment], int]:
    return await _page_of_user(session, Payment, user_id, offset=offset, limit=limit)


async def has_succeeded_payment(
    session: AsyncSession, *, user_id: uuid.UUID, course_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(
            exists().where(
                Payment.user_id == user_id,
                Payment.course_id == course_id,
                Payment.status == "succeeded",
            )
        )
    )
    return bool(found)


async def course_has_payments(session: AsyncSession, course_id: uuid.UUID) -> bool:
    found = await session.scalar(select(exists().where(Payment.course_id == course_id)))
    return bool(found)


# Subscriptions


async def get_subscription(
    session: AsyncSession, subscription_id: uuid.UUID
) -> Subscription | None:
    return await session.get(Subscription, subscription_id)


async def lock_subscription(
    session: AsyncSession,
    *,
    subscription_id: uuid.UUID | None = None,
    provider_subscription_id: str | None = None,
) -> Subscription | None:
    condition: ColumnElement[bool]
    if provider_subscription_id is not None:
        condition = Subscription.stripe_subscription_id == provider_subscription_id
    else:
        condition = Subscription.id == subscription_id
    stmt = (
        select(Subscription)
        .where(condition)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found: Subscription | None = await session.scalar(stmt)
    return found


async def page_subscriptions_of(
    session: AsyncSession, user_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[Subscription], int]:
    return await _page_of_user(session, Subscription, user_id, offset=offset, limit=limit)


async def has_granting_subscription(
    session: AsyncSession, *, user_id: uuid.UUID, now: datetime
) -> bool:
    found = await session.scalar(
        select(
            exists().where(
                Subscription.user_id == user_id,
                Subscription.status.in_(GRANTING_SUBSCRIPTION),
                Subscription.current_period_end > now,
                (Subscription.current_period_start.is_(None))
                | (Subscription.current_period_start <= now),
            )
        )
    )
    return bool(found)


async def has_open_subscription(session: AsyncSession, *, user_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(
            exists().where(
                Subscription.user_id == user_id, Subscription.status.in_(OPEN_SUBSCRIPTION)
            )
        )
    )
    return bool(found)


async def known_stripe_customer(session: AsyncSession, *, user_id: uuid.UUID) -> str | None:
    found: str | None = await session.scalar(
        select(Subscription.stripe_customer_id)
        .where(Subscription.user_id == user_id, Subscription.stripe_customer_id.is_not(None))
        .order_by(Subscription.created_at.desc())
        .limit(1)
    )
    return found


# Revenue


def _month(session: AsyncSession, column: Any) -> ColumnElement[str]:
    if _dialect(session) == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)  # SQLite keeps UTC as naive text


async def revenue(
    session: AsyncSession,
    *,
    group_by: Sequence[str],
    since: datetime | None,
    until: datetime | None,
) -> list[dict[str, Any]]:
    """Collected money grouped by ``currency`` plus the given keys (``provider``,
    ``course_id``, ``month``): count, gross, refunded and net, summed in SQL."""
    paid_at = func.coalesce(Payment.processed_at, Payment.created_at)
    keys: dict[str, ColumnElement[Any]] = {
        "provider": Payment.provider.expression,
        "course_id": Payment.course_id.expression,
        "month": _month(session, paid_at),
    }
    groups = [keys[name].label(name) for name in group_by]
    money = Numeric(14, 2)
    gross = func.coalesce(func.sum(Payment.amount), 0).cast(money)
    refunded = func.coalesce(func.sum(Payment.refunded_amount), 0).cast(money)
    conditions: list[ColumnElement[bool]] = [Payment.status.in_(COLLECTED)]
    if since is not None:
        conditions.append(paid_at >= since)
    if until is not None:
        conditions.append(paid_at < until)
    stmt = (
        select(
            *groups,
            Payment.currency.label("currency"),
            func.count(Payment.id).label("payments"),
            gross.label("gross"),
            refunded.label("refunded"),
            (gross - refunded).label("net"),
        )
        .where(and_(*conditions))
        .group_by(*groups, Payment.currency)
        .order_by(*groups, Payment.currency)
    )
    rows = (await session.execute(stmt)).mappings().all()
    return [
        {
            **row,
            "gross": Decimal(row["gross"]).quantize(Decimal("0.01")),
            "refunded": Decimal(row["refunded"]).quantize(Decimal("0.01")),
            "net": Decimal(row["net"]).quantize(Decimal("0.01")),
        }
        for row in rows
    ]
