"""Smoke test of a built app: start it offscreen on a fresh database, expect shown_after_s=.

usage: python bench/smoke_dist.py dist/Smallyes/Smallyes
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    exe = Path(sys.argv[1] if len(sys.argv) > 1 else "dist/Smallyes/Smallyes")
    if not exe.exists():
        print(f"error: {exe} does not exist: run 'make dist' first.", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_DATA_HOME": tmp,
            "XDG_CONFIG_HOME": tmp,
            "XDG_STATE_HOME": tmp,
        }
        proc = subprocess.run(
            [str(exe), "--db", str(Path(tmp) / "smoke.db"), "--exit-after-show"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
    shown = [line for line in proc.stdout.splitlines() if line.startswith("shown_after_s=")]
    if proc.returncode != 0 or not shown:
        print(f"smoke: FAILED (exit {proc.returncode})\n{proc.stdout}\n{proc.stderr[-2000:]}")
        return 1
    print(f"smoke: ok, {shown[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
