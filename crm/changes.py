"""What a change to the book touched, so the window refreshes what it shows in one place.

The module that owns a table notes each of its writes here (:func:`note`). Whoever runs a
domain operation collects those notes (:func:`collecting`) and gets back one
:class:`Change`: which tables, which leads (or "many"), which settings. The window turns
that value into a refresh of the pages that show those things; nobody picks a signal by
hand. Notes are kept per thread and per context (``contextvars``), so a background job
collects its own changes.

Every note also goes to the open book's :class:`Journal` (``crm.store.change_log``), which
writes it into the book with the commit that made the change: other processes with the same
book open (a second window beside a command) learn from it what changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from crm.errors import SmallyesError


@dataclass(frozen=True)
class Change:
    """The tables, leads and settings one operation wrote.

    ``leads`` is ``None`` when the operation touched too many leads to list (an import, a
    ladder merge): a page then treats every lead as changed.
    """

    tables: frozenset[str] = frozenset()
    leads: frozenset[int] | None = frozenset()
    settings: frozenset[str] = frozenset()

    def __or__(self, other: Change) -> Change:
        leads = None if self.leads is None or other.leads is None else self.leads | other.leads
        return Change(self.tables | other.tables, leads, self.settings | other.settings)

    @property
    def empty(self) -> bool:
        return not self.tables and not self.settings

    def touches(self, *tables: str) -> bool:
        """Whether the operation wrote any of ``tables``."""
        return ALL in self.tables or not self.tables.isdisjoint(tables)

    def touches_setting(self, *keys: str) -> bool:
        return ALL in self.settings or not self.settings.isdisjoint(keys)

    @property
    def everything(self) -> bool:
        """The whole book changed under every view (the demo, an undone import, a restore)."""
        return ALL in self.tables

    def touches_lead(self, lead_id: int) -> bool:
        """Whether the operation may have changed this lead (or every lead)."""
        return self.leads is None or lead_id in self.leads


ALL = "*"  # as a table or setting name: every one of them

NOTHING = Change()
EVERYTHING = Change(frozenset({ALL}), None, frozenset({ALL}))

# The tables that hold a lead or hang off one: what the lead list, a lead's panel, Today
# and the funnel show.
LEAD_TABLES = frozenset(
    {"lead", "lead_tag", "tag", "commitment", "ask", "lead_event", "lead_other_email",
     "suggestion_snooze"}
)  # fmt: skip

# The lead-id list is capped: past this many, "many leads" says as much and costs nothing.
_MAX_LISTED_LEADS = 10_000


@dataclass
class Collector:
    """The changes noted since :func:`collecting` began; ``change`` is their union."""

    change: Change = NOTHING
    cap: int = _MAX_LISTED_LEADS  # past this many leads, "many"
    _leads: set[int] = field(default_factory=set)
    _many: bool = False

    def add(
        self,
        tables: Iterable[str],
        leads: Iterable[int] | None,
        settings: Iterable[str],
    ) -> None:
        if leads is None:
            self._many = True
        elif not self._many:
            self._leads.update(leads)
            if len(self._leads) > self.cap:
                self._many = True
                self._leads.clear()
        self.change = Change(
            self.change.tables | frozenset(tables),
            None if self._many else frozenset(self._leads),
            self.change.settings | frozenset(settings),
        )


class Journal(Protocol):
    """Where notes go for other processes: the open book keeps them (``crm.store.change_log``).

    ``add`` takes every note as it is made; the journal writes what it holds with the
    transaction that commits it. When the outermost collection ends, ``flush`` writes what
    writes outside a transaction noted, or ``discard`` drops it when the operation was
    refused (a :class:`~crm.errors.SmallyesError`: it wrote nothing).
    """

    def add(
        self, tables: tuple[str, ...], leads: tuple[int, ...] | None, settings: tuple[str, ...]
    ) -> None: ...

    def flush(self) -> None: ...

    def discard(self) -> None: ...


_journal: Journal | None = None


def keep_journal(journal: Journal | None) -> None:
    """Send every note to ``journal`` from now on (None: to no journal)."""
    global _journal
    _journal = journal


_collectors: ContextVar[tuple[Collector, ...]] = ContextVar("smallyes_changes", default=())


@contextmanager
def collecting() -> Iterator[Collector]:
    """Collect every change noted inside the block (nested blocks each see their own)."""
    collector = Collector()
    token = _collectors.set((*_collectors.get(), collector))
    refused = False
    try:
        yield collector
    except SmallyesError:
        refused = True
        raise
    finally:
        _collectors.reset(token)
        if _journal is not None and not _collectors.get():
            if refused:
                _journal.discard()
            else:
                _journal.flush()


def note(
    *,
    tables: Iterable[str] = (),
    leads: Iterable[int] | None = (),
    settings: Iterable[str] = (),
) -> None:
    """Record a write: the owner of a table calls this beside the SQL that changes it.

    ``leads=None`` means many or all leads. ``settings`` names setting keys (``pacing``,
    ``ladder``). A rolled-back write may have been noted: the cost is one needless refresh
    (here, and in the other processes the journal tells).
    """
    active = _collectors.get()
    if not active and _journal is None:
        return
    tables, settings = tuple(tables), tuple(settings)
    listed = None if leads is None else tuple(leads)
    for collector in active:
        collector.add(tables, listed, settings)
    if _journal is not None:
        _journal.add(tables, listed, settings)
