"""Registering an endpoint with an Idempotency-Key: a retry within the key's lifetime
replays the first answer, signing secret included, and registers nothing twice. The
kept answer holds the secret, so it is kept encrypted with LMS_SECRET_KEY as the secret
is in the database; one that cannot be decrypted any more is refused, not run again."""

from __future__ import annotations

import json
from hashlib import sha256
from typing import Any

import httpx
from cryptography.fernet import Fernet

from tests.factories.accounts import Account

BODY = {"url": "https://crm.example.com/lms-hooks", "description": "CRM"}


def _store_key(account: Account, key: str) -> str:
    return f"idem:user:{account.id}:{sha256(key.encode()).hexdigest()}"


async def test_a_retried_registration_replays_the_secret_once_registered(
    client: httpx.AsyncClient, admin: Account, app: Any
) -> None:
    headers = {**admin.headers, "Idempotency-Key": "crm-endpoint"}
    first = await client.post("/webhooks/endpoints", headers=headers, json=BODY)
    retry = await client.post("/webhooks/endpoints", headers=headers, json=BODY)

    assert first.status_code == retry.status_code == 201, first.text
    assert first.json()["secret"].startswith("whsec_")
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["location"].endswith(f"/webhooks/endpoints/{first.json()['id']}")
    assert retry.headers["idempotent-replayed"] == "true"
    listed = (await client.get("/webhooks/endpoints", headers=admin.headers)).json()
    assert listed["total"] == 1

    reused = await client.post(
        "/webhooks/endpoints", headers=headers, json={**BODY, "url": "https://other.example.com/"}
    )
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    assert (await client.get("/webhooks/endpoints", headers=admin.headers)).json()["total"] == 1

    # What the store keeps shows neither the secret nor the answer.
    kept = await app.state.store.get(_store_key(admin, "crm-endpoint"))
    assert kept is not None
    assert first.json()["secret"] not in kept and first.json()["id"] not in kept
    assert set(json.loads(kept)) == {"fingerprint", "sealed"}


async def test_a_kept_answer_that_cannot_be_decrypted_is_refused_not_run_again(
    client: httpx.AsyncClient, admin: Account, app: Any
) -> None:
    headers = {**admin.headers, "Idempotency-Key": "crm-endpoint"}
    first = await client.post("/webhooks/endpoints", headers=headers, json=BODY)
    assert first.status_code == 201
    store_key = _store_key(admin, "crm-endpoint")
    kept = json.loads(await app.state.store.get(store_key))
    # As if LMS_SECRET_KEY had changed since.
    kept["sealed"] = Fernet(Fernet.generate_key()).encrypt(b"{}").decode()
    await app.state.store.set(store_key, json.dumps(kept), 3600)

    retry = await client.post("/webhooks/endpoints", headers=headers, json=BODY)

    assert (retry.status_code, retry.json()["code"]) == (409, "idempotency_answer_unreadable")
    assert (await client.get("/webhooks/endpoints", headers=admin.headers)).json()["total"] == 1


async def test_other_admins_have_their_own_keys(
    client: httpx.AsyncClient, admin: Account, make_account: Any
) -> None:
    other = await make_account("admin")
    mine = await client.post(
        "/webhooks/endpoints", headers={**admin.headers, "Idempotency-Key": "k"}, json=BODY
    )
    theirs = await client.post(
        "/webhooks/endpoints", headers={**other.headers, "Idempotency-Key": "k"}, json=BODY
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["secret"] != theirs.json()["secret"]
    assert "idempotent-replayed" not in theirs.headers
