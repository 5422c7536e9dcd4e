"""Reading activity fixtures the way the import does: every source, recognised, then read."""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import ActivityRow, Rejected
from crm.importing.activity.table import open_table
from crm.importing.decoding import Source, detect_decoding, sources_for

TESTS_DATA = Path(__file__).resolve().parents[3] / "data"
DATA = TESTS_DATA / "activity"
SUBSCRIBER_EXPORTS = sorted(
    p for p in (TESTS_DATA / "csv").rglob("*") if p.suffix in (".csv", ".txt")
)

Result = list[ActivityRow | Rejected]


def headers_of(source: Source) -> tuple[str, ...]:
    with open_table(source, detect_decoding(source)) as table:
        return table.headers


def read_source(module: ModuleType, source: Source, context: ReadContext | None = None) -> Result:
    return list(module.read(source, detect_decoding(source), context or ReadContext()))


def read_recognised(module: ModuleType, path: Path) -> dict[str, Result]:
    """What ``module`` reads from each source of ``path`` it recognises, by member."""
    sources = sources_for(path)
    context = module.read_context(sources) if hasattr(module, "read_context") else ReadContext()
    out: dict[str, Result] = {}
    for source in sources:
        if module.recognises(source.member or "", headers_of(source)):
            out[source.member or ""] = read_source(module, source, context)
    return out


def by_action(rows: Iterable[ActivityRow | Rejected]) -> Counter[str]:
    return Counter(r.action.value for r in rows if isinstance(r, ActivityRow))


def reasons(rows: Iterable[ActivityRow | Rejected]) -> Counter[str]:
    return Counter(r.reason for r in rows if isinstance(r, Rejected))


def activity(rows: Iterable[ActivityRow | Rejected]) -> list[ActivityRow]:
    return [r for r in rows if isinstance(r, ActivityRow)]


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def write_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def zip_source(path: Path, member: str) -> Source:
    return next(s for s in sources_for(path) if s.member == member)
