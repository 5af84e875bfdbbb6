"""Fake Stripe, MyFatoorah and Paymob servers behind one ``httpx.MockTransport``.

They answer with the providers' documented response shapes, record every request (so
tests can check idempotency keys, credentials and amounts), and can be told to fail.
The webhook helpers sign exactly as each provider documents it, computed here from the
algorithm (not with the code under test)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

STRIPE_KEY = "sk_test_51LmsPaymentsTestKey"
STRIPE_WEBHOOK_SECRET = "whsec_test_lms_endpoint_secret"
MYFATOORAH_KEY = "mf-test-token-rLtt6JWvbUHDDhsZnfpAhpYk4dxYDQkbcPTyGaKp2TYqQgG7FGZ5Th"
MYFATOORAH_SECRET = "mf-webhook-secret-key-0123456789"
PAYMOB_SECRET = "egy_sk_test_739f17a09e2c38aa17839cfa4ab66a07b62d1416f0e68fb1a8015ca5"
PAYMOB_PUBLIC = "egy_pk_test_AbCdEfGhIjKlMnOpQrStUvWxYz012345"
PAYMOB_HMAC = "PAYMOB-HMAC-SECRET-9F3C2A7B1E"
PAYMOB_INTEGRATION = "4097558"

_counter = itertools.count(1000)


def stripe_id(prefix: str) -> str:
    return f"{prefix}_3Pq{next(_counter)}{uuid.uuid4().hex[:14]}"


@dataclass
class Recorded:
    method: str
    url: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeProviders:
    requests: list[Recorded] = field(default_factory=list)
    myfatoorah_invoice_status: str = "Paid"
    fail: dict[str, int] = field(default_factory=dict)  # path → status code to answer
    unreachable: set[str] = field(default_factory=set)  # paths that time out
    # Every new order/invoice gets the next id; the last one given is kept for asserts.
    paymob_order_id: int = 217503754
    myfatoorah_invoice_id: int = 586170
    # Stripe answers a request repeated with the same Idempotency-Key as the first time.
    stripe_answers: dict[str, httpx.Response] = field(default_factory=dict)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def calls(self, path_part: str) -> list[Recorded]:
        return [r for r in self.requests if path_part in r.url]

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        content_type = request.headers.get("content-type", "")
        raw = request.content.decode() if request.content else ""
        if "json" in content_type:
            body: Any = json.loads(raw or "null")
        else:
            body = dict(parse_qsl(raw, keep_blank_values=True))
        self.requests.append(
            Recorded(request.method, str(request.url), dict(request.headers), body)
        )
        if path in self.unreachable:
            raise httpx.ConnectTimeout("timed out", request=request)
        if path in self.fail:
            return httpx.Response(self.fail[path], json=self._error_body(request.url.host))
        host = request.url.host
        key = request.headers.get("idempotency-key")
        if host == "api.stripe.com" and request.method == "POST" and key:
            if key not in self.stripe_answers:
                self.stripe_answers[key] = self._stripe(request, path, body)
            first = self.stripe_answers[key]
            return httpx.Response(first.status_code, content=first.content, headers=first.headers)
        if host == "api.stripe.com":
            return self._stripe(request, path, body)
        if host.endswith("myfatoorah.com"):
            return self._myfatoorah(request, path, body)
        if host.endswith("paymob.com"):
            return self._paymob(request, path, body)
        return httpx.Response(404, json={"error": "unknown host"})

    @staticmethod
    def _error_body(host: str) -> dict[str, Any]:
        if host == "api.stripe.com":
            return {
                "error": {
                    "type": "invalid_request_error",
                    "message": "Invalid API Key provided: sk_test_****",
                }
            }
        if host.endswith("myfatoorah.com"):
            return {
                "IsSuccess": False,
                "Message": "Invalid data",
                "ValidationErrors": [{"Name": "InvoiceValue", "Error": "Invalid value"}],
                "Data": None,
            }
        return {"detail": "Authentication credentials were not provided."}

    # Stripe (form-encoded requests, JSON answers) — https://docs.stripe.com/api

    def _stripe(self, request: httpx.Request, path: str, body: dict[str, str]) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {STRIPE_KEY}":
            return httpx.Response(401, json=self._error_body("api.stripe.com"))
        now = int(time.time())
        if path == "/v1/payment_intents":
            pi = stripe_id("pi")
            metadata = {k[9:-1]: v for k, v in body.items() if k.startswith("metadata[")}
            return httpx.Response(
                200,
                json={
                    "id": pi,
                    "object": "payment_intent",
                    "amount": int(body["amount"]),
                    "amount_capturable": 0,
                    "amount_received": 0,
                    "automatic_payment_methods": {"allow_redirects": "always", "enabled": True},
                    "capture_method": "automatic_async",
                    "client_secret": f"{pi}_secret_{uuid.uuid4().hex[:24]}",
                    "confirmation_method": "automatic",
                    "created": now,
                    "currency": body["currency"],
                    "customer": None,
                    "description": body.get("description"),
                    "latest_charge": None,
                    "livemode": False,
                    "metadata": metadata,
                    "payment_method": None,
                    "payment_method_types": ["card"],
                    "receipt_email": body.get("receipt_email"),
                    "status": "requires_payment_method",
                },
            )
        if path == "/v1/refunds":
            return httpx.Response(
                200,
                json={
                    "id": stripe_id("re"),
                    "object": "refund",
                    "amount": int(body["amount"]),
                    "charge": stripe_id("ch"),
                    "created": now,
                    "currency": "egp",
                    "metadata": {"payment_id": body.get("metadata[payment_id]")},
                    "payment_intent": body["payment_intent"],
                    "reason": body.get("reason"),
                    "status": "succeeded",
                },
            )
        if path == "/v1/customers":
            return httpx.Response(
                200,
                json={
                    "id": stripe_id("cus"),
                    "object": "customer",
                    "created": now,
                    "email": body.get("email"),
                    "name": body.get("name"),
                    "livemode": False,
                    "metadata": {"user_id": body.get("metadata[user_id]")},
                },
            )
        if path == "/v1/subscriptions":
            return httpx.Response(200, json=self.stripe_subscription(body, status="incomplete"))
        if path.startswith("/v1/subscriptions/"):
            sub_id = path.rsplit("/", 1)[1]
            answer = self.stripe_subscription(
                {"id": sub_id, **body}, status="active", cancel_at_period_end=True
            )
            answer["canceled_at"] = now
            return httpx.Response(200, json=answer)
        return httpx.Response(404, json={"error": {"message": "Unrecognized request URL"}})

    @staticmethod
    def stripe_subscription(
        body: dict[str, Any], *, status: str, cancel_at_period_end: bool = False
    ) -> dict[str, Any]:
        now = int(time.time())
        sub_id = body.get("id") or stripe_id("sub")
        return {
            "id": sub_id,
            "object": "subscription",
            "cancel_at_period_end": cancel_at_period_end,
            "canceled_at": None,
            "created": now,
            "currency": "egp",
            "customer": body.get("customer", "cus_test"),
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": stripe_id("si"),
                        "object": "subscription_item",
                        "current_period_start": now,
                        "current_period_end": now + 30 * 86400,
                        "price": {
                            "id": body.get("items[0][price]", "price_monthly"),
                            "object": "price",
                            "currency": "egp",
                            "unit_amount": 49900,
                            "recurring": {"interval": "month", "interval_count": 1},
                        },
                        "quantity": 1,
                    }
                ],
            },
            "latest_invoice": {
                "id": stripe_id("in"),
                "object": "invoice",
                "status": "open",
                "confirmation_secret": {
                    "client_secret": f"pi_sub_secret_{uuid.uuid4().hex[:16]}",
                    "type": "payment_intent",
                },
            },
            "metadata": {
                "subscription_id": body.get("metadata[subscription_id]"),
                "user_id": body.get("metadata[user_id]"),
            },
            "status": status,
        }

    # MyFatoorah — https://docs.myfatoorah.com/docs (v2 API)

    def _myfatoorah(self, request: httpx.Request, path: str, body: Any) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {MYFATOORAH_KEY}":
            return httpx.Response(401, text="")
        if path == "/v2/InitiatePayment":
            return httpx.Response(
                200,
                json={
                    "IsSuccess": True,
                    "Message": "Initiated Successfully!",
                    "ValidationErrors": None,
                    "Data": {
                        "PaymentMethods": [
                            {
                                "PaymentMethodId": 20,
                                "PaymentMethodAr": "ميزة",
                                "PaymentMethodEn": "Meeza",
                                "PaymentMethodCode": "mz",
                                "IsDirectPayment": True,
                                "ServiceCharge": 0.5,
                                "TotalAmount": body["InvoiceAmount"],
                                "CurrencyIso": body["CurrencyIso"],
                                "ImageUrl": "https://demo.myfatoorah.com/imgs/payment-methods/mz.png",
                                "IsEmbeddedSupported": False,
                                "PaymentCurrencyIso": body["CurrencyIso"],
                            },
                            {
                                "PaymentMethodId": 2,
                                "PaymentMethodAr": "فيزا / ماستر",
                                "PaymentMethodEn": "VISA/MASTER",
                                "PaymentMethodCode": "vm",
                                "IsDirectPayment": False,
                                "ServiceCharge": 0.1,
                                "TotalAmount": body["InvoiceAmount"],
                                "CurrencyIso": body["CurrencyIso"],
                                "ImageUrl": "https://demo.myfatoorah.com/imgs/payment-methods/vm.png",
                                "IsEmbeddedSupported": True,
                                "PaymentCurrencyIso": body["CurrencyIso"],
                            },
                        ]
                    },
                },
            )
        if path == "/v2/ExecutePayment":
            self.myfatoorah_invoice_id += 1
            invoice = self.myfatoorah_invoice_id
            return httpx.Response(
                200,
                json={
                    "IsSuccess": True,
                    "Message": "Invoice Created Successfully!",
                    "ValidationErrors": None,
                    "Data": {
                        "InvoiceId": invoice,
                        "IsDirectPayment": False,
                        "PaymentURL": f"https://demo.MyFatoorah.com/En/EGY/PayInvoice/Checkout?invoiceKey={invoice}-{uuid.uuid4().hex[:12]}",
                        "CustomerReference": body.get("CustomerReference"),
                        "UserDefinedField": body.get("UserDefinedField"),
                        "RecurringId": "",
                    },
                },
            )
        if path == "/v2/GetPaymentStatus":
            return httpx.Response(
                200,
                json={
                    "IsSuccess": True,
                    "Message": "",
                    "ValidationErrors": None,
                    "Data": {
                        "InvoiceId": int(body["Key"]),
                        "InvoiceStatus": self.myfatoorah_invoice_status,
                        "InvoiceReference": "2021000184",
                        "CustomerReference": None,
                        "CreatedDate": "2021-03-04T21:15:55.1",
                        "ExpiryDate": "March 7, 2021",
                        "InvoiceValue": 1500.000,
                        "Comments": None,
                        "CustomerName": "Test Student",
                        "CustomerMobile": "+20",
                        "CustomerEmail": None,
                        "UserDefinedField": None,
                        "InvoiceDisplayValue": "1,500.00 EGP",
                        "InvoiceItems": [],
                        "InvoiceTransactions": [
                            {
                                "TransactionDate": "2021-03-04T21:16:15.153",
                                "PaymentGateway": "VISA/MASTER",
                                "ReferenceId": "106310001097",
                                "TrackId": "04-03-2021_477336",
                                "TransactionId": "477336",
                                "PaymentId": "100202106359084366",
                                "AuthorizationId": "B68413",
                                "TransactionStatus": "Succss",
                                "TransationValue": "1,500.00",
                                "CustomerServiceCharge": "0.00",
                                "DueValue": "1,500.00",
                                "PaidCurrency": "EGP",
                                "PaidCurrencyValue": "1,500.00",
                                "Currency": "EGP",
                                "Error": None,
                                "CardNumber": "512345xxxxxx0008",
                                "ErrorCode": "",
                            }
                        ],
                    },
                },
            )
        if path == "/v2/MakeRefund":
            return httpx.Response(
                200,
                json={
                    "IsSuccess": True,
                    "Message": "Refund request submitted successfully",
                    "ValidationErrors": None,
                    "Data": {
                        "Key": str(body["Key"]),
                        "RefundId": 2840,
                        "RefundReference": "2021000019",
                        "RefundAmount": body["Amount"],
                        "Amount": body["Amount"],
                    },
                },
            )
        return httpx.Response(404, json={"IsSuccess": False, "Message": "Not found"})

    # Paymob — https://developers.paymob.com/paymob-docs

    def _paymob(self, request: httpx.Request, path: str, body: Any) -> httpx.Response:
        if request.headers.get("authorization") != f"Token {PAYMOB_SECRET}":
            return httpx.Response(401, json={"detail": "Invalid token."})
        if path == "/v1/intention/":
            self.paymob_order_id += 1
            client_secret = f"egy_csk_test_{uuid.uuid4().hex}"
            return httpx.Response(
                201,
                json={
                    "payment_keys": [
                        {
                            "integration": body["payment_methods"][0],
                            "key": "ZXlKaGJHY2lPaUpJVXpVeE1pSXNJblI1Y0NJNklrcFhWQ0o5",
                            "gateway_type": "VPC",
                            "iframe_id": None,
                            "order_id": self.paymob_order_id,
                            "redirection_url": body.get("redirection_url"),
                            "save_card": False,
                        }
                    ],
                    "intention_order_id": self.paymob_order_id,
                    "id": f"pi_test_{uuid.uuid4().hex}",
                    "intention_detail": {
                        "amount": body["amount"],
                        "items": body["items"],
                        "currency": body["currency"],
                        "billing_data": body["billing_data"],
                    },
                    "client_secret": client_secret,
                    "payment_methods": [
                        {
                            "integration_id": body["payment_methods"][0],
                            "alias": None,
                            "name": None,
                            "method_type": "card",
                            "currency": body["currency"],
                            "live": False,
                            "use_cvc_with_moto": False,
                        }
                    ],
                    "special_reference": body.get("special_reference"),
                    "extras": {"creation_extras": body.get("extras"), "confirmation_extras": None},
                    "confirmed": False,
                    "status": "intended",
                    "created": "2024-06-13T11:32:09.628623",
                    "card_detail": None,
                    "card_tokens": [],
                    "object": "paymentintention",
                },
            )
        if path == "/api/acceptance/void_refund/refund":
            return httpx.Response(
                200,
                json={
                    "id": 192036999,
                    "pending": False,
                    "amount_cents": body["amount_cents"],
                    "success": True,
                    "is_auth": False,
                    "is_capture": False,
                    "is_standalone_payment": True,
                    "is_voided": False,
                    "is_refunded": False,
                    "is_3d_secure": False,
                    "integration_id": int(PAYMOB_INTEGRATION),
                    "has_parent_transaction": True,
                    "order": {"id": self.paymob_order_id},
                    "created_at": "2024-06-14T09:00:00.000000",
                    "currency": "EGP",
                    "is_refund": True,
                    "is_void": False,
                    "parent_transaction": body["transaction_id"],
                },
            )
        return httpx.Response(404, json={"detail": "Not found."})


# Signing inbound webhooks, as each provider documents it


def stripe_signature(
    body: str, *, secret: str = STRIPE_WEBHOOK_SECRET, at: int | None = None
) -> str:
    """``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{body}">``."""
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(
    event_type: str, obj: dict[str, Any], *, created: int | None = None
) -> dict[str, Any]:
    return {
        "id": stripe_id("evt"),
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()) if created is None else created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def myfatoorah_signature(pairs: list[tuple[str, Any]], secret: str = MYFATOORAH_SECRET) -> str:
    """base64(HMAC-SHA256(secret, "k1=v1,k2=v2,…")), null as the empty string."""
    message = ",".join(f"{k}={'' if v is None else v}" for k, v in pairs)
    return base64.b64encode(
        hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    ).decode()


