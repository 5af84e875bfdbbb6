"""Languages: the message catalogues, the choice of a language, and locale formats.

The catalogues are gettext ``.po`` files in the package
(``lms/locales/<locale>/LC_MESSAGES/messages.po``), one domain (``messages``) for
emails, problem details and the certificate. They are read once per process on first
use (``load_catalogues``, which the application calls at start) and kept in memory:
no ``.mo`` build step, so ``pip install -e .`` is enough on a fresh machine. Fuzzy and
empty entries are ignored (the source text is shown instead).

The language of a request (``request_locale``): the signed-in account's ``locale``,
else the best of ``Accept-Language`` we speak (q-values honoured, ``ar-EG`` → ``ar``),
else ``LMS_DEFAULT_LOCALE``. The account's locale travels with the principal (the same
cached access state and the same row read), so choosing costs no statement and no
round trip. Jobs use the recipient's locale, else the default.
"""

from __future__ import annotations

import io
from collections.abc import Callable, MutableMapping
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.dates import format_time as _format_time
from babel.dates import get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency as _format_currency
from babel.numbers import format_decimal as _format_decimal
from babel.support import Translations

from lms.core.config import get_settings

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
SOURCE_LOCALE = "en"  # the language the code and templates are written in
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "ar")
RIGHT_TO_LEFT = frozenset({"ar"})
# Where the principal dependency leaves the signed-in account's locale for this request.
LOCALE_STATE_KEY = "lms.locale"


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


def _normalise(message: str) -> str:
    return " ".join(message.split())


def catalogue_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


class _Catalogue:
    """One language's messages: a dict for direct look-ups, and gettext translations
    (for Jinja2's i18n extension)."""

    def __init__(self, locale: str) -> None:
        with catalogue_path(locale).open("rb") as po:
            catalog = read_po(po, locale=locale, domain=DOMAIN)
        self.messages: dict[str, str] = {}
        for message in catalog:
            if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
                self.messages[_normalise(message.id)] = str(message.string)
        compiled = io.BytesIO()
        write_mo(compiled, catalog, use_fuzzy=False)
        compiled.seek(0)
        self.translations = Translations(fp=compiled, domain=DOMAIN)


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def _catalogue(locale: str) -> _Catalogue:
    return _Catalogue(locale)


def load_catalogues() -> None:
    """Read every catalogue now (the application calls it at start, so the first
    request or email does not)."""
    for locale in SUPPORTED_LOCALES:
        _catalogue(locale)


def supported(locale: str | None) -> str | None:
    """``locale`` if we speak it (``ar-EG`` → ``ar``), else None."""
    if not locale:
        return None
    primary = locale.replace("_", "-").split("-", 1)[0].strip().lower()
    return primary if primary in SUPPORTED_LOCALES else None


def default_locale() -> str:
    return get_settings().default_locale


def resolve(locale: str | None) -> str:
    """``locale`` if we speak it, else ``LMS_DEFAULT_LOCALE``."""
    return supported(locale) or default_locale()


def translations(locale: str) -> Translations:
    return _catalogue(resolve(locale)).translations


def gettext(locale: str, message: str) -> str:
    """``message`` in ``locale``; the message itself when it has no translation."""
    return _catalogue(resolve(locale)).messages.get(_normalise(message), message)


def translator(locale: str) -> Callable[[str], str]:
    """A ``_`` for ``locale`` (extraction finds ``_("…")`` calls)."""
    messages = _catalogue(resolve(locale)).messages

    def _(message: str) -> str:
        return messages.get(_normalise(message), message)

    return _


def has_translation(locale: str, message: str) -> bool:
    return _normalise(message) in _catalogue(resolve(locale)).messages


def direction(locale: str) -> str:
    """``rtl`` or ``ltr``: the HTML ``dir`` of text in ``locale``."""
    return "rtl" if locale in RIGHT_TO_LEFT else "ltr"


# --- Choosing the language of a request ------------------------------------------------


@lru_cache(maxsize=512)
def from_accept_language(header: str) -> str | None:
    """The language we speak that ``Accept-Language`` prefers most, or None.

    ``ar-EG,ar;q=0.9,en;q=0.8`` → ``ar``; ``fr, en;q=0.5`` → ``en``; ``en;q=0, ar`` →
    ``ar``; ``*`` or nothing we speak → None (the default applies). Equal weights keep
    the header's order. Cached: a few distinct headers cover nearly every client."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, parameters = part.partition(";")
        tag = tag.strip()
        if not tag:
            continue
        weight = 1.0
        parameters = parameters.strip()
        if parameters:
            name, _, value = parameters.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    continue
        if weight <= 0:
            continue
        ranked.append((-weight, position, tag))
    for _weight, _position, tag in sorted(ranked):
        if tag == "*":
            return None
        locale = supported(tag)
        if locale:
            return locale
    return None


def _header(scope: MutableMapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def request_locale(scope: MutableMapping[str, Any], accept_language: str | None = None) -> str:
    """The language of this request: the account's locale (left in the request's state
    by the principal dependency), else ``Accept-Language``, else the default.
    ``accept_language``: the header when the caller already read it."""
    state = scope.get("state")
    if state:
        chosen = state.get(LOCALE_STATE_KEY)
        if chosen:
            return str(chosen)
    header = accept_language if accept_language is not None else _header(scope, b"accept-language")
    chosen = from_accept_language(header) if header else None
    if chosen:
        return chosen
    settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
    return str(settings.default_locale) if settings is not None else default_locale()


# --- Formats -----------------------------------------------------------------------------


def zone(time_zone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _as_datetime(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_datetime(value: datetime | str, locale: str, time_zone: str | None) -> str:
    """A moment (aware, or ISO 8601 as stored in a job's payload) as the reader's clock
    shows it, in ``locale``'s words and with its offset or zone: ``December 1, 2026, 7:00 PM
    +0200`` (en, Africa/Cairo), ``1 ديسمبر 2026، 7:00 م +0200`` (ar; Babel writes Arabic
    with Latin digits), ``July 1, 2026, 1:00 PM EDT`` (en, America/New_York)."""
    local = _as_datetime(value).astimezone(zone(time_zone))
    day = _format_date(local, "long", locale=locale)
    clock = _format_time(local, "short", locale=locale)
    named = _format_datetime(local, "z", locale=locale)
    return (
        str(get_datetime_format("long", locale=locale))
        .replace("{1}", day)
        .replace("{0}", f"{clock} {named}")
    )


def format_date(value: date | datetime | str, locale: str, *, fmt: str = "long") -> str:
    day = datetime.fromisoformat(value) if isinstance(value, str) else value
    return _format_date(day, fmt, locale=locale)


def format_number(value: int | float | Decimal | str, locale: str) -> str:
    """``1234.5`` → ``1,234.5`` (en and ar: Babel's Arabic uses Latin digits)."""
    return _format_decimal(Decimal(str(value)), locale=locale)


def format_money(amount: Decimal | int | str, currency: str, locale: str) -> str:
    """An amount with its currency's own decimals: ``EGP1,250.00`` / ``KWD12.500`` (en),
    ``1,250.00 ج.م.`` / ``12.500 د.ك.`` (ar, between right-to-left marks)."""
    return _format_currency(Decimal(str(amount)), currency, locale=locale)


def locale_name(locale: str) -> str:
    """The language's own name (``English``, ``العربية``)."""
    return str(Locale.parse(locale).get_display_name(locale) or locale)
