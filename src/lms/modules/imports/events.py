"""What the imports module tells other modules, published in the transaction of the
change (see ``lms.core.events``; the modules that react are listed in
``lms/wiring.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from lms.core.events import Event


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportStarted(Event):
    """A roster or users import was queued (``kind``: ``roster`` or ``users``)."""

    name: ClassVar[str] = "import.started.v1"
    job_id: uuid.UUID
    kind: str
    course_id: uuid.UUID | None
    created_by_id: uuid.UUID


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportFinished(Event):
    """An import's run ended (``state``: ``succeeded`` or ``failed``), with its counts."""

    name: ClassVar[str] = "import.finished.v1"
    job_id: uuid.UUID
    kind: str
    course_id: uuid.UUID | None
    state: str
    total: int
    created: int
    updated: int
    unchanged: int
    failed: int
