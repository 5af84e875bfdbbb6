from __future__ import annotations

import io
import re

import httpx
import zxingcpp
from pypdf import PdfReader

from tests.conftest import Mailbox
from tests.factories.accounts import Account, AccountFactory
from tests.factories.certificates import my_certificates
from tests.factories.courses import published_course
from tests.factories.enrollments import complete_course, complete_lesson, enroll

NUMBER = re.compile(r"^CERT-\d{8}-[0-9A-F]{8}$")


async def test_completion_issues_one_certificate_with_pdf_and_email(
    client: httpx.AsyncClient,
    instructor: Account,
    make_account: AccountFactory,
    drain,
    mailbox: Mailbox,
) -> None:
    student = await make_account("student", full_name="سارة الطالبة")
    course, enrollment = await complete_course(
        client, instructor, student, title="مقدمة في البرمجة"
    )
    assert await my_certificates(client, student) == []  # issued after commit, by the job
    await drain()
    await drain()  # a second sweep finds nothing more to do
    [certificate] = await my_certificates(client, student)
    assert NUMBER.match(certificate["certificate_number"])
    assert certificate["enrollment_id"] == enrollment["id"]
    assert certificate["course_id"] == course["id"]
    assert certificate["student_id"] == str(student.id)
    assert certificate["is_revoked"] is False

    detail = (await client.get(f"/enrollments/{enrollment['id']}", headers=student.headers)).json()
    assert detail["certificate_issued_at"] is not None

    subjects = [m["Subject"] for m in mailbox.messages(student.email)]
    assert "Your certificate for مقدمة في البرمجة" in subjects
    [issued] = [m for m in mailbox.messages(student.email) if m["Subject"].startswith("Your cert")]
    body = mailbox.text_of(issued)
    assert certificate["certificate_number"] in body
    assert f"/api/v1/certificates/{certificate['id']}/download" in body

    pdf = await client.get(f"/certificates/{certificate['id']}/download", headers=student.headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    page = PdfReader(io.BytesIO(pdf.content)).pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    text = page.extract_text()
    for expected in ("سارة الطالبة", "مقدمة في البرمجة", instructor.full_name):
        assert expected in text
    assert certificate["certificate_number"] in text
    [image] = list(page.images)
    decoded = [code.text for code in zxingcpp.read_barcodes(image.image)]
    assert decoded == [
        f"https://lms.example.com/api/v1/certificates/verify/{certificate['certificate_number']}"
    ]


async def test_public_verification_and_revocation(
    client: httpx.AsyncClient, instructor: Account, student: Account, drain
) -> None:
    await complete_course(client, instructor, student, title="Data Basics")
    await drain()
    [certificate] = await my_certificates(client, student)
    number = certificate["certificate_number"]

    verified = await client.get(f"/certificates/verify/{number}")  # no sign-in
    assert verified.status_code == 200
    body = verified.json()
    assert body["valid"] is True and body["is_revoked"] is False
    assert body["student_name"] == student.full_name and body["course_title"] == "Data Basics"
    assert "email" not in str(body) and str(student.id) not in str(body)
    assert (await client.get("/certificates/verify/CERT-20200101-00000000")).status_code == 404

    refused = await client.post(
        f"/certificates/{certificate['id']}/revoke",
        headers=student.headers,
        json={"reason": "I want to"},
    )
    assert refused.status_code == 403
    revoked = await client.post(
        f"/certificates/{certificate['id']}/revoke",
        headers=instructor.headers,
        json={"reason": "Plagiarised final project"},
    )
    assert revoked.status_code == 200
    assert revoked.json()["is_revoked"] is True
    assert revoked.json()["revoked_reason"] == "Plagiarised final project"
    again = await client.post(
        f"/certificates/{certificate['id']}/revoke",
        headers=instructor.headers,
        json={"reason": "twice"},
    )
    assert again.status_code == 409
    after = (await client.get(f"/certificates/verify/{number}")).json()
    assert after["valid"] is False and after["is_revoked"] is True


async def test_generate_on_demand_only_for_completed_and_once(
    client: httpx.AsyncClient, instructor: Account, student: Account, drain
) -> None:
    course, lessons = await published_course(client, instructor, lessons=2)
    enrollment = await enroll(client, student, course["id"])
    early = await client.post(
        f"/certificates/enrollments/{enrollment['id']}/generate", headers=student.headers
    )
    assert early.status_code == 422 and early.json()["code"] == "enrollment_not_completed"
    for lesson in lessons:
        await complete_lesson(client, student, enrollment["id"], lesson["id"])
    made = await client.post(
        "/certificates/generate", headers=student.headers, json={"enrollment_id": enrollment["id"]}
    )
    assert made.status_code == 201, made.text
    second = await client.post(
        f"/certificates/enrollments/{enrollment['id']}/generate", headers=instructor.headers
    )
    assert second.status_code == 409 and second.json()["code"] == "certificate_exists"
    await drain()  # the completion job finds the certificate and stops
    assert len(await my_certificates(client, student)) == 1


async def test_other_callers_are_refused(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
    other_student: Account,
    admin: Account,
    drain,
) -> None:
    _, enrollment = await complete_course(client, instructor, student)
    await drain()
    [certificate] = await my_certificates(client, student)
    cid = certificate["id"]
    for outsider in (other_student, other_instructor):
        assert (
            await client.get(f"/certificates/{cid}", headers=outsider.headers)
        ).status_code == 404
        download = await client.get(f"/certificates/{cid}/download", headers=outsider.headers)
        assert download.status_code == 404
        generate = await client.post(
            f"/certificates/enrollments/{enrollment['id']}/generate", headers=outsider.headers
        )
        assert generate.status_code == 404
        revoke = await client.post(
            f"/certificates/{cid}/revoke", headers=outsider.headers, json={"reason": "nope nope"}
        )
        assert revoke.status_code == 404
    assert await my_certificates(client, other_student) == []
    assert (await client.get(f"/certificates/{cid}")).status_code == 401
    assert (await client.get("/certificates/my-certificates")).status_code == 401
    for allowed in (student, instructor, admin):
        response = await client.get(f"/certificates/{cid}", headers=allowed.headers)
        assert response.status_code == 200
    assert (await client.get("/certificates/not-a-uuid", headers=admin.headers)).status_code == 422
    missing = await client.post(
        "/certificates/generate",
        headers=admin.headers,
        json={"enrollment_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert missing.status_code == 404
    short = await client.post(
        f"/certificates/{cid}/revoke", headers=admin.headers, json={"reason": ""}
    )
    assert short.status_code == 422
