"""Arithmetic on figures the database computed: percentages and averages as ``Decimal``
with two places, optional scores, money lines, and the "recently active" cut-off."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from lms.core.db import utcnow
from lms.modules.analytics import repository
from lms.modules.analytics.schemas import MoneyLine, to_cents

# A student or user counts as active when seen within this many days.
ACTIVE_DAYS = 30


def active_since() -> datetime:
    """The start of the "recently active" period, ``ACTIVE_DAYS`` before now."""
    return utcnow() - timedelta(days=ACTIVE_DAYS)


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal:
    """``part`` of ``whole`` in percent, two places; 0 when there is no whole."""
    if not whole:
        return Decimal("0.00")
    return to_cents(Decimal(part) * 100 / Decimal(whole))


def mean(total: Any, count: int) -> Decimal | None:
    """``total / count``, two places; None when nothing was counted."""
    if not count:
        return None
    return to_cents(repository.as_decimal(total) / count)


def mean_or_zero(total: Any, count: int) -> Decimal:
    """``mean`` for figures that read 0 rather than "none" when nothing was counted
    (the average progress of no enrollments)."""
    return mean(total, count) or Decimal("0.00")


def optional_decimal(value: Any) -> Decimal | None:
    """A percentage the database returned (a highest or lowest score), or None."""
    return repository.as_decimal(value) if value is not None else None


def money_lines(rows: list[dict[str, Any]]) -> list[MoneyLine]:
    """The revenue rows of the repository as money lines."""
    return [MoneyLine.model_validate(row) for row in rows]
