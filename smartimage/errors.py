"""Every error a user can meet, as a class with an exit code and a one-line message.

Exit codes: 1 refused or failed, 2 usage, 3 image damaged.  The CLI prints
``str(error)`` on one line and exits with ``error.exit_code``; nothing else
reaches the user.
"""

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DAMAGED = 3


class SmartImageError(Exception):
    """Base class: a failure explained in one line for the person at the terminal."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(SmartImageError):
    """The command line asks for something that cannot be meant."""

    exit_code = EXIT_USAGE


class SourceError(SmartImageError):
    """The source (device or file) cannot be opened or read."""


class ReadError(SourceError):
    """The source could not deliver bytes (a bad sector, a vanished device): where and how many."""

    def __init__(self, message: str, offset: int, length: int, hint: str | None = None):
        super().__init__(message, hint)
        self.offset = offset
        self.length = length


class PartitionTableError(SmartImageError):
    """A partition table is malformed beyond what can be trusted."""


class FilesystemError(SmartImageError):
    """A filesystem's metadata is malformed or unsupported."""


class RefusedError(SmartImageError):
    """The tool refuses an operation that would be unsafe."""


class ImageDamagedError(SmartImageError):
    """An image file is damaged, truncated or not an image."""

    exit_code = EXIT_DAMAGED
