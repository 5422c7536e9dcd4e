"""One window per book: a second start asks the first window to come forward.

QtNetwork is imported by the functions that talk over the local socket: the window starts
listening once its lead list is on screen, and only a second start needs the client.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QWidget,
)

log = logging.getLogger(__name__)


def server_name(db_path: Path) -> str:
    digest = hashlib.sha1(str(db_path.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"smallyes-{digest}"


def ask_first_instance_to_show(db_path: Path, timeout_ms: int = 500) -> bool:
    """Ask the window that holds the lock to come to the front; True when it answered."""
    from PySide6.QtNetwork import QLocalSocket

    socket = QLocalSocket()
    socket.connectToServer(server_name(db_path))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(b"show\n")
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for a second start on the same database and asks to be shown."""

    sig_show_requested = Signal()

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        from PySide6.QtNetwork import QLocalServer

        super().__init__(parent)
        self._server = QLocalServer(self)
        name = server_name(db_path)
        # Only the lock holder gets here, so a socket left by a crash is stale: remove it.
        QLocalServer.removeServer(name)
        if not self._server.listen(name):
            log.warning("cannot listen for a second window: %s", self._server.errorString())
        self._server.newConnection.connect(self._on_server_new_connection)

    def _on_server_new_connection(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.disconnected.connect(socket.deleteLater)
            self.sig_show_requested.emit()

    def close(self) -> None:
        self._server.close()


def bring_to_front(window: QWidget) -> None:
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
