"""How the engine reports progress: a tiny interface with a no-op default; the CLI plugs rich in."""

from __future__ import annotations


class Progress:
    """Receives progress of one long task.  Methods are called from the engine's main thread."""

    def start(self, task: str, total_bytes: int) -> None:
        """A task begins; ``total_bytes`` is the work to do (0 if unknown)."""

    def advance(self, done_bytes: int, detail: str = "") -> None:
        """``done_bytes`` more bytes are done; ``detail`` names what is being worked on."""

    def finish(self) -> None:
        """The task ended (successfully or not)."""


SILENT = Progress()
