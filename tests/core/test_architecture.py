"""The module boundaries of DESIGN.md, checked on the source so they cannot drift.

A business module reaches another module only through its ``service.py`` or
``schemas.py``; its models, repository and router stay private. Only the app factory
(``main.py``, which mounts routers) and the migration environment (which loads every
model) see more. The layers inside a module are held by import-linter (pyproject.toml).

One narrow exception: reporting. Analytics aggregates across every module's tables
(counts, sums, trends), which no module's service can offer without loading rows into
Python. Its repository package (every file of it: the read-only aggregate SQL) and its
models (the reporting indexes it declares on those tables) may import other modules'
``models`` — nothing else of theirs, and no other analytics file may. The exception is
written down in ``lms/modules/analytics/__init__.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lms

SRC = Path(lms.__file__).parent
PUBLIC_PARTS = {"service", "schemas"}
# Read-only reporting: may also import other modules' models (see the module docstring).
# Each name covers the module and, for a package, every module inside it.
REPORTING_READERS = ("lms.modules.analytics.repository", "lms.modules.analytics.models")
# Files outside lms.modules allowed to reach into any module.
WIRING = {SRC / "main.py", SRC / "migrations" / "env.py"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module_name: str, *, is_package: bool = False) -> set[str]:
    """Every module an import statement of ``source`` names (``from a import b`` names
    ``a.b`` as well, since ``b`` may be a module)."""
    package = module_name if is_package else module_name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                found.add(f"{base}.{alias.name}")
    return found


def is_reporting_reader(module_name: str) -> bool:
    """Whether ``module_name`` is one of ``REPORTING_READERS`` or inside one of them."""
    return any(
        module_name == reader or module_name.startswith(f"{reader}.")
        for reader in REPORTING_READERS
    )


def boundary_violations(source: str, module_name: str, *, is_package: bool = False) -> list[str]:
    """Imports of another business module's private parts from ``module_name``."""
    parts = module_name.split(".")
    own = parts[2] if parts[:2] == ["lms", "modules"] and len(parts) > 2 else None
    problems = []
    for target in sorted(imported_modules(source, module_name, is_package=is_package)):
        target_parts = target.split(".")
        if target_parts[:2] != ["lms", "modules"] or len(target_parts) == 2:
            continue
        if target_parts[2] == own:
            continue
        if len(target_parts) >= 4 and target_parts[3] in PUBLIC_PARTS:
            continue
        if (
            is_reporting_reader(module_name)
            and len(target_parts) >= 4
            and target_parts[3] == "models"
        ):
            continue
        problems.append(f"{module_name} imports {target}")
    return problems


def _python_files() -> list[Path]:
    return sorted(path for path in SRC.rglob("*.py") if "versions" not in path.parts)


def test_modules_reach_each_other_only_through_service_or_schemas() -> None:
    problems = []
    for path in _python_files():
        if path in WIRING:
            continue
        problems += boundary_violations(
            path.read_text(), _module_name(path), is_package=path.name == "__init__.py"
        )
    assert problems == [], "\n".join(problems)


def test_the_check_catches_what_it_should() -> None:
    """The checker itself, on examples of each way to spell an import."""
    name = "lms.modules.auth.service"
    allowed = """
from lms.modules.users import service as users
from lms.modules.users.schemas import UserRead
import lms.modules.emails.service
from lms.modules.auth.models import OneTimeCode
from . import repository
from lms.core.db import utcnow
"""
    assert boundary_violations(allowed, name) == []
    for bad in (
        "from lms.modules.users.models import User",
        "from lms.modules.users import models",
        "from lms.modules.users import repository, service",
        "import lms.modules.users.repository",
        "from ..users.models import User",
        "from ..users import router",
        "def f():\n    from lms.modules.users.models import User",
        "from lms.modules import users",
    ):
        assert boundary_violations(bad, name), bad


def test_the_reporting_exception_is_narrow() -> None:
    """Analytics' repository package and its models read other modules' models; nothing
    more, and no other analytics module."""
    reads_models = "from lms.modules.enrollments.models import Enrollment, LessonProgress"
    for reader in (
        "lms.modules.analytics.repository",
        "lms.modules.analytics.repository.course",
        "lms.modules.analytics.models",
    ):
        assert boundary_violations(reads_models, reader) == [], reader
    for other in (
        "lms.modules.analytics",
        "lms.modules.analytics.service",
        "lms.modules.analytics.service.course",
        "lms.modules.analytics.router",
        "lms.modules.analytics.schemas",
        # A prefix of the name is not enough: it must be the package or inside it.
        "lms.modules.analytics.repository_cache",
        "lms.modules.analytics.models_extra",
        "lms.modules.payments.repository",
        "lms.modules.payments.repository.course",
    ):
        assert boundary_violations(reads_models, other), other
    for bad in (
        "from lms.modules.enrollments import repository",
        "from lms.modules.enrollments.repository import course_stats",
        "from lms.modules.courses.router import router",
    ):
        assert boundary_violations(bad, "lms.modules.analytics.repository"), bad
        assert boundary_violations(bad, "lms.modules.analytics.repository.student"), bad


def test_the_reporting_readers_are_the_repository_package_and_models() -> None:
    """Of analytics' own files, exactly the repository package and the models are
    reporting readers: a file moved out of the package loses the exception."""
    analytics = SRC / "modules" / "analytics"
    names = {_module_name(path) for path in analytics.rglob("*.py")}
    repository_files = {_module_name(path) for path in (analytics / "repository").rglob("*.py")}
    assert len(repository_files) > 1  # the package and its files
    readers = {name for name in names if is_reporting_reader(name)}
    assert readers == repository_files | {"lms.modules.analytics.models"}


def test_core_imports_no_business_module() -> None:
    """Also held by import-linter; repeated here for imports inside functions."""
    problems = []
    for path in sorted((SRC / "core").rglob("*.py")):
        for target in imported_modules(path.read_text(), _module_name(path)):
            if target.startswith("lms.modules"):
                problems.append(f"{_module_name(path)} imports {target}")
    assert problems == [], "\n".join(problems)
