"""LMS backend: courses, lessons, quizzes, certificates and payments behind one API."""

__version__ = "0.1.0"
