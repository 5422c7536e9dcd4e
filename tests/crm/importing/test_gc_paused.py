"""The cycle collector is paused during an import (crm.jobs.paused_cycle_collection) and
back on after it, however it ends."""

from __future__ import annotations

import gc

import pytest

from crm.errors import OperationCancelled
from crm.importing import ImportOptions, import_csv
from crm.jobs import CancelToken
from tests.crm.importing.conftest import DATA


def test_collector_paused_while_importing_and_on_after(db, now, monkeypatch) -> None:
    from crm.importing import engine

    seen: list[bool] = []
    real = engine._Importer.write_chunk

    def spy(self, chunk, late):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real(self, chunk, late)

    monkeypatch.setattr(engine._Importer, "write_chunk", spy)
    assert gc.isenabled()
    report = import_csv(DATA / "mailchimp_subscribed.csv", ImportOptions(), now=now)
    assert report.created > 0
    assert seen and not any(seen)
    assert gc.isenabled()


def test_collector_back_on_after_a_cancelled_import(db, now) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(OperationCancelled):
        import_csv(DATA / "mailchimp_subscribed.csv", ImportOptions(), now=now, cancel=token)
    assert gc.isenabled()


def test_collector_left_off_when_it_was_off(db, now) -> None:
    gc.disable()
    try:
        import_csv(DATA / "mailchimp_subscribed.csv", ImportOptions(), now=now)
        assert not gc.isenabled()
    finally:
        gc.enable()
