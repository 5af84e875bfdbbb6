"""Analytics: three-tier dashboards computed in SQL.

A student's own progress, a course's and an instructor's figures (for the owner or an
admin) and the platform overview (admins), served by ``router`` through ``service``.
Analytics owns no table and offers nothing to other modules: its surface is ``routers``,
for the application.

The one written exception to the module boundary: reporting reads
-----------------------------------------------------------------
Every other module reaches another only through its public surface. Analytics may
also read other modules' tables directly, because its figures are aggregates across
them (a course's enrollments with their lesson progress, quiz attempts and payments;
distinct students over an instructor's courses; the platform by role, status, day and
month) that no module's service can compute without loading rows into Python, and
that must stay one round trip per group of figures to meet the latency targets.

The exception is held narrow:

- Only ``analytics.repository`` (every file of that package) and ``analytics.models``
  may import another module's ``models``, and nothing else of it (not its repository,
  service internals or router). ``analytics.service`` and ``analytics.router`` follow
  the ordinary rule. ``tests/core/test_architecture.py`` checks this
  (``REPORTING_READERS``).
- The repository only reads: SELECT statements of counts, sums and window functions
  over ``users``, ``courses``, ``lessons``, ``enrollments``, ``lesson_progress``,
  ``quizzes``, ``quiz_attempts``, ``payments`` and ``certificates``. It never writes,
  locks or returns ORM instances; its results are plain rows the service turns into
  this module's schemas.
- ``analytics.models`` declares the reporting indexes those reads rely on, on the
  tables they read (created by the migration ``0008_analytics_reporting_indexes``).
- The access rules come from the owners' services (``courses`` decides who manages a
  course, ``users`` who is an instructor), never from these reads.
"""

from lms.modules.analytics.router import routers

__all__ = ["routers"]
