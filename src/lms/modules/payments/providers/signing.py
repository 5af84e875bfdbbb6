"""Helpers shared by the HMAC schemes of MyFatoorah and Paymob: both sign a string built
from field values, read from nested JSON by dotted paths."""

from __future__ import annotations


def render(value: object) -> str:
    """A value as it appears in a signed string: null as empty, booleans lower-case."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def dig(data: object, path: str) -> object:
    """The value at a dotted ``path`` of nested dicts, or None."""
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data
