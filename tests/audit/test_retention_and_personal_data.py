"""The audit table is append-only on PostgreSQL (a trigger refuses UPDATE, DELETE and
TRUNCATE outside the maintenance bypass); the retention job removes old entries and is
itself audited; a person's entries are exported and their client addresses erased."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.db import utcnow
from lms.core.session import commit, create_sessionmaker
from lms.modules import audit
from lms.modules.audit.models import AuditEntry
from tests.audit.helpers import audit_entries
from tests.conftest import IS_POSTGRES
from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.integration.conftest import require


async def _old_entry(db: AsyncSession, days: int) -> uuid.UUID:
    entry = AuditEntry(
        occurred_at=utcnow() - timedelta(days=days),
        context="system",
        action="user.deactivated",
        target_type="user",
        target_id=uuid.uuid4(),
    )
    db.add(entry)
    await commit(db)
    return entry.id


async def _run_retention(app: Any, days: int | None) -> None:
    settings = app.state.settings.model_copy(update={"audit_retention_days": days})
    sessionmaker = create_sessionmaker(app.state.engine, store=app.state.store, settings=settings)
    await jobs.run_periodic(sessionmaker, audit.RETENTION_JOB)


async def test_retention_removes_old_entries_through_one_audited_job(
    app: Any, client: httpx.AsyncClient, admin: Account, student: Account, db: AsyncSession
) -> None:
    old = await _old_entry(db, 400)
    recent = await _old_entry(db, 10)
    ok(
        await client.patch(
            f"/users/{student.id}", headers=admin.headers, json={"role": "instructor"}
        )
    )

    await _run_retention(app, None)  # unset: kept for ever
    assert len(await audit_entries(client, admin)) == 3

    await _run_retention(app, 365)
    entries = await audit_entries(client, admin)
    ids = {e["id"] for e in entries}
    assert str(old) not in ids and str(recent) in ids
    assert entries[0]["action"] == "audit.retention_applied"
    applied = entries[0]
    assert applied["actor_id"] is None and applied["context"] == "system"
    assert applied["change"]["after"]["removed"] == 1
    assert len(entries) == 3  # recent, the role change, the job's own entry


async def test_export_lists_a_person_s_entries_and_erasure_forgets_their_addresses(
    client: httpx.AsyncClient, admin: Account, student: Account, db: AsyncSession
) -> None:
    token = ok(
        await client.post(
            f"/admin/users/{student.id}/act-as",
            headers=admin.headers,
            json={"reason": "Ticket 99: checking the dashboard"},
        )
    )
    acting = {"Authorization": f"Bearer {token['access_token']}"}
    ok(await client.get("/users/me", headers=acting))
    ok(
        await client.patch(
            f"/users/{student.id}", headers=admin.headers, json={"role": "instructor"}
        )
    )
    other = await _old_entry(db, 1)

    exported = await audit.export_personal_data(db, student.id)
    json.dumps(exported)  # JSON values only
    assert [e["action"] for e in exported] == [
        "act_as.started",
        "act_as.request",
        "user.role_changed",
    ]
    assert str(other) not in {e["id"] for e in exported}
    for_admin = await audit.export_personal_data(db, admin.id)
    assert len(for_admin) == 3  # the admin made all three
    assert await audit.export_personal_data(db, uuid.uuid4()) == []

    assert {e["client_address"] for e in exported} == {"127.0.0.1"}
    await audit.erase_personal_data(db, student.id)
    await commit(db)
    entries = {e["id"]: e for e in await audit_entries(client, admin)}
    assert len(entries) == 4  # nothing removed
    request = next(e for e in entries.values() if e["action"] == "act_as.request")
    assert request["client_address"] is None  # the student was acted as in it
    started = next(e for e in entries.values() if e["action"] == "act_as.started")
    assert started["client_address"] == "127.0.0.1"  # the admin's own request

    await audit.erase_personal_data(db, admin.id)
    await commit(db)
    assert {e["client_address"] for e in await audit_entries(client, admin)} == {None}


# PostgreSQL's guarantee (SQLite has no such trigger): run in the PostgreSQL pass with
# the integration tests, where CI=true makes a missing PostgreSQL a failure.
@pytest.mark.integration
async def test_the_table_refuses_update_delete_and_truncate_on_postgresql(
    client: httpx.AsyncClient, admin: Account, student: Account, app: Any
) -> None:
    require("PostgreSQL", IS_POSTGRES, "the append-only trigger is PostgreSQL's")
    ok(
        await client.patch(
            f"/users/{student.id}", headers=admin.headers, json={"role": "instructor"}
        )
    )
    for statement in (
        "UPDATE audit_entries SET action = 'user.activated'",
        "UPDATE audit_entries SET client_address = NULL",
        "DELETE FROM audit_entries",
        "TRUNCATE audit_entries",
    ):
        async with app.state.engine.connect() as connection:
            with pytest.raises(DBAPIError, match="append-only"):
                await connection.execute(text(statement))
            await connection.rollback()
    # a setting that is not 'on', or one set in another transaction, does not open it
    async with app.state.engine.connect() as connection:
        await connection.execute(text("SET lms.audit_maintenance = 'off'"))
        with pytest.raises(DBAPIError, match="append-only"):
            await connection.execute(text("DELETE FROM audit_entries"))
        await connection.rollback()
    async with app.state.engine.begin() as connection:
        await connection.execute(text("SET LOCAL lms.audit_maintenance = 'on'"))
    async with app.state.engine.connect() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            await connection.execute(text("DELETE FROM audit_entries"))
        await connection.rollback()
    [entry] = await audit_entries(client, admin)
    assert entry["action"] == "user.role_changed"
    # the maintenance bypass, set for one transaction, lets a change through
    async with app.state.engine.begin() as connection:
        await connection.execute(text("SET LOCAL lms.audit_maintenance = 'on'"))
        await connection.execute(text("UPDATE audit_entries SET client_address = NULL"))
    assert (await audit_entries(client, admin))[0]["client_address"] is None
