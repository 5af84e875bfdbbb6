"""The schedules module's clock: every rule of this module reads the time here, so a
test that replaces ``clock.now`` moves time for all of them."""

from __future__ import annotations

from datetime import datetime

from lms.core.db import utcnow


def now() -> datetime:
    return utcnow()
