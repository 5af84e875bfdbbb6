"""The module boundaries of DESIGN.md, checked on the source so they cannot drift.

1. A business module reaches another only through its package, ``from lms.modules
   import courses``, and uses only the names that package lists in ``__all__`` (its
   public surface). Its models, repository, service files and router stay private.
2. A public surface holds typed functions, frozen read models (frozen dataclasses or
   Pydantic models), events, errors and constants: never an ORM class, and no public
   function takes or returns one.

The application factory (``lms.main``) also mounts each module's ``routers`` from its
surface; nothing else may use them. The layers inside a module are held by
import-linter (pyproject.toml).

One written exception: reporting. Analytics aggregates across every module's tables
(counts, sums, trends), which no module's surface can offer without loading rows into
Python. Its reporting queries (the ``lms.modules.analytics.repository`` package) and its
models (the reporting indexes it declares on those tables) may import other modules'
``models``: nothing else of theirs, and no other analytics file may.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import lms
from lms.core.db import Base
from lms.main import load_modules

SRC = Path(lms.__file__).parent
MODULES = sorted(
    path.name
    for path in (SRC / "modules").iterdir()
    if path.is_dir() and (path / "__init__.py").exists()
)
REPORTING_PACKAGES = ("lms.modules.analytics.repository", "lms.modules.analytics.models")
# Names of a surface only the application factory may use.
FACTORY_ONLY = {"routers"}
FACTORY = "lms.main"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _own_module(module_name: str) -> str | None:
    parts = module_name.split(".")
    return parts[2] if parts[:2] == ["lms", "modules"] and len(parts) > 2 else None


def _is_reporting_reader(module_name: str) -> bool:
    return any(
        module_name == package or module_name.startswith(package + ".")
        for package in REPORTING_PACKAGES
    )


def _absolute(node: ast.ImportFrom, module_name: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = module_name if is_package else module_name.rpartition(".")[0]
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def boundary_violations(
    source: str,
    module_name: str,
    *,
    is_package: bool = False,
    surfaces: dict[str, set[str]] | None = None,
) -> list[str]:
    """Every way ``module_name`` reaches into another business module other than the
    names of its package's ``__all__``."""
    surfaces = surfaces if surfaces is not None else public_surfaces()
    own = _own_module(module_name)
    tree = ast.parse(source)
    problems: list[str] = []
    bound: dict[str, str] = {}  # local name -> the module package it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[:2] == ["lms", "modules"] and len(parts) > 2 and parts[2] != own:
                    problems.append(f"{module_name}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(node, module_name, is_package)
            parts = target.split(".")
            if parts[:2] != ["lms", "modules"]:
                continue
            if len(parts) == 2:  # from lms.modules import courses
                for alias in node.names:
                    if alias.name != own:
                        bound[alias.asname or alias.name] = alias.name
                continue
            if parts[2] == own:
                continue
            if _is_reporting_reader(module_name) and parts[3:4] == ["models"]:
                continue
            names = ", ".join(alias.name for alias in node.names)
            problems.append(f"{module_name}: from {target} import {names}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
        ):
            package = bound[node.value.id]
            if node.attr in FACTORY_ONLY and module_name == FACTORY:
                continue
            if node.attr not in surfaces.get(package, set()) or node.attr in FACTORY_ONLY:
                problems.append(f"{module_name}: {package}.{node.attr} is not public")
    return problems


def public_surfaces() -> dict[str, set[str]]:
    surfaces = {}
    for name in MODULES:
        package = importlib.import_module(f"lms.modules.{name}")
        surfaces[name] = set(getattr(package, "__all__", ()))
    return surfaces


def _python_files() -> list[Path]:
    return sorted(path for path in SRC.rglob("*.py") if "versions" not in path.parts)


def test_modules_reach_each_other_only_through_their_public_surface() -> None:
    surfaces = public_surfaces()
    problems = []
    for path in _python_files():
        problems += boundary_violations(
            path.read_text(),
            _module_name(path),
            is_package=path.name == "__init__.py",
            surfaces=surfaces,
        )
    assert problems == [], "\n".join(problems)


def test_every_module_declares_its_surface() -> None:
    missing = [
        name
        for name in MODULES
        if not hasattr(importlib.import_module(f"lms.modules.{name}"), "__all__")
    ]
    assert missing == []


def orm_class_names() -> set[str]:
    load_modules()  # every module's models mapped
    return {mapper.class_.__name__ for mapper in Base.registry.mappers}


def surface_problems(name: str, value: Any) -> list[str]:
    """Why ``value``, listed in a surface as ``name``, may not be public (empty if it
    may): ORM classes, mutable dataclasses, and functions whose signature names an ORM
    class."""
    if inspect.isclass(value):
        if issubclass(value, Base):
            return [f"{name} is an ORM class"]
        if dataclasses.is_dataclass(value) and not value.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            return [f"{name} is a dataclass that is not frozen"]
        if dataclasses.is_dataclass(value) or issubclass(value, BaseModel):
            return _names_orm(name, _field_annotations(value))
        return []
    if callable(value) and hasattr(value, "__annotations__"):
        return _names_orm(name, dict(value.__annotations__))
    return []


def _field_annotations(cls: type) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        found.update(getattr(klass, "__annotations__", {}))
    return found


def _names_orm(name: str, annotations: dict[str, Any]) -> list[str]:
    problems = []
    for where, annotation in annotations.items():
        text = annotation if isinstance(annotation, str) else repr(annotation)
        for orm in orm_class_names():
            if re.search(rf"\b{orm}\b", text):
                problems.append(f"{name}: {where} is typed with the ORM class {orm}")
    return problems


@pytest.mark.parametrize("module", MODULES)
def test_surfaces_hold_no_orm_objects(module: str) -> None:
    package = importlib.import_module(f"lms.modules.{module}")
    problems = []
    for name in getattr(package, "__all__", ()):
        problems += surface_problems(f"{module}.{name}", getattr(package, name))
    assert problems == [], "\n".join(problems)


SURFACES = {"users": {"get_user_summary", "UserSummary"}, "courses": {"CourseSummary"}}


def test_the_boundary_check_catches_each_way_round() -> None:
    """The checker itself, on a deliberate violation of each kind."""
    name = "lms.modules.enrollments.service"
    allowed = """
from lms.modules import users
from lms.modules.enrollments import repository
from . import repository as same
from lms.core.session import commit

async def f(session):
    return await users.get_user_summary(session, 1)
"""
    assert boundary_violations(allowed, name, surfaces=SURFACES) == []
    for bad in (
        "from lms.modules.users.models import User",
        "from lms.modules.users import models",  # a private part named as a package
        "from lms.modules.users.service import get_user_summary",
        "import lms.modules.users.repository",
        "from ..users.models import User",
        "from ..users import router",
        "def f():\n    from lms.modules.users.repository import get",
        "from lms.modules import users\nusers.get_user_or_raise",  # not in __all__
        "from lms.modules import users as people\npeople.routers",  # the factory's only
    ):
        assert boundary_violations(bad, name, surfaces=SURFACES), bad


def test_only_the_factory_mounts_routers() -> None:
    source = "from lms.modules import courses\nrouters = courses.routers"
    surfaces = {"courses": {"routers"}}
    assert boundary_violations(source, FACTORY, surfaces=surfaces) == []
    assert boundary_violations(source, "lms.modules.enrollments.router", surfaces=surfaces)


def test_the_reporting_exception_is_narrow() -> None:
    """Analytics' reporting queries and models read other modules' models; nothing more."""
    reads_models = "from lms.modules.enrollments.models import Enrollment, LessonProgress"
    for reader in (
        "lms.modules.analytics.repository",
        "lms.modules.analytics.repository.trends",
        "lms.modules.analytics.models",
    ):
        assert boundary_violations(reads_models, reader, surfaces={}) == []
    for other in (
        "lms.modules.analytics.service",
        "lms.modules.analytics.router",
        "lms.modules.analytics.repository_extra",
        "lms.modules.payments.repository",
    ):
        assert boundary_violations(reads_models, other, surfaces={}), other
    for bad in (
        "from lms.modules.enrollments import repository",
        "from lms.modules.enrollments.repository import course_stats",
        "from lms.modules.courses.router import router",
    ):
        assert boundary_violations(bad, "lms.modules.analytics.repository", surfaces={}), bad


def test_the_surface_check_catches_orm_objects() -> None:
    from lms.modules.courses.models import Course  # the test may look inside

    async def returns_orm(session: Any) -> Course: ...

    @dataclasses.dataclass
    class Mutable:
        id: int

    @dataclasses.dataclass(frozen=True)
    class Holder:
        course: Course

    assert surface_problems("Course", Course)
    assert surface_problems("returns_orm", returns_orm)
    assert surface_problems("Mutable", Mutable)
    assert surface_problems("Holder", Holder)

    @dataclasses.dataclass(frozen=True)
    class Summary:
        id: int
        title: str

    async def returns_summary(session: Any) -> Summary: ...

    assert surface_problems("Summary", Summary) == []
    assert surface_problems("returns_summary", returns_summary) == []


def test_core_imports_no_business_module() -> None:
    """Also held by import-linter; repeated here for imports inside functions."""
    problems = []
    for path in sorted((SRC / "core").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            problems += [
                f"{_module_name(path)} imports {n}" for n in names if n.startswith("lms.modules")
            ]
    assert problems == [], "\n".join(problems)


def test_no_import_time_registries() -> None:
    """Modules react to each other through domain events subscribed in lms/wiring.py:
    no module keeps a list of callbacks that others fill when they are imported."""
    pattern = re.compile(r"^\s*def (register_|unregister_|on_)\w+\(", re.M)
    found = [
        _module_name(path)
        for path in _python_files()
        if path.is_relative_to(SRC / "modules") and pattern.search(path.read_text())
    ]
    assert found == []
