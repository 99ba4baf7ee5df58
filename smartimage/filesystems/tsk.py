"""The one place pytsk3 (The Sleuth Kit) is imported: open a filesystem over any reader.

TSK serves as the detection cross-check and for allocation data it exposes as
files (NTFS $Bitmap, FAT /$FAT1, exFAT /$ALLOC_BITMAP).
"""

from __future__ import annotations

import pytsk3

from .model import Reader

# TSK's filesystem type enum → our fs_type names
_TSK_TYPES = {
    pytsk3.TSK_FS_TYPE_NTFS: "ntfs",
    pytsk3.TSK_FS_TYPE_FAT12: "fat12",
    pytsk3.TSK_FS_TYPE_FAT16: "fat16",
    pytsk3.TSK_FS_TYPE_FAT32: "fat32",
    pytsk3.TSK_FS_TYPE_EXFAT: "exfat",
    pytsk3.TSK_FS_TYPE_EXT2: "ext2",
    pytsk3.TSK_FS_TYPE_EXT3: "ext3",
    pytsk3.TSK_FS_TYPE_EXT4: "ext4",
    pytsk3.TSK_FS_TYPE_HFS: "hfsplus",
    pytsk3.TSK_FS_TYPE_SWAP: "swap",
}

# the types TSK can open, so a failure to open one of them is worth a warning
CROSS_CHECKED = frozenset({"ntfs", "fat12", "fat16", "fat32", "exfat", "ext2", "ext3", "ext4", "hfsplus"})

_NTFS_VOLUME_INODE = 3
_NTFS_VOLUME_NAME_ATTR = 0x60
_MAX_LABEL_BYTES = 256


class ReaderImage(pytsk3.Img_Info):
    """A TSK image whose bytes come from a Python reader (a partition of a source or an image)."""

    def __init__(self, read: Reader, size: int):
        self._read = read
        self._size = size
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def read(self, offset, size):  # called by TSK
        data = self._read(offset, size)
        return data + b"\0" * (size - len(data)) if len(data) < size else data

    def get_size(self):  # called by TSK
        return self._size

    def close(self):
        pass


def open_filesystem(read: Reader, size: int):
    """An FS_Info for the filesystem at offset 0 of the reader, or None if TSK cannot open it."""
    try:
        return pytsk3.FS_Info(ReaderImage(read, size), offset=0)
    except (IOError, OSError, RuntimeError):
        return None


def tsk_type(read: Reader, size: int) -> str | None:
    """What TSK believes the filesystem is (our names), or None when it does not recognise it."""
    fs = open_filesystem(read, size)
    if fs is None:
        return None
    return _TSK_TYPES.get(fs.info.ftype, str(fs.info.ftype))


_READ_PIECE = 1 << 20
_NTFS_FIRST_USER_RECORD = 27
_EXFAT_SYSTEM_NAMES = frozenset({"$ALLOC_BITMAP", "$UPCASE_TABLE"})


def read_file(fs, *, inode: int | None = None, path: str | None = None, limit: int) -> bytearray | None:
    """The default data of a file by inode or path (TSK virtual files such as /$FAT1 too),
    at most ``limit`` bytes; None when TSK has no such file."""
    try:
        handle = fs.open_meta(inode=inode) if inode is not None else fs.open(path)
        size = min(int(handle.info.meta.size), limit)
        out = bytearray(size)  # allocated once: a 1 TiB NTFS has a 32 MiB $Bitmap
        done = 0
        while done < size:
            piece = handle.read_random(done, min(_READ_PIECE, size - done))
            if not piece:
                break
            out[done : done + len(piece)] = piece
            done += len(piece)
        del out[done:]
        return out
    except (IOError, OSError, RuntimeError, AttributeError):
        return None


def read_attribute(fs, inode: int, attr_type: int, limit: int = 4096) -> bytes | None:
    """The value of the first attribute of ``attr_type`` of an inode (NTFS), or None."""
    try:
        handle = fs.open_meta(inode=inode)
        for attr in handle:
            if int(attr.info.type) == attr_type:
                length = min(int(attr.info.size), limit)
                return handle.read_random(0, length, attr.info.type, attr.info.id)
    except (IOError, OSError, RuntimeError):
        return None
    return None


def ntfs_volume_label(read: Reader, size: int) -> str:
    """The NTFS volume label ($Volume's $VOLUME_NAME attribute), or '' if none or unreadable."""
    fs = open_filesystem(read, size)
    if fs is None:
        return ""
    raw = read_attribute(fs, _NTFS_VOLUME_INODE, _NTFS_VOLUME_NAME_ATTR, _MAX_LABEL_BYTES)
    return raw.decode("utf-16-le", errors="replace") if raw else ""


