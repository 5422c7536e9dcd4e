"""Forget this person: erase a lead for good, and keep them forgotten.

``forget_lead`` keeps the lead's row, anonymised and marked ``erased``, with its yeses and
asks, so the funnel's past counts do not change; every personal field, note, tag and import
record is removed, and the file is rewritten so no copy of the old values is left in the
database or its journal. Their address goes on the list of forgotten people
(``crm.safety.suppression``, keyed hashes only), so an import or a restore does not bring
them back (``reapply_suppression`` forgets them again in a restored book), and a forget
stopped after the erase (a reader, a full disk, a read-only backup) is finished by
forgetting the same address again. ``purge_backups`` erases them from the backups too.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peewee import DatabaseError

from crm.book.leads import (
    LeadStatus,
    get_lead,
)
from crm.changes import LEAD_TABLES, note
from crm.errors import ForgetUnfinishedError, NotFoundError, SmallyesError
from crm.safety.suppression import (
    address_key,
    ensure_key,
    is_forgotten,
    load_check,
    mark_scrubbed,
    remember,
    unfinished_forgets,
)
from crm.store.models import database_proxy
from crm.store.paths import database_path
from crm.store.problems import known_storage_problem
from crm.timefmt import utc_now

log = logging.getLogger(__name__)

# An erased lead's email: a random name at a domain that can never receive mail.
ERASED_DOMAIN = "erased.invalid"


@dataclass(frozen=True, slots=True)
class ForgetReport:
    lead_id: int
    placeholder: str  # the erased row's email: random, never a real address


Execute = Callable[[str, Sequence[Any]], Any]


def erase_lead_rows(execute: Execute, lead_id: int, placeholder: str) -> None:
    """The erase itself, as SQL on any connection (the live database or a backup copy).

    Keeps the row, its yeses and asks (steps, offers, times, outcomes: the funnel's
    counts), and blanks or deletes everything that says who the person was.
    """
    # A bulk delete may keep an earlier lead of theirs for its undo: it goes, whole (a
    # backup made before bulk changes has no such table).
    if execute("SELECT 1 FROM sqlite_master WHERE name = 'bulk_deleted'", []).fetchone():
        execute(
            "DELETE FROM bulk_deleted WHERE (batch_id, lead_id) IN (SELECT d.batch_id, "
            "d.lead_id FROM bulk_deleted d WHERE d.tbl IN ('lead', 'lead_other_email') AND "
            "json_extract(d.data, '$.email_key') IN (SELECT email_key FROM lead WHERE id = ? "
            "UNION SELECT email_key FROM lead_other_email WHERE lead_id = ?))",
            [lead_id, lead_id],
        )
    # A campaign keeps the words of the filter it was made from: a search for their
    # address, or their name, goes (a backup made before campaigns has no such table).
    if execute("SELECT 1 FROM sqlite_master WHERE name = 'campaign'", []).fetchone():
        execute(
            "UPDATE campaign SET audience = 'a filter naming a forgotten person' WHERE "
            "EXISTS (SELECT 1 FROM lead l WHERE l.id = ? AND ("
            "instr(lower(campaign.audience), lower(l.email)) > 0 OR "
            "(l.last_name != '' AND instr(lower(campaign.audience), lower(l.last_name)) > 0))) "
            "OR EXISTS (SELECT 1 FROM lead_other_email o WHERE o.lead_id = ? AND "
            "instr(lower(campaign.audience), lower(o.email)) > 0)",
            [lead_id, lead_id],
        )
    execute(
        "UPDATE lead SET email = ?, email_key = ?, first_name = '', last_name = '', "
        "company = '', phone = '', notes = '', custom = '{}', search_text = '', "
        "status = 'erased', do_not_contact = 1, batch_id = NULL WHERE id = ?",
        [placeholder, placeholder, lead_id],
    )
    # Tags only this person carried are removed too: a tag can be a name.
    execute(
        "DELETE FROM tag WHERE id IN (SELECT tag_id FROM lead_tag WHERE lead_id = ?) "
        "AND NOT EXISTS (SELECT 1 FROM lead_tag o WHERE o.tag_id = tag.id AND o.lead_id != ?)",
        [lead_id, lead_id],
    )
    execute("DELETE FROM lead_tag WHERE lead_id = ?", [lead_id])
    # Their other addresses; a backup made before the book had them has no such table.
    if execute("SELECT 1 FROM sqlite_master WHERE name = 'lead_other_email'", []).fetchone():
        execute("DELETE FROM lead_other_email WHERE lead_id = ?", [lead_id])
    execute("DELETE FROM import_change WHERE lead_id = ?", [lead_id])
    # What they opened, clicked and answered (event keys hold their address); a backup
    # made before the book had activity has no such tables.
    if execute("SELECT 1 FROM sqlite_master WHERE name = 'activity_event'", []).fetchone():
        execute("DELETE FROM commitment_answer WHERE lead_id = ?", [lead_id])
        execute("DELETE FROM activity_event WHERE lead_id = ?", [lead_id])
    # Which tag rules answered for them (a backup made before the book had tag rules has
    # no such table); the yeses stay, their notes (which name the tag) blanked below.
    if execute("SELECT 1 FROM sqlite_master WHERE name = 'tag_rule_yes'", []).fetchone():
        execute("DELETE FROM tag_rule_yes WHERE lead_id = ?", [lead_id])
    # Their sales keep their money and dates (revenue history, no longer anyone's); the
    # platform's ids of the charge, order or booking go, and the keys made from them.
    if execute("SELECT 1 FROM sqlite_master WHERE name = 'sale'", []).fetchone():
        execute(
            "UPDATE sale SET source_id = '', key = -1 - abs(random() / 2) WHERE lead_id = ?",
            [lead_id],
        )
        execute(
            "UPDATE booking SET source_id = '', key = -1 - abs(random() / 2) WHERE lead_id = ?",
            [lead_id],
        )
    execute("UPDATE commitment SET note = '' WHERE lead_id = ?", [lead_id])
    execute("UPDATE ask SET note = '' WHERE lead_id = ?", [lead_id])
    # Status changes keep their from/to (funnel history); notes and imports go.
    execute(
        "UPDATE lead_event SET summary = '', data = CASE WHEN kind = 'status' THEN "
        "json_object('from', json_extract(data, '$.from'), 'to', json_extract(data, '$.to')) "
        "ELSE '{}' END WHERE lead_id = ?",
        [lead_id],
    )
    execute("DELETE FROM lead_event WHERE lead_id = ? AND kind = 'note'", [lead_id])


def new_placeholder() -> str:
    return f"erased-{secrets.token_hex(12)}@{ERASED_DOMAIN}"


# How long the rewrite waits for another program's read of the database to end: the
# journal cannot be emptied while a reader may still need the pages from before the erase.
READER_WAIT_S = 5.0


def _reader_busy() -> ForgetUnfinishedError:
    return ForgetUnfinishedError(
        "reader",
        "another program kept reading the database, so the file still holds old copies of "
        "their details",
        "close that program (or the other Smallyes window)",
    )


def scrub_file(execute: Execute) -> None:
    """Rewrite the whole file and empty the journal: old values left in free space by
    earlier edits are gone, and the WAL no longer holds page images from before.

    Waits up to :data:`READER_WAIT_S` for other programs' reads to end; raises
    ``ForgetUnfinishedError`` when one is still reading.
    """
    # Index samples (SQLITE_ENABLE_STAT4 builds) can hold emails: sample afresh.
    if execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat4'", []).fetchone():
        execute("ANALYZE", [])
    execute("VACUUM", [])
    # The TRUNCATE checkpoint waits for readers through the busy handler: bound that wait.
    timeout = execute("PRAGMA busy_timeout", []).fetchone()[0]
    execute(f"PRAGMA busy_timeout = {int(READER_WAIT_S * 1000)}", [])
    try:
        busy, _, _ = execute("PRAGMA wal_checkpoint(TRUNCATE)", []).fetchone()
    finally:
        execute(f"PRAGMA busy_timeout = {int(timeout)}", [])
    if busy:
        raise _reader_busy()


def finish_scrub(execute: Execute) -> None:
    """:func:`scrub_file` after an erase, with its failures told as what they are: the
    person is already erased, and running forget again finishes the job."""
    try:
        scrub_file(execute)
    except (sqlite3.Error, DatabaseError) as exc:
        if is_busy_error(exc):
            raise _reader_busy() from exc
        known = known_storage_problem(exc)
        if known is None:
            raise
        if "disk is full" in known.user_message:
            raise ForgetUnfinishedError(
                "disk_full",
                "the disk filled up before the file could be cleaned",
                "free some space",
            ) from exc
        raise ForgetUnfinishedError(
            "storage",
            f"the file could not be cleaned ({exc})",
            "check the disk and the file's permissions",
        ) from exc
    try:
        mark_scrubbed(execute)
    except (sqlite3.Error, DatabaseError) as exc:
        # The file is clean; the flag only makes the next forget rewrite it once more.
        log.warning("could not record the finished rewrite: %s", exc)


def is_busy_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def forget_lead(lead_id: int, *, now: dt.datetime | None = None) -> ForgetReport:
    """Irreversibly erase one person; see the module text for what is kept.

    Their address goes on the list of forgotten people (crm.safety.suppression) in the erase's own
    transaction: if the rewrite of the file fails afterwards (``ForgetUnfinishedError``),
    :func:`finish_forget` by their address finishes it.
    """
    note(tables=[*LEAD_TABLES, "forgotten_address", "import_change"], leads=[lead_id])
    lead = get_lead(lead_id)
    if lead.status == LeadStatus.ERASED:
        raise NotFoundError("That person was already forgotten.")
    placeholder = new_placeholder()
    db = database_proxy
    key = ensure_key(database_path(db.obj))
    db.execute_sql("PRAGMA secure_delete = ON")
    try:
        with db.atomic():
            row = db.execute_sql("SELECT email_key FROM lead WHERE id = ?", [lead_id]).fetchone()
            remember(db.execute_sql, key, row[0], now or utc_now())
            # their other addresses name them too: an import keyed on one must not bring
            # them back
            for (other,) in db.execute_sql(
                "SELECT email_key FROM lead_other_email WHERE lead_id = ?", [lead_id]
            ).fetchall():
                remember(db.execute_sql, key, other, now or utc_now())
            erase_lead_rows(db.execute_sql, lead_id, placeholder)
        log.info("lead %d erased", lead_id)
        finish_scrub(db.execute_sql)
    finally:
        db.execute_sql("PRAGMA secure_delete = OFF")
    return ForgetReport(lead_id=lead_id, placeholder=placeholder)


def finish_forget(email: str) -> None:
    """Finish forgetting someone already erased from the book (known by their address on
    the list of forgotten people): rewrite the file that a reader or a full disk kept
    from being cleaned. Their backups are :func:`purge_backups`'s."""
    if not is_forgotten(email):
        raise NotFoundError(f"No lead has the email '{email.strip()}': check the address.")
    finish_scrub(database_proxy.execute_sql)


