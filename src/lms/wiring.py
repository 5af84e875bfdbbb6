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
| course.lesson_done.v1 ?      | courses (SQL) | enrollments                          |
| course.learner_started_at.v1 | courses (SQL) | enrollments (a value)                |
| course.learner_cohort.v1     | courses (SQL) | enrollments (a value)                |
| file.read.v1 ?               | files         | enrollments, assignments             |
| file.lesson_attachment.v1 ?  | files         | courses                              |
| email recipient's language   | emails        | users (locale and time zone by email)|
| schedule.work_handed_in.v1 ? | schedules(SQL)| quizzes, assignments                 |
| schedule.item_listed.v1 ?    | schedules(SQL)| quizzes, assignments                 |
| every event of the webhook   | users, courses, enrollments, quizzes, assignments,   |
| catalogue (user.created.v1…) | certificates, payments → webhooks (last: outbox row) |
| user.role_changed.v1         | users         | audit                                |
| user.activated.v1            | users         | audit                                |
| user.deactivated.v1          | users         | audit (and webhooks)                 |
| user.mfa_disabled.v1         | users         | audit                                |
| course.published.v1, course.unpublished.v1 | courses | audit (and webhooks)         |
| course.deleting.v1 (guard)   | courses       | audit, after the guards              |
| course.staff_changed.v1      | courses       | audit                                |
| course.ownership_transferred.v1 | courses    | audit                                |
| enrollment.changed_by_staff.v1 | enrollments | audit                                |
| quiz.attempt.graded.v1       | quizzes       | audit (staff or system grading)      |
| assignment.graded.v1         | assignments   | audit                                |
| payment.refunded.v1          | payments      | audit                                |
| certificate.issued.v1, certificate.revoked.v1 | certificates | audit               |
| import.started.v1, import.finished.v1 | imports | audit                             |
| webhook.endpoint_changed.v1  | webhooks      | audit                                |
| outbox.message_retried.v1    | admin         | audit                                |
| grade.overridden.v1          | grades        | audit (and webhooks)                 |
| user.erased.v1               | users         | audit (and webhooks)                 |

Personal data (``lms.core.privacy``): every module that holds some about a person
registers its exporter and eraser in ``personal_data``, in the order an erasure runs
them (see the end of ``wire``).
"""

from __future__ import annotations

from lms.core import events, privacy
from lms.modules import (
    admin,
    assignments,
    audit,
    auth,
    certificates,
    courses,
    emails,
    enrollments,
    files,
    grades,
    imports,
    payments,
    quizzes,
    schedules,
    users,
    webhooks,
)
from lms.modules import privacy as privacy_module


def wire(
    bus: events.EventBus = events.bus,
    personal_data: privacy.PersonalDataRegistry = privacy.registry,
) -> None:
    """Subscribe every module's subscribers (once per bus) and register every module's
    personal data handler."""
    register_personal_data(personal_data)
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
    # Drip release: what a student has completed, when their access started and their
    # cohort (whose start date some lessons count from), asked inside the statement that
    # reads a course's unlock rules.
    bus.answer_in_sql(courses.LessonDone, enrollments.students_complete_lessons)
    bus.answer_value_in_sql(courses.LearnerStartedAt, enrollments.students_start_at_enrollment)
    bus.answer_value_in_sql(courses.LearnerCohort, enrollments.students_cohort)
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

    # Schedules: a due-soon reminder goes only to a student who has not handed the item
    # in, and calendars and reminders list only what students see (a published quiz, an
    # assignment lesson); the items' modules answer in SQL.
    bus.answer_in_sql(schedules.WorkHandedIn, quizzes.quiz_handed_in)
    bus.answer_in_sql(schedules.WorkHandedIn, assignments.assignment_handed_in)
    bus.answer_in_sql(schedules.ItemListed, quizzes.published_quiz_listed)
    bus.answer_in_sql(schedules.ItemListed, assignments.assignment_listed)

    # Outbound webhooks hear every event of their catalogue, after the modules above have
    # reacted (a payment's enrollment is written before the payment's message). When an
    # enabled endpoint wants the event, its message goes to the outbox in the same
    # transaction; otherwise nothing is written.
    for event_type in webhooks.EVENT_CLASSES:
        bus.subscribe(event_type, webhooks.record_event)

    # The audit log: what staff, admins and the system did, written in the transaction
    # of the change (a refused change leaves no entry). After the reactions above, so a
    # course deletion's entry follows the guards that may refuse it.
    bus.subscribe(users.UserRoleChanged, audit.record_user_role_changed)
    bus.subscribe(users.UserActivated, audit.record_user_activated)
    bus.subscribe(users.UserDeactivated, audit.record_user_deactivated)
    bus.subscribe(users.UserMfaDisabled, audit.record_mfa_disabled)
    bus.subscribe(courses.CoursePublished, audit.record_course_published)
    bus.subscribe(courses.CourseUnpublished, audit.record_course_unpublished)
    bus.subscribe(courses.CourseDeleting, audit.record_course_deleted)
    bus.subscribe(courses.CourseStaffChanged, audit.record_staff_changed)
    bus.subscribe(courses.CourseOwnershipTransferred, audit.record_ownership_transferred)
    bus.subscribe(enrollments.StaffEnrollmentChanged, audit.record_staff_enrollment)
    bus.subscribe(quizzes.QuizAttemptGraded, audit.record_quiz_graded)
    bus.subscribe(assignments.AssignmentGraded, audit.record_assignment_graded)
    bus.subscribe(payments.PaymentRefunded, audit.record_refund)
    bus.subscribe(certificates.CertificateIssued, audit.record_certificate_issued)
    bus.subscribe(certificates.CertificateRevoked, audit.record_certificate_revoked)
    bus.subscribe(imports.ImportStarted, audit.record_import_started)
    bus.subscribe(imports.ImportFinished, audit.record_import_finished)
    bus.subscribe(webhooks.WebhookEndpointChanged, audit.record_webhook_endpoint_changed)
    bus.subscribe(admin.OutboxMessageRetried, audit.record_outbox_retry)
    bus.subscribe(grades.GradeOverridden, audit.record_grade_overridden)
    bus.subscribe(users.UserErased, audit.record_user_erased)

    # Emails are written in their recipient's language and time zone, which the users
    # module knows by address (read by the send job, after the commit).
    emails.use_recipient_lookup(users.recipient_preferences)


def register_personal_data(personal_data: privacy.PersonalDataRegistry) -> None:
    """Who exports and erases what a module holds about a person, in the order an
    erasure runs them: the modules that find the person's rows by their email or name
    (payments' provider events, imports' refused lines, webhook payloads, the emails
    addressed to them, an admin's reason) run before the users module, which anonymises
    the account last; the export writes the modules' files in this order too. The audit
    log's handler goes before users as well."""
    for handler in (
        courses.PERSONAL_DATA,
        enrollments.PERSONAL_DATA,
        quizzes.PERSONAL_DATA,
        assignments.PERSONAL_DATA,
        schedules.PERSONAL_DATA,
        grades.PERSONAL_DATA,
        certificates.PERSONAL_DATA,
        files.PERSONAL_DATA,
        payments.PERSONAL_DATA,
        imports.PERSONAL_DATA,
        webhooks.PERSONAL_DATA,
        privacy_module.OUTBOX_EMAILS,
        privacy_module.PERSONAL_DATA,
        audit.PERSONAL_DATA,
        auth.PERSONAL_DATA,
        users.PERSONAL_DATA,
    ):
        personal_data.register(handler)
