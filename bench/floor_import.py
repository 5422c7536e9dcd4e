"""The import floor as a whole process: ``csv.reader`` + one ``executemany``, nothing else.

    python bench/floor_import.py FILE.csv OUT.db

A flat table of the file's columns with a unique index on its first (the e-mail address),
filled in one transaction; the least any importer keeping every row must pay, timed from
process start to exit like ``smallyes-cli import``.
"""

from __future__ import annotations

import csv
import sqlite3
import sys


def main(csv_path: str, db_path: str) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=normal")
    with open(csv_path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        columns = ", ".join(f"c{i} TEXT" for i in range(len(header)))
        conn.execute(f"CREATE TABLE lead (id INTEGER PRIMARY KEY, {columns})")
        conn.execute("CREATE UNIQUE INDEX lead_email ON lead(c0)")
        marks = ", ".join("?" * len(header))
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO lead VALUES (NULL, {marks})", reader)
        conn.execute("COMMIT")
    conn.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
