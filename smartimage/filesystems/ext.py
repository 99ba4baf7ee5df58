"""ext2/3/4: detection from the superblock, named the way blkid names them."""

from __future__ import annotations

import uuid

from formats import ext4 as layout

from .model import FilesystemInfo, Reader, fixed_str

# blkid's rule: a filesystem using only these features is ext2 (no journal) or ext3 (journal)
_EXT2_RO_COMPAT = layout.RO_COMPAT_SPARSE_SUPER | layout.RO_COMPAT_LARGE_FILE | layout.RO_COMPAT_BTREE_DIR
_EXT2_INCOMPAT = layout.INCOMPAT_FILETYPE | layout.INCOMPAT_META_BG
_EXT3_INCOMPAT = _EXT2_INCOMPAT | layout.INCOMPAT_RECOVER
MAX_LOG_BLOCK_SIZE = 6  # 64 KiB blocks


def parse_superblock(read: Reader):
    """The parsed primary superblock, or None when there is no plausible one."""
    data = read(layout.SUPERBLOCK_OFFSET, layout.SUPERBLOCK_SIZE)
    if len(data) < layout.SUPERBLOCK_SIZE:
        return None
    sb = layout.ExtSuperblock.parse(data)
    if sb.magic != layout.MAGIC or sb.log_block_size > MAX_LOG_BLOCK_SIZE or sb.blocks_per_group == 0:
        return None
    return sb


def flavour(sb) -> str:
    """ext2, ext3, ext4 or jbd (an external journal), by blkid's feature rules."""
    if sb.feature_incompat & layout.INCOMPAT_JOURNAL_DEV:
        return "jbd"
    old_ro = not sb.feature_ro_compat & ~_EXT2_RO_COMPAT
    if sb.feature_compat & layout.COMPAT_HAS_JOURNAL:
        if old_ro and not sb.feature_incompat & ~_EXT3_INCOMPAT:
            return "ext3"
    elif old_ro and not sb.feature_incompat & ~_EXT2_INCOMPAT:
        return "ext2"
    return "ext4"


def blocks_count(sb) -> int:
    count = sb.blocks_count_lo
    if sb.feature_incompat & layout.INCOMPAT_64BIT:
        count |= sb.blocks_count_hi << 32
    return count


def detect(read: Reader, size: int) -> FilesystemInfo | None:
    sb = parse_superblock(read)
    if sb is None:
        return None
    block_size = 1024 << sb.log_block_size
    return FilesystemInfo(
        fs_type=flavour(sb),
        label=fixed_str(sb.volume_name),
        uuid=str(uuid.UUID(bytes=bytes(sb.uuid))),
        block_size=block_size,
        size=blocks_count(sb) * block_size,
    )
