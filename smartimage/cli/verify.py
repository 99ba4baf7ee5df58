"""`smartimage verify IMAGE`: check every byte of an image against its hashes."""

from __future__ import annotations

from ..errors import EXIT_DAMAGED
from ..verify import verify_image
from . import console


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "verify", help="check an image: structure and every chunk's hash",
        description="Check an image file: header, trailer, index, metadata and every chunk's hash. "
                    "Exit 0 if intact, 3 if damaged (each damaged chunk is named), 1 if not an image.")
    parser.add_argument("image", metavar="IMAGE")
    parser.add_argument("--threads", type=int, default=None, metavar="T")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=run)


def run(args) -> int:
    progress = console.progress_bar("Verifying") if not args.json else console.SILENT
    report = verify_image(args.image, threads=args.threads, progress=progress)
    if args.json:
        console.print_json({
            "image": report.path, "ok": report.ok, "chunks": report.chunks, "data_bytes": report.data_bytes,
            "seconds": round(report.seconds, 3),
            "damaged": [{"chunk": d.chunk, "partition": d.partition, "disk_start": d.disk_start,
                         "disk_end": d.disk_end, "reason": d.reason} for d in report.damaged],
        })
    else:
        console.render_verify_report(report)
    return 0 if report.ok else EXIT_DAMAGED
