"""Stripe through its official SDK (``stripe`` ≥ 16): PaymentIntents for one-time course
purchases, Subscriptions on a Price for plans, refunds, and webhook verification.

Sources (checked against the installed SDK, stripe-python 16.1, API version 2026-10-28):
- Webhook signatures: https://docs.stripe.com/webhooks#verify-events — header
  ``Stripe-Signature: t=<unix>,v1=<hex>``, HMAC-SHA256 with the endpoint secret over
  ``"{t}.{raw body}"``, any ``v1`` may match, default tolerance 300 s; the SDK's
  ``stripe.WebhookSignature.verify_header`` implements exactly this.
- PaymentIntents: https://docs.stripe.com/api/payment_intents/create and
  https://docs.stripe.com/payments/paymentintents/lifecycle (``client_secret`` goes to the
  browser; amounts in the currency's smallest unit, https://docs.stripe.com/currencies).
- Idempotency: https://docs.stripe.com/api/idempotent_requests — every create call below
  carries a deterministic ``Idempotency-Key`` derived from our own row id.
- Subscriptions: https://docs.stripe.com/billing/subscriptions/build-subscriptions
  (``payment_behavior=default_incomplete``, the first invoice's
  ``confirmation_secret.client_secret``); periods live on the subscription items since
  API version 2025-03-31 (https://docs.stripe.com/changelog/basil).
- Cancel at period end: https://docs.stripe.com/api/subscriptions/update
  (``cancel_at_period_end``); refunds: https://docs.stripe.com/api/refunds/create.
- Events used: payment_intent.succeeded / payment_failed / canceled / processing,
  charge.refunded (``amount_refunded`` is cumulative), customer.subscription.*,
  invoice.paid / invoice.payment_succeeded / invoice.payment_failed
  (https://docs.stripe.com/api/events/types).
- HTTP: ``stripe.HTTPXClient`` (async httpx) with a timeout; tests hand it an httpx mock
  transport so the SDK speaks real HTTP to a fake Stripe.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import anyio
import httpx
import stripe

from lms.core.config import Settings
from lms.modules.payments.providers.base import (
    Checkout,
    CheckoutRequest,
    Customer,
    EventKind,
    InboundWebhook,
    InvalidPayload,
    InvalidSignature,
    InvoiceSnapshot,
    PaymentProvider,
    ProviderEvent,
    ProviderRejected,
    ProviderUnavailable,
    RefundNotPossible,
    RefundOutcome,
    RefundRequest,
    SubscriptionSnapshot,
    from_minor_units,
    parse_uuid,
    to_minor_units,
)

PAYMENT_EVENTS = {
    "payment_intent.succeeded": EventKind.PAYMENT_SUCCEEDED,
    "payment_intent.payment_failed": EventKind.PAYMENT_FAILED,
    "payment_intent.canceled": EventKind.PAYMENT_FAILED,
    "payment_intent.processing": EventKind.PAYMENT_PENDING,
    "payment_intent.requires_action": EventKind.PAYMENT_PENDING,
    "charge.refunded": EventKind.PAYMENT_REFUNDED,
}
SUBSCRIPTION_EVENTS = {
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
}
INVOICE_EVENTS = {
    "invoice.paid": EventKind.INVOICE_PAID,
    "invoice.payment_succeeded": EventKind.INVOICE_PAID,
    "invoice.payment_failed": EventKind.INVOICE_FAILED,
}


class _SDKHTTPClient(stripe.HTTPXClient):
    """The SDK's async httpx client, optionally bound to a given transport."""

    def __init__(self, *, timeout: float, transport: httpx.AsyncBaseTransport | None) -> None:
        super().__init__(timeout=timeout)
        if transport is not None:
            self._client_async = httpx.AsyncClient(transport=transport)

    def _get_request_args_kwargs(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any
    ) -> Any:
        # The SDK hands httpx an already form-encoded body as ``data=``, which httpx
        # deprecates for raw content; pass it as ``content=`` instead.
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        if isinstance(kwargs.get("data"), str | bytes):
            kwargs["content"] = kwargs.pop("data")
        return args, kwargs


def _timestamp(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(cast(int, value)), tz=UTC)


def _id_of(value: object) -> str | None:
    """An expandable field: either an id string or the expanded object."""
    if isinstance(value, dict):
        found = value.get("id")
        return str(found) if found else None
    return str(value) if value else None


