"""Paymob (Accept) through its REST API (httpx): the Intention API and Unified Checkout for
payments, the refund API, and the HMAC-signed transaction callbacks (POST and GET).

Sources:
- Intention API: https://developers.paymob.com/paymob-docs/developers/intention-apis and
  .../intention-apis/create-intention — ``POST https://accept.paymob.com/v1/intention/``
  with ``Authorization: Token <secret key>``; amount in cents equal to the sum of the
  items; ``payment_methods`` are integration ids; ``special_reference`` comes back as the
  order's ``merchant_order_id``; ``notification_url`` receives the POST callback,
  ``redirection_url`` the browser (GET). The answer carries ``client_secret`` and
  ``intention_order_id`` (the order id every callback names). Checkout page:
  ``/unifiedcheckout/?publicKey=<public key>&clientSecret=<client secret>``.
- Refunds: https://acceptdocs.paymobsolutions.com/docs/refund-transaction —
  ``POST /api/acceptance/void_refund/refund`` with ``transaction_id`` and
  ``amount_cents`` (authenticated with the secret key, like the Intention API); the
  answer is the refund transaction.
- Callbacks: https://developers.paymob.com/paymob-docs/manage-callback/transaction-callbacks
  and https://developers.paymob.com/paymob-docs/developers/webhook-callbacks-and-hmac/hmac/
  hmac-transaction-callback — HMAC-SHA512 (hex) with the HMAC secret over the values,
  concatenated without separator, of: amount_cents, created_at, currency, error_occured,
  has_parent_transaction, id, integration_id, is_3d_secure, is_auth, is_capture,
  is_refunded, is_standalone_payment, is_voided, order.id, owner, pending,
  source_data.pan, source_data.sub_type, source_data.type, success; sent as the ``hmac``
  query parameter. The POST body is ``{"type": "TRANSACTION", "obj": {…}}`` (booleans
  rendered ``true``/``false``); the GET redirect carries the same fields flat in its query
  (the order id as ``order``). The card-token callback (``type: TOKEN``) signs
  card_subtype, created_at, email, id, masked_pan, merchant_id, order_id, token.
  Paymob's own SDK (github.com/PaymobAccept/paymob-python, ``web_hooks.hmac_calc``)
  concatenates the same 20 values in the same order.

A transaction id alone is not a unique event: the same transaction is reported again when
it settles, is refunded or voided, so the event id is the transaction id plus its state.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlencode

import httpx

from lms.core.config import Settings
from lms.modules.payments.providers.base import (
    Checkout,
    CheckoutRequest,
    EventKind,
    InboundWebhook,
    InvalidSignature,
    PaymentProvider,
    ProviderEvent,
    ProviderRejected,
    RefundNotPossible,
    RefundOutcome,
    RefundRequest,
    constant_time_equal,
    from_minor_units,
    parse_uuid,
    to_minor_units,
)
from lms.modules.payments.providers.http import ProviderHTTP
from lms.modules.payments.providers.signing import dig, render

TRANSACTION_HMAC_FIELDS = (
    "amount_cents",
    "created_at",
    "currency",
    "error_occured",  # sic, as Paymob spells it
    "has_parent_transaction",
    "id",
    "integration_id",
    "is_3d_secure",
    "is_auth",
    "is_capture",
    "is_refunded",
    "is_standalone_payment",
    "is_voided",
    "order.id",
    "owner",
    "pending",
    "source_data.pan",
    "source_data.sub_type",
    "source_data.type",
    "success",
)
TOKEN_HMAC_FIELDS = (
    "card_subtype",
    "created_at",
    "email",
    "id",
    "masked_pan",
    "merchant_id",
    "order_id",
    "token",
)


def transaction_message(obj: dict[str, Any]) -> str:
    """The string Paymob signs for a POST transaction callback's ``obj``."""
    return "".join(render(dig(obj, name)) for name in TRANSACTION_HMAC_FIELDS)


def redirect_message(query: dict[str, str]) -> str:
    """The same string for the GET redirect, whose fields arrive flat in the query."""
    flat = dict(query)
    flat.setdefault("order", flat.get("order_id", ""))
    names = ["order" if name == "order.id" else name for name in TRANSACTION_HMAC_FIELDS]
    return "".join(flat.get(name, "") for name in names)


