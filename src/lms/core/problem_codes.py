"""The machine ``code`` of every problem the API answers with, and what it means.

Read from the source itself, so the published list cannot fall behind: every
``AppError`` subclass's ``code`` with its ``detail``, every ``code="…"`` given where an
error is raised or a problem built (its message when one is written beside it), and
the codes of the core's own handlers. Published in the OpenAPI document
(``info.description`` and ``x-problem-codes``) and in the README; a problem's ``type``
is ``urn:lms:problem:<code>``.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

TYPE_PREFIX = "urn:lms:problem:"

# Codes the core answers with outside an error class or a call naming them.
_CORE = {
    "http_error": "An HTTP error without a more specific code.",
    "internal_error": "An unexpected error; the request id in X-Request-ID finds it in the logs.",
    "method_not_allowed": "The path does not answer this method; Allow lists the ones it does.",
    "validation_error": "The input is invalid; `errors` lists every invalid field.",
}

# What a code means where the code raising it builds its message from the request.
_FALLBACK = {
    "content_mismatch": "The file's content does not match its extension.",
    "extension_not_allowed": "The file's extension is not one the server accepts.",
    "file_too_large": "The file is larger than LMS_MAX_UPLOAD_MB.",
    "import_too_large": "The import file is larger than LMS_IMPORT_MAX_MB.",
    "invalid_answer": "An answer is not valid for its question's type.",
    "invalid_question": "The question's options or correct answer do not fit its type.",
    "invalid_upload": "The upload form is not valid.",
    "invalid_webhook_url": "The webhook URL is not one deliveries may be sent to.",
    "invalid_window": "The date window is not valid.",
    "provider_not_configured": "This payment provider is not configured on this server.",
    "refund_too_large": "The refund is more than is left to refund.",
    "subscription_not_cancelable": "This subscription cannot be canceled now.",
    "unknown_event_type": "An event type is not in the webhook catalogue.",
    "unknown_plan": "No subscription plan has this name.",
    "unpayable_amount": "The amount cannot be charged in this currency.",
}


def problem_type(code: str) -> str:
    """The problem's ``type`` URI: it names the code."""
    return TYPE_PREFIX + code


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):  # an f-string: its literal parts
        parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
        return "…".join(str(p) for p in parts) or None
    return None


def _from_class(node: ast.ClassDef, found: dict[str, str]) -> None:
    code = detail = None
    for statement in node.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name) and target.id == "code":
                code = _string(statement.value)
            elif isinstance(target, ast.Name) and target.id == "detail":
                detail = _string(statement.value)
    if code:
        found.setdefault(code, detail or "")


def _from_call(node: ast.Call, found: dict[str, str]) -> None:
    for keyword in node.keywords:
        if keyword.arg == "code":
            code = _string(keyword.value)
            if code and code.isidentifier():
                message = _string(node.args[-1]) if node.args else None
                if not found.get(code):
                    found[code] = message or ""


@lru_cache
def problem_codes() -> dict[str, str]:
    """Every problem code, sorted, with what it means."""
    root = Path(__file__).resolve().parent.parent
    found: dict[str, str] = dict(_CORE)
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                _from_class(node, found)
            elif isinstance(node, ast.Call):
                _from_call(node, found)
    return {
        code: " ".join((found[code] or _FALLBACK.get(code, "")).split()) for code in sorted(found)
    }


def markdown_table() -> str:
    rows = ["| code | meaning |", "|---|---|"]
    for code, meaning in problem_codes().items():
        rows.append(f"| `{code}` | {meaning.replace('|', '/')} |")
    return "\n".join(rows)


# Raised with a message that never reaches a problem's ``detail`` as written: Python's
# own exceptions (a validator's ValueError reaches the client as Pydantic's per-field
# message), and the internal ones whose text is quoted inside another message (a
# question's definition, an answer) or kept in an import's report (a refused row).
_NOT_PROBLEMS = frozenset(
    {
        "AnswerError",
        "AssertionError",
        "DefinitionError",
        "DisconnectionError",
        "Exception",
        "InterruptedError",
        "KeyError",
        "OSError",
        "RedisConnectionError",
        "Refused",
        "RuntimeError",
        "TypeError",
        "ValueError",
    }
)


_MEANING_TABLES = frozenset({"_CORE", "_FALLBACK"})


def problem_messages(source: str) -> list[tuple[int, str]]:
    """The problem texts written in one source file, with their line numbers: every
    error class's ``detail``, the literal message of every raised error and of every
    call naming a ``code=`` (an f-string as its literal parts joined by "…", which is how
    a code's meaning is written), and, in this file, the meanings written here."""
    found: list[tuple[int, str]] = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and len(statement.targets) == 1
                    and isinstance(statement.targets[0], ast.Name)
                    and statement.targets[0].id == "detail"
                ):
                    text = _string(statement.value)
                    if text:
                        found.append((statement.lineno, text))
        elif (
            isinstance(node, ast.Raise)
            and isinstance(node.exc, ast.Call)
            and node.exc.args
            and ast.unparse(node.exc.func).rsplit(".", 1)[-1] not in _NOT_PROBLEMS
        ):
            first = node.exc.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((first.lineno, first.value))
        elif isinstance(node, ast.Call) and node.args:
            if any(k.arg == "code" and _string(k.value) for k in node.keywords):
                text = _string(node.args[-1])
                if text:
                    found.append((node.args[-1].lineno, text))
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Dict)
            and any(
                isinstance(t, ast.Name) and t.id in {"_CORE", "_FALLBACK"} for t in node.targets
            )
        ):
            for value in node.value.values:
                text = _string(value)
                if text:
                    found.append((value.lineno, text))
    return [(line, " ".join(text.split())) for line, text in found]
