"""Emails in Arabic and English: every template in both languages (Arabic right to left),
written in the recipient's language and time zone when the job sends it."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import httpx
import pytest

from lms.core import i18n
from lms.modules.emails.service import SUBJECTS, _environment, render
from tests.conftest import Mailbox
from tests.emails.test_emails import CONTEXTS
from tests.factories.accounts import Account

ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
# English sentences of the templates that must not survive in an Arabic email.
ENGLISH = re.compile(r"\b(Hello|Congratulations|Welcome|You|Your|Please|If|Someone)\b")


@pytest.mark.parametrize("template", sorted(SUBJECTS))
def test_every_email_renders_in_both_languages_and_arabic_reads_right_to_left(
    template: str,
) -> None:
    context = {**CONTEXTS[template], "to": "zoe@example.com"}
    english = render(template, context, locale="en")
    arabic = render(template, context, locale="ar")
    assert english == render(template, context)  # the default language: English
    assert '<html lang="en" dir="ltr">' in str(english.html)
    assert '<html lang="ar" dir="rtl">' in str(arabic.html)
    assert ARABIC_LETTER.search(arabic.subject) and not ARABIC_LETTER.search(english.subject)
    assert "{" not in arabic.subject
    for body in (arabic.text, str(arabic.html)):
        assert ARABIC_LETTER.search(body), template
        assert not ENGLISH.search(re.sub(r"<[^>]+>|https?://\S+", "", body)), (template, body)
        assert "%(" not in body and "{{" not in body
    # what the reader needs (links, tokens, names) is in both, the name still escaped
    for value in ("token", "code", "certificate_number", "course_url", "accept_url"):
        if value in context:
            assert str(context[value]) in arabic.text and str(context[value]) in str(arabic.html)
    assert "&lt;Zo&gt;" in str(arabic.html) and "<Zo>" not in str(arabic.html)
    assert "Zoë O'Brien <Zo>" in arabic.text


def test_numbers_in_the_arabic_email_are_its_own() -> None:
    arabic = render(
        "weekly_progress", {**CONTEXTS["weekly_progress"], "to": "z@example.com"}, locale="ar"
    )
    assert "أسبوعك: 7 دروس مكتملة، و185 دقيقة من التعلّم." in arabic.text
    assert "SQL Basics: 100 %" in arabic.text


@pytest.mark.parametrize(
    ("days", "english", "arabic"),
    [
        (1, "for 1 day.", "منذ يوم واحد."),
        (2, "for 2 days.", "منذ يومين."),
        (5, "for 5 days.", "منذ 5 أيام."),
        (12, "for 12 days.", "منذ 12 يومًا."),
        (100, "for 100 days.", "منذ 100 يوم."),
    ],
)
def test_counts_take_the_plural_form_of_each_language(days: int, english: str, arabic: str) -> None:
    """Arabic has six plural forms (Babel's plural rule in the catalogue's header)."""
    context = {**CONTEXTS["course_reminder"], "days": days, "to": "z@example.com"}
    assert english in render("course_reminder", context, locale="en").text
    assert arabic in render("course_reminder", context, locale="ar").text


@pytest.mark.parametrize(
    ("zone", "locale", "written"),
    [
        # failing since 2026-12-07 10:00 UTC, and a summer date on the other side of DST
        ("Africa/Cairo", "en", "December 7, 2026, 12:00 PM +0200"),
        ("Asia/Kuwait", "ar", "7 ديسمبر 2026، 1:00 م +0300"),
        ("America/New_York", "en", "December 7, 2026, 5:00 AM EST"),
    ],
)
def test_moments_in_an_email_are_in_the_recipient_s_zone_and_language(
    zone: str, locale: str, written: str
) -> None:
    context = {**CONTEXTS["webhook_endpoint_disabled"], "to": "ops@example.com"}
    email = render("webhook_endpoint_disabled", context, locale=locale, time_zone=zone)
    assert written in email.text.replace("\u202f", " ")
    summer = {**context, "failing_since": "2026-07-07T10:00:00+00:00"}
    email = render("webhook_endpoint_disabled", summer, locale="en", time_zone=zone)
    offset = {"Africa/Cairo": "1:00 PM +0300", "Asia/Kuwait": "1:00 PM +0300"}.get(
        zone, "6:00 AM EDT"
    )
    assert f"July 7, 2026, {offset}" in email.text.replace("\u202f", " ")


@pytest.mark.parametrize(
    ("locale", "amount", "currency", "expected"),
    [
        ("en", "1250", "EGP", "EGP1,250.00"),
        ("en", "12.5", "KWD", "KWD12.500"),
        ("ar", "1250", "EGP", "1,250.00 ج.م."),
        ("ar", "12.5", "KWD", "12.500 د.ك."),
    ],
)
def test_templates_format_payment_amounts_per_language_and_currency(
    locale: str, amount: str, currency: str, expected: str
) -> None:
    template = _environment(locale, False).from_string(
        "{{ amount|money(currency) }} · {{ count|number }} · {{ day|date }}"
    )
    written = template.render(
        amount=amount,
        currency=currency,
        count=12345,
        day="2026-12-07",
        locale=locale,
        time_zone="UTC",
    )
    assert expected in written.replace("\u200f", "").replace("\xa0", " ")
    assert "12,345" in written
    assert ("7 ديسمبر 2026" if locale == "ar" else "December 7, 2026") in written


async def test_the_send_job_writes_in_the_recipient_s_locale(
    client: httpx.AsyncClient,
    student: Account,
    other_student: Account,
    drain: Any,
    mailbox: Mailbox,
) -> None:
    """The email is written when it is sent, in the account's language; an account
    without one gets LMS_DEFAULT_LOCALE (English), whatever the request's header."""
    await client.patch(
        "/users/me", headers=student.headers, json={"locale": "ar", "time_zone": "Asia/Kuwait"}
    )
    for account in (student, other_student):
        answer = await client.post(
            "/auth/forgot-password",
            json={"email": account.email},
            headers={"Accept-Language": "ar" if account is other_student else "en"},
        )
        assert answer.status_code == 202
    while await drain():
        pass
    [arabic] = mailbox.messages(student.email)
    [english] = mailbox.messages(other_student.email)
    assert arabic["Subject"] == "أعد تعيين كلمة مرورك"
    assert english["Subject"] == "Reset your password"
    html = arabic.get_body(preferencelist=("html",))
    assert html is not None and '<html lang="ar" dir="rtl">' in str(html.get_content())
    text = mailbox.text_of(arabic)
    assert "رمز إعادة التعيين:" in text
    token = mailbox.last_match(r"رمز إعادة التعيين: (\S+)", student.email)
    reset = await client.post(
        "/auth/reset-password", json={"token": token, "new_password": "brand-new-pass-7"}
    )
    assert reset.status_code == 204


def test_an_email_for_an_unknown_language_falls_back_to_the_default() -> None:
    context = {**CONTEXTS["welcome"], "to": "z@example.com"}
    assert render("welcome", context, locale="fr") == render("welcome", context, locale="en")
    assert render("welcome", context, locale="ar-EG") == render("welcome", context, locale="ar")
    assert i18n.resolve(None) == "en"


def test_no_template_has_text_outside_a_translated_block() -> None:
    """Every sentence of every template is inside ``{% trans %}`` (or is the subject, in
    SUBJECTS): what remains once the blocks, expressions, tags and styles are taken out
    has no words. A new template written in plain English fails here."""
    folder = resources.files("lms.modules.emails") / "templates"
    for entry in folder.iterdir():
        source = entry.read_text(encoding="utf-8")
        rest = re.sub(r"{% trans.*?%}.*?{% endtrans %}", "", source, flags=re.S)
        rest = re.sub(r"<style>.*?</style>|<title>.*?</title>", "", rest, flags=re.S)
        rest = re.sub(r"{%.*?%}|{{.*?}}|<[^>]+>|&[a-z]+;", "", rest, flags=re.S)
        words = re.findall(r"[A-Za-z]{2,}", rest)
        assert words == [], (entry.name, words)