def subscription_snapshot(obj: dict[str, Any]) -> SubscriptionSnapshot:
    items = ((obj.get("items") or {}).get("data")) or [{}]
    first = items[0] or {}
    price = first.get("price") or {}
    metadata = obj.get("metadata") or {}
    return SubscriptionSnapshot(
        provider_subscription_id=str(obj["id"]),
        status=str(obj.get("status") or "incomplete"),
        customer_id=_id_of(obj.get("customer")),
        price_id=_id_of(price),
        # Since API 2025-03-31 the period is per item; older versions had it on top.
        current_period_start=_timestamp(
            first.get("current_period_start") or obj.get("current_period_start")
        ),
        current_period_end=_timestamp(
            first.get("current_period_end") or obj.get("current_period_end")
        ),
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
        canceled_at=_timestamp(obj.get("canceled_at")),
        local_id=parse_uuid(metadata.get("subscription_id")),
    )


def _invoice_subscription_id(invoice: dict[str, Any]) -> str | None:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return _id_of(details.get("subscription")) or _id_of(invoice.get("subscription"))


def _invoice_payment_intent(invoice: dict[str, Any]) -> str | None:
    for entry in (invoice.get("payments") or {}).get("data") or []:
        payment = (entry or {}).get("payment") or {}
        if found := _id_of(payment.get("payment_intent")):
            return found
    return _id_of(invoice.get("payment_intent"))


