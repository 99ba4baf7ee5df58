"""`smartimage backup SOURCE IMAGE`: capture a disk (or some of its partitions) into an image file."""

from __future__ import annotations

from ..backup import default_threads, run_backup
from ..capture import plan_backup
from ..compression import DEFAULT_LEVEL, level_range
from ..device import Source
from ..errors import RefusedError, UsageError
from . import console


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "backup",
        help="image a disk, or some of its partitions, into one compressed, verifiable file",
        description="Image a disk (block device or raw disk-image file) into IMAGE, storing only the blocks "
                    "each filesystem uses. Default: the whole disk (tables, boot code, every partition).",
    )
    parser.add_argument("source", metavar="SOURCE", help="disk to image: /dev/sda, a partition such as /dev/sda3, "
                                                         "or a raw disk-image file")
    parser.add_argument("image", metavar="IMAGE", help="image file to write (on another drive)")
    parser.add_argument("--partition", "-p", type=int, action="append", metavar="N",
                        help="image only partition N (repeatable), plus the partition table and boot area")
    lo, hi = level_range()
    parser.add_argument("--level", type=int, default=DEFAULT_LEVEL, metavar="L",
                        help=f"zstd compression level {lo}-{hi} (default {DEFAULT_LEVEL})")
    parser.add_argument("--threads", type=int, default=None, metavar="T",
                        help=f"compression threads (default: CPUs available, here {default_threads()})")
    parser.add_argument("--force", action="store_true", help="replace IMAGE if it exists")
    parser.add_argument("--sector-size", type=int, choices=(512, 4096), default=None,
                        help="logical sector size of an image-file SOURCE (default: detected)")
    parser.set_defaults(run=run)


def run(args) -> int:
    lo, hi = level_range()
    if not lo <= args.level <= hi:
        raise UsageError(f"--level {args.level} is out of range ({lo}-{hi})")
    if args.threads is not None and not 1 <= args.threads <= 256:
        raise UsageError(f"--threads {args.threads} is out of range (1-256)")
    with Source(args.source) as source:
        if source.same_file(args.image):
            raise RefusedError(f"{args.image} is the source itself", "write the image to another drive")
        plan = plan_backup(source, args.partition, args.sector_size)
        console.render_backup_plan(plan, args.image)
        result = run_backup(source, plan, args.image, level=args.level, threads=args.threads,
                            progress=console.progress_bar("Imaging"), overwrite=args.force,
                            capture_mode="not checked")
    console.render_backup_result(result)
    return 0
