"""Data safety in the window: back up, restore, export, a lead's data, forget, start-up.

- :mod:`ui.safety.actions`: the File and lead-panel actions (backup, restore, export, a
  lead's data, forget) and the daily backup; everything slow runs through one
  :class:`~ui.workers.TaskRunner`, with a progress dialog only past a moment.
- :mod:`ui.safety.startup`: the checks before the window opens (the one-window lock, the
  probe and ``quick_check`` on a thread), the damaged-file recovery, and the hook that
  words known storage problems escaping to the event loop.
- :mod:`ui.safety.instance`: one window per book; a second start brings the first forward.
- :mod:`ui.safety.dialogs`: every modal question, as functions tests can replace.
"""
