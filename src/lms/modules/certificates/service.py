"""Certificates: issued once per completed enrollment, verifiable by number in public,
revocable by the course's instructor or an admin.

An enrollment that completes (``enrollments.EnrollmentCompleted``) queues a
``certificates.issue`` outbox job (deduplicated per enrollment); the job, or an explicit
generate request, creates the row with a unique number, renders the PDF in a worker
thread, stores it through ``lms.core.storage`` and queues the certificate-issued email."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events, i18n, jobs
from lms.core.config import Settings, get_settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from lms.core.metrics import CERTIFICATE_RENDERS
from lms.core.storage import Storage, get_storage
from lms.modules import courses, emails, enrollments, users
from lms.modules.certificates import repository
from lms.modules.certificates.events import CertificateIssued, CertificateRevoked
from lms.modules.certificates.models import Certificate
from lms.modules.certificates.rendering import CertificateDocument, render_certificate_pdf
from lms.modules.certificates.schemas import CertificateRead, CertificateVerification

ISSUE_TASK = "certificates.issue"
NUMBER_ATTEMPTS = 5


class CertificateNotFound(NotFound):
    code = "certificate_not_found"
    detail = "No certificate with this id or number."


class CertificateExists(Conflict):
    code = "certificate_exists"
    detail = "This enrollment already has a certificate."


class EnrollmentNotCompleted(RuleViolation):
    code = "enrollment_not_completed"
    detail = "A certificate is issued only for a completed enrollment."


class AlreadyRevoked(Conflict):
    code = "certificate_revoked"
    detail = "This certificate is already revoked."


def new_certificate_number() -> str:
    """``CERT-YYYYMMDD-XXXXXXXX``: the issue date and 8 random upper-case hex digits."""
    return f"CERT-{utcnow():%Y%m%d}-{secrets.token_hex(4).upper()}"


def verification_url(settings: Settings, number: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/api/v1/certificates/verify/{number}"


def download_url(settings: Settings, certificate_id: uuid.UUID) -> str:
    return f"{settings.public_base_url.rstrip('/')}/api/v1/certificates/{certificate_id}/download"


# Issuing


async def issue_certificate(
    session: AsyncSession, *, settings: Settings, enrollment_id: uuid.UUID
) -> Certificate:
    """Issue the certificate of a completed enrollment (409 if it has one already)."""
    enrollment = await enrollments.get_enrollment_or_raise(session, enrollment_id)
    if enrollment.status != "completed" or enrollment.completed_at is None:
        raise EnrollmentNotCompleted()
    if await repository.get_by_enrollment(session, enrollment_id) is not None:
        raise CertificateExists()
    course = await courses.get_course_or_raise(session, enrollment.course_id)
    people = await users.get_user_summaries(session, [enrollment.student_id, course.instructor_id])
    student, instructor = people[enrollment.student_id], people.get(course.instructor_id)
    storage = get_storage(settings)

    certificate = await _insert_with_unique_number(
        session,
        enrollment_id=enrollment.id,
        student_id=enrollment.student_id,
        course_id=course.id,
        completion_date=enrollment.completed_at,
        storage_provider=settings.storage_backend,
    )
    document = CertificateDocument(
        certificate_number=certificate.certificate_number,
        student_name=student.full_name,
        course_title=course.title,
        instructor_name=instructor.full_name if instructor else "",
        # The day it was completed where the student lives, in the student's language.
        completion_date=enrollment.completed_at.astimezone(i18n.zone(student.time_zone)).date(),
        verification_url=verification_url(settings, certificate.certificate_number),
        locale=i18n.resolve(student.locale),
    )
    pdf = await anyio.to_thread.run_sync(render_certificate_pdf, document)
    CERTIFICATE_RENDERS.labels("rendered").inc()
    key = f"certificates/{certificate.issued_at:%Y/%m}/{certificate.id}.pdf"
    await storage.put_bytes(key, pdf, content_type="application/pdf")
    certificate.pdf_path = key
    await enrollments.mark_certificate_issued(
        session, enrollment_id=enrollment.id, issued_at=certificate.issued_at
    )
    await emails.queue_email(
        session,
        to=student.email,
        template="certificate_issued",
        context={
            "full_name": student.full_name,
            "course_title": course.title,
            "certificate_number": certificate.certificate_number,
            "download_url": download_url(settings, certificate.id),
            "verify_url": verification_url(settings, certificate.certificate_number),
        },
        dedupe_key=f"certificate_issued:{certificate.id}",
    )
    await session.flush()
    await events.publish(
        session,
        CertificateIssued(
            certificate_id=certificate.id,
            certificate_number=certificate.certificate_number,
            enrollment_id=certificate.enrollment_id,
            student_id=certificate.student_id,
            course_id=certificate.course_id,
            issued_at=certificate.issued_at,
        ),
    )
    return certificate


async def _insert_with_unique_number(session: AsyncSession, **fields: Any) -> Certificate:
    """Insert with a fresh random number, retrying on the rare collision. A duplicate
    enrollment (two issuers racing) is a ``CertificateExists``."""
    for _ in range(NUMBER_ATTEMPTS):
        certificate = Certificate(certificate_number=new_certificate_number(), **fields)
        try:
            async with session.begin_nested():
                session.add(certificate)
                await session.flush()
            return certificate
        except IntegrityError as exc:
            if await repository.get_by_enrollment(session, fields["enrollment_id"]):
                raise CertificateExists() from exc
    raise Conflict("Could not allocate a certificate number; retry.", code="number_exhausted")


async def queue_certificate(session: AsyncSession, event: enrollments.EnrollmentCompleted) -> None:
    """A completed enrollment earns its certificate: the issue job is queued in the
    transaction of the completion (once per enrollment, by its dedupe key) and issues it
    after the commit (subscribed in ``lms/wiring.py``)."""
    await jobs.enqueue(
        session,
        ISSUE_TASK,
        {"enrollment_id": str(event.enrollment_id)},
        dedupe_key=f"certificate:{event.enrollment_id}",
    )


@jobs.job(ISSUE_TASK)
async def _issue_job(session: AsyncSession, payload: dict[str, Any]) -> None:
    try:
        await issue_certificate(
            session, settings=get_settings(), enrollment_id=uuid.UUID(payload["enrollment_id"])
        )
    except CertificateExists:
        return  # issued on demand meanwhile: nothing left to do


# Reading and access


@dataclass(frozen=True)
class PdfLocation:
    storage: Storage
    key: str
    filename: str


async def _course_manager(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> bool:
    if principal.is_admin:
        return True
    course = await courses.get_course_or_raise(session, course_id)
    return courses.CoursePolicy.edit(await courses.course_access(session, principal, course))


async def get_visible_certificate(
    session: AsyncSession, *, principal: Principal, certificate_id: uuid.UUID
) -> Certificate:
    """The certificate for its student, the course's instructor or an admin; 404 for
    anyone else (its existence is not revealed)."""
    certificate = await repository.get(session, certificate_id)
    if certificate is None or (
        certificate.student_id != principal.id
        and not await _course_manager(session, principal, certificate.course_id)
    ):
        raise CertificateNotFound()
    return certificate


async def to_read(
    session: AsyncSession, *, settings: Settings, certificates: list[Certificate]
) -> list[CertificateRead]:
    course_map = await courses.get_courses(session, list({c.course_id for c in certificates}))
    people = await users.get_user_summaries(session, list({c.student_id for c in certificates}))
    reads = []
    for certificate in certificates:
        read = CertificateRead.model_validate(certificate)
        course = course_map.get(certificate.course_id)
        student = people.get(certificate.student_id)
        read.course_title = course.title if course else None
        read.student_name = student.full_name if student and not student.erased else None
        read.download_url = download_url(settings, certificate.id)
        read.verification_url = verification_url(settings, certificate.certificate_number)
        reads.append(read)
    return reads


async def list_my_certificates(
    session: AsyncSession, *, principal: Principal, offset: int, limit: int
) -> tuple[list[Certificate], int]:
    return await repository.page_for_student(session, principal.id, offset=offset, limit=limit)


async def pdf_of(
    session: AsyncSession, *, settings: Settings, principal: Principal, certificate_id: uuid.UUID
) -> PdfLocation:
    certificate = await get_visible_certificate(
        session, principal=principal, certificate_id=certificate_id
    )
    if certificate.pdf_path is None:
        raise CertificateNotFound("The certificate's PDF is not available.")
    return PdfLocation(
        storage=get_storage(settings, certificate.storage_provider),
        key=certificate.pdf_path,
        filename=f"{certificate.certificate_number}.pdf",
    )


async def verify(session: AsyncSession, *, number: str) -> CertificateVerification:
    """Public verification: the student's name and the course, nothing more (the name
    is withheld once the student's personal data was erased)."""
    certificate = await repository.get_by_number(session, number.strip().upper())
    if certificate is None:
        raise CertificateNotFound()
    course = await courses.get_course_or_raise(session, certificate.course_id)
    student = await users.get_user_summary_or_raise(session, certificate.student_id)
    return CertificateVerification(
        valid=not certificate.is_revoked,
        certificate_number=certificate.certificate_number,
        student_name=None if student.erased else student.full_name,
        name_withheld=student.erased,
        course_title=course.title,
        issued_at=certificate.issued_at,
        completion_date=certificate.completion_date,
        is_revoked=certificate.is_revoked,
        revoked_at=certificate.revoked_at,
    )


