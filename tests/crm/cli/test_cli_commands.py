"""The command map that lets one command import its own module alone."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from crm.cli import COMMAND_MODULES, COMMANDS, CliParser, build_parser


def _registered(module: str) -> set[str]:
    parser = CliParser(prog="smallyes-cli")
    sub = parser.add_subparsers(dest="command")
    importlib.import_module(module).register(sub)
    return set(sub.choices)


def test_every_command_maps_to_the_module_that_registers_it() -> None:
    expected = {name: module for module in COMMAND_MODULES for name in _registered(module)}
    assert expected == COMMANDS


@pytest.mark.parametrize(
    ("argv", "commands"),
    [
        (["--db", "x.db", "suggest", "--limit", "5"], _registered("crm.cli.asks")),
        (["--db=x.db", "import", "f.csv"], _registered("crm.cli.imports")),
        (["--help"], set(COMMANDS)),
        (["no-such-command"], set(COMMANDS)),
        ([], set(COMMANDS)),
    ],
)
def test_the_parser_holds_the_named_commands_module_or_all(
    argv: list[str], commands: set[str]
) -> None:
    parser = build_parser(argv)
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == commands  # type: ignore[arg-type]


def test_running_one_command_leaves_the_other_areas_unimported(tmp_path) -> None:
    code = (
        "import sys; from crm.cli import main; "
        f"main(['--db', {str(tmp_path / 'book.db')!r}, 'leads', '--json']); "
        f"print(sorted(m for m in sys.modules if m in {COMMAND_MODULES!r}))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip().splitlines()[-1] == "['crm.cli.leads']"
