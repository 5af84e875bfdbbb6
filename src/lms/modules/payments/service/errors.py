"""The refusals of the payments service, each with its stable problem code."""

from __future__ import annotations

from lms.core.errors import Conflict, NotFound, RuleViolation


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    detail = "No payment with this id."


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"
    detail = "No subscription with this id."


class CourseIsFree(RuleViolation):
    code = "course_is_free"
    detail = "This course is free: enroll directly, there is nothing to pay."


class AlreadyEnrolled(Conflict):
    code = "already_enrolled"
    detail = "You are already enrolled in this course."


class AlreadyPaid(Conflict):
    code = "already_paid"
    detail = "You have already paid for this course: enroll directly."


class CoveredBySubscription(Conflict):
    code = "covered_by_subscription"
    detail = "Your active subscription covers this course: enroll directly."


class UnknownPlan(RuleViolation):
    code = "unknown_plan"


class SubscriptionExists(Conflict):
    code = "subscription_exists"
    detail = "You already have a subscription; cancel it before starting another."


class SubscriptionNotCancelable(Conflict):
    code = "subscription_not_cancelable"


class NotRefundable(Conflict):
    code = "not_refundable"


class RefundTooLarge(RuleViolation):
    code = "refund_too_large"


class CourseHasPayments(Conflict):
    code = "course_has_payments"
    detail = "Students have paid for this course; unpublish it instead of deleting it."
