"""`smartimage restore IMAGE TARGET` and `smartimage clone SOURCE TARGET`: one code path.

The plan is shown as a before/after table; --dry-run stops there; a target that holds a
partition table or filesystem is not written without --yes."""

from __future__ import annotations

import os
import tempfile

from ..capture import plan_backup
from ..clone import LiveSource
from ..container.reader import ImageReader
from ..device import Source
from ..disks import overlaps, span_holding, span_of
from ..errors import RefusedError, UsageError
from ..plan import POLICIES, plan_restore
from ..restore import Target, describe_contents, plan_into_existing, run_restore, source_layout
from . import console


def _common(parser) -> None:
    parser.add_argument("target", metavar="TARGET", help="disk (/dev/sdb) or raw file to write; a file's current "
                                                         "size is taken as the new disk's size")
    parser.add_argument("--layout", choices=POLICIES, default="auto",
                        help="auto (default): the largest data partition takes the extra space; keep: same offsets "
                             "and sizes; proportional: resizable partitions scale; grow-last: the last resizable "
                             "partition grows")
    parser.add_argument("--dry-run", action="store_true", help="show the plan and write nothing")
    parser.add_argument("--yes", action="store_true", help="write over a target that holds data")
    parser.add_argument("--threads", type=int, default=None, metavar="T")


def add_parser(sub) -> None:
    restore = sub.add_parser("restore", help="restore an image onto a disk (same size or bigger)",
                             description="Restore IMAGE onto TARGET: partition table, every partition's data, "
                                         "filesystems grown to fill a bigger disk.")
    restore.add_argument("image", metavar="IMAGE")
    _common(restore)
    restore.add_argument("--partition", "-p", type=int, action="append", metavar="N",
                         help="restore only partition N into TARGET's existing partition N (repeatable)")
    restore.set_defaults(run=run_restore_command)
    clone = sub.add_parser("clone", help="copy a disk onto another disk in one step (backup piped into restore)",
                           description="Clone SOURCE onto TARGET: the used blocks only, layout planned for TARGET's "
                                       "size as restore does.")
    clone.add_argument("source", metavar="SOURCE")
    _common(clone)
    clone.set_defaults(run=run_clone_command, partition=None)


def run_restore_command(args) -> int:
    with ImageReader(args.image) as reader:
        def guard(target: Target) -> None:
            _refuse_same(target, args.image, "the image")
            if overlaps(span_of(target.path), span_holding(args.image)):
                raise RefusedError(f"{target.path} holds the image being restored ({args.image}): writing it would "
                                   "destroy the image", "copy the image to another drive first")
        return _restore(args, reader, args.image, guard=guard,
                        work_dir=os.path.dirname(os.path.abspath(args.image)))


def run_clone_command(args) -> int:
    with Source(args.source) as source:
        if source.same_file(args.target):
            raise RefusedError(f"{args.target} is the clone's source itself", "choose another target disk")
        plan = plan_backup(source)
        for message in plan.warnings:
            console.warning(message)
        live = LiveSource(source, plan)

        def guard(target: Target) -> None:
            _refuse_same(target, args.source, "the source")
            if overlaps(span_of(target.path), span_of(args.source)):
                raise RefusedError(f"{target.path} overlaps the clone's source {args.source}",
                                   "choose another target disk")
        return _restore(args, live, args.source, guard=guard)


def _refuse_same(target: Target, path: str, what: str) -> None:
    if target.same_file(path):
        raise RefusedError(f"{target.path} is {what} itself", "write to another disk")


def _restore(args, reader, origin: str, guard, work_dir: str | None = None) -> int:
    if args.threads is not None and not 1 <= args.threads <= 256:
        raise UsageError(f"--threads {args.threads} is out of range (1-256)")
    meta = reader.metadata
    layout = source_layout(meta)
    only = set(args.partition) if args.partition else None
    target = Target(args.target, writable=not args.dry_run)
    try:
        guard(target)
        if only:
            plan = plan_into_existing(meta, layout, target, only, args.layout)
        else:
            missing = {p.number for p in layout.partitions if p.kind != "extended"} - \
                      {p["number"] for p in meta["partitions"] if p["captured"]}
            if missing:
                raise RefusedError(f"{origin} holds only some partitions (not {', '.join(map(str, sorted(missing)))}); "
                                   "restore them with --partition N into a disk that has them")
            plan = plan_restore(layout, target.size, target.sector_size or layout.sector_size, args.layout)
        holds = describe_contents(target)
        console.render_restore_plan(plan, meta, origin, target, holds, only)
        if args.dry_run:
            console.note("dry run: nothing was written")
            return 0
        if holds and not args.yes:
            raise RefusedError(f"{args.target} holds {holds}; everything on it would be overwritten",
                               "check the target, then run again with --yes")
        if any(p.shrinks for p in plan.partitions):
            console.note(f"shrinking works on temporary files in {work_dir or tempfile.gettempdir()} "
                         "(as much space as the shrunk partitions' data) before the target is written")
        result = run_restore(reader, target, plan, only=only, threads=args.threads,
                             progress=console.progress_bar("Restoring"), work_dir=work_dir)
    finally:
        target.close()
    console.render_restore_result(result)
    return 0
