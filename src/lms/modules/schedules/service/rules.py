"""An item's schedule as it applies to one student, and what it says about a start or a
hand-in at a given time.

Precedence: a field of the student's override wins over the same field of their
cohort's override, which wins over the item's schedule (and, for attempts and time
limit, over the quiz's own settings). Each field is decided on its own, so a cohort may
move the due date while one student of it gets a longer time limit.

The late policy, for work handed in after ``due_at``:

- ``accept``: marked late, no penalty;
- ``penalty``: marked late, and the score loses ``penalty_percent_per_day`` percent of
  itself for every day or part of a day after ``due_at`` (days rounded up), never more
  than ``100 - penalty_floor_percent`` percent (the score keeps at least
  ``penalty_floor_percent`` percent of itself);
- ``refuse``: marked late until ``available_until``; after it, 409 ``past_due``.

Before ``available_from`` nothing starts and nothing is handed in (409
``not_yet_available``). After ``available_until`` no quiz attempt starts (409
``past_due``), whatever the policy, and a timed attempt's deadline never runs past it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from lms.core.errors import Conflict

CENT = Decimal("0.01")
DAY = timedelta(days=1)


class NotYetAvailable(Conflict):
    code = "not_yet_available"
    detail = "This item is not open yet."


class PastDue(Conflict):
    code = "past_due"
    detail = "This item is closed: its last date has passed."


@dataclass(frozen=True, slots=True)
class Lateness:
    """Whether work handed in at some time is late, and the penalty (percent of the
    score; None: none)."""

    is_late: bool
    penalty_percent: Decimal | None

    def apply(self, score: Decimal) -> Decimal:
        """``score`` less the penalty, to the cent (half up)."""
        if not self.penalty_percent:
            return score
        return (score * (100 - self.penalty_percent) / 100).quantize(CENT, ROUND_HALF_UP)


ON_TIME = Lateness(is_late=False, penalty_percent=None)


@dataclass(frozen=True, slots=True)
class EffectiveSchedule:
    """An item's dates, policy, attempts and time limit for one student (see the module
    docstring for the precedence). ``max_attempts`` and ``time_limit_minutes`` are None
    when no override sets them (the quiz's own settings then apply)."""

    available_from: datetime | None
    due_at: datetime | None
    available_until: datetime | None
    late_policy: str
    penalty_percent_per_day: Decimal | None
    penalty_floor_percent: Decimal
    max_attempts: int | None = None
    time_limit_minutes: int | None = None

    def check_open(self, at: datetime) -> None:
        """409 ``not_yet_available`` before ``available_from``."""
        if self.available_from is not None and at < self.available_from:
            raise NotYetAvailable(
                f"This item opens at {self.available_from.isoformat()}.",
                extra={"available_from": self.available_from.isoformat()},
            )

    def check_start(self, at: datetime) -> None:
        """May an attempt start at ``at``? 409 ``not_yet_available`` / ``past_due``."""
        self.check_open(at)
        if self.available_until is not None and at >= self.available_until:
            raise PastDue()

    def check_hand_in(self, at: datetime) -> None:
        """May work be handed in at ``at``? Before opening: 409 ``not_yet_available``;
        after ``available_until`` under ``refuse``: 409 ``past_due``."""
        self.check_open(at)
        if (
            self.late_policy == "refuse"
            and self.available_until is not None
            and at > self.available_until
        ):
            raise PastDue()

    def lateness(self, at: datetime) -> Lateness:
        """Is work handed in at ``at`` late, and by how much is its score cut?"""
        if self.due_at is None or at <= self.due_at:
            return ON_TIME
        if self.late_policy != "penalty" or self.penalty_percent_per_day is None:
            return Lateness(is_late=True, penalty_percent=None)
        days = math.ceil((at - self.due_at) / DAY)
        ceiling = Decimal(100) - self.penalty_floor_percent
        penalty = min(self.penalty_percent_per_day * days, ceiling)
        return Lateness(is_late=True, penalty_percent=penalty.quantize(CENT, ROUND_HALF_UP))

    def deadline(self, started_at: datetime, time_limit_minutes: int | None) -> datetime | None:
        """A timed attempt's deadline: the time limit (the override's, else the quiz's)
        from ``started_at``, never past ``available_until``."""
        limit = self.time_limit_minutes or time_limit_minutes
        if not limit:
            return None
        deadline = started_at + timedelta(minutes=limit)
        if self.available_until is not None and deadline > self.available_until:
            return self.available_until
        return deadline