def finish_unfinished_forgets() -> int:
    """Rewrite the file when an earlier forget could not (the app does this at start-up,
    before its daily backup copies the file); return how many forgets were unfinished."""
    note(tables=[*LEAD_TABLES, "forgotten_address", "import_change"], leads=None)
    pending = unfinished_forgets(database_proxy.execute_sql)
    if pending:
        finish_scrub(database_proxy.execute_sql)
    return pending


def _lead_in_backup(path: Path, key: str) -> int | None:
    """The id of the lead with this dedupe key in a backup, read without writing anything."""
    from crm.store.health import read_only_uri

    con = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        row = con.execute(
            "SELECT id FROM lead WHERE email_key = ? AND status != 'erased'", [key]
        ).fetchone()
    finally:
        con.close()
    return None if row is None else int(row[0])


def _erase_in_backup(path: Path, lead_id: int) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA secure_delete = ON")
        con.execute("BEGIN IMMEDIATE")
        try:
            erase_lead_rows(con.execute, lead_id, new_placeholder())
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        scrub_file(con.execute)
    finally:
        con.close()


def purge_backups(email: str, db_path: Path) -> tuple[list[Path], list[Path]]:
    """Erase the person with this email from every backup in ``backups/``.

    A backup that holds them is rewritten with the same erase; one that cannot be
    rewritten (damaged, read-only) is removed. Returns (rewritten, removed). A backup that
    holds them and can be neither rewritten nor removed raises ``ForgetUnfinishedError``
    naming it, after every other backup was dealt with: running the purge again finishes.
    """
    from crm.safety.backup import clean_leftovers, find_leftovers, list_backups

    key = address_key(email)
    rewritten: list[Path] = []
    # Hidden copies a killed backup or restore left hold everyone: they go first.
    removed: list[Path] = clean_leftovers(db_path)
    stuck: list[tuple[Path, OSError]] = []
    for backup in list_backups(db_path):
        try:
            lead_id = _lead_in_backup(backup.path, key)
            if lead_id is None:
                continue
        except sqlite3.Error as exc:
            log.warning("could not read backup %s (%s): removing it", backup.path, exc)
        else:
            try:
                _erase_in_backup(backup.path, lead_id)
                rewritten.append(backup.path)
                continue
            except (sqlite3.Error, SmallyesError) as exc:
                log.warning(
                    "could not erase a lead from backup %s (%s): removing it", backup.path, exc
                )
        try:
            for path in (
                backup.path,
                *(backup.path.with_name(backup.path.name + s) for s in ("-wal", "-shm")),
            ):
                path.unlink(missing_ok=True)
            removed.append(backup.path)
        except OSError as exc:
            stuck.append((backup.path, exc))
    busy = find_leftovers(db_path)
    if busy:
        raise ForgetUnfinishedError(
            "backup",
            f"another Smallyes process is writing a copy of the book ({busy[0].name})",
            "wait for it to finish",
            "run forget --purge-backups again",
        )
    if stuck:
        path, failure = stuck[0]
        more = f" (and {len(stuck) - 1} more)" if len(stuck) > 1 else ""
        raise ForgetUnfinishedError(
            "backup",
            f"the backup {path}{more} still holds them and could be neither rewritten nor "
            f"removed ({failure.strerror})",
            f"make {path.parent} writable",
            "run forget --purge-backups again",
        )
    return rewritten, removed


