from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from lms.core.schemas import StrictModel


class CertificateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    certificate_number: str
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    course_id: uuid.UUID
    issued_at: datetime
    completion_date: datetime
    is_revoked: bool
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    course_title: str | None = None
    student_name: str | None = None
    download_url: str | None = None
    verification_url: str | None = None


class CertificateVerification(BaseModel):
    """What anyone may learn about a certificate number: no email, no ids."""

    valid: bool
    certificate_number: str
    # None when the student's personal data was erased: the certificate stays valid,
    # the name is withheld (``name_withheld``).
    student_name: str | None
    name_withheld: bool = False
    course_title: str
    issued_at: datetime
    completion_date: datetime
    is_revoked: bool
    revoked_at: datetime | None = None


class GenerateRequest(StrictModel):
    enrollment_id: uuid.UUID


class RevokeRequest(StrictModel):
    reason: str = Field(min_length=3, max_length=2000)
