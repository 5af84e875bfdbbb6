"""Provider building blocks checked against the providers' own documented examples."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import stripe

from lms.core.config import get_settings
from lms.modules.payments.providers.base import (
    EventKind,
    InboundWebhook,
    InvalidSignature,
    from_minor_units,
    to_minor_units,
)
from lms.modules.payments.providers.myfatoorah import canonical_v1, canonical_v2
from lms.modules.payments.providers.stripe import StripeProvider
from tests.payments import fakes
from tests.payments.conftest import configured


def test_minor_units_follow_each_currencys_exponent() -> None:
    assert to_minor_units(Decimal("1500.00"), "EGP") == 150000
    assert to_minor_units(Decimal("1500"), "JPY") == 1500
    assert to_minor_units(Decimal("1.250"), "KWD") == 1250
    assert from_minor_units(150050, "egp") == Decimal("1500.50")
    assert str(from_minor_units(1250, "KWD")) == "1.250"
    with pytest.raises(ValueError):
        to_minor_units(Decimal("10.005"), "EGP")


def test_myfatoorah_v1_string_is_sorted_with_null_as_empty() -> None:
    # docs.myfatoorah.com/docs/webhook-signature: "CreatedDate=04032021211555,
    # CustomerEmail=,CustomerMobile=96512345678"
    data = {"CustomerMobile": "96512345678", "CreatedDate": "04032021211555", "CustomerEmail": None}
    assert canonical_v1(data) == (
        "CreatedDate=04032021211555,CustomerEmail=,CustomerMobile=96512345678"
    )
    nested = {"RefundId": 2840, "GatewayReference": {"PaymentId": "1"}, "amount": "40"}
    assert canonical_v1(nested) == "amount=40,RefundId=2840"


def test_myfatoorah_v2_string_keeps_the_documented_field_order() -> None:
    data = {
        "Invoice": {"Id": "6389662", "Status": "PAID", "ExternalIdentifier": None},
        "Transaction": {"Status": "SUCCESS", "PaymentId": "07076"},
    }
    assert canonical_v2("PAYMENT_STATUS_CHANGED", data) == (
        "Invoice.Id=6389662,Invoice.Status=PAID,Transaction.Status=SUCCESS,"
        "Transaction.PaymentId=07076,Invoice.ExternalIdentifier="
    )


def test_stripe_accepts_the_sdks_own_header_and_any_matching_v1() -> None:
    provider = StripeProvider(configured(get_settings()))
    event = fakes.stripe_event("customer.created", {"id": "cus_1"})
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, fakes.STRIPE_WEBHOOK_SECRET)
    parsed = provider.verify_and_parse(
        InboundWebhook(body.encode(), {"stripe-signature": header}, {})
    )
    assert parsed.event_id == event["id"] and parsed.kind is EventKind.IGNORED

    ours = fakes.stripe_signature(body)
    rotated = f"{ours.split(',')[0]},v1={'0' * 64},{ours.split(',')[1]}"
    provider.verify_and_parse(InboundWebhook(body.encode(), {"stripe-signature": rotated}, {}))
    with pytest.raises(InvalidSignature):
        provider.verify_and_parse(
            InboundWebhook(body.encode(), {"stripe-signature": "t=1,v0=abc"}, {})
        )
