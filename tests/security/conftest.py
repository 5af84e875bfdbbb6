"""Fixtures for the security tests: the app wired to fake payment providers, and a
school with one of every object (``world.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lms.core.config import Settings
from tests.conftest import IS_POSTGRES, AccountFactory
from tests.payments.conftest import PaymentsWorld
from tests.security.world import World, build_world


@pytest.fixture
async def payments(app: Any, settings: Settings) -> AsyncIterator[PaymentsWorld]:
    """Every provider configured and answered by the fakes."""
    configured = PaymentsWorld(app, settings)
    yield configured
    configured.close()


@pytest.fixture
async def world(
    client: httpx.AsyncClient, make_account: AccountFactory, payments: PaymentsWorld
) -> World:
    return await build_world(client, make_account, payments.settings)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The fuzzing figures of this run (SECURITY.md quotes them)."""
    from tests.security import test_fuzz

    stats = test_fuzz.STATS
    if not stats["cases"]:
        return
    operations = sum(1 for key in stats if key.startswith("op:"))
    roles = {key[5:]: count for key, count in stats.items() if key.startswith("role:")}
    statuses = sorted((key[7:], count) for key, count in stats.items() if key.startswith("status:"))
    terminalreporter.write_sep("-", "schemathesis")
    terminalreporter.write_line(
        f"fuzzed {stats['cases']} generated cases over {operations} operations; "
        f"per role: {roles}; statuses: {dict(statuses)}"
    )


# The fuzzer runs in the PostgreSQL pass only (it is marked ``integration``); building
# its tests takes seconds, so the embedded pass does not even collect it.
collect_ignore = [] if IS_POSTGRES else ["test_fuzz.py"]
