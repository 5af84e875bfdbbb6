"""The broker is down while students sign up, enroll and complete a course. Every
request still succeeds; the emails and the certificate job wait in the outbox (nothing
lost, nothing sent). When a worker on a reachable broker runs the sweep, everything is
delivered, once: one certificate, one completion email.

(SMTP refusing mail — retried with backoff, then ``failed`` and listed for an admin — is
``test_outbox_retries.py``.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.celery_app import SWEEP_TASK
from lms.core.config import Settings
from lms.core.jobs import OutboxMessage
from lms.main import create_app
from lms.modules.certificates.models import Certificate
from tests.factories.accounts import PASSWORD, create_account
from tests.factories.courses import published_course
from tests.integration import workers
from tests.integration.conftest import BROKER_URL, SmtpSink, broker_error, free_port, require

pytestmark = pytest.mark.integration


@pytest.fixture
def queue() -> Iterator[str]:
    name = workers.new_queue()
    yield name
    workers.delete_queue(name)


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float) -> None:
    with anyio.fail_after(timeout):
        while not await check():
            await anyio.sleep(0.2)


async def _statuses(db: AsyncSession) -> dict[str, int]:
    rows = (
        await db.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    ).all()
    await db.commit()  # a fresh snapshot next time
    return {status: count for status, count in rows}


async def test_broker_down_nothing_is_lost_and_all_is_delivered_when_it_returns(
    settings: Settings,
    db: AsyncSession,
    smtp_sink: SmtpSink,
    queue: str,
    tmp_path: Path,
) -> None:
    problem = await anyio.to_thread.run_sync(broker_error, BROKER_URL)
    require("the Celery broker", problem is None, problem or "")
    unreachable = f"amqp://guest:guest@127.0.0.1:{free_port()}//"
    api = create_app(
        settings.model_copy(update={"celery_broker_url": unreachable, "celery_queue": queue})
    )
    async with api.router.lifespan_context(api):
        transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver/api/v1"
        ) as http:
            signed_up = await http.post(
                "/auth/register",
                json={"email": "bea@example.com", "password": PASSWORD, "full_name": "Bea"},
            )
            assert signed_up.status_code == 201, signed_up.text
            student = {"Authorization": f"Bearer {signed_up.json()['access_token']}"}
            owner = await create_account(api, http, settings, "instructor")
            course, lessons = await published_course(http, owner, lessons=1)
            enrolled = await http.post(
                "/enrollments", headers=student, json={"course_id": course["id"]}
            )
            assert enrolled.status_code == 201, enrolled.text
            completed = await http.post(
                f"/enrollments/{enrolled.json()['id']}/lessons/{lessons[0]['id']}/complete",
                headers=student,
            )
            assert completed.status_code == 200, completed.text
            assert completed.json()["status"] == "completed"
            ready = await http.get("/ready")
            assert ready.status_code == 503 and ready.json()["checks"]["broker"] != "ok"

    # Everything waits in the outbox: the welcome, verification, enrollment and
    # completion emails, and the certificate job.
    waiting = await _statuses(db)
    assert waiting == {"pending": 5}, waiting
    assert smtp_sink.messages == []
    assert await db.scalar(select(func.count()).select_from(Certificate)) == 0
    await db.commit()

    # The broker is reachable again (a worker on it), and the periodic sweep runs.
    log_path = tmp_path / "worker.log"
    worker = workers.start_worker(
        queue,
        log_path,
        env={
            "LMS_EMAIL_BACKEND": "smtp",
            "LMS_SMTP_HOST": "127.0.0.1",
            "LMS_SMTP_PORT": str(smtp_sink.port),
            "LMS_SMTP_STARTTLS": "false",
            "LMS_SMTP_SSL": "false",
        },
    )
    try:
        await anyio.to_thread.run_sync(workers.send_task, settings, queue, SWEEP_TASK)

        async def all_done() -> bool:
            statuses = await _statuses(db)
            return set(statuses) == {"done"} and statuses["done"] == 6

        await wait_for(all_done, 90)
    except TimeoutError:
        raise AssertionError(log_path.read_text(errors="replace")[-4000:]) from None
    finally:
        await anyio.to_thread.run_sync(workers.stop, worker)

    # One certificate; one email of each kind (the certificate's came from the job).
    assert await db.scalar(select(func.count()).select_from(Certificate)) == 1
    received = await smtp_sink.wait_for(5, timeout=10)
    subjects = sorted(m["Subject"] for m in received)
    assert len(subjects) == 5 and len(set(subjects)) == 5, subjects
    assert {m["To"] for m in received} == {"bea@example.com"}
