"""The certificate's fixed text in the student's language (Arabic shaped right to left
by HarfBuzz), its completion date written the student's way."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.session import commit
from lms.modules.certificates.rendering import CertificateDocument, render_certificate_pdf
from lms.modules.enrollments.models import Enrollment
from tests.conftest import Mailbox
from tests.factories.accounts import Account, AccountFactory
from tests.factories.certificates import my_certificates
from tests.factories.enrollments import complete_course


def document(locale: str) -> CertificateDocument:
    return CertificateDocument(
        certificate_number="CERT-20261207-1A2B3C4D",
        student_name="سارة الطالبة",
        course_title="Python & Data",
        instructor_name="Ada Lovelace",
        completion_date=date(2026, 12, 7),
        verification_url="https://lms.example.com/api/v1/certificates/verify/CERT-20261207-1A2B3C4D",
        locale=locale,
    )


def text_of(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_the_fixed_text_is_in_the_certificate_s_language() -> None:
    english = text_of(render_certificate_pdf(document("en")))
    arabic = text_of(render_certificate_pdf(document("ar")))
    for line in (
        "CERTIFICATE OF COMPLETION",
        "This certifies that",
        "has successfully completed the course",
        "Instructor: Ada Lovelace",
        "Completed on December 7, 2026",
        "Certificate number: CERT-20261207-1A2B3C4D",
    ):
        assert line in english
        assert line not in arabic
    for line in ("شهادة إتمام", "تشهد هذه الوثيقة بأنّ", "قد أتمّ بنجاح الدورة", "المدرّب"):
        assert line in arabic, line
    # (pypdf reads a mixed line in its visual order: "2026 ديسمبر 7 أُنجزت في")
    assert "أُنجزت في" in arabic and "ديسمبر" in arabic and "رقم الشهادة" in arabic
    # what is not fixed text stays as written, in both
    for value in ("سارة الطالبة", "Python & Data", "Ada Lovelace", "CERT-20261207-1A2B3C4D"):
        assert value in english and value in arabic


async def test_a_student_reading_arabic_gets_an_arabic_certificate_and_email(
    client: httpx.AsyncClient,
    instructor: Account,
    make_account: AccountFactory,
    drain: Any,
    mailbox: Mailbox,
) -> None:
    student = await make_account("student", full_name="Layla Hassan")
    changed = await client.patch(
        "/users/me", headers=student.headers, json={"locale": "ar", "time_zone": "Africa/Cairo"}
    )
    assert changed.status_code == 200
    await complete_course(client, instructor, student, title="Tides")
    while await drain():
        pass
    [certificate] = await my_certificates(client, student)
    pdf = await client.get(f"/certificates/{certificate['id']}/download", headers=student.headers)
    text = text_of(pdf.content)
    assert "شهادة إتمام" in text and "Layla Hassan" in text and "Tides" in text
    assert "CERTIFICATE OF COMPLETION" not in text
    subjects = [m["Subject"] for m in mailbox.messages(student.email)]
    assert "شهادتك في Tides" in subjects
    assert "أتممت Tides" in subjects  # the course-completed email too


@pytest.mark.parametrize(
    ("zone", "locale", "day"),
    [
        # completed at 23:30 UTC on 8 March 2026, the day New York moves its clocks
        # already 9 March (02:30, UTC+3); pypdf reads the mixed line in visual order
        ("Asia/Kuwait", "ar", "2026  مارس9 أُنجزت في"),  # noqa: RUF001
        ("Africa/Cairo", "en", "Completed on March 9, 2026"),  # 01:30, UTC+2
        ("America/New_York", "en", "Completed on March 8, 2026"),  # 19:30 EDT
        ("UTC", "en", "Completed on March 8, 2026"),
    ],
)
async def test_the_completion_date_is_the_day_it_was_where_the_student_lives(
    client: httpx.AsyncClient,
    instructor: Account,
    make_account: AccountFactory,
    db: AsyncSession,
    drain: Any,
    zone: str,
    locale: str,
    day: str,
) -> None:
    student = await make_account("student")
    await client.patch(
        "/users/me", headers=student.headers, json={"locale": locale, "time_zone": zone}
    )
    _course, enrollment = await complete_course(client, instructor, student, title="Tides")
    # the certificate is issued by the job after the commit: move the completion first
    await db.execute(
        update(Enrollment)
        .where(Enrollment.id == uuid.UUID(enrollment["id"]))
        .values(completed_at=datetime(2026, 3, 8, 23, 30, tzinfo=UTC))
    )
    await commit(db)
    while await drain():
        pass
    [certificate] = await my_certificates(client, student)
    pdf = await client.get(f"/certificates/{certificate['id']}/download", headers=student.headers)
    text = text_of(pdf.content)
    assert day in text
