"""What a dependency adds to the OpenAPI operation of every route that uses it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])

_OPERATION_OPENAPI = "__lms_operation_openapi__"


def documents_operation(dependency: EndpointT, extra: dict[str, Any]) -> EndpointT:
    """Mark a dependency whose routes add ``extra`` to their OpenAPI operation: what a
    dependency FastAPI documents by itself (a security scheme) would have added, for one
    that does the same work without being one."""
    setattr(dependency, _OPERATION_OPENAPI, extra)
    return dependency


def operation_openapi(dependant: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for dependency in dependant.dependencies:
        extra.update(operation_openapi(dependency))
        extra.update(getattr(dependency.call, _OPERATION_OPENAPI, {}))
    return extra


# --- the document as client generators read it -------------------------------------------

_EXAMPLE_STRINGS = {
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "date-time": "2026-01-15T09:30:00Z",
    "date": "2026-01-15",
    "email": "student@example.com",
    "uri": "https://lms.example.com/resource",
    "binary": "",
}


def example_of(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A value that satisfies ``schema``: its own example or default where it has one,
    otherwise built from its type, format, enumeration and bounds."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example_of(components.get(name, {}), components, depth + 1)
    if schema.get("examples"):
        examples = schema["examples"]
        return examples[0] if isinstance(examples, list) else next(iter(examples.values()))
    if "example" in schema:
        return schema["example"]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            options = [o for o in schema[combined] if o.get("type") != "null"]
            return example_of(options[0], components, depth + 1) if options else None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 6:
            return {}
        return {
            name: example_of(field, components, depth + 1)
            for name, field in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [] if depth > 6 else [example_of(schema.get("items", {}), components, depth + 1)]
    if kind == "integer":
        return int(schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1))
    if kind == "number":
        return schema.get("minimum", 10.5)
    if kind == "boolean":
        return True
    if kind == "string":
        if schema.get("format") in _EXAMPLE_STRINGS:
            return _EXAMPLE_STRINGS[schema["format"]]
        if "pattern" in schema and "decimal" in schema.get("description", "").lower():
            return "10.00"
        return "string"[: schema.get("maxLength", 6)].ljust(schema.get("minLength", 0), "x")
    return None


def add_examples(document: dict[str, Any]) -> None:
    """Give every JSON request body and every successful JSON answer of ``document`` an
    example, where none is written already: what generators and documentation show."""
    components = document.get("components", {}).get("schemas", {})
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            media = operation.get("requestBody", {}).get("content", {})
            answers = [
                response.get("content", {})
                for status, response in operation.get("responses", {}).items()
                if status.startswith("2")
            ]
            for content in [media, *answers]:
                for media_type, entry in content.items():
                    if "json" in media_type and "schema" in entry and "example" not in entry:
                        entry["example"] = example_of(entry["schema"], components)


_HEADER_DOCS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "Strong entity tag of this answer: send it back in `If-None-Match` "
        "(304 when unchanged) or `If-Match` (412 when changed since)",
        "schema": {"type": "string"},
    },
    "Location": {"description": "The created resource", "schema": {"type": "string"}},
    "Link": {
        "description": "RFC 8288 links to the `first`, `prev`, `next` and `last` pages",
        "schema": {"type": "string"},
    },
}


def add_response_headers(document: dict[str, Any]) -> None:
    """Document the headers the route class adds: ``ETag`` on the answers that carry
    one, ``Location`` on a 201, ``Link`` on a page."""
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            parameters = {p.get("name") for p in operation.get("parameters", [])}
            for status, answer in operation.get("responses", {}).items():
                tagged = (method in ("get", "patch") and status == "200") or status == "201"
                if not tagged or "content" not in answer:
                    continue
                headers = answer.setdefault("headers", {})
                headers.setdefault("ETag", _HEADER_DOCS["ETag"])
                if status == "201":
                    headers.setdefault("Location", _HEADER_DOCS["Location"])
                if method == "get" and "page" in parameters:
                    headers.setdefault("Link", _HEADER_DOCS["Link"])
