"""What the certificates module tells other modules, published in the transaction of
the change (see ``lms.core.events``; the modules that react are listed in
``lms/wiring.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from lms.core.events import Event


@dataclass(frozen=True, kw_only=True, slots=True)
class CertificateIssued(Event):
    """The certificate of a completed enrollment was issued (its PDF is stored)."""

    name: ClassVar[str] = "certificate.issued.v1"
    certificate_id: uuid.UUID
    certificate_number: str
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    course_id: uuid.UUID
    issued_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class CertificateRevoked(Event):
    """The course's instructor or an admin revoked a certificate."""

    name: ClassVar[str] = "certificate.revoked.v1"
    certificate_id: uuid.UUID
    certificate_number: str
    student_id: uuid.UUID
    course_id: uuid.UUID
    revoked_at: datetime
    reason: str
