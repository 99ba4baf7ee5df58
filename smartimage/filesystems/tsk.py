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


def ntfs_volume_label(read: Reader, size: int) -> str:
    """The NTFS volume label ($Volume's $VOLUME_NAME attribute), or '' if none or unreadable."""
    fs = open_filesystem(read, size)
    if fs is None:
        return ""
    try:
        volume = fs.open_meta(inode=_NTFS_VOLUME_INODE)
        for attr in volume:
            if int(attr.info.type) == _NTFS_VOLUME_NAME_ATTR:
                length = min(int(attr.info.size), _MAX_LABEL_BYTES)
                raw = volume.read_random(0, length, attr.info.type, attr.info.id)
                return raw.decode("utf-16-le", errors="replace")
    except (IOError, OSError, RuntimeError):
        return ""
    return ""
