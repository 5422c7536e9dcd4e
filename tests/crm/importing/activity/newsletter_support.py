"""Reading activity fixtures the way the import does: every source, recognised, then read."""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

from hypothesis import strategies as st

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


def csv_bytes(
    headers: Sequence[bytes], columns: Sequence[Sequence[bytes]]
) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, and files shaped like the format: one of its headers, then rows
    whose cells are drawn column by column from ``columns`` (values right and wrong for
    the first header's columns) or are empty, quoted, binary or missing, with any
    delimiter and line ending."""
    junk = st.one_of(
        st.sampled_from([b"", b'"', b'"a\nb"', b"\x00", b"\xe9", b"x"]), st.binary(max_size=6)
    )
    # Mostly the column's own values, so that rows get far into the reader.
    cells = st.tuples(*(st.one_of(*[st.sampled_from(list(c))] * 3, junk) for c in columns))
    width = st.one_of(st.just(len(columns)), st.integers(0, len(columns) + 1))
    row = st.tuples(cells, width, st.sampled_from([b",", b",", b";", b"\t"]))
    line = row.map(lambda r: r[2].join(r[0][: r[1]]))
    shaped = st.tuples(
        st.sampled_from([*headers, b""]),
        st.lists(line, max_size=6),
        st.sampled_from([b"\n", b"\r\n", b"\r"]),
    ).map(lambda f: f[2].join([f[0], *f[1]]))
    return st.one_of(st.binary(max_size=300), shaped)
