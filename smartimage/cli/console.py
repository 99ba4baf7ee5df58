"""All terminal output: rich tables and one-line errors.  The engine never prints; this module does."""

from __future__ import annotations

import json
import sys

from rich import progress as rich_progress
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..inspection import SourceReport
from ..progress import SILENT, Progress

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


# ------------------------------------------------------------------ progress

class RichProgress(Progress):
    """A rich progress bar on stderr (bytes, speed, time left), rate-limited by rich itself."""

    def __init__(self, label: str):
        self.label = label
        self._bar = None
        self._task = None

    def start(self, task: str, total_bytes: int) -> None:
        self._bar = rich_progress.Progress(
            rich_progress.TextColumn("[bold]{task.description}"),
            rich_progress.BarColumn(),
            rich_progress.DownloadColumn(binary_units=True),
            rich_progress.TransferSpeedColumn(),
            rich_progress.TimeRemainingColumn(),
            rich_progress.TextColumn("{task.fields[detail]}"),
            console=stderr, transient=False, refresh_per_second=4,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=total_bytes or None, detail="")

    def advance(self, done_bytes: int, detail: str = "") -> None:
        self._bar.update(self._task, advance=done_bytes, detail=detail)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def progress_bar(label: str) -> Progress:
    """A progress bar when stderr is a terminal; silence when it is not (scripts, logs)."""
    return RichProgress(label) if stderr.is_terminal else SILENT


# ------------------------------------------------------------------ backup and verify

def _fs_words(fs) -> str:
    if fs is None:
        return "no filesystem found"
    return f"{fs.fs_type}" + (f" '{fs.label}'" if fs.label else "")


def render_backup_plan(plan, image_path: str) -> None:
    kind = "block device" if plan.is_block_device else "disk-image file"
    if plan.scope == "disk" and plan.disk.table == "none":
        what = f"the whole {kind} {plan.source_path} (one filesystem, no partition table)"
    elif plan.scope == "disk":
        what = f"the whole disk {plan.source_path} ({kind}, {_TABLE_NAMES[plan.disk.table]}, " \
               f"{len([p for p in plan.partitions if not p.partition.is_container])} partitions)"
    else:
        chosen = [p for p in plan.partitions if p.captured]
        names = ", ".join(f"partition {p.partition.number} ({_fs_words(p.filesystem)})" for p in chosen)
        what = f"{names} of {plan.source_path} ({kind}), plus its partition table and boot area"
    stdout.print(f"Imaging {what}", soft_wrap=True)
    stdout.print(f"  into {image_path}", soft_wrap=True)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column, justify in (("#", "right"), ("Size", "right"), ("Filesystem", "left"), ("Captured", "right"),
                            ("Map", "left")):
        table.add_column(column, justify=justify)
    for cap in plan.partitions:
        part = cap.partition
        if part.is_container:
            continue
        table.add_row(str(part.number), human_bytes(part.size), _fs_words(cap.filesystem),
                      human_bytes(cap.allocation.used_bytes) if cap.captured else "not selected",
                      cap.allocation.method if cap.captured else "")
    stdout.print(table)
    for message in plan.warnings:
        warning(message)
    stdout.print(f"  {human_bytes(plan.used_bytes)} to read and compress")


def _rate(count: int, seconds: float) -> str:
    return f"{human_bytes(int(count / seconds))}/s" if seconds > 0 else "-"


def render_backup_result(result) -> None:
    ratio = result.used_bytes / result.image_bytes if result.image_bytes else 0
    stdout.print(
        f"[green]Done[/green]: {human_bytes(result.used_bytes)} used → {human_bytes(result.image_bytes)} image "
        f"({ratio:.2f}:1) in {result.seconds:.1f} s ({_rate(result.used_bytes, result.seconds)}), "
        f"{result.chunks} chunks → {result.image_path}", soft_wrap=True)


def render_verify_report(report) -> None:
    if report.ok:
        stdout.print(f"[green]OK[/green]: {report.path}: {report.chunks} chunks, {human_bytes(report.data_bytes)} "
                     f"checked in {report.seconds:.1f} s ({_rate(report.data_bytes, report.seconds)})", soft_wrap=True)
        return
    for d in report.damaged:
        error(f"{report.path}: chunk {d.chunk} (partition {d.partition}, disk bytes {d.disk_start}-{d.disk_end - 1}) "
              f"damaged: {d.reason}")
    error(f"{report.path}: {len(report.damaged)} of {report.chunks} chunks damaged")


