"""What ``lms serve`` does to its worker process beyond building the application."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import asyncio, gc, json
from lms.main import create_app, serve_app

async def started(app):
    async with app.router.lifespan_context(app):
        return {"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()[0]}

default = gc.get_threshold()[0]
plain = asyncio.run(started(create_app()))
served = asyncio.run(started(serve_app()))
print(json.dumps({"default": default, "plain": plain, "served": served}))
"""


def test_the_served_app_freezes_its_startup_objects_and_collects_less_often(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "LMS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gc.db'}",
        "LMS_SECRET_KEY": "x" * 40,
        "LMS_LOG_LEVEL": "WARNING",
    }
    for name in ("LMS_REDIS_URL", "LMS_CELERY_BROKER_URL", "LMS_ENVIRONMENT"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # A test or an embedding program that builds apps keeps the interpreter's defaults.
    assert found["plain"] == {"frozen": 0, "threshold": found["default"]}
    # The server's workers: everything alive at startup frozen, a larger youngest generation.
    assert found["served"]["frozen"] > 10_000
    assert found["served"]["threshold"] == 20_000
