"""Broken authentication (OWASP API2): forged, altered, stale and misused tokens are
refused, and so is every way around the second factor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import anyio
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lms.core.config import Settings
from tests.conftest import Mailbox
from tests.factories.accounts import PASSWORD, SIGN_IN_CODE, Account, enable_email_mfa, login


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(account: Account, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": str(account.id),
        "role": account.role,
        "jti": uuid.uuid4().hex,
        "type": "access",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})


def _hs256_by_hand(claims: dict[str, Any], key: bytes) -> str:
    """PyJWT refuses a PEM key as an HMAC secret; an attacker would not."""
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}"
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.filterwarnings("ignore:The HMAC key is")
async def test_forged_and_altered_tokens_are_refused(
    client: httpx.AsyncClient, student: Account, settings: Settings
) -> None:
    key = settings.secret_key
    private = _rsa_key()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header, payload, signature = student.access_token.split(".")
    as_admin = _claims(student, role="admin")
    forged = {
        # alg "none": no signature at all
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(as_admin)}.",
        "alg None, signature kept": f"{_b64({'alg': 'None'})}.{_b64(as_admin)}.{signature}",
        # RS256 with the attacker's own key pair
        "RS256, attacker key": jwt.encode(as_admin, private, algorithm="RS256"),
        # HS/RS confusion: an HMAC keyed with a public key the attacker knows
        "HS256 keyed with a public key": _hs256_by_hand(as_admin, public_pem),
        # the right key but an algorithm the server does not accept
        "HS512, right key": jwt.encode(as_admin, key, algorithm="HS512"),
        # a wrong key
        "HS256, wrong key": jwt.encode(as_admin, "x" * 48, algorithm="HS256"),
        # the student's own token with the payload changed and the signature kept
        "payload tampered": f"{header}.{_b64(as_admin)}.{signature}",
        "signature stripped": f"{header}.{payload}.",
        "signature flipped": f"{header}.{payload}.{signature[::-1]}",
        "garbage": "not.a.jwt",
        # correctly signed, but not an access token or missing what is required
        "refresh-type token": jwt.encode(_claims(student, type="refresh"), key, "HS256"),
        "mfa-type token": jwt.encode(_claims(student, type="mfa"), key, "HS256"),
        "no type": jwt.encode(_claims(student, type=None), key, "HS256"),
        "no exp": jwt.encode(_claims(student, exp=None), key, "HS256"),
        "no jti": jwt.encode(_claims(student, jti=None), key, "HS256"),
        "sub not a uuid": jwt.encode(_claims(student, sub="admin"), key, "HS256"),
        "unknown user": jwt.encode(_claims(student, sub=str(uuid.uuid4())), key, "HS256"),
    }
    for name, token in forged.items():
        response = await _me(client, token)
        assert response.status_code == 401, f"{name}: {response.status_code} {response.text}"
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
    # the genuine token still works, and a role claim is never trusted over the database
    assert (await _me(client, student.access_token)).json()["role"] == "student"
    elevated = jwt.encode(_claims(student, role="admin"), key, "HS256")
    assert (
        await client.get("/users", headers={"Authorization": f"Bearer {elevated}"})
    ).status_code == 403


async def test_expired_token_is_refused(
    client: httpx.AsyncClient, student: Account, settings: Settings
) -> None:
    past = int(time.time()) - 3600
    expired = jwt.encode(_claims(student, iat=past, exp=past + 60), settings.secret_key, "HS256")
    response = await _me(client, expired)
    assert response.status_code == 401 and response.json()["code"] == "token_expired"


async def test_a_token_accepted_before_is_refused_once_it_expires(
    client: httpx.AsyncClient, student: Account, settings: Settings
) -> None:
    """Verified tokens are remembered per process; their expiry is checked every time."""
    now = time.time()
    token = jwt.encode(_claims(student, iat=now, exp=now + 1.5), settings.secret_key, "HS256")
    assert (await _me(client, token)).status_code == 200
    assert (await _me(client, token)).status_code == 200
    await anyio.sleep(max(0.0, now + 1.6 - time.time()))
    later = await _me(client, token)
    assert later.status_code == 401 and later.json()["code"] == "token_expired"


async def test_logout_revokes_the_access_token_and_its_refresh_token(
    client: httpx.AsyncClient, student: Account
) -> None:
    out = await client.post(
        "/auth/logout", headers=student.headers, json={"refresh_token": student.refresh_token}
    )
    assert out.status_code == 204
    replay = await _me(client, student.access_token)
    assert replay.status_code == 401 and replay.json()["code"] == "token_revoked"
    refreshed = await client.post("/auth/refresh", json={"refresh_token": student.refresh_token})
    assert refreshed.status_code == 401


async def test_a_deactivated_user_is_refused_at_once(
    client: httpx.AsyncClient, student: Account, admin: Account
) -> None:
    assert (await _me(client, student.access_token)).status_code == 200
    off = await client.patch(
        f"/users/{student.id}", headers=admin.headers, json={"is_active": False}
    )
    assert off.status_code == 200
    assert (await _me(client, student.access_token)).status_code == 401
    again = await client.post("/auth/login", json={"email": student.email, "password": PASSWORD})
    assert again.status_code == 401
    refreshed = await client.post("/auth/refresh", json={"refresh_token": student.refresh_token})
    assert refreshed.status_code == 401


async def test_a_reused_refresh_token_revokes_the_whole_family(
    client: httpx.AsyncClient, student: Account
) -> None:
    first = await client.post("/auth/refresh", json={"refresh_token": student.refresh_token})
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    # the stolen original is replayed: refused, and the thief's use kills the family
    stolen = await client.post("/auth/refresh", json={"refresh_token": student.refresh_token})
    assert stolen.status_code == 401 and stolen.json()["code"] == "refresh_reused"
    legitimate = await client.post("/auth/refresh", json={"refresh_token": rotated})
    assert legitimate.status_code == 401
    # an access token is not a refresh token
    swapped = await client.post("/auth/refresh", json={"refresh_token": student.access_token[:200]})
    assert swapped.status_code == 401


async def test_the_mfa_step_cannot_be_skipped_or_brute_forced(
    client: httpx.AsyncClient,
    student: Account,
    settings: Settings,
    drain: Any,
    mailbox: Mailbox,
) -> None:
    await enable_email_mfa(client, student, drain, mailbox)
    challenge = await login(client, student.email)
    assert challenge.status_code == 200
    body = challenge.json()
    assert body["mfa_required"] is True and "access_token" not in body
    mfa_token = body["mfa_token"]

    # the mfa_token is not an access token, on any route
    for path in ("/users/me", "/auth/me", "/enrollments/my-courses"):
        bypass = await client.get(path, headers={"Authorization": f"Bearer {mfa_token}"})
        assert bypass.status_code == 401, path
    # nor does the OAuth2 password form skip the second factor
    form = await client.post("/auth/token", data={"username": student.email, "password": PASSWORD})
    assert form.status_code == 401

    # guessing: every wrong code counts; past the limit even the right code fails
    await drain()
    right = mailbox.last_match(SIGN_IN_CODE, student.email)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    answers = []
    for _ in range(settings.otp_max_tries):
        guess = await client.post("/auth/login/mfa", json={"mfa_token": mfa_token, "code": wrong})
        answers.append(guess.status_code)
    assert set(answers) == {401}
    late = await client.post("/auth/login/mfa", json={"mfa_token": mfa_token, "code": right})
    assert late.status_code in (401, 429), late.text
    assert "access_token" not in late.json()


@pytest.mark.parametrize("scheme", ["Basic", "Token", "bearer-ish"])
async def test_other_authorization_schemes_are_anonymous(
    client: httpx.AsyncClient, student: Account, scheme: str
) -> None:
    response = await client.get(
        "/users/me", headers={"Authorization": f"{scheme} {student.access_token}"}
    )
    assert response.status_code == 401
