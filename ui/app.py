"""The desktop app's entry point: ``smallyes`` and ``python -m ui``.

``--exit-after-show`` opens the window, waits until the lead table has painted its first
rows, prints ``shown_after_s=<seconds since the process started>`` and exits: the start-up
benchmark and the packaged-build smoke test use it.
"""

from __future__ import annotations

# First: the start-up clock starts when this module loads.
from ui.startclock import seconds_since_start  # isort: skip

import argparse
import logging
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from crm.errors import StorageError
from crm.logsetup import configure_logging
from crm.store.db import close_database, current_book, open_database
from crm.store.paths import database_path, resolve_db_path
from crm.store.problems import known_storage_problem
from crm.timefmt import utc_now
from ui import errors
from ui.collector import GuiThreadCollector
from ui.style import setup_style

if TYPE_CHECKING:
    from crm.store.lock import InstanceLock

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smallyes", description="Smallyes: a desktop CRM that turns small yeses into sales."
    )
    parser.add_argument("--db", metavar="PATH", help="database file (default: user data folder)")
    parser.add_argument(
        "--exit-after-show",
        action="store_true",
        help="open the window, print shown_after_s=<seconds> once the lead list is painted, "
        "and exit (for benchmarks and smoke tests)",
    )
    return parser


class _Session:
    """The open database with its window and safety actions (rebuilt after a restore)."""

    def __init__(self, db: Any, lock: InstanceLock | None) -> None:
        self.lock = lock
        self._open(db)

    def _open(self, db: Any) -> None:
        from ui.main_window import MainWindow  # after the database: a refusal shows sooner
        from ui.safety.actions import install_safety

        self.db = db
        self.window = MainWindow(database_path(db).resolve(), defer_extensions=True)
        self.safety = install_safety(self.window, self.lock, daily_backup=False)
        self.closed = False

    def reopen(self, db: Any) -> None:
        """A fresh window on the restored database."""
        self._open(db)
        self.window.show()

    def close_window(self) -> None:
        if not self.closed:
            self.closed = True
            self.window.hide()
            self.window.shutdown()
            self.safety.shutdown()


# Once the window has settled, matplotlib is imported on a side thread: the Funnel page
# then opens in a few milliseconds instead of pausing for the import the first time.
CHARTS_PRELOAD_DELAY_MS = 3000


def _preload_charts() -> None:
    from crm.analytics.charts import preload

    threading.Thread(target=preload, name="smallyes-charts-preload", daemon=True).start()


def main(argv: Sequence[str] | None = None) -> int:
    args, qt_args = build_parser().parse_known_args(argv)
    from ui.safety.startup import install_known_problem_hook, startup_checks

    log_path = configure_logging()
    errors.install_excepthook(log_path)

    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    assert isinstance(app, QApplication)
    app.setApplicationName("Smallyes")
    app.setOrganizationName("smallyes")
    app.setApplicationDisplayName("Smallyes")
    app.setDesktopFileName("smallyes")
    setup_style(app)
    GuiThreadCollector(app)  # garbage with Qt objects must never be freed on a worker thread

    install_known_problem_hook()
    # One window per database (a second start brings the first to the front), and a
    # damaged file is caught here, with the newest good backup offered.
    startup = startup_checks(resolve_db_path(args.db), now=utc_now())
    if not startup.go:
        return 1
    try:
        # Writes wait for the full check (a pending migration too); reads go ahead.
        db = open_database(args.db, gate=startup.check)
    except StorageError as exc:
        if startup.lock is not None:
            startup.lock.release()
        log.warning("cannot open the database: %s", exc.user_message)
        QMessageBox.critical(None, "Smallyes cannot open its database", exc.user_message)
        return 1

    from ui.safety.startup import settle_health_check

    # The full integrity check reads the whole file: it starts once the first rows are
    # painted and runs beside the window. Until it passes every write waits for it (and
    # the daily backup waits for a clean result); a damaged file refuses every write,
    # closes the window and the restore is offered.
    gate = startup.check  # None once a restored file, checked by the restore, is open
    try:
        session = _Session(db, startup.lock)
    except Exception as exc:
        # Damage the probe missed can break the first page itself: the full check decides.
        if known_storage_problem(exc) is None or gate is None or not gate.problems():
            raise
        restored = settle_health_check(startup, db, database_path(db), now=utc_now())
        if restored is None:
            return 1
        gate = None
        session = _Session(restored, startup.lock)
    window = session.window
    poll = QTimer()
    poll.setInterval(30)

    def settle() -> None:
        check = gate
        if check is not None and not check.done:
            return
        poll.stop()
        if check is not None and check.problems():
            session.close_window()
            restored = settle_health_check(
                startup, session.db, database_path(session.db), now=utc_now()
            )
            if restored is None:
                app.exit(1)
                return
            session.reopen(restored)
        if not args.exit_after_show:
            session.safety.allow_daily_backups()  # changes are backed up from now on
            QTimer.singleShot(CHARTS_PRELOAD_DELAY_MS, _preload_charts)

    poll.timeout.connect(settle)

    if args.exit_after_show:

        def report() -> None:
            print(f"shown_after_s={seconds_since_start():.3f}", flush=True)
            if window.extensions_installed:
                finish()
            else:
                window.sig_extensions_installed.connect(finish)

        def finish() -> None:
            # The other pages, the import and the suggestions are in place too.
            print(f"ready_after_s={seconds_since_start():.3f}", flush=True)
            # exit(), not quit(): quit() closes the window, which would save its state, and
            # a benchmark run is not a user session.
            QTimer.singleShot(0, lambda: app.exit(0))

        window.leads_page.sig_first_rows_painted.connect(report)
        if window.leads_page.is_empty:
            # Nothing to paint in an empty database: the window itself is the first view.
            QTimer.singleShot(0, report)

    def start_check() -> None:
        if gate is not None:
            gate.start()
        poll.start()

    window.leads_page.sig_first_rows_painted.connect(start_check)
    if window.leads_page.is_empty:
        QTimer.singleShot(0, start_check)
    window.show()
    log.info("started with %s", database_path(db))
    try:
        return app.exec()
    finally:
        poll.stop()
        session.close_window()
        close_database(session.db)
        # A restore (the window's own, or a file put in place) opened the book again.
        if (book := current_book()) is not None and book is not session.db:
            close_database(book)
