"""MyFatoorah through its REST API v2 (httpx): InitiatePayment → ExecutePayment for a payment
URL, GetPaymentStatus to confirm, MakeRefund, and the signed webhook (v1 and v2).

Sources:
- API: https://docs.myfatoorah.com/docs/initiate-payment,
  https://docs.myfatoorah.com/docs/execute-payment,
  https://docs.myfatoorah.com/docs/get-payment-status,
  https://docs.myfatoorah.com/docs/make-refund — ``Authorization: Bearer <token>``, test
  host ``https://apitest.myfatoorah.com``; answers are ``{IsSuccess, Message,
  ValidationErrors, Data}``.
- Webhooks: https://docs.myfatoorah.com/docs/webhook, /docs/webhook-v1, /docs/webhook-v2,
  /docs/webhook-v2-payment-status-data-model, /docs/webhook-v2-refund-data-model,
  /docs/transaction-data-model, /docs/refund-data-model.
- Signature: https://docs.myfatoorah.com/docs/webhook-signature — header
  ``MyFatoorah-Signature`` = base64(HMAC-SHA256(secret, "k1=v1,k2=v2,…")) with UTF-8 secret
  and message and null as the empty string. v1 signs the ``Data`` properties sorted
  alphabetically (nested objects such as ``GatewayReference`` left out); v2 signs a fixed
  list per event: PAYMENT_STATUS_CHANGED → Invoice.Id, Invoice.Status,
  Transaction.Status, Transaction.PaymentId, Invoice.ExternalIdentifier;
  REFUND_STATUS_CHANGED → Refund.Id, Refund.Status, Amount.ValueInBaseCurrency,
  ReferencedInvoice.Id. v2 events carry a unique ``Event.Reference`` (our dedupe key).
- "Rely on both the webhook and GetPaymentStatus" (webhook page, "Updating Order Status in
  your System"): a SUCCESS event is acted on only once GetPaymentStatus says ``Paid``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

import httpx

from lms.core.config import Settings
from lms.modules.payments.providers.base import (
    Checkout,
    CheckoutRequest,
    EventKind,
    InboundWebhook,
    InvalidPayload,
    InvalidSignature,
    PaymentProvider,
    ProviderEvent,
    ProviderRejected,
    RefundNotPossible,
    RefundOutcome,
    RefundRequest,
    constant_time_equal,
    parse_uuid,
)
from lms.modules.payments.providers.http import ProviderHTTP
from lms.modules.payments.providers.signing import dig, render

V2_SIGNED_FIELDS: dict[str, tuple[str, ...]] = {
    "PAYMENT_STATUS_CHANGED": (
        "Invoice.Id",
        "Invoice.Status",
        "Transaction.Status",
        "Transaction.PaymentId",
        "Invoice.ExternalIdentifier",
    ),
    "REFUND_STATUS_CHANGED": (
        "Refund.Id",
        "Refund.Status",
        "Amount.ValueInBaseCurrency",
        "ReferencedInvoice.Id",
    ),
}
TRANSACTION_KINDS = {
    "SUCCESS": EventKind.PAYMENT_SUCCEEDED,
    "FAILED": EventKind.PAYMENT_FAILED,
    "CANCELED": EventKind.PAYMENT_FAILED,
    "CANCELLED": EventKind.PAYMENT_FAILED,
    "AUTHORIZE": EventKind.PAYMENT_PENDING,
}


def canonical_v2(event_name: str, data: dict[str, Any]) -> str:
    return ",".join(f"{name}={render(dig(data, name))}" for name in V2_SIGNED_FIELDS[event_name])


def canonical_v1(data: dict[str, Any]) -> str:
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict | list)}
    return ",".join(f"{k}={render(scalars[k])}" for k in sorted(scalars, key=str.lower))


def sign(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _iso(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _currency(value: object) -> str | None:
    return str(value).upper() if value else None


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class MyFatoorahProvider(PaymentProvider):
    name = "myfatoorah"

    def __init__(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.http = ProviderHTTP(
            "myfatoorah",
            base_url=settings.myfatoorah_base_url,
            timeout=settings.payments_http_timeout_seconds,
            transport=transport,
        )

    def missing_checkout_settings(self) -> list[str]:
        return [] if self.settings.myfatoorah_api_key else ["myfatoorah_api_key"]

    def missing_webhook_settings(self) -> list[str]:
        missing = []
        if not self.settings.myfatoorah_webhook_secret:
            missing.append("myfatoorah_webhook_secret")
        # Every SUCCESS is confirmed with GetPaymentStatus, which needs the API key.
        if not self.settings.myfatoorah_api_key:
            missing.append("myfatoorah_api_key")
        return missing

    async def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self.http.post(
            path,
            body=body,
            headers={"Authorization": f"Bearer {self.settings.myfatoorah_api_key}"},
        )
        if not isinstance(answer, dict) or not answer.get("IsSuccess"):
            message = answer.get("Message") if isinstance(answer, dict) else None
            raise ProviderRejected(f"MyFatoorah refused the request: {message or 'no details'}.")
        return cast(dict[str, Any], answer.get("Data") or {})

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        self.require_checkout()
        amount = float(request.amount)  # MyFatoorah takes a JSON decimal number
        initiated = await self._call(
            "/v2/InitiatePayment", {"InvoiceAmount": amount, "CurrencyIso": request.currency}
        )
        method = self._choose_method(
            initiated.get("PaymentMethods") or [],
            request.payment_method or self.settings.myfatoorah_payment_method,
        )
        executed = await self._call(
            "/v2/ExecutePayment",
            {
                "PaymentMethodId": method["PaymentMethodId"],
                "InvoiceValue": amount,
                "DisplayCurrencyIso": request.currency,
                "CustomerName": request.customer.full_name[:100],
                "CustomerEmail": request.customer.email,
                "CustomerReference": str(request.payment_id),
                "UserDefinedField": str(request.course_id),
                "CallBackUrl": request.return_url,
                "ErrorUrl": request.return_url,
                "Language": "en",
                "InvoiceItems": [
                    {"ItemName": request.description[:100], "Quantity": 1, "UnitPrice": amount}
                ],
            },
        )
        if not executed.get("InvoiceId") or not executed.get("PaymentURL"):
            raise ProviderRejected("MyFatoorah did not return an invoice and a payment URL.")
        return Checkout(
            provider_order_id=str(executed["InvoiceId"]),
            payment_url=str(executed["PaymentURL"]),
            details={"payment_method": method.get("PaymentMethodCode")},
        )

    @staticmethod
    def _choose_method(methods: list[dict[str, Any]], wanted: str | None) -> dict[str, Any]:
        if wanted:
            for method in methods:
                if str(method.get("PaymentMethodCode", "")).lower() == wanted.lower():
                    return method
            raise ProviderRejected(f"MyFatoorah does not offer the payment method {wanted!r}.")
        for method in methods:  # a hosted page, not a direct (card-on-our-server) method
            if not method.get("IsDirectPayment"):
                return method
        raise ProviderRejected("MyFatoorah offered no payment method for this amount.")

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        self.require_checkout()
        if not request.provider_order_id:
            raise RefundNotPossible()
        data = await self._call(
            "/v2/MakeRefund",
            {
                "Key": request.provider_order_id,
                "KeyType": "InvoiceId",
                "RefundChargeOnCustomer": False,
                "ServiceChargeOnCustomer": False,
                "Amount": float(request.amount),
                "Comment": (request.reason or f"Refund of payment {request.payment_id}")[:200],
            },
        )
        return RefundOutcome(refund_id=str(data.get("RefundId") or ""), status="requested")

    async def payment_status(self, invoice_id: str) -> dict[str, Any]:
        return await self._call("/v2/GetPaymentStatus", {"Key": invoice_id, "KeyType": "InvoiceId"})

    async def confirm(self, event: ProviderEvent) -> ProviderEvent:
        if event.kind is not EventKind.PAYMENT_SUCCEEDED or not event.order_id:
            return event
        status = await self.payment_status(event.order_id)
        invoice_status = str(status.get("InvoiceStatus") or "")
        if invoice_status.lower() != "paid":
            return replace(
                event,
                kind=EventKind.PAYMENT_PENDING,
                failure_reason=f"GetPaymentStatus says {invoice_status or 'nothing'}",
            )
        if event.payment_id is None:
            return replace(event, payment_id=parse_uuid(status.get("CustomerReference")))
        return event

    def verify_and_parse(self, webhook: InboundWebhook) -> ProviderEvent:
        self.require_webhooks()
        secret = cast(str, self.settings.myfatoorah_webhook_secret)
        given = webhook.headers.get("myfatoorah-signature") or ""
        try:
            body = json.loads(webhook.body, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidSignature() from exc
        if not isinstance(body, dict) or not isinstance(body.get("Data"), dict):
            raise InvalidSignature()
        data: dict[str, Any] = body["Data"]
        event = body.get("Event")
        if isinstance(event, dict):  # webhook v2
            name = str(event.get("Name") or "")
            if name not in V2_SIGNED_FIELDS:
                raise InvalidSignature(
                    f"MyFatoorah {name or 'unnamed'} events cannot be verified here; subscribe "
                    "this endpoint to payment and refund status events only."
                )
            message = canonical_v2(name, data)
        elif "EventType" in body:  # webhook v1
            message = canonical_v1(data)
        else:
            raise InvalidSignature()
        if not given or not constant_time_equal(sign(secret, message), given):
            raise InvalidSignature()
        if isinstance(event, dict):
            return self._parse_v2(event, data)
        return self._parse_v1(body, data, message)

    def _parse_v2(self, event: dict[str, Any], data: dict[str, Any]) -> ProviderEvent:
        name = str(event.get("Name"))
        reference = event.get("Reference")
        if not reference:
            raise InvalidPayload("A MyFatoorah v2 event without Event.Reference.")
        base: dict[str, Any] = {
            "provider": "myfatoorah",
            "event_id": str(reference),
            "event_type": name,
            "occurred_at": _aware(_iso(event.get("CreationDate"))),
        }
        amount = data.get("Amount") or {}
        if name == "REFUND_STATUS_CHANGED":
            refunded = str(dig(data, "Refund.Status") or "").upper() == "REFUNDED"
            return ProviderEvent(
                **base,
                kind=EventKind.PAYMENT_REFUNDED if refunded else EventKind.IGNORED,
                order_id=render(dig(data, "ReferencedInvoice.Id") or dig(data, "Refund.InvoiceId"))
                or None,
                refunded_amount=_decimal(amount.get("ValueInBaseCurrency")),
                currency=_currency(amount.get("BaseCurrency")),
                reference=render(dig(data, "Refund.Id")) or None,
            )
        transaction_status = str(dig(data, "Transaction.Status") or "").upper()
        kind = TRANSACTION_KINDS.get(transaction_status, EventKind.PAYMENT_PENDING)
        if kind is EventKind.PAYMENT_SUCCEEDED and (
            str(dig(data, "Invoice.Status") or "").upper() != "PAID"
        ):
            kind = EventKind.PAYMENT_PENDING
        display = amount.get("ValueInDisplayCurrency")
        return ProviderEvent(
            **base,
            kind=kind,
            order_id=render(dig(data, "Invoice.Id")) or None,
            payment_id=parse_uuid(dig(data, "Customer.Reference"))
            or parse_uuid(dig(data, "Invoice.ExternalIdentifier")),
            reference=render(dig(data, "Transaction.PaymentId")) or None,
            amount=_decimal(display if display is not None else amount.get("ValueInBaseCurrency")),
            currency=_currency(
                amount.get("DisplayCurrency") if display is not None else amount.get("BaseCurrency")
            ),
            failure_reason=render(dig(data, "Transaction.Error.Message")) or transaction_status,
        )

    def _parse_v1(self, body: dict[str, Any], data: dict[str, Any], signed: str) -> ProviderEvent:
        event_type = int(body.get("EventType") or 0)
        name = str(body.get("Event") or f"EventType{event_type}")
        base: dict[str, Any] = {"provider": "myfatoorah", "event_type": name}
        if event_type == 1:
            status = str(data.get("TransactionStatus") or "").upper()
            display = data.get("InvoiceValueInDisplayCurreny")  # sic, as MyFatoorah spells it
            return ProviderEvent(
                **base,
                event_id=f"v1-1-{data.get('InvoiceId')}-{data.get('PaymentId')}-{status}",
                kind=TRANSACTION_KINDS.get(status, EventKind.PAYMENT_PENDING),
                order_id=render(data.get("InvoiceId")) or None,
                payment_id=parse_uuid(data.get("CustomerReference")),
                reference=render(data.get("PaymentId")) or None,
                amount=_decimal(
                    display if display is not None else data.get("InvoiceValueInBaseCurrency")
                ),
                currency=_currency(
                    data.get("DisplayCurrency") if display is not None else data.get("BaseCurrency")
                ),
                failure_reason=status,
            )
        if event_type == 2:
            status = str(data.get("RefundStatus") or "").upper()
            return ProviderEvent(
                **base,
                event_id=f"v1-2-{data.get('RefundId')}-{status}",
                kind=EventKind.PAYMENT_REFUNDED if status == "REFUNDED" else EventKind.IGNORED,
                order_id=render(data.get("InvoiceId")) or None,
                refunded_amount=_decimal(data.get("Amount")),
                reference=render(data.get("RefundId")) or None,
            )
        digest = hashlib.sha256(signed.encode()).hexdigest()[:40]
        return ProviderEvent(**base, event_id=f"v1-{event_type}-{digest}", kind=EventKind.IGNORED)
