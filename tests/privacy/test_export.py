"""Exports through HTTP: asked by the person or an admin, built by the job, emailed as a
link that works for its account only and for ``LMS_EXPORT_LINK_HOURS``; the archive
opens, holds one JSON file per module valid against the published schemas, the
person's uploads and certificate PDFs, and a manifest."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import update

from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.session import commit
from lms.modules.privacy.models import DataExport
from lms.modules.privacy.service import expire_exports
from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.factories.webhooks import Receiver
from tests.payments.conftest import PaymentsWorld
from tests.privacy.person import EMAIL, NAME, make_person

LINK = r"(https://lms\.example\.com/api/v1/data-exports/[0-9a-f-]+/download)"


def _path(url: str) -> str:
    return url.removeprefix("https://lms.example.com/api/v1")


async def _ask(client: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    response = await client.post("/me/data-export", headers=account.headers)
    body = ok(response, 202)
    assert response.headers["Location"].endswith(f"/api/v1/data-exports/{body['id']}")
    assert body["state"] == "queued" and body["download_url"] is None
    return body


class TestExportArchive:
    async def test_the_archive_holds_every_module_valid_against_the_published_schemas(
        self,
        app: Any,
        client: httpx.AsyncClient,
        settings: Settings,
        admin: Account,
        instructor: Account,
        payments: PaymentsWorld,
        receiver: Receiver,
        drain: Any,
        mailbox: Any,
    ) -> None:
        person = await make_person(
            app, client, settings, admin=admin, instructor=instructor, receiver=receiver
        )
        me = person.account
        asked = await _ask(client, me)
        busy = await client.post("/me/data-export", headers=me.headers)
        assert busy.status_code == 409 and busy.json()["code"] == "export_in_progress"
        not_yet = await client.get(f"/data-exports/{asked['id']}/download", headers=me.headers)
        assert not_yet.status_code == 409 and not_yet.json()["code"] == "export_not_ready"
        await drain()

        job = ok(await client.get(f"/data-exports/{asked['id']}", headers=me.headers))
        assert job["state"] == "ready" and job["size"] > 0
        assert job["expires_at"] > job["finished_at"]
        url = mailbox.last_match(LINK, to=EMAIL)
        assert url == job["download_url"]
        message = mailbox.messages(EMAIL)[-1]
        assert "48 hours" in mailbox.text_of(message)

        download = await client.get(_path(url), headers=me.headers)
        assert download.status_code == 200, download.text
        assert download.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(download.content))
        assert archive.testzip() is None
        names = set(archive.namelist())

        published = ok(await client.get("/privacy/export-schemas"))["items"]
        modules = {item["module"]: item for item in published}
        assert {
            "users",
            "auth",
            "enrollments",
            "quizzes",
            "assignments",
            "certificates",
            "payments",
            "files",
            "courses",
            "imports",
            "webhooks",
            "emails",
            "privacy",
        } <= set(modules)
        documents = {}
        for module, item in modules.items():
            assert item["file"] in names
            document = json.loads(archive.read(item["file"]))
            errors = list(Draft202012Validator(item["schema"]).iter_errors(document))
            assert errors == [], f"{module}: {[error.message for error in errors][:3]}"
            assert json.loads(archive.read(f"schemas/{module}.schema.json")) == item["schema"]
            documents[module] = document

        # The person's data, module by module.
        account = documents["users"]["account"][0]
        assert account["email"] == EMAIL and account["full_name"] == NAME
        assert "password_hash" not in account and "totp_secret_encrypted" not in account
        assert all("token_jti" not in token for token in documents["auth"]["refresh_tokens"])
        assert len(documents["enrollments"]["enrollments"]) == 3
        assert documents["enrollments"]["lesson_progress"]
        answers = documents["quizzes"]["attempts"][0]["answers"]
        assert answers[0]["answer"] == f"My name is {NAME}."
        assert documents["assignments"]["submissions"][0]["text"].startswith("Homework of")
        assert (
            documents["certificates"]["certificates"][0]["certificate_number"]
            == (person.certificate["certificate_number"])
        )
        assert documents["payments"]["payments"][0]["id"] == person.payment["id"]
        assert len(documents["files"]["files"]) == 2
        assert documents["imports"]["refused_lines"][0]["email"].lower() == EMAIL
        assert documents["webhooks"]["deliveries"], "the user.created.v1 message about them"
        # (One-time codes' emails are scrubbed once sent: nothing is left to list.)
        assert {email["template"] for email in documents["emails"]["emails"]} >= {
            "course_enrolled",
            "certificate_issued",
        }

        # The files: uploads byte for byte, the certificate PDF, all in the manifest.
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format"] == "lms-personal-data/1"
        assert manifest["account_id"] == str(me.id)
        assert {entry["module"] for entry in manifest["modules"]} == set(modules)
        stored = {entry["path"]: entry for entry in manifest["files"]}
        upload_path = next(
            path for path in stored if path.startswith(f"files/{person.file['id']}/")
        )
        original = await client.get(f"/files/{person.file['id']}/download", headers=me.headers)
        assert archive.read(upload_path) == original.content
        assert stored[upload_path]["size"] == len(original.content)
        certificate_path = f"certificates/{person.certificate['certificate_number']}.pdf"
        assert archive.read(certificate_path).startswith(b"%PDF")
        assert all(not entry["missing"] for entry in manifest["files"])

    async def test_an_admin_exports_an_account_and_only_the_account_downloads_it(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        student: Account,
        other_student: Account,
        instructor: Account,
        drain: Any,
        mailbox: Any,
    ) -> None:
        asked = await client.post(f"/admin/users/{student.id}/data-export", headers=admin.headers)
        body = ok(asked, 202)
        await drain()
        url = mailbox.last_match(LINK, to=student.email)
        job_path = f"/data-exports/{body['id']}"
        # The job: its account and admins see it; nobody else learns it exists.
        assert ok(await client.get(job_path, headers=admin.headers))["state"] == "ready"
        assert ok(await client.get(job_path, headers=student.headers))["state"] == "ready"
        for stranger in (other_student, instructor):
            assert (await client.get(job_path, headers=stranger.headers)).status_code == 404
            assert (await client.get(_path(url), headers=stranger.headers)).status_code == 404
        assert (await client.get(job_path)).status_code == 401
        assert (await client.get(_path(url))).status_code == 401
        # The archive: the account only; the admin who asked may not read it.
        by_admin = await client.get(_path(url), headers=admin.headers)
        assert by_admin.status_code == 403 and by_admin.json()["code"] == "export_not_yours"
        assert (await client.get(_path(url), headers=student.headers)).status_code == 200
        unknown = await client.get(f"/data-exports/{uuid.uuid4()}", headers=admin.headers)
        assert unknown.status_code == 404 and unknown.json()["code"] == "export_not_found"

    async def test_admin_export_refusals(
        self, client: httpx.AsyncClient, admin: Account, student: Account, instructor: Account
    ) -> None:
        url = f"/admin/users/{student.id}/data-export"
        assert (await client.post(url)).status_code == 401
        assert (await client.post(url, headers=student.headers)).status_code == 403
        assert (await client.post(url, headers=instructor.headers)).status_code == 403
        missing = await client.post(
            f"/admin/users/{uuid.uuid4()}/data-export", headers=admin.headers
        )
        assert missing.status_code == 404
        assert (await client.post("/me/data-export")).status_code == 401

    async def test_the_link_expires_and_the_sweep_deletes_the_archive(
        self,
        app: Any,
        client: httpx.AsyncClient,
        student: Account,
        settings: Settings,
        drain: Any,
        db: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(settings, "export_link_hours", 2)
        asked = await _ask(client, student)
        await drain()
        job = ok(await client.get(f"/data-exports/{asked['id']}", headers=student.headers))
        lifetime = datetime.fromisoformat(job["expires_at"]) - datetime.fromisoformat(
            job["finished_at"]
        )
        assert lifetime == timedelta(hours=2)
        download = f"/data-exports/{asked['id']}/download"
        assert (await client.get(download, headers=student.headers)).status_code == 200

        await db.execute(
            update(DataExport)
            .where(DataExport.id == uuid.UUID(asked["id"]))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await commit(db)
        expired = await client.get(download, headers=student.headers)
        assert expired.status_code == 410 and expired.json()["code"] == "export_expired"

        async with app.state.sessionmaker() as session:
            assert await expire_exports(session) == 1
            await commit(session)
        job = ok(await client.get(f"/data-exports/{asked['id']}", headers=student.headers))
        assert job["state"] == "expired" and job["download_url"] is None
        assert (await client.get(download, headers=student.headers)).status_code == 410
        # A new export may be asked for at once.
        await _ask(client, student)

    async def test_an_erased_account_cannot_be_exported(
        self, client: httpx.AsyncClient, admin: Account, student: Account
    ) -> None:
        ok(
            await client.post(
                f"/admin/users/{student.id}/erasure",
                headers=admin.headers,
                json={"reason": "Asked", "immediate": True},
            )
        )
        refused = await client.post(f"/admin/users/{student.id}/data-export", headers=admin.headers)
        assert refused.status_code == 409 and refused.json()["code"] == "account_erased"


async def test_the_schemas_are_published_to_everyone(client: httpx.AsyncClient) -> None:
    items = ok(await client.get("/privacy/export-schemas"))["items"]
    for item in items:
        Draft202012Validator.check_schema(item["schema"])
        assert re.fullmatch(r"[a-z_]+\.json", item["file"])
