"""All terminal output: rich tables and one-line errors.  The engine never prints; this module does."""

from __future__ import annotations

import json
import sys

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..inspection import SourceReport

stdout = Console(highlight=False)
if not stdout.is_terminal:  # piped into a file or a pager: long lines beat wrapped cells
    stdout = Console(highlight=False, width=200)
stderr = Console(stderr=True, highlight=False)


def human_bytes(count: int | None) -> str:
    """Binary units with one decimal: 1.5 GiB."""
    if count is None:
        return "-"
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} PiB"


def error(message: str) -> None:
    """One line on stderr, no markup interpretation of the message."""
    stderr.print(Text(f"smartimage: error: {message}", style="bold red"), soft_wrap=True)


def warning(message: str) -> None:
    stderr.print(Text(f"warning: {message}", style="yellow"), soft_wrap=True)


def print_json(value) -> None:
    sys.stdout.write(json.dumps(value, indent=2) + "\n")


_TABLE_NAMES = {"gpt": "GPT", "mbr": "MBR (DOS)", "none": "no partition table"}


def render_source_report(report: SourceReport) -> None:
    disk = report.disk
    kind = "block device" if report.is_block_device else "disk-image file"
    header = (
        f"[bold]{report.path}[/bold] ({kind}): {_TABLE_NAMES[disk.table]}, "
        f"{human_bytes(disk.size)} ({disk.size} bytes), {disk.sector_size}-byte sectors"
    )
    if disk.disk_guid:
        header += f", disk GUID {disk.disk_guid}"
    elif disk.disk_signature is not None:
        header += f", disk signature 0x{disk.disk_signature:08x}"
    stdout.print(header, soft_wrap=True)

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column, justify in (("#", "right"), ("Start", "right"), ("End", "right"), ("Size", "right"),
                            ("Type", "left"), ("Name / label", "left"), ("Filesystem", "left"),
                            ("Used", "right"), ("Map", "left"), ("Flags", "left")):
        table.add_column(column, justify=justify)
    for item in report.partitions:
        part, fs = item.partition, item.filesystem
        names = [n for n in (part.name, fs.label if fs else "") if n]
        flags = []
        if part.bootable:
            flags.append("boot")
        if part.kind in ("extended", "logical"):
            flags.append(part.kind)
        if part.attributes & 1:
            flags.append("required")
        if part.attributes & (1 << 62):
            flags.append("hidden")
        table.add_row(
            str(part.number),
            human_bytes(part.start),
            human_bytes(part.end),
            human_bytes(part.size),
            part.type_name,
            " / ".join(dict.fromkeys(names)),
            fs.fs_type if fs else ("-" if part.is_container else "none found"),
            human_bytes(item.used_bytes),
            item.allocation.method if item.allocation else ("-" if part.is_container else "raw copy"),
            ", ".join(flags),
        )
    if report.partitions:
        stdout.print(table)
    for message in report.warnings:
        warning(message)


def render_extents(item) -> None:
    part, alloc = item.partition, item.allocation
    stdout.print(
        f"partition {part.number} ({alloc.fs_type}, {alloc.block_size}-byte blocks): {len(alloc.used)} used ranges, "
        f"{human_bytes(alloc.used_bytes)} of {human_bytes(part.size)}; from {alloc.source}", soft_wrap=True)
    stdout.print("offsets in bytes: within the partition, and on the disk")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("start", "end", "length", "disk start"):
        table.add_column(column, justify="right")
    for ext in alloc.used:
        table.add_row(str(ext.start), str(ext.end), str(ext.length), str(part.start + ext.start))
    stdout.print(table)
