"""Command-line entry point: parse arguments, run one subcommand, turn errors into exit codes."""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__, interrupt
from ..interrupt import Terminated
from ..errors import EXIT_FAILED, SmartImageError
from . import backup, browse, console, inspect, restore, verify

COMMANDS = (inspect, backup, verify, restore, browse)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smartimage",
        description="Partition-aware smart disk imager: images only the blocks each filesystem uses.",
    )
    parser.add_argument("--version", action="version", version=f"smartimage {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 refused/failed, 2 usage, 3 image damaged)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)  # exits 2 with a usage line on bad arguments
    late = getattr(args, "late_positional", None)  # (name, default) of an optional positional
    # argparse fills an optional positional before it sees later words: `ls IMAGE -p 3 PATH`
    if late and len(extra) == 1 and not extra[0].startswith("-") and getattr(args, late[0]) == late[1]:
        setattr(args, late[0], extra.pop())
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    interrupt.install()
    try:
        return args.run(args) or 0
    except SmartImageError as exc:
        console.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt as exc:
        console.error("terminated: stopped and cleaned up" if isinstance(exc, Terminated)
                      else "interrupted: stopped and cleaned up")
        return 143 if isinstance(exc, Terminated) else 130
    except BrokenPipeError:
        return EXIT_FAILED
    except Exception as exc:  # a bug: still one line, the traceback only on request
        if os.environ.get("SMARTIMAGE_DEBUG"):
            raise
        console.error(f"internal error: {type(exc).__name__}: {exc} (set SMARTIMAGE_DEBUG=1 for details)")
        return EXIT_FAILED


def entry_point() -> None:
    sys.exit(main())
