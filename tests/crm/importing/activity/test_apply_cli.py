"""smallyes-cli on activity files: import --json, show --json (yeses with their source
and answers, engagement, topics), undo-import, offer links."""

from __future__ import annotations

import json

import pytest

from crm.cli import main
from tests.crm.importing.activity.apply_helpers import activity_csv, use_simple_reader

KEYS = {
    "kind",
    "platform",
    "rows",
    "events",
    "already_imported",
    "skipped",
    "rejected",
    "created",
    "resolved_asks",
    "batch",
}


@pytest.fixture(autouse=True)
def _reader(monkeypatch: pytest.MonkeyPatch) -> None:
    use_simple_reader(monkeypatch)


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys, db_path, *argv: str) -> dict:
    code, out, err = _cli(capsys, "--db", str(db_path), *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_import_show_and_undo_from_the_command_line(db_path, tmp_path, capsys) -> None:
    _json(capsys, db_path, "add", "ada@example.com")
    _json(capsys, db_path, "offer", "add", "Pricing guide", "--topics", "pricing",
          "--link", "https://example.com/guides/pricing")  # fmt: skip
    path = activity_csv(
        tmp_path,
        [
            ["ada@example.com", "2026-06-01 10:00:00", "clicked", "https://example.com/guides/pricing?x=1"],
            ["ada@example.com", "2026-06-01 09:00:00", "opened", ""],
            ["ada@example.com", "2026-06-02 10:00:00", "answered", "Which topic?=Pricing"],
            ["nobody@example.com", "2026-06-01 10:00:00", "opened", ""],
        ],
    )  # fmt: skip
    out = _json(capsys, db_path, "import", str(path))
    assert set(out) >= KEYS
    assert out["kind"] == "activity" and out["platform"] == "simple_activity"
    assert out["rows"] == 4
    assert out["events"] == {"answered": 1, "downloaded": 1, "opened": 1}
    assert out["skipped"] == {"unknown_email": 1}
    assert (out["already_imported"], out["rejected"], out["created"]) == (0, 0, 0)
    shown = _json(capsys, db_path, "show", "ada@example.com")
    lead = shown["lead"]
    assert lead["step"] == "answered"
    assert lead["engagement"]["last_opened_at"] == "2026-06-01T09:00:00Z"
    assert lead["engagement"]["last_clicked_at"] == "2026-06-01T10:00:00Z"
    assert set(lead["engagement"]) >= {"opens_90d", "clicks_90d"}
    assert lead["topics"] == ["pricing"]
    yeses = {i["step"]: i for i in shown["timeline"] if i["kind"] == "commitment"}
    assert yeses["downloaded"]["offer"] == "Pricing guide"
    assert yeses["downloaded"]["source"] == "buttondown"
    assert yeses["downloaded"]["at"] == "2026-06-01T10:00:00Z"
    assert (yeses["answered"]["question"], yeses["answered"]["answer"]) == (
        "Which topic?",
        "Pricing",
    )
    again = _json(capsys, db_path, "import", str(path))
    assert again["events"] == {} and again["already_imported"] == 3
    undone = _json(capsys, db_path, "undo-import", str(out["batch"]))
    assert undone["batch_id"] == out["batch"]
    shown = _json(capsys, db_path, "show", "ada@example.com")
    assert [i for i in shown["timeline"] if i["kind"] == "commitment"] == []
    assert shown["lead"]["engagement"]["last_opened_at"] is None


def test_the_import_report_in_words(db_path, tmp_path, capsys) -> None:
    _json(capsys, db_path, "add", "ada@example.com")
    path = activity_csv(
        tmp_path, [["ada@example.com", "2026-06-01 10:00:00", "clicked", "https://example.com/a"]]
    )
    code, out, _ = _cli(capsys, "--db", str(db_path), "import", str(path))
    assert code == 0
    assert "1 yeses (1 clicked)" in out


def test_offer_links_from_the_command_line(db_path, capsys) -> None:
    _json(capsys, db_path, "offer", "add", "Guide")
    out = _json(capsys, db_path, "offer", "link", "Guide", "--link", "www.example.com/guide",
                "--step", "answered")  # fmt: skip
    assert out["links"] == [{"link": "example.com/guide", "step": "answered"}]
    out = _json(
        capsys, db_path, "offer", "link", "Guide", "--link", "example.com/guide", "--remove"
    )
    assert out["links"] == []
    code, _, err = _cli(
        capsys, "--db", str(db_path), "offer", "link", "Guide", "--link", "nonsense"
    )
    assert code == 1 and "not a web address" in err


def test_a_bad_zone_is_refused_before_anything_is_read(db_path, tmp_path, capsys) -> None:
    path = activity_csv(tmp_path, [["ada@example.com", "2026-06-01 10:00:00", "opened", ""]])
    code, _, err = _cli(capsys, "--db", str(db_path), "import", str(path), "--zone", "Mars/Base")
    assert code == 1 and "time zone" in err
