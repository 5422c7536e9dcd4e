"""The log file: no personal data at any level, and readable by its owner only."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm.errors import DuplicateError
from crm.logsetup import OwnerOnlyFileHandler, configure_logging, redact, user_error_text
from tests.crm.safety_helpers import logging_to_file


@pytest.fixture
def log_path() -> Iterator[Path]:
    yield from logging_to_file(logging.DEBUG)


def _text(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_no_address_reaches_the_file_even_in_a_traceback(log_path: Path) -> None:
    log = logging.getLogger("crm.test")
    log.info("imported %s", "zelda.q@example.org")
    try:
        raise KeyError("ben+news@example.com")
    except KeyError:
        log.exception("unexpected error")
    text = _text(log_path)
    assert "zelda.q@example.org" not in text and "ben+news@example.com" not in text
    assert "imported <email>" in text and "KeyError: '<email>'" in text


def test_a_user_message_is_logged_without_the_values_it_quotes() -> None:
    exc = DuplicateError(
        "A lead with the email 'Ada@Example.com' was added since the delete: the deleted "
        "one cannot come back beside it."
    )
    assert user_error_text(exc) == (
        "DuplicateError: A lead with the email '…' was added since the delete: the deleted "
        "one cannot come back beside it."
    )
    assert redact("'Ada Lovelace' is not a valid address: email has no @.") == (
        "'…' is not a valid address: email has no @."
    )
    assert redact("Smallyes can't open it") == "Smallyes can't open it"


def test_the_log_file_and_its_folder_are_owner_only(tmp_path: Path) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    from crm.logsetup import log_file

    folder = log_file().parent
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)
    log_file().write_text("an older log\n", encoding="utf-8")
    log_file().chmod(0o644)
    try:
        path = configure_logging()
        assert path is not None
        logging.getLogger("crm.test").warning("a line")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        handler = next(h for h in root.handlers if h not in before)
        assert isinstance(handler, OwnerOnlyFileHandler)
        handler.do_rollover()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()


def test_the_log_rolls_over_by_size_and_keeps_only_its_copies(tmp_path: Path) -> None:
    path = tmp_path / "smallyes.log"
    handler = OwnerOnlyFileHandler(path, max_bytes=200, backup_count=2)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("crm.test.rollover")
    log.propagate = False
    log.addHandler(handler)
    try:
        for i in range(40):
            log.warning("line %02d %s", i, "x" * 30)
    finally:
        log.removeHandler(handler)
        handler.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["smallyes.log", "smallyes.log.1", "smallyes.log.2"]
    for name in names:
        file = tmp_path / name
        assert 0 < file.stat().st_size <= 200
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8").splitlines()[-1].startswith("line 39 ")
    # The newest copy ends just before the file's first line: nothing lost between them.
    first_now = int(path.read_text(encoding="utf-8").split()[1])
    last_before = int((tmp_path / "smallyes.log.1").read_text(encoding="utf-8").split()[-2])
    assert last_before == first_now - 1
