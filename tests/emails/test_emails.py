"""Email templates and the file backend, as a newcomer meets them."""

from __future__ import annotations

from importlib import resources
from typing import Any

import httpx
import pytest

from lms.modules.emails.service import SUBJECTS, render
from tests.conftest import Mailbox
from tests.factories.accounts import PASSWORD, Account

NAME = "Zoë O'Brien <Zo>"
COURSE = "Python & <Data> Science"
COURSE_URL = "https://lms.example.com/courses/python-data-science"

CONTEXTS: dict[str, dict[str, Any]] = {
    "welcome": {"full_name": NAME},
    "password_reset": {
        "full_name": NAME,
        "token": "reset-token-abc",
        "minutes": 60,
        "reset_url": "https://lms.example.com/reset-password?token=reset-token-abc",
    },
    "email_verification": {
        "full_name": NAME,
        "token": "verify-token-xyz",
        "verify_url": "https://lms.example.com/verify-email?token=verify-token-xyz",
    },
    "mfa_code": {"full_name": NAME, "code": "042917", "minutes": 10},
    "course_enrolled": {"full_name": NAME, "course_title": COURSE, "course_url": COURSE_URL},
    "course_completed": {"full_name": NAME, "course_title": COURSE},
    "certificate_issued": {
        "full_name": NAME,
        "course_title": COURSE,
        "certificate_number": "CERT-20250101-1A2B3C4D",
        "download_url": "https://lms.example.com/api/v1/certificates/1/download",
        "verify_url": "https://lms.example.com/api/v1/certificates/verify/CERT-20250101-1A2B3C4D",
    },
    "weekly_progress": {
        "full_name": NAME,
        "lessons_completed": 7,
        "minutes_spent": 185,
        "courses": [{"title": COURSE, "progress": 40}, {"title": "SQL Basics", "progress": 100}],
    },
    "course_reminder": {
        "full_name": NAME,
        "course_title": COURSE,
        "days": 9,
        "progress": 35,
        "course_url": COURSE_URL,
    },
    "webhook_endpoint_disabled": {
        "full_name": NAME,
        "endpoint_url": "https://crm.example.com/hooks",
        "endpoint_id": "3f1c",
        "failing_since": "2026-12-07T10:00:00+00:00",
        "reason": "failing since 2026-12-07 10:00:00+00:00",
    },
    "invitation": {
        "full_name": NAME,
        "course_name": COURSE,
        "token": "invite-token-123",
        "days": 7,
        "accept_url": "https://lms.example.com/accept-invitation?token=invite-token-123",
    },
    "data_export_ready": {
        "full_name": NAME,
        "download_url": "https://lms.example.com/api/v1/data-exports/7e2a/download",
        "hours": 48,
    },
    "erasure_scheduled": {"full_name": NAME, "due_date": "2026-12-21"},
    "mfa_disabled_by_admin": {"full_name": NAME},
    "due_soon": {
        "full_name": NAME,
        "item_title": "Essay <1>",
        "item_kind": "assignment",
        "course_title": COURSE,
        "due_utc": "2026-03-11T03:59:00+00:00",
    },
}
# What each email must tell its reader, in both bodies.
ESSENTIALS: dict[str, list[str]] = {
    "welcome": ["Welcome to LMS", "https://lms.example.com"],
    "password_reset": ["reset-token-abc", "60 minutes", "reset-password?token=reset-token-abc"],
    "email_verification": ["verify-token-xyz", "verify-email?token=verify-token-xyz"],
    "mfa_code": ["042917", "10 minutes"],
    "course_enrolled": [COURSE_URL],
    "course_completed": ["certificate"],
    "certificate_issued": ["CERT-20250101-1A2B3C4D", "/certificates/1/download"],
    "weekly_progress": ["7 lessons", "185 minutes", "SQL Basics: 100 %"],
    "course_reminder": ["9 days", "35 %", COURSE_URL],
    "webhook_endpoint_disabled": ["https://crm.example.com/hooks", "3f1c", "/deliveries"],
    "invitation": ["7 days", "accept-invitation?token=invite-token-123", "invite-token-123"],
    "data_export_ready": ["48 hours", "/data-exports/7e2a/download"],
    "erasure_scheduled": ["2026-12-21", "cancel"],
    "mfa_disabled_by_admin": ["administrator", "password alone", "did not ask for this"],
    "due_soon": ["March 11, 2026, 3:59\u202fAM UTC", "assignment"],
}


def test_the_eight_required_emails_and_the_operational_ones_have_both_bodies() -> None:
    required = {
        "welcome",
        "password_reset",
        "email_verification",
        "course_enrolled",
        "course_completed",
        "certificate_issued",
        "weekly_progress",
        "course_reminder",
    }
    operational = {
        "mfa_code",
        "mfa_disabled_by_admin",
        "webhook_endpoint_disabled",
        "invitation",
        "data_export_ready",
        "erasure_scheduled",
        "due_soon",
    }
    assert set(SUBJECTS) == required | operational == set(CONTEXTS)
    folder = resources.files("lms.modules.emails") / "templates"
    for name in SUBJECTS:
        assert (folder / f"{name}.html").is_file() and (folder / f"{name}.txt").is_file(), name


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_every_template_renders_text_and_html(template: str) -> None:
    email = render(template, {**CONTEXTS[template], "to": "zoe@example.com"})
    assert email.to == "zoe@example.com"
    assert email.subject and "{" not in email.subject
    if "course_title" in CONTEXTS[template] and template != "course_completed":
        assert COURSE in email.subject
    assert email.html is not None
    for body in (email.text, email.html):
        assert "LMS" in body  # the shared layout's footer
        assert "{{" not in body and "{%" not in body
        for fact in ESSENTIALS[template]:
            expected = fact.replace("&", "&amp;") if body is email.html else fact
            assert expected in body, (template, fact)
    # names reach the text body as written and the HTML body escaped
    assert f"Hello {NAME}" in email.text or f"Congratulations {NAME}" in email.text
    assert "<Zo>" not in email.html and "&lt;Zo&gt;" in email.html
    assert email.html.lstrip().startswith("<!DOCTYPE html>")
    assert email.subject in email.text.splitlines()[0]


def test_a_missing_variable_fails_when_queued_not_when_sent() -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        render("password_reset", {"full_name": NAME, "to": "zoe@example.com"})


async def test_newcomer_resets_a_password_from_the_file_backend_email(
    client: httpx.AsyncClient, student: Account, drain: Any, mailbox: Mailbox
) -> None:
    """Forgot password → the .eml file the file backend wrote → its token resets the
    password → log in with the new one."""
    response = await client.post("/auth/forgot-password", json={"email": student.email})
    assert response.status_code == 202
    while await drain():
        pass
    [message] = mailbox.messages(student.email)
    assert message["Subject"] == "Reset your password"
    assert message["From"] == "LMS <no-reply@localhost>"
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    text = mailbox.text_of(message)
    token = mailbox.last_match(r"Reset token: (\S+)", student.email)
    assert f"https://lms.example.com/reset-password?token={token}" in text
    assert token in str(html.get_content())

    reset = await client.post(
        "/auth/reset-password", json={"token": token, "new_password": "brand-new-pass-7"}
    )
    assert reset.status_code == 204
    login = await client.post(
        "/auth/login", json={"email": student.email, "password": "brand-new-pass-7"}
    )
    assert login.status_code == 200
    old = await client.post("/auth/login", json={"email": student.email, "password": PASSWORD})
    assert old.status_code == 401