def token_message(obj: dict[str, Any]) -> str:
    return "".join(render(obj.get(name)) for name in TOKEN_HMAC_FIELDS)


def sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha512).hexdigest()


def _truthy(value: object) -> bool:
    return value is True or str(value).lower() == "true"


def _created(value: object) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def transaction_event(fields: dict[str, Any], *, event_type: str) -> ProviderEvent:
    """A Paymob transaction (POST ``obj`` or GET query, both flattened) as our event."""
    txn_id = render(fields.get("id"))
    currency = render(fields.get("currency")).upper()
    amount_cents = int(fields.get("amount_cents") or 0)
    order_id = render(fields.get("order_id")) or None
    refunded_cents = fields.get("refunded_amount_cents")
    common: dict[str, Any] = {
        "provider": "paymob",
        "event_type": event_type,
        "occurred_at": _created(fields.get("created_at")),
        "order_id": order_id,
        "payment_id": parse_uuid(fields.get("merchant_order_id")),
        "currency": currency or None,
        "amount": from_minor_units(amount_cents, currency or "EGP"),
    }
    if _truthy(fields.get("is_voided")) or _truthy(fields.get("is_void")):
        state, kind, refunded = "voided", EventKind.PAYMENT_REFUNDED, amount_cents
    elif _truthy(fields.get("is_refund")) and _truthy(fields.get("success")):
        # A refund transaction of its own (a child of the payment).
        state, kind, refunded = "refund", EventKind.PAYMENT_REFUNDED, amount_cents
    elif _truthy(fields.get("is_refunded")):
        refunded = int(refunded_cents) if refunded_cents not in (None, "") else amount_cents
        state, kind = f"refunded-{refunded}", EventKind.PAYMENT_REFUNDED
    elif _truthy(fields.get("pending")):
        state, kind, refunded = "pending", EventKind.PAYMENT_PENDING, 0
    elif _truthy(fields.get("success")):
        state, kind, refunded = "succeeded", EventKind.PAYMENT_SUCCEEDED, 0
    else:
        state, kind, refunded = "failed", EventKind.PAYMENT_FAILED, 0
    return ProviderEvent(
        **common,
        event_id=f"{txn_id}:{state}",
        kind=kind,
        reference=None if kind is EventKind.PAYMENT_REFUNDED else txn_id,
        refunded_amount=from_minor_units(refunded, currency or "EGP")
        if kind is EventKind.PAYMENT_REFUNDED
        else None,
        failure_reason=render(fields.get("message")) or "declined"
        if kind is EventKind.PAYMENT_FAILED
        else None,
    )


