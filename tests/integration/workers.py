"""Real ``lms worker`` processes for the fault tests: started on a queue of their own,
stopped politely or killed outright, and a way to send them tasks."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from lms.core.config import Settings
from tests.conftest import DATABASE_URL
from tests.integration.conftest import BROKER_URL

ROOT = Path(__file__).resolve().parents[2]


def new_queue() -> str:
    """A queue name of one test only (``delete_queue`` it afterwards)."""
    return f"lms-test-{uuid.uuid4().hex[:12]}"


def delete_queue(name: str) -> None:
    from kombu import Connection

    try:
        with Connection(BROKER_URL, connect_timeout=3) as connection:
            connection.default_channel.queue_delete(name)
    except Exception:  # noqa: S110  (the broker was never there, or the queue was not made)
        pass


def start_worker(
    queue: str,
    log_path: Path,
    *,
    module: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``lms worker`` (or ``python -m module worker``, the same command line with test
    jobs registered first), one process, no beat, in a process group of its own."""
    command = (
        [sys.executable, "-m", module] if module else [str(Path(sys.executable).with_name("lms"))]
    )
    environment = {
        **os.environ,
        # The code under test (this checkout's src/), whatever the installed package is.
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "LMS_CELERY_BROKER_URL": BROKER_URL,
        "LMS_CELERY_QUEUE": queue,
        "LMS_DATABASE_URL": DATABASE_URL,
        **(env or {}),
    }
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [*command, "worker", "--concurrency", "1", "--no-beat", "--loglevel", "INFO"],
            env=environment,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        kill(process)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool processes at once: nothing gets to clean up."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def send_task(settings: Settings, queue: str, task: str, *args: Any) -> None:
    from lms.core.celery_app import create_celery

    celery = create_celery(
        settings.model_copy(update={"celery_broker_url": BROKER_URL, "celery_queue": queue})
    )
    celery.send_task(task, args=list(args))