def render_image_report(report) -> None:
    meta = report.metadata
    disk = meta["disk"]
    src = meta["source"]
    stdout.print(f"[bold]{report.path}[/bold]: smartimage image, {human_bytes(report.image_bytes)} "
                 f"({report.image_bytes} bytes), written by {report.tool_version}", soft_wrap=True)
    if src.get("partition_of"):
        src = dict(src, kind=f"partition {src['partition_of']['number']} of {src['partition_of']['disk']}")
    stdout.print(f"  taken {meta['created']} from {src['path']} ({src['kind']}), "
                 f"{'whole disk' if meta['scope'] == 'disk' else 'selected partitions'}; "
                 f"hot/cold: {meta['capture']['mode']}; {meta['capture']['compression']}", soft_wrap=True)
    header = (f"  source disk: {_TABLE_NAMES[disk['table']]}, {human_bytes(disk['size'])} ({disk['size']} bytes), "
              f"{disk['sector_size']}-byte sectors")
    if disk.get("disk_guid"):
        header += f", disk GUID {disk['disk_guid']}"
    stdout.print(header, soft_wrap=True)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column, justify in (("#", "right"), ("Start", "right"), ("Size", "right"), ("Type", "left"),
                            ("Name / label", "left"), ("Filesystem", "left"), ("Used", "right"),
                            ("Stored", "right"), ("Map", "left")):
        table.add_column(column, justify=justify)
    for p in meta["partitions"]:
        fs = p["filesystem"]
        names = [n for n in (p["name"], fs["label"] if fs else "") if n]
        alloc = p["allocation"]
        table.add_row(
            str(p["number"]), human_bytes(p["start"]), human_bytes(p["size"]), p["type_name"],
            " / ".join(dict.fromkeys(names)), fs["type"] if fs else "-",
            human_bytes(report.data_by_partition.get(p["number"], 0)) if p["captured"] else "not captured",
            human_bytes(report.stored_by_partition.get(p["number"], 0)) if p["captured"] else "",
            alloc["method"] if alloc else "")
    stdout.print(table)
    if report.data_by_partition.get(0):
        stdout.print(f"  partition tables, boot code and gaps: {human_bytes(report.data_by_partition[0])} "
                     f"stored in {human_bytes(report.stored_by_partition[0])}")
    for message in meta.get("warnings", []):
        warning(message)


# ------------------------------------------------------------------ restore and clone

def note(message: str) -> None:
    stdout.print(message, soft_wrap=True, markup=False)


def render_restore_plan(plan, meta, origin: str, target, holds: str | None, only) -> None:
    kind = "block device" if target.is_block_device else "file"
    what = (f"partition(s) {', '.join(map(str, sorted(only)))} of {origin}" if only
            else f"the whole disk image {origin}" if meta["scope"] == "disk" else f"{origin}")
    stdout.print(f"Restoring {what}", soft_wrap=True, markup=False)
    stdout.print(f"  onto {target.path} ({kind}, {human_bytes(target.size)}, {target.size} bytes); "
                 f"layout: {plan.policy}; source disk was {human_bytes(meta['disk']['size'])}", soft_wrap=True,
                 markup=False)
    if holds:
        warning(f"{target.path} holds {holds}: it will be overwritten")
    by_number = {p["number"]: p for p in meta["partitions"]}
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column, justify in (("#", "right"), ("Filesystem", "left"), ("Used", "right"), ("Old start", "right"),
                            ("Old size", "right"), ("New start", "right"), ("New size", "right"), ("Action", "left")):
        table.add_column(column, justify=justify)
    for pl in plan.partitions:
        src = by_number[pl.number]
        fs = src["filesystem"]
        alloc = src["allocation"]
        table.add_row(str(pl.number), (fs["type"] + (f" '{fs['label']}'" if fs["label"] else "")) if fs else "-",
                      human_bytes(alloc["used_bytes"]) if alloc else "-",
                      human_bytes(pl.old_start), human_bytes(pl.old_size), human_bytes(pl.new_start),
                      human_bytes(pl.new_size), pl.action)
    stdout.print(table)
    if not only:
        same = plan.unchanged and plan.target_size == meta["disk"]["size"]
        stdout.print("  partition table: " + ("the original bytes" if same else
                                               f"rebuilt for the target ({plan.table.upper()}, GUIDs and types kept)"
                                               if plan.table != "none" else "none (a filesystem on the whole disk)"))
    for message in plan.warnings:
        warning(message)


def render_restore_result(result) -> None:
    stdout.print(f"[green]Done[/green]: {human_bytes(result.written_bytes)} written to {result.target} in "
                 f"{result.seconds:.1f} s ({_rate(result.written_bytes, result.seconds)})", soft_wrap=True)
    for line in result.grown:
        stdout.print(f"  {line}", soft_wrap=True)
    for message in result.warnings:
        warning(message)


def render_listing(entries, long: bool, recursive: bool) -> None:
    import datetime

    if not long:
        for e in entries:
            name = e.path if recursive else e.name
            stdout.print(name + ("/" if e.kind == "dir" else ""), markup=False, highlight=False, soft_wrap=True)
        return
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column, justify in (("Type", "left"), ("Size", "right"), ("Modified", "left"), ("Name", "left")):
        table.add_column(column, justify=justify)
    for e in entries:
        when = datetime.datetime.fromtimestamp(e.mtime).strftime("%Y-%m-%d %H:%M") if e.mtime else "-"
        table.add_row(e.kind, str(e.size) if e.kind == "file" else "", when,
                      Text(e.path if recursive else e.name))
    stdout.print(table)
