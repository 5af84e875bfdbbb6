"""Files: uploads to the configured storage, metadata, downloads and who may read them.

Public surface: ``FileSummary``, the read model of a stored file, found for a caller
who may read it (``get_readable_file_or_raise``, else ``FileNotFound``); the questions
this module asks the modules that know (``FileReadAsked``: may this caller read this
private file?, ``LessonAttachmentAsked``: may this instructor attach files to this
lesson?); ``routers`` for the application.

``PERSONAL_DATA``: how it exports and erases what it holds about a person
(``lms.core.privacy``; registered in ``lms/wiring.py``).
"""

from lms.modules.files.events import FileReadAsked, LessonAttachmentAsked
from lms.modules.files.privacy import PERSONAL_DATA
from lms.modules.files.router import routers
from lms.modules.files.schemas import FileSummary
from lms.modules.files.service import FileNotFound, get_readable_file_or_raise

__all__ = [
    "PERSONAL_DATA",
    "FileNotFound",
    "FileReadAsked",
    "FileSummary",
    "LessonAttachmentAsked",
    "get_readable_file_or_raise",
    "routers",
]
