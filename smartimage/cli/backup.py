"""`smartimage backup SOURCE IMAGE`: capture a disk (or some of its partitions) into an image file."""

from __future__ import annotations

import os
from contextlib import nullcontext

from ..backup import default_threads, run_backup
from ..capture import plan_backup
from ..compression import DEFAULT_LEVEL, level_range
from ..device import Source
from ..disks import disks_of_device, disks_of_path
from ..errors import RefusedError, UsageError
from ..hot import HOT_CHOICES, describe, frozen, mounts_in, refuse_hot
from ..volumes import read_disk
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
    parser.add_argument("--overwrite", action="store_true", help="replace IMAGE if it exists")
    parser.add_argument("--hot", choices=HOT_CHOICES, default=None,
                        help="image a source that is mounted read-write: 'freeze' freezes it for the capture "
                             "(ext4, xfs, btrfs), 'allow' images it as it changes (recorded as hot)")
    parser.add_argument("--force", action="store_true",
                        help="image a filesystem that is not in a clean state (dirty NTFS, hibernated Windows)")
    parser.add_argument("--allow-same-disk", action="store_true",
                        help="allow IMAGE on the disk being imaged (it dies with that disk)")
    parser.add_argument("--rescue", action="store_true",
                        help="continue past unreadable sectors: store them as zeros and record where they were")
    parser.add_argument("--sector-size", type=int, choices=(512, 4096), default=None,
                        help="logical sector size of an image-file SOURCE (default: detected)")
    parser.set_defaults(run=run)


def run(args) -> int:
    lo, hi = level_range()
    if not lo <= args.level <= hi:
        raise UsageError(f"--level {args.level} is out of range ({lo}-{hi})")
    if args.threads is not None and not 1 <= args.threads <= 256:
        raise UsageError(f"--threads {args.threads} is out of range (1-256)")
    folder = os.path.dirname(os.path.abspath(args.image))
    if not os.path.isdir(folder):
        raise RefusedError(f"the folder {folder} does not exist", "create it, or check the destination drive is mounted")
    with Source(args.source) as source:
        if source.same_file(args.image):
            raise RefusedError(f"{args.image} is the source itself", "write the image to another drive")
        _rule_one(source, args)
        disk = read_disk(source.read, source.size, args.sector_size or source.sector_size)
        ranges = [(p.start, p.size) for p in disk.partitions
                  if not p.is_container and (not args.partition or p.number in args.partition)]
        mounted = mounts_in(source.path, ranges or [(0, source.size)])
        rw = [m for m in mounted if m.mount.read_write]
        mode = "cold (mounted read-only)" if mounted else "cold"
        if rw and args.hot is None:
            refuse_hot(rw)
        if rw and args.hot == "allow":
            mode = "hot"
            for m in rw:
                console.warning(f"HOT IMAGING: {describe(m)}; files changing during the capture may be "
                                "inconsistent in the image (recorded as hot)")
        if rw and args.hot == "freeze":
            mode = "frozen"
            image_dev = os.stat(os.path.dirname(os.path.abspath(args.image)) or ".").st_dev
            if any(m.mount.dev == image_dev for m in rw):
                raise RefusedError("the image would be written into a filesystem that is being frozen",
                                   "write the image to another drive")
        with frozen(rw) if mode == "frozen" else nullcontext():
            plan = plan_backup(source, args.partition, args.sector_size)
            if plan.unsafe and not args.force:
                raise RefusedError(f"{plan.unsafe[0]}" + (f" (and {len(plan.unsafe) - 1} more)" if len(plan.unsafe) > 1
                                                          else ""), "fix it as described, or pass --force to image "
                                                                    "it as it is (recorded in the image)")
            console.render_backup_plan(plan, args.image)
            result = run_backup(source, plan, args.image, level=args.level, threads=args.threads,
                                progress=console.progress_bar("Imaging"), overwrite=args.overwrite,
                                capture_mode=mode, rescue=args.rescue)
    console.render_backup_result(result)
    return 0


def _rule_one(source: Source, args) -> None:
    """Never put the image on the disk being imaged: an image stored on the disk it protects dies with it."""
    mine = disks_of_device(os.fstat(source.fileno()).st_rdev) if source.is_block_device else disks_of_path(source.path)
    theirs = disks_of_path(args.image)
    common = sorted(mine & theirs)
    if not common:
        return
    where = ", ".join(f"/dev/{name}" for name in common)
    if not source.is_block_device:
        console.warning(f"the image will be on the same drive ({where}) as the disk-image file it copies: "
                        "keep another copy on a different drive")
        return
    if args.allow_same_disk:
        console.warning(f"the image is on {where}, the disk being imaged (--allow-same-disk): it dies with that disk")
        return
    raise RefusedError(f"{args.image} would be stored on {where}, the disk being imaged: "
                       "an image stored on the disk it protects dies with it",
                       "write it to another drive (a USB disk, a NAS), or pass --allow-same-disk")
