"""The Today floor as a whole process: one aggregate of every lead's yeses and asks.

    python bench/floor_suggest.py BOOK.db

Groups every commitment and ask by lead (how many, the newest) and prints the 500 leads
with the newest as JSON: the least any process listing the best 500 asks must read and
write, timed from process start to exit like ``smallyes-cli suggest --limit 500 --json``.
"""

from __future__ import annotations

import json
import sqlite3
import sys

SQL = """
SELECT lead_id, count(*), max(at) AS newest FROM (
  SELECT lead_id, at FROM commitment UNION ALL SELECT lead_id, asked_at FROM ask
) GROUP BY lead_id ORDER BY newest DESC LIMIT 500
"""


def main(db_path: str) -> None:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows = conn.execute(SQL).fetchall()
    json.dump([{"lead_id": r[0], "events": r[1], "newest": r[2]} for r in rows], sys.stdout)
    conn.close()


if __name__ == "__main__":
    main(sys.argv[1])