def parse_event(event: dict[str, Any]) -> ProviderEvent:
    """Reduce a Stripe event (already verified) to a provider-neutral event."""
    event_type = str(event.get("type") or "")
    obj: dict[str, Any] = ((event.get("data") or {}).get("object")) or {}
    base: dict[str, Any] = {
        "provider": "stripe",
        "event_id": str(event["id"]),
        "event_type": event_type,
        "occurred_at": _timestamp(event.get("created")),
    }
    if event_type in PAYMENT_EVENTS:
        currency = str(obj.get("currency") or "").upper()
        metadata = obj.get("metadata") or {}
        kind = PAYMENT_EVENTS[event_type]
        if kind is EventKind.PAYMENT_REFUNDED:  # a Charge
            return ProviderEvent(
                **base,
                kind=kind,
                order_id=_id_of(obj.get("payment_intent")),
                payment_id=parse_uuid(metadata.get("payment_id")),
                reference=_id_of(obj.get("payment_intent")),
                currency=currency,
                amount=from_minor_units(obj.get("amount") or 0, currency),
                refunded_amount=from_minor_units(obj.get("amount_refunded") or 0, currency),
            )
        error = obj.get("last_payment_error") or {}
        received = obj.get("amount_received") if kind is EventKind.PAYMENT_SUCCEEDED else None
        return ProviderEvent(
            **base,
            kind=kind,
            order_id=_id_of(obj.get("id")),
            payment_id=parse_uuid(metadata.get("payment_id")),
            reference=_id_of(obj.get("id")),
            currency=currency,
            amount=from_minor_units(
                received if received is not None else obj.get("amount") or 0, currency
            ),
            failure_reason=(error.get("message") or error.get("code") or obj.get("status"))
            if kind is EventKind.PAYMENT_FAILED
            else None,
        )
    if event_type in SUBSCRIPTION_EVENTS:
        return ProviderEvent(
            **base, kind=EventKind.SUBSCRIPTION_CHANGED, subscription=subscription_snapshot(obj)
        )
    if event_type in INVOICE_EVENTS:
        currency = str(obj.get("currency") or "").upper()
        paid = obj.get("amount_paid") if event_type != "invoice.payment_failed" else None
        return ProviderEvent(
            **base,
            kind=INVOICE_EVENTS[event_type],
            invoice=InvoiceSnapshot(
                invoice_id=str(obj["id"]),
                provider_subscription_id=_invoice_subscription_id(obj),
                customer_id=_id_of(obj.get("customer")),
                amount=from_minor_units(
                    paid if paid is not None else obj.get("amount_due") or 0, currency
                ),
                currency=currency,
                payment_reference=_invoice_payment_intent(obj),
            ),
        )
    return ProviderEvent(**base, kind=EventKind.IGNORED)


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._client: stripe.StripeClient | None = None

    def missing_checkout_settings(self) -> list[str]:
        return [] if self.settings.stripe_secret_key else ["stripe_secret_key"]

    def missing_webhook_settings(self) -> list[str]:
        return [] if self.settings.stripe_webhook_secret else ["stripe_webhook_secret"]

    def _build(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            cast(str, self.settings.stripe_secret_key),
            http_client=_SDKHTTPClient(
                timeout=self.settings.payments_http_timeout_seconds,
                transport=self._transport,
            ),
            max_network_retries=2,
        )

    async def client(self) -> stripe.StripeClient:
        self.require_checkout()
        if self._client is None:
            # The SDK's client loads its CA bundle when built: not on the event loop.
            built = await anyio.to_thread.run_sync(self._build)
            self._client = self._client or built
        return self._client

    async def _call(
        self, operation: Callable[[stripe.StripeClient], Awaitable[Any]]
    ) -> dict[str, Any]:
        client = await self.client()
        try:
            result = await operation(client)
        except stripe.APIConnectionError as exc:
            raise ProviderUnavailable(
                "Stripe could not be reached; retry shortly.", code="provider_unavailable"
            ) from exc
        except stripe.StripeError as exc:
            message = exc.user_message or type(exc).__name__
            raise ProviderRejected(f"Stripe refused the request: {message}.") from exc
        return cast(dict[str, Any], result.to_dict())

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        intent = await self._call(
            lambda c: c.v1.payment_intents.create_async(
                params={
                    "amount": to_minor_units(request.amount, request.currency),
                    "currency": request.currency.lower(),
                    "description": request.description[:1000],
                    "receipt_email": request.customer.email,
                    "automatic_payment_methods": {"enabled": True},
                    "metadata": {
                        "payment_id": str(request.payment_id),
                        "course_id": str(request.course_id),
                        "user_id": str(request.customer.id),
                    },
                },
                options={"idempotency_key": f"payment-{request.payment_id}"},
            )
        )
        return Checkout(
            provider_order_id=str(intent["id"]),
            client_secret=str(intent["client_secret"]),
            details={"status": intent.get("status")},
        )

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        intent = request.provider_reference
        if not intent:
            raise RefundNotPossible()
        refund = await self._call(
            lambda c: c.v1.refunds.create_async(
                params={
                    "payment_intent": intent,
                    "amount": to_minor_units(request.amount, request.currency),
                    "reason": "requested_by_customer",
                    "metadata": {"payment_id": str(request.payment_id)},
                },
                options={"idempotency_key": request.idempotency_key},
            )
        )
        if refund.get("status") in ("failed", "canceled"):
            raise ProviderRejected(f"Stripe did not refund the payment ({refund.get('status')}).")
        return RefundOutcome(refund_id=str(refund["id"]), status=str(refund.get("status")))

    async def ensure_customer(self, customer: Customer) -> str:
        created = await self._call(
            lambda c: c.v1.customers.create_async(
                params={
                    "email": customer.email,
                    "name": customer.full_name,
                    "metadata": {"user_id": str(customer.id)},
                },
                options={"idempotency_key": f"customer-{customer.id}"},
            )
        )
        return str(created["id"])

    async def create_subscription(
        self,
        *,
        subscription_id: uuid.UUID,
        customer_id: str,
        price_id: str,
        user_id: uuid.UUID,
        plan_name: str,
    ) -> tuple[SubscriptionSnapshot, str | None]:
        """Start a subscription that becomes active once its first invoice is paid;
        returns the snapshot and the client secret that confirms that first payment."""
        created = await self._call(
            lambda c: c.v1.subscriptions.create_async(
                params={
                    "customer": customer_id,
                    "items": [{"price": price_id}],
                    "payment_behavior": "default_incomplete",
                    "payment_settings": {"save_default_payment_method": "on_subscription"},
                    "expand": ["latest_invoice.confirmation_secret"],
                    "metadata": {
                        "subscription_id": str(subscription_id),
                        "user_id": str(user_id),
                        "plan": plan_name,
                    },
                },
                options={"idempotency_key": f"subscription-{subscription_id}"},
            )
        )
        invoice = created.get("latest_invoice") or {}
        secret = None
        if isinstance(invoice, dict):
            confirmation = invoice.get("confirmation_secret") or {}
            intent = invoice.get("payment_intent") or {}
            secret = confirmation.get("client_secret") or (
                intent.get("client_secret") if isinstance(intent, dict) else None
            )
        return subscription_snapshot(created), secret

    async def cancel_at_period_end(
        self, *, provider_subscription_id: str, idempotency_key: str
    ) -> SubscriptionSnapshot:
        updated = await self._call(
            lambda c: c.v1.subscriptions.update_async(
                provider_subscription_id,
                params={"cancel_at_period_end": True},
                options={"idempotency_key": idempotency_key},
            )
        )
        return subscription_snapshot(updated)

    def verify_and_parse(self, webhook: InboundWebhook) -> ProviderEvent:
        self.require_webhooks()
        header = webhook.headers.get("stripe-signature")
        try:
            stripe.WebhookSignature.verify_header(
                webhook.body,
                header,
                cast(str, self.settings.stripe_webhook_secret),
                tolerance=self.settings.stripe_webhook_tolerance_seconds,
            )
            event = json.loads(webhook.body, parse_float=Decimal)
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
            raise InvalidSignature() from exc
        except ValueError as exc:
            raise InvalidPayload("The signed body is not valid JSON.") from exc
        if not isinstance(event, dict) or not event.get("id"):
            raise InvalidPayload("The signed body is not a Stripe event.")
        return parse_event(event)
