"""Certificates stored on S3 (moto's server): the download is a redirect to a short-lived
presigned URL that serves the same PDF."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.accounts import Account
from tests.factories.certificates import my_certificates
from tests.factories.enrollments import complete_course
from tests.files.conftest import S3_BUCKET, moto_endpoint, on_s3, s3_client

__all__ = ["moto_endpoint", "on_s3", "s3_client"]  # fixtures used below


async def test_certificate_pdf_on_s3_is_served_by_presigned_redirect(
    client: httpx.AsyncClient, instructor: Account, student: Account, drain, on_s3: Any
) -> None:
    await complete_course(client, instructor, student, title="Cloud Course")
    await drain()
    [certificate] = await my_certificates(client, student)
    keys = [item["Key"] for item in on_s3.list_objects_v2(Bucket=S3_BUCKET)["Contents"]]
    assert keys == [
        f"certificates/{certificate['issued_at'][:4]}/{certificate['issued_at'][5:7]}/"
        f"{certificate['id']}.pdf"
    ]

    response = await client.get(
        f"/certificates/{certificate['id']}/download", headers=student.headers
    )
    assert response.status_code == 307
    location = response.headers["location"]
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=" in location
    async with httpx.AsyncClient() as outside:
        pdf = await outside.get(location)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
