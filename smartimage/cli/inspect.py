"""`smartimage inspect SOURCE`: the layout of a disk or disk-image file."""

from __future__ import annotations

from ..inspection import SourceReport, inspect_source
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
    parser.set_defaults(run=run)


def run(args) -> int:
    report = inspect_source(args.source, sector_size=args.sector_size)
    if args.json:
        console.print_json(report_json(report))
    else:
        console.render_source_report(report)
    return 0


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
            }
            for p in report.partitions
        ],
    }