def myfatoorah_v2_payment(
    *,
    invoice_id: int,
    transaction_status: str = "SUCCESS",
    invoice_status: str = "PAID",
    amount: str = "1500.00",
    currency: str = "EGP",
    customer_reference: str | None = None,
    reference: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    payment_id = f"07072{invoice_id}{len(transaction_status)}"
    data = {
        "Invoice": {
            "Id": str(invoice_id),
            "Status": invoice_status,
            "Reference": "2025000512",
            "CreationDate": "2025-03-04T21:15:55.0000000Z",
            "ExpirationDate": "2025-03-07T21:15:55.0000000Z",
            "ExternalIdentifier": None,
            "UserDefinedField": None,
            "MetaData": None,
        },
        "Transaction": {
            "Id": "584613",
            "Status": transaction_status,
            "PaymentMethod": "VISA/MASTER",
            "PaymentId": payment_id,
            "ReferenceId": "506310001097",
            "TrackId": "04-03-2025_477336",
            "AuthorizationId": "B68413",
            "TransactionDate": "2025-03-04T21:16:15.0000000Z",
            "ECI": "05",
            "IP": {"Address": "156.200.1.20", "Country": "Egypt"},
            "Error": {"Code": None, "Message": None}
            if transaction_status == "SUCCESS"
            else {"Code": "MF005", "Message": "Insufficient funds"},
            "Card": {"NameOnCard": "TEST", "Number": "512345xxxxxx0008", "Issuer": "Bank"},
        },
        "Customer": {
            "Reference": customer_reference,
            "Name": "Test Student",
            "Mobile": "+20",
            "Email": "student@example.com",
        },
        "Amount": {
            "BaseCurrency": currency,
            "ValueInBaseCurrency": amount,
            "ServiceCharge": "15.00",
            "ServiceChargeVAT": "0.00",
            "ReceivableAmount": "1485.00",
            "DisplayCurrency": currency,
            "ValueInDisplayCurrency": amount,
            "PayCurrency": currency,
            "ValueInPayCurrency": amount,
        },
        "Suppliers": [],
    }
    body = {
        "Event": {
            "Code": 1,
            "Name": "PAYMENT_STATUS_CHANGED",
            "CountryIsoCode": "EGY",
            "CreationDate": "2025-03-04T21:16:16Z",
            "Reference": reference or f"WH-{uuid.uuid4().hex[:12].upper()}",
        },
        "Data": data,
    }
    signature = myfatoorah_signature(
        [
            ("Invoice.Id", data["Invoice"]["Id"]),
            ("Invoice.Status", data["Invoice"]["Status"]),
            ("Transaction.Status", data["Transaction"]["Status"]),
            ("Transaction.PaymentId", data["Transaction"]["PaymentId"]),
            ("Invoice.ExternalIdentifier", data["Invoice"]["ExternalIdentifier"]),
        ]
    )
    return json.dumps(body).encode(), {"MyFatoorah-Signature": signature}


def myfatoorah_v2_refund(*, invoice_id: int, amount: str) -> tuple[bytes, dict[str, str]]:
    data = {
        "Refund": {
            "Id": 2840,
            "Reference": "2025000019",
            "Status": "REFUNDED",
            "InvoiceId": str(invoice_id),
            "CreationDate": "2025-03-05T10:00:00Z",
            "RefundDate": "2025-03-05T10:05:00Z",
            "RRN": "506410001316",
            "Comment": None,
            "VendorComment": "Student asked for a refund",
        },
        "Amount": {"BaseCurrency": "EGP", "ValueInBaseCurrency": amount},
        "ReferencedInvoice": {"Id": str(invoice_id), "PaymentId": "0707258"},
    }
    body = {
        "Event": {
            "Code": 2,
            "Name": "REFUND_STATUS_CHANGED",
            "CountryIsoCode": "EGY",
            "CreationDate": "2025-03-05T10:05:01Z",
            "Reference": f"WH-{uuid.uuid4().hex[:12].upper()}",
        },
        "Data": data,
    }
    signature = myfatoorah_signature(
        [
            ("Refund.Id", data["Refund"]["Id"]),
            ("Refund.Status", data["Refund"]["Status"]),
            ("Amount.ValueInBaseCurrency", data["Amount"]["ValueInBaseCurrency"]),
            ("ReferencedInvoice.Id", data["ReferencedInvoice"]["Id"]),
        ]
    )
    return json.dumps(body).encode(), {"MyFatoorah-Signature": signature}


def myfatoorah_v1(
    event_type: int, event: str, data: dict[str, Any]
) -> tuple[bytes, dict[str, str]]:
    """v1: the Data properties (no nested objects), sorted alphabetically."""
    scalars = sorted(
        ((k, v) for k, v in data.items() if not isinstance(v, dict)), key=lambda kv: kv[0].lower()
    )
    body = {
        "EventType": event_type,
        "Event": event,
        "DateTime": "04032021211615",
        "CountryIsoCode": "EGY",
        "Data": data,
    }
    return json.dumps(body).encode(), {"MyFatoorah-Signature": myfatoorah_signature(scalars)}


PAYMOB_HMAC_FIELDS = (
    "amount_cents",
    "created_at",
    "currency",
    "error_occured",
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


def _paymob_value(obj: dict[str, Any], name: str) -> str:
    value: Any = obj
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def paymob_hmac(obj: dict[str, Any], secret: str = PAYMOB_HMAC) -> str:
    """HMAC-SHA512 (hex) over the 20 documented values, in order, no separator."""
    message = "".join(_paymob_value(obj, name) for name in PAYMOB_HMAC_FIELDS)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha512).hexdigest()


def paymob_transaction(
    *,
    order_id: int,
    merchant_order_id: str,
    amount_cents: int,
    currency: str = "EGP",
    success: bool = True,
    pending: bool = False,
    is_refunded: bool = False,
    refunded_amount_cents: int = 0,
    transaction_id: int = 192036465,
) -> dict[str, Any]:
    """The ``obj`` of a transaction-processed callback (Paymob's documented sample)."""
    return {
        "id": transaction_id,
        "pending": pending,
        "amount_cents": amount_cents,
        "success": success,
        "is_auth": False,
        "is_capture": False,
        "is_standalone_payment": True,
        "is_voided": False,
        "is_refunded": is_refunded,
        "is_3d_secure": True,
        "integration_id": int(PAYMOB_INTEGRATION),
        "profile_id": 164295,
        "has_parent_transaction": False,
        "order": {
            "id": order_id,
            "created_at": "2024-06-13T11:32:09.628623",
            "delivery_needed": False,
            "merchant": {"id": 302852, "company_name": "LMS"},
            "amount_cents": amount_cents,
            "currency": currency,
            "merchant_order_id": merchant_order_id,
            "paid_amount_cents": amount_cents if success else 0,
            "items": [],
        },
        "created_at": "2024-06-13T11:33:44.592345",
        "transaction_processed_callback_responses": [],
        "currency": currency,
        "source_data": {"pan": "2346", "type": "card", "tenure": None, "sub_type": "MasterCard"},
        "api_source": "OTHER",
        "terminal_id": None,
        "merchant_commission": 0,
        "is_void": False,
        "is_refund": False,
        "data": {"message": "Approved" if success else "Do not honour"},
        "is_hidden": False,
        "error_occured": False,
        "is_live": False,
        "refunded_amount_cents": refunded_amount_cents,
        "source_id": -1,
        "is_captured": False,
        "captured_amount": 0,
        "owner": 302852,
        "parent_transaction": None,
    }


def paymob_callback(obj: dict[str, Any], secret: str = PAYMOB_HMAC) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"type": "TRANSACTION", "obj": obj, "issuer_bank": None}).encode()
    return body, {"hmac": paymob_hmac(obj, secret)}


def paymob_redirect_query(obj: dict[str, Any], secret: str = PAYMOB_HMAC) -> str:
    """The GET redirect: the same fields flat in the query, the order id as ``order``."""
    flat = {
        name if name != "order.id" else "order": _paymob_value(obj, name)
        for name in PAYMOB_HMAC_FIELDS
    }
    flat["merchant_order_id"] = obj["order"]["merchant_order_id"]
    flat["data.message"] = obj["data"]["message"]
    flat["hmac"] = paymob_hmac(obj, secret)
    return urlencode(flat)
