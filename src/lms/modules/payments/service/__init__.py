"""Payments: taking money for courses and plans, and keeping our records equal to the
providers' through their signed webhooks.

Rules that hold whatever the provider:
- The amount and currency always come from the course, never from the client.
- A webhook is verified before anything is read or stored, recorded once per provider
  event id in the same transaction as its effects, and a replay changes nothing.
- Payment states only move forward (pending → failed → succeeded → refunded; a failed
  attempt may still succeed later), so events arriving out of order are harmless.
- A succeeded payment for a course publishes ``PaymentSucceeded`` (the enrollments
  module enrolls the student and sends the enrollment email); a full refund publishes
  ``PaymentRefunded``, which drops that enrollment when ``LMS_REFUND_REVOKES_ENROLLMENT``
  says so. The flow is wired in ``lms/wiring.py``.

One file per use case: ``checkout`` (paying for a course), ``subscriptions``,
``refunds``, ``webhooks`` (the providers' events), ``revenue`` (admin reports),
``reading`` (payments and subscriptions as the API shows them), ``access`` (what
payments answer other modules, subscribed in ``lms/wiring.py``) and ``errors``.
"""

from __future__ import annotations

from lms.modules.payments.service.access import has_paid_for_course, refuse_deleting_paid_course
from lms.modules.payments.service.checkout import return_url_for, start_course_payment
from lms.modules.payments.service.reading import (
    get_payment_for,
    list_my_payments,
    list_my_subscriptions,
    payment_read,
    subscription_read,
)
from lms.modules.payments.service.refunds import refund_payment
from lms.modules.payments.service.revenue import revenue_summary
from lms.modules.payments.service.subscriptions import cancel_subscription, start_subscription
from lms.modules.payments.service.webhooks import handle_webhook

__all__ = [
    "cancel_subscription",
    "get_payment_for",
    "handle_webhook",
    "has_paid_for_course",
    "list_my_payments",
    "list_my_subscriptions",
    "payment_read",
    "refund_payment",
    "refuse_deleting_paid_course",
    "return_url_for",
    "revenue_summary",
    "start_course_payment",
    "start_subscription",
    "subscription_read",
]
