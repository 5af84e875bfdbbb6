"""Building blocks every module's request models share: text and JSON that the
databases can store (refused with a 422 here, never a database error there), and the
base model that refuses unknown fields."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def has_nul(value: Any) -> bool:
    """Does ``value`` (a string, or JSON made of dicts and lists) hold a NUL character?"""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    return False


def no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refused here as a 422, never a database error.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def storable_json(value: dict[str, Any]) -> dict[str, Any]:
    # JSONB refuses NUL characters and NaN/Infinity: a 422 here, not a 500 there.
    try:
        json.dumps(value, allow_nan=False)
    except ValueError as exc:
        raise ValueError("must not contain NaN or Infinity") from exc
    if has_nul(value):
        raise ValueError("must not contain NUL characters")
    return value


CleanText = Annotated[str, AfterValidator(no_nul)]
# A client's free-form JSON object (at most 100 keys).
Metadata = Annotated[dict[str, Any], Field(max_length=100), AfterValidator(storable_json)]


class StrictModel(BaseModel):
    """Refuses unknown fields, so a typo or a mass-assignment attempt is a clear 422."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
