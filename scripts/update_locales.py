"""Refresh the message catalogues from the source: ``python scripts/update_locales.py``.

1. ``pybabel extract`` writes every message of the code and the email templates to
   ``src/lms/locales/messages.pot`` (``babel.cfg`` says where and how).
2. ``pybabel update`` merges it into each ``<locale>/LC_MESSAGES/messages.po``: new
   messages arrive with an empty translation (or a fuzzy guess), removed ones are kept
   as obsolete (``#~``) comments.
3. English is the source language: its translations are the messages themselves, so
   they are filled in here (and fuzzy guesses replaced).

Then translate the empty and fuzzy entries of every other language (Arabic:
``src/lms/locales/ar/LC_MESSAGES/messages.po``) and run
``python -m pytest tests/core/test_languages.py``: it fails while any message lacks a
translation. See README, "Languages"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "src" / "lms" / "locales"
TEMPLATE = LOCALES / "messages.pot"
SOURCE_LOCALE = "en"
WIDTH = "100"


def pybabel(*arguments: str) -> None:
    subprocess.run(  # noqa: S603 - our own arguments
        [sys.executable, "-m", "babel.messages.frontend", *arguments], check=True
    )


def fill_source_language(path: Path) -> None:
    with path.open("rb") as po:
        catalog = read_po(po, locale=SOURCE_LOCALE)
    for message in catalog:
        if message.id:
            message.string = message.id
            message.flags.discard("fuzzy")
    with path.open("wb") as po:
        write_po(po, catalog, width=int(WIDTH), sort_output=True, omit_header=False)


def main() -> None:
    pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-o",
        str(TEMPLATE),
        "--no-location",
        "--sort-output",
        "--width",
        WIDTH,
        "--project",
        "lms",
        "--copyright-holder",
        "the LMS contributors",
        "--add-comments",
        "TRANSLATORS:",
        str(ROOT),
    )
    for folder in sorted(p for p in LOCALES.iterdir() if p.is_dir()):
        locale = folder.name
        po = folder / "LC_MESSAGES" / "messages.po"
        if po.exists():
            pybabel(
                "update",
                "-i",
                str(TEMPLATE),
                "-o",
                str(po),
                "-l",
                locale,
                "-w",
                WIDTH,
                "--ignore-obsolete",
            )
        else:
            pybabel("init", "-i", str(TEMPLATE), "-o", str(po), "-l", locale, "-w", WIDTH)
        if locale == SOURCE_LOCALE:
            fill_source_language(po)


if __name__ == "__main__":
    main()
