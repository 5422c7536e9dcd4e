"""Change records: what an operation noted, collected per block and per thread."""

from __future__ import annotations

import threading

from crm.changes import NOTHING, Change, collecting, note


def test_notes_outside_a_collection_go_nowhere_and_inside_are_unioned() -> None:
    note(tables=["lead"], leads=[1])
    with collecting() as outer:
        note(tables=["lead"], leads=[1, 2])
        with collecting() as inner:
            note(tables=["ask"], leads=[3], settings=["pacing"])
        note(tables=["tag"])
    assert inner.change == Change(frozenset({"ask"}), frozenset({3}), frozenset({"pacing"}))
    assert outer.change.tables == {"lead", "ask", "tag"}
    assert outer.change.leads == {1, 2, 3}
    assert outer.change.touches("tag", "offer") and not outer.change.touches("offer")


def test_many_leads_is_none_and_touches_every_lead() -> None:
    with collecting() as got:
        note(tables=["lead"], leads=[5])
        note(tables=["commitment"], leads=None)
        note(tables=["lead"], leads=[6])
    assert got.change.leads is None and got.change.touches_lead(12345)
    assert (Change(leads=frozenset({1})) | Change(leads=None)).leads is None


def test_a_long_list_of_leads_becomes_many() -> None:
    with collecting() as got:
        note(tables=["lead"], leads=range(20_000))
    assert got.change.leads is None


def test_an_empty_block_is_nothing_and_threads_collect_their_own() -> None:
    seen: list[Change] = []

    def job() -> None:
        with collecting() as mine:
            note(tables=["lead_event"], leads=[9])
        seen.append(mine.change)

    with collecting() as here:
        worker = threading.Thread(target=job)
        worker.start()
        worker.join()
    assert here.change == NOTHING and here.change.empty
    assert seen == [Change(frozenset({"lead_event"}), frozenset({9}))]
