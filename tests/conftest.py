"""Shared fixtures: one migrated database per run, a clean slate per test, an HTTP client
on the ASGI app, users and their tokens (made by ``tests.factories``), the outbox and the
mailbox.

The suite runs on the embedded defaults (SQLite file, memory store). With
``LMS_TEST_DATABASE_URL`` / ``LMS_TEST_REDIS_URL`` set it runs on PostgreSQL and Redis;
under ``CI=true`` those URLs must be set (see ``.ci/run``)."""

from __future__ import annotations

import email
import email.policy
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="lms-tests-"))
DATABASE_URL = os.environ.get("LMS_TEST_DATABASE_URL", f"sqlite+aiosqlite:///{_TMP / 'test.db'}")
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL") or None
MAIL_DIR = _TMP / "mail"

# Settings are read from the environment by every part of the app (jobs included).
os.environ.update(
    {
        "LMS_ENVIRONMENT": "test",
        "LMS_DATABASE_URL": DATABASE_URL,
        "LMS_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "LMS_BCRYPT_ROUNDS": "4",
        "LMS_EMAIL_BACKEND": "file",
        "LMS_EMAIL_FILE_DIR": str(MAIL_DIR),
        "LMS_UPLOAD_DIR": str(_TMP / "uploads"),
        "LMS_LOG_LEVEL": "WARNING",
        # Rate limits are high here; the tests of a limit lower it for themselves.
        "LMS_AUTH_RATE_LIMIT_PER_MINUTE": "1000",
        "LMS_UPLOAD_RATE_LIMIT_PER_HOUR": "100000",
        "LMS_ENROLLMENT_RATE_LIMIT_PER_MINUTE": "100000",
        "LMS_ATTEMPT_RATE_LIMIT_PER_MINUTE": "100000",
        "LMS_PUBLIC_BASE_URL": "https://lms.example.com",
        # Endpoint changes in this process are seen at once; no test waits for the
        # periodic re-read, so none may see it happen in the middle of a count.
        "LMS_WEBHOOK_SUBSCRIPTIONS_REFRESH_SECONDS": "3600",
    }
)
if REDIS_URL:
    os.environ["LMS_REDIS_URL"] = REDIS_URL
else:
    os.environ.pop("LMS_REDIS_URL", None)
os.environ.pop("LMS_CELERY_BROKER_URL", None)

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine  # noqa: E402

from lms.core import jobs  # noqa: E402
from lms.core.config import Settings, get_settings  # noqa: E402
from lms.core.db import Base  # noqa: E402
from lms.core.migrate import upgrade  # noqa: E402
from lms.main import create_app  # noqa: E402
from lms.modules import webhooks  # noqa: E402
from tests.factories.accounts import Account, AccountFactory, account_factory  # noqa: E402

IS_POSTGRES = DATABASE_URL.startswith("postgresql")


def pytest_report_header() -> list[str]:
    return [f"lms database: {DATABASE_URL.split('@')[-1]}", f"lms redis: {REDIS_URL or 'memory'}"]


def _reset_postgres_schema() -> None:
    import asyncio

    async def reset() -> None:
        engine = create_async_engine(DATABASE_URL)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())


@pytest.fixture(scope="session")
def settings() -> Settings:
    get_settings.cache_clear()
    if IS_POSTGRES:
        _reset_postgres_schema()
    upgrade(DATABASE_URL)
    return get_settings()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings, run_jobs=False)
    yield application
    await application.state.store.close()
    await application.state.engine.dispose()


async def reset_state(application: Any) -> None:
    """Empty every table, the store and the mailbox."""
    async with application.state.engine.begin() as connection:
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        if IS_POSTGRES:
            # The audit table refuses TRUNCATE outside its maintenance transactions.
            await connection.execute(text("SET LOCAL lms.audit_maintenance = 'on'"))
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608
    store = application.state.store
    if REDIS_URL:
        await store._redis.flushdb()
    else:
        await store.close()
    for path in MAIL_DIR.glob("*.eml"):
        path.unlink()
    webhooks.forget_subscriptions()


@pytest.fixture(autouse=True)
async def _clean_slate(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts with empty tables, an empty store and an empty mailbox."""
    yield
    if "app" not in request.fixturenames:
        return
    await reset_state(request.getfixturevalue("app"))


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as http:
        yield http


@pytest.fixture
async def db(app: Any) -> AsyncIterator[AsyncSession]:
    """A session for arranging data directly; commit with ``await commit(db)``."""
    async with app.state.sessionmaker() as session:
        yield session


@pytest.fixture
async def make_account(app: Any, client: httpx.AsyncClient, settings: Settings) -> AccountFactory:
    """Create a user of any role directly, then log in through the API."""
    return account_factory(app, client, settings)


@pytest.fixture
async def student(make_account: AccountFactory) -> Account:
    account: Account = await make_account("student")
    return account


@pytest.fixture
async def other_student(make_account: AccountFactory) -> Account:
    account: Account = await make_account("student")
    return account


@pytest.fixture
async def instructor(make_account: AccountFactory) -> Account:
    account: Account = await make_account("instructor")
    return account


@pytest.fixture
async def other_instructor(make_account: AccountFactory) -> Account:
    account: Account = await make_account("instructor")
    return account


@pytest.fixture
async def admin(make_account: AccountFactory) -> Account:
    account: Account = await make_account("admin")
    return account


@pytest.fixture
def drain(app: Any, settings: Settings) -> Callable[[], Any]:
    """Deliver every due outbox message now (what the worker does after commit)."""

    async def run() -> int:
        return await jobs.drain(app.state.sessionmaker, settings)

    return run


class Mailbox:
    """The ``.eml`` files the file email backend wrote."""

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        found = []
        for path in sorted(MAIL_DIR.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            if to is None or message["To"] == to:
                found.append(message)
        return found

    def text_of(self, message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def last_match(self, pattern: str, to: str | None = None) -> str:
        """Group 1 of ``pattern`` in the newest message (to ``to``) whose text has it."""
        for message in reversed(self.messages(to)):
            found = re.search(pattern, self.text_of(message))
            if found:
                return found.group(1)
        raise AssertionError(f"no email matches {pattern!r}")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    yield Mailbox()
