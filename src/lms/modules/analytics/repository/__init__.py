"""Reporting queries over the other modules' tables.

This package is the one place outside a module that reads its tables: analytics only
reads (never writes) and aggregates across modules, which their services cannot do
without loading rows into Python (see ``lms.modules.analytics``). Every figure is an
aggregate computed by the database (COUNT / SUM with FILTER, GROUP BY, window
functions), one round trip per group of figures. The same statements run on SQLite and
PostgreSQL except where ``dialect`` says otherwise; both give the same figures (the
exact-figure tests run on both databases).

One file per report: ``student``, ``course``, ``instructor``, ``revenue``, ``system``
and ``trends``; ``aggregates`` holds the figures several of them share.

The service calls these functions through this package (``repository.course_scores``),
so that a test or the benchmark can replace or label one of them in one place.
"""

from __future__ import annotations

# The reporting indexes these queries rely on (declared on the tables they index).
from lms.modules.analytics.models import REPORTING_INDEXES  # noqa: F401
from lms.modules.analytics.repository.aggregates import SCORE_BUCKETS
from lms.modules.analytics.repository.course import (
    course_enrollments,
    course_lessons,
    course_quizzes,
    course_scores,
)
from lms.modules.analytics.repository.dialect import as_date, as_decimal, without_jit
from lms.modules.analytics.repository.instructor import (
    instructor_course_scores,
    instructor_courses,
    instructor_totals,
)
from lms.modules.analytics.repository.revenue import revenue, revenue_overview
from lms.modules.analytics.repository.roster import RosterFilter, roster_page, roster_rows
from lms.modules.analytics.repository.student import (
    student_courses,
    student_recent_activity,
    student_summary,
)
from lms.modules.analytics.repository.system import (
    course_counts,
    enrollments_by_status,
    users_by_role,
)
from lms.modules.analytics.repository.trends import enrollment_trend

__all__ = [
    "SCORE_BUCKETS",
    "RosterFilter",
    "as_date",
    "as_decimal",
    "course_counts",
    "course_enrollments",
    "course_lessons",
    "course_quizzes",
    "course_scores",
    "enrollment_trend",
    "enrollments_by_status",
    "instructor_course_scores",
    "instructor_courses",
    "instructor_totals",
    "revenue",
    "revenue_overview",
    "roster_page",
    "roster_rows",
    "student_courses",
    "student_recent_activity",
    "student_summary",
    "users_by_role",
    "without_jit",
]
