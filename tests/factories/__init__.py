"""Factories for the rows the tests need, one module per subject.

Most write through the HTTP API, as a client would, and return the JSON the API
answered; a few build ORM rows directly where a test needs exact dates, statuses or
scores (``*_row``). Each call asserts that the API accepted it, so a broken
arrangement fails where it happens, not later in the test.

- ``api``: who calls (``Caller``) and ``ok``, the one check of an answer
- ``accounts``: users, logins, MFA
- ``courses``: courses and lessons
- ``enrollments``: enrolling, completing lessons, a student's courses
- ``quizzes``: quizzes, questions, a ready classroom, attempts
- ``certificates``: generating and listing certificates
- ``payments``: payments, provider webhooks, subscriptions
- ``files``: sample file contents and uploads
- ``outbox``: outbox messages
"""
