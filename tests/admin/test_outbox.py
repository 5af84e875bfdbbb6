"""Admins see the outbox messages that failed for good and queue them again."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Mailbox
from tests.factories.accounts import Account
from tests.factories.outbox import failed_email


async def test_admin_lists_failed_messages_and_retries_one(
    client: httpx.AsyncClient, admin: Account, db: AsyncSession, drain: Any, mailbox: Mailbox
) -> None:
    failed = await failed_email(db, "fay@example.com")
    secret = await failed_email(db, "sam@example.com", sensitive=True)

    listed = await client.get("/admin/outbox", headers=admin.headers, params={"status": "failed"})
    assert listed.status_code == 200
    page = listed.json()
    assert page["total"] == 2 and page["page"] == 1
    by_id = {item["id"]: item for item in page["items"]}
    assert by_id[str(failed)]["last_error"] == "SMTPConnectError: refused"
    assert by_id[str(failed)]["attempts"] == 8
    assert by_id[str(failed)]["payload"]["to"] == "fay@example.com"
    assert by_id[str(secret)]["sensitive"] is True and by_id[str(secret)]["payload"] is None
    assert "123456" not in listed.text  # a one-time code is never shown, even to admins

    pending = await client.get("/admin/outbox", headers=admin.headers, params={"status": "pending"})
    assert pending.json()["total"] == 0

    retried = await client.post(f"/admin/outbox/{failed}/retry", headers=admin.headers)
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending" and retried.json()["attempts"] == 0
    assert await drain() == 1
    assert [m["Subject"] for m in mailbox.messages("fay@example.com")] == ["Welcome to LMS"]

    done = await client.post(f"/admin/outbox/{failed}/retry", headers=admin.headers)
    assert done.status_code == 409 and done.json()["code"] == "outbox_not_failed"
    everything = await client.get("/admin/outbox", headers=admin.headers)
    assert {item["status"] for item in everything.json()["items"]} == {"done", "failed"}


async def test_outbox_refusals(
    client: httpx.AsyncClient,
    admin: Account,
    student: Account,
    instructor: Account,
    db: AsyncSession,
) -> None:
    failed = await failed_email(db, "fay@example.com")
    for caller in (student, instructor):
        assert (await client.get("/admin/outbox", headers=caller.headers)).status_code == 403
        retry = await client.post(f"/admin/outbox/{failed}/retry", headers=caller.headers)
        assert retry.status_code == 403
    assert (await client.get("/admin/outbox")).status_code == 401
    assert (await client.post(f"/admin/outbox/{failed}/retry")).status_code == 401

    unknown = await client.post(f"/admin/outbox/{uuid.uuid4()}/retry", headers=admin.headers)
    assert unknown.status_code == 404 and unknown.json()["code"] == "outbox_message_not_found"
    bad_id = await client.post("/admin/outbox/not-an-id/retry", headers=admin.headers)
    assert bad_id.status_code == 422
    bad_status = await client.get("/admin/outbox", headers=admin.headers, params={"status": "lost"})
    assert bad_status.status_code == 422
    # the refused calls changed nothing
    still = await client.get("/admin/outbox", headers=admin.headers, params={"status": "failed"})
    assert still.json()["total"] == 1


async def test_the_outbox_pages_by_cursor_without_repeating_or_skipping(
    client: httpx.AsyncClient, admin: Account, db: AsyncSession
) -> None:
    """The outbox only grows: a cursor continues after the last message seen, however
    many arrive meanwhile (a page number would shift and repeat them)."""
    first_five = [await failed_email(db, f"p{index}@example.com") for index in range(5)]

    # an empty cursor starts from the newest
    page = await client.get(
        "/admin/outbox", headers=admin.headers, params={"page_size": 2, "cursor": ""}
    )
    seen = [item["id"] for item in page.json()["items"]]
    cursor = page.json()["next_cursor"]
    newer = [await failed_email(db, f"n{index}@example.com") for index in range(3)]
    while cursor:
        following = await client.get(
            "/admin/outbox", headers=admin.headers, params={"page_size": 2, "cursor": cursor}
        )
        assert following.status_code == 200
        links = following.headers["link"]
        assert 'rel="first"' in links
        body = following.json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor:
            assert f"cursor={cursor}" in links and 'rel="next"' in links
        else:
            assert 'rel="next"' not in links
    assert sorted(seen) == sorted(str(message) for message in first_five)
    assert not set(seen) & {str(message) for message in newer}
    bad = await client.get("/admin/outbox", headers=admin.headers, params={"cursor": "nope!"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"
