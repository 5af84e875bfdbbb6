"""Accounts: a user of any role, signed in through the API, and the steps around signing
in (logging in, turning on email MFA)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from lms.core.config import Settings
from lms.core.session import commit
from tests.factories.api import ok

if TYPE_CHECKING:
    from tests.conftest import Mailbox

PASSWORD = "correct-horse-42"
# Group 1 is the six digits of the sign-in code in an MFA email.
SIGN_IN_CODE = r"sign-in code: (\d{6})"


@dataclass
class Account:
    """A user and the tokens of their sign-in."""

    id: uuid.UUID
    email: str
    role: str
    full_name: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        """The headers of a request sent as this user."""
        return {"Authorization": f"Bearer {self.access_token}"}


AccountFactory = Callable[..., Awaitable[Account]]


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """The API's answer to signing in with ``email`` and ``password``."""
    return await client.post("/auth/login", json={"email": email, "password": password})


async def create_account(
    app: Any,
    client: httpx.AsyncClient,
    settings: Settings,
    role: str = "student",
    *,
    email: str | None = None,
    full_name: str | None = None,
) -> Account:
    """A user of any role written directly (no registration email), then signed in
    through the API with ``PASSWORD``."""
    from lms.modules import users

    address = email or f"{role}-{uuid.uuid4().hex[:10]}@example.com"
    name = full_name or f"{role.title()} {address[:6]}"
    async with app.state.sessionmaker() as session:
        user = await users.create_user(
            session,
            settings=settings,
            email=address,
            password=PASSWORD,
            full_name=name,
            role=role,
        )
        await commit(session)
    body = ok(await login(client, address), 200)
    return Account(
        id=user.id,
        email=address,
        role=role,
        full_name=name,
        password=PASSWORD,
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
    )


def account_factory(app: Any, client: httpx.AsyncClient, settings: Settings) -> AccountFactory:
    """``create_account`` bound to one app and client: ``await make(role, email=…)``."""

    async def make(
        role: str = "student", *, email: str | None = None, full_name: str | None = None
    ) -> Account:
        return await create_account(app, client, settings, role, email=email, full_name=full_name)

    return make


async def enable_email_mfa(
    client: httpx.AsyncClient, account: Account, drain: Any, mailbox: Mailbox
) -> dict[str, Any]:
    """Turn on email MFA for ``account`` with the code it was mailed; returns the
    confirmation (with the recovery codes)."""
    started = ok(
        await client.post(
            "/auth/mfa/enable/request", headers=account.headers, json={"method": "email"}
        ),
        200,
    )
    assert started["method"] == "email"
    await drain()
    code = mailbox.last_match(SIGN_IN_CODE, account.email)
    return ok(
        await client.post("/auth/mfa/enable/confirm", headers=account.headers, json={"code": code}),
        200,
    )


async def enable_mfa_directly(db: Any, user_id: uuid.UUID) -> None:
    """Email MFA on for ``user_id`` behind the API (no code to read): for a test about
    what happens to an account that has it."""
    from lms.modules import users

    await users.enable_mfa(db, user_id=user_id, method="email")
    await commit(db)
