"""The message catalogues (every message translated in every language), the choice of a
request's language, and the locale formats of dates, numbers and money."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from lms.core import i18n
from lms.core.errors import _TITLES
from lms.core.problem_codes import problem_codes

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}|…")


def forms(message: Message) -> list[str]:
    """A translation's text, or each of its plural forms."""
    string = message.string
    return [str(f) for f in string] if isinstance(string, list | tuple) else [str(string or "")]


def singular(message: Message) -> str:
    return str(message.id[0] if isinstance(message.id, list | tuple) else message.id)


def plain(text: str) -> str:
    """Babel separates the time from AM/PM with a narrow no-break space."""
    return text.replace("\u202f", " ")


@cache
def catalogue(locale: str) -> Catalog:
    with i18n.catalogue_path(locale).open("rb") as po:
        return read_po(po, locale=locale)


@cache
def messages_in_the_source() -> frozenset[str]:
    """What ``pybabel extract -F babel.cfg`` finds in the code and templates now (so a
    message added without running the catalogue update fails here, not in production)."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    return frozenset(" ".join(m.split()) for m in found if m)


@pytest.mark.parametrize("locale", i18n.SUPPORTED_LOCALES)
def test_every_message_of_the_source_has_a_translation_in_every_language(locale: str) -> None:
    translated = {
        " ".join(singular(m).split())
        for m in catalogue(locale)
        if m.id and all(form.strip() for form in forms(m)) and not m.fuzzy
    }
    missing = sorted(messages_in_the_source() - translated)
    assert missing == [], (
        f"{len(missing)} messages lack a {locale} translation; run "
        "`python scripts/update_locales.py` and translate them (README, Languages)"
    )


@pytest.mark.parametrize("locale", i18n.SUPPORTED_LOCALES)
def test_no_entry_of_a_catalogue_is_empty_or_fuzzy(locale: str) -> None:
    bad = [m.id for m in catalogue(locale) if m.id and (not all(forms(m)) or m.fuzzy)]
    assert bad == []
    # Arabic has six plural forms (zero, one, two, few, many, other); English two
    plurals = [m for m in catalogue(locale) if m.pluralizable]
    assert plurals and all(len(forms(m)) == catalogue(locale).num_plurals for m in plurals)


def test_translations_keep_every_placeholder_of_their_message() -> None:
    for message in catalogue("ar"):
        if not message.id:
            continue
        expected = sorted(PLACEHOLDER.findall(singular(message)))
        tags = sorted(re.findall(r"</?[a-z]+>", singular(message)))
        for form in forms(message):
            found = sorted(PLACEHOLDER.findall(form))
            if message.pluralizable:
                # "one" and "two" may say the number in words ("يومين": two days)
                counts = {"%(count)s", "%(num)s"}
                found = sorted(set(found) | (counts & set(expected)))
            assert found == expected, (message.id, form)
            # HTML in an email sentence keeps its tags
            assert sorted(re.findall(r"</?[a-z]+>", form)) == tags, message.id


def test_english_is_the_source_language_and_arabic_is_really_arabic() -> None:
    for message in catalogue("en"):
        if message.id:
            assert forms(message) == (
                [message.id] if isinstance(message.id, str) else list(message.id)
            )
    arabic_letters = re.compile(r"[\u0600-\u06ff]")
    untranslated = [
        m.id
        for m in catalogue("ar")
        if m.id and not all(arabic_letters.search(form) for form in forms(m))
    ]
    # Only messages made of placeholders (a list item "title: progress %") stay as they are.
    assert untranslated == ["%(title)s: %(progress)s %%"]


def test_every_problem_code_and_every_status_title_has_an_arabic_translation() -> None:
    """A problem's ``title`` (its status's name) and its code's meaning (the Arabic
    ``detail`` when the detail itself was built from the request) are all translated."""
    codes = problem_codes()
    assert len(codes) > 150
    without_meaning = [code for code, meaning in codes.items() if not meaning]
    assert without_meaning == []
    untranslated = [
        code for code, meaning in codes.items() if not i18n.has_translation("ar", meaning)
    ]
    assert untranslated == []
    for title in _TITLES.values():
        assert i18n.has_translation("ar", title), title
        assert i18n.gettext("ar", title) != title


def test_the_catalogues_ship_inside_the_package() -> None:
    assert i18n.LOCALES_DIR == ROOT / "src" / "lms" / "locales"
    for locale in i18n.SUPPORTED_LOCALES:
        assert i18n.catalogue_path(locale).is_file()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"locales/*/LC_MESSAGES/*.po"' in pyproject and '"babel>=' in pyproject


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ar", "ar"),
        ("ar-EG", "ar"),
        ("ar_KW", "ar"),
        ("AR-eg,en;q=0.5", "ar"),
        ("en-US,en;q=0.9,ar;q=0.8", "en"),
        ("fr-FR, fr;q=0.9, ar;q=0.4, en;q=0.3", "ar"),  # the best one we speak
        ("en;q=0.2, ar;q=0.9", "ar"),  # weights, not order
        ("en;q=0, ar", "ar"),  # q=0: not acceptable
        ("ar;q=0.5, en;q=0.5", "ar"),  # a tie keeps the header's order
        ("fr, de", None),
        ("*", None),
        ("ar;q=abc, en", "en"),  # a malformed weight drops the entry
        ("", None),
        (" , ;q=1", None),
    ],
)
def test_accept_language_is_negotiated_with_its_weights(header: str, expected: str | None) -> None:
    assert i18n.from_accept_language(header) == expected


def test_the_account_s_locale_comes_before_the_header_and_the_default_last() -> None:
    header = [(b"accept-language", b"ar-EG")]
    assert i18n.request_locale({"headers": header}) == "ar"
    assert i18n.request_locale({"headers": header, "state": {i18n.LOCALE_STATE_KEY: "en"}}) == "en"
    assert i18n.request_locale({"headers": []}) == "en"
    assert i18n.request_locale({"headers": [(b"accept-language", b"de")]}) == "en"


def test_the_default_locale_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from lms.core.config import Settings

    monkeypatch.setenv("LMS_DEFAULT_LOCALE", "ar")
    settings = Settings()
    assert settings.default_locale == "ar"

    class App:
        class state:
            pass

    App.state.settings = settings  # type: ignore[attr-defined]
    assert i18n.request_locale({"headers": [], "app": App}) == "ar"
    assert i18n.request_locale({"headers": [(b"accept-language", b"en")], "app": App}) == "en"
    monkeypatch.setenv("LMS_DEFAULT_LOCALE", "fr")
    with pytest.raises(ValueError, match="default_locale"):
        Settings()


# Formats: a due date at 17:00 UTC, on each side of a daylight-saving change.
SUMMER = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)
WINTER = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "zone", "english", "arabic"),
    [
        # Cairo: UTC+3 in summer (Egypt's daylight saving time), UTC+2 in winter.
        (SUMMER, "Africa/Cairo", "July 1, 2026, 8:00 PM +0300", "1 يوليو 2026، 8:00 م +0300"),
        (WINTER, "Africa/Cairo", "December 1, 2026, 7:00 PM +0200", "1 ديسمبر 2026، 7:00 م +0200"),
        # Kuwait: UTC+3 all year.
        (SUMMER, "Asia/Kuwait", "July 1, 2026, 8:00 PM +0300", "1 يوليو 2026، 8:00 م +0300"),
        (WINTER, "Asia/Kuwait", "December 1, 2026, 8:00 PM +0300", "1 ديسمبر 2026، 8:00 م +0300"),
        # New York: UTC-4 (EDT) in summer, UTC-5 (EST) in winter.
        (SUMMER, "America/New_York", "July 1, 2026, 1:00 PM EDT", "1 يوليو 2026، 1:00 م -0400"),
        (
            WINTER,
            "America/New_York",
            "December 1, 2026, 12:00 PM EST",
            "1 ديسمبر 2026، 12:00 م -0500",
        ),
    ],
)
def test_moments_are_written_in_the_reader_s_zone_and_language(
    moment: datetime, zone: str, english: str, arabic: str
) -> None:
    assert plain(i18n.format_datetime(moment, "en", zone)) == english
    # as a job's payload has it: ISO 8601
    assert plain(i18n.format_datetime(moment.isoformat(), "ar", zone)) == arabic


def test_the_day_a_moment_falls_on_depends_on_the_zone() -> None:
    late = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)  # the evening after New York's change
    assert plain(i18n.format_datetime(late, "en", "Asia/Kuwait")) == "March 9, 2026, 2:30 AM +0300"
    assert plain(i18n.format_datetime(late, "en", "America/New_York")) == (
        "March 8, 2026, 7:30 PM EDT"
    )
    before = datetime(2026, 3, 7, 23, 30, tzinfo=UTC)  # the evening before: still EST
    assert plain(i18n.format_datetime(before, "en", "America/New_York")) == (
        "March 7, 2026, 6:30 PM EST"
    )
    # an unknown zone (never stored: the API validates it) reads as UTC
    assert i18n.format_datetime(late, "en", "Not/AZone") == i18n.format_datetime(late, "en", "UTC")
    assert i18n.format_date(date(2026, 3, 9), "ar") == "9 مارس 2026"


def test_numbers_and_payment_amounts_follow_the_language_and_the_currency() -> None:
    assert i18n.format_number(Decimal("1234.5"), "en") == "1,234.5"
    assert i18n.format_number(1234567, "ar") == "1,234,567"
    # The Egyptian pound has two decimals, the Kuwaiti dinar three.
    assert i18n.format_money(Decimal("1250"), "EGP", "en") == "EGP1,250.00"
    assert i18n.format_money(Decimal("12.5"), "KWD", "en") == "KWD12.500"
    egp = i18n.format_money(Decimal("1250"), "EGP", "ar")
    kwd = i18n.format_money("12.5", "KWD", "ar")
    assert "1,250.00" in egp and "ج.م." in egp
    assert "12.500" in kwd and "د.ك." in kwd
