"""Which files are activity, and which activity reader reads each: by header and ZIP
member path, never by file name.

Each reader module (``crm.importing.activity.<format>``) says ``recognises(member,
headers)``; the first that does reads the source. A mailbox export (``.mbox``, ``.eml``)
is recognised by its content. Reader modules are imported when first needed, and a
missing one is simply not asked.

A ZIP can hold both: a newsletter account export carries the member lists beside the
opens and clicks. Its members then split three ways (:class:`SourcePlan`): activity
members, subscriber lists (a member the subscriber import recognises as a platform's
export, not by guessing), and the rest (index files such as ``campaigns.csv``, aggregate
copies of the activity), which are left out and named in the report.

One file can be both: a subscriber list whose columns also total each person's
engagement (Substack's dashboard export). A reader that says so through
``recognises_dashboard(headers)`` gets the file as an activity source, and the same file
is a subscriber list too: the import reads its people first, then their engagement, in
one batch of kind ``mixed``.
"""

from __future__ import annotations

import codecs
import importlib
import io
import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from types import ModuleType
from typing import Any

from crm.errors import ImportFormatError, SmallyesError
from crm.importing.activity.rows import ActivityRow, Rejected
from crm.importing.decoding import SNIFF_BYTES, Decoding, Source, detect_decoding, sources_for
from crm.importing.platforms import detect_platform
from crm.importing.records import RecordReader

log = logging.getLogger(__name__)

# The reader modules, most specific first: the generic activity CSV claims any file with
# an email, a time and a URL or an action, so it is asked last.
READERS: tuple[str, ...] = (
    "crm.importing.activity.mailchimp",
    "crm.importing.activity.substack",
    "crm.importing.activity.buttondown",
    "crm.importing.activity.buttondown_surveys",
    "crm.importing.activity.google_forms",
    "crm.importing.activity.typeform",
    "crm.importing.activity.tally",
    "crm.importing.activity.stripe",
    "crm.importing.activity.gumroad",
    "crm.importing.activity.calendly",
    "crm.importing.activity.calcom",
    "crm.importing.activity.shopify",
    "crm.importing.activity.paypal",
    "crm.importing.activity.generic",
)
MAILBOX_READER = "crm.importing.activity.mailbox"
_HEAD_BYTES = 4 * SNIFF_BYTES  # what is read of a source to know its header
_SAMPLE_ROWS = 20  # rows of that head shown to the subscriber detection


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def reader_modules() -> list[ModuleType]:
    """The activity readers present, in the order they are asked."""
    found = []
    for name in READERS:
        module = _module(name)
        if module is not None and hasattr(module, "recognises") and hasattr(module, "read"):
            found.append(module)
    return found


def head_of(source: Source) -> tuple[tuple[str, ...], list[list[str]]] | None:
    """A source's header and first rows, from its first bytes only (the whole file is
    decoded when it is read); None for a source that is not text or has no header."""
    try:
        with source.open_binary() as handle:
            head = handle.read(_HEAD_BYTES)
    except (OSError, ImportFormatError):
        return None
    text = _decode_head(head)
    if text is None:
        return None
    try:
        reader = RecordReader(io.StringIO(text, newline=""))
    except ImportFormatError:
        return None
    if reader.header is None:
        return None
    rows: list[list[str]] = []
    try:
        for _, fields in reader:
            rows.append(fields)
            if len(rows) >= _SAMPLE_ROWS:
                break
    except ImportFormatError:
        pass  # the head ends inside a quoted cell: the rows before it are whole
    return reader.header.names, rows


def _decode_head(head: bytes) -> str | None:
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, "ignore")
    if b"\x00" in head:
        return None
    try:
        return codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
    except UnicodeDecodeError:
        return head.decode("cp1252", "replace")


def recognising_reader(
    source: Source, headers: Sequence[str], readers: Sequence[ModuleType]
) -> ModuleType | None:
    member = source.member or ""
    for module in readers:
        if module.recognises(member, headers):
            return module
    return None


def activity_sources(sources: Sequence[Source]) -> list[tuple[Source, ModuleType]]:
    """The sources an activity reader recognises, each with its reader."""
    readers = reader_modules()
    found: list[tuple[Source, ModuleType]] = []
    if not readers:
        return found
    for source in sources:
        head = head_of(source)
        if head is None:
            continue
        module = recognising_reader(source, head[0], readers)
        if module is not None:
            found.append((source, module))
    return found


