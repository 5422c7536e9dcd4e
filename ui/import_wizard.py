"""The import window: file, preview and mapping, dry run, the run itself, the summary.

Also the Imports page (the history of batches, each with its counts and an undo). The
work happens in ``crm.importing``; this module only shows it. Imports and undos run on
the window's ``TaskRunner`` thread, so the window stays responsive and Cancel works.
Dialogs (file choosers, confirmations) open through module functions tests replace.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zoneinfo
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.book.interests import marked_questions
from crm.book.leads import STATUS_LABELS, LeadStatus
from crm.changes import Change
from crm.errors import SmallyesError
from crm.importing import ImportOptions, ImportReport, Preview, import_csv, preview_csv
from crm.importing import save_rejected as write_rejected
from crm.importing.activity.apply import owner_zone
from crm.importing.activity.detect import SourcePlan, look_at, plan_sources
from crm.importing.activity.report import ActivityReport
from crm.importing.activity.table import written_with_zone
from crm.importing.labels import platform_words
from crm.importing.mapping import (
    ACTIVITY_CHOICES,
    ACTIVITY_TARGETS,
    DATE_TARGETS,
    TARGET_LABELS,
    ColumnMap,
    Mapping,
    Target,
)
from crm.importing.undo import BatchRow, UndoReport, list_imports, undo_import
from crm.importing.values import day_month_order
from crm.timefmt import local, utc_now
from ui.drops import dropped_file
from ui.empty_state import lay_out_empty_state
from ui.settings import Settings
from ui.style import styled
from ui.workers import JobFailure, TaskRunner

if TYPE_CHECKING:
    from ui.events import AppEvents
    from ui.pages import Host

log = logging.getLogger(__name__)

IMPORTS_PAGE = "imports"
POLICY_LABELS = {
    "fill": "Fill empty fields only (keep what I have)",
    "skip": "Skip people I already have",
    "overwrite": "Overwrite my fields with the file's (never with blanks)",
}
ORDER_LABELS = {"": "Ask: which order?", "dmy": "Day first (31/12/2024)", "mdy": "Month first"}
# Targets offered in the mapping combo of a list of people, in this order; "custom" lets
# the user name it. An activity file's columns have their own few (ACTIVITY_CHOICES).
_CHOICES = [t for t in Target if t is not Target.CUSTOM and t not in ACTIVITY_TARGETS] + [
    Target.CUSTOM
]
KIND_PEOPLE, KIND_ACTIVITY = "people", "activity"


# --- dialogs, kept in functions so tests can replace them ---------------------------------


def choose_file(parent: QWidget) -> Path | None:
    """Ask for the file to import, starting in the folder of the last one."""
    settings = Settings()
    name, _ = QFileDialog.getOpenFileName(
        parent,
        "Import a newsletter or contacts export",
        settings.last_import_folder,
        "CSV exports (*.csv *.txt *.tsv *.zip);;All files (*)",
    )
    if not name:
        return None
    path = Path(name)
    settings.last_import_folder = str(path.parent)
    return path


def choose_save_path(parent: QWidget, suggested: str) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(
        parent, "Save rejected rows", suggested, "CSV files (*.csv)"
    )
    return Path(name) if name else None


def confirm_undo(parent: QWidget, text: str) -> bool:
    answer = QMessageBox.question(
        parent,
        "Undo import",
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


def show_error(parent: QWidget, message: str) -> None:
    QMessageBox.warning(parent, "Import", message)


# --- the import window -------------------------------------------------------------------


class ImportWizard(QDialog):
    """One import, from choosing the file to the summary (and its undo)."""

    sig_imported = Signal(object)  # ImportReport, after a real (not dry) run
    sig_undone = Signal(object)  # UndoReport

    PAGE_FILE, PAGE_MAP, PAGE_RUN, PAGE_SUMMARY = range(4)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        events: AppEvents | None = None,
    ) -> None:
        """``events``: where the window's imports and undos are published."""
        super().__init__(parent)
        self.setWindowTitle("Import subscribers")
        self.setAcceptDrops(True)
        self.resize(980, 680)
        self._clock = clock
        self.path: Path | None = None
        self.preview: Preview | None = None
        self.target_combos: list[QComboBox] = []
        self.custom_edits: list[QLineEdit] = []
        self.asks_consent = False
        self.report: ImportReport | None = None
        self.dry_report: ImportReport | None = None
        self.activity: SourcePlan | None = None  # an activity export: nothing to map
        # lists of people with activity beside them (an account ZIP): the lists are mapped
        self.mixed: SourcePlan | None = None
        self.interest_checks: list[QCheckBox] = []
        self.asks_zone = False  # some times of the file are written without a zone
        self._dry = False
        self._started = 0.0
        self._runner = TaskRunner(self, writes=True, events=events)
        self._runner.sig_progress.connect(self._on_runner_progress)
        self._runner.sig_finished.connect(self._on_runner_finished)
        self._runner.sig_failed.connect(self._on_runner_failed)
        self._runner.sig_cancelled.connect(self._on_runner_cancelled)

        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_file_page())
        self.stack.addWidget(self._build_map_page())
        self.stack.addWidget(self._build_run_page())
        self.stack.addWidget(self._build_summary_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)

    # -- pages

    def _build_file_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        title = QLabel("Bring in your list")
        title.setStyleSheet("font-size: 18pt; font-weight: 600;")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(
            "Drop the export from Mailchimp, Substack, Ghost, Buttondown, beehiiv, MailerLite, "
            "Brevo, Kit, EmailOctopus, Flodesk, Google Contacts or Outlook here, or any CSV "
            "with an email column. ZIP exports work too."
        )
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.choose_button = QPushButton("Choose a file…")
        self.choose_button.setDefault(True)
        self.choose_button.clicked.connect(self._on_choose_button_clicked)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.choose_button)
        row.addStretch(1)
        self.file_error = styled(QLabel(), "inlineError")
        self.file_error.setWordWrap(True)
        self.file_error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.file_error.hide()
        for widget in (title, hint):
            layout.addWidget(widget)
        layout.addSpacing(12)
        layout.addLayout(row)
        layout.addWidget(self.file_error)
        layout.addStretch(2)
        return page

    def _build_map_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.detected_label = QLabel()
        self.detected_label.setWordWrap(True)
        self.detected_label.setTextFormat(Qt.TextFormat.PlainText)
        self.detected_label.setStyleSheet("font-size: 13pt;")
        self.confirm_label = QLabel()
        self.confirm_label.setWordWrap(True)
        self.confirm_label.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.detected_label)
        layout.addWidget(self.confirm_label)
        # A file nothing recognised may be a list of people or a log of who did what:
        # the owner says which, and the columns are offered accordingly.
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("People: subscribers or contacts, one per row", KIND_PEOPLE)
        self.kind_combo.addItem(
            "Activity: who did what and when (clicks, opens, answers)", KIND_ACTIVITY
        )
        self.kind_combo.setAccessibleName("What the file lists")
        self.kind_combo.currentIndexChanged.connect(self._on_kind_combo_changed)
        self.kind_row = QWidget()
        kind_layout = QHBoxLayout(self.kind_row)
        kind_layout.setContentsMargins(0, 0, 0, 0)
        kind_layout.addWidget(QLabel("This file lists:"))
        kind_layout.addWidget(self.kind_combo)
        kind_layout.addStretch(1)
        layout.addWidget(self.kind_row)

        self.mapping_table = QTableWidget(0, 3)
        self.mapping_table.setAccessibleName("Column mapping")
        self.mapping_table.setHorizontalHeaderLabels(
            ["Column in the file", "First values", "Goes to"]
        )
        self.mapping_table.verticalHeader().setVisible(False)
        self.mapping_table.setWordWrap(False)
        self.mapping_table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.mapping_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.mapping_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.mapping_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.mapping_box = mapping_box = QGroupBox("Column mapping")
        QVBoxLayout(mapping_box).addWidget(self.mapping_table)

        self.rows_table = QTableWidget(0, 0)
        self.rows_table.setAccessibleName("First rows of the file")
        self.rows_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rows_table.setWordWrap(False)
        self.rows_box = rows_box = QGroupBox("First rows")
        QVBoxLayout(rows_box).addWidget(self.rows_table)

        tables = QHBoxLayout()
        tables.addWidget(mapping_box, 3)
        tables.addWidget(rows_box, 2)
        layout.addLayout(tables, 1)
        self.map_layout, self.tables_layout = layout, tables

        self.dates_box = QGroupBox("Dates that could be day/month or month/day")
        self.dates_form = QFormLayout(self.dates_box)
        self.dates_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.date_combos: dict[int, QComboBox] = {}
        layout.addWidget(self.dates_box)

        # What an activity file needs from the owner: the zone of times written without
        # one, and which form questions show interest.
        self.activity_box = QGroupBox("Before importing the activity")
        activity_form = QFormLayout(self.activity_box)
        activity_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.zone_combo = QComboBox()
        self.zone_combo.setAccessibleName("Time zone of times written without one")
        self.zone_combo.setToolTip("The file writes some times without a zone")
        mine = owner_zone()
        self.zone_combo.addItem(
            f"My time zone ({mine})" if mine else "This computer's time zone", mine
        )
        for name in sorted(zoneinfo.available_timezones()):
            if name != mine and "/" in name and not name.startswith(("Etc/", "SystemV/")):
                self.zone_combo.addItem(name, name)
        self.zone_combo.addItem("UTC", "UTC")
        self.zone_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.zone_label = QLabel("Times without a zone are in:")
        activity_form.addRow(self.zone_label, self.zone_combo)
        self.interest_label = QLabel(
            "Tick the questions whose answers show what a person is interested in: each "
            "answer becomes a topic of the person, and the next ask offers what matches it."
        )
        self.interest_label.setWordWrap(True)
        activity_form.addRow(self.interest_label)
        self.interest_list = QWidget()
        self.interest_layout = QVBoxLayout(self.interest_list)
        self.interest_layout.setContentsMargins(12, 0, 0, 0)
        activity_form.addRow(self.interest_list)
        self.activity_form = activity_form
        self.activity_box.hide()
        layout.addWidget(self.activity_box)

        options = QFormLayout()
        options.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.policy_combo = QComboBox()
        for key, label in POLICY_LABELS.items():
            self.policy_combo.addItem(label, key)
        self.policy_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.tag_edit = QLineEdit()
        self.tag_edit.setPlaceholderText("optional, e.g. Spring fair 2026")
        self.tag_edit.setMaxLength(80)
        self.tag_edit.setMinimumWidth(280)
        # Asked only for a generic file with no status column: nothing in it says whether
        # the people opted in, and Smallyes will not assume it.
        self.consent_combo = QComboBox()
        self.consent_combo.addItem("Contacts: they never opted in to my newsletter", False)
        self.consent_combo.addItem("Subscribers: they opted in to my newsletter", True)
        self.consent_combo.setToolTip(
            "Contacts only ever get one invitation to subscribe; subscribers get small asks"
        )
        self.consent_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.consent_label = QLabel("People in this file:")
        options.addRow("People already in Smallyes:", self.policy_combo)
        options.addRow("Tag everyone in this file:", self.tag_edit)
        options.addRow(self.consent_label, self.consent_combo)
        self.people_options = options
        layout.addLayout(options)

        # Takes the room the tables leave when an activity export hides them.
        self.spare_room = QWidget()
        layout.addWidget(self.spare_room, 0)
        self.dry_label = QLabel(
            "Check first: a dry run counts what would change and writes nothing."
        )
        self.dry_label.setWordWrap(True)
        layout.addWidget(self.dry_label)

        buttons = QHBoxLayout()
        self.back_button = QPushButton("Choose another file")
        self.back_button.clicked.connect(lambda: self.stack.setCurrentIndex(self.PAGE_FILE))
        self.dry_button = QPushButton("Check (dry run)")
        self.dry_button.clicked.connect(lambda: self._start(dry=True))
        self.import_button = QPushButton("Import")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(lambda: self._start(dry=False))
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.dry_button)
        buttons.addWidget(self.import_button)
        layout.addLayout(buttons)
        return page

    def _build_run_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        self.run_title = QLabel()
        self.run_title.setStyleSheet("font-size: 14pt;")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)
        self.speed_label = QLabel(" ")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        for widget in (self.run_title, self.progress_bar, self.speed_label):
            layout.addWidget(widget)
        layout.addLayout(row)
        layout.addStretch(2)
        return page

    def _build_summary_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setStyleSheet("font-size: 12pt;")
        layout.addWidget(self.summary_label)
        self.errors_table = QTableWidget(0, 2)
        self.errors_table.setAccessibleName("Rejected rows")
        self.errors_table.setHorizontalHeaderLabels(["Row", "Why it was not imported"])
        self.errors_table.verticalHeader().setVisible(False)
        self.errors_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.errors_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.errors_box = QGroupBox("Rejected rows")
        QVBoxLayout(self.errors_box).addWidget(self.errors_table)
        layout.addWidget(self.errors_box, 20)
        self.warnings_label = QLabel()
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.warnings_label)
        layout.addStretch(1)  # takes the room when no row was rejected
        buttons = QHBoxLayout()
        self.save_errors_button = QPushButton("Save rejected rows as CSV…")
        self.save_errors_button.clicked.connect(self._on_save_errors_button_clicked)
        self.undo_button = QPushButton("Undo this import")
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        buttons.addWidget(self.save_errors_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        return page

    # -- choosing and previewing

    def _on_choose_button_clicked(self) -> None:
        path = choose_file(self)
        if path is not None:
            self.open_file(path)

    def open_file(self, path: Path) -> bool:
        """Preview ``path`` and show its mapping; False (with the reason shown) if unreadable."""
        try:
            plan = plan_sources(path)
        except SmallyesError:
            plan = None  # the subscriber preview says what is wrong with the file
        if plan is not None and plan.kind == "activity":
            self._open_activity(path, plan)
            return True
        self.activity = None
        self.mixed = plan if plan is not None and plan.kind == "mixed" else None
        self._show_tables(True)
        try:
            preview = preview_csv(path, plan=plan)
        except SmallyesError as exc:
            self.path = None
            self.file_error.setText(exc.user_message)
            self.file_error.show()
            self.stack.setCurrentIndex(self.PAGE_FILE)
            return False
        self.path, self.preview = path, preview
        self.file_error.clear()
        self.file_error.hide()
        self.dry_report = None
        self._show_preview(preview)
        self.stack.setCurrentIndex(self.PAGE_MAP)
        return True

    def _open_activity(self, path: Path, plan: SourcePlan) -> None:
        """An activity export: no columns to map; the dry run says what it would add."""
        self.path, self.preview, self.activity, self.mixed = path, None, plan, None
        self.target_combos, self.custom_edits = [], []
        self.file_error.clear()
        self.file_error.hide()
        self.dry_report = None
        self.dry_label.setText("")
        names = ", ".join(sorted({platform_words(s.platform) for s in plan.activity}))
        files = len(plan.activity)
        self.detected_label.setText(
            f"{path.name}: activity from {names}" + (f" ({files:,} files)" if files > 1 else "")
        )
        self.confirm_label.setText(
            "Each row becomes a dated event on its lead: clicks, answers and replies are "
            "yeses, opens count as engagement. A dry run shows what the file adds."
        )
        self.kind_row.hide()
        self._show_tables(False)
        self.dates_box.hide()
        look = look_at(plan)
        self._show_activity_options(look.local_times, look.questions)
        self._show_people_options(False)
        self.stack.setCurrentIndex(self.PAGE_MAP)

    def _show_tables(self, shown: bool) -> None:
        """The mapping and the first rows, or (an export with nothing to map) the room
        they take left below the questions."""
        self.mapping_box.setVisible(shown)
        self.rows_box.setVisible(shown)
        self.map_layout.setStretchFactor(self.tables_layout, 1 if shown else 0)
        self.map_layout.setStretchFactor(self.spare_room, 0 if shown else 1)

    def _show_activity_options(self, local_times: bool, questions: tuple[str, ...]) -> None:
        """The zone of times written without one, and the questions that may show
        interest; the box is shown only when it asks something."""
        self.asks_zone = local_times
        self.zone_label.setVisible(local_times)
        self.zone_combo.setVisible(local_times)
        for check in self.interest_checks:
            self.interest_layout.removeWidget(check)
            check.deleteLater()
        self.interest_checks = []
        marked = marked_questions() if questions else set()
        for question in questions:
            check = QCheckBox(question)
            check.setAccessibleName(f"'{question}' shows interest")
            if question.casefold() in marked:
                # marked by an earlier import: its answers are topics already
                check.setChecked(True)
                check.setEnabled(False)
                check.setText(f"{question} (marked already)")
            check.toggled.connect(self._on_choice_changed)
            self.interest_layout.addWidget(check)
            self.interest_checks.append(check)
        self.interest_label.setVisible(bool(questions))
        self.interest_list.setVisible(bool(questions))
        self.activity_box.setVisible(local_times or bool(questions))

    def _show_people_options(self, shown: bool) -> None:
        """The options of a list of people (duplicates, a tag, consent): an activity file
        has none of them."""
        for field in (self.policy_combo, self.tag_edit):
            self.people_options.setRowVisible(field, shown)
        if not shown:
            self._show_consent(False)

    def _show_preview(self, preview: Preview) -> None:
        extra = f" ({preview.sources} CSV files)" if preview.sources > 1 else ""
        also = ""
        if preview.activity_sources:
            names = ", ".join(platform_words(p) for p in preview.activity_platforms)
            files = preview.activity_sources
            also = f"\nand activity from {names}" + (f" ({files:,} files)" if files > 1 else "")
        self.detected_label.setText(
            f"{preview.file_name}{extra}: {preview.platform_label} · {preview.encoding} · "
            f"{preview.delimiter_name}-separated{also}"
            + "".join(f"\n⚠ {w}" for w in preview.warnings)
        )
        rows = self.rows_table
        rows.clear()
        rows.setColumnCount(len(preview.header))
        rows.setHorizontalHeaderLabels([h or "—" for h in preview.header])
        rows.setRowCount(len(preview.rows))
        for r, values in enumerate(preview.rows):
            for c, value in enumerate(values[: len(preview.header)]):
                # Cells are data: plain text items, never rich text or links.
                rows.setItem(r, c, QTableWidgetItem(" ".join(value.split())))
        rows.resizeColumnsToContents()
        self.consent_combo.setCurrentIndex(0)
        either = bool(preview.activity_mapping)
        self.kind_row.setVisible(either)
        self.kind_combo.blockSignals(True)
        self.kind_combo.setCurrentIndex(1 if either and preview.looks_like_activity else 0)
        self.kind_combo.blockSignals(False)
        self._show_kind()

    def is_activity_mapping(self) -> bool:
        """Whether the owner maps the file as activity (who did what, when)."""
        return (
            self.activity is None
            and self.preview is not None
            and bool(self.preview.activity_mapping)
            and self.kind_combo.currentData() == KIND_ACTIVITY
        )

    def _base_mapping(self) -> Mapping:
        assert self.preview is not None
        if self.is_activity_mapping():
            return self.preview.activity_mapping
        return self.preview.mapping

    def _on_kind_combo_changed(self) -> None:
        self._show_kind()
        self._on_choice_changed()

    def _show_kind(self) -> None:
        """The mapping table and options for the file as people, or as activity."""
        preview = self.preview
        assert preview is not None
        activity = self.is_activity_mapping()
        if activity:
            self.confirm_label.setText(
                "Say which column holds each person's email, when they did it, and what they "
                "did or the link they clicked; a campaign column is optional. For sales and "
                "bookings, also the amount paid, its currency, the amount refunded, the "
                "product, the order id and the meeting time."
            )
        else:
            self.confirm_label.setText(
                "This layout is recognised by its columns, not verified: check where each "
                "column goes before importing."
                if preview.heuristic
                else "Recognised layout: the mapping below is applied as shown."
            )
        self._fill_mapping(self._base_mapping(), ACTIVITY_CHOICES if activity else _CHOICES)
        self._show_people_options(not activity)
        if activity:
            self._show_time_questions()
        else:
            # the activity beside the lists (an account ZIP) asks its own questions
            look = look_at(self.mixed) if self.mixed is not None else None
            if look is not None:
                self._show_activity_options(look.local_times, look.questions)
                self.confirm_label.setText(
                    self.confirm_label.text()
                    + " The activity is imported after these people, in the same run: clicks, "
                    "answers and replies become yeses, opens count as engagement."
                )
            else:
                self._show_activity_options(False, ())
            self._show_date_orders(preview.ambiguous_dates)
            self._show_consent(preview.asks_consent())
        self.dry_label.setText(
            "Check first: a dry run counts what would change and writes nothing."
        )

    def _fill_mapping(self, mapping: Mapping, choices: Sequence[Target]) -> None:
        preview = self.preview
        assert preview is not None
        table = self.mapping_table
        table.setRowCount(len(mapping))
        self.target_combos = []
        self.custom_edits = []
        for row, column in enumerate(mapping):
            name = column.header or f"(column {column.index + 1}, no name)"
            table.setItem(row, 0, QTableWidgetItem(name))
            samples = [r[column.index] for r in preview.rows[:3] if column.index < len(r)]
            shown = " · ".join(" ".join(s.split())[:40] for s in samples if s.strip())
            table.setItem(row, 1, QTableWidgetItem(shown))
            combo = QComboBox()
            for target in choices:
                combo.addItem(TARGET_LABELS[target], target.value)
            combo.setCurrentIndex(max(combo.findData(column.target.value), 0))
            combo.setAccessibleName(f"Where '{name}' goes")
            edit = QLineEdit(column.custom_name or column.header)
            edit.setPlaceholderText("custom field name")
            edit.setAccessibleName(f"Custom field name for '{name}'")
            edit.setVisible(column.target is Target.CUSTOM and Target.CUSTOM in choices)
            combo.currentIndexChanged.connect(
                lambda _i, c=combo, e=edit: e.setVisible(c.currentData() == Target.CUSTOM.value)
            )
            combo.currentIndexChanged.connect(self._on_choice_changed)
            cell = QWidget()
            cell_layout = QHBoxLayout(cell)
            cell_layout.setContentsMargins(2, 0, 2, 0)
            cell_layout.addWidget(combo)
            cell_layout.addWidget(edit)
            table.setCellWidget(row, 2, cell)
            self.target_combos.append(combo)
            self.custom_edits.append(edit)
        table.resizeRowsToContents()

    def _show_date_orders(self, indexes: Sequence[int]) -> None:
        """A day/month question for each of these columns, keeping answers given."""
        assert self.preview is not None
        given = {i: c.currentData() for i, c in self.date_combos.items()}
        while self.dates_form.rowCount():
            self.dates_form.removeRow(0)
        self.date_combos = {}
        for index in indexes:
            combo = QComboBox()
            for key, label in ORDER_LABELS.items():
                combo.addItem(label, key)
            combo.setCurrentIndex(max(combo.findData(given.get(index, "")), 0))
            self.dates_form.addRow(f"'{self.preview.header[index]}':", combo)
            self.date_combos[index] = combo
        self.dates_box.setVisible(bool(indexes))

    def _time_column(self) -> int | None:
        for column, combo in zip(self._base_mapping(), self.target_combos, strict=True):
            if combo.currentData() == Target.TIME.value:
                return column.index
        return None

    def _show_time_questions(self) -> None:
        """For the column the owner says holds the times: its day/month order when the
        first rows leave it open, and the zone when they write none."""
        assert self.preview is not None
        index = self._time_column()
        values = (
            [r[index] for r in self.preview.rows if index < len(r) and r[index].strip()]
            if index is not None
            else []
        )
        ambiguous = index is not None and day_month_order(values) == ""
        if [index] != list(self.date_combos) or not ambiguous:
            self._show_date_orders([index] if ambiguous and index is not None else [])
        local = any(not written_with_zone(v) for v in values)
        self._show_activity_options(local, ())

    def _show_consent(self, asks: bool) -> None:
        self.asks_consent = asks
        self.consent_label.setVisible(asks)
        self.consent_combo.setVisible(asks)

    def _on_choice_changed(self) -> None:
        if self.preview is not None and self.target_combos:
            if self.is_activity_mapping():
                self._show_time_questions()
            else:
                self._show_consent(self.preview.asks_consent(self.mapping()))
        if self.dry_report is not None:
            self.dry_report = None
            self.dry_label.setText("The mapping changed: check again to see the new counts.")

    def mapping(self) -> tuple[ColumnMap, ...]:
        """The mapping as the user left it in the table."""
        assert self.preview is not None
        out = []
        for column, combo, edit in zip(
            self._base_mapping(), self.target_combos, self.custom_edits, strict=True
        ):
            target = Target(combo.currentData())
            name = edit.text().strip() if target is Target.CUSTOM else ""
            if target is column.target and name in ("", column.header):
                out.append(column)
            else:
                out.append(column.retarget(target, "" if name == column.header else name))
        return tuple(out)

    def zone(self) -> str:
        """The zone chosen for times written without one ("" for this computer's)."""
        return str(self.zone_combo.currentData() or "") if self.asks_zone else ""

    def interest(self) -> tuple[str, ...]:
        """The questions ticked as showing interest, not marked before."""
        return tuple(c.text() for c in self.interest_checks if c.isChecked() and c.isEnabled())

    def options(self, *, dry_run: bool) -> ImportOptions:
        if self.activity is not None:
            return ImportOptions(dry_run=dry_run, zone=self.zone(), interest=self.interest())
        orders = tuple(
            (index, combo.currentData())
            for index, combo in self.date_combos.items()
            if combo.currentData()
        )
        if self.is_activity_mapping():
            return ImportOptions(
                dry_run=dry_run, mapping=self.mapping(), date_orders=orders, zone=self.zone()
            )
        mixed = self.mixed is not None
        return ImportOptions(
            # a named platform would read every file of a mixed ZIP as people
            platform=self.preview.platform if self.preview and not mixed else "auto",
            on_duplicate=self.policy_combo.currentData(),
            tag=self.tag_edit.text(),
            dry_run=dry_run,
            mapping=self.mapping(),
            date_orders=orders,
            opted_in=self.asks_consent and bool(self.consent_combo.currentData()),
            zone=self.zone() if mixed else "",
            interest=self.interest() if mixed else (),
        )

    # -- running

    def _start(self, *, dry: bool) -> None:
        if self.path is None or self._runner.busy:
            return
        if self.activity is None and not any(
            Target(c.currentData()) is Target.EMAIL for c in self.target_combos
        ):
            show_error(self, "No column goes to Email: choose the column that holds addresses.")
            return
        mapped = self.mapping() if self.activity is None else []
        dated = {c.index for c in mapped if c.target in DATE_TARGETS or c.target is Target.TIME}
        unanswered = [i for i, c in self.date_combos.items() if i in dated and not c.currentData()]
        if unanswered and not dry and self.preview is not None:
            # Imported unanswered, those dates would be dropped for good.
            self.date_combos[unanswered[0]].setFocus()
            show_error(
                self,
                f"Choose whether the dates in '{self.preview.header[unanswered[0]]}' put the "
                "day or the month first before importing: they can be read either way.",
            )
            return
        path, options, clock = self.path, self.options(dry_run=dry), self._clock
        self._dry = dry
        self._started = time.monotonic()
        name = self.preview.file_name if self.preview is not None else path.name
        self.run_title.setText(f"Checking {name}…" if dry else f"Importing {name}…")
        self.progress_bar.setRange(0, 0)
        self.speed_label.setText("Reading the file…")
        self.cancel_button.setEnabled(True)
        self.stack.setCurrentIndex(self.PAGE_RUN)
        self._runner.start(
            lambda progress, cancel: import_csv(
                path, options, now=clock(), progress=progress, cancel=cancel
            )
        )

    def _on_runner_progress(self, done: int, total: int) -> None:
        if total <= 0:
            return
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = done / elapsed
        text = f"{done:,} rows · {rate:,.0f} rows per second"
        left = (total - done) / rate if rate > 0 else 0.0
        if left >= 1:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(int(1000 * min(done / total, 1.0)))
            text += f" · about {_duration(left)} left"
        else:
            # The whole file is read; building the indexes and saving can still take a
            # few seconds on a big file: a busy bar rather than one stuck at 99%.
            self.progress_bar.setRange(0, 0)
            text += " · finishing…"
        self.speed_label.setText(text)

    def _on_cancel_button_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.speed_label.setText("Cancelling: nothing will be kept…")
        self._runner.cancel()

    def _on_runner_finished(self, result: object) -> None:
        if isinstance(result, UndoReport):
            self._show_undone(result)
            return
        assert isinstance(result, ImportReport)
        if self._dry:
            self.dry_report = result
            if isinstance(result, ActivityReport):
                zone = f" {result.zone_words}" if result.zone_words else ""
                people = result.subscribers
                said = f"people: {_people_words(people)}; activity: " if people else ""
                text = f"Dry run: {said}{result.summary}.{zone} Nothing was written."
            else:
                text = f"Dry run: {_people_words(result)}. Nothing was written."
            self.dry_label.setText(text)
            self.stack.setCurrentIndex(self.PAGE_MAP)
            return
        self.report = result
        self._show_summary(result)
        self.sig_imported.emit(result)

    def _on_runner_failed(self, failure: JobFailure) -> None:
        self.stack.setCurrentIndex(self.PAGE_MAP if self.preview else self.PAGE_FILE)
        show_error(self, failure.message)

    def _on_runner_cancelled(self) -> None:
        self.dry_label.setText("Cancelled: nothing was written.")
        self.stack.setCurrentIndex(self.PAGE_MAP)

    # -- summary, rejected rows, undo

    def _show_summary(self, report: ImportReport) -> None:
        if report.rows == 0:
            self._show_nothing_imported(report)
            return
        if isinstance(report, ActivityReport):
            self._show_activity_summary(report)
            return
        lines = [
            f"Imported {report.file_name} ({report.platform_label}) in "
            f"{_duration(report.seconds)}.",
            f"{report.rows:,} rows: {report.created:,} new, {report.updated:,} updated, "
            f"{report.unchanged:,} unchanged, {report.duplicates_in_file:,} duplicates in the "
            f"file, {report.rejected:,} rejected.",
        ]
        if report.forgotten:
            lines.append(f"{report.forgotten:,} skipped: forgotten at their request.")
        if report.tag_rule_yeses:
            lines.append(_tag_rule_words(report.tag_rule_yeses))
        if report.statuses:
            lines.append(
                "In the file: "
                + ", ".join(
                    f"{STATUS_LABELS[LeadStatus(s)].lower()} {n:,}"
                    for s, n in sorted(report.statuses.items())
                )
                + "."
            )
        self._show_errors(report, lines)

    def _show_errors(self, report: ImportReport, lines: list[str]) -> None:
        """The summary's lines, its rejected rows and warnings, and the undo of the batch."""
        self.summary_label.setText("\n".join(lines))
        table = self.errors_table
        table.setRowCount(len(report.errors))
        for r, error in enumerate(report.errors):
            item = QTableWidgetItem()
            item.setData(Qt.ItemDataRole.DisplayRole, error.row)
            table.setItem(r, 0, item)
            table.setItem(r, 1, QTableWidgetItem(error.reason))
        self.errors_box.setVisible(bool(report.errors))
        if not report.errors:
            lines.append("Every row was read: none was rejected.")
            self.summary_label.setText("\n".join(lines))
        self.save_errors_button.setEnabled(bool(report.errors))
        shown = report.warning_texts[:8]
        more = report.warnings - len(shown)
        self.warnings_label.setText(
            ("Warnings:\n" + "\n".join(f"· {w}" for w in shown) if shown else "")
            + (f"\n… and {more:,} more." if more > 0 and shown else "")
        )
        self.undo_button.setEnabled(report.batch_id is not None)
        self.undo_button.setText("Undo this import")
        self.stack.setCurrentIndex(self.PAGE_SUMMARY)

    def _show_activity_summary(self, report: ActivityReport) -> None:
        people = report.subscribers
        if people is None:
            lines = [
                f"Imported {report.file_name} (activity) in {_duration(report.seconds)}.",
                f"{report.rows:,} rows: {report.summary}.",
            ]
        else:
            lines = [
                f"Imported {report.file_name} (people and activity) in "
                f"{_duration(report.seconds)}.",
                f"People: {people.rows:,} rows: {_people_words(people)}.",
                f"Activity: {report.activity_rows:,} rows: {report.summary}.",
            ]
        contacts = report.created - (people.created if people is not None else 0)
        if contacts:
            lines.append(
                f"{contacts:,} new contact{'' if contacts == 1 else 's'} (people who "
                "answered, wrote, booked or bought, without subscribing)."
            )
        if report.skipped:
            skipped = sorted(report.skipped.items())
            words = ", ".join(f"{r.replace('_', ' ')} {n:,}" for r, n in skipped)
            lines.append(f"Skipped: {words}.")
        if report.zone_words:
            lines.append(report.zone_words)
        if report.tag_rule_yeses:
            lines.append(_tag_rule_words(report.tag_rule_yeses))
        if report.interest:
            shown = "; ".join(f"'{q}'" for q in report.interest)
            lines.append(f"Answers to {shown} are now topics of the people who gave them.")
        self._show_errors(report, lines)

    def _show_nothing_imported(self, report: ImportReport) -> None:
        """A file with a header and no rows: no counts of zero, no undo of nothing."""
        self.summary_label.setText(
            f"{report.file_name} has column names but no rows of people: nothing was "
            "imported. Export the list again, or choose another file."
        )
        self.errors_box.hide()
        self.warnings_label.clear()
        self.save_errors_button.setEnabled(False)
        self.undo_button.setEnabled(False)
        self.stack.setCurrentIndex(self.PAGE_SUMMARY)

    def _on_save_errors_button_clicked(self) -> None:
        if self.report is None:
            return
        stem = Path(self.report.file_name).stem
        target = choose_save_path(self, f"{stem}-rejected.csv")
        if target is None:
            return
        try:
            count = write_rejected(self.report, target)
        except SmallyesError as exc:
            show_error(self, exc.user_message)
            return
        self.warnings_label.setText(f"Saved {count:,} rejected rows to {target}.")

    def _on_undo_button_clicked(self) -> None:
        report = self.report
        if report is None or report.batch_id is None or self._runner.busy:
            return
        if not confirm_undo(
            self,
            f"Remove the {report.created:,} new leads this import added and put back the "
            f"fields it changed on {report.updated:,} others?",
        ):
            return
        batch_id, clock = report.batch_id, self._clock
        self.undo_button.setEnabled(False)
        self._runner.start(lambda _progress, _cancel: undo_import(batch_id, now=clock()))

    def _show_undone(self, result: UndoReport) -> None:
        self.summary_label.setText(result.message)
        self.undo_button.setText("Import undone")
        self.undo_button.setEnabled(False)
        self.sig_undone.emit(result)

    # -- drops onto the window itself

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_file(event) is not None and not self._runner.busy:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_file(event)
        if path is not None and not self._runner.busy:
            event.acceptProposedAction()
            self.open_file(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._runner.busy:
            self._runner.cancel()
            self._runner.wait()
        super().closeEvent(event)


def _tag_rule_words(yeses: int) -> str:
    return f"{yeses:,} {'yes' if yeses == 1 else 'yeses'} from tags that mean one (tag rules)."


def _people_words(report: ImportReport) -> str:
    """What an import of people did to the book, in counts."""
    return (
        f"{report.created:,} new, {report.updated:,} updated, {report.unchanged:,} unchanged, "
        f"{report.rejected:,} rejected, {report.duplicates_in_file:,} duplicates in the file"
        + (f", {report.forgotten:,} forgotten at their request" if report.forgotten else "")
    )


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


# --- the Imports page: history and undo ----------------------------------------------------


class ImportHistoryPage(QWidget):
    """Every import with its counts; any one that is not undone yet can be undone."""

    sig_undone = Signal(object)

    def __init__(
        self,
        open_wizard: Callable[[], object],
        clock: Callable[[], dt.datetime] = utc_now,
        parent: QWidget | None = None,
        *,
        events: AppEvents | None = None,
    ) -> None:
        """``events``: where undos are published, and imports made elsewhere heard."""
        super().__init__(parent)
        self._clock = clock
        self._batches: list[BatchRow] = []
        self._runner = TaskRunner(self, writes=True, events=events)
        self._runner.sig_finished.connect(self._on_runner_finished)
        self._runner.sig_failed.connect(lambda failure: show_error(self, failure.message))
        if events is not None:
            events.changed.connect(self._on_events_changed)
        title = styled(QLabel("Imports"), "detailTitle")
        self.table = QTableWidget(0, 8)
        self.table.setAccessibleName("Import history")
        self.table.setHorizontalHeaderLabels(
            ["When", "File", "Platform", "New", "Updated", "Unchanged", "Rejected", "State"]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.import_button = QPushButton("Import CSV…")
        self.import_button.clicked.connect(open_wizard)
        self.undo_button = QPushButton("Undo selected import")
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        self.status = QLabel()
        self.status.setWordWrap(True)
        # Before the first import: the same empty state as the other pages, with its button.
        self.empty = QWidget()
        self.empty_import_button = QPushButton("Import CSV…")
        self.empty_import_button.setDefault(True)
        self.empty_import_button.clicked.connect(open_wizard)
        self.empty_title, self.empty_text = lay_out_empty_state(
            self.empty,
            "No imports yet",
            "Each import of a newsletter export is listed here with its counts, and can be "
            "undone. Click Import CSV… (Ctrl+I) or drop your newsletter's export (Mailchimp, "
            "Substack, Ghost, Kit, beehiiv…) on the window to bring your list in.",
            self.empty_import_button,
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        self._batches = list_imports()
        table = self.table
        table.setRowCount(len(self._batches))
        for r, b in enumerate(self._batches):
            values = [
                local(b.started_at).strftime("%Y-%m-%d %H:%M"),
                b.file_name,
                b.platform_label,
                f"{b.created:,}",
                f"{b.updated:,}",
                f"{b.unchanged:,}",
                f"{b.rejected:,}",
                "Undone" if b.undone_at else "",
            ]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if 3 <= c <= 6:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(r, c, item)
        table.resizeColumnsToContents()
        self.table.setVisible(bool(self._batches))
        self.empty.setVisible(not self._batches)
        for button in (self.import_button, self.undo_button):
            button.setVisible(bool(self._batches))  # the empty state has its own
        self._update_buttons()

    def selected_batch(self) -> BatchRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self._batches[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        batch = self.selected_batch()
        self.undo_button.setEnabled(
            batch is not None and batch.undone_at is None and not self._runner.busy
        )

    def _on_undo_button_clicked(self) -> None:
        batch = self.selected_batch()
        if batch is None or batch.undone_at is not None or self._runner.busy:
            return
        if not confirm_undo(
            self,
            f"Undo the import of {batch.file_name}? Its {batch.created:,} new leads are "
            f"removed and the fields it changed on {batch.updated:,} leads go back.",
        ):
            return
        clock, batch_id = self._clock, batch.id
        self.undo_button.setEnabled(False)
        self._runner.start(lambda _p, _c: undo_import(batch_id, now=clock()))

    def _on_events_changed(self, change: Change, origin: object) -> None:
        if origin is not self and change.touches("import_batch"):
            self.refresh()

    def _on_runner_finished(self, result: object) -> None:
        assert isinstance(result, UndoReport)
        self.status.setText(result.message)
        self.refresh()
        self.sig_undone.emit(result)


# --- wiring into the main window ----------------------------------------------------------


class Imports:
    """The import window and the Imports page of one main window."""

    def __init__(self, host: Host) -> None:
        self._host = host
        self.wizard: ImportWizard | None = None

    def open(self, path: Path | None = None) -> ImportWizard:
        """Open (or bring forward) the import window, optionally with a file already chosen."""
        host, wizard = self._host, self.wizard
        busy = wizard is not None and wizard._runner.busy
        if wizard is None or not wizard.isVisible():
            wizard = ImportWizard(host.as_widget(), clock=host.clock, events=host.events)
            # After a restore its report (and the batch to undo) belong to another database.
            host.events.database_swapped.connect(wizard.close)
            self.wizard = wizard
        if path is not None and not busy:
            wizard.open_file(path)
        wizard.show()
        wizard.raise_()
        wizard.activateWindow()
        return wizard

    def build_history(self) -> ImportHistoryPage:
        return ImportHistoryPage(
            lambda: self.open(), clock=self._host.clock, events=self._host.events
        )


def register_import(host: Host) -> Imports:
    """Enable File ▸ Import CSV…, the empty state's button, drops, and the Imports page."""
    imports = Imports(host)
    host.set_import_handler(imports.open)
    host.add_page(IMPORTS_PAGE, "Imports", imports.build_history, "Ctrl+4")  # after Ctrl+1 to 3
    return imports
