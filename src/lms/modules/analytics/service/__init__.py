"""Analytics for the three tiers: a student's own progress (``student``), a course or an
instructor's courses for their owner or an admin (``course``, ``instructor``), and the
platform for admins (``system``).

The database does the counting (see ``repository``); this layer decides who may see
what, turns sums and counts into percentages and averages (``figures``: ``Decimal``, two
places), lays the time series out on a calendar (``trends``) and caches each result
briefly, after the access check (``caching``).
"""

from __future__ import annotations

from lms.modules.analytics.service.course import compute_course_analytics, course_analytics
from lms.modules.analytics.service.instructor import instructor_overview
from lms.modules.analytics.service.roster import roster_csv, roster_filter, roster_page
from lms.modules.analytics.service.student import student_dashboard, student_progress
from lms.modules.analytics.service.system import system_overview
from lms.modules.analytics.service.trends import MAX_WINDOW_DAYS

__all__ = [
    "MAX_WINDOW_DAYS",
    "compute_course_analytics",
    "course_analytics",
    "instructor_overview",
    "roster_csv",
    "roster_filter",
    "roster_page",
    "student_dashboard",
    "student_progress",
    "system_overview",
]
