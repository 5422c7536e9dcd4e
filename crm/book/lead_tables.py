"""The tables that hold a lead's rows, read from the schema: every table whose foreign key
cascades from ``lead``, and the tables that cascade from those (a sale's refunds), parents
first, each with the references its rows make. A table added later is found too. The bulk
delete keeps and restores rows by them; a single delete's undo follows the references of
the rows it puts back under new ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm.store.models import database_proxy


@dataclass(frozen=True, slots=True)
class LeadTable:
    """A table holding a lead's rows, as the schema declares it."""

    name: str
    columns: tuple[str, ...]
    notnull: frozenset[str]
    refs: dict[str, tuple[str, str]]  # column -> (table, column) it references
    has_id: bool  # an ``id INTEGER PRIMARY KEY``: a rowid another row may take
    owner: tuple[str, str] | None  # (column, table) whose lead its rows belong to


def quoted(name: str) -> str:
    """``name`` as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lead_tables() -> tuple[LeadTable, ...]:
    """The tables of a lead's rows, parents first."""
    db = database_proxy
    names = [
        str(r[0])
        for r in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    ]
    info: dict[str, LeadTable] = {}
    cascades: dict[str, list[tuple[str, str]]] = {}
    for name in names:
        cols = db.execute_sql(f"PRAGMA table_info({quoted(name)})").fetchall()
        fks = db.execute_sql(f"PRAGMA foreign_key_list({quoted(name)})").fetchall()
        refs = {str(fk[3]): (str(fk[2]), str(fk[4] or "id")) for fk in fks}
        cascades[name] = [(str(fk[3]), str(fk[2])) for fk in fks if fk[6] == "CASCADE"]
        pks = [c for c in cols if c[5]]
        info[name] = LeadTable(
            name=name,
            columns=tuple(str(c[1]) for c in cols),
            notnull=frozenset(str(c[1]) for c in cols if c[3]),
            refs=refs,
            has_id=len(pks) == 1 and pks[0][1] == "id" and str(pks[0][2]).upper() == "INTEGER",
            owner=None,
        )
    owners: dict[str, tuple[str, str] | None] = {"lead": None}
    for name in names:  # a lead's own rows first: they say whose they are directly
        direct = [c for c, parent in cascades[name] if parent == "lead"]
        if direct and name != "lead":
            owners[name] = (direct[0], "lead")
    grown = True
    while grown:
        grown = False
        for name in names:
            if name in owners:
                continue
            via = [(c, p) for c, p in cascades[name] if p in owners]
            if via:
                owners[name] = via[0]
                grown = True
    ordered: list[LeadTable] = []
    placed: set[str] = set()
    while len(placed) < len(owners):
        ready = sorted(
            name
            for name in owners
            if name not in placed
            and all(
                parent in placed or parent == name or parent not in owners
                for parent, _ in info[name].refs.values()
            )
        )
        if not ready:  # a cycle of references: the rest in any order
            ready = sorted(set(owners) - placed)
        for name in ready:
            placed.add(name)
            t = info[name]
            ordered.append(LeadTable(t.name, t.columns, t.notnull, t.refs, t.has_id, owners[name]))
    return tuple(ordered)


def references() -> dict[str, dict[str, str]]:
    """Per table of a lead's rows, each column pointing at another such table's rows (not at
    the lead itself) and that table: what must follow a kept row that comes back under a
    new id."""
    tables = lead_tables()
    names = {t.name for t in tables} - {"lead"}
    return {
        t.name: {column: target for column, (target, _) in t.refs.items() if target in names}
        for t in tables
    }
