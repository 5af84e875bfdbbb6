"""Payments: paying for courses and plans, refunds, revenue, and the providers' webhooks.

Public surface: the events it publishes (``PaymentSucceeded``, ``PaymentRefunded``,
``SubscriptionUpdated``);
its answer to the enrollments module's ``PaidAccessAsked`` (``has_paid_for_course``)
and its guard on the courses module's ``CourseDeleting``
(``refuse_deleting_paid_course``), for ``lms/wiring.py``; ``routers`` for the
application.

``PERSONAL_DATA``: how it exports and erases what it holds about a person
(``lms.core.privacy``; registered in ``lms/wiring.py``).
"""

from lms.modules.payments.events import PaymentRefunded, PaymentSucceeded, SubscriptionUpdated
from lms.modules.payments.privacy import PERSONAL_DATA
from lms.modules.payments.router import routers
from lms.modules.payments.service import has_paid_for_course, refuse_deleting_paid_course

__all__ = [
    "PERSONAL_DATA",
    "PaymentRefunded",
    "PaymentSucceeded",
    "SubscriptionUpdated",
    "has_paid_for_course",
    "refuse_deleting_paid_course",
    "routers",
]
