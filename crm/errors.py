"""The one exception tree of Smallyes.

Every error a user can cause or meet carries a ``user_message``: one sentence that says
what happened and what to do. The UI and the CLI show that sentence; anything that is
not a :class:`SmallyesError` is a bug and goes to the log with its traceback.
"""

from __future__ import annotations


class SmallyesError(Exception):
    """Base of every error Smallyes expects and explains to the user."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class ValidationError(SmallyesError):
    """Input that cannot be accepted as given (bad email, unknown step, bad date)."""


class NotFoundError(ValidationError):
    """A lead, ask, offer or batch named by the user does not exist."""


class DuplicateError(ValidationError):
    """A value that must be unique is already taken (an email, an offer name)."""


class ForgottenAddressError(ValidationError):
    """An address on the list of forgotten people, added again by hand."""

    def __init__(self, user_message: str, email: str) -> None:
        super().__init__(user_message)
        self.email = email


class ImportFormatError(SmallyesError):
    """A file that cannot be imported (binary, empty, no email column...)."""


class StorageError(SmallyesError):
    """The database cannot be opened, read or written (folder, disk, lock)."""


class DatabaseTooNewError(StorageError):
    """The database was written by a newer Smallyes than this one."""


class DatabaseDamagedError(StorageError):
    """The database file fails its integrity check."""


class ForgetUnfinishedError(StorageError):
    """The person is erased from the book, but the file (or a backup) still holds old copies
    of their details: forgetting them again finishes the job. ``reason`` is ``reader``,
    ``disk_full``, ``backup`` or ``storage``; ``what`` and ``fix`` are the two halves of the
    sentence, for a window to say them its own way."""

    def __init__(self, reason: str, what: str, fix: str, again: str = "run forget again") -> None:
        super().__init__(
            f"The person was erased from the book, but {what}: {fix} and {again} to finish."
        )
        self.reason = reason
        self.what = what
        self.fix = fix


class OperationCancelled(SmallyesError):
    """A long job was cancelled by the user; its transaction was rolled back."""

    def __init__(self, user_message: str = "Cancelled: nothing was changed.") -> None:
        super().__init__(user_message)


class AlreadyRunningError(StorageError):
    """Another Smallyes window has this database open."""

    def __init__(self, user_message: str, pid: int | None = None) -> None:
        super().__init__(user_message)
        self.pid = pid
