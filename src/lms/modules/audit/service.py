"""The audit log: entries written by the subscribers to other modules' events (in the
transaction of the change), read by admins and by a course's editors; "act as" sessions
and the one entry per request made with them; retention; a person's entries for export
and the erasure of their client addresses.

Who an entry names comes from the request's actor context (``lms.core.actor``): the
signed-in person, or with an "act as" token the admin (``actor_id``) and the account
acted as (``acting_for_id``). Outside a request (a job, the CLI) an entry is the
system's: no actor, context ``system``.

What a change holds: ids, roles, states, scores and amounts. Never a secret, a hash, a
token, an MFA secret, an email address or a name, so erasing a person rewrites no entry
but its client address."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.actor import RequestActor, current_actor
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import RuleViolation
from lms.core.events import Event
from lms.core.pagination import decode_cursor, encode_cursor
from lms.core.session import session_settings
from lms.modules import (
    admin,
    assignments,
    certificates,
    courses,
    enrollments,
    grades,
    imports,
    payments,
    quizzes,
    users,
    webhooks,
)
from lms.modules.audit import repository
from lms.modules.audit.schemas import AuditEntryRead, AuditFilters

log = logging.getLogger("lms.audit")

RETENTION_JOB = "audit.apply_retention"


# --- writing ---------------------------------------------------------------------------


def who(actor: RequestActor | None) -> dict[str, Any]:
    if actor is None:
        return {
            "actor_id": None,
            "acting_for_id": None,
            "context": "system",
            "client_address": None,
            "request_id": None,
        }
    return {
        "actor_id": actor.actor_id,
        "acting_for_id": actor.acting_for_id,
        "context": actor.context,
        "client_address": actor.client_address,
        "request_id": actor.request_id,
    }


def _change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any] | None:
    if before is None and after is None:
        return None
    return {"before": before, "after": after}


async def record(
    session: AsyncSession,
    *,
    action: str,
    target_type: str,
    target_id: uuid.UUID | None,
    course_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one entry in the session's transaction, naming the current actor."""
    await repository.append(
        session,
        {
            "occurred_at": utcnow(),
            **who(current_actor()),
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "course_id": course_id,
            "change": _change(before, after),
        },
    )


def _plain(event: Event, *fields: str) -> dict[str, Any]:
    """Some of the event's fields, as JSON (ids and decimals as strings)."""
    payload = event.payload()
    return {name: payload[name] for name in fields}


# --- subscribers (lms/wiring.py) -------------------------------------------------------


async def record_user_role_changed(session: AsyncSession, event: users.UserRoleChanged) -> None:
    await record(
        session,
        action="user.role_changed",
        target_type="user",
        target_id=event.user_id,
        before={"role": event.role_before},
        after={"role": event.role_after},
    )


async def record_user_deactivated(session: AsyncSession, event: users.UserDeactivated) -> None:
    await record(
        session,
        action="user.deactivated",
        target_type="user",
        target_id=event.user_id,
        before={"is_active": True},
        after={"is_active": False},
    )


async def record_user_activated(session: AsyncSession, event: users.UserActivated) -> None:
    await record(
        session,
        action="user.activated",
        target_type="user",
        target_id=event.user_id,
        before={"is_active": False},
        after={"is_active": True},
    )


async def record_mfa_disabled(session: AsyncSession, event: users.UserMfaDisabled) -> None:
    # An admin's reason is written for the record, like an act-as reason: kept as
    # written (the request asks for no personal data in it).
    after: dict[str, Any] = {"mfa_enabled": False}
    if event.reason is not None:
        after["reason"] = event.reason
    await record(
        session,
        action="user.mfa_disabled",
        target_type="user",
        target_id=event.user_id,
        before={"mfa_enabled": True, "mfa_method": event.method_before},
        after=after,
    )


async def record_course_published(session: AsyncSession, event: courses.CoursePublished) -> None:
    await record(
        session,
        action="course.published",
        target_type="course",
        target_id=event.course_id,
        course_id=event.course_id,
        before={"is_published": False},
        after={"is_published": True, **_plain(event, "price", "currency")},
    )


async def record_course_unpublished(
    session: AsyncSession, event: courses.CourseUnpublished
) -> None:
    await record(
        session,
        action="course.unpublished",
        target_type="course",
        target_id=event.course_id,
        course_id=event.course_id,
        before={"is_published": True},
        after={"is_published": False},
    )


