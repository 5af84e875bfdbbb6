"""Transactional emails: rendered from Jinja2 templates, sent through the outbox.

``queue_email`` only writes an outbox row in the caller's transaction; the job below
renders and sends it after commit, with retries, so no request ever waits on SMTP."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal, Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import i18n, jobs
from lms.core.config import get_settings
from lms.core.email import OutgoingEmail, create_email_backend
from lms.core.i18n import N_

Template = Literal[
    "welcome",
    "password_reset",
    "email_verification",
    "mfa_code",
    "mfa_disabled_by_admin",
    "course_enrolled",
    "course_completed",
    "certificate_issued",
    "weekly_progress",
    "course_reminder",
    "invitation",
    "webhook_endpoint_disabled",
    "data_export_ready",
    "erasure_scheduled",
    "due_soon",
]

# Subjects are ``str.format`` templates; their translations keep the same {names}.
SUBJECTS: dict[str, str] = {
    "welcome": N_("Welcome to {site_name}"),
    "password_reset": N_("Reset your password"),
    "email_verification": N_("Verify your email address"),
    "mfa_code": N_("Your sign-in code"),
    "mfa_disabled_by_admin": N_("The second step of your sign-in was turned off"),
    "course_enrolled": N_("You are enrolled in {course_title}"),
    "course_completed": N_("You completed {course_title}"),
    "certificate_issued": N_("Your certificate for {course_title}"),
    "weekly_progress": N_("Your week of learning"),
    "course_reminder": N_("Continue {course_title}"),
    "invitation": N_("Choose your password for {site_name}"),
    "webhook_endpoint_disabled": N_("A webhook endpoint was disabled"),
    "data_export_ready": N_("Your personal data is ready to download"),
    "erasure_scheduled": N_("Your account will be erased on {due_date}"),
    "due_soon": N_("Due soon: {item_title} ({course_title})"),
}

SEND_EMAIL_TASK = "email.send"
SITE_NAME = "LMS"


class RecipientLookup(Protocol):
    """The recipient's language and time zone by email address, or None for an address
    without an account (installed from ``lms.wiring``: the users module answers)."""

    async def __call__(
        self, session: AsyncSession, email: str
    ) -> tuple[str | None, str] | None: ...


_recipients: RecipientLookup | None = None


def use_recipient_lookup(lookup: RecipientLookup | None) -> None:
    """Install how the send job finds a recipient's locale and time zone."""
    global _recipients
    _recipients = lookup


class _Undefined(StrictUndefined):
    # A missing count reaches gettext's plural rule, which rounds it: fail there as
    # everywhere else (UndefinedError, when the email is queued), not with a TypeError.
    __round__ = StrictUndefined._fail_with_undefined_error


@lru_cache
def _environment(locale: str, autoescape: bool) -> Environment:
    environment = Environment(
        loader=PackageLoader("lms.modules.emails", "templates"),
        # Plain-text bodies are not HTML: escaping them would garble names like "O'Brien".
        autoescape=select_autoescape(["html"]) if autoescape else False,  # noqa: S701
        undefined=_Undefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        i18n.translations(locale), newstyle=True
    )
    environment.filters["datetime"] = _datetime_filter
    environment.filters["date"] = _date_filter
    environment.filters["number"] = _number_filter
    environment.filters["money"] = _money_filter
    return environment


# Formats in templates: ``{{ due_at|datetime }}`` (in the recipient's time zone),
# ``{{ day|date }}``, ``{{ count|number }}``, ``{{ amount|money(currency) }}``, each as
# the email's language writes it.
@pass_context
def _datetime_filter(context: Any, value: Any) -> str:
    return i18n.format_datetime(value, context["locale"], context["time_zone"])


@pass_context
def _date_filter(context: Any, value: Any, fmt: str = "long") -> str:
    return i18n.format_date(value, context["locale"], fmt=fmt)


@pass_context
def _number_filter(context: Any, value: Any) -> str:
    return i18n.format_number(value, context["locale"])


@pass_context
def _money_filter(context: Any, value: Any, currency: str) -> str:
    return i18n.format_money(value, currency, context["locale"])


def render(
    template: str,
    context: dict[str, Any],
    *,
    locale: str | None = None,
    time_zone: str | None = None,
) -> OutgoingEmail:
    """Render the subject, text and HTML bodies of ``template`` for ``context``, in
    ``locale`` (else ``LMS_DEFAULT_LOCALE``), with moments shown in ``time_zone``."""
    settings = get_settings()
    language = i18n.resolve(locale)
    full = {
        "site_name": SITE_NAME,
        "base_url": settings.public_base_url,
        **context,
        "locale": language,
        "direction": i18n.direction(language),
        "time_zone": time_zone or "UTC",
    }
    subject = i18n.gettext(language, SUBJECTS[template]).format(**full)
    full["subject"] = subject
    text = _environment(language, False).get_template(f"{template}.txt").render(full)
    html = _environment(language, True).get_template(f"{template}.html").render(full)
    return OutgoingEmail(to=str(context["to"]), subject=subject, text=text, html=html)


async def queue_email(
    session: AsyncSession,
    *,
    to: str,
    template: Template,
    context: dict[str, Any],
    dedupe_key: str | None = None,
    sensitive: bool = False,
    locale: str | None = None,
) -> None:
    """Queue ``template`` for ``to`` in the caller's transaction. The email is written
    when it is sent, in ``locale`` if given, else in the recipient's account's locale,
    else in ``LMS_DEFAULT_LOCALE``; moments in the recipient's time zone."""
    render(template, {**context, "to": to}, locale=locale)  # a missing variable fails here
    payload: dict[str, Any] = {"to": to, "template": template, "context": context}
    if locale:
        payload["locale"] = locale
    await jobs.enqueue(
        session,
        SEND_EMAIL_TASK,
        payload,
        dedupe_key=dedupe_key,
        sensitive=sensitive,
    )


async def queue_emails(
    session: AsyncSession, *, template: Template, messages: list[tuple[str, dict[str, Any]]]
) -> None:
    """Queue ``template`` for each (to, context) of ``messages`` in the caller's
    transaction, in one insert (a bulk import's emails)."""
    if not messages:
        return
    to, context = messages[0]
    render(template, {**context, "to": to})  # a missing variable fails here, not later
    await jobs.enqueue_many(
        session,
        SEND_EMAIL_TASK,
        [{"to": to, "template": template, "context": context} for to, context in messages],
    )


@jobs.job(SEND_EMAIL_TASK)
async def send_queued_email(session: AsyncSession, payload: dict[str, Any]) -> None:
    locale, time_zone = payload.get("locale"), None
    if _recipients is not None:
        found = await _recipients(session, payload["to"])
        if found is not None:
            locale = locale or found[0]
            time_zone = found[1]
    email = render(
        payload["template"],
        {**payload["context"], "to": payload["to"]},
        locale=locale,
        time_zone=time_zone,
    )
    await create_email_backend(get_settings()).send(email)
