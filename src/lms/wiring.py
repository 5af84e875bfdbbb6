"""Who reacts to what: every subscription of the application, in one place.

A module publishes domain events about its own changes (``lms.core.events``) and never
imports the modules that react to them; this file says which module reacts to which
event, question or SQL condition, in the order the subscribers run. The application
(``lms.main.create_app``) and the worker (``lms worker``, through ``load_modules``) both
call ``wire``. To follow a workflow across modules (a payment that enrolls, a last
lesson that issues a certificate), read it here from top to bottom.

| event or question            | published by  | subscribers                          |
|------------------------------|---------------|--------------------------------------|
| payment.succeeded.v1         | payments      | enrollments (enrolls)                |
| payment.refunded.v1          | payments      | enrollments (drops, if configured)   |
| assignment.graded.v1         | assignments   | enrollments (completes the lesson),  |
|                              |               | grades (grade history)               |
| quiz.attempt.graded.v1       | quizzes       | enrollments (completes the lesson),  |
|                              |               | grades (history of hand grading)     |
| grade.overridden.v1          | grades        | webhooks                             |
| enrollment.completed.v1      | enrollments   | certificates (queues the certificate)|
| enrollment.paid_access.v1 ?  | enrollments   | payments                             |
| lesson.created.v1            | courses       | enrollments (progress rows)          |
| lesson.deleted.v1            | courses       | enrollments (recount, completions)   |
| course.deleting.v1 (guard)   | courses       | enrollments, payments (refuse)       |
| course.material_access.v1 ?  | courses (SQL) | enrollments                          |
| file.read.v1 ?               | files         | enrollments, assignments             |
| file.lesson_attachment.v1 ?  | files         | courses                              |
| every event of the webhook   | users, courses, enrollments, quizzes, assignments,   |
| catalogue (user.created.v1…) | certificates, payments → webhooks (last: outbox row) |
"""

from __future__ import annotations

from lms.core import events
from lms.modules import (
    assignments,
    certificates,
    courses,
    enrollments,
    files,
    grades,
    payments,
    quizzes,
    webhooks,
)


def wire(bus: events.EventBus = events.bus) -> None:
    """Subscribe every module's subscribers (once per bus)."""
    if bus.wired:
        return
    bus.wired = True

    # Paying for a course, learning it, earning its certificate.
    # A succeeded payment enrolls the payer (a paid seat is honoured even if the course
    # was unpublished since; a seat dropped by a refund is given back). A refusal is
    # recorded on the provider's event and the payment stays succeeded.
    bus.subscribe(payments.PaymentSucceeded, enrollments.enroll_after_payment)
    # A full refund takes the seat back when LMS_REFUND_REVOKES_ENROLLMENT says so.
    bus.subscribe(payments.PaymentRefunded, enrollments.drop_after_refund)
    # Enrolling in a paid course directly: the student must have paid for it, or hold a
    # subscription that covers it.
    bus.answer(enrollments.PaidAccessAsked, payments.has_paid_for_course)
    # Passed work completes its lesson: an assignment graded at or above the lesson's
    # threshold, a graded (not practice) quiz passed.
    bus.subscribe(assignments.AssignmentGraded, enrollments.complete_lesson_after_assignment)
    bus.subscribe(quizzes.QuizAttemptGraded, enrollments.complete_lesson_after_quiz)
    # The gradebook keeps every grade change: who, when, before and after (a quiz
    # attempt marked automatically on submission is not a change and costs nothing).
    bus.subscribe(assignments.AssignmentGraded, grades.record_assignment_grade)
    bus.subscribe(quizzes.QuizAttemptGraded, grades.record_quiz_regrade)
    # The last lesson completes the enrollment (the course-completed email is queued
    # first); the certificate's issue job is queued in the same transaction.
    bus.subscribe(enrollments.EnrollmentCompleted, certificates.queue_certificate)

    # Courses and what follows their lessons.
    # Who may read a course's material (and see it while it is a draft): its students,
    # asked inside the statement that reads the lesson.
    bus.answer_in_sql(courses.MaterialAccess, enrollments.students_have_access)
    # A new lesson: every enrolled student gets a progress row for it.
    bus.subscribe(courses.LessonCreated, enrollments.add_lesson_to_enrollments)
    # A deleted lesson: the enrollments are recounted; some may complete by it.
    bus.subscribe(courses.LessonDeleted, enrollments.recount_after_lesson_deleted)
    # A course is deleted only when nobody is enrolled and nobody has paid for it.
    bus.subscribe(courses.CourseDeleting, enrollments.refuse_deleting_course_with_students)
    bus.subscribe(courses.CourseDeleting, payments.refuse_deleting_paid_course)

    # Files: who reads a private file besides its uploader and admins. The students of
    # the course whose lesson it is attached to, and the instructor grading the work it
    # was handed in with.
    bus.answer(files.FileReadAsked, enrollments.students_read_course_materials)
    bus.answer(files.FileReadAsked, assignments.graders_read_handed_in_files)
    # Who attaches a file to a lesson (besides admins): the course's instructor.
    bus.answer(files.LessonAttachmentAsked, courses.course_managers_attach_files)

    # Outbound webhooks hear every event of their catalogue, after the modules above have
    # reacted (a payment's enrollment is written before the payment's message). When an
    # enabled endpoint wants the event, its message goes to the outbox in the same
    # transaction; otherwise nothing is written.
    for event_type in webhooks.EVENT_CLASSES:
        bus.subscribe(event_type, webhooks.record_event)
