"""Shared by the form readers' tests: the sample files, reading them, other formats' headers."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType

from hypothesis import strategies as st

from crm.errors import ImportFormatError
from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import ActivityRow, Rejected
from crm.importing.decoding import Source, detect_decoding, open_text, sources_for
from crm.importing.records import RecordReader

DATA = Path(__file__).resolve().parents[3] / "data"
FORMS = DATA / "activity" / "forms"
SUBSCRIBER_EXPORTS = sorted(p for p in (DATA / "csv").rglob("*") if p.is_file())

# The first line of each activity format, as its research notes and samples give it.
OTHER_HEADERS = {
    "mailchimp opens": "Email,Timestamp",
    "mailchimp clicks": "Email,Timestamp,Url",
    "mailchimp aggregate": "Email Address,First Name,Last Name",
    "substack posts": "post_id,post_date,is_published,email_sent_at,inbox_sent_at,type,"
    "audience,title,subtitle,podcast_url",
    "substack opens": "post_id,timestamp,email,post_type,post_audience,active_subscription,"
    "country,city,region,device_type,client_os,client_type,user_agent",
    "substack delivers": "post_id,timestamp,email,post_type,post_audience,active_subscription",
    "buttondown events": "id,token,email_id,subscriber__email,event_type,timestamp,metadata",
    "buttondown surveys": "survey__identifier,subscriber__email,answer,email_id,automation_id",
    "google forms": "Timestamp,Email Address,Which topic interests you more?",
    "google forms fr": "Horodateur;Adresse e-mail;Quel thème vous intéresse le plus ?",
    "typeform": "#,Which topic interests you more?,utm_source,Start Date (UTC),"
    "Submit Date (UTC),Network ID",
    "typeform 2024": "#,Which topic?,Response Type,Start Date (UTC),Stage Date (UTC),"
    "Submit Date (UTC),Network ID,Tags",
    "tally": '"Submission ID","Respondent ID","Submitted at","Email"',
    "calendly": "User Name,Team,Invitee Name,Invitee First Name,Invitee Last Name,Invitee Email,"
    "Invitee Time Zone,Event Type Name,Start Date & Time,End Date & Time,"
    "Event Created Date & Time,Canceled,Question 1,Response 1,Event UUID,Invitee UUID",
    "cal.com": "id,uid,title,createdAt,timeStatus,eventTypeId,eventLength,startTime,endTime,"
    "paid,userEmail,userUsername",
    "stripe": "id,Description,Created (UTC),Amount,Amount Refunded,Currency,Status,"
    "Customer ID,Customer Email,Captured",
    "gumroad": "Purchase ID,Item Name,Buyer Name,Purchase Email,Buyer Email,Purchase Date,"
    "Purchase Time (UTC timezone),Sale Price ($),Refunded?,Fully Refunded?",
    "shopify": "Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Total,Created at",
    "paypal": "Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,From Email Address",
    "listmonk": '"campaignId","url","name","email"',
}


def headers_of(path: Path) -> tuple[str, ...]:
    """The cleaned header of a file, as a reader's ``recognises`` is given it."""
    source = sources_for(path)[0]
    with open_text(source, detect_decoding(source)) as stream:
        header = RecordReader(stream).header
    return header.names if header is not None else ()


def header_line(line: str) -> tuple[str, ...]:
    """A header line split as the reading layer splits it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "h.csv"
        path.write_text(line + "\n", encoding="utf-8")
        return headers_of(path)


def read_all(
    module: ModuleType, path: Path, context: ReadContext | None = None
) -> list[ActivityRow | Rejected]:
    """Every row the reader gives for each CSV of ``path``."""
    out: list[ActivityRow | Rejected] = []
    for source in sources_for(path):
        out.extend(module.read(source, detect_decoding(source), context or ReadContext()))
    return out


def read_source(module: ModuleType, source: Source) -> list[ActivityRow | Rejected]:
    return list(module.read(source, detect_decoding(source), ReadContext()))


def answered(rows: Sequence[ActivityRow | Rejected]) -> list[ActivityRow]:
    return [r for r in rows if isinstance(r, ActivityRow)]


def reasons(rows: Sequence[ActivityRow | Rejected]) -> Counter[str]:
    return Counter(r.reason for r in rows if isinstance(r, Rejected))


def write(folder: Path, name: str, content: bytes | str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


_PIECES = st.sampled_from(
    [b",", b";", b"\t", b'"', b"\r", b"\n", b"\r\n", b"@", b"a@example.com", b"x", b" ",
     b"\x00", b"\xc3\xa9", b"\xe9", b"\xef\xbb\xbf", b"5/14/2024 9:03:27", b"18/05/2024 09:45",
     b"2024/05/14 9:03:27 PM GMT-4", b"13/13/2024", b"2024-05-17 03:39:57", b"partial",
     b"GMT+99", b"12 AM", b"<b>", b"&amp;"]
)  # fmt: skip
_FIELDS = st.one_of(
    st.sampled_from(
        ["a@example.com", "", "partial", "completed", "5/14/2024 9:03:27", "31/02/2024 10:00",
         "2024-05-17 03:39:57", "2024-13-45 00:00:00", "2024/05/14 9:03:27 PM GMT-4",
         "12:00:00 PM", "GMT+99", "soon", "0001-01-01T00:00:00+01:00", "9999/12/31 23:00 GMT-9",
         '"', "x\ny", "\x00"]
    ),
    st.text(max_size=12),
)  # fmt: skip
# Records long enough to reach every column, so odd cells reach the time and email code.
_RECORDS = st.lists(st.lists(_FIELDS, max_size=12), max_size=6).map(
    lambda rows: "".join(",".join(r) + "\n" for r in rows).encode("utf-8", "surrogatepass")
)
BODIES = st.one_of(st.binary(max_size=200), st.lists(_PIECES, max_size=50).map(b"".join), _RECORDS)


def never_raises_but_format_errors(
    read: Callable[[Source], Iterator[ActivityRow | Rejected]], content: bytes
) -> None:
    """Reading ``content`` gives rows, or an ImportFormatError with a sentence."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(content)
        try:
            for source in sources_for(path):
                for row in read(source):
                    assert isinstance(row, ActivityRow | Rejected)
        except ImportFormatError as exc:
            assert exc.user_message.strip()


def reader_of(module: ModuleType) -> Callable[[Source], Iterator[ActivityRow | Rejected]]:
    def read(source: Source) -> Iterator[ActivityRow | Rejected]:
        return module.read(source, detect_decoding(source), ReadContext())  # type: ignore[no-any-return]

    return read
