"""The one interface every payment provider implements, and the provider-neutral values
that cross it: a checkout to start, a refund to make, an inbound event already verified.

A provider module knows its provider's wire format and signature scheme and nothing about
our tables; the payments service knows our rules and nothing about any wire format.
"""

from __future__ import annotations

import hmac
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Literal

import httpx

from lms.core.errors import AppError, BadRequest, Conflict, ServiceUnavailable

ProviderName = Literal["stripe", "myfatoorah", "paymob"]
PROVIDER_NAMES: tuple[ProviderName, ...] = ("stripe", "myfatoorah", "paymob")
PROVIDER_TITLES: dict[str, str] = {
    "stripe": "Stripe",
    "myfatoorah": "MyFatoorah",
    "paymob": "Paymob",
}

# ISO 4217 minor units where they differ from two decimals (the cases the three
# providers accept). Stripe: https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


def minor_unit_exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``Decimal("150.00")`` EGP → ``15000`` piastres. Refuses sub-unit fractions rather
    than rounding money silently."""
    scaled = amount.scaleb(minor_unit_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} has more decimals than the currency allows")
    return int(scaled)


def from_minor_units(value: int | str, currency: str) -> Decimal:
    exponent = minor_unit_exponent(currency)
    return (Decimal(int(value)).scaleb(-exponent)).quantize(Decimal(1).scaleb(-exponent))


def constant_time_equal(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


# --- errors ---------------------------------------------------------------------------


class ProviderNotConfigured(ServiceUnavailable):
    code = "provider_not_configured"

    def __init__(self, provider: str, missing: list[str]) -> None:
        names = ", ".join(f"LMS_{name.upper()}" for name in missing)
        super().__init__(
            f"Payments through {PROVIDER_TITLES.get(provider, provider)} are not configured on "
            f"this server (missing: {names})."
        )


class InvalidSignature(BadRequest):
    code = "invalid_signature"
    detail = "The webhook signature is missing or does not match; nothing was recorded."


class InvalidPayload(BadRequest):
    code = "invalid_payload"
    detail = "The webhook body is not what the provider sends; nothing was recorded."


class ProviderUnavailable(ServiceUnavailable):
    code = "provider_unavailable"
    detail = "The payment provider could not be reached; retry shortly."


class RefundNotPossible(Conflict):
    code = "not_refundable"
    detail = (
        "The provider never reported the transaction behind this payment; refund it from "
        "the provider's dashboard."
    )


class ProviderRejected(AppError):
    """The provider answered, but refused the request (bad credentials, bad amount…)."""

    status = 502
    code = "provider_error"
    detail = "The payment provider refused the request."


# --- values that cross the interface --------------------------------------------------


@dataclass(frozen=True)
class Customer:
    id: uuid.UUID
    email: str
    full_name: str


@dataclass(frozen=True)
class CheckoutRequest:
    payment_id: uuid.UUID
    course_id: uuid.UUID
    description: str
    amount: Decimal
    currency: str
    customer: Customer
    # Where the provider posts its server-to-server notification, where the browser
    # returns to after paying, and (MyFatoorah) the method the customer asked for.
    notification_url: str
    redirect_url: str
    return_url: str
    payment_method: str | None = None


@dataclass(frozen=True)
class Checkout:
    provider_order_id: str
    client_secret: str | None = None
    payment_url: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundRequest:
    payment_id: uuid.UUID
    amount: Decimal
    currency: str
    provider_order_id: str | None
    provider_reference: str | None
    idempotency_key: str
    reason: str | None = None


@dataclass(frozen=True)
class RefundOutcome:
    refund_id: str
    status: str  # the provider's word for it: succeeded, pending, REFUNDED…


class EventKind(StrEnum):
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_PENDING = "payment_pending"
    PAYMENT_REFUNDED = "payment_refunded"
    SUBSCRIPTION_CHANGED = "subscription_changed"
    INVOICE_PAID = "invoice_paid"
    INVOICE_FAILED = "invoice_failed"
    IGNORED = "ignored"


@dataclass(frozen=True)
class SubscriptionSnapshot:
    provider_subscription_id: str
    status: str
    customer_id: str | None = None
    price_id: str | None = None
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None
    local_id: uuid.UUID | None = None


@dataclass(frozen=True)
class InvoiceSnapshot:
    invoice_id: str
    provider_subscription_id: str | None
    customer_id: str | None
    amount: Decimal
    currency: str
    payment_reference: str | None = None


@dataclass(frozen=True)
class ProviderEvent:
    """A verified inbound event, reduced to what the payments rules need."""

    provider: ProviderName
    event_id: str
    event_type: str
    kind: EventKind
    occurred_at: datetime | None = None
    order_id: str | None = None  # matches Payment.provider_order_id
    payment_id: uuid.UUID | None = None  # our id, when the provider echoes it back
    reference: str | None = None  # the provider's id of the settled transaction
    amount: Decimal | None = None
    currency: str | None = None
    refunded_amount: Decimal | None = None  # cumulative
    failure_reason: str | None = None
    subscription: SubscriptionSnapshot | None = None
    invoice: InvoiceSnapshot | None = None


@dataclass(frozen=True)
class InboundWebhook:
    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str]
    method: str = "POST"


def parse_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


class PaymentProvider(ABC):
    """What the payments service needs from a provider."""

    name: ClassVar[ProviderName]

    @abstractmethod
    def missing_checkout_settings(self) -> list[str]:
        """Names of the settings still needed to take payments (empty when ready)."""

    @abstractmethod
    def missing_webhook_settings(self) -> list[str]:
        """Names of the settings still needed to verify inbound events."""

    def require_checkout(self) -> None:
        if missing := self.missing_checkout_settings():
            raise ProviderNotConfigured(self.name, missing)

    def require_webhooks(self) -> None:
        if missing := self.missing_webhook_settings():
            raise ProviderNotConfigured(self.name, missing)

    @abstractmethod
    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Open a payment at the provider for ``request.amount`` (from our course)."""

    @abstractmethod
    async def refund(self, request: RefundRequest) -> RefundOutcome:
        """Refund (part of) a settled payment."""

    @abstractmethod
    def verify_and_parse(self, webhook: InboundWebhook) -> ProviderEvent:
        """Verify the provider's signature over the request, then parse it.
        Raises ``InvalidSignature`` before looking at the content otherwise."""

    async def confirm(self, event: ProviderEvent) -> ProviderEvent:
        """A second opinion from the provider's API before acting (default: none)."""
        return event


def raise_for_transport(exc: httpx.HTTPError, provider: str) -> None:
    raise ProviderUnavailable(
        f"{PROVIDER_TITLES.get(provider, provider)} could not be reached ({type(exc).__name__}); "
        "retry shortly."
    ) from exc
