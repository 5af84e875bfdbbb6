"""Imports: a course's roster or accounts from a CSV file, planned by a dry run or run
as a job in committed chunks by a worker (resumable), with the refused lines kept.

Uses the surfaces of users (finding and inviting accounts), auth (invitations),
courses (cohorts, the team) and enrollments (enrolling). Public surface: ``routers``
for the application, ``run_file`` for the ``lms import`` command, and the events it
publishes (``ImportStarted``, ``ImportFinished``)."""

from lms.modules.imports.events import ImportFinished, ImportStarted
from lms.modules.imports.router import routers
from lms.modules.imports.service.cli import ImportSummary, run_file

__all__ = ["ImportFinished", "ImportStarted", "ImportSummary", "routers", "run_file"]
