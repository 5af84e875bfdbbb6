"""A deliberately slow outbox job for the worker-kill test, and the worker command line
with it registered: ``python -m tests.integration.slow_job worker …`` is ``lms worker``
plus this job.

The job writes one line to a marker file each time it starts (outside the database, so
every run is counted, even one that is killed), then appends "+" to a user's name (its
effect, in the delivery's transaction); the first run then sleeps until it is killed."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs

SLOW_TASK = "tests.slow_effect"


@jobs.job(SLOW_TASK)
async def slow_effect(session: AsyncSession, payload: dict[str, Any]) -> None:
    from lms.modules.users import service as users

    marker = Path(payload["marker"])
    earlier_runs = marker.read_text().count("\n") if marker.exists() else 0
    with marker.open("a") as out:
        out.write(f"started in process {os.getpid()}\n")
    user = await users.get_user_or_raise(session, uuid.UUID(payload["user_id"]))
    user.full_name = f"{user.full_name}+"
    await session.flush()
    if earlier_runs == 0:
        await anyio.sleep(120)  # killed in here, before the transaction commits


if __name__ == "__main__":
    from lms.cli import app

    app()
