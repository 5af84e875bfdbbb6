"""The event catalogue: every event type an endpoint may subscribe to, its description
and its JSON Schema (the envelope ``{id, type, timestamp, data}`` with ``data`` the
event's own fields, as ``Event.payload()`` serialises them)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from lms.core.events import Event
from lms.modules import (
    assignments,
    certificates,
    courses,
    enrollments,
    grades,
    payments,
    quizzes,
    users,
)

PING_TYPE = "webhook.ping.v1"

# Every event an endpoint may hear, in the order the documentation lists them.
EVENT_CLASSES: tuple[type[Event], ...] = (
    users.UserCreated,
    users.UserDeactivated,
    users.UserErased,
    courses.CoursePublished,
    courses.CourseUnpublished,
    enrollments.EnrollmentCreated,
    enrollments.EnrollmentCompleted,
    enrollments.EnrollmentDropped,
    enrollments.LessonCompleted,
    quizzes.QuizAttemptSubmitted,
    quizzes.QuizAttemptGraded,
    assignments.AssignmentSubmitted,
    assignments.AssignmentGraded,
    grades.GradeOverridden,
    certificates.CertificateIssued,
    certificates.CertificateRevoked,
    payments.PaymentSucceeded,
    payments.PaymentRefunded,
    payments.SubscriptionUpdated,
)


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    schema: dict[str, Any]


# What an integrator reads about each type (the event classes' docstrings are written for
# the modules that subscribe to them).
DESCRIPTIONS = {
    "user.created.v1": "An account was created, by self-registration or by an admin.",
    "user.deactivated.v1": "An admin deactivated an account; it can no longer sign in.",
    "user.erased.v1": "An account's personal data was erased (ids only): forget what "
    "you hold about this user.",
    "course.published.v1": "A draft course was published in the catalogue.",
    "course.unpublished.v1": "A published course went back to draft; enrollments are kept.",
    "enrollment.created.v1": "A student was enrolled in a course (by enrolling or paying).",
    "enrollment.completed.v1": "A student completed every lesson of a course.",
    "enrollment.dropped.v1": "An enrollment lost its access (its purchase was refunded).",
    "lesson.completed.v1": "A student completed a lesson for the first time.",
    "quiz.attempt.submitted.v1": "A student submitted a quiz attempt (`status` says whether "
    "it was graded at once or waits for a grader).",
    "quiz.attempt.graded.v1": "A quiz attempt was graded: score, percentage, passed.",
    "assignment.submitted.v1": "A student handed in (or replaced) work for an assignment.",
    "assignment.graded.v1": "An instructor graded a submission.",
    "grade.overridden.v1": "A student's course grade was set by hand (with the reason) or "
    "its override cleared: the grade before and after, in percent.",
    "certificate.issued.v1": "A certificate was issued for a completed enrollment.",
    "certificate.revoked.v1": "A certificate was revoked, with the reason given.",
    "payment.succeeded.v1": "A payment for a course succeeded (amount as a decimal string).",
    "payment.refunded.v1": "A payment was refunded in full.",
    "subscription.updated.v1": "A subscription changed state (status, renewal, cancellation).",
}


def _description(cls: type[Event]) -> str:
    return DESCRIPTIONS[cls.name]


def envelope_schema(name: str, description: str, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a whole message body of event type ``name``."""
    data = dict(data)
    definitions = data.pop("$defs", None)
    data.pop("title", None)
    data.pop("description", None)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:lms:webhooks:{name}",
        "title": name,
        "description": description,
        "type": "object",
        "required": ["id", "type", "timestamp", "data"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "description": "The message id (also `webhook-id`)."},
            "type": {"const": name},
            "timestamp": {"type": "string", "format": "date-time"},
            "data": {**data, "additionalProperties": False},
        },
    }
    if definitions:
        schema["$defs"] = definitions
    return schema


def _data_schema(cls: type[Event]) -> dict[str, Any]:
    schema: dict[str, Any] = TypeAdapter(cls).json_schema(mode="serialization")
    return schema


@functools.cache
def event_types() -> dict[str, EventType]:
    """Every event type by name (the ping first)."""
    found = {
        PING_TYPE: EventType(
            PING_TYPE,
            "A test message sent when an admin pings the endpoint; it carries the endpoint's id.",
            envelope_schema(
                PING_TYPE,
                "A test message.",
                {
                    "type": "object",
                    "required": ["endpoint_id"],
                    "properties": {"endpoint_id": {"type": "string", "format": "uuid"}},
                },
            ),
        )
    }
    for cls in EVENT_CLASSES:
        description = _description(cls)
        found[cls.name] = EventType(
            cls.name, description, envelope_schema(cls.name, description, _data_schema(cls))
        )
    return found


def subscribable_names() -> list[str]:
    """The names an endpoint may list in its filter (the ping always reaches it)."""
    return [cls.name for cls in EVENT_CLASSES]


def openapi_webhooks() -> dict[str, Any]:
    """The OpenAPI 3.1 ``webhooks`` section: one operation per event type, the request
    an endpoint receives."""
    section: dict[str, Any] = {}
    for event_type in event_types().values():
        schema = {k: v for k, v in event_type.schema.items() if k not in ("$schema", "$id")}
        section[event_type.name] = {
            "post": {
                "summary": event_type.name,
                "description": event_type.description
                + "\n\nSigned with the Standard Webhooks scheme: verify `webhook-signature` "
                "over `webhook-id.webhook-timestamp.body` with the endpoint's secret.",
                "operationId": f"webhook-{event_type.name}",
                "tags": ["webhooks"],
                "parameters": [
                    {"name": header, "in": "header", "required": True, "schema": {"type": "string"}}
                    for header in ("webhook-id", "webhook-timestamp", "webhook-signature")
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": schema}},
                },
                "responses": {"2XX": {"description": "Received; any other answer is retried."}},
            }
        }
    return section
