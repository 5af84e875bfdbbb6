"""URL slugs from titles in any script: "Intro to Python" → ``intro-to-python``,
"مقدمة في البرمجة" → ``مقدمة-في-البرمجة``."""

from __future__ import annotations

import unicodedata

MAX_SLUG_LENGTH = 200
_TATWEEL = 0x0640  # Arabic elongation: decoration, not a letter
_LATIN_AND_GREEK_END = 0x0400


def _is_arabic_diacritic(code: int) -> bool:
    return (
        0x0610 <= code <= 0x061A
        or 0x064B <= code <= 0x065F
        or code == 0x0670
        or (0x06D6 <= code <= 0x06ED)
    )


def _letters(text: str) -> str:
    """Drop accents on Latin and Greek letters and the Arabic diacritics;
    keep the marks other scripts spell with (Devanagari vowel signs, for instance)."""
    kept: list[str] = []
    base = 0
    for ch in unicodedata.normalize("NFKD", text):
        code = ord(ch)
        if unicodedata.category(ch) == "Mn":
            if base < _LATIN_AND_GREEK_END or _is_arabic_diacritic(code):
                continue
        elif code == _TATWEEL:
            continue
        else:
            base = code
        kept.append(ch)
    return unicodedata.normalize("NFKC", "".join(kept)).lower()


def slugify(text: str, *, fallback: str) -> str:
    """Lower-case letters and digits of any script joined by single hyphens
    (``Café au lait!`` → ``cafe-au-lait``). A title with no letter or digit at all gives
    ``fallback``, so there is always a usable slug."""
    words: list[str] = []
    current: list[str] = []
    for ch in _letters(text):
        if unicodedata.category(ch)[0] in "LNM":
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    slug = "-".join(words)
    if len(slug) > MAX_SLUG_LENGTH:
        slug = slug[:MAX_SLUG_LENGTH].rsplit("-", 1)[0] or slug[:MAX_SLUG_LENGTH]
    return slug or fallback


def first_free(base: str, taken: set[str]) -> str:
    """``base`` if free, else ``base-2``, ``base-3``… (the first one not taken)."""
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"