class PaymobProvider(PaymentProvider):
    name = "paymob"

    def __init__(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.http = ProviderHTTP(
            "paymob",
            base_url=settings.paymob_base_url,
            timeout=settings.payments_http_timeout_seconds,
            transport=transport,
        )

    def missing_checkout_settings(self) -> list[str]:
        required = ("paymob_secret_key", "paymob_public_key", "paymob_integration_id")
        return [name for name in required if not getattr(self.settings, name)]

    def missing_webhook_settings(self) -> list[str]:
        return [] if self.settings.paymob_hmac_secret else ["paymob_hmac_secret"]

    @property
    def integration_ids(self) -> list[int]:
        raw = self.settings.paymob_integration_id or ""
        try:
            return [int(part) for part in raw.split(",") if part.strip()]
        except ValueError as exc:
            raise ProviderRejected(
                "LMS_PAYMOB_INTEGRATION_ID must be one or more numeric integration ids."
            ) from exc

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.settings.paymob_secret_key}"}

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        self.require_checkout()
        cents = to_minor_units(request.amount, request.currency)
        first, _, last = request.customer.full_name.strip().partition(" ")
        person = {
            "first_name": first or "Student",
            "last_name": last or first or "Student",
            "email": request.customer.email,
        }
        intention = await self.http.post(
            "/v1/intention/",
            headers=self._headers(),
            body={
                "amount": cents,
                "currency": request.currency,
                "payment_methods": self.integration_ids,
                "items": [
                    {
                        "name": request.description[:50],
                        "amount": cents,
                        "description": f"Course {request.course_id}",
                        "quantity": 1,
                    }
                ],
                # Paymob requires these billing fields; "NA" is its documented filler.
                "billing_data": {
                    **person,
                    "phone_number": "NA",
                    "apartment": "NA",
                    "floor": "NA",
                    "street": "NA",
                    "building": "NA",
                    "city": "NA",
                    "country": "NA",
                    "state": "NA",
                },
                "customer": person,
                "special_reference": str(request.payment_id),
                "notification_url": request.notification_url,
                "redirection_url": request.redirect_url,
                "extras": {
                    "payment_id": str(request.payment_id),
                    "course_id": str(request.course_id),
                },
            },
        )
        if not isinstance(intention, dict) or not intention.get("client_secret"):
            raise ProviderRejected("Paymob did not return a client secret for the intention.")
        order_id = intention.get("intention_order_id")
        if order_id is None:
            raise ProviderRejected("Paymob did not return the order id of the intention.")
        query = urlencode(
            {
                "publicKey": self.settings.paymob_public_key,
                "clientSecret": intention["client_secret"],
            }
        )
        return Checkout(
            provider_order_id=str(order_id),
            payment_url=f"{self.http.base_url}/unifiedcheckout/?{query}",
            details={"intention_id": intention.get("id")},
        )

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        self.require_checkout()
        if not request.provider_reference:
            raise RefundNotPossible()
        answer = await self.http.post(
            "/api/acceptance/void_refund/refund",
            headers=self._headers(),
            body={
                "transaction_id": int(request.provider_reference),
                "amount_cents": to_minor_units(request.amount, request.currency),
            },
        )
        # The answer is the refund transaction (success / pending flags); some accounts
        # answer a short {"id", "status"} instead.
        obj = answer.get("obj", answer) if isinstance(answer, dict) else {}
        pending = _truthy(obj.get("pending"))
        declined = str(obj.get("status", "")).lower() in ("error", "failed", "declined") or (
            "success" in obj and not _truthy(obj.get("success")) and not pending
        )
        if declined:
            raise ProviderRejected("Paymob declined the refund.")
        return RefundOutcome(
            refund_id=render(obj.get("id")), status="pending" if pending else "succeeded"
        )

    def verify_and_parse(self, webhook: InboundWebhook) -> ProviderEvent:
        self.require_webhooks()
        secret = cast(str, self.settings.paymob_hmac_secret)
        given = (webhook.query.get("hmac") or "").lower()
        if not given:
            raise InvalidSignature()
        if webhook.method == "GET":
            query = {k: v for k, v in webhook.query.items() if k != "hmac"}
            if not constant_time_equal(sign(secret, redirect_message(query)), given):
                raise InvalidSignature()
            fields: dict[str, Any] = {
                **query,
                "order_id": query.get("order") or query.get("order_id"),
                "message": query.get("data.message"),
            }
            return transaction_event(fields, event_type="TRANSACTION_REDIRECT")
        try:
            body = json.loads(webhook.body, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidSignature() from exc
        if not isinstance(body, dict) or not isinstance(body.get("obj"), dict):
            raise InvalidSignature()
        obj: dict[str, Any] = body["obj"]
        kind = str(body.get("type") or "")
        if kind == "TOKEN":
            if not constant_time_equal(sign(secret, token_message(obj)), given):
                raise InvalidSignature()
            return ProviderEvent(
                provider="paymob",
                event_id=f"token:{render(obj.get('id'))}",
                event_type="TOKEN",
                kind=EventKind.IGNORED,
            )
        if not constant_time_equal(sign(secret, transaction_message(obj)), given):
            raise InvalidSignature()
        fields = {
            **obj,
            "order_id": dig(obj, "order.id"),
            "merchant_order_id": dig(obj, "order.merchant_order_id"),
            "message": dig(obj, "data.message"),
        }
        return transaction_event(fields, event_type=kind or "TRANSACTION")
