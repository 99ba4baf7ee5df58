"""`smartimage inspect SOURCE`: the layout of a disk or disk-image file."""

from __future__ import annotations

from ..errors import RefusedError, UsageError
from ..container.reader import is_image
from ..inspection import ImageReport, SourceReport, inspect_image, inspect_source
from . import console


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "inspect",
        help="show the partitions and filesystems of a disk or disk-image file",
        description="Show the partition table and filesystems of a disk or disk-image file. Reads only.",
    )
    parser.add_argument("source", metavar="SOURCE", help="block device (/dev/sda) or raw disk-image file")
    parser.add_argument("--json", action="store_true", help="print JSON (byte offsets) instead of a table")
    parser.add_argument(
        "--sector-size", type=int, choices=(512, 4096), default=None,
        help="logical sector size of an image file (default: the device's, or detected)",
    )
    parser.add_argument(
        "--extents", type=int, metavar="N",
        help="list partition N's used byte ranges (what a backup reads), for checking and debugging",
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    if is_image(args.source):
        if args.extents is not None:
            raise UsageError("--extents reads a disk's allocation map; for an image, see `inspect --json`")
        report = inspect_image(args.source)
        if args.json:
            console.print_json(image_json(report))
        else:
            console.render_image_report(report)
        return 0
    report = inspect_source(args.source, sector_size=args.sector_size)
    if args.extents is not None:
        item = next((p for p in report.partitions if p.partition.number == args.extents), None)
        if item is None:
            numbers = ", ".join(str(p.partition.number) for p in report.partitions) or "none"
            raise UsageError(f"{args.source} has no partition {args.extents} (partitions: {numbers})")
        if item.allocation is None:
            raise RefusedError(f"partition {args.extents}: no allocation map ({item.allocation_source})")
        if args.json:
            console.print_json(extents_json(item))
        else:
            console.render_extents(item)
        return 0
    if args.json:
        console.print_json(report_json(report))
    else:
        console.render_source_report(report)
    return 0


def extents_json(item) -> dict:
    return {
        "partition": item.partition.number,
        "partition_start": item.partition.start,
        "filesystem": item.allocation.fs_type,
        "block_size": item.allocation.block_size,
        "source": item.allocation.source,
        "used_bytes": item.used_bytes,
        "extents": [[e.start, e.length] for e in item.allocation.used],
    }


def report_json(report: SourceReport) -> dict:
    disk = report.disk
    return {
        "source": report.path,
        "source_kind": "block device" if report.is_block_device else "image file",
        "table": disk.table,
        "sector_size": disk.sector_size,
        "disk_size": disk.size,
        "disk_guid": disk.disk_guid,
        "warnings": list(report.warnings),
        "partitions": [
            {
                "number": p.partition.number,
                "start": p.partition.start,
                "size": p.partition.size,
                "type": p.partition.type_name,
                "type_id": p.partition.type_id,
                "kind": p.partition.kind,
                "name": p.partition.name,
                "guid": p.partition.guid,
                "bootable": p.partition.bootable,
                "filesystem": p.filesystem.fs_type if p.filesystem else None,
                "label": p.filesystem.label if p.filesystem else None,
                "uuid": p.filesystem.uuid if p.filesystem else None,
                "used_bytes": p.used_bytes,
                "allocation_source": p.allocation_source,
            }
            for p in report.partitions
        ],
    }


def image_json(report: ImageReport) -> dict:
    meta = report.metadata
    disk = meta["disk"]
    return {
        "image": report.path,
        "image_bytes": report.image_bytes,
        "tool": report.tool_version,
        "created": meta["created"],
        "source": meta["source"],
        "scope": meta["scope"],
        "capture": meta["capture"],
        "table": disk["table"],
        "sector_size": disk["sector_size"],
        "disk_size": disk["size"],
        "disk_guid": disk["disk_guid"],
        "warnings": meta["warnings"],
        "disk_areas_bytes": report.data_by_partition.get(0, 0),
        "partitions": [
            {
                "number": p["number"], "start": p["start"], "size": p["size"], "type": p["type_name"],
                "type_id": p["type_id"], "kind": p["kind"], "name": p["name"], "guid": p["guid"],
                "bootable": p["bootable"],
                "filesystem": p["filesystem"]["type"] if p["filesystem"] else None,
                "label": p["filesystem"]["label"] if p["filesystem"] else None,
                "uuid": p["filesystem"]["uuid"] if p["filesystem"] else None,
                "captured": p["captured"],
                "used_bytes": p["allocation"]["used_bytes"] if p["allocation"] else None,
                "stored_bytes": report.stored_by_partition.get(p["number"], 0),
                "allocation_source": p["allocation"]["source"] if p["allocation"] else None,
            }
            for p in meta["partitions"]
        ],
    }
