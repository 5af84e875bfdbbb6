"""A real Celery worker process delivers an outbox email to a real SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.jobs import OutboxMessage
from lms.main import create_app
from tests.conftest import DATABASE_URL
from tests.integration.conftest import BROKER_URL, SmtpSink, broker_error, require

pytestmark = pytest.mark.integration


@pytest.fixture
def queue_name() -> Iterator[str]:
    """A queue of this run only, so stale tasks of other runs cannot interfere; deleted
    afterwards."""
    name = f"lms-test-{uuid.uuid4().hex[:12]}"
    yield name
    from kombu import Connection

    try:
        with Connection(BROKER_URL, connect_timeout=3) as connection:
            connection.default_channel.queue_delete(name)
    except Exception:  # noqa: S110  (the broker was never there, or the queue was not made)
        pass


def _start_worker(queue: str, smtp_port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LMS_CELERY_BROKER_URL": BROKER_URL,
        "LMS_CELERY_QUEUE": queue,
        "LMS_DATABASE_URL": DATABASE_URL,
        "LMS_EMAIL_BACKEND": "smtp",
        "LMS_SMTP_HOST": "127.0.0.1",
        "LMS_SMTP_PORT": str(smtp_port),
        "LMS_SMTP_STARTTLS": "false",
        "LMS_SMTP_SSL": "false",
    }
    lms = Path(sys.executable).with_name("lms")
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [str(lms), "worker", "--concurrency", "1", "--no-beat", "--loglevel", "INFO"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


async def test_worker_process_sends_the_welcome_email_over_smtp(
    db: AsyncSession, smtp_sink: SmtpSink, queue_name: str, tmp_path: Path
) -> None:
    problem = await anyio.to_thread.run_sync(broker_error, BROKER_URL)
    require("the Celery broker", problem is None, problem or "")

    log_path = tmp_path / "worker.log"
    worker = _start_worker(queue_name, smtp_sink.port, log_path)
    try:
        # The API, configured with the broker: after commit it sends the Celery task.
        app = create_app(Settings(celery_broker_url=BROKER_URL, celery_queue=queue_name))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver/api/v1"
            ) as http:
                registered = await http.post(
                    "/auth/register",
                    json={
                        "email": "wanda@example.com",
                        "password": "s3cret-pass",
                        "full_name": "Wanda Worker",
                    },
                )
                assert registered.status_code == 201, registered.text
                # a job that queues another: the reset job emails from inside the worker
                forgot = await http.post(
                    "/auth/forgot-password", json={"email": "wanda@example.com"}
                )
                assert forgot.status_code == 202

        received = await smtp_sink.wait_for(3, timeout=90)
        assert len(received) == 3, log_path.read_text(errors="replace")[-4000:]
        [welcome] = [m for m in received if m["Subject"] == "Welcome to LMS"]
        assert welcome["To"] == "wanda@example.com"
        assert welcome["From"] == "LMS <no-reply@localhost>"
        text = smtp_sink.text_of(welcome)
        assert "Hello Wanda Worker," in text
        assert "Welcome to LMS. Your account is ready" in text
        assert "https://lms.example.com" in text
        html = welcome.get_body(preferencelist=("html",))
        assert html is not None and "Hello Wanda Worker" in str(html.get_content())
        [verification] = [m for m in received if m["Subject"] == "Verify your email address"]
        assert "Verification token: " in smtp_sink.text_of(verification)
        [reset] = [m for m in received if m["Subject"] == "Reset your password"]
        assert "Reset token: " in smtp_sink.text_of(reset)

        # the worker marked every row done (and erased the tokens from the payloads)
        for _ in range(100):
            rows = (await db.execute(select(OutboxMessage.status, OutboxMessage.attempts))).all()
            await db.rollback()  # a fresh snapshot next time
            if len(rows) == 4 and all(status == "done" for status, _ in rows):
                break
            await anyio.sleep(0.1)
        assert sorted(rows) == [("done", 1)] * 4  # three emails and the reset job
    finally:
        # stop the worker (and its own engine) before the tables are emptied
        await anyio.to_thread.run_sync(_stop, worker)


async def test_two_workers_on_one_host_both_start_under_names_of_their_own(
    queue_name: str, tmp_path: Path
) -> None:
    """Celery names a worker ``celery@<host>`` unless told; two of them on one host then
    collide on RabbitMQ's exclusive control queue and the second stops. ``lms worker``
    names each after its process."""
    problem = await anyio.to_thread.run_sync(broker_error, BROKER_URL)
    require("the Celery broker", problem is None, problem or "")
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    started = [_start_worker(queue_name, 25, log) for log in logs]
    try:
        with anyio.fail_after(90):
            while not all(" ready." in log.read_text(errors="replace") for log in logs):
                assert all(process.poll() is None for process in started), [
                    log.read_text(errors="replace")[-3000:] for log in logs
                ]
                await anyio.sleep(0.2)
        await anyio.sleep(2)  # past mingle, when a clash of names would show
        texts = [log.read_text(errors="replace") for log in logs]
        assert all(process.poll() is None for process in started), texts
        for process, text in zip(started, texts, strict=True):
            assert f"lms-{process.pid}@" in text
            assert "RESOURCE_LOCKED" not in text
    finally:
        for process in started:
            _stop(process)