@dataclass
class ActivitySource:
    """One activity source and the reader of its rows."""

    label: str  # the member or file name, as the report names it
    platform: str  # the reader's PLATFORM
    reader: ModuleType
    source: Source | None = None  # None: a mailbox, read from the path
    path: Path | None = None
    context: Any = None
    size: int = 0

    def rows(self) -> Generator[ActivityRow | Rejected, None, None]:
        if self.source is None:
            assert self.path is not None
            yield from self.reader.read_mailbox([self.path])
            return
        decoding: Decoding = detect_decoding(self.source)
        yield from self.reader.read(self.source, decoding, self.context)


@dataclass
class SourcePlan:
    """What an import reads, and how: activity sources, subscriber lists, the rest."""

    sources: list[Source]
    activity: list[ActivitySource] = field(default_factory=list)
    subscribers: list[Source] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if not self.activity:
            return "subscribers"
        return "mixed" if self.subscribers else "activity"


def _context(module: ModuleType, sources: Sequence[Source], cache: dict[str, Any]) -> Any:
    """The reader's context from the export's other files (titles in an index file)."""
    if module.__name__ not in cache:
        make = getattr(module, "read_context", None)
        if make is not None:
            cache[module.__name__] = make(list(sources))
        else:
            context = _module("crm.importing.activity.context")
            cache[module.__name__] = context.ReadContext() if context is not None else None
    return cache[module.__name__]


def plan_sources(path: Path) -> SourcePlan:
    """The import's sources (``sources_for``), split into activity, subscribers, the rest."""
    mail = _module(MAILBOX_READER)
    if (
        mail is not None
        and hasattr(mail, "recognises_mail")
        and path.is_file()
        and mail.recognises_mail(path)
    ):
        size = path.stat().st_size
        mailbox = ActivitySource(path.name, str(mail.PLATFORM), mail, path=path, size=size)
        return SourcePlan([], [mailbox])
    sources = sources_for(path)
    readers = reader_modules()
    plan = SourcePlan(sources)
    if not readers:
        plan.subscribers = list(sources)
        return plan
    heads = {source: head_of(source) for source in sources}
    contexts: dict[str, Any] = {}
    others: list[Source] = []
    for source in sources:
        head = heads[source]
        module = recognising_reader(source, head[0], readers) if head is not None else None
        both = module is None and head is not None
        if both:
            assert head is not None  # for mypy: ``both`` says so
            module = _dashboard_reader(head[0], readers)
        if module is None:
            others.append(source)
            continue
        if both:
            plan.subscribers.append(source)  # its people, read before their engagement
        plan.activity.append(
            ActivitySource(
                source.label if source.member is None else source.member,
                str(getattr(module, "PLATFORM", module.__name__.rsplit(".", 1)[-1])),
                module,
                source,
                context=_context(module, sources, contexts),
                size=source.size,
            )
        )
    if not plan.activity:
        plan.subscribers = list(sources)
        return plan
    for source in others:
        head = heads[source]
        if head is not None and _is_subscriber_list(*head):
            plan.subscribers.append(source)
        else:
            plan.ignored.append(source.label if source.member is None else source.member)
    return plan


def _dashboard_reader(headers: Sequence[str], readers: Sequence[ModuleType]) -> ModuleType | None:
    """The reader of a subscriber list's engagement columns, if one recognises them."""
    for module in readers:
        recognises = getattr(module, "recognises_dashboard", None)
        if recognises is not None and recognises(headers):
            return module
    return None


def _is_subscriber_list(headers: Sequence[str], rows: list[list[str]]) -> bool:
    """Whether the subscriber import knows this header as a platform's export (a guess
    from column names alone is not enough inside an activity export)."""
    detection = detect_platform(headers, rows)
    return detection.platform != "generic" and not detection.heuristic


# Rows of each activity source read to tell its questions and whether its times have a zone.
LOOK_ROWS = 500


@dataclass(frozen=True, slots=True)
class ActivityLook:
    """What the import window asks about an activity export before importing it."""

    questions: tuple[str, ...]  # the form questions answered in the first rows, in order
    local_times: bool  # some time is written without a zone: the owner says which zone


def look_at(plan: SourcePlan, rows: int = LOOK_ROWS) -> ActivityLook:
    """The questions and the zone-less times of the first ``rows`` rows of each activity
    source. A source that cannot be read is left for the import to say why."""
    questions: dict[str, str] = {}  # folded -> as first written
    local = False
    for activity in plan.activity:
        if activity.source is None:
            continue  # a mailbox: its dates carry their zone
        found = activity.rows()
        try:
            for row in islice(found, rows):
                if isinstance(row, Rejected):
                    continue
                local = local or row.at_is_local
                for answer in row.answers:
                    text = " ".join(answer.question.split())
                    questions.setdefault(text.casefold(), text)
        except SmallyesError as exc:
            log.info("%s: not looked at further (%s)", activity.label, exc.user_message)
        finally:
            found.close()
    return ActivityLook(tuple(questions.values()), local)
