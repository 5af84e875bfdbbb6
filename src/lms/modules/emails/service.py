"""Transactional emails: rendered from Jinja2 templates, sent through the outbox.

``queue_email`` only writes an outbox row in the caller's transaction; the job below
renders and sends it after commit, with retries, so no request ever waits on SMTP."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.config import get_settings
from lms.core.email import OutgoingEmail, create_email_backend

Template = Literal[
    "welcome",
    "password_reset",
    "email_verification",
    "mfa_code",
    "course_enrolled",
    "course_completed",
    "certificate_issued",
    "weekly_progress",
    "course_reminder",
    "invitation",
    "webhook_endpoint_disabled",
    "due_soon",
]

SUBJECTS: dict[str, str] = {
    "welcome": "Welcome to {site_name}",
    "password_reset": "Reset your password",
    "email_verification": "Verify your email address",
    "mfa_code": "Your sign-in code",
    "course_enrolled": "You are enrolled in {course_title}",
    "course_completed": "You completed {course_title}",
    "certificate_issued": "Your certificate for {course_title}",
    "weekly_progress": "Your week of learning",
    "course_reminder": "Continue {course_title}",
    "invitation": "Choose your password for {site_name}",
    "webhook_endpoint_disabled": "A webhook endpoint was disabled",
    "due_soon": "Due soon: {item_title} ({course_title})",
}

SEND_EMAIL_TASK = "email.send"
SITE_NAME = "LMS"


@lru_cache
def _environment(autoescape: bool) -> Environment:
    return Environment(
        loader=PackageLoader("lms.modules.emails", "templates"),
        # Plain-text bodies are not HTML: escaping them would garble names like "O'Brien".
        autoescape=select_autoescape(["html"]) if autoescape else False,  # noqa: S701
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render(template: str, context: dict[str, Any]) -> OutgoingEmail:
    """Render the subject, text and HTML bodies of ``template`` for ``context``."""
    settings = get_settings()
    full = {"site_name": SITE_NAME, "base_url": settings.public_base_url, **context}
    subject = SUBJECTS[template].format(**full)
    full["subject"] = subject
    text = _environment(False).get_template(f"{template}.txt").render(full)
    html = _environment(True).get_template(f"{template}.html").render(full)
    return OutgoingEmail(to=str(context["to"]), subject=subject, text=text, html=html)


async def queue_email(
    session: AsyncSession,
    *,
    to: str,
    template: Template,
    context: dict[str, Any],
    dedupe_key: str | None = None,
    sensitive: bool = False,
) -> None:
    """Queue ``template`` for ``to`` in the caller's transaction."""
    render(template, {**context, "to": to})  # a missing variable fails here, not later
    await jobs.enqueue(
        session,
        SEND_EMAIL_TASK,
        {"to": to, "template": template, "context": context},
        dedupe_key=dedupe_key,
        sensitive=sensitive,
    )


@jobs.job(SEND_EMAIL_TASK)
async def send_queued_email(_session: AsyncSession, payload: dict[str, Any]) -> None:
    email = render(payload["template"], {**payload["context"], "to": payload["to"]})
    await create_email_backend(get_settings()).send(email)
