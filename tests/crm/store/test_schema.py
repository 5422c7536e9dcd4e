"""The migrated database is the schema declared in crm/store/schema.sql, from any version."""

from __future__ import annotations

import difflib
import pprint
import re
import sqlite3
from pathlib import Path

import pytest
from peewee import SqliteDatabase

import crm.store.models as models
from crm.store.db import close_database, migrate, open_database
from crm.store.migrations import MIGRATIONS

SCHEMA = Path(models.__file__).with_name("schema.sql")


def _structure(conn: sqlite3.Connection) -> dict[str, object]:
    """Everything SQLite knows about the schema, in a form two equal schemas share."""
    out: dict[str, object] = {}
    objects = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_%' AND name != 'schema_version' ORDER BY type, name"
    ).fetchall()
    for kind, name, table, sql in objects:
        if kind == "table":
            out[f"table {name}"] = {
                "columns": conn.execute(f'PRAGMA table_xinfo("{name}")').fetchall(),
                "foreign keys": conn.execute(f'PRAGMA foreign_key_list("{name}")').fetchall(),
                "indexes": sorted(
                    (
                        row[1],
                        row[2],
                        row[3],
                        row[4],
                        conn.execute(f'PRAGMA index_xinfo("{row[1]}")').fetchall(),
                    )
                    for row in conn.execute(f'PRAGMA index_list("{name}")').fetchall()
                ),
                "without rowid": "WITHOUT ROWID" in (sql or "").upper(),
            }
        elif kind == "index":
            where = re.search(r"\bWHERE\b(.*)$", sql or "", re.S | re.I)
            out[f"index {name}"] = (table, " ".join(where.group(1).split()) if where else "")
        else:
            out[f"{kind} {name}"] = (table, " ".join((sql or "").split()))
    return out


def _declared() -> dict[str, object]:
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA.read_text(encoding="utf-8"))
    return _structure(conn)


def _assert_same(got: dict[str, object], want: dict[str, object]) -> None:
    if got != want:
        diff = difflib.unified_diff(
            pprint.pformat(want, width=100).splitlines(),
            pprint.pformat(got, width=100).splitlines(),
            "crm/store/schema.sql",
            "migrated database",
            lineterm="",
        )
        pytest.fail("The migrations and schema.sql disagree:\n" + "\n".join(diff))


def _migrated(path: Path) -> dict[str, object]:
    conn = sqlite3.connect(path)
    try:
        return _structure(conn)
    finally:
        conn.close()


def test_a_new_book_has_the_declared_schema(db_path: Path) -> None:
    _assert_same(_migrated(db_path), _declared())


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)))
def test_a_book_made_at_any_older_version_migrates_to_the_declared_schema(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "old.db"
    old = SqliteDatabase(str(path))
    old.connect()
    migrate(old, MIGRATIONS[:version])
    old.close()
    close_database(open_database(path))
    _assert_same(_migrated(path), _declared())


def test_the_comparison_sees_a_difference(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    close_database(open_database(path))
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE lead ADD COLUMN stray TEXT")
    conn.commit()
    conn.close()
    with pytest.raises(pytest.fail.Exception, match="stray"):
        _assert_same(_migrated(path), _declared())


def test_every_model_field_is_a_declared_column() -> None:
    declared = _declared()
    for model in models.BaseModel.__subclasses__():
        table = declared.get(f"table {model._meta.table_name}")
        assert table is not None, f"{model.__name__} maps a table schema.sql does not declare"
        columns = {row[1] for row in table["columns"]}  # type: ignore[index]
        fields = {f.column_name for f in model._meta.sorted_fields}
        assert fields <= columns, f"{model.__name__}: {sorted(fields - columns)} not declared"
