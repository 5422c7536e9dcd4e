"""Deleting many leads so that the delete can be undone: every row a lead has, kept.

The tables that hold a lead's rows are read from the schema: every table whose foreign key
cascades from ``lead``, and the tables that cascade from those (a sale's refunds), so a
table added later is kept too. Before the delete, each of those rows goes into
``bulk_deleted`` as one JSON object with its batch and its lead: one INSERT ... SELECT per
table, whatever the number of leads. The delete itself is one DELETE (the cascades take
the rest). A tag is kept by its name: the tag may be gone by the time of the undo.

The undo puts the rows back, parents first, with their ids; an id a new row took since
gets a fresh one, and the rows pointing at it follow it. A reference to something gone
since (an offer, a rule, an import's batch) becomes empty, or the row stays out when it
cannot be empty. A lead whose address (or one of its other addresses) another lead holds
now, or who was forgotten at their request since, stays deleted, and the undo counts it.
Everything runs in the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from crm.book.lead_tables import LeadTable, lead_tables
from crm.book.lead_tables import quoted as _q
from crm.safety.suppression import load_check
from crm.store.models import database_proxy

SELECTED = "SELECT lead_id FROM temp.bulk_selection"
_RESTORE = "temp.bulk_restore"
_IDMAP = "temp.bulk_idmap"
_KEPT = "bulk_deleted"


def _lead_of(tables: dict[str, LeadTable], table: LeadTable, alias: str, depth: int = 0) -> str:
    """SQL for the lead a row of ``table`` (as ``alias``) belongs to."""
    if table.owner is None:
        return f"{alias}.id"
    column, parent = table.owner
    if parent == "lead":
        return f"{alias}.{_q(column)}"
    up = f"p{depth}"
    target = table.refs[column][1]
    inner = _lead_of(tables, tables[parent], up, depth + 1)
    return f"(SELECT {inner} FROM {_q(parent)} {up} WHERE {up}.{_q(target)} = {alias}.{_q(column)})"


def keep_rows(batch_id: int) -> None:
    """Copy every row of the selected leads (``temp.bulk_selection``) into ``bulk_deleted``."""
    tables = lead_tables()
    by_name = {t.name: t for t in tables}
    for table in tables:
        pairs = [f"'{c}', t.{_q(c)}" for c in table.columns]
        if table.name == "lead_tag":
            pairs.append("'tag_name', (SELECT x.name FROM tag x WHERE x.id = t.tag_id)")
        lead = _lead_of(by_name, table, "t")
        database_proxy.execute_sql(
            "INSERT INTO bulk_deleted (batch_id, lead_id, tbl, data) "
            f"SELECT ?, {lead}, ?, json_object({', '.join(pairs)}) FROM {_q(table.name)} t "
            f"WHERE {lead} IN ({SELECTED})",
            [batch_id, table.name],
        )


def delete_selected() -> int:
    """Delete the selected leads (their rows go with them); how many."""
    cursor = database_proxy.execute_sql(f"DELETE FROM lead WHERE id IN ({SELECTED})")
    return int(cursor.rowcount)


@dataclass(frozen=True, slots=True)
class Restored:
    leads: list[int]  # the ids the leads came back with
    kept_out: int  # leads that could not come back (address taken, or forgotten)


def _value(column: str) -> str:
    return f"json_extract(d.data, '$.{column}')"


def restore_rows(batch_id: int, db_path: Path) -> Restored:
    """Put back the leads of one bulk delete (see the module docstring); their rows in
    ``bulk_deleted`` go."""
    db = database_proxy
    tables = lead_tables()
    for sql in (
        f"CREATE TEMP TABLE IF NOT EXISTS {_RESTORE.split('.')[1]} (lead_id INTEGER PRIMARY KEY)",
        f"CREATE TEMP TABLE IF NOT EXISTS {_IDMAP.split('.')[1]} "
        "(tbl TEXT NOT NULL, old INTEGER NOT NULL, new INTEGER NOT NULL, PRIMARY KEY (tbl, old))",
        f"DELETE FROM {_RESTORE}",
        f"DELETE FROM {_IDMAP}",
    ):
        db.execute_sql(sql)
    taken = (
        "(EXISTS (SELECT 1 FROM lead x WHERE x.email_key = json_extract({d}.data, '$.email_key'))"
        " OR EXISTS (SELECT 1 FROM lead_other_email o WHERE o.email_key = "
        "json_extract({d}.data, '$.email_key')))"
    )
    total = db.execute_sql(
        f"SELECT count(*) FROM {_KEPT} WHERE batch_id = ? AND tbl = 'lead'", [batch_id]
    ).fetchone()[0]
    db.execute_sql(
        f"INSERT INTO {_RESTORE} (lead_id) SELECT d.lead_id FROM {_KEPT} d "
        f"WHERE d.batch_id = ? AND d.tbl = 'lead' AND NOT {taken.format(d='d')} "
        f"AND NOT EXISTS (SELECT 1 FROM {_KEPT} e WHERE e.batch_id = d.batch_id "
        f"AND e.tbl = 'lead_other_email' AND e.lead_id = d.lead_id AND {taken.format(d='e')})",
        [batch_id],
    )
    _leave_out_forgotten(batch_id, db_path)
    for table in tables:
        _restore_table(batch_id, table)
    leads = [
        int(r[0])
        for r in db.execute_sql(
            f"SELECT m.new FROM {_IDMAP} m WHERE m.tbl = 'lead' ORDER BY m.new"
        ).fetchall()
    ]
    db.execute_sql("DELETE FROM bulk_deleted WHERE batch_id = ?", [batch_id])
    return Restored(leads, int(total) - len(leads))


def _leave_out_forgotten(batch_id: int, db_path: Path) -> None:
    """A person forgotten at their request since the delete stays deleted."""
    db = database_proxy
    check = load_check(db.execute_sql, db_path)
    if not check:
        return
    rows = db.execute_sql(
        f"SELECT d.lead_id, json_extract(d.data, '$.email_key') FROM {_KEPT} d "
        f"WHERE d.batch_id = ? AND d.tbl IN ('lead', 'lead_other_email') "
        f"AND d.lead_id IN (SELECT lead_id FROM {_RESTORE})",
        [batch_id],
    ).fetchall()
    held = sorted({int(lead) for lead, key in rows if key and check.holds(str(key))})
    if held:
        db.execute_sql(
            f"DELETE FROM {_RESTORE} WHERE lead_id IN (SELECT value FROM json_each(?))",
            [json.dumps(held)],
        )


def _restore_table(batch_id: int, table: LeadTable) -> None:
    db = database_proxy
    sample = db.execute_sql(
        f"SELECT data FROM {_KEPT} WHERE batch_id = ? AND tbl = ? LIMIT 1", [batch_id, table.name]
    ).fetchone()
    if sample is None:
        return
    stored = set(json.loads(sample[0]))
    columns = [c for c in table.columns if c in stored]
    rows = (
        f"FROM {_KEPT} d WHERE d.batch_id = ? AND d.tbl = ? "
        f"AND d.lead_id IN (SELECT lead_id FROM {_RESTORE})"
    )
    if table.has_id:
        (base,) = db.execute_sql(
            f"SELECT max(coalesce((SELECT max(id) FROM {_q(table.name)}), 0), "
            f"coalesce((SELECT max({_value('id')}) {rows}), 0))",
            [batch_id, table.name],
        ).fetchone()
        db.execute_sql(
            f"INSERT INTO {_IDMAP} (tbl, old, new) SELECT ?, x.old, CASE WHEN x.taken THEN "
            "? + row_number() OVER (PARTITION BY x.taken ORDER BY x.old) ELSE x.old END "
            f"FROM (SELECT {_value('id')} AS old, EXISTS (SELECT 1 FROM {_q(table.name)} y "
            f"WHERE y.id = {_value('id')}) AS taken {rows}) x",
            [table.name, int(base), batch_id, table.name],
        )
    if table.name == "lead_tag":
        db.execute_sql(
            f"INSERT OR IGNORE INTO tag (name) SELECT DISTINCT {_value('tag_name')} {rows} "
            f"AND {_value('tag_name')} IS NOT NULL",
            [batch_id, table.name],
        )
    exprs: list[str] = []
    for column in columns:
        raw = _value(column)
        if column == "id" and table.has_id:
            expr = f"(SELECT m.new FROM {_IDMAP} m WHERE m.tbl = '{table.name}' AND m.old = {raw})"
        elif table.name == "lead_tag" and column == "tag_id":
            expr = f"(SELECT x.id FROM tag x WHERE x.name = {_value('tag_name')} COLLATE NOCASE)"
        elif column in table.refs:
            parent, key = table.refs[column]
            # Through the map when the parent came back with the lead, else as stored;
            # either way only if that row is there now.
            mapped = (
                f"coalesce((SELECT m.new FROM {_IDMAP} m WHERE m.tbl = '{parent}' "
                f"AND m.old = {raw}), {raw})"
            )
            expr = f"(SELECT y.{_q(key)} FROM {_q(parent)} y WHERE y.{_q(key)} = {mapped})"
        else:
            expr = raw
        exprs.append(f"{expr} AS {_q(column)}")
    required = [f"{_q(c)} IS NOT NULL" for c in columns if c in table.notnull and c in table.refs]
    where = f" WHERE {' AND '.join(required)}" if required else ""
    names = ", ".join(_q(c) for c in columns)
    # A row whose data key another row holds now (an event imported again since) stays out.
    verb = "INSERT" if table.name == "lead" else "INSERT OR IGNORE"
    db.execute_sql(
        f"{verb} INTO {_q(table.name)} ({names}) SELECT {names} FROM "
        f"(SELECT {', '.join(exprs)} {rows}){where}",
        [batch_id, table.name],
    )
