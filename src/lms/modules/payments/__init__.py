"""Payments: paying for courses and plans, refunds, revenue, and the providers' webhooks."""

from lms.modules.payments.service import refuse_deleting_paid_course

__all__ = ["refuse_deleting_paid_course"]
