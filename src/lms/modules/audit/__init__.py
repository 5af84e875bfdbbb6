"""The audit log and "act as": an append-only record of what staff, admins (acting as
someone or not) and the system did, written by subscribing to the other modules'
events in the transaction of the change; short-lived, audited "act as" tokens for
support.

It sits above every module whose events it records and nothing imports it. Public
surface: its subscribers, for ``lms/wiring.py``; ``acting_request_recorder`` (the
entry of each request made with an "act as" token) and ``routers`` for the
application; ``PERSONAL_DATA`` (with ``export_personal_data`` and
``erase_personal_data``) for the privacy registry; ``remove_entries_before`` (the
retention job's work)."""

from lms.modules.audit.act_as import acting_request_recorder
from lms.modules.audit.privacy import PERSONAL_DATA
from lms.modules.audit.router import routers
from lms.modules.audit.service import (
    RETENTION_JOB,
    apply_retention,
    erase_personal_data,
    export_personal_data,
    record_assignment_graded,
    record_certificate_issued,
    record_certificate_revoked,
    record_course_deleted,
    record_course_published,
    record_course_unpublished,
    record_grade_overridden,
    record_import_finished,
    record_import_started,
    record_mfa_disabled,
    record_outbox_retry,
    record_ownership_transferred,
    record_quiz_graded,
    record_refund,
    record_staff_changed,
    record_staff_enrollment,
    record_user_activated,
    record_user_deactivated,
    record_user_erased,
    record_user_role_changed,
    record_webhook_endpoint_changed,
    remove_entries_before,
)

__all__ = [
    "PERSONAL_DATA",
    "RETENTION_JOB",
    "acting_request_recorder",
    "apply_retention",
    "erase_personal_data",
    "export_personal_data",
    "record_assignment_graded",
    "record_certificate_issued",
    "record_certificate_revoked",
    "record_course_deleted",
    "record_course_published",
    "record_course_unpublished",
    "record_grade_overridden",
    "record_import_finished",
    "record_import_started",
    "record_mfa_disabled",
    "record_outbox_retry",
    "record_ownership_transferred",
    "record_quiz_graded",
    "record_refund",
    "record_staff_changed",
    "record_staff_enrollment",
    "record_user_activated",
    "record_user_deactivated",
    "record_user_erased",
    "record_user_role_changed",
    "record_webhook_endpoint_changed",
    "remove_entries_before",
    "routers",
]
