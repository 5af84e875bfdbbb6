"""Read-only endpoints run their statements without a transaction on PostgreSQL: no
BEGIN and COMMIT round trips around a request that only reads. Counted at the driver,
where the transaction control is sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import event

from lms.core.config import Settings
from lms.core.deps import principal_key
from lms.main import create_app
from tests.factories.accounts import Account, create_account
from tests.factories.quizzes import make_classroom


@contextmanager
def sent_to_postgres(app: Any) -> Iterator[list[str]]:
    """The simple queries asyncpg sends while the block runs: its query loggers see
    BEGIN, COMMIT and ROLLBACK (sent as text), not the prepared statements."""
    engine = app.state.engine.sync_engine
    if engine.dialect.driver != "asyncpg":
        pytest.skip("transaction control is counted at the asyncpg driver")
    sent: list[str] = []

    def log(record: Any) -> None:
        sent.append(record.query)

    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(log)

    def checkin(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.driver_connection.remove_query_logger(log)

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        yield sent
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)


def _transaction_control(sent: list[str]) -> list[str]:
    return [q for q in sent if q.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))]


async def test_reads_send_no_begin_and_writes_still_run_in_one_transaction(
    app: Any, client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student)
    assert (await client.get("/users/me", headers=student.headers)).status_code == 200

    with sent_to_postgres(app) as sent:
        lesson = await client.get(f"/lessons/{room.other_lesson_id}", headers=student.headers)
        mine = await client.get("/enrollments/my-courses", headers=student.headers)
    assert lesson.status_code == 200 and lesson.json()["content_locked"] is False
    assert mine.status_code == 200 and mine.json()["total"] == 1
    assert _transaction_control(sent) == []

    with sent_to_postgres(app) as sent:
        progress = await client.put(
            f"/enrollments/{room.enrollment_id}/lessons/{room.other_lesson_id}/progress",
            headers=student.headers,
            json={"time_spent_seconds": 30},
        )
    assert progress.status_code == 200
    # The same counter sees a write's transaction, so the empty list above is no blind spot.
    control = [q.split()[0].upper() for q in _transaction_control(sent)]
    assert control[:1] == ["BEGIN"]


async def test_a_read_with_a_cold_account_cache_needs_one_pooled_connection(
    settings: Settings, app: Any
) -> None:
    """The lesson and my-courses reads run on a plain connection; loading the caller's
    account (not in the store yet) runs on that same connection. With a pool of one, a
    request that held one connection while it waited for a second would wait forever."""
    del app  # the suite's database, migrated
    api = create_app(
        settings.model_copy(update={"database_pool_size": 1, "database_max_overflow": 0}),
        run_jobs=False,
    )
    transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver/api/v1"
        ) as http:
            instructor = await create_account(api, http, settings, "instructor")
            student = await create_account(api, http, settings, "student")
            room = await make_classroom(http, instructor, student)
            for _ in range(2):
                await api.state.store.delete(principal_key(student.id))
                with anyio.fail_after(10):
                    lesson = await http.get(
                        f"/lessons/{room.other_lesson_id}", headers=student.headers
                    )
                    await api.state.store.delete(principal_key(student.id))
                    mine = await http.get("/enrollments/my-courses", headers=student.headers)
                assert lesson.status_code == 200, lesson.text
                assert lesson.json()["content_locked"] is False
                assert mine.status_code == 200, mine.text
                assert [item["course_id"] for item in mine.json()["items"]] == [room.course_id]
    finally:
        await api.state.store.close()
        await api.state.engine.dispose()