@dataclass(frozen=True, slots=True)
class ReapplyReport:
    forgotten_again: int  # leads of the restored book erased again
    unreadable: int  # listed people this folder's key cannot recognise
    # Why the file could not be rewritten after the erase (a reader, a full disk), or "":
    # the next forget, or the app's next start, rewrites it.
    unfinished: str = ""


def _listed_in(path: Path) -> list[tuple[str, str, str]]:
    """The list in another book file (the one a restore replaced), read-only; [] when it
    has none or cannot be read (a damaged file: its copy is kept, the restore goes on)."""
    from crm.store.health import read_only_uri

    try:
        con = sqlite3.connect(read_only_uri(path), uri=True)
    except sqlite3.Error:
        return []
    try:
        return [
            (str(d), str(k), str(at))
            for d, k, at in con.execute(
                "SELECT digest, key_id, forgotten_at FROM forgotten_address"
            )
        ]
    except sqlite3.Error as exc:
        log.warning("could not read the list of forgotten people in %s: %s", path, exc)
        return []
    finally:
        con.close()


def reapply_suppression(previous: Path | None, *, now: dt.datetime) -> ReapplyReport:
    """After a restore, on the open (restored) book: merge in the list of the book it
    replaced (``previous``, the copy the restore kept), then forget again every lead whose
    address is on the list. A backup made before someone was forgotten would otherwise
    bring them back without a word."""
    note(tables=[*LEAD_TABLES, "forgotten_address", "import_change"], leads=None)
    db = database_proxy
    db_path = database_path(database_proxy.obj)
    if previous is not None:
        rows = _listed_in(previous)
        if rows:
            with db.atomic():
                for row in rows:
                    db.execute_sql(
                        "INSERT OR IGNORE INTO forgotten_address (digest, key_id, forgotten_at) "
                        "VALUES (?, ?, ?)",
                        list(row),
                    )
    check = load_check(db.execute_sql, db_path)
    if not check:
        return ReapplyReport(0, check.unreadable)
    again = [
        (int(lead_id), str(email_key))
        for lead_id, email_key in db.execute_sql(
            "SELECT id, email_key FROM lead WHERE status != 'erased'"
        ).fetchall()
        if check.holds(email_key)
    ]
    if again:
        assert check.key is not None
        db.execute_sql("PRAGMA secure_delete = ON")
        try:
            with db.atomic():
                for lead_id, email_key in again:
                    remember(db.execute_sql, check.key, email_key, now)
                    erase_lead_rows(db.execute_sql, lead_id, new_placeholder())
            log.info("forgot %d people again after a restore", len(again))
            finish_scrub(db.execute_sql)
        except ForgetUnfinishedError as exc:
            return ReapplyReport(len(again), check.unreadable, exc.user_message)
        finally:
            db.execute_sql("PRAGMA secure_delete = OFF")
    return ReapplyReport(len(again), check.unreadable)
