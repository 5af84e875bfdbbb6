"""What every request model of the courses API is built on."""

from __future__ import annotations

from pydantic import ConfigDict

from lms.core.schemas import StrictModel as CoreStrictModel


class StrictModel(CoreStrictModel):
    """Refuses unknown fields; fields may be given by name or by alias."""

    model_config = ConfigDict(populate_by_name=True)
