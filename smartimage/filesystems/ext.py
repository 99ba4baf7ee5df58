"""ext2/3/4: detection from the superblock, named the way blkid names them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np

from formats import ext4 as layout

from ..checksum import crc32c_raw
from ..errors import FilesystemError
from ..extent import ExtentMap, runs_from_bitmap
from .model import AllocationMap, FilesystemInfo, Reader, check_fits, fixed_str

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


# Group descriptor fields (ext4 layout); the *_hi halves exist when descriptors are 64 bytes.
_DESC32 = np.dtype([
    ("block_bitmap_lo", "<u4"), ("inode_bitmap_lo", "<u4"), ("inode_table_lo", "<u4"),
    ("free_blocks_lo", "<u2"), ("free_inodes_lo", "<u2"), ("used_dirs_lo", "<u2"), ("flags", "<u2"),
    ("exclude_bitmap_lo", "<u4"), ("block_bitmap_csum_lo", "<u2"), ("inode_bitmap_csum_lo", "<u2"),
    ("itable_unused_lo", "<u2"), ("checksum", "<u2"),
])
_DESC64 = np.dtype(_DESC32.descr + [
    ("block_bitmap_hi", "<u4"), ("inode_bitmap_hi", "<u4"), ("inode_table_hi", "<u4"),
    ("free_blocks_hi", "<u2"), ("free_inodes_hi", "<u2"), ("used_dirs_hi", "<u2"), ("itable_unused_hi", "<u2"),
    ("exclude_bitmap_hi", "<u4"), ("block_bitmap_csum_hi", "<u2"), ("inode_bitmap_csum_hi", "<u2"),
    ("reserved", "<u4"),
])
BG_BLOCK_UNINIT = 0x0002
_INCOMPAT_CSUM_SEED = 0x2000
_RO_COMPAT_BIGALLOC = 0x0200
MAX_GROUPS = 1 << 24
MIN_BLOCKS_PER_GROUP = 256  # mke2fs's minimum  # 2^24 groups of 32768 4 KiB blocks = 2 EiB: beyond that is damage


@dataclass(frozen=True)
class ExtGeometry:
    block_size: int
    blocks_count: int
    first_data_block: int
    blocks_per_group: int
    group_count: int
    desc_size: int
    desc_per_block: int
    desc_blocks: int
    inode_table_blocks: int
    sb: object

    def has_super(self, group: int) -> bool:
        """Does this group hold a superblock backup (sparse_super / sparse_super2 rules)?"""
        sb = self.sb
        if group == 0:
            return True
        if sb.feature_compat & layout.COMPAT_SPARSE_SUPER2:
            return group in (sb.backup_bgs[0], sb.backup_bgs[1])
        if group <= 1 or not sb.feature_ro_compat & layout.RO_COMPAT_SPARSE_SUPER:
            return True
        if not group & 1:
            return False
        return any(_is_power(group, base) for base in (3, 5, 7))

    def group_first_block(self, group: int) -> int:
        return self.first_data_block + group * self.blocks_per_group

    def group_block_count(self, group: int) -> int:
        if group == self.group_count - 1:
            return self.blocks_count - self.group_first_block(group)
        return self.blocks_per_group


def _is_power(n: int, base: int) -> bool:
    while n % base == 0:
        n //= base
    return n == 1


def ext_geometry(sb) -> ExtGeometry:
    """Derived layout numbers; raises FilesystemError for values no real filesystem has."""
    block_size = 1024 << sb.log_block_size
    blocks = blocks_count(sb)
    if sb.feature_incompat & layout.INCOMPAT_64BIT:
        desc_size = sb.desc_size
        if desc_size < 32 or desc_size > 1024 or desc_size & (desc_size - 1):
            raise FilesystemError(f"ext: group descriptor size {desc_size} is not a power of two in 32..1024")
    else:
        desc_size = 32
    if not MIN_BLOCKS_PER_GROUP <= sb.blocks_per_group <= block_size * 8 or sb.blocks_per_group % 8:
        raise FilesystemError(f"ext: {sb.blocks_per_group} blocks per group, expected a multiple of 8 from "
                              f"{MIN_BLOCKS_PER_GROUP} to {block_size * 8}")
    if blocks <= sb.first_data_block:
        raise FilesystemError(f"ext: block count {blocks} is not past the first data block")
    group_count = -(-(blocks - sb.first_data_block) // sb.blocks_per_group)
    if group_count > MAX_GROUPS:
        raise FilesystemError(f"ext: {group_count} block groups is beyond any real filesystem")
    desc_per_block = block_size // desc_size
    inode_table_blocks = -(-(sb.inodes_per_group * max(sb.inode_size, 128)) // block_size)
    return ExtGeometry(block_size, blocks, sb.first_data_block, sb.blocks_per_group, group_count, desc_size,
                       desc_per_block, -(-group_count // desc_per_block), inode_table_blocks, sb)


def _descriptor_blocks(geo: ExtGeometry) -> list[int]:
    """Block numbers holding the group descriptor table, in group order (meta_bg aware)."""
    sb = geo.sb
    start = geo.first_data_block + 1
    if not sb.feature_incompat & layout.INCOMPAT_META_BG:
        return [start + i for i in range(geo.desc_blocks)]
    blocks = [start + i for i in range(min(sb.first_meta_bg, geo.desc_blocks))]
    for meta in range(sb.first_meta_bg, geo.desc_blocks):
        group = meta * geo.desc_per_block
        blocks.append(geo.group_first_block(group) + (1 if geo.has_super(group) else 0))
    return blocks


def read_descriptors(read: Reader, geo: ExtGeometry) -> np.ndarray:
    """All group descriptors as a structured array with 64-bit block numbers merged in."""
    raw = bytearray()
    for block in _descriptor_blocks(geo):
        data = read(block * geo.block_size, geo.block_size)
        if len(data) < geo.block_size:
            raise FilesystemError(f"ext: group descriptor block {block} lies past the end of the partition")
        raw += data
    per = np.frombuffer(bytes(raw), dtype=np.uint8)[: geo.group_count * geo.desc_size].reshape(geo.group_count, -1)
    desc32 = np.ascontiguousarray(per[:, :32]).view(_DESC32).reshape(-1)
    out = {
        "block_bitmap": desc32["block_bitmap_lo"].astype(np.int64),
        "inode_bitmap": desc32["inode_bitmap_lo"].astype(np.int64),
        "inode_table": desc32["inode_table_lo"].astype(np.int64),
        "free_blocks": desc32["free_blocks_lo"].astype(np.int64),
        "flags": desc32["flags"].astype(np.int64),
        "bitmap_csum": desc32["block_bitmap_csum_lo"].astype(np.int64),
    }
    if geo.desc_size >= 64:
        desc64 = np.ascontiguousarray(per[:, :64]).view(_DESC64).reshape(-1)
        out["block_bitmap"] |= desc64["block_bitmap_hi"].astype(np.int64) << 32
        out["inode_bitmap"] |= desc64["inode_bitmap_hi"].astype(np.int64) << 32
        out["inode_table"] |= desc64["inode_table_hi"].astype(np.int64) << 32
        out["free_blocks"] |= desc64["free_blocks_hi"].astype(np.int64) << 16
        out["bitmap_csum"] |= desc64["block_bitmap_csum_hi"].astype(np.int64) << 16
    return out


def _uninit_group_blocks(geo: ExtGeometry, group: int) -> list[tuple[int, int]]:
    """(first block, count) that e2fsprogs marks used in a BLOCK_UNINIT group's bitmap:
    its superblock backup, old-style descriptor blocks + reserved GDT, or its meta_bg descriptor block."""
    sb = geo.sb
    first = geo.group_first_block(group)
    if first == 0 and geo.block_size == 1024:
        first = 1
    runs = []
    has_super = geo.has_super(group)
    if has_super:
        runs.append((first, 1))
    meta = group // geo.desc_per_block
    if not sb.feature_incompat & layout.INCOMPAT_META_BG or meta < sb.first_meta_bg:
        if has_super:
            old = sb.first_meta_bg if sb.feature_incompat & layout.INCOMPAT_META_BG else geo.desc_blocks + sb.reserved_gdt_blocks
            runs.append((first + 1, min(old, geo.blocks_count - first - 1)))
    elif group % geo.desc_per_block in (0, 1, geo.desc_per_block - 1):
        runs.append((first + (1 if has_super else 0), 1))
    return runs


def allocation(read: Reader, size: int) -> AllocationMap:
    """Blocks set in each group's block bitmap; for BLOCK_UNINIT groups (whose bitmap is not
    written) the bitmap e2fsprogs would build: superblock backup, descriptors, reserved GDT.
    Every group's bitmaps and inode table are marked wherever flex_bg placed them, and the
    first 1 KiB (boot block) always.  Bitmap checksums are checked when metadata_csum is on.
    Raises FilesystemError for impossible geometry."""
    sb = parse_superblock(read)
    if sb.feature_ro_compat & _RO_COMPAT_BIGALLOC:
        from .raw import raw_allocation
        return raw_allocation(read, size, flavour(sb), "ext4 bigalloc is not supported yet: raw copy")
    geo = ext_geometry(sb)
    check_fits(flavour(sb), geo.blocks_count * geo.block_size, size)
    desc = read_descriptors(read, geo)
    csum_groups = sb.feature_ro_compat & (layout.RO_COMPAT_GDT_CSUM | layout.RO_COMPAT_METADATA_CSUM)
    uninit = (desc["flags"] & BG_BLOCK_UNINIT).astype(bool) if csum_groups else np.zeros(geo.group_count, bool)
    bitmap_bytes = geo.blocks_per_group // 8
    seed = _checksum_seed(sb) if sb.feature_ro_compat & layout.RO_COMPAT_METADATA_CSUM else None

    starts, ends, bad_csum = [], [], []
    extra: list[tuple[int, int]] = [(0, 1024)]
    for group in range(geo.group_count):
        first = geo.group_first_block(group)
        if uninit[group]:
            extra.extend((b * geo.block_size, n * geo.block_size) for b, n in _uninit_group_blocks(geo, group))
            continue
        bitmap = read(int(desc["block_bitmap"][group]) * geo.block_size, bitmap_bytes)
        if len(bitmap) < bitmap_bytes:
            raise FilesystemError(f"ext: block bitmap of group {group} lies past the end of the partition")
        if seed is not None and not _bitmap_csum_ok(seed, bitmap, int(desc["bitmap_csum"][group]), geo.desc_size):
            bad_csum.append(group)
        runs = runs_from_bitmap(bitmap, geo.block_size, first_bit=first, bit_count=geo.group_block_count(group))
        starts.append(runs.starts)
        ends.append(runs.ends)
    # every group's metadata wherever it lives (flex_bg), as e2fsprogs marks it for uninit groups
    bs = geo.block_size
    meta_starts = np.concatenate([desc["block_bitmap"], desc["inode_bitmap"], desc["inode_table"]]) * bs
    meta_ends = meta_starts + np.concatenate([
        np.ones(geo.group_count, np.int64), np.ones(geo.group_count, np.int64),
        np.full(geo.group_count, geo.inode_table_blocks, np.int64)]) * bs
    used = ExtentMap(np.concatenate(starts + [meta_starts]), np.concatenate(ends + [meta_ends]))
    used = used.union(ExtentMap.of(extra)).clip(0, min(size, geo.blocks_count * bs))
    notes = []
    if bad_csum:
        shown = ", ".join(map(str, bad_csum[:5])) + (" ..." if len(bad_csum) > 5 else "")
        notes.append(f"block bitmap checksum mismatch in {len(bad_csum)} group(s) ({shown}): run e2fsck")
    if sb.state & 0x0002 or not sb.state & 0x0001:
        notes.append("ext filesystem not cleanly unmounted or has errors: run e2fsck -f")
    free = int(desc["free_blocks"].sum())
    return AllocationMap(fs_type=flavour(sb), block_size=bs, used=used,
                         method="bitmaps", source=f"{flavour(sb)} block bitmaps ({geo.group_count} groups, "
                                f"{int(uninit.sum())} uninitialised); descriptors say {free} free blocks",
                         notes=tuple(notes))


def _checksum_seed(sb) -> int:
    if sb.feature_incompat & _INCOMPAT_CSUM_SEED:
        return int.from_bytes(bytes(sb.rest[0x270 - 0x254 : 0x274 - 0x254]), "little")
    return crc32c_raw(0xFFFFFFFF, bytes(sb.uuid))


def _bitmap_csum_ok(seed: int, bitmap: bytes, stored: int, desc_size: int) -> bool:
    value = crc32c_raw(seed, bitmap)
    if desc_size >= 64:
        return value == stored
    return value & 0xFFFF == stored & 0xFFFF
