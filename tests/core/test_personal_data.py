"""Every table that refers to an account is answered for: some module's personal data
handler (``lms.core.privacy``, registered in ``lms/wiring.py``) names it, so that an
export and an erasure cannot silently miss it. A new table with a ``student_id`` (or a
foreign key to ``users.id``, an ``email``…) fails here, naming the table, until a
module declares how it exports and erases it."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import Column, Integer, MetaData, Table, Text, Uuid

from lms.core.db import Base
from lms.core.privacy import PersonalDataRegistry
from lms.main import load_modules
from lms.wiring import register_personal_data

# Columns that name a person without a foreign key (a plain id kept across modules, an
# address an import refused).
PERSON_COLUMN = re.compile(
    r"^(student|user|actor|account|uploader|instructor|payer|owner|acting_for)_id$"
    r"|_by_id$|^email$"
)


def _registry() -> PersonalDataRegistry:
    load_modules()
    registry = PersonalDataRegistry()
    register_personal_data(registry)
    return registry


def refers_to_an_account(table: Table) -> list[str]:
    """The columns of ``table`` that refer to an account."""
    found = []
    for column in table.columns:
        if any(
            fk.column.table.name == "users" for fk in column.foreign_keys
        ) or PERSON_COLUMN.search(column.name):
            found.append(column.name)
    return found


def uncovered(tables: list[Table], covered: set[str]) -> dict[str, list[str]]:
    return {
        table.name: columns
        for table in tables
        if (columns := refers_to_an_account(table)) and table.name not in covered
    }


def test_every_table_that_refers_to_an_account_has_an_exporter_and_an_eraser() -> None:
    registry = _registry()
    missing = uncovered(Base.metadata.sorted_tables, registry.covered_tables())
    assert not missing, (
        "tables that refer to an account but no module's PERSONAL_DATA handler covers "
        f"(table: columns): {missing}"
    )


def test_the_rule_finds_the_tables_it_must() -> None:
    tables = Base.metadata.tables
    load_modules()
    # A foreign key to users, a plain id column, an email column: each is caught.
    assert refers_to_an_account(tables["enrollments"]) == ["student_id", "enrolled_by_id"]
    assert "uploader_id" in refers_to_an_account(tables["uploaded_files"])
    assert refers_to_an_account(tables["import_job_errors"]) == ["email"]
    assert refers_to_an_account(tables["lessons"]) == []
    # A new table nobody covers is named, with its columns.
    orphan = Table(
        "tutor_notes",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("student_id", Uuid),
        Column("note", Text),
    )
    registry = _registry()
    assert uncovered([orphan, tables["enrollments"]], registry.covered_tables()) == {
        "tutor_notes": ["student_id"]
    }


def test_handlers_name_real_tables_and_publish_valid_schemas() -> None:
    registry = _registry()
    names = set(Base.metadata.tables)
    modules = [handler.module for handler in registry.handlers()]
    assert len(modules) == len(set(modules))
    assert modules[-1] == "users", "the users module anonymises the account last"
    for handler in registry.handlers():
        assert set(handler.tables) <= names, handler.module
        Draft202012Validator.check_schema(handler.schema)


def test_a_module_registers_once() -> None:
    registry = _registry()
    handler = registry.handlers()[0]
    registry.register(handler)
    assert len(registry.handlers()) == len({h.module for h in registry.handlers()})
    imposter = type(handler)(
        module=handler.module,
        tables=(),
        export=handler.export,
        erase=handler.erase,
        schema=handler.schema,
    )
    with pytest.raises(ValueError, match="two personal data handlers"):
        registry.register(imposter)
