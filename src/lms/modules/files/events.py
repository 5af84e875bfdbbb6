"""What the files module asks the modules that know: questions about a file or a
lesson it does not own. The answering modules are listed in ``lms/wiring.py``; any
true answer grants."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from lms.core.deps import Principal
from lms.core.events import Question


@dataclass(frozen=True, kw_only=True, slots=True)
class FileReadAsked(Question):
    """May this signed-in caller, who neither uploaded the private file nor is an
    admin, read it? (A lesson's material for the course's students, work handed in for
    its grader.) ``lesson_id`` is the lesson the file is attached to, if any."""

    name: ClassVar[str] = "file.read.v1"
    principal: Principal
    file_id: uuid.UUID
    lesson_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True, slots=True)
class LessonAttachmentAsked(Question):
    """May this instructor attach a file to this lesson as course material? (Admins
    always may, students never.) No answer, or a lesson nobody knows, is a no."""

    name: ClassVar[str] = "file.lesson_attachment.v1"
    principal: Principal
    lesson_id: uuid.UUID
