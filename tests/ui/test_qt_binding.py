"""The Qt binding itself: bugs in it that would crash the app in a long session."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    sig_pair = Signal(int, int)
    sig_plain = Signal()
    sig_object = Signal(object)


def test_emitting_signals_does_not_leak_or_steal_references(qapp) -> None:
    """PySide6 6.12.0 dropped a reference to True on every emit: the interpreter aborted
    (bool_dealloc) after a few thousand progress signals."""
    emitter = _Emitter()
    emitter.sig_pair.connect(lambda _a, _b: None)
    emitter.sig_plain.connect(lambda: None)
    emitter.sig_object.connect(lambda _o: None)
    for emit in (
        lambda: emitter.sig_pair.emit(1, 2),
        emitter.sig_plain.emit,
        lambda: emitter.sig_object.emit(3),
    ):
        before = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
        for _ in range(200):
            emit()
        after = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
        assert after == before
