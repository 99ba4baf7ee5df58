"""`smartimage ls` and `smartimage extract`: files out of an image without restoring it."""

from __future__ import annotations

from ..browse import ImagePartition, extract, list_dir, open_filesystem
from ..container.reader import ImageReader
from . import console


def add_parser(sub) -> None:
    ls = sub.add_parser("ls", help="list a folder inside an imaged filesystem",
                        description="List files inside a partition of an image (NTFS, FAT, exFAT, ext2/3/4), "
                                    "reading only the chunks needed.")
    ls.add_argument("image", metavar="IMAGE")
    ls.add_argument("path", metavar="PATH", nargs="?", default="/", help="folder or file inside the filesystem")
    ls.add_argument("--partition", "-p", type=int, required=True, metavar="N")
    ls.add_argument("--recursive", "-r", action="store_true", help="walk the whole tree below PATH")
    ls.add_argument("--long", "-l", action="store_true", help="show type, size and modification time")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(run=run_ls, late_positional=("path", "/"))
    ex = sub.add_parser("extract", help="copy a file or folder out of an image",
                        description="Copy a file or a folder tree out of a partition of an image, keeping "
                                    "modification times. An existing DEST folder receives it; nothing is "
                                    "overwritten without --force.")
    ex.add_argument("image", metavar="IMAGE")
    ex.add_argument("path", metavar="PATH", help="file or folder inside the filesystem")
    ex.add_argument("dest", metavar="DEST", help="where to put it")
    ex.add_argument("--partition", "-p", type=int, required=True, metavar="N")
    ex.add_argument("--force", action="store_true", help="overwrite files that exist")
    ex.set_defaults(run=run_extract)
    add_mount_parser(sub)


def run_ls(args) -> int:
    with ImageReader(args.image) as reader:
        part = ImagePartition(reader, args.partition)
        fs = open_filesystem(part)
        entries = sorted(list_dir(fs, args.path, recursive=args.recursive), key=lambda e: e.path)
    if args.json:
        console.print_json([{"path": e.path, "name": e.name, "type": e.kind, "size": e.size, "mtime": e.mtime}
                            for e in entries])
    else:
        console.render_listing(entries, args.long, args.recursive)
    return 0


def run_extract(args) -> int:
    with ImageReader(args.image) as reader:
        part = ImagePartition(reader, args.partition)
        fs = open_filesystem(part)
        written = extract(fs, part, args.path, args.dest, force=args.force)
    console.note(f"extracted {len(written)} file(s) from partition {args.partition} into {args.dest} "
                 f"(read {part.bytes_read_from_image} bytes of the image)")
    return 0


def add_mount_parser(sub) -> None:
    mount = sub.add_parser("mount", help="show a partition of an image as a read-only folder (FUSE)",
                           description="Mount a partition of IMAGE read-only at MOUNTPOINT until Ctrl-C or "
                                       "`umount MOUNTPOINT`; any program can then browse and copy its files.")
    mount.add_argument("image", metavar="IMAGE")
    mount.add_argument("mountpoint", metavar="MOUNTPOINT")
    mount.add_argument("--partition", "-p", type=int, required=True, metavar="N")
    mount.set_defaults(run=run_mount)


def run_mount(args) -> int:
    import os

    from ..errors import UsageError
    from ..mount import serve

    if not os.path.isdir(args.mountpoint):
        raise UsageError(f"{args.mountpoint} is not a folder")
    with ImageReader(args.image) as reader:
        part = ImagePartition(reader, args.partition)
        console.note(f"partition {args.partition} of {args.image} mounted read-only at {args.mountpoint}; "
                     "Ctrl-C or `umount` to stop")
        serve(part, args.mountpoint)
    return 0
