"""``python -m ui`` starts the Smallyes desktop app; the ``smallyes`` command calls :func:`run`."""

import gc


def run() -> int:
    """Start the app with the cycle collector off from the first import.

    The window's imports allocate a great deal and would trigger collections for nothing;
    :class:`ui.collector.GuiThreadCollector` keeps it off and collects on the GUI thread.
    """
    gc.disable()
    from ui.app import main

    return main()


if __name__ == "__main__":
    raise SystemExit(run())
