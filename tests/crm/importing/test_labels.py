"""Platform names as the owner reads them: every platform an import can name has one."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from crm.cli import main
from crm.importing.activity.detect import MAILBOX_READER, READERS
from crm.importing.labels import PLATFORM_LABELS, platform_words
from crm.importing.platforms import PLATFORMS
from crm.importing.undo import list_imports

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.mark.parametrize("module", [*READERS, MAILBOX_READER])
def test_every_activity_reader_has_a_label(module: str) -> None:
    key = importlib.import_module(module).PLATFORM
    assert key in PLATFORM_LABELS
    words = platform_words(key)
    assert "_" not in words and words[:1].isupper(), words


def test_the_labels_read_as_words() -> None:
    assert platform_words("mailchimp_activity") == "Mailchimp"
    assert platform_words("google_forms") == "Google Forms"
    assert platform_words("mailchimp+mailchimp_activity") == "Mailchimp + Mailchimp"
    assert platform_words("buttondown_surveys") == "Buttondown"
    assert PLATFORM_LABELS["buttondown_surveys"] == "Buttondown (surveys)"
    # Every subscriber platform keeps its label.
    assert set(PLATFORMS) <= set(PLATFORM_LABELS)


def test_the_cli_names_the_platform_in_words_and_keeps_the_key_in_json(db, db_path, capsys) -> None:
    mbox = DATA / "activity" / "mail" / "inbox.mbox"
    assert main(["--db", str(db_path), "import", str(mbox), "--dry-run"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == "inbox.mbox: Mailbox (dry run, nothing written)"
    assert main(["--db", str(db_path), "import", str(mbox), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["platform"] == "mailbox"
    forms = DATA / "activity" / "forms" / "Topic survey (Responses) - Form Responses 1.csv"
    assert main(["--db", str(db_path), "import", str(forms)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"{forms.name}: Google Forms (batch 2)"
    assert [b.platform_label for b in list_imports()] == ["Google Forms", "Mailbox"]
