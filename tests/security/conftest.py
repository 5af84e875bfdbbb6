"""Fixtures for the security tests: the app wired to fake payment providers, and a
school with one of every object (``world.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lms.core.config import Settings
from tests.conftest import IS_POSTGRES
from tests.factories.accounts import AccountFactory
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
    """The figures of this run (SECURITY.md quotes them)."""
    import sys

    matrix = sys.modules.get("tests.security.test_authorization_matrix")
    if matrix is not None and matrix.MATRIX_STATS:
        terminalreporter.write_sep("-", "authorization matrix")
        terminalreporter.write_line(
            f"{matrix.MATRIX_STATS['routes']} routes x 9 callers = "
            f"{matrix.MATRIX_STATS['calls']} calls answered as the table says"
        )
    soak = sys.modules.get("tests.integration.test_soak")
    if soak is not None and soak.FIGURES:
        terminalreporter.write_sep("-", "soak")
        terminalreporter.write_line(str(soak.FIGURES))
    faults = sys.modules.get("tests.integration.test_fault_postgres")
    if faults is not None and faults.FIGURES:
        terminalreporter.write_sep("-", "postgresql connections terminated mid-burst")
        terminalreporter.write_line(str(faults.FIGURES))
    fuzz = sys.modules.get("tests.security.test_fuzz")
    if fuzz is None or not fuzz.STATS["cases"]:
        return
    stats = fuzz.STATS
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
