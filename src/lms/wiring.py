"""Who reacts to what: every subscription of the application, in one place.

A module publishes domain events about its own changes (``lms.core.events``) and never
imports the modules that react to them; this file says which module reacts to which
event, question or SQL condition, in the order the subscribers run. The application
(``lms.main.create_app``) and the worker (``lms worker``, through ``load_modules``) both
call ``wire``. To follow a workflow across modules (a payment that enrolls, a last
lesson that issues a certificate), read it here from top to bottom.
"""

from __future__ import annotations

from lms.core import events
from lms.modules import assignments, certificates, courses, enrollments, files, payments


def wire(bus: events.EventBus = events.bus) -> None:
    """Subscribe every module's subscribers (once per bus)."""
    if bus.wired:
        return
    bus.wired = True

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

    # Enrolling in a paid course: the student must have paid for it, or hold a
    # subscription that covers it.
    bus.answer(enrollments.PaidAccessAsked, payments.has_paid_for_course)
    # A completed enrollment earns its certificate: the issue job is queued in the
    # transaction of the completion, after the course-completed email.
    bus.subscribe(enrollments.EnrollmentCompleted, certificates.queue_certificate)
