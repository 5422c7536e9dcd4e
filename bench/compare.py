"""One benchmark on two source trees, alternating (A B A B), its ratios side by side.

    .venv/bin/python bench/compare.py BEFORE_TREE NAME [--rounds 3] [-- ARGS...]

Runs ``BEFORE_TREE/bench/NAME.py`` and this tree's ``bench/NAME.py`` in turn, ``--rounds``
times each, with the same Python. Each script puts its own tree first on ``sys.path``, so
each measures its own code, and each prints ratios against a floor it measured in the same
run: those ratios (every ``1.23x`` on a line) are what is compared, never absolute times.
Lines are matched by their text without its numbers; the median of each side is printed
with after / before (below 1 is faster).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# A measured ratio, not a goal ("goal <= 3x").
_RATIO = re.compile(r"(?<!<= )(?<!< )(\d+(?:\.\d+)?)x\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_VERDICT = re.compile(r"\b(?:ok|OK|OVER|MISSED)\b")  # a verdict differs run to run


def ratios(output: str) -> dict[str, list[float]]:
    """Each line's ``…x`` figures, keyed by the line with its numbers taken out."""
    found: dict[str, list[float]] = {}
    for line in output.splitlines():
        values = [float(v) for v in _RATIO.findall(line)]
        if values:
            key = " ".join(_VERDICT.sub("", _NUMBER.sub("#", line)).split())
            for i, value in enumerate(values):
                found.setdefault(f"{key} [{i + 1}]" if len(values) > 1 else key, []).append(value)
    return found


def main(argv: list[str]) -> int:
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1 :]
    else:
        extra = []
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("name")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    scripts = {
        "before": args.before.resolve() / "bench" / f"{args.name}.py",
        "after": HERE / f"{args.name}.py",
    }
    seen: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    for round_no in range(1, args.rounds + 1):
        for side, script in scripts.items():
            run = subprocess.run(
                [sys.executable, str(script), *extra], capture_output=True, text=True
            )
            found = ratios(run.stdout)
            if not found:  # a bench over its goal exits 1 too: only no figures is a failure
                print(f"{side} round {round_no} failed:\n{run.stdout}{run.stderr}")
                return 1
            for key, values in found.items():
                seen[side].setdefault(key, []).extend(values)
            print(f"round {round_no} {side}: done", flush=True)
    print(f"\n{args.name}: {args.rounds} rounds each, alternating; medians of the ratios")
    print(f"{'before':>8} {'after':>8} {'after/before':>13}  line")
    for key, after in seen["after"].items():
        before = seen["before"].get(key)
        a = statistics.median(after)
        if before:
            b = statistics.median(before)
            print(f"{b:8.2f} {a:8.2f} {a / b:13.2f}  {key}")
        else:
            print(f"{'':>8} {a:8.2f} {'':>13}  {key} (after only)")
    for key in seen["before"].keys() - seen["after"].keys():
        print(
            f"{statistics.median(seen['before'][key]):8.2f} {'':>8} {'':>13}  {key} (before only)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