def _allocated_entries(directory):
    """(name, entry) of a TSK directory's allocated entries with metadata, '.' and '..' left out;
    a deleted file's name is skipped: its clusters may be reused by now."""
    for entry in directory:
        name = entry.info.name.name.decode("utf-8", errors="replace")
        if name in (".", "..") or entry.info.meta is None:
            continue
        if int(entry.info.name.flags) & int(pytsk3.TSK_FS_NAME_FLAG_ALLOC):
            yield name, entry


def walk_files(fs, limit: int = 1_000_000, with_dirs: bool = False):
    """Yield (path, tsk file) for every allocated regular file (and directory when ``with_dirs``),
    depth first; at most ``limit`` entries (for tests and browsing)."""
    stack = [("/", fs.open_dir(path="/"))]
    seen = 0
    while stack:
        prefix, directory = stack.pop()
        for name, entry in _allocated_entries(directory):
            seen += 1
            if seen > limit:
                return
            path = prefix + name
            if entry.info.meta.type == pytsk3.TSK_FS_META_TYPE_DIR:
                if with_dirs:
                    yield path, entry
                if not name.startswith("$"):
                    try:
                        stack.append((path + "/", entry.as_directory()))
                    except (IOError, OSError, RuntimeError):
                        pass
            elif entry.info.meta.type == pytsk3.TSK_FS_META_TYPE_REG:
                yield path, entry


def file_block_runs(entry):
    """(first block, block count) of every non-resident run of every attribute of a TSK file."""
    for attr in entry:
        if not int(attr.info.flags) & int(pytsk3.TSK_FS_ATTR_NONRES):
            continue
        for run in attr:
            if int(run.flags) & int(pytsk3.TSK_FS_ATTR_RUN_FLAG_SPARSE) or int(run.flags) & int(pytsk3.TSK_FS_ATTR_RUN_FLAG_FILLER):
                continue
            if run.len:
                yield int(run.addr), int(run.len)


def kind_of(meta) -> str:
    """file, dir, link or other, from a TSK meta record."""
    if meta is None:
        return "other"
    kind = meta.type
    if kind == pytsk3.TSK_FS_META_TYPE_DIR:
        return "dir"
    if kind == pytsk3.TSK_FS_META_TYPE_REG:
        return "file"
    if kind == pytsk3.TSK_FS_META_TYPE_LNK:
        return "link"
    return "other"


def walk(fs, path: str, recursive: bool, limit: int):
    """(path, tsk file) of the allocated entries under ``path``, sorted by name; TSK's own
    metadata files ($MFT, $Bitmap, ...) and virtual folders are left out."""
    stack = [path.rstrip("/") or ""]
    seen = 0
    while stack:
        folder = stack.pop()
        try:
            directory = fs.open_dir(path=folder or "/")
        except (IOError, OSError, RuntimeError):
            continue
        entries = []
        for name, entry in _allocated_entries(directory):
            if "/" in name:
                continue
            if entry.info.meta.type in (pytsk3.TSK_FS_META_TYPE_VIRT, pytsk3.TSK_FS_META_TYPE_VIRT_DIR):
                continue  # TSK's own $FAT1, $OrphanFiles, $ALLOC_BITMAP ...
            if name.endswith(" (Volume Label Entry)"):
                continue  # how TSK shows a FAT/exFAT volume label
            if folder == "" and name in _EXFAT_SYSTEM_NAMES and fs.info.ftype == pytsk3.TSK_FS_TYPE_EXFAT:
                continue  # exFAT's bitmap and up-case table, which TSK shows as root files
            if folder == "" and name.startswith("$") and int(entry.info.meta.addr) < _NTFS_FIRST_USER_RECORD:
                continue  # NTFS system files: $MFT, $Bitmap, $Extend ...
            entries.append((folder + "/" + name, entry))
        entries.sort(key=lambda item: item[0])
        subdirs = []
        for entry_path, entry in entries:
            seen += 1
            if seen > limit:
                return
            yield entry_path, entry
            if recursive and entry.info.meta.type == pytsk3.TSK_FS_META_TYPE_DIR:
                subdirs.append(entry_path)
        stack.extend(reversed(subdirs))


def read_content(handle, size: int, piece: int = 1 << 20):
    """The file's default data, a piece at a time."""
    offset = 0
    while offset < size:
        data = handle.read_random(offset, min(piece, size - offset))
        if not data:
            raise IOError(f"short read at byte {offset}")
        yield data
        offset += len(data)
