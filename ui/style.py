"""Look and feel: Fusion, the system's light or dark scheme (live), icons and colours.

Style sheets use ``palette(...)`` roles only, so they follow whichever palette is active.
The few fixed colours (one per timeline kind) are mid-tones painted under white glyphs:
they read on light and dark backgrounds alike.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QWidget


def _resources_dir() -> Path:
    """``resources/`` beside the packages: the source tree and the one-folder build agree."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "resources", here / "resources"):
        if candidate.is_dir():
            return candidate
    return here.parent / "resources"


RESOURCES = _resources_dir()

# Style sheets per widget role, applied to those few widgets only: an application-wide
# sheet would route every widget through the (slow) style-sheet style and cost start-up.
SHEETS = {
    "sidebar": """
        QListWidget { border: none; border-right: 1px solid palette(mid);
                      background: palette(window); padding-top: 6px; }
        QListWidget::item { padding: 8px 12px; border-radius: 4px; margin: 1px 6px; }
        QListWidget::item:selected { background: palette(highlight);
                                     color: palette(highlighted-text); }
    """,
    "emptyTitle": "font-size: 18pt; font-weight: 600;",
    "emptyText": "color: palette(placeholder-text);",
    "detailTitle": "font-size: 14pt; font-weight: 600;",
    "detailSubtitle": "color: palette(placeholder-text);",
    "sectionTitle": "font-weight: 600; margin-top: 6px;",
    "inlineError": """color: palette(bright-text); background: palette(dark);
                      border-radius: 3px; padding: 4px 6px;""",
    "notice": """QFrame#notice { background: palette(alternate-base);
                                 border: 1px solid palette(mid); border-radius: 4px; }""",
    "inlineNotice": """background: palette(alternate-base); border: 1px solid palette(highlight);
                       border-radius: 3px; padding: 4px 6px;""",
    "filterChip": """background: palette(alternate-base); border: 1px solid palette(mid);
                     border-radius: 9px; padding: 1px 8px;""",
    "tagChip": """
        QToolButton { background: palette(alternate-base); border: 1px solid palette(mid);
                      border-radius: 9px; padding: 1px 6px; }
        QToolButton:hover { border-color: palette(highlight); }
    """,
}


W = TypeVar("W", bound=QWidget)


def styled(widget: W, role: str) -> W:
    """Give ``widget`` the look of ``role`` (one of SHEETS) and return it."""
    widget.setObjectName(role)
    widget.setStyleSheet(SHEETS[role])
    return widget


def resource_path(name: str) -> Path:
    return RESOURCES / name


@cache
def app_icon() -> QIcon:
    return QIcon(str(resource_path("smallyes.svg")))


def dark_palette() -> QPalette:
    """A dark palette for Fusion (whose standard palette is light on most platforms)."""
    p = QPalette()
    window, base, text = (
        QColor(0x2B, 0x2D, 0x30),
        QColor(0x1E, 0x1F, 0x22),
        QColor(0xE6, 0xE6, 0xE6),
    )
    disabled = QColor(0x80, 0x80, 0x80)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor(0x26, 0x28, 0x2B),
        QPalette.ColorRole.ToolTipBase: QColor(0x3C, 0x3F, 0x41),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor(0x9A, 0x9A, 0x9A),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor(0x35, 0x37, 0x3B),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(0xFF, 0x6B, 0x6B),
        QPalette.ColorRole.Light: QColor(0x45, 0x48, 0x4C),
        QPalette.ColorRole.Midlight: QColor(0x3A, 0x3D, 0x40),
        QPalette.ColorRole.Mid: QColor(0x4A, 0x4D, 0x52),
        QPalette.ColorRole.Dark: QColor(0x3A, 0x1E, 0x1E),
        QPalette.ColorRole.Shadow: QColor(0x10, 0x10, 0x10),
        QPalette.ColorRole.Highlight: QColor(0x3D, 0x7E, 0xD8),
        QPalette.ColorRole.HighlightedText: QColor(0xFF, 0xFF, 0xFF),
        QPalette.ColorRole.Link: QColor(0x6C, 0xAE, 0xFF),
        QPalette.ColorRole.LinkVisited: QColor(0xB0, 0x8C, 0xFF),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def light_palette(app: QApplication) -> QPalette:
    p = app.style().standardPalette()
    # Fusion's Dark role is a grey; inline error labels paint on it, so give it a soft red.
    p.setColor(QPalette.ColorRole.Dark, QColor(0xFD, 0xE7, 0xE7))
    p.setColor(QPalette.ColorRole.BrightText, QColor(0xA1, 0x1B, 0x1B))
    return p


def apply_scheme(app: QApplication, scheme: Qt.ColorScheme | None = None) -> None:
    """Set the palette for ``scheme`` (default: the system's); style sheets follow it."""
    if scheme is None:
        scheme = app.styleHints().colorScheme()
    dark = scheme == Qt.ColorScheme.Dark
    app.setPalette(dark_palette() if dark else light_palette(app))
    # Re-setting a sheet makes its widget resolve palette(...) against the new palette.
    for widget in app.allWidgets():
        if sheet := widget.styleSheet():
            widget.setStyleSheet(sheet)


def setup_style(app: QApplication) -> None:
    """Fusion, the right palette now, and a live switch when the system scheme changes."""
    app.setStyle("Fusion")
    apply_scheme(app)
    app.styleHints().colorSchemeChanged.connect(lambda scheme: apply_scheme(app, scheme))
    app.setWindowIcon(app_icon())


# --- timeline kinds ----------------------------------------------------------------------

KIND_COLORS = {
    "commitment": QColor(0x2E, 0x9D, 0x5B),
    "ask": QColor(0x3A, 0x7B, 0xD5),
    "status": QColor(0xD0, 0x7A, 0x1E),
    "note": QColor(0x8A, 0x63, 0xD2),
    "import": QColor(0x1F, 0x93, 0xA0),
    "refunded": QColor(0x9A, 0x9A, 0x9A),
    "canceled": QColor(0x9A, 0x9A, 0x9A),
}
KIND_GLYPHS = {
    "commitment": "✓",
    "ask": "?",
    "status": "!",
    "note": "✎",
    "import": "↓",
    "refunded": "↩",
    "canceled": "✕",
}
KIND_LABELS = {
    "commitment": "Yes",
    "ask": "Ask",
    "status": "Status change",
    "note": "Note",
    "import": "Import",
    "refunded": "Refunded sale",
    "canceled": "Canceled booking",
}


@cache
def kind_icon(kind: str, size: int = 22) -> QIcon:
    """A filled circle in the kind's colour with a white glyph."""
    pixmap = QPixmap(size * 2, size * 2)  # drawn at 2x so it stays crisp on HiDPI
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(KIND_COLORS.get(kind, QColor(0x80, 0x80, 0x80)))
    painter.drawEllipse(QRectF(2, 2, size * 2 - 4, size * 2 - 4))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * 1.1))
    painter.setFont(font)
    painter.setPen(QColor(0xFF, 0xFF, 0xFF))
    painter.drawText(
        QRectF(0, 0, size * 2, size * 2), Qt.AlignmentFlag.AlignCenter, KIND_GLYPHS.get(kind, "•")
    )
    painter.end()
    pixmap.setDevicePixelRatio(2.0)
    return QIcon(pixmap)
