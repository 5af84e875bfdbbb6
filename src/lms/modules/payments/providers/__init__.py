"""Payment providers: one interface (``base.PaymentProvider``), three implementations.

``ProviderRegistry`` builds them from settings; keys and secrets come only from there, and
a provider without them answers 503 ``provider_not_configured`` instead of pretending.
"""

from __future__ import annotations

import httpx

from lms.core.config import Settings
from lms.modules.payments.providers.base import (
    PROVIDER_NAMES,
    PaymentProvider,
    ProviderName,
)
from lms.modules.payments.providers.myfatoorah import MyFatoorahProvider
from lms.modules.payments.providers.paymob import PaymobProvider
from lms.modules.payments.providers.stripe import StripeProvider

__all__ = ["PROVIDER_NAMES", "PaymentProvider", "ProviderName", "ProviderRegistry"]


class ProviderRegistry:
    """The configured providers of one application. ``transport`` replaces the network
    (tests answer with each provider's real response shapes)."""

    def __init__(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.stripe = StripeProvider(settings, transport=transport)
        self._providers: dict[str, PaymentProvider] = {
            "stripe": self.stripe,
            "myfatoorah": MyFatoorahProvider(settings, transport=transport),
            "paymob": PaymobProvider(settings, transport=transport),
        }

    def get(self, name: ProviderName) -> PaymentProvider:
        return self._providers[name]

    def for_checkout(self, name: ProviderName) -> PaymentProvider:
        provider = self.get(name)
        provider.require_checkout()
        return provider

    def for_webhooks(self, name: ProviderName) -> PaymentProvider:
        provider = self.get(name)
        provider.require_webhooks()
        return provider

    def subscriptions(self) -> StripeProvider:
        """Plans are sold through Stripe Subscriptions."""
        self.stripe.require_checkout()
        return self.stripe
