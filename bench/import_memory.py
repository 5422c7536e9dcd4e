"""Benchmark: peak memory of `smallyes-cli import` on files built to make it grow.

    .venv/bin/python bench/import_memory.py [NAME ...]

Each input is written to a temporary folder and imported by a fresh
`smallyes-cli --db <new database> import <file> --errors <out.csv>` process; the figure
is that child's peak RSS (``os.wait4``). The memory an import needs should follow the
people it keeps, not the size or shape of the file: rejected rows, very wide rows and
very wide headers must not show. A floor (the same command on a three-row file) is
printed for comparison.

Goal: under 400 MB for any input file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("smallyes-cli")
GOAL_MB = 400


def _lines(path: Path, header: str, rows: Callable[[], Iterable[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        for block in rows():
            handle.write(block)


def floor(path: Path) -> None:
    path.write_text("email,name\na@example.com,A\nb@example.com,B\nc@example.com,C\n")


def rejected(count: int) -> Callable[[Path], None]:
    """Rows whose address is not one: each is rejected, about 85 bytes a row."""

    def make(path: Path) -> None:
        def rows():
            for start in range(0, count, 10_000):
                yield "".join(
                    f"not-an-address-{i:07d}.example.org,Firstname{i},Lastname{i},Company {i}\n"
                    for i in range(start, min(start + 10_000, count))
                )

        _lines(path, "email,first name,last name,company\n", rows)

    return make


def wide(columns: int, rows: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        header = "email," + ",".join(f"c{i}" for i in range(columns - 1)) + "\n"
        filler = ",x" * (columns - 1) + "\n"
        _lines(path, header, lambda: (f"p{i}@example.com{filler}" for i in range(rows)))

    return make


def trailing_empty(rows: int, extra: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        tail = "," * extra + "\n"
        _lines(path, "email,name\n", lambda: (f"p{i}@example.com,P{i}{tail}" for i in range(rows)))

    return make


def wide_header(columns: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        header = "email," + ",".join(f"column{i}" for i in range(columns - 1)) + "\n"
        _lines(path, header, lambda: ("a@example.com\n",))

    return make


def one_long_row(chars: int) -> Callable[[Path], None]:
    """A single physical line of ``chars`` short fields (no export writes one)."""

    def make(path: Path) -> None:
        def rows():
            yield "a@example.com,A\n"
            for _ in range(chars // 1_000_000):
                yield "ab," * 333_333 + "a"
            yield "\nb@example.com,B\n"

        _lines(path, "email,name\n", rows)

    return make


def quoted_lines(records: int) -> Callable[[Path], None]:
    """One record of many short quoted cells, each holding a line break."""

    def make(path: Path) -> None:
        _lines(
            path,
            "email,name\n",
            lambda: ("a@example.com,A" + ',"x\ny"' * 10_000 for _ in range(records // 10_000)),
        )

    return make


CASES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "floor": ("3 good rows (the floor)", floor),
    "rejected-1m": ("1M rejected rows", rejected(1_000_000)),
    "rejected-3m": ("3M rejected rows", rejected(3_000_000)),
    "wide-100k": ("100,000 columns x 300 rows", wide(100_000, 300)),
    "trailing-1m": ("200 rows + 1M trailing empty fields", trailing_empty(200, 1_000_000)),
    "header-1m": ("a 1M-column header", wide_header(1_000_000)),
    "long-row-100m": ("one 100 MB row of short fields", one_long_row(100_000_000)),
    "quoted-lines-2m": ("one record of 2M quoted line breaks", quoted_lines(2_000_000)),
}


def main(argv: list[str]) -> int:
    names = argv or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"error: unknown case {', '.join(unknown)}: use {', '.join(CASES)}.")
        return 1
    over = []
    with tempfile.TemporaryDirectory(prefix="smallyes-import-memory-") as tmp:
        for name in names:
            label, make = CASES[name]
            mb, seconds, code, said = run_one(Path(tmp), name, make)
            # exit 1 is a refusal with its sentence; anything else is a crash
            verdict = "FAIL" if code not in (0, 1) else "ok" if mb < GOAL_MB else "OVER"
            if verdict != "ok":
                over.append(name)
            print(
                f"{label:<40}{mb:7.0f} MB  goal < {GOAL_MB} MB: {verdict:<4} {seconds:6.1f} s  "
                f"{said[:90]}",
                flush=True,
            )
    return 1 if over else 0


def run_one(folder: Path, name: str, make: Callable[[Path], None]) -> tuple[float, float, int, str]:
    """Build the input, then run the import as a child and wait for it with wait4, which
    gives that one child's own peak RSS; its exit code and the second line of its report,
    or its error."""
    data = folder / f"{name}.csv"
    make(data)
    db = folder / f"{name}.db"
    errors = folder / f"{name}-rejected.csv"
    env = {**os.environ, "XDG_CONFIG_HOME": str(folder), "XDG_STATE_HOME": str(folder)}
    cmd = [str(CLI), "--db", str(db), "import", str(data), "--errors", str(errors)]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        lines = out.read().splitlines()
        errors_said = err.read().strip().splitlines()
    said = lines[1].strip() if len(lines) > 1 else ""
    if proc.returncode != 0 or not said:
        said = errors_said[-1] if errors_said else f"exit {proc.returncode}"
    for path in (data, db, errors):
        path.unlink(missing_ok=True)
    return usage.ru_maxrss / 1024, seconds, proc.returncode, said  # ru_maxrss: KiB on Linux


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
