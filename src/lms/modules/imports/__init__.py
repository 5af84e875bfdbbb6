"""Imports: a course's roster or accounts from a CSV file, planned by a dry run or run
as a job in committed chunks by a worker (resumable), with the refused lines kept.

Uses the surfaces of users (finding and inviting accounts), auth (invitations),
courses (cohorts, the team) and enrollments (enrolling). Public surface: ``routers``
for the application, ``run_file`` for the ``lms import`` command, and the events it
publishes (``ImportStarted``, ``ImportFinished``).

``PERSONAL_DATA``: how it exports and erases what it holds about a person
(``lms.core.privacy``; registered in ``lms/wiring.py``).
"""

from lms.modules.imports.events import ImportFinished, ImportStarted
from lms.modules.imports.privacy import PERSONAL_DATA
from lms.modules.imports.router import routers
from lms.modules.imports.service.cli import ImportSummary, run_file

__all__ = [
    "PERSONAL_DATA",
    "ImportFinished",
    "ImportStarted",
    "ImportSummary",
    "routers",
    "run_file",
]