async def record_course_deleted(session: AsyncSession, event: courses.CourseDeleting) -> None:
    """Subscribed after the guards that may refuse the deletion: a refused deletion
    rolls this entry back with it."""
    await record(
        session,
        action="course.deleted",
        target_type="course",
        target_id=event.course_id,
        course_id=event.course_id,
    )


async def record_ownership_transferred(
    session: AsyncSession, event: courses.CourseOwnershipTransferred
) -> None:
    await record(
        session,
        action="course.ownership_transferred",
        target_type="course",
        target_id=event.course_id,
        course_id=event.course_id,
        before={"owner_id": str(event.previous_owner_id)},
        after={"owner_id": str(event.new_owner_id)},
    )


async def record_staff_changed(session: AsyncSession, event: courses.CourseStaffChanged) -> None:
    if event.role_before is None:
        action = "course.staff_added"
    elif event.role_after is None:
        action = "course.staff_removed"
    else:
        action = "course.staff_changed"
    payload = event.payload()
    await record(
        session,
        action=action,
        target_type="user",
        target_id=event.user_id,
        course_id=event.course_id,
        before=None
        if event.role_before is None
        else {"role": event.role_before, "cohort_ids": payload["cohort_ids_before"]},
        after=None
        if event.role_after is None
        else {"role": event.role_after, "cohort_ids": payload["cohort_ids_after"]},
    )


async def record_staff_enrollment(
    session: AsyncSession, event: enrollments.StaffEnrollmentChanged
) -> None:
    payload = event.payload()
    await record(
        session,
        action=f"enrollment.{event.change}_by_staff",
        target_type="enrollment",
        target_id=event.enrollment_id,
        course_id=event.course_id,
        before=None
        if event.status_before is None
        else {"status": event.status_before, "cohort_id": payload["cohort_before"]},
        after={
            "status": event.status_after,
            "cohort_id": payload["cohort_after"],
            "student_id": payload["student_id"],
        },
    )


async def record_quiz_graded(session: AsyncSession, event: quizzes.QuizAttemptGraded) -> None:
    """A quiz graded by staff, by an admin acting as someone, or by the system (an
    attempt closed at its deadline); a student's own submission, marked at once, is the
    student's work and not audited."""
    actor = current_actor()
    if actor is not None and actor.acting_for_id is None and actor.actor_id == event.student_id:
        return
    await record(
        session,
        action="quiz.attempt_graded",
        target_type="quiz_attempt",
        target_id=event.attempt_id,
        course_id=event.course_id,
        # A regrade's "before" is the percentage the attempt had (None the first time).
        before={"percentage": _plain(event, "previous_percentage")["previous_percentage"]},
        after=_plain(event, "quiz_id", "student_id", "score", "max_score", "percentage", "passed"),
    )


async def record_assignment_graded(
    session: AsyncSession, event: assignments.AssignmentGraded
) -> None:
    await record(
        session,
        action="assignment.graded",
        target_type="submission",
        target_id=event.submission_id,
        course_id=event.course_id,
        # A regrade's "before" is the score the work had (None the first time).
        before={"score": _plain(event, "previous_score")["previous_score"]},
        after=_plain(event, "lesson_id", "student_id", "score", "passed", "graded_by_id"),
    )


async def record_refund(session: AsyncSession, event: payments.PaymentRefunded) -> None:
    await record(
        session,
        action="payment.refunded",
        target_type="payment",
        target_id=event.payment_id,
        course_id=event.course_id,
        before={"status": "succeeded"},
        after={
            "status": "refunded",
            **_plain(event, "user_id", "amount", "currency", "revokes_enrollment"),
        },
    )


async def record_grade_overridden(session: AsyncSession, event: grades.GradeOverridden) -> None:
    # The staff's reason is free text that may name the student: it stays in the
    # gradebook's history (whose eraser forgets it), not here.
    await record(
        session,
        action="grade.override_cleared" if event.cleared else "grade.overridden",
        target_type="enrollment",
        target_id=event.enrollment_id,
        course_id=event.course_id,
        before={"grade": _plain(event, "before")["before"]},
        after=_plain(event, "after", "student_id"),
    )


async def record_user_erased(session: AsyncSession, event: users.UserErased) -> None:
    await record(session, action="user.erased", target_type="user", target_id=event.user_id)


async def record_certificate_issued(
    session: AsyncSession, event: certificates.CertificateIssued
) -> None:
    await record(
        session,
        action="certificate.issued",
        target_type="certificate",
        target_id=event.certificate_id,
        course_id=event.course_id,
        after=_plain(event, "certificate_number", "enrollment_id", "student_id"),
    )


