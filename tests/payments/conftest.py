"""Payments fixtures: provider credentials in the settings, every provider's API answered
by the fakes in ``fakes.py`` (through an httpx mock transport), and paid courses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from lms.core.config import Settings
from lms.core.deps import get_settings_dep
from lms.modules.payments.providers import ProviderRegistry
from lms.modules.payments.router import get_provider_registry
from tests.factories.accounts import Account
from tests.factories.courses import published_course
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
    """A one-lesson course made through the courses API: paid and published unless told
    otherwise."""

    async def factory(
        *, price: str = "1500.00", currency: str = "EGP", published: bool = True
    ) -> dict[str, Any]:
        course, _ = await published_course(
            client, instructor, lessons=1, publish=published, price=price, currency=currency
        )
        return course

    return factory


@pytest.fixture
async def paid_course(make_course: CourseFactory) -> dict[str, Any]:
    course: dict[str, Any] = await make_course()
    return course
