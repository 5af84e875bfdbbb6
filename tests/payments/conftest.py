"""Payments fixtures: provider credentials in the settings, every provider's API answered
by the fakes in ``fakes.py`` (through an httpx mock transport), and paid courses."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from lms.core.config import Settings
from lms.core.deps import get_settings_dep
from lms.modules.payments.models import Payment, PaymentWebhookEvent
from lms.modules.payments.providers import ProviderRegistry
from lms.modules.payments.router import get_provider_registry
from tests.conftest import Account
from tests.payments import fakes


def configured(settings: Settings, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "stripe_secret_key": fakes.STRIPE_KEY,
        "stripe_webhook_secret": fakes.STRIPE_WEBHOOK_SECRET,
        "stripe_plan_price_ids": {"monthly": "price_monthly", "yearly": "price_yearly"},
        "myfatoorah_api_key": fakes.MYFATOORAH_KEY,
        "myfatoorah_webhook_secret": fakes.MYFATOORAH_SECRET,
        "paymob_secret_key": fakes.PAYMOB_SECRET,
        "paymob_public_key": fakes.PAYMOB_PUBLIC,
        "paymob_integration_id": fakes.PAYMOB_INTEGRATION,
        "paymob_hmac_secret": fakes.PAYMOB_HMAC,
        "payments_return_url": "https://lms.example.com/checkout/done",
        **overrides,
    }
    return settings.model_copy(update=values)


class PaymentsWorld:
    """The app wired to fake providers, with switches for settings."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.base_settings = settings
        self.fake = fakes.FakeProviders()
        self.use(configured(settings))

    def use(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = ProviderRegistry(settings, transport=self.fake.transport)
        self.app.dependency_overrides[get_settings_dep] = lambda: self.settings
        self.app.dependency_overrides[get_provider_registry] = lambda: self.registry

    def reconfigure(self, **overrides: Any) -> None:
        self.use(configured(self.base_settings, **overrides))

    def close(self) -> None:
        self.app.dependency_overrides.pop(get_settings_dep, None)
        self.app.dependency_overrides.pop(get_provider_registry, None)


@pytest.fixture
async def world(app: Any, settings: Settings) -> AsyncIterator[PaymentsWorld]:
    payments_world = PaymentsWorld(app, settings)
    yield payments_world
    payments_world.close()


CourseFactory = Callable[..., Any]


@pytest.fixture
def make_course(client: httpx.AsyncClient, instructor: Account) -> CourseFactory:
    """A course made through the courses API: paid and published unless told otherwise."""

    async def factory(
        *, price: str = "1500.00", currency: str = "EGP", published: bool = True
    ) -> dict[str, Any]:
        created = await client.post(
            "/courses",
            headers=instructor.headers,
            json={
                "title": f"Paid course {uuid.uuid4().hex[:6]}",
                "description": "Learn things",
                "price": price,
                "currency": currency,
            },
        )
        assert created.status_code == 201, created.text
        course: dict[str, Any] = created.json()
        lesson = await client.post(
            f"/courses/{course['id']}/lessons",
            headers=instructor.headers,
            json={"title": "Welcome", "lesson_type": "text", "content": "Hello"},
        )
        assert lesson.status_code == 201, lesson.text
        if published:
            done = await client.post(f"/courses/{course['id']}/publish", headers=instructor.headers)
            assert done.status_code == 200, done.text
            course = done.json()
        return course

    return factory


@pytest.fixture
async def paid_course(make_course: CourseFactory) -> dict[str, Any]:
    course: dict[str, Any] = await make_course()
    return course


async def count_events(db: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(PaymentWebhookEvent)) or 0)


async def payment_row(db: Any, payment_id: str) -> Payment:
    db.expire_all()
    payment = await db.get(Payment, uuid.UUID(payment_id))
    assert payment is not None
    return payment


def money(value: str) -> Decimal:
    return Decimal(value)