async def record_certificate_revoked(
    session: AsyncSession, event: certificates.CertificateRevoked
) -> None:
    await record(
        session,
        action="certificate.revoked",
        target_type="certificate",
        target_id=event.certificate_id,
        course_id=event.course_id,
        before={"revoked": False},
        after={"revoked": True, **_plain(event, "student_id", "reason")},
    )


async def record_import_started(session: AsyncSession, event: imports.ImportStarted) -> None:
    await record(
        session,
        action="import.started",
        target_type="import_job",
        target_id=event.job_id,
        course_id=event.course_id,
        after={"kind": event.kind},
    )


async def record_import_finished(session: AsyncSession, event: imports.ImportFinished) -> None:
    await record(
        session,
        action="import.finished",
        target_type="import_job",
        target_id=event.job_id,
        course_id=event.course_id,
        after=_plain(event, "kind", "state", "total", "created", "updated", "unchanged", "failed"),
    )


async def record_webhook_endpoint_changed(
    session: AsyncSession, event: webhooks.WebhookEndpointChanged
) -> None:
    await record(
        session,
        action=f"webhook_endpoint.{event.change}",
        target_type="webhook_endpoint",
        target_id=event.endpoint_id,
        before=event.before,
        after=event.after,
    )


async def record_outbox_retry(session: AsyncSession, event: admin.OutboxMessageRetried) -> None:
    await record(
        session,
        action="outbox.message_retried",
        target_type="outbox_message",
        target_id=event.message_id,
        before={"status": "failed", "attempts": event.attempts_before},
        after={"status": "pending", "task": event.task},
    )


# --- reading ---------------------------------------------------------------------------


class InvalidWindow(RuleViolation):
    code = "invalid_window"


def _read(entry: Any) -> AuditEntryRead:
    return AuditEntryRead.model_validate(entry)


async def list_entries(
    session: AsyncSession,
    *,
    filters: AuditFilters,
    offset: int,
    limit: int,
    cursor: str | None,
) -> tuple[list[AuditEntryRead], int, str | None]:
    """Entries newest first (after ``cursor`` when given), their total under the
    filters, and the cursor after this page (None on the last one)."""
    if (
        filters.occurred_from is not None
        and filters.occurred_to is not None
        and filters.occurred_from > filters.occurred_to
    ):
        raise InvalidWindow("`from` must not be after `to`.")
    entries, total = await repository.list_entries(
        session,
        filters,
        offset=offset,
        limit=limit,
        after=decode_cursor(cursor) if cursor else None,
    )
    following = (
        encode_cursor(entries[-1].occurred_at, entries[-1].id) if len(entries) == limit else None
    )
    return [_read(entry) for entry in entries], total, following


async def list_course_entries(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    filters: AuditFilters,
    offset: int,
    limit: int,
    cursor: str | None,
) -> tuple[list[AuditEntryRead], int, str | None]:
    """A course's entries, for its owner, co-instructors and admins (404 when the
    caller cannot see the course, 403 for assistants and anyone else)."""
    await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=courses.CoursePolicy.edit
    )
    scoped = filters.model_copy(update={"course_id": course_id})
    return await list_entries(session, filters=scoped, offset=offset, limit=limit, cursor=cursor)


# --- retention and personal data -------------------------------------------------------


@jobs.periodic(RETENTION_JOB, every_seconds=86_400)
async def apply_retention(session: AsyncSession) -> None:
    """Remove entries older than ``LMS_AUDIT_RETENTION_DAYS`` (nothing when unset), and
    record that it did. The job runner commits."""
    days = session_settings(session).audit_retention_days
    if days is None:
        return
    cutoff = utcnow() - timedelta(days=days)
    removed = await remove_entries_before(session, cutoff)
    log.info("audit retention applied", extra={"removed": removed, "days": days})


async def remove_entries_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete the entries older than ``cutoff`` (through the maintenance bypass) and
    append ``audit.retention_applied``; how many were deleted."""
    removed = await repository.delete_older_than(session, cutoff)
    await record(
        session,
        action="audit.retention_applied",
        target_type="audit_log",
        target_id=None,
        after={"removed": removed, "cutoff": cutoff.isoformat()},
    )
    return removed


async def export_personal_data(
    session: AsyncSession, account_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The entries where the account is the actor, the account acted as, or the target,
    oldest first, as JSON values."""
    entries = await repository.entries_about(session, account_id)
    return [_read(entry).model_dump(mode="json") for entry in entries]


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Forget the client addresses of the entries the account made or was acted as in;
    the entries stay (they hold ids, never names or emails)."""
    await repository.forget_client_addresses(session, account_id)