async def revoke(
    session: AsyncSession, *, principal: Principal, certificate_id: uuid.UUID, reason: str
) -> Certificate:
    """The course's instructor or an admin revokes; the student may not (403)."""
    certificate = await get_visible_certificate(
        session, principal=principal, certificate_id=certificate_id
    )
    if not await _course_manager(session, principal, certificate.course_id):
        raise Forbidden(
            "Only the course's instructor or an admin may revoke a certificate.",
            code="not_course_manager",
        )
    if certificate.is_revoked:
        raise AlreadyRevoked()
    certificate.is_revoked = True
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason
    certificate.revoked_by_id = principal.id
    await session.flush()
    await events.publish(
        session,
        CertificateRevoked(
            certificate_id=certificate.id,
            certificate_number=certificate.certificate_number,
            student_id=certificate.student_id,
            course_id=certificate.course_id,
            revoked_at=certificate.revoked_at,
            reason=reason,
        ),
    )
    return certificate


async def generate_for(
    session: AsyncSession, *, settings: Settings, principal: Principal, enrollment_id: uuid.UUID
) -> Certificate:
    """On-demand issue by the enrollment's student, the course's instructor or an admin."""
    enrollment = await enrollments.get_enrollment_or_raise(session, enrollment_id)
    if enrollment.student_id != principal.id and not await _course_manager(
        session, principal, enrollment.course_id
    ):
        raise enrollments.EnrollmentNotFound()
    return await issue_certificate(session, settings=settings, enrollment_id=enrollment_id)
